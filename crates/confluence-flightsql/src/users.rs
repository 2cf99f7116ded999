//! Server users: names with salted Argon2id password hashes (PHC strings), from `--user` and the environment or
//! from a users file with one `name:$argon2id$...` line per user (`confluence-sql serve --hash-password NAME`
//! prints such a line).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::ServeError;

/// The users a server in users mode accepts. Cheap to clone (each login check takes a copy to a blocking thread).
/// `Debug` shows the names only.
#[derive(Clone, Default)]
pub struct Users {
    hashes: Arc<HashMap<String, String>>,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.hashes.keys().collect();
        names.sort();
        f.debug_struct("Users").field("names", &names).finish()
    }
}

impl Users {
    /// No users yet.
    pub fn new() -> Users {
        Users::default()
    }

    /// Adds `name` with `password` (hashed now; the clear text is not kept).
    pub fn add_password(&mut self, name: &str, password: &str) -> Result<(), ServeError> {
        check_name(name).map_err(ServeError::Config)?;
        if password.is_empty() {
            return Err(ServeError::Config(format!("the password of user {name} is empty")));
        }
        let hash = hash_password(password)?;
        Arc::make_mut(&mut self.hashes).insert(name.to_owned(), hash);
        Ok(())
    }

    /// Adds `name` with a password hash in the PHC string format (`$argon2id$v=19$m=...`).
    pub fn add_hash(&mut self, name: &str, hash: &str) -> Result<(), ServeError> {
        check_name(name).map_err(ServeError::Config)?;
        check_hash(hash).map_err(ServeError::Config)?;
        Arc::make_mut(&mut self.hashes).insert(name.to_owned(), hash.to_owned());
        Ok(())
    }

    /// Reads a users file: one `name:hash` per line; blank lines and lines starting with `#` are skipped.
    pub fn from_file(path: &Path) -> Result<Users, ServeError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ServeError::Read { path: path.to_owned(), source })?;
        let mut users = Users::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let error = |message: String| ServeError::UsersFile { path: path.to_owned(), line: index + 1, message };
            let (name, hash) = line.split_once(':').ok_or_else(|| {
                error("expected name:hash (make a line with `confluence-sql serve --hash-password NAME`)".into())
            })?;
            check_name(name).map_err(error)?;
            check_hash(hash).map_err(error)?;
            if Arc::make_mut(&mut users.hashes).insert(name.to_owned(), hash.to_owned()).is_some() {
                return Err(error(format!("user {name} is listed twice")));
            }
        }
        Ok(users)
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether `password` is `name`'s. An unknown name costs the same work as a known one, so timing does not
    /// tell which names exist.
    pub(crate) fn verify(&self, name: &str, password: &str) -> bool {
        // An unknown name is checked against another user's hash: the same parameters, the same work.
        let (hash, known) = match self.hashes.get(name) {
            Some(hash) => (hash.as_str(), true),
            None => match self.hashes.values().next() {
                Some(decoy) => (decoy.as_str(), false),
                None => return false,
            },
        };
        let Ok(parsed) = PasswordHash::new(hash) else { return false };
        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && known
    }
}

/// A salted Argon2id hash of `password` in the PHC string format, for a users file.
pub fn hash_password(password: &str) -> Result<String, ServeError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| ServeError::Config(format!("no randomness for a salt: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| ServeError::Config(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| ServeError::Config(format!("cannot hash the password: {e}")))
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(':') || name.chars().any(char::is_control) {
        return Err(format!("{name:?} is not a user name: it must be non-empty, without ':' or control characters"));
    }
    Ok(())
}

fn check_hash(hash: &str) -> Result<(), String> {
    let parsed = PasswordHash::new(hash).map_err(|e| format!("not a PHC password hash ({e})"))?;
    if !parsed.algorithm.as_str().starts_with("argon2") {
        return Err(format!("the hash is {}, expected argon2id", parsed.algorithm));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_checked_against_salted_hashes() {
        let mut users = Users::new();
        users.add_password("ana", "s3cret!").unwrap();
        assert!(users.verify("ana", "s3cret!"));
        assert!(!users.verify("ana", "s3cret"));
        assert!(!users.verify("bob", "s3cret!"));
        let (a, b) = (hash_password("same").unwrap(), hash_password("same").unwrap());
        assert_ne!(a, b, "each hash has its own salt");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_eq!(format!("{users:?}"), r#"Users { names: ["ana"] }"#);
    }

    #[test]
    fn a_users_file_is_read_and_its_mistakes_named() {
        let dir = std::env::temp_dir().join(format!("cs-users-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users");
        let hash = hash_password("pw1").unwrap();
        std::fs::write(&path, format!("# team\n\nana:{hash}\n")).unwrap();
        let users = Users::from_file(&path).unwrap();
        assert_eq!(users.len(), 1);
        assert!(users.verify("ana", "pw1"));
        for (text, expected) in [
            ("ana\n".to_owned(), "line 1: expected name:hash"),
            (format!("ana:{hash}\nana:{hash}\n"), "line 2: user ana is listed twice"),
            ("ana:plaintext\n".to_owned(), "line 1: not a PHC password hash"),
        ] {
            std::fs::write(&path, text).unwrap();
            let message = Users::from_file(&path).unwrap_err().to_string();
            assert!(message.contains(expected), "{message}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

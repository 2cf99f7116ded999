//! The token store at `OAuthSettingsLocation`: a JSON file ([`TokenFile`]) that survives the process, or
//! `memory://` for this process only.
//!
//! The file is written atomically: a temporary file in the same directory, created with mode 0600, written,
//! flushed to disk, then renamed over the old one (and the directory synced), so a reader sees the old tokens or
//! the new ones, never half of either. Processes that refresh serialise on an exclusive lock on a sibling
//! `<file>.lock` (the token file itself is replaced on every save, so it cannot carry the lock).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use connstr::OAuthSettingsLocation;
use serde::{Deserialize, Serialize};

use crate::error::OAuthError;

/// The version of the file format this build writes.
pub const FORMAT: u32 = 1;

/// The contents of the token store, as documented in `docs/auth.md`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFile {
    /// The format version ([`FORMAT`]).
    pub format: u32,
    /// `Cloud` or `DataCenter`.
    pub deployment: String,
    /// The site the tokens are for (`Url`).
    pub site_url: String,
    /// The app the tokens were issued to (`OAuthClientId`).
    pub client_id: String,
    /// The Cloud site id the API calls go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_id: Option<String>,
    /// The scopes granted.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// The refresh token (rotated on every refresh on Cloud).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the access token expires, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// When the file was last written, in seconds since the Unix epoch.
    #[serde(default)]
    pub updated_at: u64,
    /// Web-flow authorizations in progress, by `state`: the PKCE verifier and callback to finish them with.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<String, PendingAuthorization>,
}

impl std::fmt::Debug for TokenFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mask = |v: &Option<String>| v.as_ref().map(|_| connstr::MASK);
        f.debug_struct("TokenFile")
            .field("deployment", &self.deployment)
            .field("site_url", &self.site_url)
            .field("client_id", &self.client_id)
            .field("cloud_id", &self.cloud_id)
            .field("scopes", &self.scopes)
            .field("access_token", &mask(&self.access_token))
            .field("refresh_token", &mask(&self.refresh_token))
            .field("expires_at", &self.expires_at)
            .field("pending", &self.pending.len())
            .finish()
    }
}

/// A web-flow authorization waiting for its code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// The PKCE `code_verifier` (Data Center).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
    /// The redirect URL the authorization was started with.
    pub callback_url: String,
    /// When it was started, in seconds since the Unix epoch (pending entries expire after an hour).
    pub created_at: u64,
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Where tokens are kept.
#[derive(Clone, Debug)]
pub enum TokenStore {
    /// In this process only.
    Memory(Arc<Mutex<Option<TokenFile>>>),
    /// A JSON file.
    File(PathBuf),
}

/// An exclusive lock on the store, held while a refresh reads, exchanges and writes; released on drop.
#[derive(Debug)]
pub struct StoreLock {
    _file: Option<File>,
}

impl TokenStore {
    /// The store at `location`.
    pub fn open(location: &OAuthSettingsLocation) -> TokenStore {
        match location {
            OAuthSettingsLocation::Memory => TokenStore::Memory(Arc::default()),
            OAuthSettingsLocation::File(path) => TokenStore::File(path.clone()),
        }
    }

    /// The file, when the store is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            TokenStore::Memory(_) => None,
            TokenStore::File(path) => Some(path),
        }
    }

    /// Reads the store; `None` when nothing was saved yet.
    pub fn load(&self) -> Result<Option<TokenFile>, OAuthError> {
        let path = match self {
            TokenStore::Memory(cell) => return Ok(cell.lock().unwrap_or_else(|p| p.into_inner()).clone()),
            TokenStore::File(path) => path,
        };
        check_directory(path)?;
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(store_error(path, format!("cannot be read: {e}"))),
        };
        warn_if_readable_by_others(path);
        // A newer format is not corrupt: say so, and leave it alone.
        let format = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("format").and_then(serde_json::Value::as_u64));
        if format.is_some_and(|f| f > u64::from(FORMAT)) {
            return Err(store_error(
                path,
                format!(
                    "was written by a newer confluence-sql (format {}); upgrade, or delete it",
                    format.unwrap_or(0)
                ),
            ));
        }
        let file: TokenFile = match serde_json::from_slice(&bytes) {
            Ok(file) => file,
            Err(e) => {
                // A corrupt store must not block a new login: keep it for inspection, start afresh.
                let aside = path.with_file_name(format!(
                    "{}.corrupt-{}",
                    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                    now_secs()
                ));
                fs::rename(path, &aside).map_err(|rename| {
                    store_error(path, format!("is not a valid token file ({e}) and cannot be moved aside ({rename}); delete it and authorize again"))
                })?;
                tracing::warn!(path = %path.display(), moved_to = %aside.display(), error = %e, "the OAuth token file was not valid JSON; it was moved aside and a new authorization is needed");
                return Ok(None);
            }
        };
        if file.format > FORMAT {
            return Err(store_error(
                path,
                format!("was written by a newer confluence-sql (format {}); upgrade, or delete it", file.format),
            ));
        }
        Ok(Some(file))
    }

    /// Replaces the store's contents atomically (mode 0600).
    pub fn save(&self, contents: &TokenFile) -> Result<(), OAuthError> {
        let path = match self {
            TokenStore::Memory(cell) => {
                *cell.lock().unwrap_or_else(|p| p.into_inner()) = Some(contents.clone());
                return Ok(());
            }
            TokenStore::File(path) => path,
        };
        let mut contents = contents.clone();
        contents.format = FORMAT;
        contents.updated_at = now_secs();
        let mut text = serde_json::to_vec_pretty(&contents)
            .map_err(|e| store_error(path, format!("cannot be serialised: {e}")))?;
        text.push(b'\n');
        if path.parent().filter(|d| !d.as_os_str().is_empty()).is_some_and(Path::exists) {
            check_directory(path)?;
        }
        write_atomically(path, &text).map_err(|e| store_error(path, format!("cannot be written: {e}")))?;
        check_directory(path)
    }

    /// Deletes the saved tokens (`logout`), under the store's lock. Returns whether there was anything to delete.
    /// The lock file stays: another process may be waiting on it.
    pub async fn remove(&self) -> Result<bool, OAuthError> {
        match self {
            TokenStore::Memory(cell) => Ok(cell.lock().unwrap_or_else(|p| p.into_inner()).take().is_some()),
            TokenStore::File(path) => {
                let _lock = self.lock().await?;
                match fs::remove_file(path) {
                    Ok(()) => Ok(true),
                    Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
                    Err(e) => Err(store_error(path, format!("cannot be deleted: {e}"))),
                }
            }
        }
    }

    /// Takes the exclusive cross-process lock (waits for other processes to finish their refresh), giving up after
    /// [`LOCK_TIMEOUT`].
    pub async fn lock(&self) -> Result<StoreLock, OAuthError> {
        self.lock_within(LOCK_TIMEOUT).await
    }

    /// [`TokenStore::lock`], giving up after `timeout`.
    pub async fn lock_within(&self, timeout: Duration) -> Result<StoreLock, OAuthError> {
        let path = match self {
            TokenStore::Memory(_) => return Ok(StoreLock { _file: None }),
            TokenStore::File(path) => path.clone(),
        };
        let lock = lock_path(&path);
        if path.parent().filter(|d| !d.as_os_str().is_empty()).is_some_and(Path::exists) {
            check_directory(&path)?;
        }
        let result = tokio::task::spawn_blocking(move || -> std::io::Result<Option<File>> {
            create_private_dir(lock.parent())?;
            let file = private_options().read(true).write(true).truncate(false).open(&lock)?;
            let deadline = Instant::now() + timeout;
            loop {
                match file.try_lock() {
                    Ok(()) => return Ok(Some(file)),
                    Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                    Err(std::fs::TryLockError::Error(e)) => return Err(e),
                }
            }
        })
        .await;
        match result {
            Ok(Ok(Some(file))) => Ok(StoreLock { _file: Some(file) }),
            Ok(Ok(None)) => Err(store_error(
                &path,
                format!(
                    "is locked by another process for more than {} s (one waiting for a browser login, or one that \
                     hangs); try again when it is done, or end it",
                    timeout.as_secs()
                ),
            )),
            Ok(Err(e)) => Err(store_error(&path, format!("cannot be locked: {e}"))),
            Err(e) => Err(store_error(&path, format!("cannot be locked: {e}"))),
        }
    }
}

/// How long [`TokenStore::lock`] waits for another process (a refresh takes a second; a browser login holds the
/// lock only while it saves).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(30);

fn store_error(path: &Path, message: String) -> OAuthError {
    OAuthError::Store { path: path.to_owned(), message }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".lock");
    path.with_file_name(name)
}

/// Options that create a file readable and writable by its owner only.
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn create_private_dir(dir: Option<&Path>) -> std::io::Result<()> {
    let Some(dir) = dir.filter(|d| !d.as_os_str().is_empty()) else { return Ok(()) };
    if dir.exists() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Temp file (0600) in the same directory, write, fsync, rename over `path`, fsync the directory.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    create_private_dir(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut nonce = [0u8; 6];
    let _ = getrandom::fill(&mut nonce);
    let suffix: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    let temp = path.with_file_name(format!(".{name}.{}.{suffix}.tmp", std::process::id()));
    let result = (|| {
        // A new file, never an existing one (or a link someone planted under that name).
        let mut options = private_options();
        options.create_new(true).write(true);
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        #[cfg(unix)]
        if let Some(dir) = dir {
            // Make the rename itself durable.
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Refuses a store whose directory other users can write to (they could replace the token file with their own,
/// or read a link planted as the temporary file); warns when its group can.
fn check_directory(path: &Path) -> Result<(), OAuthError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let Ok(metadata) = fs::metadata(dir) else { return Ok(()) };
        let mode = metadata.permissions().mode();
        if mode & 0o002 != 0 {
            return Err(store_error(
                path,
                format!(
                    "is in {}, which every user can write to, so another user could swap the tokens; keep it in a \
                     directory of your own (chmod 700), e.g. the default OAuthSettingsLocation",
                    dir.display()
                ),
            ));
        }
        if mode & 0o020 != 0 {
            tracing::warn!(directory = %dir.display(), "the OAuth token store's directory is writable by its group; run `chmod g-w` on it");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Whether users other than the owner may read `path` (it then should be `chmod 600`: it holds secrets).
pub fn readable_by_others(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

fn warn_if_readable_by_others(path: &Path) {
    if readable_by_others(path) {
        tracing::warn!(path = %path.display(), "the OAuth token file can be read by other users; run `chmod 600` on it");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TokenFile {
        TokenFile {
            format: FORMAT,
            deployment: "Cloud".into(),
            site_url: "https://acme.atlassian.net".into(),
            client_id: "cid".into(),
            access_token: Some("at-secret".into()),
            refresh_token: Some("rt-secret".into()),
            expires_at: Some(now_secs() + 3600),
            ..TokenFile::default()
        }
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("atlassian-oauth-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn saves_atomically_with_owner_only_mode_and_reads_back() {
        let dir = temp_dir("store");
        let path = dir.join("nested").join("tokens.json");
        let store = TokenStore::File(path.clone());
        assert!(store.load().unwrap().is_none());
        store.save(&sample()).unwrap();
        let back = store.load().unwrap().unwrap();
        assert_eq!(back.access_token.as_deref(), Some("at-secret"));
        assert!(back.updated_at > 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        }
        // Overwrites leave no temporary files behind.
        store.save(&sample()).unwrap();
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        assert!(!format!("{back:?}").contains("secret"));
        let _ = fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn logout_keeps_the_lock_others_wait_on() {
        let dir = temp_dir("remove");
        let store = TokenStore::File(dir.join("tokens.json"));
        store.save(&sample()).unwrap();
        assert!(store.remove().await.unwrap());
        assert!(!store.remove().await.unwrap());
        assert!(lock_path(&dir.join("tokens.json")).exists(), "the lock file stays");
        let _ = fs::remove_dir_all(dir);
    }

    /// A corrupt store once blocked `login`; it is moved aside with a warning instead.
    #[test]
    fn a_corrupt_file_is_moved_aside() {
        let dir = temp_dir("corrupt");
        create_private_dir(Some(&dir)).unwrap();
        let path = dir.join("tokens.json");
        fs::write(&path, "{not json").unwrap();
        let store = TokenStore::File(path.clone());
        assert!(store.load().unwrap().is_none());
        assert!(!path.exists());
        let aside: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("tokens.json.corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        store.save(&sample()).unwrap();
        assert!(store.load().unwrap().is_some(), "a new login can save again");
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn a_newer_format_is_left_alone() {
        let dir = temp_dir("newer");
        create_private_dir(Some(&dir)).unwrap();
        let path = dir.join("tokens.json");
        fs::write(&path, r#"{"format": 99, "tokens": {"shape": "unknown"}}"#).unwrap();
        let message = TokenStore::File(path.clone()).load().unwrap_err().to_string();
        assert!(message.contains("newer confluence-sql"), "{message}");
        assert!(path.exists(), "not moved aside");
        let _ = fs::remove_dir_all(dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("shared");
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let store = TokenStore::File(dir.join("tokens.json"));
        let message = store.load().unwrap_err().to_string();
        assert!(message.contains("every user can write to"), "{message}");
        assert!(store.save(&sample()).is_err());
        assert!(!dir.join("tokens.json").exists(), "nothing written there");
        let _ = fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn waiting_for_the_lock_has_a_limit() {
        let dir = temp_dir("lock-timeout");
        let store = TokenStore::File(dir.join("tokens.json"));
        let held = store.lock().await.unwrap();
        let message = store.lock_within(Duration::from_millis(100)).await.unwrap_err().to_string();
        assert!(message.contains("locked by another process"), "{message}");
        drop(held);
        assert!(store.lock_within(Duration::from_millis(100)).await.is_ok());
        let _ = fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn the_lock_is_exclusive_across_open_files() {
        let dir = temp_dir("lock");
        let store = TokenStore::File(dir.join("tokens.json"));
        let held = store.lock().await.unwrap();
        // A second open file description (as another process would have) cannot take it meanwhile.
        let other = OpenOptions::new().read(true).write(true).open(lock_path(&dir.join("tokens.json"))).unwrap();
        assert!(other.try_lock().is_err());
        drop(held);
        assert!(other.try_lock().is_ok());
        let _ = fs::remove_dir_all(dir);
    }

    #[test]
    fn memory_store_round_trips() {
        let store = TokenStore::open(&OAuthSettingsLocation::Memory);
        assert!(store.load().unwrap().is_none());
        store.save(&sample()).unwrap();
        assert!(store.load().unwrap().is_some());
        assert!(store.path().is_none());
    }
}

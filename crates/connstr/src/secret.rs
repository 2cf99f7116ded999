//! A string that must never be shown: API tokens, passwords, OAuth secrets and tokens.
//!
//! `Debug` and `Display` print a mask; the only way to read the value is [`Secret::expose`], which makes every
//! place that handles the clear text easy to find.

use std::fmt;

/// The mask printed in place of a secret value.
pub const MASK: &str = "********";

/// A secret string (token, password, client secret) that redacts itself in `Debug` and `Display`.
///
/// ```
/// use connstr::Secret;
/// let token = Secret::new("ATATT3xFfGF0");
/// assert_eq!(format!("{token}"), "********");
/// assert_eq!(format!("{token:?}"), "Secret(********)");
/// assert_eq!(token.expose(), "ATATT3xFfGF0");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The clear text. Call it only where the value is sent to the service or written to the token store.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s} {s:?} {s:#?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }
}

//! Where a request's `Authorization` header comes from. [`TokenSource`] is the one seam between HTTP and
//! authentication: this crate provides Basic (email + API token, or username + password) and bearer tokens
//! (Data Center personal access tokens); OAuth plugs in through the same trait.

use std::fmt;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use connstr::Secret;
use reqwest::header::HeaderValue;

use crate::error::RestError;

/// Supplies the `Authorization` header of each request.
#[async_trait]
pub trait TokenSource: Send + Sync + fmt::Debug {
    /// The header value for the next request (marked sensitive, so it is never logged).
    async fn authorization(&self) -> Result<HeaderValue, RestError>;

    /// Called once after a 401 answered the request sent with `rejected`. Returns true when a fresh credential was
    /// obtained and the request is worth retrying (an OAuth refresh, or a token another request already refreshed);
    /// static credentials return false.
    async fn refresh_after_unauthorized(&self, rejected: &HeaderValue) -> Result<bool, RestError> {
        let _ = rejected;
        Ok(false)
    }

    /// Which connection properties to check when the credentials are refused.
    fn hint(&self) -> String;
}

fn sensitive(value: &str) -> Result<HeaderValue, RestError> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        RestError::Config("the credentials contain characters that cannot be sent in an HTTP header".to_owned())
    })?;
    header.set_sensitive(true);
    Ok(header)
}

/// HTTP Basic: Cloud account email + API token, or Data Center username + password.
pub struct BasicAuth {
    user: String,
    secret: Secret,
    hint: String,
}

impl BasicAuth {
    /// Basic authentication for `user`; `hint` names the properties to check when it is refused.
    pub fn new(user: impl Into<String>, secret: Secret, hint: impl Into<String>) -> BasicAuth {
        BasicAuth { user: user.into(), secret, hint: hint.into() }
    }
}

impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth").field("user", &self.user).field("secret", &self.secret).finish()
    }
}

#[async_trait]
impl TokenSource for BasicAuth {
    async fn authorization(&self) -> Result<HeaderValue, RestError> {
        sensitive(&format!("Basic {}", STANDARD.encode(format!("{}:{}", self.user, self.secret.expose()))))
    }

    fn hint(&self) -> String {
        self.hint.clone()
    }
}

/// A bearer token used as is (a Data Center personal access token, or an OAuth access token given directly).
pub struct BearerToken {
    token: Secret,
    hint: String,
}

impl BearerToken {
    /// A bearer token; `hint` names the property to check when it is refused.
    pub fn new(token: Secret, hint: impl Into<String>) -> BearerToken {
        BearerToken { token, hint: hint.into() }
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerToken").field("token", &self.token).finish()
    }
}

#[async_trait]
impl TokenSource for BearerToken {
    async fn authorization(&self) -> Result<HeaderValue, RestError> {
        sensitive(&format!("Bearer {}", self.token.expose()))
    }

    fn hint(&self) -> String {
        self.hint.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn headers_are_sensitive_and_debug_is_masked() {
        let basic = BasicAuth::new("me@example.com", Secret::new("t0ken"), "User and APIToken");
        let header = basic.authorization().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(header.is_sensitive());
        assert_eq!(header.to_str().unwrap_or_default(), "Basic bWVAZXhhbXBsZS5jb206dDBrZW4=");
        assert!(!format!("{basic:?} {header:?}").contains("t0ken"));
        let bearer = BearerToken::new(Secret::new("p4t"), "PersonalAccessToken");
        assert!(!format!("{bearer:?}").contains("p4t"));
        assert!(!bearer.refresh_after_unauthorized(&header).await.unwrap_or(true));
    }
}

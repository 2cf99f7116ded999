//! Authorization codes, access tokens and refresh tokens, shared by both authorization servers. Refresh tokens
//! rotate as Atlassian's do: each refresh returns a new one, and the old one keeps working only for a short reuse
//! interval after its successor was issued; unused refresh tokens expire after a period of inactivity.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Which authorization server issued a grant (tokens of one are not accepted by the other's APIs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issuer {
    /// Atlassian Cloud 3LO.
    Cloud,
    /// Confluence Data Center's OAuth 2.0 provider.
    DataCenter,
}

/// A PKCE challenge attached to an authorization code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkceChallenge {
    /// The `code_challenge`.
    pub challenge: String,
    /// `S256` or `plain`.
    pub method: String,
}

/// An authorization code waiting to be exchanged.
#[derive(Clone, Debug)]
pub struct AuthCode {
    /// Who issued it.
    pub issuer: Issuer,
    /// The app.
    pub client_id: String,
    /// The redirect URI it was sent to (the exchange must repeat it).
    pub redirect_uri: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The user who consented.
    pub user: usize,
    /// PKCE, for Data Center.
    pub pkce: Option<PkceChallenge>,
    expires_at: Instant,
}

/// What an access token grants.
#[derive(Clone, Debug)]
pub struct AccessGrant {
    /// Who issued it.
    pub issuer: Issuer,
    /// The app.
    pub client_id: String,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// The user.
    pub user: usize,
    expires_at: Instant,
}

#[derive(Clone, Debug)]
struct RefreshGrant {
    issuer: Issuer,
    client_id: String,
    scopes: Vec<String>,
    user: usize,
    last_used: Instant,
    /// The refresh token that replaced this one, and when.
    successor: Option<(String, Instant)>,
}

/// A freshly issued token pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedTokens {
    /// The access token.
    pub access_token: String,
    /// The refresh token (only when `offline_access` was granted on Cloud; always on Data Center).
    pub refresh_token: Option<String>,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

/// Why a token request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantError {
    /// Unknown, used, expired or mismatched code or refresh token (`invalid_grant`).
    InvalidGrant(&'static str),
}

#[derive(Debug, Default)]
struct Registry {
    codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessGrant>,
    refresh: HashMap<String, RefreshGrant>,
}

/// The token registry of one simulator.
#[derive(Debug)]
pub struct TokenRegistry {
    inner: Mutex<Registry>,
    access_lifetime: Duration,
    reuse_interval: Duration,
    inactivity: Duration,
    code_lifetime: Duration,
}

/// A random, URL-safe token with a recognisable prefix.
pub fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: fall back to a time-derived value (the simulator's tokens guard nothing real).
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (crate::hash::mix(nanos as u64, &[i as u64]) & 0xff) as u8;
        }
    }
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl TokenRegistry {
    /// A registry with these lifetimes.
    pub fn new(
        access_lifetime: Duration,
        reuse_interval: Duration,
        inactivity: Duration,
        code_lifetime: Duration,
    ) -> Self {
        TokenRegistry {
            inner: Mutex::new(Registry::default()),
            access_lifetime,
            reuse_interval,
            inactivity,
            code_lifetime,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Issues an authorization code.
    pub fn issue_code(
        &self,
        issuer: Issuer,
        client_id: &str,
        redirect_uri: &str,
        scopes: Vec<String>,
        user: usize,
        pkce: Option<PkceChallenge>,
    ) -> String {
        let code = random_token("code-");
        let grant = AuthCode {
            issuer,
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scopes,
            user,
            pkce,
            expires_at: Instant::now() + self.code_lifetime,
        };
        self.lock().codes.insert(code.clone(), grant);
        code
    }

    /// Takes a code (codes are single-use): `None` when unknown, used or expired.
    pub fn take_code(&self, code: &str) -> Option<AuthCode> {
        self.lock().codes.remove(code).filter(|c| c.expires_at > Instant::now())
    }

    /// Issues tokens for a grant; a refresh token only when `with_refresh`.
    pub fn issue_tokens(
        &self,
        issuer: Issuer,
        client_id: &str,
        scopes: Vec<String>,
        user: usize,
        with_refresh: bool,
    ) -> IssuedTokens {
        let access_token = random_token(match issuer {
            Issuer::Cloud => "sim-at-",
            Issuer::DataCenter => "sim-dc-at-",
        });
        let now = Instant::now();
        let mut registry = self.lock();
        registry.access.insert(
            access_token.clone(),
            AccessGrant {
                issuer,
                client_id: client_id.to_owned(),
                scopes: scopes.clone(),
                user,
                expires_at: now + self.access_lifetime,
            },
        );
        let refresh_token = with_refresh.then(|| {
            let token = random_token("sim-rt-");
            registry.refresh.insert(
                token.clone(),
                RefreshGrant {
                    issuer,
                    client_id: client_id.to_owned(),
                    scopes: scopes.clone(),
                    user,
                    last_used: now,
                    successor: None,
                },
            );
            token
        });
        IssuedTokens { access_token, refresh_token, expires_in: self.access_lifetime.as_secs(), scopes }
    }

    /// Exchanges a refresh token for new tokens, rotating it.
    pub fn refresh(&self, issuer: Issuer, client_id: &str, refresh_token: &str) -> Result<IssuedTokens, GrantError> {
        let now = Instant::now();
        let grant = {
            let mut registry = self.lock();
            let grant = registry
                .refresh
                .get_mut(refresh_token)
                .filter(|g| g.issuer == issuer)
                .ok_or(GrantError::InvalidGrant("Unknown or invalid refresh token."))?;
            if grant.client_id != client_id {
                return Err(GrantError::InvalidGrant("Unknown or invalid refresh token."));
            }
            if now.duration_since(grant.last_used) > self.inactivity {
                return Err(GrantError::InvalidGrant("Unknown or invalid refresh token."));
            }
            if let Some((successor, at)) = &grant.successor {
                // Reuse within the interval gets the successor again (with a new access token); after it, refused.
                if now.duration_since(*at) > self.reuse_interval {
                    return Err(GrantError::InvalidGrant("Unknown or invalid refresh token."));
                }
                let successor = successor.clone();
                let (scopes, user) = (grant.scopes.clone(), grant.user);
                drop(registry);
                let mut tokens = self.issue_tokens(issuer, client_id, scopes, user, false);
                tokens.refresh_token = Some(successor);
                return Ok(tokens);
            }
            grant.clone()
        };
        let tokens = self.issue_tokens(issuer, client_id, grant.scopes.clone(), grant.user, true);
        let mut registry = self.lock();
        if let Some(old) = registry.refresh.get_mut(refresh_token) {
            old.successor = tokens.refresh_token.clone().map(|t| (t, now));
            old.last_used = now;
        }
        Ok(tokens)
    }

    /// What an access token grants, if it is known and not expired.
    pub fn access(&self, token: &str) -> Option<AccessGrant> {
        self.lock().access.get(token).filter(|g| g.expires_at > Instant::now()).cloned()
    }

    /// Whether the token is known but expired (for the error message).
    pub fn is_expired(&self, token: &str) -> bool {
        self.lock().access.get(token).is_some_and(|g| g.expires_at <= Instant::now())
    }

    /// Expires every access token now (refresh tokens keep working).
    pub fn expire_all_access_tokens(&self) {
        let now = Instant::now();
        for grant in self.lock().access.values_mut() {
            grant.expires_at = now;
        }
    }

    /// Revokes every refresh token (a user removing the app's access).
    pub fn revoke_all_refresh_tokens(&self) {
        self.lock().refresh.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(reuse: Duration) -> TokenRegistry {
        TokenRegistry::new(Duration::from_secs(3600), reuse, Duration::from_secs(3600), Duration::from_secs(60))
    }

    #[test]
    fn codes_are_single_use() {
        let r = registry(Duration::ZERO);
        let code = r.issue_code(Issuer::Cloud, "c", "http://localhost", vec![], 0, None);
        assert!(r.take_code(&code).is_some());
        assert!(r.take_code(&code).is_none());
    }

    #[test]
    fn refresh_tokens_rotate() {
        let r = registry(Duration::ZERO);
        let first = r.issue_tokens(Issuer::Cloud, "c", vec!["offline_access".into()], 0, true);
        let rt1 = first.refresh_token.unwrap_or_default();
        let second = r.refresh(Issuer::Cloud, "c", &rt1).unwrap_or_else(|_| unreachable!());
        let rt2 = second.refresh_token.clone().unwrap_or_default();
        assert_ne!(rt1, rt2);
        assert!(r.access(&second.access_token).is_some());
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(
            r.refresh(Issuer::Cloud, "c", &rt1),
            Err(GrantError::InvalidGrant("Unknown or invalid refresh token."))
        );
        assert!(r.refresh(Issuer::Cloud, "c", &rt2).is_ok());
        assert!(r.refresh(Issuer::Cloud, "other", &rt2).is_err());
        assert!(r.refresh(Issuer::DataCenter, "c", &rt2).is_err());
    }

    #[test]
    fn reuse_within_the_interval_returns_the_successor() {
        let r = registry(Duration::from_secs(60));
        let rt1 = r.issue_tokens(Issuer::Cloud, "c", vec![], 0, true).refresh_token.unwrap_or_default();
        let a = r.refresh(Issuer::Cloud, "c", &rt1).unwrap_or_else(|_| unreachable!());
        let b = r.refresh(Issuer::Cloud, "c", &rt1).unwrap_or_else(|_| unreachable!());
        assert_eq!(a.refresh_token, b.refresh_token);
        assert_ne!(a.access_token, b.access_token);
    }

    #[test]
    fn expiry() {
        let r = registry(Duration::ZERO);
        let t = r.issue_tokens(Issuer::Cloud, "c", vec![], 0, false);
        assert!(r.access(&t.access_token).is_some());
        r.expire_all_access_tokens();
        assert!(r.access(&t.access_token).is_none());
        assert!(r.is_expired(&t.access_token));
    }
}

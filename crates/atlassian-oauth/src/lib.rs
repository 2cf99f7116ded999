//! OAuth 2.0 for Confluence: Atlassian Cloud's three-legged OAuth (3LO, rotating refresh tokens, cloud-id
//! discovery through the API gateway) and Confluence Data Center's provider (authorization code with PKCE).
//!
//! - [`OAuthConfig`] takes the app, endpoints, scopes and `InitiateOAuth` mode from the connection's options.
//! - [`OAuthSession`] is a connection's OAuth state and its [`confluence_rest::TokenSource`]: stored or given
//!   tokens, refresh before expiry and after a 401 (single flight, under the store's lock, rotation-safe), the
//!   desktop flow (browser and loopback callback), and the web flow behind the `GetOAuthAuthorizationURL`,
//!   `GetOAuthAccessToken` and `RefreshOAuthAccessToken` procedures.
//! - [`TokenStore`] keeps tokens at `OAuthSettingsLocation`: a JSON file written atomically with mode 0600, or
//!   `memory://`.
//!
//! It knows nothing about SQL.

#![deny(missing_docs)]

pub mod browser;
pub mod callback;
pub mod config;
pub mod error;
pub mod grant;
pub mod session;
pub mod store;

pub use browser::{Browser, PrintUrl, SystemBrowser};
pub use config::OAuthConfig;
pub use error::OAuthError;
pub use grant::{AccessibleSite, AuthorizationRequest, GrantedTokens};
pub use session::{OAuthSession, TokenSet};
pub use store::{TokenFile, TokenStore};

//! What can go wrong obtaining, refreshing or storing OAuth tokens. Every message says what to do next, and none
//! contains a token, a client secret or an authorization code.

use std::path::PathBuf;

/// The errors of this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The connection settings cannot drive an OAuth flow (missing client id, a non-loopback callback...).
    #[error("{0}")]
    Config(String),
    /// No usable token, and the `InitiateOAuth` mode does not allow starting an authorization.
    #[error("{0}")]
    NotAuthorized(String),
    /// The authorization server refused a grant: a used, revoked or expired refresh token, or a bad code.
    #[error("the authorization server refused the {grant} ({error}{}). {hint}", describe(.description))]
    Refused {
        /// `refresh token` or `authorization code`.
        grant: &'static str,
        /// The OAuth error code (`invalid_grant`, `access_denied`...).
        error: String,
        /// The server's description.
        description: Option<String>,
        /// What to do.
        hint: String,
    },
    /// The user (or the server) ended the authorization at the consent page.
    #[error("the authorization was not granted: {error}{}. Start it again and choose Accept", describe(.description))]
    Denied {
        /// The OAuth error code from the callback (`access_denied`...).
        error: String,
        /// Its description.
        description: Option<String>,
    },
    /// The callback's `state` is not the one this authorization sent: the redirect belongs to another attempt, or
    /// was forged.
    #[error(
        "the OAuth callback's state does not match this authorization request (a stale or forged redirect); start \
         the authorization again"
    )]
    StateMismatch,
    /// `GetOAuthAccessToken` got a state that no pending authorization of this connection's store has.
    #[error(
        "the OAuth state is not one of an authorization this driver started (or it was used already, or started \
         more than an hour ago): call GetOAuthAuthorizationURL again, with the same OAuthSettingsLocation, and pass \
         the State it returns"
    )]
    UnknownState,
    /// The desktop flow cannot listen for the callback.
    #[error(
        "cannot listen for the OAuth callback on {address}: {source}. Close the program using that port, or choose \
         another CallbackURL (and register it in the app's settings)"
    )]
    CallbackPort {
        /// The loopback address from `CallbackURL`.
        address: String,
        /// Why binding failed.
        source: std::io::Error,
    },
    /// Nobody completed the authorization in time.
    #[error(
        "no OAuth callback arrived within {seconds} s; open the authorization URL, accept, and let the browser return \
         to {callback}"
    )]
    Timeout {
        /// How long the flow waited.
        seconds: u64,
        /// Where the browser should have returned.
        callback: String,
    },
    /// The token was granted, but no accessible Cloud site matches the connection.
    #[error("{0}")]
    SiteNotFound(String),
    /// The token endpoint or the API gateway could not be reached, or answered something unreadable.
    #[error("OAuth request to {url} failed: {message}")]
    Http {
        /// Scheme, host and path of the request.
        url: String,
        /// What failed.
        message: String,
    },
    /// The token store could not be read or written.
    #[error("OAuth token store {}: {message}", path.display())]
    Store {
        /// The `OAuthSettingsLocation` file.
        path: PathBuf,
        /// What failed, and what to do.
        message: String,
    },
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(text) if !text.is_empty() => format!(": {text}"),
        _ => String::new(),
    }
}

impl From<OAuthError> for confluence_rest::RestError {
    fn from(error: OAuthError) -> Self {
        confluence_rest::RestError::Authentication(error.to_string())
    }
}

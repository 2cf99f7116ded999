//! Connection strings for confluence-sql: the ADO.NET grammar and the typed, validated settings.
//!
//! Parsing happens in two stages, each with precise errors:
//! 1. [`ConnectionString::parse`] applies the grammar of `connstr-spec.md` (pairs, quoting, escaping) and reports
//!    byte offsets with a caret excerpt;
//! 2. [`ConnectionOptions::parse`] maps names and synonyms to properties, validates every value, resolves `Auto`,
//!    fills in defaults and checks that the authentication scheme has what it needs.
//!
//! Secrets are wrapped in [`Secret`] and masked in every `Display`, `Debug` and error message.
//! This crate does no I/O.
//!
//! ```
//! use connstr::{ConnectionOptions, ConnStrError};
//! let err = ConnectionOptions::parse("Url=https://x.atlassian.net;OAuthClientID2=abc").unwrap_err();
//! assert!(matches!(err, ConnStrError::UnknownProperty { suggestion: Some("OAuthClientId"), .. }));
//! ```

#![deny(missing_docs)]

mod builder;
mod error;
mod excerpt;
mod grammar;
mod options;
pub mod properties;
mod secret;
mod validate;
mod values;

pub use builder::{quote_value, ConnectionStringBuilder};
pub use error::ConnStrError;
pub use excerpt::Excerpt;
pub use grammar::{redact, ConnectionString, RawPair};
pub use options::{ConnectionOptions, DisplayValue, OAuthOptions, PropertyValue, ProxyUrl, ValueSource, Warning};
pub use properties::is_secret_key;
pub use secret::{Secret, MASK};
pub use validate::{
    default_user_agent, API_TOKEN_PAGE, ATLASSIAN_API_URL, CLOUD_ACCESS_TOKEN_URL, CLOUD_AUTHORIZATION_URL,
    DEFAULT_CALLBACK_URL, DEFAULT_CLOUD_SCOPES, DEFAULT_DATA_CENTER_SCOPES,
};
pub use values::{
    AuthScheme, CloudId, ConflictPolicy, Deployment, InitiateOAuth, LocalFiles, LogLevel, OAuthSettingsLocation,
    OAuthVersion, SpaceKey, UnknownChoice, UseGateway,
};

//! Stage two: [`ConnectionOptions`], the typed and validated settings of a connection, with every default filled in
//! and every `Auto` resolved. [`crate::validate`] builds them from a parsed [`ConnectionString`].

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use url::Url;

use crate::builder::ConnectionStringBuilder;
use crate::error::ConnStrError;
use crate::grammar::ConnectionString;
use crate::properties::{PropertyInfo, PROPERTIES};
use crate::secret::{Secret, MASK};
use crate::values::{
    AuthScheme, CloudId, ConflictPolicy, Deployment, InitiateOAuth, LocalFiles, LogLevel, OAuthSettingsLocation,
    SpaceKey, UseGateway,
};

/// The settings of one connection: typed, validated, defaults filled in, secrets wrapped in [`Secret`].
///
/// ```
/// use connstr::{AuthScheme, ConnectionOptions, Deployment};
/// let options = ConnectionOptions::parse(
///     "Url=https://example.atlassian.net;User=me@example.com;APIToken=ATATT3x",
/// ).unwrap();
/// assert_eq!(options.auth_scheme, AuthScheme::Basic);
/// assert_eq!(options.deployment, Deployment::Cloud);
/// assert_eq!(options.max_concurrency, 8);
/// assert!(!options.to_string().contains("ATATT3x"));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ConnectionOptions {
    /// The site, without a trailing `/` (Cloud: the site root, `/wiki` removed; Data Center: with its context path).
    pub url: Url,
    /// Cloud or Data Center (resolved from the Url when `Auto`).
    pub deployment: Deployment,
    /// How to authenticate (resolved from the credentials when `Auto`).
    pub auth_scheme: AuthScheme,
    /// Basic authentication's account: email (Cloud) or username (Data Center).
    pub user: Option<String>,
    /// Cloud API token for Basic authentication.
    pub api_token: Option<Secret>,
    /// Data Center password for Basic authentication.
    pub password: Option<Secret>,
    /// Data Center personal access token.
    pub personal_access_token: Option<Secret>,
    /// OAuth settings (meaningful when `auth_scheme` is an OAuth scheme; defaults filled in otherwise).
    pub oauth: OAuthOptions,
    /// Per-request timeout; `None` waits forever.
    pub timeout: Option<Duration>,
    /// At most this many HTTP requests in flight per connection.
    pub max_concurrency: usize,
    /// Items per API page; `None` asks each endpoint for its maximum.
    pub page_size: Option<u32>,
    /// Stop every query after this many rows; `None` means no limit.
    pub max_rows: Option<u64>,
    /// Restrict every scan to these spaces; empty means all spaces.
    pub spaces: Vec<SpaceKey>,
    /// Include archived spaces and content in scans.
    pub include_archived: bool,
    /// Allow UPDATE/DELETE without a WHERE clause pinning rows by id.
    pub allow_unbounded_writes: bool,
    /// Refuse every write to Confluence.
    pub read_only: bool,
    /// What an UPDATE does on a concurrent edit.
    pub conflict_policy: ConflictPolicy,
    /// Whether a Cloud API-token connection goes through the API gateway.
    pub use_gateway: UseGateway,
    /// An HTTP(S) or SOCKS proxy for every request.
    pub proxy_url: Option<ProxyUrl>,
    /// Extra certificate authorities to trust (a PEM file).
    pub trusted_ca_file: Option<std::path::PathBuf>,
    /// Whether credentials may cross the network over plain HTTP.
    pub allow_insecure_http: bool,
    /// The most pages one list may take.
    pub max_pages: usize,
    /// The largest response body read, in bytes.
    pub max_response_bytes: u64,
    /// Whether SQL may read or write local files.
    pub local_files: LocalFiles,
    /// Whether SQL may change engine settings with `SET`.
    pub allow_session_settings: bool,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// How much the driver logs.
    pub log_level: LogLevel,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) sources: BTreeMap<&'static str, ValueSource>,
}

/// The OAuth part of [`ConnectionOptions`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OAuthOptions {
    /// The app's client id.
    pub client_id: Option<String>,
    /// The app's client secret.
    pub client_secret: Option<Secret>,
    /// The redirect URL registered with the app.
    pub callback_url: Url,
    /// When the driver may start or refresh an authorization.
    pub initiate: InitiateOAuth,
    /// An access token to use as is.
    pub access_token: Option<Secret>,
    /// A refresh token for unattended connections.
    pub refresh_token: Option<Secret>,
    /// Where tokens are kept between connections.
    pub settings_location: OAuthSettingsLocation,
    /// The authorization code to exchange (web flow).
    pub verifier: Option<Secret>,
    /// The scopes to request.
    pub scopes: Vec<String>,
    /// The Cloud site id, when given (else discovered).
    pub cloud_id: Option<CloudId>,
    /// The authorization endpoint.
    pub authorization_url: Url,
    /// The token endpoint.
    pub access_token_url: Url,
    /// The Cloud API gateway (accessible-resources and `/ex/confluence/{cloudid}`).
    pub atlassian_api_url: Url,
}

/// A proxy URL whose password (if any) is masked in `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl(Url);

impl ProxyUrl {
    pub(crate) fn new(url: Url) -> Self {
        ProxyUrl(url)
    }

    /// The URL with its credentials, to hand to the HTTP client.
    pub fn expose(&self) -> &Url {
        &self.0
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.0.clone();
        if shown.password().is_some() {
            // Setting a password cannot fail on a URL that already has one.
            let _ = shown.set_password(Some(MASK));
        }
        f.write_str(shown.as_str())
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProxyUrl({self})")
    }
}

/// Something accepted but probably not what the user meant; `connstr check` prints these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The property concerned, when there is one.
    pub property: Option<&'static str>,
    /// What was noticed and what to do.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Where a property's effective value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueSource {
    /// Written in the connection string.
    Given,
    /// Not written: the default applies.
    Default,
    /// `Auto` (written or defaulted) resolved to a concrete value.
    Resolved,
}

impl ValueSource {
    /// A lower-case word for tables.
    pub fn as_str(&self) -> &'static str {
        match self {
            ValueSource::Given => "given",
            ValueSource::Default => "default",
            ValueSource::Resolved => "auto",
        }
    }
}

/// A property's effective value, ready to print: secrets are only ever [`DisplayValue::Masked`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DisplayValue {
    /// Not set and no default.
    Unset,
    /// A secret that is set (its value is never shown).
    Masked,
    /// Text, URLs, enum names, paths.
    Text(String),
    /// Whole numbers.
    Integer(i64),
    /// Booleans.
    Bool(bool),
    /// Lists (`Spaces`, `Scope`).
    List(Vec<String>),
}

impl fmt::Display for DisplayValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisplayValue::Unset => Ok(()),
            DisplayValue::Masked => f.write_str(MASK),
            DisplayValue::Text(text) => f.write_str(text),
            DisplayValue::Integer(n) => write!(f, "{n}"),
            DisplayValue::Bool(b) => write!(f, "{b}"),
            DisplayValue::List(items) => f.write_str(&items.join(",")),
        }
    }
}

/// One row of [`ConnectionOptions::properties`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyValue {
    /// The property's registry entry (canonical name, type, documentation).
    pub info: &'static PropertyInfo,
    /// Its effective value, secrets masked.
    pub value: DisplayValue,
    /// Where the value came from.
    pub source: ValueSource,
}

impl ConnectionOptions {
    /// Parses and validates a connection string: grammar errors, unknown properties, bad values and missing
    /// credentials all come back as a [`ConnStrError`] that says what to fix.
    pub fn parse(text: &str) -> Result<ConnectionOptions, ConnStrError> {
        let parsed = ConnectionString::parse(text)?;
        Self::from_connection_string(&parsed)
    }

    /// Validates an already parsed connection string.
    pub fn from_connection_string(parsed: &ConnectionString) -> Result<ConnectionOptions, ConnStrError> {
        crate::validate::validate(parsed)
    }

    /// What was accepted but looks like a mistake (ignored properties, repeated keys, plain HTTP...).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The site URL as text, without a trailing `/`.
    pub fn site_url(&self) -> &str {
        self.url.as_str().trim_end_matches('/')
    }

    /// Where the value of property `name` (canonical) came from.
    pub fn source_of(&self, name: &str) -> ValueSource {
        self.sources.get(name).copied().unwrap_or(ValueSource::Default)
    }

    /// Every property with its effective value and source, in the order of `connstr-spec.md`.
    pub fn properties(&self) -> Vec<PropertyValue> {
        PROPERTIES
            .iter()
            .map(|info| PropertyValue { info, value: self.display_value(info.name), source: self.source_of(info.name) })
            .collect()
    }

    fn display_value(&self, name: &str) -> DisplayValue {
        fn text(value: impl ToString) -> DisplayValue {
            DisplayValue::Text(value.to_string())
        }
        fn opt_text(value: Option<impl ToString>) -> DisplayValue {
            value.map_or(DisplayValue::Unset, text)
        }
        fn secret(value: &Option<Secret>) -> DisplayValue {
            if value.is_some() {
                DisplayValue::Masked
            } else {
                DisplayValue::Unset
            }
        }
        fn url(value: &Url) -> DisplayValue {
            DisplayValue::Text(value.as_str().trim_end_matches('/').to_owned())
        }
        let oauth = &self.oauth;
        match name {
            "Url" => text(self.site_url()),
            "AuthScheme" => text(self.auth_scheme),
            "User" => opt_text(self.user.as_ref()),
            "APIToken" => secret(&self.api_token),
            "Password" => secret(&self.password),
            "PersonalAccessToken" => secret(&self.personal_access_token),
            "OAuthClientId" => opt_text(oauth.client_id.as_ref()),
            "OAuthClientSecret" => secret(&oauth.client_secret),
            "CallbackURL" => url(&oauth.callback_url),
            "InitiateOAuth" => text(oauth.initiate),
            "OAuthVersion" => text("2.0"),
            "OAuthAccessToken" => secret(&oauth.access_token),
            "OAuthRefreshToken" => secret(&oauth.refresh_token),
            "OAuthSettingsLocation" => text(&oauth.settings_location),
            "OAuthVerifier" => secret(&oauth.verifier),
            "Scope" => DisplayValue::List(oauth.scopes.clone()),
            "CloudId" => opt_text(oauth.cloud_id.as_ref()),
            "Deployment" => text(self.deployment),
            "Timeout" => DisplayValue::Integer(self.timeout.map_or(0, |t| t.as_secs() as i64)),
            "MaxConcurrency" => DisplayValue::Integer(self.max_concurrency as i64),
            "PageSize" => DisplayValue::Integer(self.page_size.map_or(0, i64::from)),
            "MaxRows" => DisplayValue::Integer(self.max_rows.map_or(-1, |n| n as i64)),
            "Spaces" => DisplayValue::List(self.spaces.iter().map(ToString::to_string).collect()),
            "IncludeArchived" => DisplayValue::Bool(self.include_archived),
            "AllowUnboundedWrites" => DisplayValue::Bool(self.allow_unbounded_writes),
            "ReadOnly" => DisplayValue::Bool(self.read_only),
            "ConflictPolicy" => text(self.conflict_policy),
            "UseGateway" => text(self.use_gateway),
            "ProxyUrl" => opt_text(self.proxy_url.as_ref()),
            "TrustedCaFile" => opt_text(self.trusted_ca_file.as_ref().map(|p| p.display())),
            "AllowInsecureHttp" => DisplayValue::Bool(self.allow_insecure_http),
            "MaxPages" => DisplayValue::Integer(self.max_pages as i64),
            "MaxResponseSize" => DisplayValue::Integer((self.max_response_bytes / (1024 * 1024)) as i64),
            "LocalFiles" => text(self.local_files),
            "AllowSessionSettings" => DisplayValue::Bool(self.allow_session_settings),
            "UserAgent" => text(&self.user_agent),
            "LogLevel" => text(self.log_level),
            "OAuthAuthorizationURL" => url(&oauth.authorization_url),
            "OAuthAccessTokenURL" => url(&oauth.access_token_url),
            "AtlassianApiUrl" => url(&oauth.atlassian_api_url),
            _ => DisplayValue::Unset,
        }
    }
}

/// The effective settings as a canonical connection string (every property that has a value, secrets masked):
/// safe to log, and a complete record of what the connection will do.
impl fmt::Display for ConnectionOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut builder = ConnectionStringBuilder::new();
        for property in self.properties() {
            let value = match &property.value {
                DisplayValue::Unset => continue,
                DisplayValue::List(items) if property.info.name == "Scope" => items.join(" "),
                DisplayValue::List(items) if items.is_empty() => continue,
                other => other.to_string(),
            };
            if builder.push(property.info.name, &value).is_err() {
                return Err(fmt::Error);
            }
        }
        f.write_str(&builder.build())
    }
}

//! Typed values of connection properties: closed sets as enums, identifiers as newtypes.

use std::fmt;
use std::path::PathBuf;

/// How the driver authenticates (the `AuthScheme` property, after `Auto` is resolved).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthScheme {
    /// Account email (Cloud) or username (Data Center) with an API token or password, as HTTP Basic.
    Basic,
    /// A Data Center personal access token, as `Authorization: Bearer`.
    Pat,
    /// OAuth 2.0 authorization code (Cloud 3LO: confidential client with a secret).
    OAuth,
    /// OAuth 2.0 authorization code with PKCE (Data Center, public clients).
    OAuthPkce,
}

impl AuthScheme {
    /// The name used in connection strings.
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthScheme::Basic => "Basic",
            AuthScheme::Pat => "PAT",
            AuthScheme::OAuth => "OAuth",
            AuthScheme::OAuthPkce => "OAuthPKCE",
        }
    }

    /// Whether the scheme is one of the OAuth ones.
    pub fn is_oauth(&self) -> bool {
        matches!(self, AuthScheme::OAuth | AuthScheme::OAuthPkce)
    }
}

impl fmt::Display for AuthScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When the driver may start or refresh an OAuth authorization (the `InitiateOAuth` property).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InitiateOAuth {
    /// Never start a flow or refresh: use the tokens given or stored (web apps drive the flow with the stored
    /// procedures).
    Off,
    /// Use stored tokens, refresh them, and run the browser flow when there are none (desktop apps).
    GetAndRefresh,
    /// Refresh only; never open a browser (unattended services).
    Refresh,
}

impl InitiateOAuth {
    /// The name used in connection strings.
    pub fn as_str(&self) -> &'static str {
        match self {
            InitiateOAuth::Off => "OFF",
            InitiateOAuth::GetAndRefresh => "GETANDREFRESH",
            InitiateOAuth::Refresh => "REFRESH",
        }
    }
}

impl fmt::Display for InitiateOAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which product the site runs (the `Deployment` property, after `Auto` is resolved).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Deployment {
    /// Confluence Cloud (`*.atlassian.net`): REST v2 and v1 under `/wiki`, OAuth through auth.atlassian.com.
    Cloud,
    /// Confluence Data Center (or Server): REST under `{Url}/rest/api`, OAuth 2.0 provider with PKCE.
    DataCenter,
}

impl Deployment {
    /// The name used in connection strings.
    pub fn as_str(&self) -> &'static str {
        match self {
            Deployment::Cloud => "Cloud",
            Deployment::DataCenter => "DataCenter",
        }
    }
}

impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much the driver logs (the `LogLevel` property).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// Nothing.
    Off,
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warn,
    /// Plus one line per query and per authorization step.
    Info,
    /// Plus one line per HTTP request.
    Debug,
    /// Everything, including response sizes and timings (still never a secret).
    Trace,
}

impl LogLevel {
    /// The name used in connection strings (lower case, as `tracing` filters write it).
    pub fn as_str(&self) -> &'static str {
        match self {
            LogLevel::Off => "off",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether SQL may touch the machine's files (the `LocalFiles` property).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LocalFiles {
    /// No: queries, `EXPLAIN` and the procedures only (the default, and always for remote clients).
    #[default]
    None,
    /// `CREATE EXTERNAL TABLE` over local files (and the `CREATE`/`DROP` of views and tables in memory).
    Read,
    /// Also `COPY ... TO` a local file and `INSERT INTO` an external table.
    ReadWrite,
}

impl LocalFiles {
    /// The name used in connection strings.
    pub fn as_str(&self) -> &'static str {
        match self {
            LocalFiles::None => "None",
            LocalFiles::Read => "Read",
            LocalFiles::ReadWrite => "ReadWrite",
        }
    }
}

impl fmt::Display for LocalFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where OAuth tokens are kept between connections (the `OAuthSettingsLocation` property).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum OAuthSettingsLocation {
    /// `memory://`: tokens live in this process only and are lost when it exits.
    Memory,
    /// A JSON file, written atomically with mode 0600.
    File(PathBuf),
}

impl fmt::Display for OAuthSettingsLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OAuthSettingsLocation::Memory => f.write_str("memory://"),
            OAuthSettingsLocation::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A Confluence space key, e.g. `ENG` or the personal space key `~5b10a2844c20165700ede21g`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpaceKey(String);

impl SpaceKey {
    /// Checks that `key` can be a space key: letters, digits, `_`, `-`, `.`, and a leading `~` for personal spaces.
    pub fn parse(key: &str) -> Result<SpaceKey, String> {
        let body = key.strip_prefix('~').unwrap_or(key);
        if body.is_empty() {
            return Err("a space key cannot be empty".to_owned());
        }
        if let Some(bad) = body.chars().find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
            return Err(format!("space key {key:?} contains {bad:?}; space keys are letters and digits"));
        }
        Ok(SpaceKey(key.to_owned()))
    }

    /// The key as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SpaceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Atlassian Cloud site id (a UUID), which routes OAuth calls through the API gateway.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CloudId(String);

impl CloudId {
    /// Checks that `id` has the form of a UUID (`8-4-4-4-12` hex digits).
    pub fn parse(id: &str) -> Result<CloudId, String> {
        let groups: Vec<&str> = id.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        let hex = groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
        if lengths == [8, 4, 4, 4, 12] && hex {
            Ok(CloudId(id.to_ascii_lowercase()))
        } else {
            Err(format!(
                "{id:?} is not a cloud id; a cloud id is a UUID like 1324a887-45db-1bf4-1e99-ef0ff456d421 \
                 (leave CloudId out to discover it from Url)"
            ))
        }
    }

    /// The id, lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CloudId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_keys() {
        for ok in ["ENG", "ds", "~5b10a2844c20165700ede21g", "~jsmith", "TEAM_1", "Ünï"] {
            assert!(SpaceKey::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "~", "A B", "A'B", "A;B"] {
            assert!(SpaceKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cloud_ids() {
        assert_eq!(
            CloudId::parse("1324A887-45db-1bf4-1e99-ef0ff456d421").map(|c| c.to_string()),
            Ok("1324a887-45db-1bf4-1e99-ef0ff456d421".to_owned())
        );
        assert!(CloudId::parse("mysite").is_err());
        assert!(CloudId::parse("1324a887-45db-1bf4-1e99-ef0ff456d42g").is_err());
    }
}

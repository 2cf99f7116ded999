//! Typed values of connection properties: closed sets as enums, identifiers as newtypes.

use std::fmt;
use std::path::PathBuf;

/// A value that is not one of a property's names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownChoice {
    /// The text given.
    pub text: String,
    /// The accepted names.
    pub valid: &'static [&'static str],
}

impl fmt::Display for UnknownChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not one of {}", self.text, self.valid.join(", "))
    }
}

/// Declares a closed set of property values: the enum, its canonical names in documentation order (`NAMES`, and
/// `WITH_AUTO` for properties that also take `Auto`), other accepted spellings (`ALIASES`), `as_str`, `Display`,
/// and `FromStr` (case-insensitive, aliases included). The property registry's lists of valid values are these.
macro_rules! choice {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
        aliases { $($alias:literal => $target:ident),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant),+
        }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The canonical names, in documentation order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];
            /// The canonical names after `Auto`, for properties that resolve `Auto` to one of them.
            pub const WITH_AUTO: &'static [&'static str] = &["Auto", $($text),+];
            /// Other accepted spellings, each with the value it means.
            pub const ALIASES: &'static [(&'static str, $name)] = &[$(($alias, $name::$target)),*];

            /// The name used in connection strings.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownChoice;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let text = text.trim();
                $name::ALL
                    .iter()
                    .find(|v| v.as_str().eq_ignore_ascii_case(text))
                    .or_else(|| $name::ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(text)).map(|(_, v)| v))
                    .copied()
                    .ok_or_else(|| UnknownChoice { text: text.to_owned(), valid: $name::NAMES })
            }
        }
    };
}

choice! {
    /// How the driver authenticates (the `AuthScheme` property, after `Auto` is resolved).
    AuthScheme {
        /// Account email (Cloud) or username (Data Center) with an API token or password, as HTTP Basic.
        Basic = "Basic",
        /// A Data Center personal access token, as `Authorization: Bearer`.
        Pat = "PAT",
        /// OAuth 2.0 authorization code (Cloud 3LO: confidential client with a secret).
        OAuth = "OAuth",
        /// OAuth 2.0 authorization code with PKCE (Data Center, public clients).
        OAuthPkce = "OAuthPKCE",
    }
    aliases { "APIToken" => Basic, "PersonalAccessToken" => Pat, "PKCE" => OAuthPkce }
}

impl AuthScheme {
    /// Whether the scheme is one of the OAuth ones.
    pub fn is_oauth(&self) -> bool {
        matches!(self, AuthScheme::OAuth | AuthScheme::OAuthPkce)
    }
}

choice! {
    /// When the driver may start or refresh an OAuth authorization (the `InitiateOAuth` property).
    InitiateOAuth {
        /// Never start a flow or refresh: use the tokens given or stored (web apps drive the flow with the stored
        /// procedures).
        Off = "OFF",
        /// Use stored tokens, refresh them, and run the browser flow when there are none (desktop apps).
        GetAndRefresh = "GETANDREFRESH",
        /// Refresh only; never open a browser (unattended services).
        Refresh = "REFRESH",
    }
    aliases {}
}

choice! {
    /// Which product the site runs (the `Deployment` property, after `Auto` is resolved).
    Deployment {
        /// Confluence Cloud (`*.atlassian.net`): REST v2 and v1 under `/wiki`, OAuth through auth.atlassian.com.
        Cloud = "Cloud",
        /// Confluence Data Center (or Server): REST under `{Url}/rest/api`, OAuth 2.0 provider with PKCE.
        DataCenter = "DataCenter",
    }
    aliases { "Server" => DataCenter, "DC" => DataCenter }
}

choice! {
    /// The OAuth protocol version (the `OAuthVersion` property): only OAuth 2.0.
    OAuthVersion {
        /// OAuth 2.0.
        V2 = "2.0",
    }
    aliases {}
}

choice! {
    /// How much the driver logs (the `LogLevel` property).
    LogLevel {
        /// Nothing.
        Off = "off",
        /// Errors only.
        Error = "error",
        /// Errors and warnings.
        Warn = "warn",
        /// Plus one line per query and per authorization step.
        Info = "info",
        /// Plus one line per HTTP request.
        Debug = "debug",
        /// Everything, including response sizes and timings (still never a secret).
        Trace = "trace",
    }
    aliases { "warning" => Warn, "none" => Off }
}

impl PartialOrd for LogLevel {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for LogLevel {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |level: &LogLevel| LogLevel::ALL.iter().position(|l| l == level);
        rank(self).cmp(&rank(other))
    }
}

choice! {
    /// Whether SQL may touch the machine's files (the `LocalFiles` property).
    #[derive(Default)]
    LocalFiles {
        /// No: queries, `EXPLAIN` and the procedures only (the default, and always for remote clients).
        #[default]
        None = "None",
        /// `CREATE EXTERNAL TABLE` over local files (and the `CREATE`/`DROP` of views and tables in memory).
        Read = "Read",
        /// Also `COPY ... TO` a local file and `INSERT INTO` an external table.
        ReadWrite = "ReadWrite",
    }
    aliases {}
}

choice! {
    /// Whether a Cloud connection with an API token goes through Atlassian's API gateway (the `UseGateway`
    /// property): scoped API tokens work only there.
    #[derive(Default)]
    UseGateway {
        /// The site; a 401 from it suggests `UseGateway=true` (the default).
        #[default]
        Auto = "Auto",
        /// `{AtlassianApiUrl}/ex/confluence/{CloudId}`, the site's id given or read from `/_edge/tenant_info`.
        True = "true",
        /// The site, always.
        False = "false",
    }
    aliases { "yes" => True, "on" => True, "1" => True, "no" => False, "off" => False, "0" => False }
}

choice! {
    /// What an `UPDATE` does when someone else saved the page since it was read (the `ConflictPolicy` property).
    #[derive(Default)]
    ConflictPolicy {
        /// Stop with a conflict error naming the page and both versions (the default).
        #[default]
        Fail = "Fail",
        /// Read the page again and save the statement's new values over the newer version (a few times at most).
        Retry = "Retry",
    }
    aliases {}
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

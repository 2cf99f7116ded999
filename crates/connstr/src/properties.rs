//! The registry of connection properties: canonical names, synonyms, types, defaults, valid values and which
//! authentication schemes use each. `connstr-spec.md` documents exactly this table (a test keeps them in sync), and
//! [`crate::options`] validates against it.

use crate::values::{
    AuthScheme, ConflictPolicy, Deployment, InitiateOAuth, LocalFiles, LogLevel, OAuthVersion, UseGateway,
};

/// The type of a property's value, which decides how it is validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Free text.
    Text,
    /// Free text that is a credential: masked in every output.
    Secret,
    /// An absolute `http`/`https` URL.
    Url,
    /// One of a closed set of names, matched case-insensitively.
    Choice(&'static [&'static str]),
    /// `true`/`false` (also `yes`/`no`, `on`/`off`, `1`/`0`).
    Bool,
    /// A whole number in an inclusive range.
    Integer {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// A comma-separated list.
    List,
    /// A list separated by spaces or commas.
    SpaceList,
    /// A file path or `memory://`.
    Location,
    /// A file path.
    File,
}

impl ValueKind {
    /// The type's name as `connstr-spec.md` writes it.
    pub fn spec_name(&self) -> &'static str {
        match self {
            ValueKind::Text => "string",
            ValueKind::Secret => "secret",
            ValueKind::Url => "url",
            ValueKind::Choice(_) => "enum",
            ValueKind::Bool => "bool",
            ValueKind::Integer { .. } => "integer",
            ValueKind::List => "list",
            ValueKind::SpaceList => "space- or comma-separated list",
            ValueKind::Location | ValueKind::File => "path",
        }
    }
}

/// Which authentication schemes a property matters to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsedBy {
    /// Every connection.
    All,
    /// Only these schemes; given with another scheme, it is ignored with a warning.
    Schemes(&'static [AuthScheme]),
}

impl UsedBy {
    /// Whether a connection with `scheme` uses the property.
    pub fn includes(&self, scheme: AuthScheme) -> bool {
        match self {
            UsedBy::All => true,
            UsedBy::Schemes(list) => list.contains(&scheme),
        }
    }
}

/// Everything known about one connection property.
#[derive(Clone, Copy, Debug)]
pub struct PropertyInfo {
    /// The canonical name, as written in `connstr-spec.md` and in normalised output.
    pub name: &'static str,
    /// Other accepted names.
    pub synonyms: &'static [&'static str],
    /// The value's type.
    pub kind: ValueKind,
    /// The default, as documented (some are derived from other properties).
    pub default: &'static str,
    /// Which authentication schemes use it.
    pub used_by: UsedBy,
    /// One sentence on what it is for.
    pub description: &'static str,
}

impl PropertyInfo {
    /// Whether the value is a credential that must be masked.
    pub fn is_secret(&self) -> bool {
        self.kind == ValueKind::Secret
    }
}

/// Properties are identified by their canonical name.
impl PartialEq for PropertyInfo {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for PropertyInfo {}

const OAUTH: &[AuthScheme] = &[AuthScheme::OAuth, AuthScheme::OAuthPkce];
const BASIC: &[AuthScheme] = &[AuthScheme::Basic];
const PAT: &[AuthScheme] = &[AuthScheme::Pat];
const BASIC_AND_OAUTH: &[AuthScheme] = &[AuthScheme::Basic, AuthScheme::OAuth, AuthScheme::OAuthPkce];

/// Valid `AuthScheme` values.
pub const AUTH_SCHEMES: &[&str] = AuthScheme::WITH_AUTO;
/// Valid `InitiateOAuth` values.
pub const INITIATE_OAUTH: &[&str] = InitiateOAuth::NAMES;
/// Valid `Deployment` values.
pub const DEPLOYMENTS: &[&str] = Deployment::WITH_AUTO;
/// Valid `OAuthVersion` values.
pub const OAUTH_VERSIONS: &[&str] = OAuthVersion::NAMES;
/// Valid `LocalFiles` values.
pub const LOCAL_FILES: &[&str] = LocalFiles::NAMES;
/// Valid `ConflictPolicy` values.
pub const CONFLICT_POLICIES: &[&str] = ConflictPolicy::NAMES;
/// Valid `UseGateway` values.
pub const USE_GATEWAY: &[&str] = UseGateway::NAMES;
/// Valid `LogLevel` values.
pub const LOG_LEVELS: &[&str] = LogLevel::NAMES;

/// Every connection property, in the order `connstr-spec.md` lists them.
pub static PROPERTIES: &[PropertyInfo] = &[
    PropertyInfo {
        name: "Url",
        synonyms: &["Site", "Server", "BaseUrl"],
        kind: ValueKind::Url,
        default: "(required)",
        used_by: UsedBy::All,
        description: "The Confluence site: https://yoursite.atlassian.net for Cloud, the base URL for Data Center.",
    },
    PropertyInfo {
        name: "AuthScheme",
        synonyms: &["AuthenticationScheme", "Authentication"],
        kind: ValueKind::Choice(AUTH_SCHEMES),
        default: "Auto",
        used_by: UsedBy::All,
        description: "How to authenticate; Auto picks from the credentials given.",
    },
    PropertyInfo {
        name: "User",
        synonyms: &["Username", "UserId", "UID", "Email"],
        kind: ValueKind::Text,
        default: "",
        used_by: UsedBy::Schemes(BASIC),
        description: "The account's email (Cloud) or username (Data Center) for Basic authentication.",
    },
    PropertyInfo {
        name: "APIToken",
        synonyms: &["ApiKey"],
        kind: ValueKind::Secret,
        default: "",
        used_by: UsedBy::Schemes(BASIC),
        description: "A Cloud API token, sent with User as Basic authentication.",
    },
    PropertyInfo {
        name: "Password",
        synonyms: &["PWD"],
        kind: ValueKind::Secret,
        default: "",
        used_by: UsedBy::Schemes(BASIC),
        description: "A Data Center account password, sent with User as Basic authentication.",
    },
    PropertyInfo {
        name: "PersonalAccessToken",
        synonyms: &["PAT"],
        kind: ValueKind::Secret,
        default: "",
        used_by: UsedBy::Schemes(PAT),
        description: "A Data Center personal access token, sent as a Bearer token.",
    },
    PropertyInfo {
        name: "OAuthClientId",
        synonyms: &["ClientId"],
        kind: ValueKind::Text,
        default: "",
        used_by: UsedBy::Schemes(OAUTH),
        description: "The OAuth app's client id (Cloud developer console, or Data Center application link).",
    },
    PropertyInfo {
        name: "OAuthClientSecret",
        synonyms: &["ClientSecret"],
        kind: ValueKind::Secret,
        default: "",
        used_by: UsedBy::Schemes(OAUTH),
        description: "The OAuth app's client secret.",
    },
    PropertyInfo {
        name: "CallbackURL",
        synonyms: &["RedirectUri", "RedirectUrl"],
        kind: ValueKind::Url,
        default: "http://localhost:33333",
        used_by: UsedBy::Schemes(OAUTH),
        description: "The redirect URL registered with the OAuth app; the desktop flow listens on its loopback port.",
    },
    PropertyInfo {
        name: "InitiateOAuth",
        synonyms: &[],
        kind: ValueKind::Choice(INITIATE_OAUTH),
        default: "OFF",
        used_by: UsedBy::Schemes(OAUTH),
        description: "OFF: use given or stored tokens only; GETANDREFRESH: run the browser flow when needed and refresh; REFRESH: refresh only.",
    },
    PropertyInfo {
        name: "OAuthVersion",
        synonyms: &[],
        kind: ValueKind::Choice(OAUTH_VERSIONS),
        default: "2.0",
        used_by: UsedBy::Schemes(OAUTH),
        description: "The OAuth protocol version; only 2.0 is supported.",
    },
    PropertyInfo {
        name: "OAuthAccessToken",
        synonyms: &["AccessToken"],
        kind: ValueKind::Secret,
        default: "",
        used_by: UsedBy::Schemes(OAUTH),
        description: "An OAuth access token to use as is (web flow, or tokens obtained elsewhere).",
    },
    PropertyInfo {
        name: "OAuthRefreshToken",
        synonyms: &["RefreshToken"],
        kind: ValueKind::Secret,
        default: "",
        used_by: UsedBy::Schemes(OAUTH),
        description: "An OAuth refresh token, for unattended connections (InitiateOAuth=REFRESH).",
    },
    PropertyInfo {
        name: "OAuthSettingsLocation",
        synonyms: &["TokenStore"],
        kind: ValueKind::Location,
        default: "<config dir>/confluence-sql/oauth/<Url host>.json",
        used_by: UsedBy::Schemes(OAUTH),
        description: "Where OAuth tokens are kept between connections: a JSON file (mode 0600), or memory:// for this process only.",
    },
    PropertyInfo {
        name: "OAuthVerifier",
        synonyms: &["Verifier"],
        kind: ValueKind::Secret,
        default: "",
        used_by: UsedBy::Schemes(OAUTH),
        description: "The authorization code returned to the callback URL (or that URL), exchanged for tokens when none are saved yet (headless flow).",
    },
    PropertyInfo {
        name: "Scope",
        synonyms: &["Scopes", "OAuthScope"],
        kind: ValueKind::SpaceList,
        default: "the read scopes the tables need (see below)",
        used_by: UsedBy::Schemes(OAUTH),
        description: "The OAuth scopes to request, separated by spaces or commas; they must match the app's configured scopes.",
    },
    PropertyInfo {
        name: "CloudId",
        synonyms: &[],
        kind: ValueKind::Text,
        default: "discovered from Url",
        used_by: UsedBy::Schemes(BASIC_AND_OAUTH),
        description: "The Cloud site's id (a UUID); discovered through accessible-resources (OAuth) or /_edge/tenant_info (UseGateway) when not given.",
    },
    PropertyInfo {
        name: "UseGateway",
        synonyms: &[],
        kind: ValueKind::Choice(USE_GATEWAY),
        default: "Auto",
        used_by: UsedBy::Schemes(BASIC),
        description: "Cloud with an API token: true sends requests through the API gateway (AtlassianApiUrl/ex/confluence/{CloudId}), as scoped API tokens need; Auto and false use the site.",
    },
    PropertyInfo {
        name: "Deployment",
        synonyms: &["Edition"],
        kind: ValueKind::Choice(DEPLOYMENTS),
        default: "Auto",
        used_by: UsedBy::All,
        description: "Cloud or DataCenter; Auto decides from the Url (*.atlassian.net is Cloud).",
    },
    PropertyInfo {
        name: "Timeout",
        synonyms: &["ConnectTimeout", "CommandTimeout"],
        kind: ValueKind::Integer { min: 0, max: 86_400 },
        default: "60",
        used_by: UsedBy::All,
        description: "Seconds to wait for one HTTP request; 0 waits forever.",
    },
    PropertyInfo {
        name: "MaxConcurrency",
        synonyms: &["Parallelism"],
        kind: ValueKind::Integer { min: 1, max: 64 },
        default: "8",
        used_by: UsedBy::All,
        description: "At most this many HTTP requests in flight per connection.",
    },
    PropertyInfo {
        name: "PageSize",
        synonyms: &["BatchSize"],
        kind: ValueKind::Integer { min: 0, max: 1000 },
        default: "0",
        used_by: UsedBy::All,
        description: "Items per API page; 0 asks each endpoint for its maximum (fewest requests).",
    },
    PropertyInfo {
        name: "MaxRows",
        synonyms: &["RowLimit"],
        kind: ValueKind::Integer { min: -1, max: i64::MAX },
        default: "-1",
        used_by: UsedBy::All,
        description: "Stop every query after this many rows; -1 (or 0) means no limit.",
    },
    PropertyInfo {
        name: "Spaces",
        synonyms: &["SpaceKeys"],
        kind: ValueKind::List,
        default: "(all spaces)",
        used_by: UsedBy::All,
        description: "Restrict every scan to these space keys, comma-separated.",
    },
    PropertyInfo {
        name: "IncludeArchived",
        synonyms: &[],
        kind: ValueKind::Bool,
        default: "false",
        used_by: UsedBy::All,
        description: "Include archived spaces and content in scans.",
    },
    PropertyInfo {
        name: "AllowUnboundedWrites",
        synonyms: &[],
        kind: ValueKind::Bool,
        default: "false",
        used_by: UsedBy::All,
        description: "Allow UPDATE and DELETE without a WHERE clause that pins the rows by id.",
    },
    PropertyInfo {
        name: "ReadOnly",
        synonyms: &[],
        kind: ValueKind::Bool,
        default: "false",
        used_by: UsedBy::All,
        description: "Refuse every INSERT, UPDATE and DELETE on Confluence's tables (and the procedures that write).",
    },
    PropertyInfo {
        name: "ConflictPolicy",
        synonyms: &[],
        kind: ValueKind::Choice(CONFLICT_POLICIES),
        default: "Fail",
        used_by: UsedBy::All,
        description: "What UPDATE does when a page changed since it was read: Fail (a conflict error naming both versions) or Retry (save over the newer version).",
    },
    PropertyInfo {
        name: "ProxyUrl",
        synonyms: &["Proxy"],
        kind: ValueKind::Url,
        default: "",
        used_by: UsedBy::All,
        description: "An HTTP(S) proxy for every request, e.g. http://user:password@proxy:3128 (the password is masked).",
    },
    PropertyInfo {
        name: "TrustedCaFile",
        synonyms: &["CaFile", "SslCaFile"],
        kind: ValueKind::File,
        default: "",
        used_by: UsedBy::All,
        description: "A PEM file of certificate authorities to trust besides the platform's (a Data Center site on a private CA).",
    },
    PropertyInfo {
        name: "AllowInsecureHttp",
        synonyms: &["AllowHttp"],
        kind: ValueKind::Bool,
        default: "false",
        used_by: UsedBy::All,
        description: "Allow sending credentials over plain http:// to a host other than this machine (a trusted network only).",
    },
    PropertyInfo {
        name: "MaxPages",
        synonyms: &[],
        kind: ValueKind::Integer { min: 1, max: 1_000_000_000 },
        default: "100000",
        used_by: UsedBy::All,
        description: "The most pages one list may take; a list that goes on beyond it is an error, not a short answer.",
    },
    PropertyInfo {
        name: "MaxResponseSize",
        synonyms: &["MaxResponseMB"],
        kind: ValueKind::Integer { min: 1, max: 4096 },
        default: "64",
        used_by: UsedBy::All,
        description: "The largest response body read, in MiB; a larger one is an error.",
    },
    PropertyInfo {
        name: "LocalFiles",
        synonyms: &[],
        kind: ValueKind::Choice(LOCAL_FILES),
        default: "None",
        used_by: UsedBy::All,
        description: "Whether SQL may read local files (Read: CREATE EXTERNAL TABLE) and write them (ReadWrite: also COPY ... TO); for a local user's own exports only.",
    },
    PropertyInfo {
        name: "AllowSessionSettings",
        synonyms: &["AllowSet"],
        kind: ValueKind::Bool,
        default: "false",
        used_by: UsedBy::All,
        description: "Allow SQL to change the engine's settings with SET and keep plans in the session with PREPARE.",
    },
    PropertyInfo {
        name: "UserAgent",
        synonyms: &[],
        kind: ValueKind::Text,
        default: "confluence-sql/<version>",
        used_by: UsedBy::All,
        description: "The User-Agent header sent with every request.",
    },
    PropertyInfo {
        name: "LogLevel",
        synonyms: &["Verbosity"],
        kind: ValueKind::Choice(LOG_LEVELS),
        default: "warn",
        used_by: UsedBy::All,
        description: "How much the driver logs (secrets are never logged).",
    },
    PropertyInfo {
        name: "OAuthAuthorizationURL",
        synonyms: &["AuthorizationUrl"],
        kind: ValueKind::Url,
        default: "Cloud: https://auth.atlassian.com/authorize; Data Center: {Url}/rest/oauth2/latest/authorize",
        used_by: UsedBy::Schemes(OAUTH),
        description: "Advanced: the authorization endpoint (for proxies and tests).",
    },
    PropertyInfo {
        name: "OAuthAccessTokenURL",
        synonyms: &["TokenUrl"],
        kind: ValueKind::Url,
        default: "Cloud: https://auth.atlassian.com/oauth/token; Data Center: {Url}/rest/oauth2/latest/token",
        used_by: UsedBy::Schemes(OAUTH),
        description: "Advanced: the token endpoint (for proxies and tests).",
    },
    PropertyInfo {
        name: "AtlassianApiUrl",
        synonyms: &["ApiGatewayUrl"],
        kind: ValueKind::Url,
        default: "https://api.atlassian.com",
        used_by: UsedBy::Schemes(BASIC_AND_OAUTH),
        description: "Advanced: the Cloud API gateway, for accessible-resources and /ex/confluence/{cloudid} calls.",
    },
];

/// Folds a property name for lookup: case, spaces, `_` and `-` do not matter.
pub fn fold_name(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace() && *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

/// Every property's canonical name and synonyms, folded once, in the registry's order.
static FOLDED_NAMES: std::sync::LazyLock<Vec<(String, &'static PropertyInfo)>> = std::sync::LazyLock::new(|| {
    PROPERTIES
        .iter()
        .flat_map(|property| std::iter::once(&property.name).chain(property.synonyms).map(move |n| (n, property)))
        .map(|(name, property)| (fold_name(name), property))
        .collect()
});

/// Finds a property by its canonical name or a synonym (case, spaces, `_` and `-` ignored).
pub fn lookup(name: &str) -> Option<&'static PropertyInfo> {
    let folded = fold_name(name);
    FOLDED_NAMES.iter().find(|(candidate, _)| *candidate == folded).map(|(_, property)| *property)
}

/// The canonical name of the known property nearest to `name`, if it is close enough to be a typo.
pub fn suggest(name: &str) -> Option<&'static str> {
    // No property name is longer than 32 characters: a longer name is no typo of one (and comparing it with every
    // name would cost time quadratic in its length).
    if name.len() > 64 {
        return None;
    }
    let folded = fold_name(name);
    if folded.is_empty() {
        return None;
    }
    let mut best: Option<(f64, &'static str)> = None;
    for (folded_candidate, property) in FOLDED_NAMES.iter() {
        let mut score = strsim::jaro_winkler(&folded, folded_candidate);
        // A name that contains (or is contained in) the typo's text is a strong hint: "token" → OAuthAccessToken is
        // too vague, but "clientid" → OAuthClientId is not.
        if folded.len() >= 5 && (folded_candidate.contains(&folded) || folded.contains(folded_candidate.as_str())) {
            score = score.max(0.9);
        }
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, property.name));
        }
    }
    best.filter(|(score, _)| *score >= 0.85).map(|(_, name)| name)
}

/// Whether the value of a property with this name must be masked: known secret properties; for unknown names, the
/// property they are most likely a typo of; and otherwise names that look like credentials (so that even a
/// misspelt `APITokn=...` or an invented `MyPassword=...` is not echoed).
pub fn is_secret_key(name: &str) -> bool {
    if let Some(property) = lookup(name).or_else(|| suggest(name).and_then(lookup)) {
        return property.is_secret();
    }
    let folded = fold_name(name);
    ["tok", "secr", "pass", "pwd", "key", "verifier", "credential", "pat", "auth", "api"]
        .iter()
        .any(|word| folded.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_synonyms_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for p in PROPERTIES {
            for name in std::iter::once(&p.name).chain(p.synonyms) {
                assert!(seen.insert(fold_name(name)), "{name} is listed twice");
            }
        }
    }

    #[test]
    fn lookup_ignores_case_spaces_and_separators() {
        for name in ["oauthclientid", "OAUTH_CLIENT_ID", "OAuth Client Id", "oauth-client-id", "ClientId"] {
            assert_eq!(lookup(name).map(|p| p.name), Some("OAuthClientId"), "{name}");
        }
        assert!(lookup("nope").is_none());
    }

    #[test]
    fn suggests_the_nearest_name() {
        let cases = [
            ("OAuthClientID2", Some("OAuthClientId")),
            ("OAuthClinetId", Some("OAuthClientId")),
            ("APITokn", Some("APIToken")),
            ("Tiemout", Some("Timeout")),
            ("IncludeArchive", Some("IncludeArchived")),
            ("InitiateOAuht", Some("InitiateOAuth")),
            ("PersonalToken", Some("PersonalAccessToken")),
            ("CallbackUri", Some("CallbackURL")),
            ("Spaec", Some("Spaces")),
            ("qqqqqqqq", None),
        ];
        for (typo, expected) in cases {
            assert_eq!(suggest(typo), expected, "{typo}");
        }
    }

    #[test]
    fn secret_keys() {
        assert!(is_secret_key("apitoken"));
        assert!(is_secret_key("OAuthClientSecret"));
        assert!(!is_secret_key("OAuthClientId"));
        assert!(!is_secret_key("Url"));
        assert!(is_secret_key("MyApiTokn"));
        assert!(is_secret_key("APITokn"));
        assert!(!is_secret_key("OAuthClientID2"));
        assert!(is_secret_key("MyOwnPassword"));
        assert!(is_secret_key("Custom Api Key"));
    }
}

//! Builds [`ConnectionOptions`] from a parsed connection string: maps names (and synonyms) to properties, checks
//! each value against its type, resolves `Auto`, fills in defaults and checks that the chosen authentication scheme
//! has what it needs. Each failure names the property, the byte offset and the fix.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

use crate::error::ConnStrError;
use crate::grammar::{ConnectionString, RawPair};
use crate::options::{ConnectionOptions, OAuthOptions, ProxyUrl, ValueSource, Warning};
use crate::properties::{self, PropertyInfo, ValueKind, PROPERTIES};
use crate::secret::Secret;
use crate::values::{
    AuthScheme, CloudId, ConflictPolicy, Deployment, InitiateOAuth, LocalFiles, LogLevel, OAuthSettingsLocation,
    OAuthVersion, SpaceKey, UnknownChoice, UseGateway,
};

/// Atlassian's Cloud authorization endpoint.
pub const CLOUD_AUTHORIZATION_URL: &str = "https://auth.atlassian.com/authorize";
/// Atlassian's Cloud token endpoint.
pub const CLOUD_ACCESS_TOKEN_URL: &str = "https://auth.atlassian.com/oauth/token";
/// Atlassian's Cloud API gateway.
pub const ATLASSIAN_API_URL: &str = "https://api.atlassian.com";
/// The default OAuth redirect URL (a loopback port the desktop flow listens on).
pub const DEFAULT_CALLBACK_URL: &str = "http://localhost:33333";
/// Where to create a Cloud API token.
pub const API_TOKEN_PAGE: &str = "https://id.atlassian.com/manage-profile/security/api-tokens";

/// The scopes requested on Cloud when `Scope` is not given: read access for every table, CQL search, users and
/// groups, and `offline_access` for a refresh token. Add write scopes (e.g. `write:page:confluence`) with `Scope`.
pub const DEFAULT_CLOUD_SCOPES: &[&str] = &[
    "read:space:confluence",
    "read:page:confluence",
    "read:comment:confluence",
    "read:attachment:confluence",
    "read:label:confluence",
    "read:task:confluence",
    "search:confluence",
    "read:confluence-user",
    "read:confluence-groups",
    "offline_access",
];

/// The scopes requested on Data Center when `Scope` is not given.
pub const DEFAULT_DATA_CENTER_SCOPES: &[&str] = &["READ"];

/// Builds the options in stages: every value is parsed first and all value errors are reported together (so a
/// bad value is never hidden behind a later "no credentials"); then the scheme is resolved and its requirements and
/// the transport are checked.
pub(crate) fn validate(cs: &ConnectionString) -> Result<ConnectionOptions, ConnStrError> {
    let given = Given::collect(cs)?;
    let mut problems = Problems::default();
    let site = site(&given, &mut problems);
    let credentials = credentials(&given);
    let oauth = site.as_ref().map(|(url, deployment, _)| oauth_settings(&given, url, *deployment, &mut problems));
    let behaviour = behaviour(&given, &mut problems);
    problems.finish()?;
    let (Some((url, deployment, mut warnings)), Some((oauth, oauth_warnings))) = (site, oauth) else {
        unreachable!("the site parsed when there is no problem")
    };
    warnings.extend(given.warnings.clone());
    warnings.extend(oauth_warnings);
    let mut sources: BTreeMap<&'static str, ValueSource> =
        given.pairs.keys().map(|name| (*name, ValueSource::Given)).collect();
    if given.auto("Deployment") {
        sources.insert("Deployment", ValueSource::Resolved);
    }
    let auth_scheme = resolve_scheme(&given, &credentials, &oauth, deployment, &mut sources)?;
    let Credentials { user, api_token, password, personal_access_token } = credentials;
    let options = ConnectionOptions {
        url,
        deployment,
        auth_scheme,
        user,
        api_token,
        password,
        personal_access_token,
        oauth,
        timeout: behaviour.timeout,
        max_concurrency: behaviour.max_concurrency,
        page_size: behaviour.page_size,
        max_rows: behaviour.max_rows,
        spaces: behaviour.spaces,
        include_archived: behaviour.include_archived,
        allow_unbounded_writes: behaviour.allow_unbounded_writes,
        read_only: behaviour.read_only,
        conflict_policy: behaviour.conflict_policy,
        use_gateway: behaviour.use_gateway,
        proxy_url: behaviour.proxy_url,
        trusted_ca_file: behaviour.trusted_ca_file,
        allow_insecure_http: behaviour.allow_insecure_http,
        max_pages: behaviour.max_pages,
        max_response_bytes: behaviour.max_response_bytes,
        local_files: behaviour.local_files,
        allow_session_settings: behaviour.allow_session_settings,
        user_agent: behaviour.user_agent,
        log_level: behaviour.log_level,
        warnings,
        sources,
    };
    check_scheme_requirements(&options)?;
    check_transport(&options, &given)?;
    let mut options = options;
    options.warnings.extend(scheme_warnings(&options, &given));
    Ok(options)
}

/// The value errors found so far.
#[derive(Default)]
struct Problems(Vec<ConnStrError>);

impl Problems {
    /// The value, or `None` with its error kept.
    fn take<T>(&mut self, result: Result<T, ConnStrError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    /// One error as itself, several together, in the order of the connection string.
    fn finish(mut self) -> Result<(), ConnStrError> {
        self.0.sort_by_key(|e| e.offset().unwrap_or(usize::MAX));
        match self.0.len() {
            0 => Ok(()),
            1 => Err(self.0.remove(0)),
            _ => Err(ConnStrError::Several { errors: self.0 }),
        }
    }
}

/// The site and the product it runs: `Url` (normalised) and `Deployment` (`Auto` decided from the host); `None`
/// with the problems recorded when either is wrong.
fn site(given: &Given<'_>, problems: &mut Problems) -> Option<(Url, Deployment, Vec<Warning>)> {
    let deployment = problems.take(given.choice::<Deployment>("Deployment"));
    let raw_url = problems.take(given.url("Url").and_then(|url| {
        url.ok_or_else(|| ConnStrError::Incompatible {
            message: "Url is required: the Confluence site, e.g. Url=https://yoursite.atlassian.net (Cloud) or \
                      Url=https://confluence.example.com (Data Center)"
                .to_owned(),
        })
    }))?;
    let deployment = deployment?.unwrap_or_else(|| deployment_from_host(&raw_url));
    let mut warnings = Vec::new();
    let url = normalise_site_url(raw_url, deployment, &mut warnings);
    Some((url, deployment, warnings))
}

/// The static credentials as given.
struct Credentials {
    user: Option<String>,
    api_token: Option<Secret>,
    password: Option<Secret>,
    personal_access_token: Option<Secret>,
}

fn credentials(given: &Given<'_>) -> Credentials {
    Credentials {
        user: given.text("User"),
        api_token: given.secret("APIToken"),
        password: given.secret("Password"),
        personal_access_token: given.secret("PersonalAccessToken"),
    }
}

/// `AuthScheme`, or (for `Auto`) the scheme the credentials given imply.
fn resolve_scheme(
    given: &Given<'_>,
    credentials: &Credentials,
    oauth: &OAuthOptions,
    deployment: Deployment,
    sources: &mut BTreeMap<&'static str, ValueSource>,
) -> Result<AuthScheme, ConnStrError> {
    if let Some(scheme) = given.choice::<AuthScheme>("AuthScheme")? {
        return Ok(scheme);
    }
    sources.insert("AuthScheme", ValueSource::Resolved);
    if credentials.personal_access_token.is_some() {
        Ok(AuthScheme::Pat)
    } else if credentials.user.is_some() && (credentials.api_token.is_some() || credentials.password.is_some()) {
        Ok(AuthScheme::Basic)
    } else if oauth.client_id.is_some() || oauth.access_token.is_some() || oauth.refresh_token.is_some() {
        Ok(match deployment {
            Deployment::Cloud => AuthScheme::OAuth,
            Deployment::DataCenter => AuthScheme::OAuthPkce,
        })
    } else {
        Err(ConnStrError::Incompatible { message: no_credentials_message(deployment) })
    }
}

/// The OAuth settings, defaults filled in whatever the scheme (so they can be shown); bad values go to `problems`.
fn oauth_settings(
    given: &Given<'_>,
    url: &Url,
    deployment: Deployment,
    problems: &mut Problems,
) -> (OAuthOptions, Vec<Warning>) {
    let mut warnings = Vec::new();
    let initiate =
        problems.take(given.choice::<InitiateOAuth>("InitiateOAuth")).flatten().unwrap_or(InitiateOAuth::Off);
    problems.take(given.choice::<OAuthVersion>("OAuthVersion"));
    let callback_url =
        problems.take(given.url("CallbackURL")).flatten().unwrap_or_else(|| parse_known_url(DEFAULT_CALLBACK_URL));
    let scopes = match given.text("Scope") {
        // Space- or comma-separated (CData writes commas).
        Some(text) => {
            text.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
        None => match deployment {
            Deployment::Cloud => DEFAULT_CLOUD_SCOPES,
            Deployment::DataCenter => DEFAULT_DATA_CENTER_SCOPES,
        }
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>(),
    };
    let cloud_id = given.raw("CloudId").and_then(|pair| {
        problems.take(CloudId::parse(pair.value.trim()).map_err(|reason| given.invalid("CloudId", reason)))
    });
    let settings_location = match given.raw("OAuthSettingsLocation") {
        Some(pair) => parse_settings_location(&pair.value),
        None => default_settings_location(url).unwrap_or_else(|| {
            warnings.push(Warning {
                property: Some("OAuthSettingsLocation"),
                message: "no configuration directory was found (HOME is not set), so OAuth tokens are kept in \
                          memory only; set OAuthSettingsLocation to a file to keep them"
                    .to_owned(),
            });
            OAuthSettingsLocation::Memory
        }),
    };
    let (default_authorization_url, default_token_url) = match deployment {
        Deployment::Cloud => (parse_known_url(CLOUD_AUTHORIZATION_URL), parse_known_url(CLOUD_ACCESS_TOKEN_URL)),
        Deployment::DataCenter => {
            (join_site(url, "rest/oauth2/latest/authorize"), join_site(url, "rest/oauth2/latest/token"))
        }
    };
    let mut url_or = |name: &'static str, default: Url| problems.take(given.url(name)).flatten().unwrap_or(default);
    let oauth = OAuthOptions {
        client_id: given.text("OAuthClientId"),
        client_secret: given.secret("OAuthClientSecret"),
        callback_url,
        initiate,
        access_token: given.secret("OAuthAccessToken"),
        refresh_token: given.secret("OAuthRefreshToken"),
        settings_location,
        verifier: given.secret("OAuthVerifier"),
        scopes,
        cloud_id,
        authorization_url: url_or("OAuthAuthorizationURL", default_authorization_url),
        access_token_url: url_or("OAuthAccessTokenURL", default_token_url),
        atlassian_api_url: url_or("AtlassianApiUrl", parse_known_url(ATLASSIAN_API_URL)),
    };
    (oauth, warnings)
}

/// Limits, behaviour and transport.
struct Behaviour {
    timeout: Option<Duration>,
    max_concurrency: usize,
    page_size: Option<u32>,
    max_rows: Option<u64>,
    spaces: Vec<SpaceKey>,
    include_archived: bool,
    allow_unbounded_writes: bool,
    read_only: bool,
    conflict_policy: ConflictPolicy,
    use_gateway: UseGateway,
    proxy_url: Option<ProxyUrl>,
    trusted_ca_file: Option<PathBuf>,
    allow_insecure_http: bool,
    max_pages: usize,
    max_response_bytes: u64,
    local_files: LocalFiles,
    allow_session_settings: bool,
    user_agent: String,
    log_level: LogLevel,
}

/// Limits, behaviour and transport, defaults filled in; bad values go to `problems`.
fn behaviour(given: &Given<'_>, problems: &mut Problems) -> Behaviour {
    let mut integer =
        |name: &'static str, default: i64| problems.take(given.integer(name)).flatten().unwrap_or(default);
    let timeout = integer("Timeout", 60);
    let max_rows = integer("MaxRows", -1);
    let page_size = integer("PageSize", 0);
    let max_concurrency = integer("MaxConcurrency", 8) as usize;
    let max_pages = integer("MaxPages", 100_000) as usize;
    let max_response_mib = integer("MaxResponseSize", 64) as u64;
    let mut flag = |name: &'static str| problems.take(given.bool(name)).flatten().unwrap_or(false);
    let include_archived = flag("IncludeArchived");
    let allow_unbounded_writes = flag("AllowUnboundedWrites");
    let read_only = flag("ReadOnly");
    let allow_insecure_http = flag("AllowInsecureHttp");
    let allow_session_settings = flag("AllowSessionSettings");
    let spaces = given.raw("Spaces").and_then(|pair| {
        problems.take(parse_space_list(&pair.value).map_err(|reason| given.invalid("Spaces", reason)))
    });
    Behaviour {
        timeout: (timeout > 0).then(|| Duration::from_secs(timeout as u64)),
        max_concurrency,
        page_size: (page_size > 0).then_some(page_size as u32),
        max_rows: (max_rows > 0).then_some(max_rows as u64),
        spaces: spaces.unwrap_or_default(),
        include_archived,
        allow_unbounded_writes,
        read_only,
        conflict_policy: problems.take(given.choice::<ConflictPolicy>("ConflictPolicy")).flatten().unwrap_or_default(),
        use_gateway: problems.take(given.choice::<UseGateway>("UseGateway")).flatten().unwrap_or_default(),
        proxy_url: problems.take(given.url("ProxyUrl")).flatten().map(ProxyUrl::new),
        trusted_ca_file: given.raw("TrustedCaFile").map(|pair| expand_home(pair.value.trim())),
        allow_insecure_http,
        max_pages,
        max_response_bytes: max_response_mib * 1024 * 1024,
        local_files: problems.take(given.choice::<LocalFiles>("LocalFiles")).flatten().unwrap_or_default(),
        allow_session_settings,
        user_agent: given.text("UserAgent").unwrap_or_else(default_user_agent),
        log_level: problems.take(given.choice::<LogLevel>("LogLevel")).flatten().unwrap_or(LogLevel::Warn),
    }
}

/// The `User-Agent` sent when `UserAgent` is not given.
pub fn default_user_agent() -> String {
    format!("confluence-sql/{}", env!("CARGO_PKG_VERSION"))
}

fn no_credentials_message(deployment: Deployment) -> String {
    let first = match deployment {
        Deployment::Cloud => format!("User and APIToken (an API token from {API_TOKEN_PAGE})"),
        Deployment::DataCenter => "PersonalAccessToken, or User and Password".to_owned(),
    };
    format!(
        "no credentials given: add {first}, or OAuthClientId (and OAuthClientSecret) for OAuth; \
         see connstr-spec.md"
    )
}

/// Checks that the resolved scheme has the properties it needs.
fn check_scheme_requirements(options: &ConnectionOptions) -> Result<(), ConnStrError> {
    let scheme = options.auth_scheme;
    let missing = |property: &'static str, hint: &str| ConnStrError::MissingProperty {
        property,
        auth_scheme: scheme,
        hint: hint.to_owned(),
    };
    match (scheme, options.deployment) {
        (AuthScheme::Basic, deployment) => {
            if options.user.is_none() {
                let hint = match deployment {
                    Deployment::Cloud => "the email address of the Atlassian account",
                    Deployment::DataCenter => "the Confluence username",
                };
                return Err(missing("User", hint));
            }
            match deployment {
                Deployment::Cloud if options.api_token.is_none() => {
                    if options.password.is_some() {
                        return Err(ConnStrError::Incompatible {
                            message: format!(
                                "Confluence Cloud does not accept account passwords over its API: create an API \
                                 token at {API_TOKEN_PAGE} and give it as APIToken instead of Password"
                            ),
                        });
                    }
                    return Err(missing("APIToken", &format!("create an API token at {API_TOKEN_PAGE}")));
                }
                Deployment::DataCenter if options.password.is_none() && options.api_token.is_none() => {
                    return Err(missing(
                        "Password",
                        "the account's password (or use a PersonalAccessToken with AuthScheme=PAT)",
                    ));
                }
                _ => {}
            }
        }
        (AuthScheme::Pat, Deployment::Cloud) => {
            return Err(ConnStrError::Incompatible {
                message: format!(
                    "personal access tokens are a Data Center feature; for Confluence Cloud use User and APIToken \
                     (an API token from {API_TOKEN_PAGE}) or OAuth; if this site is Data Center, add \
                     Deployment=DataCenter"
                ),
            });
        }
        (AuthScheme::Pat, Deployment::DataCenter) => {
            if options.personal_access_token.is_none() {
                return Err(missing(
                    "PersonalAccessToken",
                    "create one in Confluence under your profile → Personal Access Tokens",
                ));
            }
        }
        (AuthScheme::OAuthPkce, Deployment::Cloud) => {
            return Err(ConnStrError::Incompatible {
                message: "Atlassian Cloud's OAuth 2.0 (3LO) apps are confidential clients without PKCE: use \
                          AuthScheme=OAuth with OAuthClientId and OAuthClientSecret"
                    .to_owned(),
            });
        }
        (AuthScheme::OAuth | AuthScheme::OAuthPkce, deployment) => {
            let oauth = &options.oauth;
            let token_only = oauth.initiate == InitiateOAuth::Off && oauth.access_token.is_some();
            if oauth.client_id.is_none() && !token_only {
                let hint = match deployment {
                    Deployment::Cloud => {
                        "the Client ID of your OAuth 2.0 (3LO) app in the Atlassian developer \
                                          console (Settings); or give OAuthAccessToken with InitiateOAuth=OFF"
                    }
                    Deployment::DataCenter => {
                        "the Client ID of the incoming application link (Administration → \
                                               Application links); or give OAuthAccessToken with InitiateOAuth=OFF"
                    }
                };
                return Err(missing("OAuthClientId", hint));
            }
            if scheme == AuthScheme::OAuth && oauth.client_secret.is_none() && !token_only {
                return Err(missing(
                    "OAuthClientSecret",
                    "the Secret of your OAuth app (developer console → Settings); Atlassian needs it to exchange \
                     and refresh tokens",
                ));
            }
        }
    }
    Ok(())
}

/// Warnings that depend on the resolved scheme: ignored properties, risky transport, missing refresh scope.
fn scheme_warnings(options: &ConnectionOptions, given: &Given<'_>) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for name in given.pairs.keys() {
        let Some(info) = properties::lookup(name) else { continue };
        if !info.used_by.includes(options.auth_scheme) {
            warnings.push(Warning {
                property: Some(info.name),
                message: format!("{} is ignored with AuthScheme={}", info.name, options.auth_scheme),
            });
        }
    }
    if options.deployment == Deployment::DataCenter && given.raw("CloudId").is_some() && options.auth_scheme.is_oauth()
    {
        warnings.push(Warning {
            property: Some("CloudId"),
            message: "CloudId is ignored on Data Center (it only routes Cloud OAuth calls)".to_owned(),
        });
    }
    for (property, url) in credential_urls(options) {
        if url.scheme() == "http" && !is_loopback(url) {
            warnings.push(Warning {
                property: Some(property),
                message: format!(
                    "{property} uses plain http (allowed by AllowInsecureHttp): credentials cross the network \
                     unencrypted; use https://{}",
                    url.host_str().unwrap_or_default()
                ),
            });
        }
    }
    let oauth = &options.oauth;
    if options.auth_scheme == AuthScheme::OAuth
        && oauth.initiate != InitiateOAuth::Off
        && !oauth.scopes.iter().any(|s| s == "offline_access")
    {
        warnings.push(Warning {
            property: Some("Scope"),
            message: "Scope lacks offline_access: Atlassian will issue no refresh token, so a new authorization is \
                      needed when the access token expires (about an hour)"
                .to_owned(),
        });
    }
    if options.auth_scheme.is_oauth()
        && oauth.initiate == InitiateOAuth::GetAndRefresh
        && !is_loopback(&oauth.callback_url)
    {
        warnings.push(Warning {
            property: Some("CallbackURL"),
            message: format!(
                "CallbackURL {} is not a loopback address, so the desktop flow cannot receive the redirect itself; \
                 use http://localhost:<port> (registered in the app) for InitiateOAuth=GETANDREFRESH",
                oauth.callback_url
            ),
        });
    }
    warnings
}

/// The URLs the connection sends credentials to, with their property: the site for Basic, PAT and Data Center
/// OAuth; the token, authorization and API gateway URLs for OAuth.
fn credential_urls(options: &ConnectionOptions) -> Vec<(&'static str, &Url)> {
    let oauth = &options.oauth;
    match (options.auth_scheme, options.deployment) {
        // Basic through the gateway (UseGateway=true, Cloud) sends them to the gateway too.
        (AuthScheme::Basic, Deployment::Cloud) if options.use_gateway == UseGateway::True => {
            vec![("Url", &options.url), ("AtlassianApiUrl", &oauth.atlassian_api_url)]
        }
        (AuthScheme::Basic | AuthScheme::Pat, _) => vec![("Url", &options.url)],
        (AuthScheme::OAuth | AuthScheme::OAuthPkce, deployment) => {
            let mut urls = vec![
                ("OAuthAccessTokenURL", &oauth.access_token_url),
                ("OAuthAuthorizationURL", &oauth.authorization_url),
            ];
            match deployment {
                Deployment::Cloud => urls.push(("AtlassianApiUrl", &oauth.atlassian_api_url)),
                Deployment::DataCenter => urls.insert(0, ("Url", &options.url)),
            }
            urls
        }
    }
}

/// Credentials never cross the network in clear text unless the user says the network is trusted
/// (`AllowInsecureHttp`): plain `http://` is fine for this machine (the simulator, a local proxy) only.
fn check_transport(options: &ConnectionOptions, given: &Given<'_>) -> Result<(), ConnStrError> {
    if options.allow_insecure_http {
        return Ok(());
    }
    let plain = credential_urls(options).into_iter().find(|(_, url)| url.scheme() == "http");
    if let (Some((property, _)), Some(proxy)) = (plain, &options.proxy_url) {
        let proxy = proxy.expose();
        if proxy.scheme() == "http" && !is_loopback(proxy) {
            let reason = format!(
                "{property} uses plain http through the plain-http proxy {}, so credentials would cross the network \
                 unencrypted to it; use https, or set AllowInsecureHttp=true if this network is trusted",
                proxy.host_str().unwrap_or_default()
            );
            return Err(given.invalid("ProxyUrl", reason));
        }
    }
    for (property, url) in credential_urls(options) {
        if url.scheme() == "http" && !is_loopback(url) {
            let reason = format!(
                "{property} uses plain http, so credentials would cross the network unencrypted; use https://{}{}, \
                 or set AllowInsecureHttp=true if this network is trusted",
                url.host_str().unwrap_or_default(),
                url.port().map(|p| format!(":{p}")).unwrap_or_default()
            );
            return Err(match given.raw(property) {
                Some(_) => given.invalid(property, reason),
                None => ConnStrError::Incompatible { message: reason },
            });
        }
    }
    Ok(())
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `*.atlassian.net` (and the older `*.jira.com`) are Cloud; anything else is Data Center.
fn deployment_from_host(url: &Url) -> Deployment {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if host.ends_with(".atlassian.net") || host.ends_with(".jira.com") {
        Deployment::Cloud
    } else {
        Deployment::DataCenter
    }
}

/// Cloud sites are addressed by their root (`/wiki` and anything below is dropped, with a warning for paths beyond
/// `/wiki`); Data Center keeps its context path. Trailing `/` removed either way.
fn normalise_site_url(mut url: Url, deployment: Deployment, warnings: &mut Vec<Warning>) -> Url {
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_owned();
    let new_path = match deployment {
        Deployment::Cloud => {
            if !path.is_empty() && path != "/wiki" {
                warnings.push(Warning {
                    property: Some("Url"),
                    message: format!(
                        "the path {path} is ignored: a Cloud site is addressed by its root, {}://{}",
                        url.scheme(),
                        url.host_str().unwrap_or_default()
                    ),
                });
            }
            String::new()
        }
        Deployment::DataCenter => path,
    };
    url.set_path(&new_path);
    url.set_query(None);
    url
}

fn join_site(site: &Url, path: &str) -> Url {
    let base = format!("{}/", site.as_str().trim_end_matches('/'));
    Url::parse(&base).and_then(|b| b.join(path)).unwrap_or_else(|_| site.clone())
}

fn parse_known_url(text: &str) -> Url {
    // Only called with the constants above, which are valid URLs.
    Url::parse(text).unwrap_or_else(|_| unreachable!("invalid built-in URL {text}"))
}

fn parse_settings_location(value: &str) -> OAuthSettingsLocation {
    let value = value.trim();
    if value.eq_ignore_ascii_case("memory://") || value.eq_ignore_ascii_case("memory:") {
        return OAuthSettingsLocation::Memory;
    }
    OAuthSettingsLocation::File(expand_home(value.strip_prefix("file://").unwrap_or(value)))
}

/// A path with a leading `~/` expanded to the home directory.
fn expand_home(path: &str) -> PathBuf {
    match path.strip_prefix("~/").zip(dirs::home_dir()) {
        Some((rest, home)) => home.join(rest),
        None => PathBuf::from(path),
    }
}

/// `<config dir>/confluence-sql/oauth/<host>[_<port>][_<path>].json`: one file per site, so two sites never share
/// tokens.
fn default_settings_location(site: &Url) -> Option<OAuthSettingsLocation> {
    let mut name = site.host_str().unwrap_or("site").to_owned();
    if let Some(port) = site.port() {
        name.push_str(&format!("_{port}"));
    }
    let path = site.path().trim_matches('/');
    if !path.is_empty() {
        name.push('_');
        name.push_str(&path.replace('/', "_"));
    }
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    dirs::config_dir()
        .map(|dir| OAuthSettingsLocation::File(dir.join("confluence-sql").join("oauth").join(format!("{name}.json"))))
}

fn parse_space_list(value: &str) -> Result<Vec<SpaceKey>, String> {
    let mut keys: Vec<SpaceKey> = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let key = SpaceKey::parse(item)?;
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Err("no space key given; write keys separated by commas, e.g. Spaces=ENG,DOCS".to_owned());
    }
    Ok(keys)
}

/// The properties written in the connection string, by canonical name (last occurrence wins).
struct Given<'a> {
    cs: &'a ConnectionString,
    pairs: BTreeMap<&'static str, &'a RawPair>,
    warnings: Vec<Warning>,
}

impl<'a> Given<'a> {
    fn collect(cs: &'a ConnectionString) -> Result<Given<'a>, ConnStrError> {
        let mut pairs: BTreeMap<&'static str, &'a RawPair> = BTreeMap::new();
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        for pair in cs.pairs() {
            let Some(info) = properties::lookup(&pair.key) else {
                return Err(ConnStrError::UnknownProperty {
                    name: pair.key.clone(),
                    suggestion: properties::suggest(&pair.key),
                    offset: pair.key_span.start,
                    excerpt: cs.excerpt(pair.key_span.start),
                });
            };
            pairs.insert(info.name, pair);
            *counts.entry(info.name).or_default() += 1;
        }
        let warnings = counts
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(name, n)| Warning {
                property: Some(name),
                message: format!(
                    "{name} is given {n} times; the last one (at byte {}) wins",
                    pairs.get(name).map_or(0, |p| p.key_span.start)
                ),
            })
            .collect();
        // An empty value is the same as leaving the property out.
        pairs.retain(|_, pair| !pair.value.trim().is_empty());
        Ok(Given { cs, pairs, warnings })
    }

    fn raw(&self, name: &str) -> Option<&'a RawPair> {
        self.pairs.get(name).copied()
    }

    fn info(name: &str) -> &'static PropertyInfo {
        PROPERTIES.iter().find(|p| p.name == name).unwrap_or_else(|| unreachable!("unknown property {name}"))
    }

    fn invalid(&self, name: &'static str, reason: String) -> ConnStrError {
        let offset = self.raw(name).map_or(0, |p| p.value_span.start);
        ConnStrError::InvalidValue { property: name, reason, offset, excerpt: self.cs.excerpt(offset) }
    }

    fn text(&self, name: &str) -> Option<String> {
        self.raw(name).map(|p| p.value.clone())
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        self.raw(name).map(|p| Secret::new(p.value.clone()))
    }

    fn url(&self, name: &'static str) -> Result<Option<Url>, ConnStrError> {
        let Some(pair) = self.raw(name) else { return Ok(None) };
        let text = pair.value.trim();
        // A proxy URL (or any URL with user information) may hold a password: never echo it.
        let shown = if name == "ProxyUrl" || text.contains('@') { "the value".to_owned() } else { format!("{text:?}") };
        let url = Url::parse(text).map_err(|e| {
            let hint = if e == url::ParseError::RelativeUrlWithoutBase {
                format!("{shown} is not an absolute URL; write it with its scheme, e.g. https://...")
            } else {
                format!("{shown} is not a valid URL ({e})")
            };
            self.invalid(name, hint)
        })?;
        let allowed: &[&str] =
            if name == "ProxyUrl" { &["http", "https", "socks5", "socks5h"] } else { &["http", "https"] };
        if !allowed.contains(&url.scheme()) {
            return Err(self.invalid(
                name,
                format!("the scheme {:?} is not supported; use {}", url.scheme(), allowed.join(" or ")),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(self.invalid(name, format!("{shown} has no host")));
        }
        if name != "ProxyUrl" && (!url.username().is_empty() || url.password().is_some()) {
            let reason = if name == "Url" {
                "the URL contains credentials; give the account in User and the token in APIToken (or \
                 PersonalAccessToken) instead"
            } else {
                "the URL must not contain credentials"
            };
            return Err(self.invalid(name, reason.to_owned()));
        }
        Ok(Some(url))
    }

    fn bool(&self, name: &'static str) -> Result<Option<bool>, ConnStrError> {
        let Some(pair) = self.raw(name) else { return Ok(None) };
        match pair.value.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(Some(true)),
            "false" | "no" | "off" | "0" => Ok(Some(false)),
            other => Err(self.invalid(name, format!("{other:?} is not a boolean; use true or false"))),
        }
    }

    fn integer(&self, name: &'static str) -> Result<Option<i64>, ConnStrError> {
        let Some(pair) = self.raw(name) else { return Ok(None) };
        let ValueKind::Integer { min, max } = Self::info(name).kind else {
            unreachable!("{name} is not an integer property")
        };
        let text = pair.value.trim();
        let n: i64 = text.parse().map_err(|_| self.invalid(name, format!("{text:?} is not a whole number")))?;
        if n < min || n > max {
            let range = if max == i64::MAX { format!("at least {min}") } else { format!("between {min} and {max}") };
            return Err(self.invalid(name, format!("{n} is out of range: {name} must be {range}")));
        }
        Ok(Some(n))
    }

    /// Whether an `Auto`-able property is left to be resolved (absent, or `Auto`).
    fn auto(&self, name: &str) -> bool {
        self.raw(name).is_none_or(|pair| pair.value.trim().eq_ignore_ascii_case("auto"))
    }

    /// An enum value (case-insensitive, aliases accepted); `None` when absent or `Auto`.
    fn choice<T>(&self, name: &'static str) -> Result<Option<T>, ConnStrError>
    where
        T: std::str::FromStr<Err = UnknownChoice>,
    {
        let Some(pair) = self.raw(name) else { return Ok(None) };
        let text = pair.value.trim();
        let ValueKind::Choice(valid) = Self::info(name).kind else { unreachable!("{name} is not an enum property") };
        if valid.first() == Some(&"Auto") && text.eq_ignore_ascii_case("auto") {
            return Ok(None);
        }
        text.parse::<T>().map(Some).map_err(|unknown| {
            let reason = if name == "OAuthVersion" && text.starts_with('1') {
                "OAuth 1.0a application links are not supported; use OAuth 2.0 (OAuthVersion=2.0)".to_owned()
            } else {
                format!("{:?} is not one of {}", unknown.text, valid.join(", "))
            };
            self.invalid(name, reason)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOUD_BASIC: &str = "Url=https://acme.atlassian.net;User=me@acme.com;APIToken=tok3n";

    fn ok(text: &str) -> ConnectionOptions {
        ConnectionOptions::parse(text).unwrap_or_else(|e| panic!("{text:?} should be valid: {e}"))
    }

    fn err(text: &str) -> ConnStrError {
        match ConnectionOptions::parse(text) {
            Ok(o) => panic!("{text:?} should be refused, got {o}"),
            Err(e) => e,
        }
    }

    #[test]
    fn cloud_basic_with_defaults() {
        let o = ok(CLOUD_BASIC);
        assert_eq!(o.auth_scheme, AuthScheme::Basic);
        assert_eq!(o.deployment, Deployment::Cloud);
        assert_eq!(o.source_of("AuthScheme"), ValueSource::Resolved);
        assert_eq!(o.source_of("User"), ValueSource::Given);
        assert_eq!(o.source_of("Timeout"), ValueSource::Default);
        assert_eq!(o.site_url(), "https://acme.atlassian.net");
        assert_eq!(o.timeout, Some(Duration::from_secs(60)));
        assert_eq!(o.max_concurrency, 8);
        assert_eq!(o.page_size, None);
        assert_eq!(o.max_rows, None);
        assert!(o.spaces.is_empty());
        assert!(!o.include_archived && !o.allow_unbounded_writes);
        assert_eq!(o.log_level, LogLevel::Warn);
        assert_eq!(o.oauth.initiate, InitiateOAuth::Off);
        assert_eq!(o.oauth.authorization_url.as_str(), CLOUD_AUTHORIZATION_URL);
        assert!(o.user_agent.starts_with("confluence-sql/"));
        assert!(o.warnings().is_empty(), "{:?}", o.warnings());
    }

    #[test]
    fn auth_scheme_auto_picks_from_the_credentials() {
        let cases = [
            (CLOUD_BASIC, AuthScheme::Basic),
            ("Url=https://wiki.corp;PersonalAccessToken=p", AuthScheme::Pat),
            ("Url=https://wiki.corp;User=u;Password=p", AuthScheme::Basic),
            ("Url=https://acme.atlassian.net;OAuthClientId=c;OAuthClientSecret=s", AuthScheme::OAuth),
            ("Url=https://wiki.corp;OAuthClientId=c", AuthScheme::OAuthPkce),
            ("Url=https://acme.atlassian.net;OAuthAccessToken=t", AuthScheme::OAuth),
            ("Url=https://wiki.corp;PAT=p;User=u;Password=x", AuthScheme::Pat),
        ];
        for (text, scheme) in cases {
            assert_eq!(ok(text).auth_scheme, scheme, "{text}");
        }
    }

    #[test]
    fn deployment_auto_decides_from_the_host() {
        assert_eq!(ok(CLOUD_BASIC).deployment, Deployment::Cloud);
        assert_eq!(ok("Url=https://wiki.corp.example;PAT=p").deployment, Deployment::DataCenter);
        let o = ok("Url=http://127.0.0.1:8080;Deployment=Cloud;User=u;APIToken=t");
        assert_eq!(o.deployment, Deployment::Cloud);
        assert_eq!(o.source_of("Deployment"), ValueSource::Given);
        assert_eq!(ok("Url=https://w.corp;PAT=p;Deployment=server").deployment, Deployment::DataCenter);
    }

    #[test]
    fn site_urls_are_normalised() {
        assert_eq!(
            ok("Url=https://acme.atlassian.net/wiki/;User=u;APIToken=t").site_url(),
            "https://acme.atlassian.net"
        );
        let o = ok("Url=https://acme.atlassian.net/wiki/spaces/ENG/overview;User=u;APIToken=t");
        assert_eq!(o.site_url(), "https://acme.atlassian.net");
        assert!(o.warnings().iter().any(|w| w.message.contains("/wiki/spaces/ENG/overview is ignored")));
        let o = ok("Url=https://corp.example/confluence/;PAT=p");
        assert_eq!(o.site_url(), "https://corp.example/confluence");
        assert_eq!(o.oauth.authorization_url.as_str(), "https://corp.example/confluence/rest/oauth2/latest/authorize");
        assert_eq!(o.oauth.access_token_url.as_str(), "https://corp.example/confluence/rest/oauth2/latest/token");
    }

    #[test]
    fn typed_values() {
        let o = ok(&format!(
            "{CLOUD_BASIC};Timeout=0;MaxConcurrency=16;PageSize=100;MaxRows=500;Spaces= ENG , ~jsmith,ENG ;\
             IncludeArchived=yes;AllowUnboundedWrites=1;ProxyUrl=http://bob:pw@proxy:3128;UserAgent=probe/1;\
             LogLevel=TRACE"
        ));
        assert_eq!(o.timeout, None);
        assert_eq!(o.max_concurrency, 16);
        assert_eq!(o.page_size, Some(100));
        assert_eq!(o.max_rows, Some(500));
        assert_eq!(o.spaces.iter().map(|s| s.as_str()).collect::<Vec<_>>(), ["ENG", "~jsmith"]);
        assert!(o.include_archived && o.allow_unbounded_writes);
        assert_eq!(o.proxy_url.as_ref().map(|p| p.expose().password()), Some(Some("pw")));
        assert_eq!(o.user_agent, "probe/1");
        assert_eq!(o.log_level, LogLevel::Trace);
        assert_eq!(ok(&format!("{CLOUD_BASIC};MaxRows=0")).max_rows, None);
    }

    #[test]
    fn oauth_settings() {
        let o = ok("Url=https://acme.atlassian.net;AuthScheme=OAuth;OAuthClientId=cid;OAuthClientSecret=sec;\
                    InitiateOAuth=GETANDREFRESH;OAuthSettingsLocation=memory://;CallbackURL=http://localhost:4444;\
                    CloudId=1324a887-45db-1bf4-1e99-ef0ff456d421;OAuthVersion=2.0");
        assert_eq!(o.oauth.initiate, InitiateOAuth::GetAndRefresh);
        assert_eq!(o.oauth.settings_location, OAuthSettingsLocation::Memory);
        assert_eq!(o.oauth.callback_url.as_str(), "http://localhost:4444/");
        assert_eq!(o.oauth.scopes, DEFAULT_CLOUD_SCOPES);
        assert_eq!(o.oauth.cloud_id.as_ref().map(|c| c.as_str()), Some("1324a887-45db-1bf4-1e99-ef0ff456d421"));
        assert!(o.warnings().is_empty(), "{:?}", o.warnings());

        let o = ok("Url=https://wiki.corp;OAuthClientId=cid;Scope=READ WRITE;OAuthSettingsLocation=/tmp/t.json");
        assert_eq!(o.auth_scheme, AuthScheme::OAuthPkce);
        assert_eq!(o.oauth.scopes, ["READ", "WRITE"]);
        assert_eq!(o.oauth.settings_location, OAuthSettingsLocation::File("/tmp/t.json".into()));
    }

    #[test]
    fn default_token_store_is_per_site() {
        let a = ok("Url=https://a.atlassian.net;OAuthClientId=c;OAuthClientSecret=s").oauth.settings_location;
        let b = ok("Url=https://b.atlassian.net;OAuthClientId=c;OAuthClientSecret=s").oauth.settings_location;
        if let (OAuthSettingsLocation::File(a), OAuthSettingsLocation::File(b)) = (&a, &b) {
            assert!(a.ends_with("confluence-sql/oauth/a.atlassian.net.json"), "{}", a.display());
            assert_ne!(a, b);
        }
    }

    #[test]
    fn synonyms_case_and_separators() {
        let o = ok("url=https://acme.atlassian.net;EMAIL=me@acme.com;api token=t;max_concurrency=2");
        assert_eq!(o.user.as_deref(), Some("me@acme.com"));
        assert_eq!(o.max_concurrency, 2);
    }

    #[test]
    fn empty_values_mean_unset() {
        let o = ok(&format!("{CLOUD_BASIC};Timeout=;Spaces=;ProxyUrl="));
        assert_eq!(o.timeout, Some(Duration::from_secs(60)));
        assert!(o.spaces.is_empty() && o.proxy_url.is_none());
    }

    #[test]
    fn warnings() {
        let messages = |text: &str| ok(text).warnings().iter().map(|w| w.message.clone()).collect::<Vec<_>>();
        let w = messages(&format!("{CLOUD_BASIC};Timeout=5;timeout=9"));
        assert_eq!(w, ["Timeout is given 2 times; the last one (at byte 73) wins"]);
        let w = messages(&format!("{CLOUD_BASIC};OAuthClientId=x"));
        assert_eq!(w, ["OAuthClientId is ignored with AuthScheme=Basic"]);
        let w = messages("Url=http://wiki.corp;PAT=p;AllowInsecureHttp=true");
        assert!(w[0].contains("plain http (allowed by AllowInsecureHttp)"), "{w:?}");
        assert!(messages("Url=http://localhost:8090;PAT=p").is_empty());
        let w = messages("Url=https://a.atlassian.net;OAuthClientId=c;OAuthClientSecret=s;InitiateOAuth=REFRESH;Scope=read:page:confluence");
        assert!(w[0].contains("offline_access"), "{w:?}");
        let w = messages("Url=https://a.atlassian.net;OAuthClientId=c;OAuthClientSecret=s;InitiateOAuth=GETANDREFRESH;CallbackURL=https://app.example/cb");
        assert!(w[0].contains("not a loopback address"), "{w:?}");
    }

    /// Credentials in clear text over the network are refused unless the user opts in; this machine is fine.
    #[test]
    fn plain_http_credentials_are_refused_off_this_machine() {
        let message = err("Url=http://wiki.corp;PAT=p").to_string();
        assert!(message.contains("Url uses plain http") && message.contains("AllowInsecureHttp=true"), "{message}");
        let message = err("Url=http://wiki.corp:8090;User=u;Password=p").to_string();
        assert!(message.contains("use https://wiki.corp:8090"), "{message}");
        let cloud_oauth = "Url=https://acme.atlassian.net;OAuthClientId=c;OAuthClientSecret=s";
        let message = err(&format!("{cloud_oauth};OAuthAccessTokenURL=http://auth.corp/token")).to_string();
        assert!(message.contains("OAuthAccessTokenURL uses plain http"), "{message}");
        let message = err(&format!("{cloud_oauth};AtlassianApiUrl=http://gateway.corp")).to_string();
        assert!(message.contains("AtlassianApiUrl uses plain http"), "{message}");
        let message = err("Url=http://wiki.corp;AuthScheme=OAuthPKCE;OAuthClientId=c").to_string();
        assert!(message.contains("Url uses plain http"), "{message}");
        // Loopback (the simulator) and an explicit opt-in are accepted.
        ok("Url=http://127.0.0.1:8090;PAT=p");
        ok("Url=http://[::1]:8090;PAT=p");
        ok(&format!("{cloud_oauth};AtlassianApiUrl=http://localhost:9000;OAuthAccessTokenURL=http://127.0.0.1:9/t"));
        ok("Url=http://wiki.corp;PAT=p;AllowInsecureHttp=yes");
        // Cloud OAuth sends nothing to Url itself.
        ok("Url=http://acme.example;Deployment=Cloud;OAuthClientId=c;OAuthClientSecret=s");
    }

    /// A bad value was once hidden behind "no credentials given"; now every bad value is reported, in order.
    #[test]
    fn every_bad_value_is_reported_before_anything_else() {
        let e = err("Url=https://acme.atlassian.net;InitiateOAuth=SOMETIMES");
        assert!(matches!(&e, ConnStrError::InvalidValue { property: "InitiateOAuth", .. }), "{e}");
        let e = err("Url=https://acme.atlassian.net;Timeout=soon;LogLevel=loud;MaxPages=0");
        let ConnStrError::Several { errors } = &e else { panic!("{e}") };
        let properties: Vec<&str> = errors
            .iter()
            .map(|e| match e {
                ConnStrError::InvalidValue { property, .. } => *property,
                _ => "?",
            })
            .collect();
        assert_eq!(properties, ["Timeout", "LogLevel", "MaxPages"]);
        let text = e.to_string();
        assert!(text.starts_with("3 values are invalid:\n1. invalid value for Timeout"), "{text}");
        assert_eq!(e.offset(), errors[0].offset());
    }

    #[test]
    fn enum_values_parse_with_their_aliases() {
        assert_eq!("pkce".parse::<AuthScheme>(), Ok(AuthScheme::OAuthPkce));
        assert_eq!(" dc ".parse::<Deployment>(), Ok(Deployment::DataCenter));
        assert_eq!("WARNING".parse::<LogLevel>(), Ok(LogLevel::Warn));
        assert_eq!("readwrite".parse::<LocalFiles>(), Ok(LocalFiles::ReadWrite));
        let unknown = "Kerberos".parse::<AuthScheme>().unwrap_err();
        assert_eq!(unknown.to_string(), "\"Kerberos\" is not one of Basic, PAT, OAuth, OAuthPKCE");
        for scheme in AuthScheme::ALL {
            assert_eq!(scheme.as_str().parse::<AuthScheme>(), Ok(*scheme));
        }
        assert!(LogLevel::Trace > LogLevel::Warn && LogLevel::Off < LogLevel::Error);
        assert_eq!(crate::properties::AUTH_SCHEMES, ["Auto", "Basic", "PAT", "OAuth", "OAuthPKCE"]);
        assert!(ok(&format!("{CLOUD_BASIC};AuthScheme=auto")).source_of("AuthScheme") == ValueSource::Resolved);
    }

    /// A proxy password once reached error messages when the proxy URL did not parse; and a plain-http site
    /// through a plain-http proxy elsewhere sends its credentials across the network in clear.
    #[test]
    fn proxies_keep_their_passwords_and_their_traffic_encrypted() {
        for bad in ["http://bob:pa/ss@proxy:3128", "http://bob:S3cret@proxy:99999", "bob:S3cret@proxy:3128"] {
            let e = err(&format!("{CLOUD_BASIC};ProxyUrl={bad}"));
            let text = format!("{e} {e:?}");
            assert!(!text.contains("pa/ss") && !text.contains("S3cret"), "{text}");
            assert!(!connstr_redact(&format!("{CLOUD_BASIC};ProxyUrl={bad}")).contains("S3cret"));
        }
        let message = err("Url=http://localhost:8090;PAT=p;ProxyUrl=http://proxy.corp:3128").to_string();
        assert!(message.contains("through the plain-http proxy proxy.corp"), "{message}");
        ok("Url=http://localhost:8090;PAT=p;ProxyUrl=http://127.0.0.1:3128");
        ok("Url=https://wiki.corp;PAT=p;ProxyUrl=http://proxy.corp:3128");
        ok("Url=http://localhost:8090;PAT=p;ProxyUrl=http://proxy.corp:3128;AllowInsecureHttp=true");
    }

    fn connstr_redact(text: &str) -> String {
        crate::redact(text)
    }

    #[test]
    fn hardening_properties() {
        let o = ok(CLOUD_BASIC);
        assert_eq!((o.max_pages, o.max_response_bytes), (100_000, 64 * 1024 * 1024));
        assert_eq!((o.local_files, o.allow_session_settings, o.allow_insecure_http), (LocalFiles::None, false, false));
        let o = ok(&format!(
            "{CLOUD_BASIC};MaxPages=10;MaxResponseSize=1;LocalFiles=readwrite;AllowSet=true;CaFile=/etc/ca.pem"
        ));
        assert_eq!((o.max_pages, o.max_response_bytes), (10, 1024 * 1024));
        assert_eq!((o.local_files, o.allow_session_settings), (LocalFiles::ReadWrite, true));
        assert_eq!(o.trusted_ca_file, Some(PathBuf::from("/etc/ca.pem")));
        assert!(err(&format!("{CLOUD_BASIC};LocalFiles=All")).to_string().contains("None, Read, ReadWrite"));
        assert!(err(&format!("{CLOUD_BASIC};MaxPages=0")).to_string().contains("between 1 and"));
    }

    #[test]
    fn invalid_connection_strings() {
        type Check = fn(&ConnStrError) -> bool;
        let cases: &[(&str, Check)] = &[
            (
                "User=u;APIToken=t",
                |e| matches!(e, ConnStrError::Incompatible { message } if message.starts_with("Url is required")),
            ),
            ("Url=acme.atlassian.net;User=u;APIToken=t", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "Url", .. })
            }),
            ("Url=ftp://h;PAT=p", |e| matches!(e, ConnStrError::InvalidValue { property: "Url", .. })),
            (
                "Url=https://u:p@h;PAT=p",
                |e| matches!(e, ConnStrError::InvalidValue { property: "Url", reason, .. } if reason.contains("credentials")),
            ),
            (
                "Url=https://acme.atlassian.net",
                |e| matches!(e, ConnStrError::Incompatible { message } if message.starts_with("no credentials")),
            ),
            ("Url=https://acme.atlassian.net;APIToken=t", |e| matches!(e, ConnStrError::Incompatible { .. })),
            ("Url=https://acme.atlassian.net;AuthScheme=Basic;APIToken=t", |e| {
                matches!(e, ConnStrError::MissingProperty { property: "User", .. })
            }),
            ("Url=https://acme.atlassian.net;AuthScheme=Basic;User=u", |e| {
                matches!(e, ConnStrError::MissingProperty { property: "APIToken", .. })
            }),
            (
                "Url=https://acme.atlassian.net;User=u;Password=p",
                |e| matches!(e, ConnStrError::Incompatible { message } if message.contains("API token")),
            ),
            ("Url=https://w.corp;AuthScheme=Basic;User=u", |e| {
                matches!(e, ConnStrError::MissingProperty { property: "Password", .. })
            }),
            ("Url=https://w.corp;AuthScheme=PAT", |e| {
                matches!(e, ConnStrError::MissingProperty { property: "PersonalAccessToken", .. })
            }),
            (
                "Url=https://acme.atlassian.net;PAT=p",
                |e| matches!(e, ConnStrError::Incompatible { message } if message.contains("Data Center feature")),
            ),
            ("Url=https://acme.atlassian.net;AuthScheme=OAuth", |e| {
                matches!(e, ConnStrError::MissingProperty { property: "OAuthClientId", .. })
            }),
            ("Url=https://acme.atlassian.net;OAuthClientId=c", |e| {
                matches!(e, ConnStrError::MissingProperty { property: "OAuthClientSecret", .. })
            }),
            ("Url=https://acme.atlassian.net;AuthScheme=OAuthPKCE;OAuthClientId=c", |e| {
                matches!(e, ConnStrError::Incompatible { .. })
            }),
            ("Url=https://acme.atlassian.net;OAuthAccessToken=t;InitiateOAuth=REFRESH", |e| {
                matches!(e, ConnStrError::MissingProperty { property: "OAuthClientId", .. })
            }),
            (
                "Url=https://w.corp;PAT=p;AuthScheme=Kerberos",
                |e| matches!(e, ConnStrError::InvalidValue { property: "AuthScheme", reason, .. } if reason.contains("Auto, Basic, PAT, OAuth, OAuthPKCE")),
            ),
            ("Url=https://w.corp;PAT=p;InitiateOAuth=yes", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "InitiateOAuth", .. })
            }),
            (
                "Url=https://w.corp;OAuthClientId=c;OAuthVersion=1.0a",
                |e| matches!(e, ConnStrError::InvalidValue { property: "OAuthVersion", reason, .. } if reason.contains("1.0a")),
            ),
            ("Url=https://w.corp;PAT=p;Timeout=ten", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "Timeout", .. })
            }),
            ("Url=https://w.corp;PAT=p;Timeout=-1", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "Timeout", .. })
            }),
            (
                "Url=https://w.corp;PAT=p;MaxConcurrency=0",
                |e| matches!(e, ConnStrError::InvalidValue { property: "MaxConcurrency", reason, .. } if reason.contains("between 1 and 64")),
            ),
            ("Url=https://w.corp;PAT=p;MaxRows=-2", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "MaxRows", .. })
            }),
            ("Url=https://w.corp;PAT=p;PageSize=99999999999999999999", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "PageSize", .. })
            }),
            ("Url=https://w.corp;PAT=p;IncludeArchived=maybe", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "IncludeArchived", .. })
            }),
            ("Url=https://w.corp;PAT=p;Spaces=ENG,A B", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "Spaces", .. })
            }),
            ("Url=https://w.corp;PAT=p;Spaces=,,", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "Spaces", .. })
            }),
            ("Url=https://w.corp;PAT=p;ProxyUrl=ftp://p", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "ProxyUrl", .. })
            }),
            ("Url=https://w.corp;PAT=p;LogLevel=loud", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "LogLevel", .. })
            }),
            ("Url=https://a.atlassian.net;OAuthClientId=c;OAuthClientSecret=s;CloudId=site", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "CloudId", .. })
            }),
            ("Url=https://a.atlassian.net;OAuthClientId=c;OAuthClientSecret=s;CallbackURL=localhost:3", |e| {
                matches!(e, ConnStrError::InvalidValue { property: "CallbackURL", .. })
            }),
            ("Url=https://w.corp;PAT=p;OAuthClinetId=c", |e| {
                matches!(e, ConnStrError::UnknownProperty { suggestion: Some("OAuthClientId"), .. })
            }),
            ("Url=https://w.corp;PAT=p;Colour=blue", |e| {
                matches!(e, ConnStrError::UnknownProperty { suggestion: None, .. })
            }),
        ];
        for (text, check) in cases {
            let e = err(text);
            assert!(check(&e), "{text:?}: unexpected error {e:?}");
        }
    }

    #[test]
    fn value_errors_point_at_the_value() {
        let text = "Url=https://w.corp;PAT=p;MaxConcurrency=100";
        let e = err(text);
        assert_eq!(e.offset(), Some(text.find("100").unwrap_or_default()));
        insta::assert_snapshot!(e.to_string(), @r"
        invalid value for MaxConcurrency at byte 40: 100 is out of range: MaxConcurrency must be between 1 and 64
            Url=https://w.corp;PAT=********;MaxConcurrency=100
                                                           ^
        ");
    }

    #[test]
    fn unknown_property_message() {
        let e = err("Url=https://acme.atlassian.net;OAuthClientID2=abc");
        insta::assert_snapshot!(e.to_string(), @r#"
        unknown property "OAuthClientID2" at byte 31: did you mean OAuthClientId?
            Url=https://acme.atlassian.net;OAuthClientID2=********
                                           ^
        "#);
    }

    #[test]
    fn missing_property_message() {
        let e = err("Url=https://acme.atlassian.net;AuthScheme=Basic;User=me@acme.com");
        insta::assert_snapshot!(e.to_string(), @"APIToken is required with AuthScheme=Basic: create an API token at https://id.atlassian.com/manage-profile/security/api-tokens");
    }

    #[test]
    fn no_secret_in_any_output() {
        let text = "Url=https://acme.atlassian.net;AuthScheme=OAuth;User=u;APIToken=S1;Password=S2;PAT=S3;\
                    OAuthClientId=cid;OAuthClientSecret=S4;OAuthAccessToken=S5;OAuthRefreshToken=S6;OAuthVerifier=S7;\
                    ProxyUrl=http://bob:S8@proxy:3128";
        let o = ok(text);
        let raw = ConnectionString::parse(text).unwrap_or_else(|e| panic!("{e}"));
        let mut builder = crate::ConnectionStringBuilder::new();
        for pair in raw.pairs() {
            builder.push(&pair.key, &pair.value).unwrap_or_else(|e| panic!("{e}"));
        }
        let shown = format!(
            "{o} {o:?} {:?} {:?} {raw} {raw:?} {:?} {builder:?} {} {}",
            o.properties(),
            o.warnings(),
            raw.pairs(),
            crate::redact(text),
            raw.excerpt(text.len() - 3)
        );
        for i in 1..=8 {
            assert!(!shown.contains(&format!("S{i}")), "S{i} leaked: {shown}");
        }
        assert_eq!(o.oauth.client_secret.as_ref().map(Secret::expose), Some("S4"));
        // And in errors about secret-bearing strings.
        let e = err("Url=https://acme.atlassian.net;OAuthClientId=cid;OAuthClientSecret=S4;Timeout=x");
        assert!(!format!("{e} {e:?}").contains("S4"));
    }

    proptest::proptest! {
        /// Validation never panics, and neither a result nor an error shows a secret, whatever surrounds it.
        #[test]
        fn validation_never_panics_nor_shows_a_secret(
            before in "[A-Za-z=;:/. '\"]{0,40}",
            secret in "[A-Za-z0-9]{12,20}",
            after in "[A-Za-z=;:/. '\"]{0,40}",
            property in "(APIToken|Password|PersonalAccessToken|OAuthClientSecret|OAuthAccessToken|OAuthRefreshToken|OAuthVerifier|ApiTokn|MyPassword)",
        ) {
            let text = format!("{before};{property}={secret};{after}");
            let shown = match ConnectionOptions::parse(&text) {
                Ok(o) => format!("{o} {o:?} {:?} {:?}", o.properties(), o.warnings()),
                Err(e) => format!("{e} {e:?}"),
            };
            proptest::prop_assert!(!shown.contains(&secret), "{} shows the secret: {}", text, shown);
        }
    }

    #[test]
    fn display_is_a_canonical_parseable_string() {
        let o = ok("url=https://acme.atlassian.net/wiki;email=me@acme.com;api token='t;x';spaces=A,B");
        let shown = o.to_string();
        assert!(
            shown.starts_with("Url=https://acme.atlassian.net;AuthScheme=Basic;User=me@acme.com;APIToken=********;")
        );
        assert!(shown.contains(";Spaces=A,B;"), "{shown}");
        // The masked form is itself a valid connection string.
        let again = ConnectionOptions::parse(&shown).unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert_eq!(again.to_string(), shown);
    }
}

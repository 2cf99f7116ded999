//! Who may use the server, and with which Confluence connection.
//!
//! Every call but `Handshake` carries an `authorization` header: `Bearer <token>` with a token the handshake
//! issued, or `Basic` credentials (checked, then remembered for a while). In pass-through mode a bearer token the
//! server did not issue is taken as the client's Atlassian OAuth access token. Failed attempts from one address
//! are answered ever more slowly. No credential or token appears in a log or an error.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use confluence_sql::{Connection, ConnectionOptions, ErrorKind, SqlPolicy};
use connstr::{
    AuthScheme, ConnectionString, ConnectionStringBuilder, Deployment, InitiateOAuth, OAuthSettingsLocation, Secret,
};
use sha2::{Digest, Sha256};
use tonic::metadata::MetadataMap;
use tonic::Status;

use crate::error::ServeError;
use crate::users::Users;

/// How clients authenticate and whose Confluence credentials their queries use.
pub enum Authentication {
    /// Server users: clients log in with a name and password of `users`; every query runs on `connection`, with
    /// the server's own Confluence credentials. The procedures that change the connection's OAuth tokens
    /// (`GetOAuthAccessToken`, `RefreshOAuthAccessToken`) are removed from it.
    Users {
        /// Who may log in.
        users: Users,
        /// The connection all queries use; its policy must be [`SqlPolicy::REMOTE`].
        connection: Connection,
    },
    /// Pass-through: the client's Flight credentials are its own Confluence credentials (email + API token, Data
    /// Center user + password, a personal access token as the password of an empty user, or a bearer Atlassian
    /// OAuth access token); each client sees what Confluence lets it see.
    PassThrough {
        /// The site's settings (`Url` and tuning; no credentials).
        site: Box<ConnectionOptions>,
    },
}

impl std::fmt::Debug for Authentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Authentication::Users { users, .. } => f.debug_struct("Users").field("users", users).finish(),
            Authentication::PassThrough { site } => {
                f.debug_struct("PassThrough").field("site", &site.site_url()).finish()
            }
        }
    }
}

impl Authentication {
    /// Server users querying through `connection`. Refused when `connection` lets SQL reach local files or
    /// change settings ([`remote_options`] makes options that do not), or when there is no user.
    pub fn users(users: Users, connection: Connection) -> Result<Authentication, ServeError> {
        if users.is_empty() {
            return Err(ServeError::Config(
                "no server users: give --user NAME (password in CONFLUENCE_SQL_SERVE_PASSWORD) or --users-file".into(),
            ));
        }
        if connection.policy() != SqlPolicy::REMOTE {
            return Err(ServeError::Config(
                "the connection lets SQL use local files or SET: a remote client must not; drop LocalFiles and \
                 AllowSessionSettings from the connection string"
                    .into(),
            ));
        }
        // The procedures that change the connection's tokens would let one server user change the Confluence
        // account every client queries as: remote clients get the read-only procedure only.
        for name in TOKEN_PROCEDURES {
            connection.session().deregister_udtf(name);
            connection.session().deregister_udtf(&name.to_lowercase());
        }
        harden(&connection);
        Ok(Authentication::Users { users, connection })
    }

    /// Pass-through on the site of `connection_string`, which must not hold credentials (nor `AuthScheme`:
    /// each client's credentials decide it).
    pub fn pass_through(connection_string: &str) -> Result<Authentication, ServeError> {
        let invalid = |e: connstr::ConnStrError| ServeError::Sql(confluence_sql::SqlError::from(e));
        let parsed = ConnectionString::parse(connection_string).map_err(invalid)?;
        let mut given: Vec<&str> = Vec::new();
        let mut site = ConnectionStringBuilder::new();
        for pair in parsed.pairs() {
            let name = connstr::properties::lookup(&pair.key).map_or(pair.key.as_str(), |p| p.name);
            if CLIENT_PROPERTIES.contains(&name) {
                if !given.contains(&name) {
                    given.push(name);
                }
            } else {
                site.push(&pair.key, &pair.value).map_err(invalid)?;
            }
        }
        if !given.is_empty() {
            return Err(ServeError::Config(format!(
                "with --pass-through each client brings its own credentials: remove {} from the connection string",
                given.join(", ")
            )));
        }
        // Validated with stand-in Basic credentials (valid on Cloud and Data Center); each client's replace them.
        site.push("User", "pass-through").map_err(invalid)?;
        site.push("APIToken", "pass-through").map_err(invalid)?;
        let mut options = ConnectionOptions::parse(&site.build()).map_err(invalid)?;
        options.user = None;
        options.api_token = None;
        Ok(Authentication::PassThrough { site: Box::new(remote_options(options)) })
    }
}

/// Takes from a connection remote clients use what only burns the server's CPU and memory: DataFusion's row
/// generators (`generate_series`, `range`), which produce any number of rows without reading Confluence.
fn harden(connection: &Connection) {
    for name in ["generate_series", "range"] {
        connection.session().deregister_udtf(name);
    }
}

/// The procedures that replace a connection's OAuth tokens.
const TOKEN_PROCEDURES: &[&str] = &["GetOAuthAccessToken", "RefreshOAuthAccessToken"];

/// The properties a pass-through client's credentials set.
const CLIENT_PROPERTIES: &[&str] = &[
    "AuthScheme",
    "User",
    "APIToken",
    "Password",
    "PersonalAccessToken",
    "OAuthClientId",
    "OAuthClientSecret",
    "OAuthAccessToken",
    "OAuthRefreshToken",
    "OAuthVerifier",
    "InitiateOAuth",
];

/// `options` restricted for remote clients: no local files, no `SET`.
pub fn remote_options(mut options: ConnectionOptions) -> ConnectionOptions {
    options.local_files = SqlPolicy::REMOTE.local_files;
    options.allow_session_settings = SqlPolicy::REMOTE.session_settings;
    options
}

/// An authenticated client: who it is and the connection its statements run on.
#[derive(Clone)]
pub(crate) struct Session {
    /// The server user, or the Confluence account in pass-through mode.
    pub principal: Arc<str>,
    /// The connection to run on.
    pub connection: Connection,
}

/// Settings of the authenticator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetimes {
    /// How long a token from the handshake is valid.
    pub token: Duration,
    /// How long checked credentials (and pass-through connections) are remembered.
    pub credentials: Duration,
}

/// The most live tokens or remembered credentials; beyond it the oldest are forgotten.
const MAX_ENTRIES: usize = 50_000;

pub(crate) struct Authenticator {
    mode: Authentication,
    lifetimes: Lifetimes,
    /// Tokens issued by the handshake.
    tokens: Mutex<Expiring<String>>,
    /// Credentials checked recently, by a keyed digest (never the clear text).
    credentials: Mutex<Expiring<[u8; 32]>>,
    /// The key of those digests, random per process.
    digest_key: [u8; 32],
    throttle: Throttle,
    /// Credential checks running at once.
    checking: tokio::sync::Semaphore,
}

impl Authenticator {
    pub fn new(mode: Authentication, lifetimes: Lifetimes) -> Result<Authenticator, ServeError> {
        let mut digest_key = [0u8; 32];
        getrandom::fill(&mut digest_key).map_err(|e| ServeError::Config(format!("no randomness: {e}")))?;
        Ok(Authenticator {
            mode,
            lifetimes,
            tokens: Mutex::new(Expiring::default()),
            credentials: Mutex::new(Expiring::default()),
            digest_key,
            throttle: Throttle::default(),
            checking: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get).max(2),
            ),
        })
    }

    /// `"users"` or `"pass-through"`.
    pub fn mode_name(&self) -> &'static str {
        match self.mode {
            Authentication::Users { .. } => "users",
            Authentication::PassThrough { .. } => "pass-through",
        }
    }

    /// Whether the server's connection string says `ReadOnly=true` (every client's writes are refused).
    pub fn read_only(&self) -> bool {
        match &self.mode {
            Authentication::Users { connection, .. } => connection.options().read_only,
            Authentication::PassThrough { site, .. } => site.read_only,
        }
    }

    /// The session of a call's `authorization` header.
    pub async fn session(&self, metadata: &MetadataMap, peer: Option<IpAddr>) -> Result<Session, Status> {
        match Credential::from_metadata(metadata)? {
            Credential::Bearer(token) => {
                if let Some(session) = lock(&self.tokens).get(&token) {
                    return Ok(session);
                }
                match self.mode {
                    Authentication::PassThrough { .. } => self.check(Credential::Bearer(token), peer).await,
                    Authentication::Users { .. } => Err(Status::unauthenticated(
                        "the bearer token is unknown or has expired: log in again (Flight handshake with user and \
                         password)",
                    )),
                }
            }
            basic => self.check(basic, peer).await,
        }
    }

    /// The handshake: checks the credentials and issues a bearer token for them.
    pub async fn handshake(
        &self,
        metadata: &MetadataMap,
        payload: Option<Credential>,
        peer: Option<IpAddr>,
    ) -> Result<String, Status> {
        let credential = match Credential::from_metadata(metadata) {
            Ok(credential) => credential,
            Err(missing) => payload.ok_or(missing)?,
        };
        if let Credential::Bearer(token) = &credential {
            if lock(&self.tokens).get(token).is_some() {
                return Ok(token.clone());
            }
        }
        let session = self.check(credential, peer).await?;
        let token = random_token()?;
        lock(&self.tokens).insert(token.clone(), session, self.lifetimes.token);
        Ok(token)
    }

    /// Checks credentials (or finds them checked recently). Attempts for one user name from one network wait
    /// longer after each failure, and only a few checks run at once (a check is slow by design).
    async fn check(&self, credential: Credential, peer: Option<IpAddr>) -> Result<Session, Status> {
        let key = credential.digest(&self.digest_key);
        if let Some(session) = lock(&self.credentials).get(&key) {
            return Ok(session);
        }
        let attempt = Throttle::key(peer, &credential);
        let delay = self.throttle.begin(&attempt);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let _slot = tokio::time::timeout(Duration::from_secs(10), self.checking.acquire())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| Status::resource_exhausted("too many logins at once: try again in a moment"))?;
        let result = match &self.mode {
            Authentication::Users { users, connection } => {
                let Credential::Basic { user, password } = &credential else {
                    return Err(Status::unauthenticated("log in with a user name and password (Flight handshake)"));
                };
                let (users, user_name, password) = (users.clone(), user.clone(), password.clone());
                let valid = tokio::task::spawn_blocking(move || users.verify(&user_name, password.expose()))
                    .await
                    .unwrap_or(false);
                if valid {
                    Ok(Session { principal: Arc::from(user.as_str()), connection: connection.clone() })
                } else {
                    Err(Status::unauthenticated("wrong user name or password"))
                }
            }
            Authentication::PassThrough { site } => pass_through_session(site, &credential).await,
        };
        match &result {
            Ok(session) => {
                self.throttle.succeeded(&attempt);
                tracing::info!(principal = %session.principal, "client authenticated");
                lock(&self.credentials).insert(key, session.clone(), self.lifetimes.credentials);
            }
            Err(status) if status.code() == tonic::Code::Unauthenticated => {
                tracing::warn!(peer = ?peer, "authentication failed");
            }
            // Not the client's fault (Confluence unreachable, say): not counted against it.
            Err(_) => self.throttle.succeeded(&attempt),
        }
        result
    }
}

/// Opens a connection with the client's own credentials and checks them with one request.
async fn pass_through_session(site: &ConnectionOptions, credential: &Credential) -> Result<Session, Status> {
    let mut options = site.clone();
    let cloud = options.deployment == Deployment::Cloud;
    match credential {
        Credential::Basic { user, password } if user.is_empty() => {
            if cloud {
                return Err(Status::unauthenticated(
                    "Confluence Cloud needs your email as the user name and an API token as the password",
                ));
            }
            options.auth_scheme = AuthScheme::Pat;
            options.personal_access_token = Some(password.clone());
        }
        Credential::Basic { user, password } => {
            options.auth_scheme = AuthScheme::Basic;
            options.user = Some(user.clone());
            if cloud {
                options.api_token = Some(password.clone());
            } else {
                options.password = Some(password.clone());
            }
        }
        // Data Center takes personal access tokens and OAuth access tokens alike as `Bearer`.
        Credential::Bearer(token) if !cloud => {
            options.auth_scheme = AuthScheme::Pat;
            options.personal_access_token = Some(Secret::new(token.clone()));
        }
        Credential::Bearer(token) => {
            options.auth_scheme = AuthScheme::OAuth;
            options.oauth.access_token = Some(Secret::new(token.clone()));
            options.oauth.initiate = InitiateOAuth::Off;
            // The client's token lives in this connection only: never read or written to the server's store.
            options.oauth.settings_location = OAuthSettingsLocation::Memory;
        }
    }
    let connection = Connection::builder().options(options).build().map_err(|e| crate::error::status(&e))?;
    harden(&connection);
    match connection.current_user().await {
        // The account id names the client: unique, and the same whichever credential of the account it used.
        Ok(user) => Ok(Session { principal: Arc::from(format!("account:{}", user.account).as_str()), connection }),
        Err(error) if error.kind() == ErrorKind::Auth => {
            Err(Status::unauthenticated("Confluence refused the credentials: check the user name and token"))
        }
        Err(error) => Err(crate::error::status(&error)),
    }
}

/// Credentials as a client sent them. `Debug` hides the secrets.
#[derive(Clone)]
pub(crate) enum Credential {
    /// HTTP Basic: a user name (may be empty) and a password or token.
    Basic { user: String, password: Secret },
    /// A bearer token.
    Bearer(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Basic { user, .. } => write!(f, "Basic({user}, ********)"),
            Credential::Bearer(_) => f.write_str("Bearer(********)"),
        }
    }
}

impl Credential {
    /// The credentials in the `authorization` header.
    pub fn from_metadata(metadata: &MetadataMap) -> Result<Credential, Status> {
        let Some(value) = metadata.get("authorization") else {
            return Err(Status::unauthenticated(
                "no credentials: log in with a user name and password (Flight handshake), then send the bearer token",
            ));
        };
        let value = value.to_str().map_err(|_| Status::unauthenticated("the authorization header is not text"))?;
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
            return Ok(Credential::Bearer(rest.to_owned()));
        }
        if scheme.eq_ignore_ascii_case("basic") {
            // Padding optional: Go's Flight client (the ADBC Flight SQL driver) sends none.
            let lenient = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
            );
            let decoded = lenient
                .decode(rest)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| Status::unauthenticated("the Basic credentials are not base64 of user:password"))?;
            let (user, password) = decoded
                .split_once(':')
                .ok_or_else(|| Status::unauthenticated("the Basic credentials are not user:password"))?;
            return Ok(Credential::Basic { user: user.to_owned(), password: Secret::new(password) });
        }
        Err(Status::unauthenticated("the authorization header must be Basic or Bearer"))
    }

    /// A keyed digest that identifies the credentials without holding them.
    fn digest(&self, key: &[u8; 32]) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(key);
        match self {
            Credential::Basic { user, password } => {
                hasher.update(b"basic\0");
                hasher.update(user.as_bytes());
                hasher.update(b"\0");
                hasher.update(password.expose().as_bytes());
            }
            Credential::Bearer(token) => {
                hasher.update(b"bearer\0");
                hasher.update(token.as_bytes());
            }
        }
        hasher.finalize().into()
    }
}

/// Sessions by key, each until its expiry; at most [`MAX_ENTRIES`] in all and [`MAX_PER_PRINCIPAL`] for one
/// client (beyond, its own oldest go), so that one client cannot push the others out.
struct Expiring<K> {
    entries: HashMap<K, (Session, Instant)>,
}

/// The most tokens (or remembered credentials) one client has at once.
const MAX_PER_PRINCIPAL: usize = 64;

impl<K> Default for Expiring<K> {
    fn default() -> Self {
        Expiring { entries: HashMap::new() }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Expiring<K> {
    fn get(&self, key: &K) -> Option<Session> {
        self.entries.get(key).filter(|(_, until)| *until > Instant::now()).map(|(session, _)| session.clone())
    }

    fn insert(&mut self, key: K, session: Session, lifetime: Duration) {
        let now = Instant::now();
        // A lifetime too long to add is as good as forever.
        let until = now.checked_add(lifetime).unwrap_or(now + Duration::from_secs(100 * 365 * 86_400));
        let principal = session.principal.clone();
        let own: Vec<(K, Instant)> = self
            .entries
            .iter()
            .filter(|(_, (s, _))| s.principal == principal)
            .map(|(k, (_, until))| (k.clone(), *until))
            .collect();
        if own.len() >= MAX_PER_PRINCIPAL {
            if let Some((oldest, _)) = own.iter().min_by_key(|(_, until)| *until) {
                self.entries.remove(oldest);
            }
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.retain(|_, (_, until)| *until > now);
        }
        if self.entries.len() >= MAX_ENTRIES {
            if let Some(oldest) = self.entries.iter().min_by_key(|(_, (_, until))| *until).map(|(k, _)| k.clone()) {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key, (session, until));
    }
}

/// Slows down repeated login attempts for one user name from one network (an IPv4 address, an IPv6 /64): the
/// first few go at once, then each waits twice as long as the one before, up to [`Throttle::MAX_DELAY`]. An
/// attempt counts when it starts, so attempts sent in parallel wait too; a success clears the count of its own
/// user name only; ten quiet minutes forget it.
#[derive(Default)]
struct Throttle {
    attempts: Mutex<HashMap<ThrottleKey, (u32, Instant)>>,
}

/// A network and a user name (empty for bearer tokens).
type ThrottleKey = (IpAddr, String);

impl Throttle {
    const FREE_ATTEMPTS: u32 = 3;
    const FIRST_DELAY: Duration = Duration::from_millis(250);
    const MAX_DELAY: Duration = Duration::from_secs(8);
    const FORGET_AFTER: Duration = Duration::from_secs(600);
    const MAX_KEYS: usize = 100_000;

    /// How long an attempt waits after `attempts` recent unsuccessful ones.
    fn delay(attempts: u32) -> Duration {
        match attempts.checked_sub(Self::FREE_ATTEMPTS) {
            None => Duration::ZERO,
            Some(extra) => Self::FIRST_DELAY.saturating_mul(1u32 << extra.min(16)).min(Self::MAX_DELAY),
        }
    }

    /// The key of an attempt: the peer's network and the user name, folded to lower case.
    fn key(peer: Option<IpAddr>, credential: &Credential) -> Option<ThrottleKey> {
        let network = match peer? {
            IpAddr::V6(v6) => {
                let mut octets = v6.octets();
                octets[8..].fill(0);
                IpAddr::from(octets)
            }
            v4 => v4,
        };
        let user = match credential {
            Credential::Basic { user, .. } => user.to_lowercase(),
            Credential::Bearer(_) => String::new(),
        };
        Some((network, user))
    }

    /// Counts an attempt and returns how long it waits first.
    fn begin(&self, key: &Option<ThrottleKey>) -> Duration {
        let Some(key) = key else { return Duration::ZERO };
        let mut map = lock(&self.attempts);
        if map.len() >= Self::MAX_KEYS && !map.contains_key(key) {
            map.retain(|_, (_, at)| at.elapsed() < Self::FORGET_AFTER);
            if map.len() >= Self::MAX_KEYS {
                if let Some(oldest) = map.iter().min_by_key(|(_, (_, at))| *at).map(|(k, _)| k.clone()) {
                    map.remove(&oldest);
                }
            }
        }
        let entry = map.entry(key.clone()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= Self::FORGET_AFTER {
            entry.0 = 0;
        }
        let before = entry.0;
        *entry = (before.saturating_add(1), Instant::now());
        Self::delay(before)
    }

    /// Forgets the attempts of `key` (its login succeeded).
    fn succeeded(&self, key: &Option<ThrottleKey>) {
        if let Some(key) = key {
            lock(&self.attempts).remove(key);
        }
    }
}

/// 32 random bytes, URL-safe base64.
pub(crate) fn random_token() -> Result<String, Status> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| Status::internal(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(value: &str) -> MetadataMap {
        let mut map = MetadataMap::new();
        map.insert("authorization", value.parse().unwrap());
        map
    }

    #[test]
    fn credentials_are_read_from_the_header_and_never_shown() {
        let basic = base64::engine::general_purpose::STANDARD.encode("ana:pa:ss");
        let credential = Credential::from_metadata(&metadata(&format!("Basic {basic}"))).unwrap();
        assert!(
            matches!(&credential, Credential::Basic { user, password } if user == "ana" && password.expose() == "pa:ss")
        );
        assert_eq!(format!("{credential:?}"), "Basic(ana, ********)");
        let bearer = Credential::from_metadata(&metadata("bearer t0k3n")).unwrap();
        assert_eq!(format!("{bearer:?}"), "Bearer(********)");
        let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode("ana:pw");
        assert!(matches!(
            Credential::from_metadata(&metadata(&format!("Basic {unpadded}"))).unwrap(),
            Credential::Basic { user, .. } if user == "ana"
        ));
        for bad in ["Digest x", "Basic !!!", "Bearer ", "Basic dXNlcg=="] {
            let status = Credential::from_metadata(&metadata(bad)).unwrap_err();
            assert_eq!(status.code(), tonic::Code::Unauthenticated, "{bad}");
        }
        assert_eq!(Credential::from_metadata(&MetadataMap::new()).unwrap_err().code(), tonic::Code::Unauthenticated);
    }

    #[test]
    fn repeated_attempts_wait_longer_per_user_and_network() {
        assert_eq!(Throttle::delay(0), Duration::ZERO);
        assert_eq!(Throttle::delay(3), Duration::from_millis(250));
        assert_eq!(Throttle::delay(4), Duration::from_millis(500));
        assert_eq!(Throttle::delay(9), Duration::from_secs(8));
        assert_eq!(Throttle::delay(u32::MAX), Duration::from_secs(8));
        let throttle = Throttle::default();
        let basic = |user: &str| Credential::Basic { user: user.into(), password: Secret::new("x") };
        let victim = Throttle::key(Some(IpAddr::from([127, 0, 0, 9])), &basic("Victim"));
        // Attempts count when they start: parallel ones wait too.
        let delays: Vec<Duration> = (0..5).map(|_| throttle.begin(&victim)).collect();
        assert_eq!(delays[3], Duration::from_millis(250));
        assert_eq!(delays[4], Duration::from_millis(500));
        // Logging in as someone else from there does not clear the victim's count; the same name in another case
        // is the same user.
        let own = Throttle::key(Some(IpAddr::from([127, 0, 0, 9])), &basic("attacker"));
        throttle.succeeded(&own);
        let again = Throttle::key(Some(IpAddr::from([127, 0, 0, 9])), &basic("VICTIM"));
        assert_eq!(throttle.begin(&again), Duration::from_secs(1));
        // One IPv6 /64 is one network.
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::ffff:2".parse().unwrap();
        assert_eq!(Throttle::key(Some(a), &basic("u")), Throttle::key(Some(b), &basic("u")));
        throttle.succeeded(&again);
        assert_eq!(throttle.begin(&victim), Duration::ZERO);
    }

    #[test]
    fn digests_tell_credentials_apart() {
        let key = [7u8; 32];
        let a = Credential::Basic { user: "a".into(), password: Secret::new("b:c") };
        let b = Credential::Basic { user: "a:b".into(), password: Secret::new("c") };
        assert_ne!(a.digest(&key), b.digest(&key));
        assert_ne!(a.digest(&key), a.digest(&[8u8; 32]));
    }

    #[test]
    fn pass_through_refuses_a_connection_string_with_credentials() {
        let error =
            Authentication::pass_through("Url=https://acme.atlassian.net;User=me@acme.com;APIToken=secret-token-value")
                .unwrap_err()
                .to_string();
        assert!(error.contains("remove User, APIToken"), "{error}");
        assert!(!error.contains("secret-token-value"));
        let site = Authentication::pass_through("Url=https://acme.atlassian.net;LocalFiles=ReadWrite").unwrap();
        let Authentication::PassThrough { site } = site else { panic!() };
        assert_eq!(site.local_files, SqlPolicy::REMOTE.local_files);
    }
}

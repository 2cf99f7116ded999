//! [`OAuthSession`]: the OAuth state of one connection. It finds usable tokens (the store, then the connection
//! string), refreshes them before they expire and once after a 401, runs the desktop flow when `InitiateOAuth`
//! allows it, drives the web flow for the stored procedures, and is the connection's [`TokenSource`].
//!
//! Refreshing is a single flight per process (an async mutex) and, across processes, happens under the token
//! store's exclusive lock: the refresher re-reads the store first, so a process that lost the race adopts the
//! tokens the winner saved instead of spending a refresh token that Atlassian has already rotated away. New tokens
//! are saved before they are used.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use confluence_rest::{RestError, TokenSource};
use connstr::{ConnectionOptions, Deployment, InitiateOAuth, Secret};
use reqwest::header::HeaderValue;
use url::Url;

use crate::browser::{Browser, SystemBrowser};
use crate::callback::{CallbackListener, CallbackOutcome};
use crate::config::OAuthConfig;
use crate::error::OAuthError;
use crate::grant::{AccessibleSite, AuthorizationRequest, GrantedTokens, Grants};
use crate::store::{now_secs, PendingAuthorization, TokenFile, TokenStore};

/// Pending web-flow authorizations are forgotten after this long.
const PENDING_LIFETIME_SECS: u64 = 3600;

/// At most this many web-flow authorizations wait for their code; starting another forgets the oldest.
pub const MAX_PENDING: usize = 32;

/// The shortest `State` a caller may choose: it must be unguessable, since it is what binds a callback to the
/// authorization this driver started.
pub const MIN_STATE_LENGTH: usize = 16;

/// Tokens in use, as the procedures return them.
#[derive(Clone, Debug)]
pub struct TokenSet {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token.
    pub refresh_token: Option<Secret>,
    /// Seconds until the access token expires, when known.
    pub expires_in: Option<u64>,
    /// The Cloud site id API calls go to.
    pub cloud_id: Option<String>,
    /// The granted scopes.
    pub scopes: Vec<String>,
}

#[derive(Clone)]
struct Current {
    access: Secret,
    refresh: Option<Secret>,
    expires_at: Option<u64>,
    cloud_id: Option<String>,
    scopes: Vec<String>,
}

impl Current {
    fn from_file(file: &TokenFile) -> Option<Current> {
        Some(Current {
            access: Secret::new(file.access_token.clone()?),
            refresh: file.refresh_token.clone().map(Secret::new),
            expires_at: file.expires_at,
            cloud_id: file.cloud_id.clone(),
            scopes: file.scopes.clone(),
        })
    }

    fn granted(granted: GrantedTokens, cloud_id: Option<String>) -> Current {
        Current {
            access: granted.access_token,
            refresh: granted.refresh_token,
            expires_at: granted.expires_in.map(|s| now_secs().saturating_add(s)),
            cloud_id,
            scopes: granted.scopes,
        }
    }

    fn fresh(&self, margin: Duration) -> bool {
        self.expires_at.is_none_or(|at| at > now_secs().saturating_add(margin.as_secs()))
    }

    fn token_set(&self) -> TokenSet {
        TokenSet {
            access_token: self.access.clone(),
            refresh_token: self.refresh.clone(),
            expires_in: self.expires_at.map(|at| at.saturating_sub(now_secs())),
            cloud_id: self.cloud_id.clone(),
            scopes: self.scopes.clone(),
        }
    }
}

/// The OAuth state of one connection.
pub struct OAuthSession {
    grants: Grants,
    config: Arc<OAuthConfig>,
    store: TokenStore,
    browser: Arc<dyn Browser>,
    current: RwLock<Option<Current>>,
    flight: tokio::sync::Mutex<()>,
}

impl fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthSession")
            .field("deployment", &self.config.deployment)
            .field("client_id", &self.config.client_id)
            .field("initiate", &self.config.initiate)
            .field("store", &self.config.settings_location.to_string())
            .finish()
    }
}

impl OAuthSession {
    /// A session for `config`, opening the system browser for the desktop flow.
    pub fn new(config: OAuthConfig) -> Result<OAuthSession, OAuthError> {
        let config = Arc::new(config);
        Ok(OAuthSession {
            grants: Grants::new(config.clone())?,
            store: TokenStore::open(&config.settings_location),
            config,
            browser: Arc::new(SystemBrowser),
            current: RwLock::new(None),
            flight: tokio::sync::Mutex::new(()),
        })
    }

    /// A session for a connection's options.
    pub fn from_options(options: &ConnectionOptions) -> Result<OAuthSession, OAuthError> {
        OAuthSession::new(OAuthConfig::from_options(options)?)
    }

    /// Uses `browser` to show authorization URLs (tests follow them themselves; servers print them).
    pub fn with_browser(mut self, browser: Arc<dyn Browser>) -> OAuthSession {
        self.browser = browser;
        self
    }

    /// The settings.
    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    /// The token store.
    pub fn store(&self) -> &TokenStore {
        &self.store
    }

    fn cached(&self) -> Option<Current> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_cached(&self, current: Option<Current>) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = current;
    }

    /// The cloud id API calls go to, once known.
    pub fn cloud_id(&self) -> Option<String> {
        self.cached().and_then(|c| c.cloud_id).or_else(|| self.config.cloud_id.as_ref().map(|c| c.to_string()))
    }

    /// The cloud id known without a request: in use, given as `CloudId`, or saved in the store.
    pub fn known_cloud_id(&self) -> Option<String> {
        self.cloud_id().or_else(|| self.load_matching().ok().flatten().and_then(|f| f.cloud_id))
    }

    /// The stored tokens when they belong to this site and app.
    fn load_matching(&self) -> Result<Option<TokenFile>, OAuthError> {
        Ok(self.store.load()?.filter(|file| {
            let matches = same_site(&file.site_url, &self.config.site_url)
                && (self.config.client_id.is_empty() || file.client_id == self.config.client_id);
            if !matches {
                tracing::info!("the OAuth token store holds tokens for another site or app; ignoring them");
            }
            matches
        }))
    }

    fn file_for(&self, current: &Current, previous: Option<TokenFile>) -> TokenFile {
        let mut file = previous.unwrap_or_default();
        file.deployment = self.config.deployment.as_str().to_owned();
        file.site_url = self.config.site_url.to_string();
        file.client_id = self.config.client_id.clone();
        file.cloud_id = current.cloud_id.clone();
        file.scopes = current.scopes.clone();
        file.access_token = Some(current.access.expose().to_owned());
        file.refresh_token = current.refresh.as_ref().map(|r| r.expose().to_owned());
        file.expires_at = current.expires_at;
        file
    }

    /// Makes sure the connection has a usable access token, as `InitiateOAuth` allows: stored or given tokens,
    /// a refresh, or (with `GETANDREFRESH`) the desktop flow. On Cloud it also settles the cloud id.
    pub async fn authorize(&self) -> Result<TokenSet, OAuthError> {
        if let Some(current) = self.cached().filter(|c| c.fresh(self.config.refresh_margin)) {
            if current.cloud_id.is_some() || self.config.deployment == Deployment::DataCenter {
                return Ok(current.token_set());
            }
        }
        let _flight = self.flight.lock().await;
        let margin = self.config.refresh_margin;
        let mut candidate = self.cached().filter(|c| c.fresh(margin));
        if candidate.is_none() {
            let stored = self.load_matching()?.as_ref().and_then(Current::from_file);
            let given = self.config.access_token.clone().map(|access| Current {
                access,
                refresh: self.config.refresh_token.clone(),
                expires_at: None,
                cloud_id: None,
                scopes: self.config.scopes.clone(),
            });
            candidate = match (stored, given) {
                (Some(stored), _) if stored.fresh(margin) || self.config.initiate != InitiateOAuth::Off => Some(stored),
                (_, Some(given)) => Some(given),
                (stored, None) => stored,
            };
        }
        // The headless flow (CData's): no tokens yet, and OAuthVerifier holds the code of an authorization started
        // with GetOAuthAuthorizationURL on this token store; it is exchanged, and the tokens saved.
        if candidate.is_none() && self.config.initiate != InitiateOAuth::Off {
            if let Some(verifier) = self.config.verifier.clone() {
                let current = self.exchange_code(verifier.expose(), None, None, None, true).await?;
                let current = self.settle_cloud_id(current).await?;
                self.set_cached(Some(current.clone()));
                return Ok(current.token_set());
            }
        }
        let refresh_given = self.config.refresh_token.clone();
        let current = match (candidate, self.config.initiate) {
            (Some(current), _) if current.fresh(margin) => current,
            (Some(current), InitiateOAuth::Off) => current,
            (None, InitiateOAuth::Off) => {
                return Err(OAuthError::NotAuthorized(
                    "no OAuth access token: with InitiateOAuth=OFF, give OAuthAccessToken, or authorize with the \
                     GetOAuthAuthorizationURL and GetOAuthAccessToken procedures; or set \
                     InitiateOAuth=GETANDREFRESH to authorize in the browser"
                        .to_owned(),
                ))
            }
            (candidate, initiate) => {
                let has_refresh = candidate.as_ref().is_some_and(|c| c.refresh.is_some()) || refresh_given.is_some();
                let refreshed =
                    if has_refresh { Some(self.refresh_locked(None, candidate.clone()).await) } else { None };
                match (refreshed, initiate) {
                    (Some(Ok(current)), _) => current,
                    (Some(Err(OAuthError::Refused { .. })), InitiateOAuth::GetAndRefresh) => {
                        tracing::info!("the refresh token was refused; starting a new authorization");
                        self.desktop_flow(&self.config.scopes).await?
                    }
                    (Some(Err(error)), _) => return Err(error),
                    (None, InitiateOAuth::GetAndRefresh) => self.desktop_flow(&self.config.scopes).await?,
                    (None, _) => {
                        return Err(OAuthError::NotAuthorized(format!(
                            "InitiateOAuth=REFRESH needs a refresh token: give OAuthRefreshToken, or save tokens \
                             in OAuthSettingsLocation ({}) first with `confluence-sql login \"<connection string>\"`",
                            self.config.settings_location
                        )))
                    }
                }
            }
        };
        let current = self.settle_cloud_id(current).await?;
        self.set_cached(Some(current.clone()));
        Ok(current.token_set())
    }

    /// On Cloud, finds the cloud id (given, stored, or from accessible-resources) and saves it with the tokens.
    async fn settle_cloud_id(&self, mut current: Current) -> Result<Current, OAuthError> {
        if self.config.deployment != Deployment::Cloud || current.cloud_id.is_some() {
            return Ok(current);
        }
        current.cloud_id = Some(self.cloud_id_for(&current.access).await?);
        if current.refresh.is_some() || self.config.access_token.is_none() {
            self.persist(&current).await?;
        }
        Ok(current)
    }

    /// The site id: `CloudId` when given, else the accessible site that matches `Url`.
    async fn cloud_id_for(&self, access: &Secret) -> Result<String, OAuthError> {
        match &self.config.cloud_id {
            Some(given) => Ok(given.to_string()),
            None => {
                let sites = self.grants.accessible_sites(access).await?;
                Ok(choose_site(&sites, &self.config)?.id.clone())
            }
        }
    }

    /// Saves `current` in the store, under its lock.
    async fn persist(&self, current: &Current) -> Result<(), OAuthError> {
        let _lock = self.store.lock().await?;
        self.persist_locked(current)
    }

    /// Saves `current` in the store; the caller holds the store's lock.
    fn persist_locked(&self, current: &Current) -> Result<(), OAuthError> {
        let previous = self.store.load()?;
        self.store.save(&self.file_for(current, previous))
    }

    /// A usable access token, refreshed first when it is about to expire.
    pub async fn access_token(&self) -> Result<Secret, OAuthError> {
        match self.cached() {
            Some(current) if current.fresh(self.config.refresh_margin) => Ok(current.access),
            _ => Ok(self.authorize().await?.access_token),
        }
    }

    /// After a 401 for `rejected`: true when a fresh token is ready (another request already refreshed, or this
    /// call did), false when nothing can be done (`InitiateOAuth=OFF`).
    pub async fn refresh_rejected(&self, rejected: &str) -> Result<bool, OAuthError> {
        let _flight = self.flight.lock().await;
        let current = self.cached();
        if current.as_ref().is_some_and(|c| c.access.expose() != rejected) {
            return Ok(true);
        }
        if self.config.initiate == InitiateOAuth::Off {
            return Ok(false);
        }
        let refreshed = match self.refresh_locked(Some(rejected), current).await {
            Ok(refreshed) => refreshed,
            Err(OAuthError::Refused { .. }) if self.config.initiate == InitiateOAuth::GetAndRefresh => {
                self.desktop_flow(&self.config.scopes).await?
            }
            Err(error) => return Err(error),
        };
        self.set_cached(Some(refreshed));
        Ok(true)
    }

    /// Refreshes under the store's lock. Adopts the stored tokens instead when another process refreshed already
    /// (they differ from `rejected` and are fresh); retries once with the stored refresh token when the one used was
    /// rotated away meanwhile.
    async fn refresh_locked(&self, rejected: Option<&str>, current: Option<Current>) -> Result<Current, OAuthError> {
        let _lock = self.store.lock().await?;
        let stored = self.load_matching()?;
        let stored_current = stored.as_ref().and_then(Current::from_file);
        if let Some(on_disk) = &stored_current {
            let was_rejected = rejected == Some(on_disk.access.expose());
            let same_as_ours = current.as_ref().is_some_and(|c| c.access == on_disk.access);
            if !was_rejected && !same_as_ours && on_disk.fresh(self.config.refresh_margin) {
                tracing::debug!("adopting OAuth tokens another process refreshed");
                return Ok(on_disk.clone());
            }
        }
        let refresh = stored_current
            .as_ref()
            .and_then(|c| c.refresh.clone())
            .or_else(|| current.as_ref().and_then(|c| c.refresh.clone()))
            .or_else(|| self.config.refresh_token.clone())
            .ok_or_else(|| {
                OAuthError::NotAuthorized(format!(
                    "the access token expired and there is no refresh token (include offline_access in Scope to get \
                     one). {}",
                    self.config.login_hint()
                ))
            })?;
        let cloud_id =
            stored_current.as_ref().and_then(|c| c.cloud_id.clone()).or_else(|| current.and_then(|c| c.cloud_id));
        let granted = match self.grants.refresh(&refresh).await {
            Ok(granted) => granted,
            Err(error @ OAuthError::Refused { .. }) => {
                // A process that does not share our lock (an older build, another tool) may have rotated it.
                let again = self.load_matching()?.as_ref().and_then(Current::from_file);
                match again.and_then(|c| c.refresh).filter(|r| *r != refresh) {
                    Some(newer) => self.grants.refresh(&newer).await?,
                    None => return Err(error),
                }
            }
            Err(error) => return Err(error),
        };
        let refreshed = Current::granted(granted, cloud_id);
        // Persist the rotated refresh token before anything uses the new access token.
        self.store.save(&self.file_for(&refreshed, stored))?;
        tracing::debug!("OAuth tokens refreshed and saved");
        Ok(refreshed)
    }

    /// Runs the desktop flow now, whatever is stored (`confluence-sql login`), and saves the tokens.
    pub async fn login(&self) -> Result<TokenSet, OAuthError> {
        self.login_with_scopes(None).await
    }

    /// [`OAuthSession::login`] asking for `scopes` (comma- or space-separated) instead of the configured ones.
    pub async fn login_with_scopes(&self, scopes: Option<&str>) -> Result<TokenSet, OAuthError> {
        let scopes = scope_list(scopes).unwrap_or_else(|| self.config.scopes.clone());
        let _flight = self.flight.lock().await;
        let current = self.desktop_flow(&scopes).await?;
        let current = self.settle_cloud_id(current).await?;
        self.set_cached(Some(current.clone()));
        Ok(current.token_set())
    }

    /// Forgets the tokens: deletes the store's file (or memory). Returns whether anything was stored.
    pub async fn logout(&self) -> Result<bool, OAuthError> {
        self.set_cached(None);
        self.store.remove().await
    }

    /// The desktop flow: listen on the callback, send the user to the authorization URL, check `state`, exchange
    /// the code, save.
    async fn desktop_flow(&self, scopes: &[String]) -> Result<Current, OAuthError> {
        if self.config.client_id.is_empty() {
            return Err(OAuthError::Config("the desktop flow needs OAuthClientId".to_owned()));
        }
        let callback = self.config.callback_url.clone();
        let listener = CallbackListener::bind(&callback).await?;
        let request = self.grants.authorization_request(&callback, scopes, None);
        if let Err(reason) = self.browser.open(&request.url) {
            eprintln!(
                "Cannot open a browser ({reason}). Open this URL, accept, and the browser will return here:\n  {}",
                request.url
            );
        }
        tracing::info!(callback = %callback, "waiting for the OAuth callback");
        // The listener answers callbacks of other authorizations (a stale tab, a forged link) and keeps waiting.
        let outcome = listener.wait(self.config.flow_timeout, &callback, &request.state).await?;
        let code = match outcome {
            CallbackOutcome::Error { error, description, .. } => return Err(OAuthError::Denied { error, description }),
            CallbackOutcome::Code { code, .. } => code,
        };
        let granted = self.grants.exchange_code(&code, &callback, request.code_verifier.as_ref()).await?;
        self.save_granted(granted, None).await
    }

    async fn save_granted(&self, granted: GrantedTokens, cloud_id: Option<String>) -> Result<Current, OAuthError> {
        let mut current = Current::granted(granted, cloud_id);
        if self.config.deployment == Deployment::Cloud && current.cloud_id.is_none() {
            current.cloud_id = Some(self.cloud_id_for(&current.access).await?);
        }
        self.persist(&current).await?;
        Ok(current)
    }

    /// Web flow, step 1 (`GetOAuthAuthorizationURL`): the URL to send the user to. The PKCE verifier (Data Center)
    /// is returned and also kept in the store under the `state`, so step 2 can find it.
    pub async fn begin_authorization(
        &self,
        callback: Option<&str>,
        scopes: Option<&str>,
        state: Option<&str>,
    ) -> Result<AuthorizationRequest, OAuthError> {
        if self.config.client_id.is_empty() {
            return Err(OAuthError::Config("GetOAuthAuthorizationURL needs OAuthClientId".to_owned()));
        }
        let callback = match callback {
            Some(text) => parse_url("CallbackURL", text)?,
            None => self.config.callback_url.clone(),
        };
        let scopes = scope_list(scopes).unwrap_or_else(|| self.config.scopes.clone());
        if let Some(state) = state {
            if state.chars().count() < MIN_STATE_LENGTH || state.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(OAuthError::Config(format!(
                    "State must be at least {MIN_STATE_LENGTH} characters without spaces, and unguessable (it is \
                     what ties the callback to this authorization); leave it out to get a random one"
                )));
            }
        }
        let request = self.grants.authorization_request(&callback, &scopes, state.map(str::to_owned));
        let _lock = self.store.lock().await?;
        let mut file = self.store.load()?.unwrap_or_default();
        let now = now_secs();
        file.pending.retain(|_, p| now.saturating_sub(p.created_at) < PENDING_LIFETIME_SECS);
        while file.pending.len() >= MAX_PENDING {
            let oldest = file.pending.iter().min_by_key(|(_, p)| p.created_at).map(|(k, _)| k.clone());
            let Some(oldest) = oldest else { break };
            file.pending.remove(&oldest);
        }
        file.pending.insert(
            request.state.clone(),
            PendingAuthorization {
                code_verifier: request.code_verifier.as_ref().map(|v| v.expose().to_owned()),
                callback_url: callback.to_string(),
                created_at: now,
            },
        );
        if file.site_url.is_empty() {
            file.deployment = self.config.deployment.as_str().to_owned();
            file.site_url = self.config.site_url.to_string();
            file.client_id = self.config.client_id.clone();
        }
        self.store.save(&file)?;
        Ok(request)
    }

    /// Web flow, step 2 (`GetOAuthAccessToken`): exchanges the code for tokens and saves them. `verifier` is the
    /// `code` from the callback, or the whole callback URL (then its `state` is checked against `state`, and an
    /// `error` in it is reported).
    pub async fn finish_authorization(
        &self,
        verifier: &str,
        callback: Option<&str>,
        state: Option<&str>,
        code_verifier: Option<&str>,
    ) -> Result<TokenSet, OAuthError> {
        let _flight = self.flight.lock().await;
        let current = self.exchange_code(verifier, callback, state, code_verifier, false).await?;
        self.set_cached(Some(current.clone()));
        Ok(current.token_set())
    }

    /// Exchanges the code of a pending authorization for tokens and saves them (the caller holds the flight
    /// lock). The pending authorization is the one under `state`; `headless` (the `OAuthVerifier` property, the
    /// local user's own store) also accepts the state in a callback URL given as `verifier`, or the only pending
    /// authorization there is.
    async fn exchange_code(
        &self,
        verifier: &str,
        callback: Option<&str>,
        state: Option<&str>,
        code_verifier: Option<&str>,
        headless: bool,
    ) -> Result<Current, OAuthError> {
        let (code, returned_state) = match Url::parse(verifier) {
            Ok(url) if url.query().is_some() => {
                let params: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
                if let Some(error) = params.get("error") {
                    return Err(OAuthError::Denied {
                        error: error.clone(),
                        description: params.get("error_description").cloned(),
                    });
                }
                let code = params.get("code").cloned().ok_or_else(|| {
                    OAuthError::Config("the callback URL given as Verifier has no code parameter".to_owned())
                })?;
                (code, params.get("state").cloned())
            }
            _ => (verifier.trim().to_owned(), None),
        };
        if code.is_empty() {
            return Err(OAuthError::Config(
                "GetOAuthAccessToken needs Verifier: the code parameter of the callback URL (or the whole URL)"
                    .to_owned(),
            ));
        }
        if let (Some(expected), Some(returned)) = (state, returned_state.as_deref()) {
            if expected != returned {
                return Err(OAuthError::StateMismatch);
            }
        }
        // The code must answer the authorization the caller started: the caller passes the state it kept from
        // step 1 (a web application, in the user's session), which must be pending here (and is then spent). The
        // state in a callback URL alone proves nothing: whoever made the link chose it.
        let key = match (state, headless) {
            (Some(state), _) => state.to_owned(),
            (None, true) => match returned_state {
                Some(returned) => returned,
                None => self.only_pending()?,
            },
            (None, false) => return Err(OAuthError::Config(
                "GetOAuthAccessToken needs the State that GetOAuthAuthorizationURL returned, kept by the caller (a \
                     web application keeps it in the user's session): it ties the code to the authorization that user \
                     started"
                    .to_owned(),
            )),
        };
        let pending = {
            let _lock = self.store.lock().await?;
            let mut file = self.store.load()?.unwrap_or_default();
            let now = now_secs();
            let live = |p: &PendingAuthorization| now.saturating_sub(p.created_at) < PENDING_LIFETIME_SECS;
            let pending = file.pending.remove(&key).filter(live);
            if pending.is_some() {
                self.store.save(&file)?;
            }
            pending
        };
        let pending = pending.ok_or(OAuthError::UnknownState)?;
        let callback = match callback {
            Some(text) => parse_url("CallbackURL", text)?,
            None => parse_url("CallbackURL", &pending.callback_url)?,
        };
        let code_verifier =
            code_verifier.map(|v| Secret::new(v.to_owned())).or_else(|| pending.code_verifier.clone().map(Secret::new));
        if self.config.uses_pkce() && code_verifier.is_none() {
            return Err(OAuthError::Config(
                "Data Center needs the PKCE code_verifier that GetOAuthAuthorizationURL returned: pass it as \
                 CodeVerifier, or pass the same State so it is found in OAuthSettingsLocation"
                    .to_owned(),
            ));
        }
        let granted = self.grants.exchange_code(&Secret::new(code), &callback, code_verifier.as_ref()).await?;
        self.save_granted(granted, None).await
    }

    /// The state of the one live pending authorization in the store (the headless flow with a bare code).
    fn only_pending(&self) -> Result<String, OAuthError> {
        let file = self.store.load()?.unwrap_or_default();
        let now = now_secs();
        let live: Vec<&String> = file
            .pending
            .iter()
            .filter(|(_, p)| now.saturating_sub(p.created_at) < PENDING_LIFETIME_SECS)
            .map(|(state, _)| state)
            .collect();
        match live.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(OAuthError::Config(format!(
                "OAuthVerifier is set, but no authorization is in progress in OAuthSettingsLocation ({}): run \
                 GetOAuthAuthorizationURL with this connection string first, open its URL, and set OAuthVerifier to \
                 the code (or the whole URL) the browser is sent back with",
                self.config.settings_location
            ))),
            _ => Err(OAuthError::Config(
                "several authorizations are in progress in OAuthSettingsLocation: set OAuthVerifier to the whole \
                 callback URL (with its state), not only its code"
                    .to_owned(),
            )),
        }
    }

    /// `RefreshOAuthAccessToken`: refreshes with `refresh_token` (or the stored one), saves and returns the new
    /// tokens (a new refresh token: the old one stops working).
    pub async fn refresh_with(&self, refresh_token: Option<&str>) -> Result<TokenSet, OAuthError> {
        let _flight = self.flight.lock().await;
        let current = match refresh_token {
            Some(token) => {
                // The lock is held until the rotated refresh token is saved: another process must not refresh
                // with the old one in between.
                let _lock = self.store.lock().await?;
                let granted = self.grants.refresh(&Secret::new(token.to_owned())).await?;
                let cloud_id = self.load_matching()?.and_then(|f| f.cloud_id).or_else(|| self.cloud_id());
                let mut current = Current::granted(granted, cloud_id);
                if self.config.deployment == Deployment::Cloud && current.cloud_id.is_none() {
                    current.cloud_id = Some(self.cloud_id_for(&current.access).await?);
                }
                self.persist_locked(&current)?;
                current
            }
            None => self.refresh_locked(None, self.cached()).await?,
        };
        self.set_cached(Some(current.clone()));
        Ok(current.token_set())
    }
}

/// Scopes given as text, comma- or space-separated (CData's procedures take either); `None` when none are given.
fn scope_list(text: Option<&str>) -> Option<Vec<String>> {
    let scopes: Vec<String> =
        text?.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    (!scopes.is_empty()).then_some(scopes)
}

fn parse_url(property: &str, text: &str) -> Result<Url, OAuthError> {
    Url::parse(text.trim()).map_err(|e| OAuthError::Config(format!("{property} '{text}' is not a URL: {e}")))
}

/// Whether two site URLs name the same site (scheme, host and port; `/wiki` and trailing slashes ignored).
fn same_site(a: &str, b: &Url) -> bool {
    Url::parse(a).is_ok_and(|a| {
        a.scheme() == b.scheme()
            && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
            && a.port_or_known_default() == b.port_or_known_default()
    })
}

/// The site among `sites` that the connection means: `CloudId` when given, else the one whose URL is `Url`.
pub fn choose_site<'a>(sites: &'a [AccessibleSite], config: &OAuthConfig) -> Result<&'a AccessibleSite, OAuthError> {
    let listing =
        || sites.iter().map(|s| format!("{} ({}, CloudId={})", s.name, s.url, s.id)).collect::<Vec<_>>().join("; ");
    if sites.is_empty() {
        return Err(OAuthError::SiteNotFound(format!(
            "the authorization reaches no Confluence site: check that the user who consented can use {} and that \
             the app has Confluence scopes",
            config.site_url
        )));
    }
    if let Some(given) = &config.cloud_id {
        return sites.iter().find(|s| s.id.eq_ignore_ascii_case(given.as_str())).ok_or_else(|| {
            OAuthError::SiteNotFound(format!(
                "CloudId {given} is not among the sites this authorization reaches: {}",
                listing()
            ))
        });
    }
    sites.iter().find(|s| same_site(&s.url, &config.site_url)).ok_or_else(|| {
        OAuthError::SiteNotFound(format!(
            "the authorization does not reach {}; it reaches: {}. Set Url to one of these sites, or CloudId",
            config.site_url,
            listing()
        ))
    })
}

#[async_trait]
impl TokenSource for OAuthSession {
    async fn authorization(&self) -> Result<HeaderValue, RestError> {
        let token = self.access_token().await?;
        let mut header = HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
            RestError::Authentication("the OAuth access token contains characters an HTTP header cannot carry".into())
        })?;
        header.set_sensitive(true);
        Ok(header)
    }

    async fn refresh_after_unauthorized(&self, rejected: &HeaderValue) -> Result<bool, RestError> {
        let rejected = rejected.to_str().unwrap_or_default();
        let rejected = rejected.strip_prefix("Bearer ").unwrap_or(rejected);
        Ok(self.refresh_rejected(rejected).await?)
    }

    fn hint(&self) -> String {
        format!("the OAuth authorization (tokens in {}). {}", self.config.settings_location, self.config.login_hint())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> OAuthConfig {
        let options = ConnectionOptions::parse(&format!(
            "Url=https://acme.atlassian.net;AuthScheme=OAuth;OAuthClientId=c;OAuthClientSecret=s;{extra}"
        ))
        .unwrap();
        OAuthConfig::from_options(&options).unwrap()
    }

    fn site(id: &str, url: &str) -> AccessibleSite {
        AccessibleSite { id: id.into(), url: url.into(), name: id.into(), scopes: vec![] }
    }

    #[test]
    fn chooses_the_site_by_url_or_cloud_id() {
        let sites = [site("1", "https://other.atlassian.net"), site("2", "https://acme.atlassian.net")];
        assert_eq!(choose_site(&sites, &config("")).unwrap().id, "2");
        let by_id = config("CloudId=a436116f-02ce-4520-8fbb-7301462a1674");
        let message = choose_site(&sites, &by_id).unwrap_err().to_string();
        assert!(message.contains("other.atlassian.net") && message.contains("CloudId=1"), "{message}");
        let message = choose_site(&sites[..1], &config("")).unwrap_err().to_string();
        assert!(message.contains("Set Url to one of these sites"), "{message}");
        assert!(choose_site(&[], &config("")).unwrap_err().to_string().contains("reaches no Confluence site"));
    }

    /// An `expires_in` near `u64::MAX` once overflowed `now + expires_in`.
    #[test]
    fn absurd_lifetimes_do_not_overflow() {
        let granted = GrantedTokens {
            access_token: Secret::new("a"),
            refresh_token: None,
            expires_in: Some(u64::MAX),
            scopes: Vec::new(),
        };
        let current = Current::granted(granted, None);
        assert_eq!(current.expires_at, Some(u64::MAX));
        assert!(current.fresh(Duration::from_secs(60)));
        assert!(!current.fresh(Duration::from_secs(u64::MAX)), "a margin to the end of time: not fresh, no panic");
        assert!(current.token_set().expires_in.is_some());
    }

    #[test]
    fn same_site_ignores_paths_and_case() {
        let url = Url::parse("https://Acme.atlassian.net").unwrap();
        assert!(same_site("https://acme.atlassian.net/wiki", &url));
        assert!(!same_site("https://acme.atlassian.net:8443", &url));
        assert!(!same_site("not a url", &url));
    }
}

//! Starting and stopping a simulator, and the request pipeline every API call goes through:
//! counters → faults (latency, 429, 5xx) → authentication → scopes → handler → faults that spoil the body.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use bytes::Bytes;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::{authenticate, check_scopes, style_for, Caller};
use crate::config::{SimConfig, SimDeployment};
use crate::dataset::Dataset;
use crate::errors::{ApiError, ErrorStyle};
use crate::faults::{FaultPlan, FaultRule, Faults};
use crate::metrics::{Counters, Metrics, RequestRecord};
use crate::oauth::tokens::TokenRegistry;
use crate::state::SimState;
use crate::store::Store;

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// What a client needs to connect: the URL, the credentials and the OAuth endpoints, as `confluence-sql sim
/// --format json` prints them.
#[derive(Clone, Debug, Serialize)]
pub struct SimInfo {
    /// The site URL (the connection property `Url`).
    pub url: String,
    /// `Cloud` or `DataCenter` (the connection property `Deployment`).
    pub deployment: &'static str,
    /// Cloud: the account email; Data Center: the username (the connection property `User`).
    pub user: String,
    /// Cloud API token (`APIToken`).
    pub api_token: String,
    /// Data Center password (`Password`).
    pub password: String,
    /// Data Center personal access token (`PersonalAccessToken`).
    pub pat: String,
    /// OAuth client id (`OAuthClientId`).
    pub client_id: String,
    /// OAuth client secret (`OAuthClientSecret`).
    pub client_secret: String,
    /// The Cloud site's id (`CloudId`).
    pub cloud_id: String,
    /// The authorization endpoint (`OAuthAuthorizationURL`).
    pub oauth_authorization_url: String,
    /// The token endpoint (`OAuthAccessTokenURL`).
    pub oauth_access_token_url: String,
    /// The API gateway (`AtlassianApiUrl`).
    pub atlassian_api_url: String,
    /// A ready-to-use connection string with Basic (Cloud) or a personal access token (Data Center).
    pub connection_string: String,
    /// A connection string for OAuth against the simulator's authorization server.
    pub oauth_connection_string: String,
    /// The data set: seed and sizes.
    pub dataset: String,
}

/// Starts simulators.
pub struct Simulator;

impl Simulator {
    /// Generates the data set, binds the address and serves until the handle is shut down or dropped.
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let listener =
            TcpListener::bind(config.bind).await.map_err(|source| SimError::Bind { addr: config.bind, source })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind { addr: config.bind, source })?;
        // Cloud's media service (attachment downloads) is another origin, as api.media.atlassian.com is.
        let media_bind = SocketAddr::new(config.bind.ip(), 0);
        let media_listener =
            TcpListener::bind(media_bind).await.map_err(|source| SimError::Bind { addr: media_bind, source })?;
        let media_addr = media_listener.local_addr().map_err(|source| SimError::Bind { addr: media_bind, source })?;
        let creds = &config.credentials;
        let dataset = Dataset::new(config.seed, config.size, &creds.email, &creds.username);
        let oauth = &config.oauth;
        let state = Arc::new(SimState {
            store: Store::new(dataset),
            base_url: format!("http://{addr}"),
            media_url: format!("http://{media_addr}"),
            metrics: Metrics::default(),
            faults: Faults::default(),
            tokens: TokenRegistry::new(
                oauth.access_token_lifetime,
                oauth.refresh_reuse_interval,
                oauth.refresh_inactivity,
                oauth.code_lifetime,
            ),
            auto_approve: AtomicBool::new(oauth.auto_approve),
            search_cache: crate::search::SearchCache::default(),
            config,
        });
        state.faults.set(state.config.faults.clone());
        let app = router(state.clone());
        let media_app = crate::api::attachments::media_routes().with_state(state.clone());
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let (media_stop_tx, media_stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let media = tokio::spawn(async move {
                let serve = axum::serve(media_listener, media_app).with_graceful_shutdown(async move {
                    let _ = media_stop_rx.await;
                });
                let _ = serve.await;
            });
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop_rx.await;
                let _ = media_stop_tx.send(());
            });
            let _ = serve.await;
            let _ = media.await;
        });
        Ok(SimHandle { state, addr, stop: Some(stop_tx), task: Some(task) })
    }
}

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct SimHandle {
    state: Arc<SimState>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// `http://127.0.0.1:<port>`: the site URL.
    pub fn base_url(&self) -> &str {
        &self.state.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// URLs and credentials for clients.
    pub fn info(&self) -> SimInfo {
        sim_info(&self.state)
    }

    /// The generated data set.
    pub fn dataset(&self) -> &Dataset {
        &self.state.store.data
    }

    /// The site's content, writes included.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.state.config
    }

    /// Request counters per endpoint.
    pub fn counters(&self) -> Counters {
        self.state.metrics.counters()
    }

    /// Every request so far (the most recent 20,000).
    pub fn request_log(&self) -> Vec<RequestRecord> {
        self.state.metrics.log()
    }

    /// Zeroes the counters and the log.
    pub fn reset_counters(&self) {
        self.state.metrics.reset();
    }

    /// Replaces the fault rules.
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        self.state.faults.set(rules);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.state.faults.set(Vec::new());
    }

    /// Expires every OAuth access token now.
    pub fn expire_tokens(&self) {
        self.state.tokens.expire_all_access_tokens();
    }

    /// Revokes every refresh token (as when a user removes the app's access).
    pub fn revoke_refresh_tokens(&self) {
        self.state.tokens.revoke_all_refresh_tokens();
    }

    /// Approve authorizations at once (true) or show the consent page (false).
    pub fn set_auto_approve(&self, enabled: bool) {
        self.state.auto_approve.store(enabled, Ordering::Relaxed);
    }

    /// Issues OAuth tokens directly, as if a user had consented (for tests that are not about the flow).
    pub fn issue_oauth_tokens(&self, scopes: &[&str]) -> crate::oauth::tokens::IssuedTokens {
        let issuer = match self.state.config.deployment {
            SimDeployment::Cloud => crate::oauth::tokens::Issuer::Cloud,
            SimDeployment::DataCenter => crate::oauth::tokens::Issuer::DataCenter,
        };
        let client = self.state.config.oauth.clients.first().map(|c| c.client_id.clone()).unwrap_or_default();
        self.state.tokens.issue_tokens(issuer, &client, scopes.iter().map(|s| s.to_string()).collect(), 0, true)
    }

    /// Stops serving and waits for the server to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until Ctrl-C.
    pub async fn serve_until_ctrl_c(self) {
        let _ = tokio::signal::ctrl_c().await;
        self.shutdown().await;
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub(crate) fn sim_info(state: &SimState) -> SimInfo {
    let config = &state.config;
    let creds = &config.credentials;
    let client = config.oauth.clients.first();
    let base = &state.base_url;
    let (authorize, token) = match config.deployment {
        SimDeployment::Cloud => (format!("{base}/authorize"), format!("{base}/oauth/token")),
        SimDeployment::DataCenter => {
            (format!("{base}/rest/oauth2/latest/authorize"), format!("{base}/rest/oauth2/latest/token"))
        }
    };
    let client_id = client.map(|c| c.client_id.clone()).unwrap_or_default();
    let client_secret = client.map(|c| c.client_secret.clone()).unwrap_or_default();
    let (user, connection_string, oauth_connection_string) = match config.deployment {
        SimDeployment::Cloud => (
            creds.email.clone(),
            format!("Url={base};Deployment=Cloud;User={};APIToken={}", creds.email, creds.api_token),
            format!(
                "Url={base};Deployment=Cloud;AuthScheme=OAuth;OAuthClientId={client_id};OAuthClientSecret={client_secret};\
                 OAuthAuthorizationURL={authorize};OAuthAccessTokenURL={token};AtlassianApiUrl={base}"
            ),
        ),
        SimDeployment::DataCenter => (
            creds.username.clone(),
            format!("Url={base};Deployment=DataCenter;PersonalAccessToken={}", creds.personal_access_token),
            format!(
                "Url={base};Deployment=DataCenter;AuthScheme=OAuthPKCE;OAuthClientId={client_id};OAuthClientSecret={client_secret}"
            ),
        ),
    };
    SimInfo {
        url: base.clone(),
        deployment: config.deployment.as_str(),
        user,
        api_token: creds.api_token.clone(),
        password: creds.password.clone(),
        pat: creds.personal_access_token.clone(),
        client_id,
        client_secret,
        cloud_id: config.cloud_id.clone(),
        oauth_authorization_url: authorize,
        oauth_access_token_url: token,
        atlassian_api_url: base.clone(),
        connection_string,
        oauth_connection_string,
        dataset: format!("seed={},{}", config.seed, config.size),
    }
}

fn router(state: Arc<SimState>) -> Router {
    let api = match state.config.deployment {
        SimDeployment::Cloud => {
            let wiki = crate::api::v2::routes()
                .merge(crate::api::v1::routes())
                .merge(crate::api::attachments::routes(SimDeployment::Cloud));
            Router::new()
                .merge(wiki.clone())
                .nest("/ex/confluence/{cloudid}", wiki)
                .merge(crate::oauth::cloud::routes())
        }
        SimDeployment::DataCenter => crate::api::dc::routes()
            .merge(crate::api::attachments::routes(SimDeployment::DataCenter))
            .merge(crate::oauth::dc::routes()),
    };
    let api = api.route_layer(middleware::from_fn_with_state(state.clone(), pipeline));
    Router::new().merge(api).merge(crate::control::routes()).with_state(state)
}

const GATEWAY_PREFIX: &str = "/ex/confluence/";

/// Splits `/ex/confluence/{cloudid}/wiki/...` into the cloud id and the site path.
pub(crate) fn split_gateway(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix(GATEWAY_PREFIX)?;
    let slash = rest.find('/')?;
    Some((&rest[..slash], &rest[slash..]))
}

/// Whether a path is part of the Confluence REST API (as opposed to the authorization servers).
fn is_api_path(path: &str) -> bool {
    path.starts_with("/wiki/") || path.starts_with("/rest/api") || path.starts_with("/download/")
}

async fn pipeline(State(state): State<Arc<SimState>>, mut request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let full_path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let (cloud_id, path) = match split_gateway(&full_path) {
        Some((id, rest)) => (Some(id.to_owned()), rest.to_owned()),
        None => (None, full_path.clone()),
    };
    let route =
        request.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_else(|| path.clone());
    let route = match split_gateway(&route) {
        Some((_, rest)) => rest.to_owned(),
        None => route,
    };
    let endpoint = format!("{method} {route}");
    let is_api = is_api_path(&path);
    let plan = state.faults.plan(&path, &endpoint, is_api);
    let seq = state.metrics.next_seq();

    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let style = if cloud_id.is_some() { ErrorStyle::Gateway } else { style_for(&path) };
    let response = if let Some(retry_after) = plan.too_many_requests {
        let mut response = too_many_requests(style, retry_after);
        if let Some(raw) = &plan.hostile.retry_after {
            if let Ok(value) = HeaderValue::from_str(raw) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    } else if let Some(status) = plan.server_error {
        ApiError::new(
            style,
            StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            "The service is temporarily unavailable. Please try again later.",
        )
        .into_response()
    } else {
        match admit(&state, &request, &method, &route, &path, cloud_id.as_deref(), is_api, style) {
            Ok(caller) => {
                if let Some(caller) = caller {
                    request.extensions_mut().insert(caller);
                }
                if let Some(shifted) = plan.hostile.rewrite_query(&query) {
                    let target = format!("{full_path}?{shifted}");
                    if let Ok(uri) = target.parse::<axum::http::Uri>() {
                        // Handlers read the original URI (the gateway prefix included): rewrite both.
                        request.extensions_mut().insert(axum::extract::OriginalUri(uri.clone()));
                        *request.uri_mut() = uri;
                    }
                }
                let response = next.run(request).await;
                let response = spoil(response, &plan).await;
                if plan.hostile.is_active() {
                    plan.hostile.apply(response, &path, &query).await
                } else {
                    response
                }
            }
            Err(error) => error.into_response(),
        }
    };
    state.metrics.record(RequestRecord {
        seq,
        method,
        endpoint: route,
        path: full_path,
        query,
        status: response.status().as_u16(),
        via_gateway: cloud_id.is_some(),
        fault: plan.label(),
    });
    response
}

/// Authenticates API requests and checks their scopes; the authorization servers authenticate themselves.
#[allow(clippy::too_many_arguments)]
fn admit(
    state: &SimState,
    request: &Request,
    method: &str,
    route: &str,
    path: &str,
    cloud_id: Option<&str>,
    is_api: bool,
    style: ErrorStyle,
) -> Result<Option<Caller>, ApiError> {
    if !is_api {
        return Ok(None);
    }
    let caller = authenticate(state, request.headers(), path, cloud_id.is_some())?;
    if let Some(id) = cloud_id {
        if id != state.config.cloud_id {
            return Err(ApiError::new(
                ErrorStyle::Gateway,
                StatusCode::NOT_FOUND,
                format!("No site with cloud id {id} is accessible with this token"),
            ));
        }
    }
    check_scopes(state.config.deployment, &caller, method, route, style)?;
    Ok(Some(caller))
}

fn too_many_requests(style: ErrorStyle, retry_after: u64) -> Response {
    let reset = chrono::Utc::now() + chrono::Duration::seconds(retry_after as i64);
    let mut response = ApiError::new(style, StatusCode::TOO_MANY_REQUESTS, "Rate limit exceeded.").into_response();
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set("retry-after", retry_after.to_string());
    set("x-ratelimit-limit", "100".to_owned());
    set("x-ratelimit-remaining", "0".to_owned());
    set("x-ratelimit-reset", reset.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    set("ratelimit-reason", "confluence-quota-global-based".to_owned());
    response
}

/// Applies the body faults of a plan to a successful response.
async fn spoil(response: Response, plan: &FaultPlan) -> Response {
    let Some(kind) = plan.spoil else { return response };
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = match kind {
        "malformed" => Body::from("{\"results\": [{\"id\": \"1\", \"title\": \"broken"),
        "truncated" => {
            // Half the body, a pause (so the head and that half reach the client), then the connection is cut.
            let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
            let stream = futures::stream::unfold(0u8, move |step| {
                let half = half.clone();
                async move {
                    match step {
                        0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                        1 => {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                            Some((
                                Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "simulated truncation")),
                                2,
                            ))
                        }
                        _ => None,
                    }
                }
            });
            Body::from_stream(stream)
        }
        _ => {
            let stream = futures::stream::iter(vec![Err::<Bytes, std::io::Error>(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated connection reset",
            ))]);
            Body::from_stream(stream)
        }
    };
    Response::from_parts(parts, body)
}

//! Atlassian Cloud OAuth 2.0 (3LO): `GET /authorize` (with consent page or auto-approve), `POST /oauth/token`
//! (authorization_code and refresh_token grants, JSON or form bodies, rotating refresh tokens),
//! `GET /oauth/token/accessible-resources`, and `GET /_edge/tenant_info`.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::auth::authenticate_oauth_bearer;
use crate::errors::ApiError;
use crate::oauth::tokens::{GrantError, Issuer};
use crate::oauth::{
    client, client_credentials, consent_page, redirect_with, token_request, token_response, AuthRequestStart,
};
use crate::state::SimState;

type Shared = State<Arc<SimState>>;

/// The Cloud authorization-server routes.
pub fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/authorize", get(authorize).post(consent))
        .route("/oauth/token", post(token))
        .route("/oauth/token/accessible-resources", get(accessible_resources))
        .route("/_edge/tenant_info", get(tenant_info))
}

/// What an authorization request asks for, once checked.
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: String,
}

/// Checks an authorization request. `Err` is the response to send: an error page for a bad client or redirect
/// URI, a redirect with `error=` for everything else.
fn check(st: &SimState, p: &HashMap<String, String>) -> Result<AuthRequest, Box<Response>> {
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or_default();
    let start = AuthRequestStart::check(st, p)?;
    let (app, redirect_uri, state) = (start.app, start.redirect_uri, start.state);
    let client_id = app.client_id.as_str();
    let fail = |error: &str, description: &str| start.fail(error, description);
    if get("audience") != "api.atlassian.com" {
        return Err(fail("invalid_request", "audience must be api.atlassian.com"));
    }
    let scopes: Vec<String> = get("scope").split_whitespace().map(str::to_owned).collect();
    if scopes.is_empty() {
        return Err(fail("invalid_scope", "scope is required"));
    }
    if let Some(bad) = scopes.iter().find(|s| !app.scopes.contains(s)) {
        return Err(fail(
            "invalid_scope",
            &format!("scope '{bad}' is missing or invalid: it is not configured for this app"),
        ));
    }
    let prompt = get("prompt");
    if !prompt.is_empty() && prompt != "consent" && prompt != "none" {
        return Err(fail("invalid_request", "prompt must be consent"));
    }
    Ok(AuthRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: state.to_owned(),
    })
}

fn approve(st: &SimState, request: &AuthRequest) -> Response {
    let code =
        st.tokens.issue_code(Issuer::Cloud, &request.client_id, &request.redirect_uri, request.scopes.clone(), 0, None);
    redirect_with(&request.redirect_uri, &[("code", &code), ("state", &request.state)])
}

async fn authorize(State(st): Shared, uri: OriginalUri) -> Response {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    match check(&st, &params) {
        Err(response) => *response,
        Ok(request) if st.auto_approve.load(Ordering::Relaxed) => approve(&st, &request),
        Ok(request) => consent_page("/authorize", &request.client_id, &request.scopes, &params),
    }
}

async fn consent(State(st): Shared, body: Bytes) -> Response {
    let params: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    match check(&st, &params) {
        Err(response) => *response,
        Ok(request) if params.get("decision").map(String::as_str) == Some("accept") => approve(&st, &request),
        Ok(request) => redirect_with(
            &request.redirect_uri,
            &[("error", "access_denied"), ("error_description", "The user denied access"), ("state", &request.state)],
        ),
    }
}

async fn token(State(st): Shared, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let fields = token_request(&headers, &body)?;
    let (client_id, secret) = client_credentials(&headers, &fields);
    let app = client(&st, &client_id).filter(|c| secret.as_deref() == Some(c.client_secret.as_str()));
    if app.is_none() {
        return Err(ApiError::oauth(StatusCode::UNAUTHORIZED, "access_denied", "Unauthorized"));
    }
    match fields.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = fields.get("code").map(String::as_str).unwrap_or_default();
            let grant = st
                .tokens
                .take_code(code)
                .filter(|g| g.issuer == Issuer::Cloud && g.client_id == client_id)
                .ok_or_else(|| ApiError::oauth(StatusCode::FORBIDDEN, "invalid_grant", "Invalid authorization code"))?;
            if fields.get("redirect_uri").map(String::as_str) != Some(grant.redirect_uri.as_str()) {
                return Err(ApiError::oauth(
                    StatusCode::FORBIDDEN,
                    "invalid_grant",
                    "redirect_uri does not match the authorization request",
                ));
            }
            let offline = grant.scopes.iter().any(|s| s == "offline_access");
            Ok(token_response(&st.tokens.issue_tokens(Issuer::Cloud, &client_id, grant.scopes, grant.user, offline)))
        }
        Some("refresh_token") => {
            let refresh = fields.get("refresh_token").map(String::as_str).unwrap_or_default();
            match st.tokens.refresh(Issuer::Cloud, &client_id, refresh) {
                Ok(tokens) => Ok(token_response(&tokens)),
                Err(GrantError::InvalidGrant(message)) => {
                    Err(ApiError::oauth(StatusCode::FORBIDDEN, "invalid_grant", message))
                }
            }
        }
        Some(other) => Err(ApiError::oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("Unsupported grant type: {other}"),
        )),
        None => Err(ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required")),
    }
}

async fn accessible_resources(State(st): Shared, headers: HeaderMap) -> Result<Response, ApiError> {
    let caller = authenticate_oauth_bearer(&st, &headers)?;
    Ok(Json(json!([{
        "id": st.config.cloud_id,
        "url": st.site_url(),
        "name": st.config.site_name,
        "scopes": caller.scopes.unwrap_or_default(),
        "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/rocket.png",
    }]))
    .into_response())
}

async fn tenant_info(State(st): Shared) -> Response {
    Json(json!({"cloudId": st.config.cloud_id})).into_response()
}

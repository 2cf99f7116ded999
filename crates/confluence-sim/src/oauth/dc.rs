//! Confluence Data Center's OAuth 2.0 provider (7.17+): `/rest/oauth2/latest/authorize` and
//! `/rest/oauth2/latest/token`, authorization code with PKCE (`S256` or `plain`), scopes `READ`, `WRITE`, `ADMIN`,
//! `SYSTEM_ADMIN`, client credentials in the body.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::errors::ApiError;
use crate::oauth::tokens::{GrantError, Issuer, PkceChallenge};
use crate::oauth::{
    client, client_credentials, consent_page, redirect_with, token_request, token_response, AuthRequestStart,
};
use crate::state::SimState;

type Shared = State<Arc<SimState>>;

/// Data Center scopes, each including the ones before it.
pub const DC_SCOPES: &[&str] = &["READ", "WRITE", "ADMIN", "SYSTEM_ADMIN"];

/// The Data Center authorization-server routes.
pub fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/rest/oauth2/latest/authorize", get(authorize).post(consent))
        .route("/rest/oauth2/latest/token", axum::routing::post(token))
}

struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: String,
    pkce: Option<PkceChallenge>,
}

fn check(st: &SimState, p: &HashMap<String, String>) -> Result<AuthRequest, Box<Response>> {
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or_default();
    let start = AuthRequestStart::check(st, p)?;
    let (app, redirect_uri, state) = (start.app, start.redirect_uri, start.state);
    let client_id = app.client_id.as_str();
    let fail = |error: &str, description: &str| start.fail(error, description);
    let scopes: Vec<String> = get("scope").split_whitespace().map(str::to_uppercase).collect();
    let scopes = if scopes.is_empty() { vec!["READ".to_owned()] } else { scopes };
    if let Some(bad) = scopes.iter().find(|s| !DC_SCOPES.contains(&s.as_str()) || !app.scopes.contains(s)) {
        return Err(fail("invalid_scope", &format!("Invalid scope '{bad}': use READ, WRITE, ADMIN or SYSTEM_ADMIN")));
    }
    let pkce = match (p.get("code_challenge"), get("code_challenge_method")) {
        (None, _) => None,
        (Some(challenge), method @ ("S256" | "plain" | "")) => Some(PkceChallenge {
            challenge: challenge.clone(),
            method: if method.is_empty() { "plain".to_owned() } else { method.to_owned() },
        }),
        (Some(_), other) => {
            return Err(fail(
                "invalid_request",
                &format!("Unsupported code_challenge_method '{other}': use S256 or plain"),
            ));
        }
    };
    Ok(AuthRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scopes: expand_scopes(&scopes),
        state: state.to_owned(),
        pkce,
    })
}

/// `WRITE` implies `READ`, `ADMIN` implies `WRITE`...
fn expand_scopes(scopes: &[String]) -> Vec<String> {
    let top = scopes.iter().filter_map(|s| DC_SCOPES.iter().position(|d| d == s)).max().unwrap_or(0);
    DC_SCOPES[..=top].iter().map(|s| s.to_string()).collect()
}

fn approve(st: &SimState, request: AuthRequest) -> Response {
    let code = st.tokens.issue_code(
        Issuer::DataCenter,
        &request.client_id,
        &request.redirect_uri,
        request.scopes,
        0,
        request.pkce,
    );
    redirect_with(&request.redirect_uri, &[("code", &code), ("state", &request.state)])
}

async fn authorize(State(st): Shared, uri: OriginalUri) -> Response {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    match check(&st, &params) {
        Err(response) => *response,
        Ok(request) if st.auto_approve.load(Ordering::Relaxed) => approve(&st, request),
        Ok(request) => consent_page("/rest/oauth2/latest/authorize", &request.client_id, &request.scopes, &params),
    }
}

async fn consent(State(st): Shared, body: Bytes) -> Response {
    let params: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    match check(&st, &params) {
        Err(response) => *response,
        Ok(request) if params.get("decision").map(String::as_str) == Some("accept") => approve(&st, request),
        Ok(request) => redirect_with(&request.redirect_uri, &[("error", "access_denied"), ("state", &request.state)]),
    }
}

/// Checks a `code_verifier` against the challenge (RFC 7636 section 4.6).
pub fn verify_pkce(challenge: &PkceChallenge, verifier: &str) -> Result<(), &'static str> {
    let valid_chars = verifier.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'));
    if !(43..=128).contains(&verifier.len()) || !valid_chars {
        return Err("code_verifier must be 43 to 128 characters from [A-Za-z0-9-._~]");
    }
    let computed = match challenge.method.as_str() {
        "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        _ => verifier.to_owned(),
    };
    if computed == challenge.challenge {
        Ok(())
    } else {
        Err("PKCE verification failed: the code_verifier does not match the code_challenge")
    }
}

async fn token(State(st): Shared, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let fields = token_request(&headers, &body)?;
    let (client_id, secret) = client_credentials(&headers, &fields);
    let app = client(&st, &client_id)
        .ok_or_else(|| ApiError::oauth(StatusCode::UNAUTHORIZED, "invalid_client", "Unknown client"))?;
    if secret.as_deref().is_some_and(|s| s != app.client_secret) {
        return Err(ApiError::oauth(StatusCode::UNAUTHORIZED, "invalid_client", "Invalid client secret"));
    }
    let invalid_grant = |m: &str| ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_grant", m);
    match fields.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = fields.get("code").map(String::as_str).unwrap_or_default();
            let grant = st
                .tokens
                .take_code(code)
                .filter(|g| g.issuer == Issuer::DataCenter && g.client_id == client_id)
                .ok_or_else(|| invalid_grant("Invalid or expired authorization code"))?;
            if fields.get("redirect_uri").map(String::as_str) != Some(grant.redirect_uri.as_str()) {
                return Err(invalid_grant("redirect_uri does not match the authorization request"));
            }
            match (&grant.pkce, fields.get("code_verifier")) {
                (Some(challenge), Some(verifier)) => verify_pkce(challenge, verifier).map_err(invalid_grant)?,
                (Some(_), None) => return Err(invalid_grant("code_verifier is required")),
                (None, _) if secret.is_none() => {
                    return Err(ApiError::oauth(
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        "A public client must use PKCE",
                    ));
                }
                (None, _) => {}
            }
            Ok(token_response(&st.tokens.issue_tokens(Issuer::DataCenter, &client_id, grant.scopes, grant.user, true)))
        }
        Some("refresh_token") => {
            let refresh = fields.get("refresh_token").map(String::as_str).unwrap_or_default();
            match st.tokens.refresh(Issuer::DataCenter, &client_id, refresh) {
                Ok(tokens) => Ok(token_response(&tokens)),
                Err(GrantError::InvalidGrant(message)) => Err(invalid_grant(message)),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 appendix B.
    #[test]
    fn rfc7636_test_vector() {
        let challenge =
            PkceChallenge { challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(), method: "S256".into() };
        assert_eq!(verify_pkce(&challenge, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), Ok(()));
        assert!(verify_pkce(&challenge, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX").is_err());
        assert!(verify_pkce(&challenge, "short").is_err());
        let plain = PkceChallenge { challenge: "a".repeat(43), method: "plain".into() };
        assert_eq!(verify_pkce(&plain, &"a".repeat(43)), Ok(()));
    }

    #[test]
    fn scopes_are_hierarchical() {
        assert_eq!(expand_scopes(&["WRITE".into()]), ["READ", "WRITE"]);
        assert_eq!(expand_scopes(&["READ".into()]), ["READ"]);
    }
}

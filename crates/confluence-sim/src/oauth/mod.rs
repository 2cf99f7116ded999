//! The authorization servers: Atlassian Cloud 3LO ([`cloud`]) and Confluence Data Center's OAuth 2.0 provider
//! with PKCE ([`dc`]), sharing codes and tokens ([`tokens`]) and what this module holds: client checks, redirect
//! matching, the consent page and token responses.

pub mod cloud;
pub mod dc;
pub mod tokens;

use std::collections::HashMap;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::{json, Value};

use crate::config::OAuthClient;
use crate::errors::ApiError;
use crate::state::SimState;
use tokens::IssuedTokens;

/// The registered client with this id.
pub fn client<'a>(state: &'a SimState, client_id: &str) -> Option<&'a OAuthClient> {
    state.config.oauth.clients.iter().find(|c| c.client_id == client_id)
}

/// Whether `uri` matches a registered callback (a `*` port matches any port).
pub fn redirect_allowed(client: &OAuthClient, uri: &str) -> bool {
    let Ok(given) = url::Url::parse(uri) else { return false };
    client.redirect_uris.iter().any(|registered| {
        if let Some(prefix) = registered.strip_suffix(":*") {
            url::Url::parse(prefix).is_ok_and(|r| {
                r.scheme() == given.scheme()
                    && r.host_str() == given.host_str()
                    && given.path().starts_with(r.path().trim_end_matches('/'))
            })
        } else {
            url::Url::parse(registered).is_ok_and(|r| r == given)
        }
    })
}

/// The checks every authorization request starts with: a registered client, a registered redirect URI (both
/// answered with an error page, never a redirect) and `response_type=code` (answered with a redirect).
pub struct AuthRequestStart<'a> {
    /// The registered app.
    pub app: &'a OAuthClient,
    /// The redirect URI, checked against the app's.
    pub redirect_uri: &'a str,
    /// The `state` to echo.
    pub state: &'a str,
}

impl<'a> AuthRequestStart<'a> {
    /// Runs the common checks on the request's parameters.
    pub fn check(
        state: &'a SimState,
        params: &'a HashMap<String, String>,
    ) -> Result<AuthRequestStart<'a>, Box<Response>> {
        let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
        let client_id = get("client_id");
        let Some(app) = client(state, client_id) else {
            return Err(Box::new(error_page(
                StatusCode::BAD_REQUEST,
                &format!("Invalid client_id '{client_id}': no app with this client id"),
            )));
        };
        let redirect_uri = get("redirect_uri");
        if !redirect_allowed(app, redirect_uri) {
            return Err(Box::new(error_page(
                StatusCode::BAD_REQUEST,
                &format!("The redirect_uri '{redirect_uri}' does not match a callback URL registered for the app"),
            )));
        }
        let start = AuthRequestStart { app, redirect_uri, state: get("state") };
        if get("response_type") != "code" {
            return Err(start.fail("unsupported_response_type", "response_type must be code"));
        }
        Ok(start)
    }

    /// Redirects back with `error` and `error_description` (and the state).
    pub fn fail(&self, error: &str, description: &str) -> Box<Response> {
        Box::new(redirect_with(
            self.redirect_uri,
            &[("error", error), ("error_description", description), ("state", self.state)],
        ))
    }
}

/// Redirects to the callback with `params` added to its query.
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(url) => url,
        Err(_) => return (StatusCode::BAD_REQUEST, "invalid redirect_uri").into_response(),
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            if !v.is_empty() || *k == "state" {
                query.append_pair(k, v);
            }
        }
    }
    Redirect::to(url.as_str()).into_response()
}

/// An authorization error shown on the server's own page (bad client or redirect URI: never redirect there).
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><title>Authorization error</title></head><body><h1>Something went wrong</h1>\
         <p id=\"error\">{}</p></body></html>",
        html_escape(message)
    );
    (status, Html(body)).into_response()
}

/// The consent page: the app's name, the scopes it asks for, and Accept / Deny buttons that post back every
/// parameter of the request to `action`.
pub fn consent_page(action: &str, client_id: &str, scopes: &[String], params: &HashMap<String, String>) -> Response {
    let hidden: String = params
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", html_escape(k), html_escape(v)))
        .collect();
    let scope_items: String = scopes.iter().map(|s| format!("<li>{}</li>", html_escape(s))).collect();
    let body = format!(
        "<!doctype html><html><head><title>Authorize {client}</title></head><body>\
         <h1>{client} is requesting access to your Atlassian account</h1>\
         <p>It will be able to:</p><ul id=\"scopes\">{scope_items}</ul>\
         <form method=\"post\" action=\"{action}\">{hidden}\
         <button type=\"submit\" name=\"decision\" value=\"accept\" id=\"accept\">Accept</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\">Deny</button></form></body></html>",
        client = html_escape(client_id),
    );
    Html(body).into_response()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A token request body, JSON or form-encoded (Atlassian accepts both), as string fields.
pub fn token_request(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.starts_with("application/json") {
        let value: Value = serde_json::from_slice(body).map_err(|_| {
            ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_request", "The request body is not valid JSON")
        })?;
        let object = value.as_object().ok_or_else(|| {
            ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_request", "The request body must be a JSON object")
        })?;
        Ok(object.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned()))).collect())
    } else {
        Ok(url::form_urlencoded::parse(body).into_owned().collect())
    }
}

/// The client credentials of a token request: from the body, or from HTTP Basic (RFC 6749 section 2.3.1).
pub fn client_credentials(headers: &HeaderMap, fields: &HashMap<String, String>) -> (String, Option<String>) {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
    {
        use base64::Engine;
        if let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(basic.trim()) {
            if let Ok(text) = String::from_utf8(decoded) {
                if let Some((id, secret)) = text.split_once(':') {
                    let decode = |s: &str| {
                        url::form_urlencoded::parse(format!("x={s}").as_bytes())
                            .next()
                            .map(|(_, v)| v.into_owned())
                            .unwrap_or_default()
                    };
                    return (decode(id), Some(decode(secret)));
                }
            }
        }
    }
    (fields.get("client_id").cloned().unwrap_or_default(), fields.get("client_secret").cloned())
}

/// A successful token response.
pub fn token_response(tokens: &IssuedTokens) -> Response {
    let mut body = json!({
        "access_token": tokens.access_token,
        "expires_in": tokens.expires_in,
        "token_type": "Bearer",
        "scope": tokens.scopes.join(" "),
    });
    if let Some(refresh) = &tokens.refresh_token {
        body["refresh_token"] = json!(refresh);
    }
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_matching() {
        let client = OAuthClient {
            client_id: "c".into(),
            client_secret: "s".into(),
            redirect_uris: vec!["http://localhost:33333".into(), "http://127.0.0.1:*".into()],
            scopes: vec![],
        };
        assert!(redirect_allowed(&client, "http://localhost:33333"));
        assert!(redirect_allowed(&client, "http://localhost:33333/"));
        assert!(!redirect_allowed(&client, "http://localhost:33334"));
        assert!(redirect_allowed(&client, "http://127.0.0.1:40123/callback"));
        assert!(!redirect_allowed(&client, "https://evil.example/cb"));
        assert!(!redirect_allowed(&client, "not a url"));
    }
}

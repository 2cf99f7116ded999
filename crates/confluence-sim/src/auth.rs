//! Who is calling: Basic (email + API token on Cloud, username + password on Data Center), Data Center personal
//! access tokens, OAuth bearer tokens (Cloud through the API gateway only, as on the real service; Data Center on its
//! own REST API), and Cloud scoped API tokens (Basic, through the gateway only). Then whether the token's scopes
//! allow the endpoint.

use axum::http::{header, HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::config::SimDeployment;
use crate::errors::{ApiError, ErrorStyle};
use crate::oauth::tokens::Issuer;
use crate::state::SimState;

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The user (index in the data set).
    pub user: usize,
    /// The OAuth scopes, or `None` for Basic and personal access tokens (full access).
    pub scopes: Option<Vec<String>>,
}

/// The error style of a path.
pub fn style_for(path: &str) -> ErrorStyle {
    if path.starts_with("/wiki/api/v2") {
        ErrorStyle::V2
    } else if path.starts_with("/wiki/rest") || path.starts_with("/rest") {
        ErrorStyle::V1
    } else {
        ErrorStyle::Gateway
    }
}

fn unauthorized(style: ErrorStyle, message: &str) -> ApiError {
    ApiError::new(style, StatusCode::UNAUTHORIZED, message)
}

/// Authenticates a request to the Confluence API. `path` has the gateway prefix removed; `via_gateway` says
/// whether it came through `/ex/confluence/{cloudid}`.
pub fn authenticate(state: &SimState, headers: &HeaderMap, path: &str, via_gateway: bool) -> Result<Caller, ApiError> {
    let style = if via_gateway { ErrorStyle::Gateway } else { style_for(path) };
    let header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
    let creds = &state.config.credentials;
    match (state.config.deployment, via_gateway, scheme.to_ascii_lowercase().as_str()) {
        (_, _, "") => Err(unauthorized(style, "Unauthorized; no credentials were supplied")),
        (SimDeployment::Cloud, true, "bearer") => bearer(state, value.trim(), Issuer::Cloud, style),
        // Through the gateway, Basic takes scoped API tokens only (with their scopes).
        (SimDeployment::Cloud, true, "basic") => {
            let (user, secret) = basic(value).ok_or_else(|| unauthorized(style, "Malformed Basic credentials"))?;
            if user.eq_ignore_ascii_case(&creds.email) && secret == creds.scoped_api_token {
                Ok(Caller { user: 0, scopes: Some(creds.scoped_api_token_scopes.clone()) })
            } else {
                Err(unauthorized(style, "Unauthorized; an API token through the gateway must be a scoped token"))
            }
        }
        (SimDeployment::Cloud, true, _) => Err(unauthorized(style, "Unauthorized")),
        (SimDeployment::Cloud, false, "basic") => {
            let (user, secret) = basic(value).ok_or_else(|| unauthorized(style, "Malformed Basic credentials"))?;
            if user.eq_ignore_ascii_case(&creds.email) && secret == creds.api_token {
                Ok(Caller { user: 0, scopes: None })
            } else if user.eq_ignore_ascii_case(&creds.email) && secret == creds.password {
                Err(unauthorized(style, "Basic authentication with passwords is deprecated. Use an API token instead."))
            } else {
                Err(unauthorized(style, "Client must be authenticated to access this resource."))
            }
        }
        (SimDeployment::Cloud, false, "bearer") => Err(unauthorized(
            style,
            "OAuth 2.0 tokens are not accepted on the site URL: call https://api.atlassian.com/ex/confluence/{cloudId}",
        )),
        (SimDeployment::DataCenter, _, "basic") => {
            let (user, secret) = basic(value).ok_or_else(|| unauthorized(style, "Malformed Basic credentials"))?;
            if user == creds.username && secret == creds.password {
                Ok(Caller { user: 0, scopes: None })
            } else {
                Err(unauthorized(style, "Client must be authenticated to access this resource."))
            }
        }
        (SimDeployment::DataCenter, _, "bearer") => {
            if value.trim() == creds.personal_access_token {
                Ok(Caller { user: 0, scopes: None })
            } else {
                bearer(state, value.trim(), Issuer::DataCenter, style)
            }
        }
        _ => Err(unauthorized(style, "Unsupported authorization scheme")),
    }
}

/// Authenticates a bearer token for accessible-resources (Cloud OAuth tokens only).
pub fn authenticate_oauth_bearer(state: &SimState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let header = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            bearer(state, token.trim(), Issuer::Cloud, ErrorStyle::Gateway)
        }
        _ => Err(unauthorized(ErrorStyle::Gateway, "Unauthorized")),
    }
}

fn bearer(state: &SimState, token: &str, issuer: Issuer, style: ErrorStyle) -> Result<Caller, ApiError> {
    match state.tokens.access(token) {
        Some(grant) if grant.issuer == issuer => Ok(Caller { user: grant.user, scopes: Some(grant.scopes) }),
        _ if state.tokens.is_expired(token) => Err(unauthorized(style, "Unauthorized; the access token has expired")
            .with_header(
                header::WWW_AUTHENTICATE,
                "Bearer error=\"invalid_token\", error_description=\"The access token expired\"",
            )),
        _ => {
            Err(unauthorized(style, "Unauthorized")
                .with_header(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""))
        }
    }
}

fn basic(value: &str) -> Option<(String, String)> {
    let decoded = STANDARD.decode(value.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, secret) = text.split_once(':')?;
    Some((user.to_owned(), secret.to_owned()))
}

/// The scopes that allow `METHOD /route` (any one of them suffices); `None` when the route needs no scope.
pub fn required_scopes(deployment: SimDeployment, method: &str, route: &str) -> Option<&'static [&'static str]> {
    if deployment == SimDeployment::DataCenter {
        // The audit log and the licence are for administrators: an OAuth token needs ADMIN (Confluence also
        // checks the user).
        if route == "/rest/api/audit" || route.starts_with("/rest/license/") {
            return Some(&["ADMIN", "SYSTEM_ADMIN"]);
        }
        return Some(if method == "GET" {
            &["READ", "WRITE", "ADMIN", "SYSTEM_ADMIN"]
        } else {
            &["WRITE", "ADMIN", "SYSTEM_ADMIN"]
        });
    }
    let route = route.strip_prefix("/wiki").unwrap_or(route);
    let scopes: &'static [&'static str] = match (method, route) {
        ("GET", r) if r.starts_with("/api/v2/spaces") && !r.ends_with("/pages") => {
            &["read:space:confluence", "read:confluence-space.summary"]
        }
        ("GET", r) if r.starts_with("/api/v2/pages") && r.ends_with("/labels") => {
            &["read:label:confluence", "read:confluence-content.all"]
        }
        ("GET", r)
            if r.starts_with("/api/v2/pages")
                || r.starts_with("/api/v2/blogposts")
                || r.starts_with("/api/v2/labels/")
                || r.ends_with("/pages") =>
        {
            &["read:page:confluence", "read:confluence-content.all", "read:confluence-content.summary"]
        }
        ("GET", r) if r.contains("comments") => &["read:comment:confluence", "read:confluence-content.all"],
        ("GET", r) if r.starts_with("/api/v2/attachments") => {
            &["read:attachment:confluence", "read:confluence-content.all"]
        }
        ("GET", "/api/v2/labels") => &["read:label:confluence", "read:confluence-content.all"],
        // Classic only, as published: a token with granular scopes is refused.
        ("GET", "/rest/api/label") => &["read:confluence-content.summary"],
        ("GET", r) if r.starts_with("/api/v2/tasks") => &["read:task:confluence", "read:confluence-content.all"],
        ("POST", "/api/v2/users-bulk") => &["read:user:confluence", "read:confluence-user"],
        ("POST" | "PUT", r) if r.starts_with("/api/v2/pages") => &["write:page:confluence", "write:confluence-content"],
        ("DELETE", r) if r.starts_with("/api/v2/pages") => &["delete:page:confluence", "write:confluence-content"],
        ("POST" | "PUT", r) if r.starts_with("/api/v2/blogposts") => {
            &["write:blogpost:confluence", "write:confluence-content"]
        }
        ("DELETE", r) if r.starts_with("/api/v2/blogposts") => {
            &["delete:blogpost:confluence", "write:confluence-content"]
        }
        ("POST", r) if r.contains("comments") => &["write:comment:confluence", "write:confluence-content"],
        ("DELETE", r) if r.contains("comments") => &["delete:comment:confluence", "write:confluence-content"],
        ("GET", "/rest/api/search") => &["search:confluence"],
        ("GET", r) if r.starts_with("/rest/api/search/user") || r.starts_with("/rest/api/user") => {
            &["read:confluence-user", "read:user:confluence"]
        }
        ("GET", r) if r.starts_with("/rest/api/group") => &["read:confluence-groups"],
        ("GET", "/rest/api/audit") => &["read:audit-log:confluence", "manage:confluence-configuration"],
        ("GET", r) if r.starts_with("/rest/api/space") => &["read:confluence-space.summary", "read:space:confluence"],
        ("POST" | "DELETE", r) if r.contains("/label") => &["write:label:confluence", "write:confluence-content"],
        ("POST" | "PUT", r) if r.contains("/child/attachment") => {
            &["write:attachment:confluence", "write:confluence-file"]
        }
        ("GET", r) if r.starts_with("/download/attachments") => {
            &["read:attachment:confluence", "readonly:content.attachment:confluence"]
        }
        _ => return None,
    };
    Some(scopes)
}

/// Checks a caller's scopes against a route: 403 naming the scopes that would allow it.
pub fn check_scopes(
    deployment: SimDeployment,
    caller: &Caller,
    method: &str,
    route: &str,
    style: ErrorStyle,
) -> Result<(), ApiError> {
    let (Some(granted), Some(required)) = (&caller.scopes, required_scopes(deployment, method, route)) else {
        return Ok(());
    };
    if required.iter().any(|r| granted.iter().any(|g| g == r)) {
        return Ok(());
    }
    Err(ApiError::new(
        style,
        StatusCode::FORBIDDEN,
        format!("Unauthorized; scope does not match. {method} {route} needs one of: {}", required.join(", ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_audit_and_attachments_need_their_scopes() {
        let cloud = |method, route| required_scopes(SimDeployment::Cloud, method, route).unwrap_or_default().to_vec();
        assert!(cloud("PUT", "/wiki/api/v2/pages/{id}").contains(&"write:page:confluence"));
        assert!(!cloud("PUT", "/wiki/api/v2/pages/{id}").contains(&"read:page:confluence"));
        assert!(cloud("PUT", "/wiki/rest/api/content/{id}/child/attachment").contains(&"write:attachment:confluence"));
        assert!(cloud("GET", "/wiki/rest/api/audit").contains(&"read:audit-log:confluence"));
        let dc = |method, route| required_scopes(SimDeployment::DataCenter, method, route).unwrap_or_default().to_vec();
        assert_eq!(dc("GET", "/rest/api/audit"), ["ADMIN", "SYSTEM_ADMIN"]);
        assert_eq!(dc("GET", "/rest/license/1.0/license/{figure}"), ["ADMIN", "SYSTEM_ADMIN"]);
        assert!(dc("GET", "/rest/api/content").contains(&"READ"));
        assert!(!dc("POST", "/rest/api/content").contains(&"READ"));
    }
}

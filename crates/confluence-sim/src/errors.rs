//! Error responses in the shapes the real services use, so clients can be tested against each:
//! REST v2 (`{"errors":[...]}`), REST v1 and Data Center (`{"statusCode":..,"message":..}`), the API gateway
//! (`{"code":..,"message":..}`) and OAuth token endpoints (`{"error":..,"error_description":..}`).

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Which error body shape to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorStyle {
    /// Cloud REST v2.
    V2,
    /// Cloud REST v1 and Data Center REST.
    V1,
    /// The Atlassian API gateway (`api.atlassian.com`).
    Gateway,
    /// OAuth 2.0 token endpoints (RFC 6749 section 5.2).
    OAuth,
}

/// An error response.
#[derive(Clone, Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Human-readable message (for OAuth: the `error_description`).
    pub message: String,
    /// Body shape.
    pub style: ErrorStyle,
    /// For OAuth: the `error` code (`invalid_grant`, ...).
    pub oauth_error: &'static str,
    /// Extra headers (e.g. `WWW-Authenticate`).
    pub headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    /// An error with a status and message.
    pub fn new(style: ErrorStyle, status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into(), style, oauth_error: "", headers: Vec::new() }
    }

    /// 400 Bad Request.
    pub fn bad_request(style: ErrorStyle, message: impl Into<String>) -> ApiError {
        ApiError::new(style, StatusCode::BAD_REQUEST, message)
    }

    /// 404 Not Found.
    pub fn not_found(style: ErrorStyle, message: impl Into<String>) -> ApiError {
        ApiError::new(style, StatusCode::NOT_FOUND, message)
    }

    /// An OAuth token-endpoint error.
    pub fn oauth(status: StatusCode, error: &'static str, description: impl Into<String>) -> ApiError {
        ApiError { oauth_error: error, ..ApiError::new(ErrorStyle::OAuth, status, description) }
    }

    /// The same error with one more header.
    pub fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
    }
}

fn v2_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        409 => "CONFLICT",
        413 => "REQUEST_ENTITY_TOO_LARGE",
        429 => "TOO_MANY_REQUESTS",
        500 => "INTERNAL_SERVER_ERROR",
        503 => "SERVICE_UNAVAILABLE",
        _ => "ERROR",
    }
}

fn v1_exception(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequestException",
        401 => "NotAuthorizedException",
        403 => "PermissionException",
        404 => "NotFoundException",
        409 => "ConflictException",
        _ => "ServiceException",
    }
}

/// The body of an error, as the service would send it.
pub fn error_body(error: &ApiError) -> serde_json::Value {
    let status = error.status.as_u16();
    match error.style {
        ErrorStyle::V2 => json!({
            "errors": [{
                "status": status,
                "code": v2_code(error.status),
                "title": error.message,
                "detail": null,
            }]
        }),
        ErrorStyle::V1 => json!({
            "statusCode": status,
            "data": {"authorized": status != 401 && status != 403, "valid": true, "errors": [], "successful": false},
            "message": format!("com.atlassian.confluence.api.service.exceptions.{}: {}", v1_exception(error.status), error.message),
            "reason": error.status.canonical_reason().unwrap_or_default(),
        }),
        ErrorStyle::Gateway => json!({"code": status, "message": error.message}),
        ErrorStyle::OAuth => json!({"error": error.oauth_error, "error_description": error.message}),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(error_body(&self))).into_response();
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let e = ApiError::not_found(ErrorStyle::V2, "Page not found");
        assert_eq!(error_body(&e)["errors"][0]["code"], "NOT_FOUND");
        let e = ApiError::bad_request(ErrorStyle::V1, "Could not parse cql : x");
        assert_eq!(error_body(&e)["statusCode"], 400);
        assert!(error_body(&e)["message"].as_str().unwrap_or_default().ends_with("Could not parse cql : x"));
        let e = ApiError::new(ErrorStyle::Gateway, StatusCode::UNAUTHORIZED, "Unauthorized");
        assert_eq!(error_body(&e), json!({"code": 401, "message": "Unauthorized"}));
        let e = ApiError::oauth(StatusCode::FORBIDDEN, "invalid_grant", "Unknown or invalid refresh token.");
        assert_eq!(error_body(&e)["error"], "invalid_grant");
    }
}

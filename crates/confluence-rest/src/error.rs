//! The errors of the REST client, written for the person who reads them: what happened, and what to do. Error
//! bodies of every Atlassian shape (REST v2, v1, the gateway, OAuth) are decoded into one readable message. No
//! message ever contains a credential: requests never carry secrets in their URLs, and headers are never printed.

/// What can go wrong talking to Confluence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// 401: the credentials were refused.
    #[error("Confluence refused the credentials (401 Unauthorized) for {path}: {message}. Check {hint}")]
    Unauthorized {
        /// The request path.
        path: String,
        /// The service's message.
        message: String,
        /// Which connection properties to check.
        hint: String,
    },
    /// 403: authenticated, but not allowed.
    #[error("Confluence denied access (403 Forbidden) to {path}: {message}")]
    Forbidden {
        /// The request path.
        path: String,
        /// The service's message (it names a missing OAuth scope when that is the cause).
        message: String,
    },
    /// 404.
    #[error("not found (404) at {path}: {message}")]
    NotFound {
        /// The request path.
        path: String,
        /// The service's message.
        message: String,
    },
    /// 409: a write conflicted (usually a stale version number).
    #[error("conflict (409) at {path}: {message}")]
    Conflict {
        /// The request path.
        path: String,
        /// The service's message.
        message: String,
    },
    /// 400: the service refused the request (a bad CQL query, an invalid parameter).
    #[error("Confluence rejected the request (400) to {path}: {message}")]
    BadRequest {
        /// The request path.
        path: String,
        /// The service's message.
        message: String,
    },
    /// Still rate limited (429) after every retry.
    #[error(
        "Confluence kept rate-limiting {path} (429) after {attempts} attempts; lower MaxConcurrency or try again later"
    )]
    RateLimited {
        /// The request path.
        path: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A server error (5xx) after every retry.
    #[error("Confluence failed with {status} for {path} after {attempts} attempts: {message}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The request path.
        path: String,
        /// The service's message.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Another unexpected HTTP status.
    #[error("unexpected HTTP {status} from {path}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The request path.
        path: String,
        /// The service's message.
        message: String,
    },
    /// The connection failed (refused, reset, timed out, TLS) after every retry.
    #[error("cannot reach Confluence at {url} after {attempts} attempts: {message}")]
    Transport {
        /// Scheme, host and path of the request.
        url: String,
        /// What failed.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// A response that is not the JSON the API documents.
    #[error("Confluence sent a response that cannot be read from {path}: {message}")]
    Decode {
        /// The request path.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// No credential could be obtained (an OAuth authorization or refresh failed); the message says what to do.
    #[error("{0}")]
    Authentication(String),
    /// The connection settings cannot be used (e.g. an authentication scheme this client does not provide).
    #[error("{0}")]
    Config(String),
}

impl RestError {
    /// Whether retrying the same request later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, RestError::RateLimited { .. } | RestError::Server { .. } | RestError::Transport { .. })
    }
}

/// Turns an error body of any Atlassian shape into a one-line message.
pub fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        let trimmed: String = text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(300).collect();
        return if trimmed.is_empty() { "no details given".to_owned() } else { trimmed };
    };
    let field = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    if let Some(errors) = value.get("errors").and_then(|e| e.as_array()) {
        let parts: Vec<String> = errors
            .iter()
            .filter_map(|e| match (field(e, "title"), field(e, "detail")) {
                (Some(t), Some(d)) => Some(format!("{t}: {d}")),
                (Some(t), None) => Some(t),
                (None, Some(d)) => Some(d),
                (None, None) => field(e, "message"),
            })
            .collect();
        if !parts.is_empty() {
            return parts.join("; ");
        }
    }
    if let Some(description) = field(&value, "error_description") {
        return format!("{} ({description})", field(&value, "error").unwrap_or_default());
    }
    if let Some(message) = field(&value, "message") {
        // v1 messages carry a Java exception class: keep what a person reads.
        let message = match message.split_once("Exception: ") {
            Some((class, rest)) if class.starts_with("com.atlassian") => rest.to_owned(),
            _ => message,
        };
        return message;
    }
    text.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_shape() {
        assert_eq!(
            error_message(br#"{"errors":[{"status":404,"code":"NOT_FOUND","title":"Page not found","detail":null}]}"#),
            "Page not found"
        );
        assert_eq!(
            error_message(br#"{"statusCode":400,"message":"com.atlassian.confluence.api.service.exceptions.BadRequestException: Could not parse cql : x"}"#),
            "Could not parse cql : x"
        );
        assert_eq!(error_message(br#"{"code":401,"message":"Unauthorized"}"#), "Unauthorized");
        assert_eq!(
            error_message(br#"{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}"#),
            "invalid_grant (Unknown or invalid refresh token.)"
        );
        assert_eq!(error_message(b"<html><body>Bad   gateway</body></html>"), "<html><body>Bad gateway</body></html>");
        assert_eq!(error_message(b""), "no details given");
    }
}

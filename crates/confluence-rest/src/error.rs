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
    /// The server asked (429 or 503 with `Retry-After`) for a longer wait than the driver waits for.
    #[error(
        "Confluence asks to wait {} before retrying {path} ({status}{}), longer than the {} the driver waits; try again later{}",
        describe_wait(*.wait_secs), reason.as_deref().map(|r| format!(", reason: {r}")).unwrap_or_default(),
        describe_wait(*.max_wait_secs), if *.status == 429 { " or lower MaxConcurrency" } else { "" }
    )]
    WaitTooLong {
        /// The request path.
        path: String,
        /// 429 or 503.
        status: u16,
        /// The wait asked for, in seconds.
        wait_secs: u64,
        /// The longest wait honoured, in seconds.
        max_wait_secs: u64,
        /// The server's `RateLimit-Reason`, when given.
        reason: Option<String>,
    },
    /// A link (a page's `next`, or a redirect) points at another site than the configured one: it is not followed,
    /// so credentials never leave the site.
    #[error(
        "Confluence sent a link to {link}, which is not the configured site {expected}; the driver does not follow it \
         (credentials are only sent to the configured site). If the site has moved, update Url"
    )]
    ForeignOrigin {
        /// Where the link points (scheme, host, port and path).
        link: String,
        /// The configured site's origin.
        expected: String,
    },
    /// A response body larger than `MaxResponseSize`.
    #[error(
        "the response from {path} is larger than {} MiB (MaxResponseSize); raise MaxResponseSize if the site really sends such pages, or lower PageSize",
        .limit / (1024 * 1024)
    )]
    ResponseTooLarge {
        /// The request path.
        path: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A paginated list that cannot be read to a trustworthy end: it loops, never ends, or changes while read.
    #[error("cannot read the list at {path}: {message}")]
    Pagination {
        /// The list's path.
        path: String,
        /// What went wrong, and what to do.
        message: String,
    },
    /// A failure inside the driver (a bug): the query fails rather than returning partial rows.
    #[error("internal error in the driver: {0}; please report it")]
    Internal(String),
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
        matches!(
            self,
            RestError::RateLimited { .. }
                | RestError::WaitTooLong { .. }
                | RestError::Server { .. }
                | RestError::Transport { .. }
        )
    }
}

/// `42 s`, `3 min`, `2 h`, or `forever` for waits beyond a year.
fn describe_wait(seconds: u64) -> String {
    match seconds {
        0..=119 => format!("{seconds} s"),
        120..=7_199 => format!("{} min", seconds / 60),
        7_200..=31_536_000 => format!("{} h", seconds / 3600),
        _ => "more than a year".to_owned(),
    }
}

/// `text` without control characters (a terminal escape sequence in a server's message must not reach the
/// user's terminal), whitespace runs collapsed, at most `max` characters.
pub fn printable(text: &str, max: usize) -> String {
    let cleaned: String = text.chars().map(|c| if c.is_control() || is_bidi_control(c) { ' ' } else { c }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(max).collect()
}

/// Unicode bidirectional controls, which can make text read differently than it is.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Turns an error body of any Atlassian shape into a one-line message (printable text only, at most 300
/// characters).
pub fn error_message(body: &[u8]) -> String {
    printable(&raw_error_message(body), 300)
}

fn raw_error_message(body: &[u8]) -> String {
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
        assert_eq!(
            error_message("{\"message\": \"bad\\u001b[2J\\u001b]0;owned\\u0007 thing\u{202e}\"}".as_bytes()),
            "bad [2J ]0;owned thing",
            "no terminal escapes or bidi controls reach the user"
        );
    }
}

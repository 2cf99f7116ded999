//! The desktop flow's loopback listener: binds the `CallbackURL`'s loopback host and port, waits for the browser's
//! redirect to its path, answers with a page that says the tab can be closed, and hands back the `code` (or the
//! `error`) and `state`. Requests for other paths (a browser's `/favicon.ico`) get a 404 and are ignored.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use connstr::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use url::Url;

use crate::error::OAuthError;

/// What the authorization server sent back through the browser.
#[derive(Debug)]
pub enum CallbackOutcome {
    /// The user consented.
    Code {
        /// The authorization code.
        code: Secret,
        /// The `state` returned.
        state: String,
    },
    /// The user denied, or the server refused.
    Error {
        /// The OAuth error code.
        error: String,
        /// Its description.
        description: Option<String>,
        /// The `state` returned.
        state: String,
    },
}

/// A bound callback listener.
#[derive(Debug)]
pub struct CallbackListener {
    listener: TcpListener,
    path: String,
    address: SocketAddr,
}

/// The loopback address to listen on for `callback`, or why the URL cannot be listened on.
pub fn loopback_address(callback: &Url) -> Result<SocketAddr, OAuthError> {
    if callback.scheme() != "http" {
        return Err(OAuthError::Config(format!(
            "the desktop flow listens on CallbackURL, which must be a plain http loopback URL such as \
             http://localhost:33333 (got {callback}); use the web flow for other callbacks"
        )));
    }
    let ip = match callback.host() {
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        _ => {
            return Err(OAuthError::Config(format!(
                "the desktop flow can only listen on a loopback CallbackURL (localhost, 127.0.0.1 or [::1]), not \
                 {callback}; use the web flow (InitiateOAuth=OFF and the OAuth procedures) for a server callback"
            )))
        }
    };
    let port = callback.port_or_known_default().unwrap_or(80);
    Ok(SocketAddr::new(ip, port))
}

impl CallbackListener {
    /// Binds the callback's address now, before the browser opens, so a busy port fails fast.
    pub async fn bind(callback: &Url) -> Result<CallbackListener, OAuthError> {
        let address = loopback_address(callback)?;
        let listener = TcpListener::bind(address)
            .await
            .map_err(|source| OAuthError::CallbackPort { address: address.to_string(), source })?;
        let address = listener.local_addr().unwrap_or(address);
        let path = match callback.path() {
            "" => "/".to_owned(),
            p => p.to_owned(),
        };
        Ok(CallbackListener { listener, path, address })
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Waits for the redirect of the authorization whose state is `expected_state`, at most `timeout`.
    /// Connections are served concurrently (a browser's idle pre-connection cannot hold up the real callback), and a
    /// callback with another state (a stale tab, a forged link) is answered and ignored.
    pub async fn wait(
        self,
        timeout: Duration,
        callback: &Url,
        expected_state: &str,
    ) -> Result<CallbackOutcome, OAuthError> {
        let (sender, mut outcomes) = mpsc::channel::<CallbackOutcome>(4);
        let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let path: Arc<str> = Arc::from(self.path.as_str());
        let expected: Arc<str> = Arc::from(expected_state);
        let waiting = async {
            loop {
                tokio::select! {
                    accepted = self.listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let Ok(permit) = connections.clone().try_acquire_owned() else { continue };
                        let (path, expected, sender) = (path.clone(), expected.clone(), sender.clone());
                        tokio::spawn(async move {
                            if let Some(outcome) = serve(stream, &path, &expected).await {
                                let _ = sender.send(outcome).await;
                            }
                            drop(permit);
                        });
                    }
                    Some(outcome) = outcomes.recv() => return outcome,
                }
            }
        };
        tokio::time::timeout(timeout, waiting)
            .await
            .map_err(|_| OAuthError::Timeout { seconds: timeout.as_secs(), callback: callback.to_string() })
    }
}

/// Connections served at once, at most.
const MAX_CONNECTIONS: usize = 16;

/// Answers one connection; `Some` when it was the callback of the authorization in progress.
async fn serve(mut stream: TcpStream, path: &str, expected_state: &str) -> Option<CallbackOutcome> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 1024];
    // Read the request head (bounded: a callback request is small).
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") && buffer.len() < 16 * 1024 {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buffer.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&buffer);
    let target = head.lines().next().and_then(|line| line.split_whitespace().nth(1)).unwrap_or("/");
    let url = Url::parse(&format!("http://callback{target}")).ok()?;
    if url.path().trim_end_matches('/') != path.trim_end_matches('/') {
        respond(&mut stream, "404 Not Found", "Not found", "This is the confluence-sql OAuth callback.").await;
        return None;
    }
    let params: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let state = params.get("state").cloned().unwrap_or_default();
    if state != expected_state {
        respond(
            &mut stream,
            "400 Bad Request",
            "Not this sign-in",
            "This link belongs to another authorization than the one confluence-sql is waiting for. Use the link \
             the terminal shows.",
        )
        .await;
        return None;
    }
    let outcome = if let Some(code) = params.get("code") {
        respond(
            &mut stream,
            "200 OK",
            "Authorized",
            "confluence-sql is authorized. You can close this tab and return to the terminal.",
        )
        .await;
        CallbackOutcome::Code { code: Secret::new(code.clone()), state }
    } else if let Some(error) = params.get("error") {
        let description = params.get("error_description").cloned();
        respond(
            &mut stream,
            "200 OK",
            "Not authorized",
            &format!(
                "The authorization was not granted ({}). You can close this tab; the terminal says what to do.",
                escape(error)
            ),
        )
        .await;
        CallbackOutcome::Error { error: error.clone(), description, state }
    } else {
        respond(&mut stream, "400 Bad Request", "Bad request", "The callback carries neither a code nor an error.")
            .await;
        return None;
    };
    Some(outcome)
}

async fn respond(stream: &mut TcpStream, status: &str, title: &str, message: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family: sans-serif; margin: 3em\"><h1>{title}</h1><p>{message}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_callbacks() {
        let ok = |u: &str| loopback_address(&Url::parse(u).unwrap()).map(|a| a.to_string());
        assert_eq!(ok("http://localhost:33333").unwrap(), "127.0.0.1:33333");
        assert_eq!(ok("http://127.0.0.1:4000/cb").unwrap(), "127.0.0.1:4000");
        assert_eq!(ok("http://[::1]:4000/cb").unwrap(), "[::1]:4000");
        assert!(ok("https://localhost:33333").unwrap_err().to_string().contains("plain http loopback"));
        assert!(ok("http://app.example.com/cb").unwrap_err().to_string().contains("web flow"));
    }

    #[tokio::test]
    async fn answers_the_callback_and_ignores_other_paths() {
        let callback = Url::parse("http://127.0.0.1:0/done").unwrap();
        let listener = CallbackListener::bind(&callback).await.unwrap();
        let port = listener.address().port();
        let waiting = tokio::spawn(async move { listener.wait(Duration::from_secs(10), &callback, "s1").await });
        // An idle connection (a browser's speculative one) does not hold up the others.
        let _idle = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let http = reqwest::Client::new();
        let favicon = http.get(format!("http://127.0.0.1:{port}/favicon.ico")).send().await.unwrap();
        assert_eq!(favicon.status(), 404);
        // A callback for another authorization (a forged link) is refused and the wait goes on.
        let forged = http.get(format!("http://127.0.0.1:{port}/done?code=evil&state=other")).send().await.unwrap();
        assert_eq!(forged.status(), 400);
        let page = http.get(format!("http://127.0.0.1:{port}/done?code=abc&state=s1")).send().await.unwrap();
        assert!(page.text().await.unwrap().contains("You can close this tab"));
        match waiting.await.unwrap().unwrap() {
            CallbackOutcome::Code { code, state } => {
                assert_eq!(code.expose(), "abc");
                assert_eq!(state, "s1");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_busy_port_is_a_clear_error_and_waiting_times_out() {
        let first = CallbackListener::bind(&Url::parse("http://127.0.0.1:0/").unwrap()).await.unwrap();
        let busy = Url::parse(&format!("http://127.0.0.1:{}/", first.address().port())).unwrap();
        let message = CallbackListener::bind(&busy).await.unwrap_err().to_string();
        assert!(message.contains("Close the program using that port"), "{message}");
        let timeout = first.wait(Duration::from_millis(50), &busy, "s").await.unwrap_err().to_string();
        assert!(timeout.contains("no OAuth callback arrived"), "{timeout}");
    }
}

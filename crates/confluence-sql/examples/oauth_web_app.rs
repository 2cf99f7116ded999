//! A tiny web app doing the OAuth 2.0 web flow with the driver's procedures: `/login` asks
//! `GetOAuthAuthorizationURL` where to send the browser, Atlassian sends it back to `/callback` with a code, and
//! `EXEC GetOAuthAccessToken` exchanges the code (checking the state) — then the connection reads Confluence as
//! that user. One connection per signed-in user in a real app; one here.
//!
//! `cargo run -p confluence-sql --example oauth_web_app`, then open http://127.0.0.1:8765/login. Without
//! CONFLUENCE_OAUTH_CONNECTION_STRING it signs in to a simulated site that approves at once.

use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use confluence_sim::{SimConfig, SimHandle, Simulator};
use confluence_sql::{Connection, SqlError};
use serde::Deserialize;

/// The app's state: its connection, its callback URL and the state of the authorization in progress.
pub struct App {
    connection: Connection,
    callback: String,
    pending_state: Mutex<Option<String>>,
}

/// A state no one can guess, tying the callback to this login.
fn new_state() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the system's random source");
    format!("st-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn error_page(error: SqlError) -> Response {
    (StatusCode::BAD_GATEWAY, format!("Confluence said: {error}")).into_response()
}

async fn login(State(app): State<Arc<App>>) -> Response {
    let state = new_state();
    let url = app
        .connection
        .command("SELECT url FROM GetOAuthAuthorizationURL(CallbackURL => @callback, State => @state)")
        .bind("callback", app.callback.as_str())
        .bind("state", state.as_str())
        .execute_scalar::<String>()
        .await;
    match url {
        Ok(url) => {
            *app.pending_state.lock().unwrap_or_else(|p| p.into_inner()) = Some(state);
            Redirect::to(&url).into_response()
        }
        Err(error) => error_page(error),
    }
}

/// What Atlassian appends to the callback URL.
#[derive(Deserialize)]
struct Callback {
    code: String,
    state: String,
}

async fn callback(State(app): State<Arc<App>>, Query(callback): Query<Callback>) -> Response {
    let expected = app.pending_state.lock().unwrap_or_else(|p| p.into_inner()).take();
    if expected.as_deref() != Some(callback.state.as_str()) {
        return (StatusCode::BAD_REQUEST, "this sign-in was not started here; start again at /login").into_response();
    }
    // The code and state are bound as parameters: never pasted into the SQL text.
    let exchange = app
        .connection
        .command("EXEC GetOAuthAccessToken @Verifier = @code, @State = @state")
        .bind("code", callback.code)
        .bind("state", callback.state)
        .execute_non_query()
        .await;
    if let Err(error) = exchange {
        return error_page(error);
    }
    let mut reader = match app.connection.command("SELECT key, name FROM spaces ORDER BY key").execute_reader().await {
        Ok(reader) => reader,
        Err(error) => return error_page(error),
    };
    let mut items = String::new();
    loop {
        match reader.read().await {
            Ok(true) => {
                let key: String = reader.get("key").unwrap_or_default();
                let name: String = reader.get("name").unwrap_or_default();
                items.push_str(&format!("<li>{} — {}</li>", escape(&key), escape(&name)));
            }
            Ok(false) => break,
            Err(error) => return error_page(error),
        }
    }
    Html(format!("<h1>Signed in</h1><ul>{items}</ul>")).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The app's routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new().route("/login", get(login)).route("/callback", get(callback)).with_state(app)
}

/// Serves the app on `listener`, with an OAuth connection string (`InitiateOAuth=OFF`: the web flow authorizes).
pub async fn serve(listener: tokio::net::TcpListener, oauth_connection_string: &str) -> Result<(), SqlError> {
    let callback = format!("http://{}/callback", listener.local_addr().map_err(|e| SqlError::Usage(e.to_string()))?);
    let text =
        format!("{oauth_connection_string};InitiateOAuth=OFF;OAuthSettingsLocation=memory://;CallbackURL={callback}");
    let connection = Connection::open(&text).await?;
    let app = Arc::new(App { connection, callback, pending_state: Mutex::new(None) });
    axum::serve(listener, router(app)).await.map_err(|e| SqlError::Usage(e.to_string()))
}

/// A simulated site whose authorization server approves at once.
async fn simulated_site() -> SimHandle {
    Simulator::start(SimConfig::cloud().with_auto_approve()).await.expect("the simulator starts")
}

#[tokio::main]
async fn main() -> Result<(), SqlError> {
    let (site, _sim) = match std::env::var("CONFLUENCE_OAUTH_CONNECTION_STRING") {
        Ok(text) => (text, None),
        Err(_) => {
            let sim = simulated_site().await;
            (sim.info().oauth_connection_string.clone(), Some(sim))
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8765").await.map_err(|e| SqlError::Usage(e.to_string()))?;
    println!("open http://127.0.0.1:8765/login");
    serve(listener, &site).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_browser_signs_in_and_sees_the_spaces() {
        let sim = simulated_site().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let site = sim.info().oauth_connection_string.clone();
        let server = tokio::spawn(async move { serve(listener, &site).await });
        // A browser: follows the redirects to the authorization server and back to /callback.
        let page = reqwest::get(format!("{base}/login")).await.expect("signs in");
        assert_eq!(page.status(), 200);
        let body = page.text().await.expect("body");
        assert!(body.contains("Signed in") && body.contains("ENG"), "{body}");
        // A callback nobody started is refused.
        let forged = reqwest::get(format!("{base}/callback?code=x&state=st-forged")).await.expect("answers");
        assert_eq!(forged.status(), 400);
        server.abort();
    }
}

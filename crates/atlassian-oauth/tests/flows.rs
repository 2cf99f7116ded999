//! The OAuth flows end to end against the simulator's authorization servers: the desktop flow on Cloud (3LO) and
//! Data Center (PKCE) with a scripted browser, a forged `state`, a denied consent, a busy callback port, refresh
//! with rotation across two "processes" sharing one token file, revocation, and the headless REFRESH mode.

// Helpers outside `#[test]` functions panic on setup failures too.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use atlassian_oauth::{Browser, OAuthConfig, OAuthError, OAuthSession, TokenStore};
use confluence_sim::{SimConfig, SimHandle, Simulator};
use connstr::ConnectionOptions;
use url::Url;

/// What the scripted browser does with the authorization URL.
#[derive(Clone, Copy, Debug)]
enum Script {
    /// Follow every redirect, as a browser whose user accepts (the simulator auto-approves).
    Accept,
    /// Submit the consent page's Deny button.
    Deny,
    /// First follow the redirect with another `state` (a forged link), then the real one.
    ForgeState,
}

#[derive(Debug)]
struct ScriptedBrowser {
    script: Script,
    opened: AtomicUsize,
    /// The status the callback answered a forged redirect with.
    forged_status: Arc<AtomicUsize>,
}

impl ScriptedBrowser {
    fn new(script: Script) -> Arc<ScriptedBrowser> {
        Arc::new(ScriptedBrowser { script, opened: AtomicUsize::new(0), forged_status: Arc::default() })
    }
}

impl Browser for ScriptedBrowser {
    fn open(&self, url: &Url) -> Result<(), String> {
        self.opened.fetch_add(1, Ordering::SeqCst);
        let url = url.clone();
        let script = self.script;
        let forged_status = self.forged_status.clone();
        tokio::spawn(async move {
            let manual = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
            let location = match script {
                Script::Deny => {
                    let params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
                    let mut form: Vec<(String, String)> = params;
                    form.push(("decision".into(), "deny".into()));
                    let mut action = url.clone();
                    action.set_query(None);
                    manual.post(action).form(&form).send().await.unwrap()
                }
                _ => manual.get(url).send().await.unwrap(),
            };
            let next = location.headers()["location"].to_str().unwrap().to_owned();
            if let Script::ForgeState = script {
                let mut forged = Url::parse(&next).unwrap();
                let pairs: Vec<(String, String)> = forged
                    .query_pairs()
                    .into_owned()
                    .map(|(k, v)| if k == "state" { (k, "forged".to_owned()) } else { (k, v) })
                    .collect();
                forged.query_pairs_mut().clear().extend_pairs(pairs);
                let answer = manual.get(forged).send().await.unwrap();
                forged_status.store(answer.status().as_u16() as usize, Ordering::SeqCst);
            }
            let _ = manual.get(next).send().await;
        });
        Ok(())
    }
}

/// A browser that must not be needed.
#[derive(Debug)]
struct NoBrowser;

impl Browser for NoBrowser {
    fn open(&self, _url: &Url) -> Result<(), String> {
        panic!("no browser flow was expected");
    }
}

fn temp_store(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oauth-flows-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("tokens.json")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn connection(sim: &SimHandle, initiate: &str, store: &str, extra: &str) -> ConnectionOptions {
    let text = format!(
        "{};InitiateOAuth={initiate};OAuthSettingsLocation={store};CallbackURL=http://127.0.0.1:{}/callback{extra}",
        sim.info().oauth_connection_string,
        free_port()
    );
    ConnectionOptions::parse(&text).unwrap()
}

fn session(options: &ConnectionOptions, browser: Arc<dyn Browser>) -> OAuthSession {
    let mut config = OAuthConfig::from_options(options).unwrap();
    config.flow_timeout = Duration::from_secs(20);
    OAuthSession::new(config).unwrap().with_browser(browser)
}

#[tokio::test]
async fn cloud_desktop_flow_saves_tokens_and_the_next_connection_reuses_them() {
    let sim = Simulator::start(SimConfig::cloud().with_auto_approve()).await.unwrap();
    let path = temp_store("cloud-desktop");
    let options = connection(&sim, "GETANDREFRESH", path.to_str().unwrap(), "");
    let browser = ScriptedBrowser::new(Script::Accept);
    let first = session(&options, browser.clone());
    let tokens = first.authorize().await.unwrap();
    assert_eq!(browser.opened.load(Ordering::SeqCst), 1);
    assert_eq!(tokens.cloud_id.as_deref(), Some(sim.info().cloud_id.as_str()));
    assert!(tokens.refresh_token.is_some(), "offline_access is in the default scopes");

    // The store: documented fields, owner-only, the tokens in clear only there.
    let text = std::fs::read_to_string(&path).unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(file["format"], 1);
    assert_eq!(file["client_id"], "sim-client-id");
    assert_eq!(file["cloud_id"], sim.info().cloud_id);
    assert_eq!(file["access_token"], tokens.access_token.expose());
    assert!(file["expires_at"].as_u64().unwrap() > 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // A new session (another process) uses the stored tokens: no browser.
    let second = session(&options, Arc::new(NoBrowser));
    let again = second.authorize().await.unwrap();
    assert_eq!(again.access_token, tokens.access_token);
    assert!(!format!("{second:?} {again:?}").contains(tokens.access_token.expose()));
}

#[tokio::test]
async fn data_center_desktop_flow_uses_pkce() {
    let sim = Simulator::start(SimConfig::data_center().with_auto_approve()).await.unwrap();
    let options = connection(&sim, "GETANDREFRESH", "memory://", "");
    let tokens = session(&options, ScriptedBrowser::new(Script::Accept)).authorize().await.unwrap();
    assert!(tokens.access_token.expose().starts_with("sim-dc-at-"));
    assert!(tokens.cloud_id.is_none());
    assert_eq!(tokens.scopes, ["READ"]);
}

#[tokio::test]
async fn a_forged_state_is_refused_and_the_real_callback_still_completes() {
    let sim = Simulator::start(SimConfig::cloud().with_auto_approve()).await.unwrap();
    let options = connection(&sim, "GETANDREFRESH", "memory://", "");
    let browser = ScriptedBrowser::new(Script::ForgeState);
    session(&options, browser.clone()).authorize().await.unwrap();
    assert_eq!(browser.forged_status.load(Ordering::SeqCst), 400, "the forged callback was answered and ignored");
}

#[tokio::test]
async fn a_denied_consent_says_so() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    let options = connection(&sim, "GETANDREFRESH", "memory://", "");
    let error = session(&options, ScriptedBrowser::new(Script::Deny)).authorize().await.unwrap_err();
    assert!(matches!(error, OAuthError::Denied { .. }), "{error}");
    assert!(error.to_string().contains("access_denied"), "{error}");
}

#[tokio::test]
async fn a_busy_callback_port_is_reported_before_the_browser_opens() {
    let sim = Simulator::start(SimConfig::cloud().with_auto_approve()).await.unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let options = connection(&sim, "GETANDREFRESH", "memory://", &format!(";CallbackURL=http://127.0.0.1:{port}/cb"));
    let browser = ScriptedBrowser::new(Script::Accept);
    let error = session(&options, browser.clone()).authorize().await.unwrap_err();
    assert!(matches!(error, OAuthError::CallbackPort { .. }), "{error}");
    assert!(error.to_string().contains(&port.to_string()));
    assert_eq!(browser.opened.load(Ordering::SeqCst), 0);
}

/// Two processes share a token file; the access token expires; both refresh at once. With a reuse interval of
/// zero, a second use of the same refresh token would be refused: the store's lock makes the loser adopt the
/// winner's tokens instead, so neither is locked out and exactly one refresh reaches the server.
#[tokio::test]
async fn concurrent_refreshes_across_processes_rotate_once_and_nobody_is_locked_out() {
    let mut config = SimConfig::cloud().with_auto_approve();
    config.oauth.refresh_reuse_interval = Duration::ZERO;
    config.oauth.access_token_lifetime = Duration::from_secs(3600);
    let sim = Simulator::start(config).await.unwrap();
    let path = temp_store("rotation");
    let options = connection(&sim, "REFRESH", path.to_str().unwrap(), "");
    // Tokens as `login` would have saved them.
    let login =
        session(&connection(&sim, "GETANDREFRESH", path.to_str().unwrap(), ""), ScriptedBrowser::new(Script::Accept));
    let original = login.login().await.unwrap();

    let a = session(&options, Arc::new(NoBrowser));
    let b = session(&options, Arc::new(NoBrowser));
    a.authorize().await.unwrap();
    b.authorize().await.unwrap();
    sim.expire_tokens();
    let before = sim.counters().get("POST /oauth/token");
    let rejected = original.access_token.expose().to_owned();
    let (ra, rb) = tokio::join!(a.refresh_rejected(&rejected), b.refresh_rejected(&rejected));
    assert!(ra.unwrap() && rb.unwrap());
    assert_eq!(sim.counters().get("POST /oauth/token") - before, 1, "one refresh for both processes");
    let (ta, tb) = (a.access_token().await.unwrap(), b.access_token().await.unwrap());
    assert_eq!(ta, tb);
    assert_ne!(ta, original.access_token);
    let stored = TokenStore::File(path.clone()).load().unwrap().unwrap();
    assert_eq!(stored.access_token.as_deref(), Some(ta.expose()));
    assert_ne!(stored.refresh_token.as_deref(), original.refresh_token.as_ref().map(|r| r.expose()));
}

#[tokio::test]
async fn headless_refresh_mode_uses_a_given_refresh_token_and_keeps_the_rotated_one() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    let issued = sim.issue_oauth_tokens(&["read:space:confluence", "offline_access"]);
    let refresh = issued.refresh_token.unwrap();
    let path = temp_store("headless");
    let options = connection(&sim, "REFRESH", path.to_str().unwrap(), &format!(";OAuthRefreshToken={refresh}"));
    let tokens = session(&options, Arc::new(NoBrowser)).authorize().await.unwrap();
    assert_ne!(tokens.access_token.expose(), issued.access_token);
    let rotated = tokens.refresh_token.unwrap();
    assert_ne!(rotated.expose(), refresh);
    // The next run starts from the store, not from the (now rotated away) token in the connection string.
    let next = session(&options, Arc::new(NoBrowser));
    sim.expire_tokens();
    let rejected = tokens.access_token.expose().to_owned();
    assert!(next.refresh_rejected(&rejected).await.unwrap());
    assert_eq!(TokenStore::File(path).load().unwrap().unwrap().cloud_id.as_deref(), Some(sim.info().cloud_id.as_str()));
}

#[tokio::test]
async fn a_revoked_refresh_token_says_how_to_log_in_again() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    let issued = sim.issue_oauth_tokens(&["read:space:confluence", "offline_access"]);
    sim.revoke_refresh_tokens();
    let options =
        connection(&sim, "REFRESH", "memory://", &format!(";OAuthRefreshToken={}", issued.refresh_token.unwrap()));
    let error = session(&options, Arc::new(NoBrowser)).authorize().await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, OAuthError::Refused { .. }), "{message}");
    assert!(message.contains("invalid_grant") && message.contains("confluence-sql login"), "{message}");
}

#[tokio::test]
async fn refresh_mode_without_any_token_explains_what_is_missing() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    let options = connection(&sim, "REFRESH", "memory://", "");
    let message = session(&options, Arc::new(NoBrowser)).authorize().await.unwrap_err().to_string();
    assert!(message.contains("InitiateOAuth=REFRESH needs a refresh token"), "{message}");
}

/// The callback URL the simulator's authorization server sends the browser to for `url` (auto-approved).
async fn approve(url: &Url) -> Url {
    let manual = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = manual.get(url.clone()).send().await.unwrap();
    Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap()
}

/// CData's headless flow: the authorization URL from `GetOAuthAuthorizationURL` is opened elsewhere, and the code
/// it sends back is given as `OAuthVerifier`; the next connection exchanges it, saves the tokens, and later ones use
/// them without the verifier.
#[tokio::test]
async fn oauth_verifier_completes_a_headless_login_on_cloud_and_data_center() {
    for (config, tag) in [(SimConfig::cloud(), "cloud"), (SimConfig::data_center(), "dc")] {
        let sim = Simulator::start(config.with_auto_approve()).await.unwrap();
        let path = temp_store(&format!("headless-{tag}"));
        let store = path.to_str().unwrap();
        for (whole_url, run) in [(true, "url"), (false, "code")] {
            let _ = std::fs::remove_file(&path);
            let options = connection(&sim, "GETANDREFRESH", store, "");
            let starter = session(&options, Arc::new(NoBrowser));
            let request = starter.begin_authorization(None, None, None).await.unwrap();
            let callback = approve(&request.url).await;
            let code = callback.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
            let verifier = if whole_url { callback.to_string() } else { code };
            let extra = format!(";CallbackURL={};OAuthVerifier='{verifier}'", options.oauth.callback_url);
            let with_verifier = connection(&sim, "GETANDREFRESH", store, &extra);
            let tokens = session(&with_verifier, Arc::new(NoBrowser)).authorize().await.unwrap_or_else(|e| {
                panic!("{tag} {run}: {e}");
            });
            assert!(!tokens.access_token.expose().is_empty());
            // Saved: a connection without the verifier (and no browser) uses them.
            let later = connection(&sim, "REFRESH", store, "");
            let again = session(&later, Arc::new(NoBrowser)).authorize().await.unwrap();
            assert_eq!(again.access_token.expose(), tokens.access_token.expose(), "{tag} {run}");
        }
        // No authorization in progress: the error says what to do first.
        let _ = std::fs::remove_file(&path);
        let stray = connection(&sim, "GETANDREFRESH", store, ";OAuthVerifier=some-code");
        let message = session(&stray, Arc::new(NoBrowser)).authorize().await.unwrap_err().to_string();
        assert!(message.contains("GetOAuthAuthorizationURL"), "{message}");
        assert!(!message.contains("some-code"), "{message}");
    }
}

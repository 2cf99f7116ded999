//! The authorization server's side, through the `oauth2` crate: the authorization URL (with `audience` and
//! `prompt=consent` on Cloud, PKCE S256 on Data Center), the code exchange, the refresh grant, and Cloud's
//! accessible-resources (which site a token reaches). Cloud's token endpoint is documented with JSON bodies, so
//! its requests are sent as JSON; Data Center's as the form RFC 6749 describes.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use connstr::{Deployment, Secret};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, HttpRequest, HttpResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardErrorResponse,
    TokenResponse, TokenUrl,
};
use serde::Deserialize;
use url::Url;

use crate::config::OAuthConfig;
use crate::error::OAuthError;

/// An authorization to send the user to.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    /// The URL to open in a browser.
    pub url: Url,
    /// The `state` it carries; the callback must return it.
    pub state: String,
    /// The PKCE `code_verifier` to finish it with (Data Center).
    pub code_verifier: Option<Secret>,
}

/// Tokens the authorization server granted.
#[derive(Clone, Debug)]
pub struct GrantedTokens {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token (a new one on every Cloud refresh).
    pub refresh_token: Option<Secret>,
    /// Seconds until the access token expires.
    pub expires_in: Option<u64>,
    /// The scopes granted (the requested ones when the server does not say).
    pub scopes: Vec<String>,
}

/// A Cloud site an access token can reach.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct AccessibleSite {
    /// The cloud id.
    pub id: String,
    /// The site URL.
    pub url: String,
    /// The site name.
    #[serde(default)]
    pub name: String,
    /// Scopes granted on it.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// Talks to the authorization server of one connection.
#[derive(Clone, Debug)]
pub struct Grants {
    config: Arc<OAuthConfig>,
    http: reqwest::Client,
}

type Client = oauth2::Client<
    StandardErrorResponse<BasicErrorResponseType>,
    oauth2::basic::BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

impl Grants {
    /// A client for `config`'s authorization server. Redirects are not followed (an OAuth endpoint that
    /// redirects is misconfigured, and following would leak the request).
    pub fn new(config: Arc<OAuthConfig>) -> Result<Grants, OAuthError> {
        let settings = confluence_rest::ClientConfig {
            user_agent: config.user_agent.clone(),
            timeouts: confluence_rest::Timeouts::for_request_timeout(config.http_timeout),
            proxy: config.proxy_url.clone(),
            system_proxy: config.token_url.scheme() == "https",
            trusted_ca_file: config.trusted_ca_file.clone(),
            ..confluence_rest::ClientConfig::default()
        };
        let http = settings
            .http_builder()
            .map_err(|e| OAuthError::Config(e.to_string()))?
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OAuthError::Config(format!("cannot create the HTTP client: {e}")))?;
        Ok(Grants { config, http })
    }

    /// The settings.
    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    fn client(&self, callback: &Url) -> Client {
        let client = BasicClient::new(ClientId::new(self.config.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(self.config.authorization_url.clone()))
            .set_token_uri(TokenUrl::from_url(self.config.token_url.clone()))
            .set_redirect_uri(RedirectUrl::from_url(callback.clone()))
            .set_auth_type(AuthType::RequestBody);
        match &self.config.client_secret {
            Some(secret) => client.set_client_secret(ClientSecret::new(secret.expose().to_owned())),
            None => client,
        }
    }

    /// The authorization URL for `callback` and `scopes`, with `state` (a random one when `None`) and, on Data
    /// Center, a fresh PKCE S256 challenge.
    pub fn authorization_request(
        &self,
        callback: &Url,
        scopes: &[String],
        state: Option<String>,
    ) -> AuthorizationRequest {
        let client = self.client(callback);
        let state = state.unwrap_or_else(|| CsrfToken::new_random().secret().clone());
        let csrf = state.clone();
        let mut request =
            client.authorize_url(move || CsrfToken::new(csrf)).add_scopes(scopes.iter().cloned().map(Scope::new));
        let mut code_verifier = None;
        match self.config.deployment {
            Deployment::Cloud => {
                request = request.add_extra_param("audience", "api.atlassian.com").add_extra_param("prompt", "consent");
            }
            Deployment::DataCenter => {
                let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
                request = request.set_pkce_challenge(challenge);
                code_verifier = Some(Secret::new(verifier.secret().clone()));
            }
        }
        let (url, _) = request.url();
        AuthorizationRequest { url, state, code_verifier }
    }

    /// Exchanges an authorization code (with the PKCE verifier on Data Center).
    pub async fn exchange_code(
        &self,
        code: &Secret,
        callback: &Url,
        code_verifier: Option<&Secret>,
    ) -> Result<GrantedTokens, OAuthError> {
        let client = self.client(callback);
        let redirect = RedirectUrl::from_url(callback.clone());
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.expose().to_owned()))
            .set_redirect_uri(Cow::Owned(redirect));
        if let Some(verifier) = code_verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_owned()));
        }
        let sender = self.sender();
        let response = request.request_async(&sender).await.map_err(|e| {
            self.grant_error(
                e,
                "authorization code",
                "Codes are single-use and expire after a few minutes: start the authorization again, and pass the \
                 same CallbackURL (and, on Data Center, the code_verifier) that started it",
            )
        })?;
        Ok(self.granted(&response))
    }

    /// Uses a refresh token. On Cloud the answer carries a new refresh token and the old one stops working.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<GrantedTokens, OAuthError> {
        let client = self.client(&self.config.callback_url);
        let token = RefreshToken::new(refresh_token.expose().to_owned());
        let sender = self.sender();
        let response = client.exchange_refresh_token(&token).request_async(&sender).await.map_err(|e| {
            let hint = format!(
                "The refresh token was used already, revoked, or unused for too long. {}",
                self.config.login_hint()
            );
            self.grant_error(e, "refresh token", &hint)
        })?;
        let mut granted = self.granted(&response);
        if granted.refresh_token.is_none() {
            // Servers that do not rotate keep the old refresh token valid.
            granted.refresh_token = Some(refresh_token.clone());
        }
        Ok(granted)
    }

    /// The Cloud sites `access_token` reaches (`GET {AtlassianApiUrl}/oauth/token/accessible-resources`).
    pub async fn accessible_sites(&self, access_token: &Secret) -> Result<Vec<AccessibleSite>, OAuthError> {
        let url = join(&self.config.api_url, "oauth/token/accessible-resources")?;
        let failed = |message: String| OAuthError::Http { url: url.to_string(), message };
        let response = self
            .http
            .get(url.clone())
            .bearer_auth(access_token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| failed(e.without_url().to_string()))?;
        let status = response.status();
        let body = read_capped(response).await.map_err(|e| failed(e.without_url().to_string()))?;
        let Some(body) = body else { return Err(failed(format!("the answer is larger than {MAX_BODY} bytes"))) };
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(OAuthError::NotAuthorized(format!(
                "the Atlassian API gateway refused the access token (HTTP 401 at {}): it is invalid, expired or \
                 revoked; authorize again",
                confluence_rest::client::redact_query(&url)
            )));
        }
        if !status.is_success() {
            return Err(failed(format!("HTTP {status}: {}", confluence_rest::error::error_message(&body))));
        }
        serde_json::from_slice(&body).map_err(|e| failed(format!("the answer is not a list of sites: {e}")))
    }

    fn granted(&self, response: &oauth2::basic::BasicTokenResponse) -> GrantedTokens {
        GrantedTokens {
            access_token: Secret::new(response.access_token().secret().clone()),
            refresh_token: response.refresh_token().map(|r| Secret::new(r.secret().clone())),
            expires_in: response.expires_in().map(|d| d.as_secs()),
            scopes: match response.scopes() {
                Some(scopes) => scopes.iter().map(|s| s.to_string()).collect(),
                None => self.config.scopes.clone(),
            },
        }
    }

    fn grant_error(
        &self,
        error: RequestTokenError<reqwest::Error, StandardErrorResponse<BasicErrorResponseType>>,
        grant: &'static str,
        hint: &str,
    ) -> OAuthError {
        let url = confluence_rest::client::redact_query(&self.config.token_url);
        match error {
            RequestTokenError::ServerResponse(response) => OAuthError::Refused {
                grant,
                error: response.error().to_string(),
                description: response.error_description().cloned(),
                hint: hint.to_owned(),
            },
            RequestTokenError::Request(e) => OAuthError::Http { url, message: e.without_url().to_string() },
            // Never echo the body: it may hold a token.
            RequestTokenError::Parse(e, _) => {
                OAuthError::Http { url, message: format!("the token response cannot be read: {}", e.inner()) }
            }
            RequestTokenError::Other(message) => OAuthError::Http { url, message },
        }
    }

    /// The `oauth2` crate's HTTP client: reqwest, with Cloud's form bodies re-encoded as the JSON it documents.
    fn sender(
        &self,
    ) -> impl Fn(HttpRequest) -> Pin<Box<dyn Future<Output = Result<HttpResponse, reqwest::Error>> + Send>> {
        let http = self.http.clone();
        let json = self.config.deployment == Deployment::Cloud;
        move |request: HttpRequest| {
            let http = http.clone();
            Box::pin(async move {
                let (parts, body) = request.into_parts();
                let mut headers = parts.headers;
                let body = if json && !body.is_empty() {
                    let fields: serde_json::Map<String, serde_json::Value> = url::form_urlencoded::parse(&body)
                        .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
                        .collect();
                    headers.insert(
                        reqwest::header::CONTENT_TYPE,
                        reqwest::header::HeaderValue::from_static("application/json"),
                    );
                    serde_json::to_vec(&fields).unwrap_or(body)
                } else {
                    body
                };
                let response =
                    http.request(parts.method, parts.uri.to_string()).headers(headers).body(body).send().await?;
                let mut builder = oauth2::http::Response::builder().status(response.status());
                for (name, value) in response.headers() {
                    builder = builder.header(name, value);
                }
                // An oversized answer becomes an empty body, which the `oauth2` crate reports as unreadable.
                let bytes = read_capped(response).await?.unwrap_or_default();
                // A builder fed a valid status and valid headers cannot fail.
                Ok(builder.body(bytes).unwrap_or_default())
            })
        }
    }
}

/// The most an authorization server's answer may hold (a token response is a few kilobytes).
const MAX_BODY: usize = 1024 * 1024;

/// The body, or `None` when it is larger than [`MAX_BODY`].
async fn read_capped(mut response: reqwest::Response) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// `base` + `path`, keeping `base`'s own path.
pub(crate) fn join(base: &Url, path: &str) -> Result<Url, OAuthError> {
    let text = format!("{}/{}", base.as_str().trim_end_matches('/'), path.trim_start_matches('/'));
    Url::parse(&text).map_err(|e| OAuthError::Config(format!("invalid URL {text}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use connstr::ConnectionOptions;

    fn grants(connection: &str) -> Grants {
        let options = ConnectionOptions::parse(connection).unwrap();
        Grants::new(Arc::new(OAuthConfig::from_options(&options).unwrap())).unwrap()
    }

    #[test]
    fn cloud_authorization_url_has_audience_consent_and_scopes() {
        let g = grants(
            "Url=https://acme.atlassian.net;AuthScheme=OAuth;OAuthClientId=cid;OAuthClientSecret=sec;\
             InitiateOAuth=GETANDREFRESH",
        );
        let callback = Url::parse("http://localhost:33333").unwrap();
        let request =
            g.authorization_request(&callback, &["read:page:confluence".into(), "offline_access".into()], None);
        let pairs: std::collections::HashMap<_, _> = request.url.query_pairs().into_owned().collect();
        assert_eq!(request.url.host_str(), Some("auth.atlassian.com"));
        assert_eq!(pairs["audience"], "api.atlassian.com");
        assert_eq!(pairs["prompt"], "consent");
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["scope"], "read:page:confluence offline_access");
        assert_eq!(pairs["state"], request.state);
        assert!(request.state.len() >= 16);
        assert!(!pairs.contains_key("code_challenge"));
        assert!(request.code_verifier.is_none());
        assert!(!request.url.as_str().contains("sec"), "the secret never goes in the URL");
    }

    #[test]
    fn data_center_uses_pkce_s256() {
        let g = grants(
            "Url=https://wiki.example.com;Deployment=DataCenter;AuthScheme=OAuthPKCE;OAuthClientId=cid;\
             InitiateOAuth=GETANDREFRESH",
        );
        let callback = Url::parse("http://127.0.0.1:40000/cb").unwrap();
        let request = g.authorization_request(&callback, &["READ".into()], Some("fixed".into()));
        let pairs: std::collections::HashMap<_, _> = request.url.query_pairs().into_owned().collect();
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(pairs["state"], "fixed");
        let verifier = request.code_verifier.unwrap();
        let expected = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.expose().into()));
        assert_eq!(pairs["code_challenge"], expected.as_str());
        assert!((43..=128).contains(&verifier.expose().len()));
    }

    #[test]
    fn pkce_matches_the_rfc_7636_vector() {
        let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned());
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        assert_eq!(challenge.as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert_eq!(challenge.method().as_str(), "S256");
    }
}

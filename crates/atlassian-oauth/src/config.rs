//! [`OAuthConfig`]: what an OAuth flow needs, taken from the connection's options: the app, the endpoints of Cloud
//! (auth.atlassian.com and the API gateway) or Data Center (`{Url}/rest/oauth2/latest/*`), scopes, the callback,
//! the `InitiateOAuth` mode and the token store's location. Every endpoint comes from a connection property, so
//! tests point them at the simulator.

use std::time::Duration;

use connstr::{
    AuthScheme, CloudId, ConnectionOptions, Deployment, InitiateOAuth, OAuthSettingsLocation, ProxyUrl, Secret,
};
use url::Url;

use crate::error::OAuthError;

/// The OAuth settings of one connection.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct OAuthConfig {
    /// Cloud (3LO through auth.atlassian.com) or Data Center (PKCE on the site).
    pub deployment: Deployment,
    /// The site (`Url`): tokens in the store are only used for the same site and app.
    pub site_url: Url,
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret (Cloud requires one; a Data Center link may have one).
    pub client_secret: Option<Secret>,
    /// The redirect URL registered with the app.
    pub callback_url: Url,
    /// Scopes to request.
    pub scopes: Vec<String>,
    /// The authorization endpoint.
    pub authorization_url: Url,
    /// The token endpoint.
    pub token_url: Url,
    /// The Cloud API gateway (accessible-resources and `/ex/confluence/{cloudid}`).
    pub api_url: Url,
    /// The Cloud site id, when given.
    pub cloud_id: Option<CloudId>,
    /// When the driver may start or refresh an authorization.
    pub initiate: InitiateOAuth,
    /// Where tokens are kept.
    pub settings_location: OAuthSettingsLocation,
    /// An access token given in the connection string.
    pub access_token: Option<Secret>,
    /// A refresh token given in the connection string.
    pub refresh_token: Option<Secret>,
    /// `OAuthVerifier`: the code (or whole callback URL) of an authorization started with
    /// `GetOAuthAuthorizationURL`, exchanged for tokens when there are none yet (the headless flow).
    pub verifier: Option<Secret>,
    /// Refresh this long before the access token expires.
    pub refresh_margin: Duration,
    /// How long the desktop flow waits for the browser to come back.
    pub flow_timeout: Duration,
    /// Timeout of each HTTP request to the authorization server.
    pub http_timeout: Option<Duration>,
    /// A proxy for the authorization server's requests (its password masked in `Debug`).
    pub proxy_url: Option<ProxyUrl>,
    /// Extra certificate authorities to trust (a PEM file).
    pub trusted_ca_file: Option<std::path::PathBuf>,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl OAuthConfig {
    /// The OAuth settings of `options`; fails when the connection does not use OAuth or lacks a client id where a
    /// flow or a refresh needs one.
    pub fn from_options(options: &ConnectionOptions) -> Result<OAuthConfig, OAuthError> {
        if !matches!(options.auth_scheme, AuthScheme::OAuth | AuthScheme::OAuthPkce) {
            return Err(OAuthError::Config(format!(
                "the connection uses AuthScheme={}, not OAuth",
                options.auth_scheme.as_str()
            )));
        }
        let oauth = &options.oauth;
        let needs_client = oauth.initiate != InitiateOAuth::Off || oauth.access_token.is_none();
        let client_id = match (&oauth.client_id, needs_client) {
            (Some(id), _) => id.clone(),
            (None, false) => String::new(),
            (None, true) => {
                return Err(OAuthError::Config(
                    "OAuth needs OAuthClientId (and OAuthClientSecret): copy them from the app's settings in the \
                     Atlassian developer console (Cloud) or the incoming application link (Data Center)"
                        .to_owned(),
                ))
            }
        };
        if options.deployment == Deployment::Cloud && needs_client && oauth.client_secret.is_none() {
            return Err(OAuthError::Config(
                "Cloud OAuth (3LO) needs OAuthClientSecret: copy it from the app's Settings page in the Atlassian \
                 developer console"
                    .to_owned(),
            ));
        }
        Ok(OAuthConfig {
            deployment: options.deployment,
            site_url: options.url.clone(),
            client_id,
            client_secret: oauth.client_secret.clone(),
            callback_url: oauth.callback_url.clone(),
            scopes: oauth.scopes.clone(),
            authorization_url: oauth.authorization_url.clone(),
            token_url: oauth.access_token_url.clone(),
            api_url: oauth.atlassian_api_url.clone(),
            cloud_id: oauth.cloud_id.clone(),
            initiate: oauth.initiate,
            settings_location: oauth.settings_location.clone(),
            access_token: oauth.access_token.clone(),
            refresh_token: oauth.refresh_token.clone(),
            verifier: oauth.verifier.clone(),
            refresh_margin: Duration::from_secs(60),
            flow_timeout: Duration::from_secs(300),
            http_timeout: options.timeout,
            proxy_url: options.proxy_url.clone(),
            trusted_ca_file: options.trusted_ca_file.clone(),
            user_agent: options.user_agent.clone(),
        })
    }

    /// Whether this is the Data Center provider, which uses PKCE.
    pub fn uses_pkce(&self) -> bool {
        self.deployment == Deployment::DataCenter
    }

    /// How a person logs in again, for error messages.
    pub fn login_hint(&self) -> String {
        match self.initiate {
            InitiateOAuth::GetAndRefresh => {
                "Connect again to authorize in the browser, or run `confluence-sql login \"<connection string>\"`"
                    .to_owned()
            }
            _ => "Run `confluence-sql login \"<connection string>\"` to authorize again (or use the web flow's \
                  GetOAuthAuthorizationURL and GetOAuthAccessToken procedures), then reconnect"
                .to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_endpoints_and_checks_the_client() {
        let options = ConnectionOptions::parse(
            "Url=https://acme.atlassian.net;AuthScheme=OAuth;OAuthClientId=cid;OAuthClientSecret=s3cr3t;\
             InitiateOAuth=GETANDREFRESH;OAuthSettingsLocation=memory://",
        )
        .unwrap();
        let config = OAuthConfig::from_options(&options).unwrap();
        assert_eq!(config.authorization_url.as_str(), "https://auth.atlassian.com/authorize");
        assert_eq!(config.token_url.as_str(), "https://auth.atlassian.com/oauth/token");
        assert!(config.scopes.iter().any(|s| s == "offline_access"));
        assert!(!config.uses_pkce());
        assert!(!format!("{config:?}").contains("s3cr3t"));
        let proxied = ConnectionOptions::parse(
            "Url=https://acme.atlassian.net;AuthScheme=OAuth;OAuthClientId=cid;OAuthClientSecret=s3cr3t;\
             ProxyUrl=http://me:pr0xypass@proxy:3128",
        )
        .unwrap();
        assert!(!format!("{:?}", OAuthConfig::from_options(&proxied).unwrap()).contains("pr0xypass"));

        let dc = ConnectionOptions::parse(
            "Url=https://wiki.example.com/confluence;Deployment=DataCenter;AuthScheme=OAuthPKCE;OAuthClientId=cid;\
             InitiateOAuth=GETANDREFRESH",
        )
        .unwrap();
        let config = OAuthConfig::from_options(&dc).unwrap();
        assert_eq!(config.token_url.as_str(), "https://wiki.example.com/confluence/rest/oauth2/latest/token");
        assert!(config.uses_pkce());

        // The connection string itself must give what a flow needs.
        let access_only = ConnectionOptions::parse(
            "Url=https://wiki.example.com;Deployment=DataCenter;AuthScheme=OAuthPKCE;OAuthAccessToken=tok",
        )
        .unwrap();
        assert!(OAuthConfig::from_options(&access_only).unwrap().client_id.is_empty());
    }
}

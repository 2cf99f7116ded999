//! From a connection's options to its REST client: one [`ClientConfig`] (timeouts, proxy, TLS trust, limits,
//! retries) and, for the static schemes, the credentials and the site. OAuth connections get their token source
//! from `atlassian_oauth` instead.

use std::sync::Arc;

use confluence_rest::{
    BasicAuth, BearerToken, ClientConfig, Dialect, Limits, RestError, RetryPolicy, Timeouts, TokenSource,
};
use connstr::{AuthScheme, ConnectionOptions, Deployment, InitiateOAuth, UseGateway, ValueSource};

use crate::error::SqlError;

/// The HTTP client settings of a connection.
pub fn client_config(options: &ConnectionOptions, retry: RetryPolicy) -> ClientConfig {
    ClientConfig {
        user_agent: options.user_agent.clone(),
        max_concurrency: options.max_concurrency,
        timeouts: Timeouts::for_request_timeout(options.timeout),
        proxy: options.proxy_url.clone(),
        // A plain-http site is on this machine (or explicitly allowed): never send it through the environment's
        // proxy, which would carry its credentials over the network in clear.
        system_proxy: options.url.scheme() == "https",
        trusted_ca_file: options.trusted_ca_file.clone(),
        limits: Limits { max_response_bytes: options.max_response_bytes, max_pages: options.max_pages },
        retry,
        not_found_hint: (options.deployment == Deployment::DataCenter
            && options.source_of("Deployment") != ValueSource::Given)
            .then(|| {
                "This site was taken for Confluence Data Center because its host is not *.atlassian.net: if it is \
                 Confluence Cloud on a custom domain, add Deployment=Cloud to the connection string"
                    .to_owned()
            }),
    }
}

/// Whether a connection must read its Cloud site's id (`/_edge/tenant_info`) before its first statement: an API
/// token sent through the gateway (`UseGateway=true`) without `CloudId`.
pub fn needs_tenant_info(options: &ConnectionOptions) -> bool {
    options.auth_scheme == AuthScheme::Basic
        && options.deployment == Deployment::Cloud
        && options.use_gateway == UseGateway::True
        && options.oauth.cloud_id.is_none()
}

/// The site's API as the connection first sees it (Cloud on the site, Data Center under its context path).
pub fn site_dialect(options: &ConnectionOptions) -> Dialect {
    match options.deployment {
        Deployment::Cloud => Dialect::Cloud { api_base: options.url.clone() },
        Deployment::DataCenter => Dialect::DataCenter { base: options.url.clone() },
    }
}

/// The credentials of a connection that does not run OAuth flows (Basic, PAT, or an OAuth access token given
/// with `InitiateOAuth=OFF`), and where they are sent.
pub fn static_credentials(options: &ConnectionOptions) -> Result<(Arc<dyn TokenSource>, Dialect), SqlError> {
    let config = |message: &str| SqlError::Rest(RestError::Config(message.to_owned()));
    match options.auth_scheme {
        AuthScheme::Basic => {
            let (secret, hint) = match (&options.api_token, &options.password) {
                (Some(token), _) => (token.clone(), "User and APIToken"),
                (None, Some(password)) => (password.clone(), "User and Password"),
                (None, None) => return Err(config("Basic authentication needs APIToken or Password")),
            };
            let user = options.user.clone().unwrap_or_default();
            let gateway = options.deployment == Deployment::Cloud && options.use_gateway == UseGateway::True;
            let hint = match (options.deployment, options.use_gateway, options.api_token.is_some()) {
                (Deployment::Cloud, UseGateway::Auto, true) => {
                    "User and APIToken (a scoped API token works only through the API gateway: add UseGateway=true)"
                }
                _ => hint,
            };
            let dialect = match (&options.oauth.cloud_id, gateway) {
                // With the site's id known, straight to the gateway; without it, the connection reads it from the
                // site's tenant_info before its first statement.
                (Some(cloud_id), true) => Dialect::Cloud {
                    api_base: confluence_rest::client::gateway_base(
                        &options.oauth.atlassian_api_url,
                        cloud_id.as_str(),
                    )?,
                },
                _ => site_dialect(options),
            };
            Ok((Arc::new(BasicAuth::new(user, secret, hint)), dialect))
        }
        AuthScheme::Pat => {
            let token = options
                .personal_access_token
                .clone()
                .ok_or_else(|| config("AuthScheme=PAT needs PersonalAccessToken"))?;
            Ok((Arc::new(BearerToken::new(token, "PersonalAccessToken")), site_dialect(options)))
        }
        AuthScheme::OAuth | AuthScheme::OAuthPkce => {
            let oauth = &options.oauth;
            let (Some(token), InitiateOAuth::Off) = (&oauth.access_token, oauth.initiate) else {
                return Err(config("OAuth flows and refresh come from atlassian_oauth::OAuthSession"));
            };
            let source: Arc<dyn TokenSource> = Arc::new(BearerToken::new(token.clone(), "OAuthAccessToken"));
            match options.deployment {
                Deployment::DataCenter => Ok((source, site_dialect(options))),
                Deployment::Cloud => {
                    let cloud_id = oauth.cloud_id.as_ref().ok_or_else(|| {
                        config("an OAuth access token on Cloud needs CloudId (the site's id) to reach the API gateway")
                    })?;
                    let api_base = confluence_rest::client::gateway_base(&oauth.atlassian_api_url, cloud_id.as_str())?;
                    Ok((source, Dialect::Cloud { api_base }))
                }
            }
        }
    }
}

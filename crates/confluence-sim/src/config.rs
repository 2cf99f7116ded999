//! How a simulator is set up: which product it plays, the data set, the credentials it accepts, the OAuth apps
//! registered with its authorization servers, token lifetimes and faults.

use std::net::SocketAddr;
use std::time::Duration;

use crate::dataset::size::DatasetSize;
use crate::faults::FaultRule;

/// Which product the simulator plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SimDeployment {
    /// Confluence Cloud: `/wiki/api/v2`, `/wiki/rest/api`, the API gateway and Atlassian's 3LO server.
    Cloud,
    /// Confluence Data Center: `/rest/api` and its OAuth 2.0 provider with PKCE.
    DataCenter,
}

impl SimDeployment {
    /// `Cloud` or `DataCenter`, as the connection property `Deployment` writes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            SimDeployment::Cloud => "Cloud",
            SimDeployment::DataCenter => "DataCenter",
        }
    }
}

/// The credentials the simulator accepts; all belong to user 0, the site admin.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// Cloud: the account email for Basic authentication.
    pub email: String,
    /// Cloud: the API token for Basic authentication.
    pub api_token: String,
    /// Data Center: the username for Basic authentication.
    pub username: String,
    /// Data Center: the password for Basic authentication.
    pub password: String,
    /// Data Center: a personal access token (Bearer).
    pub personal_access_token: String,
    /// Cloud: a scoped API token (Basic, with the email): accepted through the API gateway only, with
    /// `scoped_api_token_scopes`, as Atlassian's scoped tokens are.
    pub scoped_api_token: String,
    /// The scopes of the scoped API token.
    pub scoped_api_token_scopes: Vec<String>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            email: "admin@example.com".to_owned(),
            api_token: "sim-api-token".to_owned(),
            username: "admin".to_owned(),
            password: "sim-password".to_owned(),
            personal_access_token: "sim-personal-access-token".to_owned(),
            scoped_api_token: "sim-scoped-api-token".to_owned(),
            scoped_api_token_scopes: ["read:space:confluence", "read:page:confluence", "read:label:confluence"]
                .map(str::to_owned)
                .to_vec(),
        }
    }
}

/// An OAuth app registered with the authorization server.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    /// Client id.
    pub client_id: String,
    /// Client secret (Cloud apps and confidential Data Center clients).
    pub client_secret: String,
    /// Registered callback URLs. A `*` in place of the port matches any port (`http://127.0.0.1:*`), so tests
    /// can listen on an ephemeral port; the real servers need the exact URL.
    pub redirect_uris: Vec<String>,
    /// The scopes the app is configured with; asking for others fails with `invalid_scope`.
    pub scopes: Vec<String>,
}

/// Authorization-server behaviour.
#[derive(Clone, Debug)]
pub struct OAuthConfig {
    /// Registered apps (Cloud 3LO or Data Center application links, depending on the deployment).
    pub clients: Vec<OAuthClient>,
    /// Access-token lifetime (`expires_in`); Atlassian issues one hour.
    pub access_token_lifetime: Duration,
    /// How long a rotated refresh token may still be used after its successor was issued.
    pub refresh_reuse_interval: Duration,
    /// A refresh token unused for this long expires (Atlassian: 90 days).
    pub refresh_inactivity: Duration,
    /// How long an authorization code is valid.
    pub code_lifetime: Duration,
    /// Approve every authorization at once, redirecting straight to the callback (tests); otherwise a consent
    /// page with an Accept button is shown.
    pub auto_approve: bool,
}

/// The scopes the default Cloud app is configured with: every classic and granular Confluence scope the driver
/// may ask for, plus `offline_access`.
pub const CLOUD_APP_SCOPES: &[&str] = &[
    "offline_access",
    "read:confluence-content.all",
    "read:confluence-content.summary",
    "read:confluence-space.summary",
    "read:confluence-user",
    "read:confluence-groups",
    "search:confluence",
    "write:confluence-content",
    "manage:confluence-configuration",
    "read:space:confluence",
    "read:page:confluence",
    "write:page:confluence",
    "delete:page:confluence",
    "read:blogpost:confluence",
    "write:blogpost:confluence",
    "read:comment:confluence",
    "write:comment:confluence",
    "delete:comment:confluence",
    "read:attachment:confluence",
    "read:label:confluence",
    "write:label:confluence",
    "read:task:confluence",
    "read:user:confluence",
    "read:content-details:confluence",
    "read:content.metadata:confluence",
    "read:audit-log:confluence",
    "read:configuration:confluence",
];

impl OAuthConfig {
    /// The default app for a deployment: client `sim-client-id` / secret `sim-client-secret`, callbacks
    /// `http://localhost:33333` and any loopback port.
    pub fn default_for(deployment: SimDeployment) -> OAuthConfig {
        let scopes: Vec<String> = match deployment {
            SimDeployment::Cloud => CLOUD_APP_SCOPES.iter().map(|s| s.to_string()).collect(),
            SimDeployment::DataCenter => {
                ["READ", "WRITE", "ADMIN", "SYSTEM_ADMIN"].iter().map(|s| s.to_string()).collect()
            }
        };
        OAuthConfig {
            clients: vec![OAuthClient {
                client_id: "sim-client-id".to_owned(),
                client_secret: "sim-client-secret".to_owned(),
                redirect_uris: vec![
                    "http://localhost:33333".to_owned(),
                    "http://localhost:*".to_owned(),
                    "http://127.0.0.1:*".to_owned(),
                ],
                scopes,
            }],
            access_token_lifetime: Duration::from_secs(3600),
            refresh_reuse_interval: Duration::from_secs(10),
            refresh_inactivity: Duration::from_secs(90 * 24 * 3600),
            code_lifetime: Duration::from_secs(600),
            auto_approve: false,
        }
    }
}

/// Everything a simulator needs to start.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Cloud or Data Center.
    pub deployment: SimDeployment,
    /// The data set's seed.
    pub seed: u64,
    /// The data set's size.
    pub size: DatasetSize,
    /// Where to listen; port 0 picks a free one. Loopback by default.
    pub bind: SocketAddr,
    /// Accepted credentials.
    pub credentials: Credentials,
    /// The Cloud site's id (returned by accessible-resources and used in `/ex/confluence/{cloudid}`).
    pub cloud_id: String,
    /// The site's name in accessible-resources.
    pub site_name: String,
    /// Authorization servers.
    pub oauth: OAuthConfig,
    /// Faults injected from the start (more can be set at run time).
    pub faults: Vec<FaultRule>,
    /// The Data Center version served (major, minor): endpoints added later answer 404, as on an older server.
    pub data_center_version: (u32, u32),
    /// The Cloud plan (`free`, `standard`, `premium`, `enterprise`): on `free`, the audit log and page analytics
    /// answer 403, as those features are not on the Free plan.
    pub edition: String,
}

impl SimConfig {
    /// A Cloud site with the small data set on a free loopback port.
    pub fn cloud() -> SimConfig {
        SimConfig {
            deployment: SimDeployment::Cloud,
            seed: 42,
            size: DatasetSize::SMALL,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            credentials: Credentials::default(),
            cloud_id: "a436116f-02ce-4520-8fbb-7301462a1674".to_owned(),
            site_name: "sim".to_owned(),
            oauth: OAuthConfig::default_for(SimDeployment::Cloud),
            faults: Vec::new(),
            data_center_version: (9, 2),
            edition: "standard".to_owned(),
        }
    }

    /// A Data Center server with the small data set on a free loopback port.
    pub fn data_center() -> SimConfig {
        SimConfig {
            deployment: SimDeployment::DataCenter,
            oauth: OAuthConfig::default_for(SimDeployment::DataCenter),
            ..SimConfig::cloud()
        }
    }

    /// The same configuration with another data set size.
    pub fn with_size(mut self, size: DatasetSize) -> SimConfig {
        self.size = size;
        self
    }

    /// The same configuration on another Cloud plan (`free` has no audit log and no page analytics).
    pub fn with_edition(mut self, edition: &str) -> SimConfig {
        self.edition = edition.to_owned();
        self
    }

    /// The same configuration serving another Data Center version.
    pub fn with_data_center_version(mut self, major: u32, minor: u32) -> SimConfig {
        self.data_center_version = (major, minor);
        self
    }

    /// The same configuration with authorizations approved without a consent page.
    pub fn with_auto_approve(mut self) -> SimConfig {
        self.oauth.auto_approve = true;
        self
    }
}

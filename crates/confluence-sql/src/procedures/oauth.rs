//! The OAuth web-flow procedures, for applications that run the browser side themselves (`InitiateOAuth=OFF`):
//!
//! 1. `GetOAuthAuthorizationURL(CallbackURL, Scope, State)`: the URL to send the user to (and, on Data Center,
//!    the PKCE `CodeVerifier`, also kept in `OAuthSettingsLocation` under the `State`);
//! 2. `GetOAuthAccessToken(AuthMode, Verifier, Scope, CallbackURL, State, CodeVerifier)` (CData's order):
//!    exchanges the `code` the callback received (or the whole callback URL) for tokens, saves them, and returns
//!    them with the Cloud site id; `AuthMode => 'APP'` (the default without a `Verifier`) runs the desktop flow;
//! 3. `RefreshOAuthAccessToken(OAuthRefreshToken)`: new tokens (Atlassian rotates the refresh token).
//!
//! Tokens obtained this way are also used by the connection that obtained them.

use std::sync::Arc;

use async_trait::async_trait;
use atlassian_oauth::{OAuthError, OAuthSession, TokenSet};
use confluence_rest::client::gateway_base;
use confluence_rest::Dialect;
use connstr::InitiateOAuth;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};

use super::{int, one_row, text, ParamSpec, Procedure, ProcedureArgs, ProcedureSpec, ResultColumn};
use crate::exec::ScanContext;

/// `GetOAuthAuthorizationURL`.
pub static GET_AUTHORIZATION_URL: ProcedureSpec = ProcedureSpec {
    name: "GetOAuthAuthorizationURL",
    description: "Web flow, step 1: the authorization URL to send the user to (and the PKCE code verifier on Data Center).",
    params: &[
        ParamSpec {
            name: "CallbackURL",
            required: false,
            description: "where the authorization server sends the user back; must be registered in the app (default: the CallbackURL property)",
        },
        ParamSpec {
            name: "Scope",
            required: false,
            description: "space-separated scopes (default: the Scope property)",
        },
        ParamSpec {
            name: "State",
            required: false,
            description: "an opaque value the callback returns, to tie it to this request (default: random)",
        },
    ],
    columns: &[
        ResultColumn { name: "URL", data_type: DataType::Utf8, description: "the authorization URL" },
        ResultColumn { name: "State", data_type: DataType::Utf8, description: "the state the callback must return" },
        ResultColumn {
            name: "CodeVerifier",
            data_type: DataType::Utf8,
            description: "Data Center: the PKCE code_verifier to pass to GetOAuthAccessToken (also kept in OAuthSettingsLocation under State)",
        },
    ],
    before_authorization: true,
    writes: false,
};

/// `GetOAuthAccessToken`.
pub static GET_ACCESS_TOKEN: ProcedureSpec = ProcedureSpec {
    name: "GetOAuthAccessToken",
    description: "Web flow, step 2: exchanges the callback's code for tokens, saves them in OAuthSettingsLocation and returns them.",
    params: &[
        ParamSpec {
            name: "AuthMode",
            required: false,
            description: "WEB: exchange Verifier; APP: run the desktop flow (browser and loopback callback); default WEB when Verifier is given, else APP",
        },
        ParamSpec {
            name: "Verifier",
            required: false,
            description: "the code parameter of the callback URL, or the whole callback URL (required with AuthMode WEB)",
        },
        ParamSpec {
            name: "Scope",
            required: false,
            description: "AuthMode APP: the scopes to ask for, comma- or space-separated (default: the Scope property); WEB takes the scopes the authorization asked for",
        },
        ParamSpec {
            name: "CallbackURL",
            required: false,
            description: "the CallbackURL the authorization was started with (default: the one kept under State)",
        },
        ParamSpec {
            name: "State",
            required: false,
            description: "the State GetOAuthAuthorizationURL returned, as the caller kept it (required with AuthMode WEB); checked against the callback's",
        },
        ParamSpec {
            name: "CodeVerifier",
            required: false,
            description: "Data Center: the PKCE code verifier GetOAuthAuthorizationURL returned (default: the one kept under State)",
        },
    ],
    columns: &TOKEN_COLUMNS,
    before_authorization: true,
    writes: false,
};

/// `RefreshOAuthAccessToken`.
pub static REFRESH_ACCESS_TOKEN: ProcedureSpec = ProcedureSpec {
    name: "RefreshOAuthAccessToken",
    description:
        "Exchanges a refresh token for new tokens (the old refresh token stops working), saves and returns them.",
    params: &[ParamSpec {
        name: "OAuthRefreshToken",
        required: false,
        description: "the refresh token (default: the one in OAuthSettingsLocation)",
    }],
    columns: &TOKEN_COLUMNS,
    before_authorization: true,
    writes: false,
};

const TOKEN_COLUMNS: [ResultColumn; 6] = [
    ResultColumn { name: "OAuthAccessToken", data_type: DataType::Utf8, description: "the access token" },
    ResultColumn {
        name: "OAuthRefreshToken",
        data_type: DataType::Utf8,
        description: "the refresh token (keep the newest: each refresh replaces it)",
    },
    ResultColumn {
        name: "ExpiresIn",
        data_type: DataType::Int64,
        description: "seconds until the access token expires",
    },
    ResultColumn {
        name: "OAuthAccessTokenSecret",
        data_type: DataType::Utf8,
        description: "always empty (OAuth 1.0 had token secrets; kept for tools that read the column)",
    },
    ResultColumn {
        name: "CloudId",
        data_type: DataType::Utf8,
        description: "Cloud: the site id API calls go to (the CloudId property)",
    },
    ResultColumn { name: "Scope", data_type: DataType::Utf8, description: "the scopes granted, space-separated" },
];

/// What the procedures work with: the connection's OAuth session (none when it does not use OAuth) and its scans'
/// context, whose scans go to the Cloud site's gateway once tokens name the site.
#[derive(Clone, Debug)]
pub struct OAuthContext {
    session: Option<Arc<OAuthSession>>,
    scans: Arc<ScanContext>,
}

impl OAuthContext {
    /// The context of a connection.
    pub fn new(session: Option<Arc<OAuthSession>>, scans: Arc<ScanContext>) -> OAuthContext {
        OAuthContext { session, scans }
    }

    fn session(&self) -> Result<&OAuthSession> {
        self.session.as_deref().ok_or_else(|| {
            DataFusionError::Plan(
                "the OAuth procedures need an OAuth connection: set AuthScheme=OAuth (Cloud) or OAuthPKCE (Data \
                 Center) with OAuthClientId and OAuthClientSecret"
                    .to_owned(),
            )
        })
    }

    /// Routes the connection's next scans to the site the tokens are for (a new client for that route; scans
    /// already planned keep theirs).
    pub fn adopt(&self, tokens: &TokenSet) -> Result<()> {
        if let (Some(session), Some(cloud_id)) = (&self.session, &tokens.cloud_id) {
            let current = self.scans.client();
            let base = gateway_base(&session.config().api_url, cloud_id)
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            if current.dialect().is_cloud() && current.dialect().base() != &base {
                self.scans.route_to(Dialect::Cloud { api_base: base });
            }
        }
        Ok(())
    }

    /// The three procedures.
    pub fn procedures(&self) -> Vec<Arc<dyn Procedure>> {
        vec![
            Arc::new(GetAuthorizationUrl(self.clone())),
            Arc::new(GetAccessToken(self.clone())),
            Arc::new(RefreshAccessToken(self.clone())),
        ]
    }
}

fn oauth_error(error: OAuthError) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}

fn token_row(spec: &ProcedureSpec, tokens: &TokenSet) -> Result<RecordBatch> {
    one_row(
        spec,
        vec![
            text(Some(tokens.access_token.expose())),
            text(tokens.refresh_token.as_ref().map(|r| r.expose())),
            int(tokens.expires_in),
            text(Some("")),
            text(tokens.cloud_id.as_deref()),
            text(Some(&tokens.scopes.join(" "))),
        ],
    )
}

#[derive(Debug)]
struct GetAuthorizationUrl(OAuthContext);

#[async_trait]
impl Procedure for GetAuthorizationUrl {
    fn spec(&self) -> &'static ProcedureSpec {
        &GET_AUTHORIZATION_URL
    }

    async fn call(&self, args: ProcedureArgs) -> Result<RecordBatch> {
        let request = self
            .0
            .session()?
            .begin_authorization(args.get("CallbackURL"), args.get("Scope"), args.get("State"))
            .await
            .map_err(oauth_error)?;
        one_row(
            self.spec(),
            vec![
                text(Some(request.url.as_str())),
                text(Some(&request.state)),
                text(request.code_verifier.as_ref().map(|v| v.expose())),
            ],
        )
    }
}

#[derive(Debug)]
struct GetAccessToken(OAuthContext);

#[async_trait]
impl Procedure for GetAccessToken {
    fn spec(&self) -> &'static ProcedureSpec {
        &GET_ACCESS_TOKEN
    }

    async fn call(&self, args: ProcedureArgs) -> Result<RecordBatch> {
        let session = self.0.session()?;
        // CData's default: WEB when a verifier is given, else APP.
        let default_mode = if args.get("Verifier").is_some() { "WEB" } else { "APP" };
        let mode = args.get("AuthMode").unwrap_or(default_mode).to_ascii_uppercase();
        let tokens = match mode.as_str() {
            "WEB" => {
                let verifier = args.get("Verifier").ok_or_else(|| {
                    DataFusionError::Plan(
                        "GetOAuthAccessToken needs Verifier: the code parameter the callback URL received (or the \
                         whole callback URL)"
                            .to_owned(),
                    )
                })?;
                session
                    .finish_authorization(
                        verifier,
                        args.get("CallbackURL"),
                        args.get("State"),
                        args.get("CodeVerifier"),
                    )
                    .await
                    .map_err(oauth_error)?
            }
            // The desktop flow opens a browser and listens on a port: only where the connection allows it.
            "APP" if session.config().initiate == InitiateOAuth::GetAndRefresh => {
                session.login_with_scopes(args.get("Scope")).await.map_err(oauth_error)?
            }
            "APP" => {
                return Err(DataFusionError::Plan(
                    "AuthMode APP (the default without a Verifier) runs the desktop flow (a browser and a local \
                     port), which this connection does not allow: set InitiateOAuth=GETANDREFRESH, or use the web \
                     flow (Verifier and State, from GetOAuthAuthorizationURL's callback)"
                        .to_owned(),
                ))
            }
            other => {
                return Err(DataFusionError::Plan(format!("AuthMode must be WEB or APP, not '{other}'")));
            }
        };
        self.0.adopt(&tokens)?;
        token_row(self.spec(), &tokens)
    }
}

#[derive(Debug)]
struct RefreshAccessToken(OAuthContext);

#[async_trait]
impl Procedure for RefreshAccessToken {
    fn spec(&self) -> &'static ProcedureSpec {
        &REFRESH_ACCESS_TOKEN
    }

    async fn call(&self, args: ProcedureArgs) -> Result<RecordBatch> {
        let tokens = self.0.session()?.refresh_with(args.get("OAuthRefreshToken")).await.map_err(oauth_error)?;
        self.0.adopt(&tokens)?;
        token_row(self.spec(), &tokens)
    }
}

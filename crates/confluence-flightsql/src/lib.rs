//! An Arrow Flight SQL server over the confluence-sql driver: BI tools, notebooks and JDBC/ADBC/ODBC clients on
//! other machines query Confluence through it (`confluence-sql serve`).
//!
//! - **Authentication is required.** In [`Authentication::Users`] mode clients log in with a server user's name
//!   and password (Flight's Basic handshake) and get a bearer token; their queries run with the server's own
//!   Confluence credentials. In [`Authentication::PassThrough`] mode the client's credentials are its own
//!   Confluence credentials, checked with one request, and each client gets its own connection.
//! - **SQL stays on Confluence.** Every connection has the [`confluence_sql::SqlPolicy::REMOTE`] policy: no local
//!   files, no `COPY`, no `SET`.
//! - **Stateless handles.** Prepared statements and tickets carry the SQL and the bound parameters, so nothing is
//!   kept per client and any instance can serve them.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use confluence_flightsql::{Authentication, FlightSqlServer, ServerConfig, Users};
//! let connection = confluence_sql::Connection::builder()
//!     .options(confluence_flightsql::remote_options(confluence_sql::ConnectionOptions::parse(
//!         "Url=https://acme.atlassian.net;User=bot@acme.com;APIToken=...",
//!     )?))
//!     .build()?;
//! let mut users = Users::new();
//! users.add_password("analyst", "a long passphrase")?;
//! let server = FlightSqlServer::start(Authentication::users(users, connection)?, ServerConfig::default()).await?;
//! println!("listening on {}", server.url());
//! server.wait().await?;
//! # Ok(()) }
//! ```

mod auth;
mod error;
mod handle;
mod metadata;
mod service;
mod users;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arrow_flight::flight_service_server::FlightServiceServer;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Identity, Server, ServerTlsConfig};

pub use auth::{remote_options, Authentication};
pub use error::ServeError;
pub use users::{hash_password, Users};

/// The port Flight SQL servers listen on by convention.
pub const DEFAULT_PORT: u16 = 50051;

/// A certificate chain and its private key, PEM-encoded. `Debug` does not show the key.
#[derive(Clone)]
pub struct TlsIdentity {
    /// The certificate chain.
    pub certificate_pem: Vec<u8>,
    /// The private key.
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity").field("certificate_pem_bytes", &self.certificate_pem.len()).finish()
    }
}

impl TlsIdentity {
    /// Reads the certificate chain and key from PEM files.
    pub fn from_files(certificate: &Path, key: &Path) -> Result<TlsIdentity, ServeError> {
        let read =
            |path: &Path| std::fs::read(path).map_err(|source| ServeError::Read { path: path.to_owned(), source });
        Ok(TlsIdentity { certificate_pem: read(certificate)?, key_pem: read(key)? })
    }
}

/// Where and how the server listens.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address to listen on (default `127.0.0.1:50051`; port 0 picks a free one).
    pub listen: SocketAddr,
    /// TLS, if any.
    pub tls: Option<TlsIdentity>,
    /// How long a bearer token from the handshake is valid (default one hour).
    pub token_lifetime: Duration,
    /// How long checked credentials, and the connections of pass-through clients, are kept (default ten minutes).
    pub credential_lifetime: Duration,
    /// How long one statement may plan and stream its result (default 30 minutes; `None`: no limit).
    pub statement_timeout: Option<Duration>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            tls: None,
            token_lifetime: Duration::from_secs(3600),
            credential_lifetime: Duration::from_secs(600),
            statement_timeout: Some(Duration::from_secs(1800)),
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct FlightSqlServer {
    local_addr: SocketAddr,
    tls: bool,
    auth_mode: &'static str,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

impl FlightSqlServer {
    /// Binds `config.listen` and starts serving in the background; it accepts connections when this returns.
    pub async fn start(authentication: Authentication, config: ServerConfig) -> Result<FlightSqlServer, ServeError> {
        let lifetimes = auth::Lifetimes { token: config.token_lifetime, credentials: config.credential_lifetime };
        let authenticator = Arc::new(auth::Authenticator::new(authentication, lifetimes)?);
        let auth_mode = authenticator.mode_name();
        let service = service::ConfluenceFlightSql::new(authenticator, config.statement_timeout)?;
        let mut builder = Server::builder()
            .tcp_nodelay(true)
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(20)));
        if let Some(tls) = &config.tls {
            let identity = Identity::from_pem(&tls.certificate_pem, &tls.key_pem);
            builder = builder
                .tls_config(ServerTlsConfig::new().identity(identity))
                .map_err(|e| ServeError::Tls(format!("cannot use the certificate and key: {e}")))?;
        }
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Bind { addr: config.listen, source })?;
        let local_addr = listener.local_addr().map_err(|source| ServeError::Bind { addr: config.listen, source })?;
        let stop = CancellationToken::new();
        let incoming = accept_loop(listener);
        let router = builder.add_service(FlightServiceServer::new(service));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            router.serve_with_incoming_shutdown(incoming, stopped.cancelled_owned()).await.map_err(ServeError::from)
        });
        tracing::info!(%local_addr, tls = config.tls.is_some(), auth = auth_mode, "Flight SQL server listening");
        Ok(FlightSqlServer { local_addr, tls: config.tls.is_some(), auth_mode, stop, task })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The URL clients connect to: `grpc://host:port`, or `grpc+tls://host:port` with TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "grpc+tls" } else { "grpc" };
        format!("{scheme}://{}", self.local_addr)
    }

    /// Whether it serves TLS.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// `"users"` or `"pass-through"`.
    pub fn auth_mode(&self) -> &'static str {
        self.auth_mode
    }

    /// Stops accepting connections, lets the calls in progress finish, and returns when it has stopped.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        self.stop.cancel();
        self.wait().await
    }

    /// Waits until the server stops (after [`FlightSqlServer::shutdown`], or when it fails).
    pub async fn wait(self) -> Result<(), ServeError> {
        match self.task.await {
            Ok(result) => result,
            Err(error) => Err(ServeError::Config(format!("the server task ended abnormally: {error}"))),
        }
    }
}

/// Accepted connections; a failed accept (too many open files, say) is logged and retried after a pause rather
/// than ending the server.
fn accept_loop(
    listener: TcpListener,
) -> impl futures::Stream<Item = Result<tokio::net::TcpStream, std::io::Error>> + Send + 'static {
    futures::stream::unfold(listener, |listener| async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    return Some((Ok(stream), listener));
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

//! `confluence-sql serve`: the Arrow Flight SQL server in the foreground until SIGINT or SIGTERM.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use confluence_flightsql::{Authentication, FlightSqlServer, ServerConfig, TlsIdentity, Users};
use confluence_sql::{Connection, ConnectionOptions, SqlPolicy};

use crate::connection_arg::ConnectionArg;
use crate::{demo, logging, output, OutputFormat};

/// The environment variable holding the password of `--user`.
pub const PASSWORD_VARIABLE: &str = "CONFLUENCE_SQL_SERVE_PASSWORD";

/// Options of `confluence-sql serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The connection string: with the server's Confluence credentials, or (with --pass-through) only `Url` and
    /// settings. Also -C or CONFLUENCE_SQL_CONNECTION.
    connection: Option<ConnectionArg>,
    /// The connection string.
    #[arg(short = 'C', long = "connection", env = "CONFLUENCE_SQL_CONNECTION", hide_env_values = true)]
    connection_option: Option<ConnectionArg>,
    /// HOST:PORT to listen on; port 0 picks a free one. Loopback by default: expose it on purpose, with TLS.
    #[arg(long, default_value = "127.0.0.1:50051", value_name = "HOST:PORT")]
    listen: String,
    /// `json` prints {"url", "tls", "auth"} as the first line of stdout once it accepts connections.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// A server user; the password comes from CONFLUENCE_SQL_SERVE_PASSWORD (never the command line).
    #[arg(long, value_name = "NAME", conflicts_with = "pass_through")]
    user: Option<String>,
    /// A users file: `name:$argon2id$...` lines (make them with --hash-password).
    #[arg(long, value_name = "PATH", conflicts_with = "pass_through")]
    users_file: Option<PathBuf>,
    /// Clients log in with their own Confluence credentials; the connection string holds no credentials.
    #[arg(long)]
    pass_through: bool,
    /// The TLS certificate chain (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// How long a login token is valid, in seconds (at most 30 days).
    #[arg(long, default_value_t = 3600, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
    token_lifetime: u64,
    /// How long one statement may run, in seconds; 0 for no limit.
    #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
    statement_timeout: u64,
    /// Serve the built-in simulator (no Atlassian account needed).
    #[arg(long, conflicts_with_all = ["connection", "connection_option"])]
    demo: bool,
    /// Print a users-file line for NAME (password from CONFLUENCE_SQL_SERVE_PASSWORD or standard input) and exit.
    #[arg(long, value_name = "NAME", exclusive = true)]
    hash_password: Option<String>,
}

/// Runs the server until a signal stops it.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    if let Some(name) = &args.hash_password {
        return hash_password(name);
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

fn hash_password(name: &str) -> anyhow::Result<ExitCode> {
    let password = match std::env::var(PASSWORD_VARIABLE) {
        Ok(password) => password,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    if password.is_empty() {
        return usage("the password is empty");
    }
    let hash = confluence_flightsql::hash_password(&password)?;
    // Checks the name as a users file will.
    Users::new().add_hash(name, &hash)?;
    println!("{name}:{hash}");
    Ok(ExitCode::SUCCESS)
}

fn usage(message: &str) -> anyhow::Result<ExitCode> {
    eprintln!("error: {}", output::escape_message(message));
    Ok(ExitCode::from(2))
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let Some(listen) = resolve(&args.listen) else {
        return usage(&format!("--listen {}: expected HOST:PORT, e.g. 127.0.0.1:50051", args.listen));
    };
    let simulator = if args.demo { Some(demo::start().await?) } else { None };
    let connection_string = match (&simulator, args.connection.clone().or(args.connection_option.clone())) {
        (Some((sim, _)), _) if args.pass_through => {
            let info = sim.info();
            format!("Url={};Deployment=Cloud;AtlassianApiUrl={}", info.url, info.atlassian_api_url)
        }
        (Some((_, connection)), _) => connection.clone(),
        (None, Some(text)) => text.into_inner(),
        (None, None) => {
            return usage("no connection string: give it as an argument, with -C, or in CONFLUENCE_SQL_CONNECTION");
        }
    };
    let options = match ConnectionOptions::parse(&connection_string) {
        Ok(options) => options,
        Err(error) => return usage(&format!("invalid connection string: {error}")),
    };
    logging::init(options.log_level);
    if options.local_files != SqlPolicy::REMOTE.local_files || options.allow_session_settings {
        eprintln!(
            "warning: LocalFiles and AllowSessionSettings are ignored: remote clients never reach local files or SET"
        );
    }
    let authentication = if args.pass_through {
        match Authentication::pass_through(&connection_string) {
            Ok(authentication) => authentication,
            Err(error) => return usage(&error.to_string()),
        }
    } else {
        let mut users = match &args.users_file {
            Some(path) => Users::from_file(path)?,
            None => Users::new(),
        };
        if let Some(name) = &args.user {
            let Ok(password) = std::env::var(PASSWORD_VARIABLE) else {
                return usage(&format!(
                    "--user {name}: set its password in the {PASSWORD_VARIABLE} environment variable"
                ));
            };
            users.add_password(name, &password)?;
        }
        if users.is_empty() {
            return usage(
                "authentication is required: give --user NAME (password in CONFLUENCE_SQL_SERVE_PASSWORD), \
                 --users-file PATH, or --pass-through",
            );
        }
        let connection = match Connection::builder().options(confluence_flightsql::remote_options(options)).open().await
        {
            Ok(connection) => connection,
            Err(error) => {
                eprintln!("error: cannot connect: {}", output::escape_message(&error.to_string()));
                return Ok(ExitCode::FAILURE);
            }
        };
        Authentication::users(users, connection)?
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsIdentity::from_files(cert, key)?),
        _ => None,
    };
    if tls.is_none() && !listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {listen} without TLS: passwords and tokens cross the network in clear text; \
             give --tls-cert and --tls-key"
        );
    }
    let config = ServerConfig {
        listen,
        tls,
        token_lifetime: Duration::from_secs(args.token_lifetime),
        statement_timeout: (args.statement_timeout > 0).then(|| Duration::from_secs(args.statement_timeout)),
        ..ServerConfig::default()
    };
    let server = FlightSqlServer::start(authentication, config).await?;
    match args.format {
        OutputFormat::Json => {
            let line = serde_json::json!({"url": server.url(), "tls": server.tls(), "auth": server.auth_mode()});
            println!("{line}");
        }
        OutputFormat::Table => {
            println!("Flight SQL server listening on {} (authentication: {})", server.url(), server.auth_mode());
            if let Some((sim, _)) = &simulator {
                let info = sim.info();
                if args.pass_through {
                    println!("Log in as {} with the API token {}", info.user, info.api_token);
                }
            }
            println!("Press Ctrl-C to stop.");
        }
    }
    use std::io::Write;
    std::io::stdout().flush()?;
    wait_for_signal().await;
    eprintln!("stopping: finishing the calls in progress");
    match tokio::time::timeout(Duration::from_secs(30), server.shutdown()).await {
        Ok(result) => result?,
        Err(_) => eprintln!("warning: calls still running after 30 s were dropped"),
    }
    drop(simulator);
    Ok(ExitCode::SUCCESS)
}

/// The first address `HOST:PORT` names.
fn resolve(listen: &str) -> Option<SocketAddr> {
    listen.to_socket_addrs().ok()?.next()
}

/// Until SIGINT (Ctrl-C) or SIGTERM.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

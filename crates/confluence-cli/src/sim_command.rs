//! `confluence-sql sim`: run the Confluence simulator in the foreground, printing where it listens and the
//! credentials and connection strings it accepts.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;
use confluence_sim::{DatasetSize, SimConfig, SimDeployment, Simulator};

use crate::text_table;
use crate::OutputFormat;

/// Options of `confluence-sql sim`.
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to bind. Loopback by default: the simulator accepts fixed, published credentials.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Which product to simulate.
    #[arg(long, value_enum, default_value_t = DeploymentArg::Cloud)]
    deployment: DeploymentArg,
    /// Data set size: a preset (tiny, small, large) and/or key=value overrides, e.g. `large` or `small,pages=5000`.
    #[arg(long, default_value = "small")]
    dataset: String,
    /// Seed of the generated data set.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Approve OAuth authorizations without showing the consent page.
    #[arg(long)]
    auto_approve: bool,
    /// `json` prints one JSON object on the first line of stdout (url, deployment, credentials, OAuth URLs).
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// The simulated product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DeploymentArg {
    /// Confluence Cloud and Atlassian's authorization server.
    Cloud,
    /// Confluence Data Center and its OAuth 2.0 provider.
    #[value(name = "datacenter", alias = "data-center", alias = "dc")]
    DataCenter,
}

/// Starts the simulator and serves until Ctrl-C.
pub fn run(args: SimArgs) -> anyhow::Result<ExitCode> {
    let size = match DatasetSize::parse(&args.dataset) {
        Ok(size) => size,
        Err(message) => {
            eprintln!("error: --dataset: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    let mut config = match args.deployment {
        DeploymentArg::Cloud => SimConfig::cloud(),
        DeploymentArg::DataCenter => SimConfig::data_center(),
    };
    config.size = size;
    config.seed = args.seed;
    config.bind = SocketAddr::new(args.bind, args.port);
    config.oauth.auto_approve = args.auto_approve;
    if !args.bind.is_loopback() {
        eprintln!("warning: binding {} exposes the simulator's published credentials beyond this machine", args.bind);
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let sim = Simulator::start(config).await?;
        let info = sim.info();
        match args.format {
            OutputFormat::Json => println!("{}", serde_json::to_string(&info)?),
            OutputFormat::Table => {
                let deployment = if sim.config().deployment == SimDeployment::Cloud {
                    "Confluence Cloud"
                } else {
                    "Confluence Data Center"
                };
                println!("{deployment} simulator listening on {}", info.url);
                let rows: Vec<Vec<String>> = [
                    ("url", &info.url),
                    ("user", &info.user),
                    ("api_token", &info.api_token),
                    ("password", &info.password),
                    ("pat", &info.pat),
                    ("client_id", &info.client_id),
                    ("client_secret", &info.client_secret),
                    ("cloud_id", &info.cloud_id),
                    ("oauth_authorization_url", &info.oauth_authorization_url),
                    ("oauth_access_token_url", &info.oauth_access_token_url),
                    ("atlassian_api_url", &info.atlassian_api_url),
                    ("dataset", &info.dataset),
                ]
                .iter()
                .map(|(k, v)| vec![k.to_string(), v.to_string()])
                .collect();
                print!("{}", text_table::render(&["Setting", "Value"], &rows));
                println!("\nConnect with:\n  {}\n  {}", info.connection_string, info.oauth_connection_string);
                println!("\nPress Ctrl-C to stop.");
            }
        }
        use std::io::Write;
        std::io::stdout().flush()?;
        sim.serve_until_ctrl_c().await;
        Ok::<_, anyhow::Error>(ExitCode::SUCCESS)
    })
}

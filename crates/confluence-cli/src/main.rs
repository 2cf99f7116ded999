//! `confluence-sql`: the command-line face of the driver. This file only parses arguments and dispatches; each
//! command lives in its own module and the logic a library user would also need lives in the library crates.

mod auth_command;
mod connection_arg;
mod connstr_command;
mod demo;
mod interrupt;
mod logging;
mod output;
mod profile;
mod repl;
mod runner;
mod serve_command;
mod sim_command;
mod statements;
mod text_table;

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use confluence_sql::Connection;

use crate::connection_arg::ConnectionArg;
use crate::output::{RenderOptions, ResultFormat};
use crate::runner::{RunError, Runner};

/// SQL over Atlassian Confluence (Cloud and Data Center).
///
/// `confluence-sql --demo` tries it on a built-in simulator; `confluence-sql "<connection string>"` opens a shell on
/// your site (see connstr-spec.md for connection strings).
#[derive(Debug, Parser)]
#[command(name = "confluence-sql", version, about, long_about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// The connection string (or -C, or the CONFLUENCE_SQL_CONNECTION environment variable).
    connection: Option<ConnectionArg>,
    /// The connection string.
    #[arg(short = 'C', long = "connection", env = "CONFLUENCE_SQL_CONNECTION", hide_env_values = true)]
    connection_option: Option<ConnectionArg>,
    /// Use the connection string saved as this profile: <config dir>/confluence-sql/profiles/<NAME>.conn.
    #[arg(short = 'P', long, env = "CONFLUENCE_SQL_PROFILE")]
    profile: Option<String>,
    /// Run this SQL (statements separated by ;) and exit.
    #[arg(short = 'c', long = "command")]
    command_sql: Option<String>,
    /// Run the SQL in this file and exit.
    #[arg(short = 'f', long = "file")]
    file: Option<std::path::PathBuf>,
    /// How results print.
    #[arg(long, value_enum, default_value_t = ResultFormat::Table)]
    format: ResultFormat,
    /// Print time, requests and bytes after each statement.
    #[arg(long)]
    timing: bool,
    /// In CSV output, prefix text that a spreadsheet would run as a formula (=, +, -, @) with a '.
    #[arg(long)]
    csv_formula_guard: bool,
    /// Start the built-in Confluence simulator and connect to it (no Atlassian account needed).
    #[arg(long, conflicts_with_all = ["connection", "connection_option"])]
    demo: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Work with connection strings without connecting.
    #[command(subcommand)]
    Connstr(ConnstrCommand),
    /// Serve Confluence over Arrow Flight SQL (BI tools, JDBC/ADBC/ODBC clients); authentication is required.
    ///
    /// Server users (--user NAME with the password in CONFLUENCE_SQL_SERVE_PASSWORD, or --users-file) query
    /// with the connection string's credentials; with --pass-through each client logs in with its own Confluence
    /// credentials. See docs/flight-sql.md.
    Serve(serve_command::ServeArgs),
    /// Run the Confluence simulator (Cloud or Data Center, with its authorization server) for tests and demos.
    Sim(sim_command::SimArgs),
    /// Authorize an OAuth connection in the browser now and save its tokens in OAuthSettingsLocation.
    ///
    /// Opens the authorization page (or prints its URL with --no-browser), waits for the redirect on the
    /// CallbackURL's loopback port, and saves the tokens. Connections with InitiateOAuth=GETANDREFRESH or REFRESH
    /// then use them without a browser.
    Login {
        /// The connection string (or -C, or the CONFLUENCE_SQL_CONNECTION environment variable).
        connection: Option<ConnectionArg>,
        /// The connection string.
        #[arg(short = 'C', long = "connection", env = "CONFLUENCE_SQL_CONNECTION", hide_env_values = true)]
        connection_option: Option<ConnectionArg>,
        /// Print the authorization URL instead of opening a browser (SSH sessions, servers).
        #[arg(long)]
        no_browser: bool,
    },
    /// Delete the OAuth tokens saved in the connection's OAuthSettingsLocation.
    Logout {
        /// The connection string (or -C, or the CONFLUENCE_SQL_CONNECTION environment variable).
        connection: Option<ConnectionArg>,
        /// The connection string.
        #[arg(short = 'C', long = "connection", env = "CONFLUENCE_SQL_CONNECTION", hide_env_values = true)]
        connection_option: Option<ConnectionArg>,
    },
}

#[derive(Debug, Subcommand)]
enum ConnstrCommand {
    /// Validate a connection string and print its effective properties (defaults filled in, secrets masked).
    ///
    /// Exits 0 when it is valid (warnings go to stderr) and 2 with the error when it is not.
    Check {
        /// The connection string; `-` reads it from standard input. When omitted, the CONFLUENCE_SQL_CONNECTION
        /// environment variable is used, else standard input when it is not a terminal.
        connection: Option<ConnectionArg>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// In the table, also show the properties the chosen AuthScheme does not use (JSON always has them all).
        #[arg(long)]
        all: bool,
    },
    /// List every connection property with its synonyms, type, default and description.
    Properties {
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
}

/// How a command prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned columns for people.
    Table,
    /// One JSON document for programs.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None if cli.demo
            || cli.connection.is_some()
            || cli.connection_option.is_some()
            || cli.profile.is_some()
            || cli.command_sql.is_some()
            || cli.file.is_some() =>
        {
            run_sql(cli)
        }
        Some(Command::Connstr(ConnstrCommand::Check { connection, format, all })) => {
            connstr_command::check(connection.map(ConnectionArg::into_inner), format, all)
        }
        Some(Command::Connstr(ConnstrCommand::Properties { format })) => connstr_command::properties(format),
        Some(Command::Sim(args)) => sim_command::run(args),
        Some(Command::Serve(args)) => serve_command::run(args),
        Some(Command::Login { connection, connection_option, no_browser }) => {
            with_connection(connection.or(connection_option).map(ConnectionArg::into_inner), |c| {
                auth_command::login(c, no_browser)
            })
        }
        Some(Command::Logout { connection, connection_option }) => {
            with_connection(connection.or(connection_option).map(ConnectionArg::into_inner), auth_command::logout)
        }
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", output::escape_message(&format!("{error:#}")));
            ExitCode::FAILURE
        }
    }
}

fn with_connection(
    connection: Option<String>,
    command: impl FnOnce(&str) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    match connection {
        Some(text) => command(&text),
        None => {
            eprintln!("error: no connection string: give it as an argument, with -C, or in CONFLUENCE_SQL_CONNECTION");
            Ok(ExitCode::from(2))
        }
    }
}

/// The query modes: `-c`, `-f`, or the shell; on a given connection or on the demo simulator.
fn run_sql(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let (simulator, connection_string) = if cli.demo {
        let (sim, connection) = runtime.block_on(demo::start())?;
        (Some(sim), connection)
    } else {
        let from_profile = match &cli.profile {
            Some(name) => match profile::load(name) {
                Ok(text) => Some(text),
                Err(e) => {
                    eprintln!("error: {}", output::escape_message(&format!("{e:#}")));
                    return Ok(ExitCode::from(2));
                }
            },
            None => None,
        };
        // An explicit argument first, then the profile, then -C / CONFLUENCE_SQL_CONNECTION.
        let given = cli.connection.map(ConnectionArg::into_inner);
        match given.or(from_profile).or(cli.connection_option.map(ConnectionArg::into_inner)) {
            Some(text) => (None, text),
            None => {
                eprintln!("error: no connection string: give it as an argument, with -C, or in CONFLUENCE_SQL_CONNECTION (or try --demo)");
                return Ok(ExitCode::from(2));
            }
        }
    };
    if let Ok(options) = connstr::ConnectionOptions::parse(&connection_string) {
        logging::init(options.log_level);
    }
    // OAuth connections authorize here: stored tokens, a refresh, or the browser, as InitiateOAuth allows.
    let connection = match runtime.block_on(Connection::open(&connection_string)) {
        Ok(connection) => connection,
        Err(e @ confluence_sql::SqlError::ConnectionString(_)) => {
            eprintln!("error: {}", output::escape_message(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
        Err(e) => {
            eprintln!("error: cannot connect: {}", output::escape_message(&e.to_string()));
            return Ok(ExitCode::FAILURE);
        }
    };
    for warning in connection.options().warnings() {
        eprintln!("warning: {warning}");
    }
    // From here on Ctrl-C cancels the running query rather than ending the process.
    interrupt::Interrupts::install();
    let runner = Runner {
        connection: std::sync::Arc::new(connection),
        format: cli.format,
        timing: cli.timing,
        render: RenderOptions { csv_formula_guard: cli.csv_formula_guard },
    };
    let script = match (&cli.command_sql, &cli.file) {
        (Some(sql), _) => Some(sql.clone()),
        (None, Some(path)) => {
            Some(std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?)
        }
        (None, None) => None,
    };
    let code = match script {
        Some(script) => {
            let (mut statements, rest) = statements::split(&script);
            if !rest.trim().is_empty() {
                statements.push(rest.trim().to_owned());
            }
            let mut code = ExitCode::SUCCESS;
            for statement in statements {
                match runtime.block_on(runner.run(&statement)) {
                    Ok(()) => {}
                    Err(RunError::Cancelled) => {
                        eprintln!("query cancelled");
                        code = ExitCode::from(130);
                        break;
                    }
                    Err(RunError::Failed(message)) => {
                        eprintln!("error: {}", output::escape_message(&message));
                        code = ExitCode::FAILURE;
                        break;
                    }
                }
            }
            code
        }
        None => {
            if let Some(sim) = &simulator {
                print!("{}", demo::banner(sim));
            }
            repl::run(&runtime, runner)?;
            ExitCode::SUCCESS
        }
    };
    drop(simulator);
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parsed arguments hold connection strings with tokens: their `Debug` masks them.
    #[test]
    fn debug_of_the_arguments_masks_secrets() {
        let cli = Cli::parse_from([
            "confluence-sql",
            "Url=https://a.atlassian.net;User=u;APIToken=t0ken-s3cret",
            "-c",
            "SELECT 1",
        ]);
        let text = format!("{cli:?}");
        assert!(!text.contains("t0ken-s3cret") && text.contains("APIToken=********"), "{text}");
        let login = Cli::parse_from(["confluence-sql", "login", "-C", "Url=https://w.corp;PAT=p4t-s3cret"]);
        assert!(!format!("{login:?}").contains("p4t-s3cret"));
    }
}

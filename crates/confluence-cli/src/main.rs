//! `confluence-sql`: the command-line face of the driver. This file only parses arguments and dispatches; each
//! command lives in its own module and the logic a library user would also need lives in the library crates.

mod connstr_command;
mod sim_command;
mod text_table;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// SQL over Atlassian Confluence (Cloud and Data Center).
#[derive(Debug, Parser)]
#[command(name = "confluence-sql", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Work with connection strings without connecting.
    #[command(subcommand)]
    Connstr(ConnstrCommand),
    /// Run the Confluence simulator (Cloud or Data Center, with its authorization server) for tests and demos.
    Sim(sim_command::SimArgs),
}

#[derive(Debug, Subcommand)]
enum ConnstrCommand {
    /// Validate a connection string and print its effective properties (defaults filled in, secrets masked).
    ///
    /// Exits 0 when it is valid (warnings go to stderr) and 2 with the error when it is not.
    Check {
        /// The connection string; `-` reads it from standard input. When omitted, the CONFLUENCE_SQL_CONNECTION
        /// environment variable is used, else standard input when it is not a terminal.
        connection: Option<String>,
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
        Some(Command::Connstr(ConnstrCommand::Check { connection, format, all })) => {
            connstr_command::check(connection, format, all)
        }
        Some(Command::Connstr(ConnstrCommand::Properties { format })) => connstr_command::properties(format),
        Some(Command::Sim(args)) => sim_command::run(args),
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

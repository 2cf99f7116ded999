//! `confluence-sql connstr check` and `connstr properties`: show what a connection string means without connecting.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::{bail, Context};
use connstr::properties::{UsedBy, ValueKind, PROPERTIES};
use connstr::{ConnectionOptions, DisplayValue, MASK};
use serde_json::{json, Map, Value};

use crate::text_table;
use crate::OutputFormat;

/// The environment variable that holds a connection string.
pub const CONNECTION_ENV: &str = "CONFLUENCE_SQL_CONNECTION";

/// Validates a connection string and prints its effective properties; exit code 2 when it is invalid.
pub fn check(connection: Option<String>, format: OutputFormat, all: bool) -> anyhow::Result<ExitCode> {
    let text = read_connection_string(connection)?;
    let options = match ConnectionOptions::parse(&text) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("error: {error}");
            return Ok(ExitCode::from(2));
        }
    };
    for warning in options.warnings() {
        eprintln!("warning: {warning}");
    }
    match format {
        OutputFormat::Table => print!("{}", options_table(&options, all)),
        OutputFormat::Json => println!("{}", options_json(&options)),
    }
    Ok(ExitCode::SUCCESS)
}

/// Lists every known property.
pub fn properties(format: OutputFormat) -> anyhow::Result<ExitCode> {
    match format {
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = PROPERTIES
                .iter()
                .map(|p| {
                    vec![
                        p.name.to_owned(),
                        p.kind.spec_name().to_owned(),
                        p.default.to_owned(),
                        p.description.to_owned(),
                    ]
                })
                .collect();
            print!("{}", text_table::render(&["Property", "Type", "Default", "Description"], &rows));
        }
        OutputFormat::Json => {
            let list: Vec<Value> = PROPERTIES
                .iter()
                .map(|p| {
                    let valid = match p.kind {
                        ValueKind::Choice(values) => json!(values),
                        _ => Value::Null,
                    };
                    let schemes = match p.used_by {
                        UsedBy::All => json!("all"),
                        UsedBy::Schemes(list) => json!(list.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
                    };
                    json!({
                        "name": p.name,
                        "synonyms": p.synonyms,
                        "type": p.kind.spec_name(),
                        "default": p.default,
                        "valid_values": valid,
                        "schemes": schemes,
                        "secret": p.is_secret(),
                        "description": p.description,
                    })
                })
                .collect();
            println!("{}", Value::Array(list));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The connection string from the argument, `-` (stdin), the environment, or piped stdin, in that order.
fn read_connection_string(argument: Option<String>) -> anyhow::Result<String> {
    let from_stdin = || -> anyhow::Result<String> {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read the connection string from standard input")?;
        Ok(text.trim_end_matches(['\r', '\n']).to_owned())
    };
    match argument.as_deref() {
        Some("-") => from_stdin(),
        Some(text) => Ok(text.to_owned()),
        None => match std::env::var(CONNECTION_ENV) {
            Ok(text) => Ok(text),
            Err(_) if !std::io::stdin().is_terminal() => from_stdin(),
            Err(_) => bail!(
                "no connection string: give it as an argument, as - to read standard input, or in {CONNECTION_ENV}"
            ),
        },
    }
}

/// The effective properties as a table; unless `all`, only those the resolved scheme uses.
fn options_table(options: &ConnectionOptions, all: bool) -> String {
    let (shown, hidden): (Vec<_>, Vec<_>) =
        options.properties().into_iter().partition(|p| all || p.info.used_by.includes(options.auth_scheme));
    let rows: Vec<Vec<String>> = shown
        .into_iter()
        .map(|p| {
            let value = match &p.value {
                DisplayValue::List(items) if p.info.name == "Scope" => items.join("\n"),
                other => other.to_string(),
            };
            vec![p.info.name.to_owned(), value, p.source.as_str().to_owned()]
        })
        .collect();
    let mut out = text_table::render(&["Property", "Value", "Source"], &rows);
    if !hidden.is_empty() {
        out.push_str(&format!(
            "({} properties that AuthScheme={} does not use are not shown; --all shows them)\n",
            hidden.len(),
            options.auth_scheme
        ));
    }
    out
}

fn options_json(options: &ConnectionOptions) -> Value {
    let mut object = Map::new();
    for p in options.properties() {
        let value = match p.value {
            DisplayValue::Unset => Value::Null,
            DisplayValue::Masked => json!(MASK),
            DisplayValue::Text(text) => json!(text),
            DisplayValue::Integer(n) => json!(n),
            DisplayValue::Bool(b) => json!(b),
            DisplayValue::List(items) => json!(items),
        };
        object.insert(p.info.name.to_owned(), value);
    }
    Value::Object(object)
}

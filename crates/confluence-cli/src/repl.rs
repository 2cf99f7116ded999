//! The interactive shell: multi-line statements ending with `;`, history, backslash commands, Ctrl-C to cancel
//! a query or clear the input, Ctrl-D or `\q` to quit.

use confluence_sql::datafusion::arrow::array::{Array, AsArray, StringArray};
use confluence_sql::Connection;
use rustyline::error::ReadlineError;
use rustyline::DefaultEditor;

use crate::output::ResultFormat;
use crate::runner::{RunError, Runner};
use crate::statements::split;

/// A backslash command.
#[derive(Debug, PartialEq, Eq)]
pub enum Backslash {
    /// `\q`
    Quit,
    /// `\?` or `\help`
    Help,
    /// `\dt` or `\d`
    ListTables,
    /// `\d <table>`
    Describe(String),
    /// `\timing`
    Timing,
    /// `\format [table|csv|json|markdown]`
    Format(Option<String>),
    /// Anything else.
    Unknown(String),
}

impl Backslash {
    /// Parses a line that starts with `\`.
    pub fn parse(line: &str) -> Backslash {
        let mut words = line.trim().trim_end_matches(';').split_whitespace();
        let command = words.next().unwrap_or_default();
        let argument = words.next().map(str::to_owned);
        match (command, argument) {
            ("\\q" | "\\quit", _) => Backslash::Quit,
            ("\\?" | "\\help" | "\\h", _) => Backslash::Help,
            ("\\dt", _) | ("\\d", None) => Backslash::ListTables,
            ("\\d", Some(table)) => Backslash::Describe(table),
            ("\\timing", _) => Backslash::Timing,
            ("\\format", argument) => Backslash::Format(argument),
            (other, _) => Backslash::Unknown(other.to_owned()),
        }
    }
}

const HELP: &str = "\\dt             list the tables
\\d <table>      describe a table's columns
\\timing         show time, requests and bytes after each statement
\\format <fmt>   table, csv, json or markdown
\\q              quit (or Ctrl-D); Ctrl-C cancels a running query
SQL statements end with ;";

/// The rows of a metadata collection (the same text `GetSchema` and every client read), or the error as text.
fn metadata(
    runtime: &tokio::runtime::Runtime,
    connection: &Connection,
    collection: &str,
    restrictions: &[Option<&str>],
) -> Result<Vec<Vec<String>>, String> {
    let batches =
        runtime.block_on(connection.get_schema_restricted(collection, restrictions)).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for batch in &batches {
        let columns: Vec<&StringArray> = batch.columns().iter().filter_map(|c| c.as_string_opt::<i32>()).collect();
        for row in 0..batch.num_rows() {
            rows.push(columns.iter().map(|c| if c.is_valid(row) { c.value(row) } else { "" }.to_owned()).collect());
        }
    }
    Ok(rows)
}

/// `\dt`: each table and what a row is.
fn list_tables(runtime: &tokio::runtime::Runtime, connection: &Connection) -> String {
    match metadata(runtime, connection, "Tables", &[]) {
        // TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, DESCRIPTION
        Ok(rows) => rows.iter().map(|r| format!("  {:<24}  {}\n", r[2], r[4])).collect(),
        Err(error) => format!("{error}\n"),
    }
}

/// `\d <table>`: the table's columns, types and descriptions.
fn describe(runtime: &tokio::runtime::Runtime, connection: &Connection, table: &str) -> String {
    let table = table.to_lowercase();
    let tables = metadata(runtime, connection, "Tables", &[None, None, Some(&table)]);
    let columns = metadata(runtime, connection, "Columns", &[None, None, Some(&table)]);
    match (tables, columns) {
        (Err(error), _) | (_, Err(error)) => format!("{error}\n"),
        (Ok(tables), _) if tables.is_empty() => {
            let names: Vec<String> = metadata(runtime, connection, "Tables", &[])
                .unwrap_or_default()
                .into_iter()
                .map(|r| r[2].clone())
                .collect();
            format!("no table {table:?}; tables: {}\n", names.join(", "))
        }
        (Ok(tables), Ok(columns)) => {
            // Columns' text fields: TABLE_CATALOG, TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT,
            // IS_NULLABLE, DATA_TYPE, ARROW_TYPE, DESCRIPTION (the integer ones are skipped).
            let width = columns.iter().map(|c| c[3].len()).max().unwrap_or(0);
            let mut out = format!("{} — {}\n", tables[0][2], tables[0][4]);
            for c in &columns {
                out.push_str(&format!("  {:width$}  {:<28}  {}\n", c[3], c[7], c[8]));
            }
            out
        }
    }
}

/// Runs the shell until `\q` or end of input.
pub fn run(runtime: &tokio::runtime::Runtime, mut runner: Runner) -> anyhow::Result<()> {
    let mut editor = DefaultEditor::new()?;
    let history = dirs::data_dir().map(|d| d.join("confluence-sql").join("history"));
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    println!("Type SQL ending with ;  \\? for help, \\q to quit.");
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { "confluence> " } else { "       ...> " };
        match editor.readline(prompt) {
            Ok(line) => {
                if buffer.is_empty() && line.trim_start().starts_with('\\') {
                    let _ = editor.add_history_entry(line.as_str());
                    match Backslash::parse(&line) {
                        Backslash::Quit => break,
                        Backslash::Help => println!("{HELP}"),
                        Backslash::ListTables => print!("{}", list_tables(runtime, &runner.connection)),
                        Backslash::Describe(table) => print!("{}", describe(runtime, &runner.connection, &table)),
                        Backslash::Timing => {
                            runner.timing = !runner.timing;
                            println!("timing is {}", if runner.timing { "on" } else { "off" });
                        }
                        Backslash::Format(None) => {
                            println!("format is {:?}; \\format table|csv|json|markdown", runner.format)
                        }
                        Backslash::Format(Some(name)) => match ResultFormat::parse(&name) {
                            Some(format) => runner.format = format,
                            None => eprintln!("error: unknown format {name:?}; use table, csv, json or markdown"),
                        },
                        Backslash::Unknown(command) => {
                            eprintln!("error: unknown command {command}; \\? lists the commands")
                        }
                    }
                    continue;
                }
                buffer.push_str(&line);
                buffer.push('\n');
                let (statements, rest) = split(&buffer);
                if !statements.is_empty() {
                    if keep_in_history(&buffer) {
                        let _ = editor.add_history_entry(buffer.trim());
                    }
                    for statement in statements {
                        match runtime.block_on(runner.run(&statement)) {
                            Ok(()) => {}
                            Err(RunError::Cancelled) => eprintln!("query cancelled"),
                            Err(RunError::Failed(message)) => {
                                eprintln!("error: {}", crate::output::escape_message(&message))
                            }
                        }
                    }
                    buffer = rest.trim().to_owned();
                    if !buffer.is_empty() {
                        buffer.push('\n');
                    }
                }
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    Ok(())
}

/// Statements that call the OAuth token procedures carry tokens or codes as arguments: they stay out of the
/// history file.
fn keep_in_history(statement: &str) -> bool {
    let lower = statement.to_ascii_lowercase();
    !["getoauthaccesstoken", "refreshoauthaccesstoken"].iter().any(|p| lower.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_backslash_commands() {
        assert_eq!(Backslash::parse("\\q"), Backslash::Quit);
        assert_eq!(Backslash::parse("\\d"), Backslash::ListTables);
        assert_eq!(Backslash::parse("\\dt"), Backslash::ListTables);
        assert_eq!(Backslash::parse("\\d pages;"), Backslash::Describe("pages".into()));
        assert_eq!(Backslash::parse("\\format csv"), Backslash::Format(Some("csv".into())));
        assert_eq!(Backslash::parse("\\timing"), Backslash::Timing);
        assert_eq!(Backslash::parse("\\x"), Backslash::Unknown("\\x".into()));
    }

    #[test]
    fn describe_and_list_read_the_metadata_collections() {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let open = Connection::open("Url=https://acme.atlassian.net;User=me@acme.com;APIToken=t");
        let connection = runtime.block_on(open).expect("opens without a request");
        let pages = describe(&runtime, &connection, "Pages");
        assert!(pages.starts_with("pages — ") && pages.contains("space_key"), "{pages}");
        assert!(describe(&runtime, &connection, "nope").starts_with("no table"));
        assert!(list_tables(&runtime, &connection).contains("blog_posts"));
    }

    #[test]
    fn token_procedures_stay_out_of_history() {
        assert!(!keep_in_history("SELECT * FROM RefreshOAuthAccessToken('rt-secret');"));
        assert!(!keep_in_history("EXEC getoauthaccesstoken @Verifier = 'code';"));
        assert!(keep_in_history("SELECT url FROM GetOAuthAuthorizationURL();"));
        assert!(keep_in_history("SELECT * FROM pages;"));
    }
}

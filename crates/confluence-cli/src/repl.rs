//! The interactive shell: multi-line statements ending with `;`, history, backslash commands, Ctrl-C to cancel
//! a query or clear the input, Ctrl-D or `\q` to quit.

use confluence_sql::tables::ALL;
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

fn describe(table: &str) -> String {
    match ALL.iter().find(|t| t.name().eq_ignore_ascii_case(table)).map(|t| t.cloud) {
        None => format!("no table {table:?}; tables: {}", ALL.iter().map(|t| t.name()).collect::<Vec<_>>().join(", ")),
        Some(spec) => {
            let width = spec.columns.iter().map(|c| c.name.len()).max().unwrap_or(0);
            let mut out = format!("{} — {}\n", spec.name, spec.doc);
            for c in spec.columns {
                out.push_str(&format!("  {:width$}  {:<28}  {}\n", c.name, c.kind.data_type().to_string(), c.doc));
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
                        Backslash::ListTables => {
                            for t in ALL {
                                println!("  {:<12}  {}", t.name(), t.cloud.doc);
                            }
                        }
                        Backslash::Describe(table) => print!("{}", describe(&table)),
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
        assert!(describe("pages").contains("space_key"));
        assert!(describe("nope").starts_with("no table"));
    }

    #[test]
    fn token_procedures_stay_out_of_history() {
        assert!(!keep_in_history("SELECT * FROM RefreshOAuthAccessToken('rt-secret');"));
        assert!(!keep_in_history("EXEC getoauthaccesstoken @Verifier = 'code';"));
        assert!(keep_in_history("SELECT url FROM GetOAuthAuthorizationURL();"));
        assert!(keep_in_history("SELECT * FROM pages;"));
    }
}

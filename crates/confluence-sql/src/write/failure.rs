//! A write that stopped: what was written, what was not, and why.

use std::fmt;

use confluence_rest::RestError;

/// Why one row could not be written.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RowFailure {
    /// Confluence refused or failed the request.
    Rest(RestError),
    /// The page was saved by someone else since it was read (HTTP 409): nothing was overwritten.
    Conflict {
        /// What the row is (`page 123`).
        what: String,
        /// The version the statement read.
        read_version: i64,
        /// The version Confluence has now, when it could be read.
        current_version: Option<i64>,
    },
    /// The row's values cannot be written (a required column is NULL, a space outside `Spaces`...).
    Invalid(String),
}

impl fmt::Display for RowFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowFailure::Rest(error) => write!(f, "{error}"),
            RowFailure::Conflict { what, read_version, current_version } => {
                write!(
                    f,
                    "{what} was saved by someone else since the statement read it (it read version {read_version}"
                )?;
                if let Some(current) = current_version {
                    write!(f, ", Confluence now has version {current}")?;
                }
                write!(
                    f,
                    "); nothing was overwritten: run the statement again to apply it to the new version, or set \
                     ConflictPolicy=Retry"
                )
            }
            RowFailure::Invalid(message) => f.write_str(message),
        }
    }
}

/// A write statement that stopped at a row: the rows before it were written (nothing is rolled back: Confluence
/// has no transactions), that row and the rest were not. Reach it from a [`crate::SqlError`] with
/// [`crate::SqlError::write_failure`].
#[derive(Debug, Clone)]
pub struct WriteFailure {
    /// The statement, e.g. `UPDATE pages`.
    pub statement: String,
    /// The rows written before the failure: ids (new ids for an `INSERT`), or `page 123 label 'x'` for labels.
    pub written: Vec<String>,
    /// The row that failed.
    pub failed: String,
    /// Why it failed.
    pub reason: RowFailure,
    /// The rows after it, not attempted.
    pub not_written: Vec<String>,
    /// What to do about a missing permission or scope, when that is the reason.
    pub hint: Option<String>,
}

impl WriteFailure {
    /// The failure's cause, when it was an HTTP error.
    pub fn rest_error(&self) -> Option<&RestError> {
        match &self.reason {
            RowFailure::Rest(error) => Some(error),
            _ => None,
        }
    }
}

/// At most this many rows named in a message (the struct keeps them all).
const SHOWN: usize = 20;

fn list(rows: &[String]) -> String {
    let mut text = rows.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if rows.len() > SHOWN {
        text.push_str(&format!(" and {} more", rows.len() - SHOWN));
    }
    text
}

impl fmt::Display for WriteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.written.is_empty() {
            write!(f, "{} wrote nothing: {} failed: {}", self.statement, self.failed, self.reason)?;
        } else {
            write!(
                f,
                "{} stopped after writing {} row(s): {} failed: {}. Written: {}",
                self.statement,
                self.written.len(),
                self.failed,
                self.reason,
                list(&self.written)
            )?;
        }
        if !self.not_written.is_empty() {
            write!(f, ". Not written ({} more): {}", self.not_written.len(), list(&self.not_written))?;
        }
        if !self.written.is_empty() {
            write!(f, ". Nothing is rolled back: once the cause is fixed, write the rows not written")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, ". {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for WriteFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_halfway_failure_names_what_was_and_was_not_written() {
        let failure = WriteFailure {
            statement: "UPDATE pages".into(),
            written: vec!["101".into(), "102".into()],
            failed: "page 103".into(),
            reason: RowFailure::Rest(RestError::Server {
                status: 500,
                path: "/wiki/api/v2/pages/103".into(),
                message: "boom".into(),
                attempts: 3,
            }),
            not_written: vec!["104".into()],
            hint: None,
        };
        let text = failure.to_string();
        for part in ["UPDATE pages stopped after writing 2 row(s)", "page 103 failed", "Written: 101, 102", "104"] {
            assert!(text.contains(part), "{text}");
        }
        let conflict = RowFailure::Conflict { what: "page 7".into(), read_version: 3, current_version: Some(4) };
        let text = conflict.to_string();
        assert!(text.contains("version 3") && text.contains("version 4") && text.contains("ConflictPolicy"), "{text}");
    }
}

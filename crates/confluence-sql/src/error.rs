//! The driver's errors: each says what went wrong and what to do, and none contains a secret.

use confluence_rest::RestError;
use connstr::ConnStrError;
use datafusion::error::DataFusionError;

/// What can go wrong opening a connection or running a statement.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqlError {
    /// The connection string is invalid.
    #[error("invalid connection string: {0}")]
    ConnectionString(#[from] ConnStrError),
    /// Talking to Confluence failed.
    #[error("{0}")]
    Rest(#[from] RestError),
    /// OAuth authorization failed (the message says how to authorize again).
    #[error("{0}")]
    OAuth(#[from] atlassian_oauth::OAuthError),
    /// The SQL is invalid, or planning or execution failed.
    #[error("{}", describe(.0))]
    Query(#[from] DataFusionError),
    /// The SQL parser gave up on the statement: it took more steps than its length allows (see `parse`).
    #[error(
        "the statement is too complex to parse: the SQL parser stopped after {steps} steps on {bytes} bytes. This \
         comes from an unclosed bracket or an unfinished expression after a long chain (`a.b.c...`, nested `CAST(`, \
         `case -`); check the statement's syntax"
    )]
    TooComplex {
        /// The statement's length.
        bytes: usize,
        /// The steps it was allowed.
        steps: usize,
    },
}

/// A DataFusion error without its wrapping noise (an external error shows as itself).
fn describe(error: &DataFusionError) -> String {
    match error.find_root() {
        DataFusionError::External(inner) => inner.to_string(),
        DataFusionError::Context(_, inner) => describe(inner),
        DataFusionError::SQL(e, _) => format!("SQL syntax error: {e}"),
        DataFusionError::Plan(message) => message.clone(),
        DataFusionError::Execution(message) => message.clone(),
        other => other.to_string(),
    }
}

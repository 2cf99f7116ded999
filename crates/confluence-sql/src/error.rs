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

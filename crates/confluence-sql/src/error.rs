//! The driver's errors: each says what went wrong and what to do, and none contains a secret. [`SqlError::kind`]
//! sorts them into the few cases a caller handles differently ([`ErrorKind`]).

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
    /// The statement does something this connection does not allow (local files, `SET`, writing to a table of the
    /// driver's without the opt-in); the message names the property that allows it.
    #[error("{0}")]
    NotAllowed(String),
    /// A parameter is missing, unused, or given both by name and by position.
    #[error("{0}")]
    Parameter(String),
    /// Reading a result the way the caller asked is not possible (no such column, another type, a NULL read as a
    /// value, no row at all).
    #[error("{0}")]
    Read(String),
    /// The API was used in a way that cannot work (an unknown metadata collection, a catalog name already taken).
    #[error("{0}")]
    Usage(String),
    /// No table or view has that name.
    #[error("no table {0}: list the tables with get_schema(\"Tables\") or \\dt")]
    NoSuchTable(String),
    /// The command ran longer than its timeout.
    #[error(
        "the command did not finish within its timeout of {0:?}; raise it with Command::timeout, or narrow the query"
    )]
    Timeout(std::time::Duration),
    /// The command was cancelled through its cancel handle.
    #[error("the command was cancelled")]
    Cancelled,
    /// The connection was closed with [`crate::Connection::close`].
    #[error("the connection is closed; open a new one with Connection::open")]
    Closed,
}

/// The cases a caller tells apart: retry later, ask for other credentials, fix the SQL, and so on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The credentials were refused, are missing, or OAuth authorization failed.
    Auth,
    /// Authenticated, but Confluence denies access (permissions, OAuth scopes).
    Forbidden,
    /// Confluence has no such object, or no table has the name a statement uses.
    NotFound,
    /// Confluence kept answering 429 beyond the retry budget.
    RateLimited,
    /// A concurrent change (409).
    Conflict,
    /// The command's timeout elapsed.
    Timeout,
    /// The command was cancelled.
    Cancelled,
    /// The SQL does not parse or plan, or a parameter is missing.
    InvalidSql,
    /// Valid SQL this driver or deployment does not support.
    Unsupported,
    /// Confluence (or something between) failed or answered what the driver cannot trust.
    Remote,
    /// The connection string or client configuration is wrong.
    Configuration,
    /// The connection's policy refuses the statement (local files, `SET`, writes).
    NotAllowed,
    /// The API was used in a way that cannot work (a closed connection, a column read as another type).
    Usage,
}

impl SqlError {
    /// The write that stopped halfway (or before its first row), with the rows written and not written, when this
    /// error is one.
    pub fn write_failure(&self) -> Option<&crate::write::WriteFailure> {
        fn find(error: &DataFusionError) -> Option<&crate::write::WriteFailure> {
            match error {
                DataFusionError::External(inner) => inner.downcast_ref::<crate::write::WriteFailure>(),
                DataFusionError::Context(_, inner) => find(inner),
                DataFusionError::Shared(inner) => find(inner),
                _ => None,
            }
        }
        match self {
            SqlError::Query(error) => find(error),
            _ => None,
        }
    }

    /// Which kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            SqlError::ConnectionString(_) => ErrorKind::Configuration,
            SqlError::Rest(error) => rest_kind(error),
            SqlError::OAuth(error) => oauth_kind(error),
            SqlError::Query(error) => query_kind(error),
            SqlError::TooComplex { .. } | SqlError::Parameter(_) => ErrorKind::InvalidSql,
            SqlError::NotAllowed(_) => ErrorKind::NotAllowed,
            SqlError::Read(_) | SqlError::Usage(_) | SqlError::Closed => ErrorKind::Usage,
            SqlError::NoSuchTable(_) => ErrorKind::NotFound,
            SqlError::Timeout(_) => ErrorKind::Timeout,
            SqlError::Cancelled => ErrorKind::Cancelled,
        }
    }
}

fn rest_kind(error: &RestError) -> ErrorKind {
    match error {
        RestError::Unauthorized { .. } | RestError::Authentication(_) => ErrorKind::Auth,
        RestError::Forbidden { .. } => ErrorKind::Forbidden,
        RestError::NotFound { .. } => ErrorKind::NotFound,
        RestError::Conflict { .. } => ErrorKind::Conflict,
        RestError::RateLimited { .. } | RestError::WaitTooLong { .. } => ErrorKind::RateLimited,
        RestError::Config(_) => ErrorKind::Configuration,
        _ => ErrorKind::Remote,
    }
}

fn write_kind(failure: &crate::write::WriteFailure) -> ErrorKind {
    use crate::write::RowFailure;
    match &failure.reason {
        RowFailure::Rest(error) => rest_kind(error),
        RowFailure::Conflict { .. } => ErrorKind::Conflict,
        RowFailure::Invalid(_) => ErrorKind::InvalidSql,
    }
}

fn oauth_kind(error: &atlassian_oauth::OAuthError) -> ErrorKind {
    use atlassian_oauth::OAuthError;
    match error {
        OAuthError::Config(_) | OAuthError::CallbackPort { .. } => ErrorKind::Configuration,
        OAuthError::Timeout { .. } => ErrorKind::Timeout,
        OAuthError::Http { .. } => ErrorKind::Remote,
        _ => ErrorKind::Auth,
    }
}

fn query_kind(error: &DataFusionError) -> ErrorKind {
    match error.find_root() {
        DataFusionError::External(inner) => {
            if let Some(e) = inner.downcast_ref::<RestError>() {
                rest_kind(e)
            } else if let Some(e) = inner.downcast_ref::<crate::write::WriteFailure>() {
                write_kind(e)
            } else if let Some(e) = inner.downcast_ref::<SqlError>() {
                e.kind()
            } else if let Some(e) = inner.downcast_ref::<atlassian_oauth::OAuthError>() {
                oauth_kind(e)
            } else {
                ErrorKind::Remote
            }
        }
        DataFusionError::Context(_, inner) => query_kind(inner),
        // DataFusion's planner: "table 'confluence.main.x' not found".
        DataFusionError::Plan(message) if message.starts_with("table '") && message.ends_with("' not found") => {
            ErrorKind::NotFound
        }
        DataFusionError::SQL(..) | DataFusionError::Plan(_) | DataFusionError::SchemaError(..) => ErrorKind::InvalidSql,
        DataFusionError::NotImplemented(_) => ErrorKind::Unsupported,
        _ => ErrorKind::Remote,
    }
}

/// A DataFusion error without its wrapping noise (an external error shows as itself).
pub(crate) fn describe(error: &DataFusionError) -> String {
    match error.find_root() {
        DataFusionError::External(inner) => inner.to_string(),
        DataFusionError::Context(_, inner) => describe(inner),
        DataFusionError::SQL(e, _) => format!("SQL syntax error: {e}"),
        DataFusionError::Plan(message) => match unknown_table(message) {
            Some(name) => format!("{message}{}", nearest_table(name)),
            None => message.clone(),
        },
        DataFusionError::Execution(message) => message.clone(),
        other => other.to_string(),
    }
}

/// The table name of DataFusion's "table 'confluence.main.x' not found" (its last part).
fn unknown_table(message: &str) -> Option<&str> {
    let name = message.strip_prefix("table '")?.strip_suffix("' not found")?;
    Some(name.rsplit('.').next().unwrap_or(name))
}

/// "; did you mean pages?" for the driver's table nearest to `name`, or the list of tables when none is near.
fn nearest_table(name: &str) -> String {
    let names: Vec<&str> = crate::tables::ALL
        .iter()
        .map(|t| t.name())
        .chain(["sys_procedures", "sys_procedure_parameters", "sys_tables", "sys_tablecolumns"])
        .collect();
    let lower = name.to_ascii_lowercase();
    let nearest = names
        .iter()
        .map(|candidate| (strsim::jaro_winkler(candidate, &lower), *candidate))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match nearest {
        Some((_, candidate)) => format!("; did you mean {candidate}?"),
        None => format!("; the tables are {} (\\dt lists them)", names[..crate::tables::ALL.len()].join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_table_suggests_the_nearest() {
        let error = |name: &str| {
            SqlError::Query(DataFusionError::Plan(format!("table 'confluence.main.{name}' not found"))).to_string()
        };
        assert!(error("pagez").ends_with("did you mean pages?"), "{}", error("pagez"));
        assert!(error("blogposts").ends_with("did you mean blog_posts?"), "{}", error("blogposts"));
        assert!(error("zzz").contains("the tables are spaces, space_permissions, pages"), "{}", error("zzz"));
        assert_eq!(SqlError::Query(DataFusionError::Plan("table 'x' not found".into())).kind(), ErrorKind::NotFound);
    }

    #[test]
    fn kinds_reach_through_datafusion_wrapping() {
        let forbidden = RestError::Forbidden { path: "/wiki/api/v2/pages".into(), message: "no".into() };
        let wrapped =
            DataFusionError::Context("scan".into(), Box::new(DataFusionError::External(Box::new(forbidden.clone()))));
        assert_eq!(SqlError::Query(wrapped).kind(), ErrorKind::Forbidden);
        assert_eq!(SqlError::Rest(forbidden).kind(), ErrorKind::Forbidden);
        let cancelled = DataFusionError::External(Box::new(SqlError::Cancelled));
        assert_eq!(SqlError::Query(cancelled).kind(), ErrorKind::Cancelled);
        assert_eq!(SqlError::Query(DataFusionError::Plan("no table".into())).kind(), ErrorKind::InvalidSql);
        let missing = DataFusionError::Plan("table 'confluence.main.nope' not found".into());
        assert_eq!(SqlError::Query(missing).kind(), ErrorKind::NotFound);
        assert_eq!(SqlError::Query(DataFusionError::NotImplemented("x".into())).kind(), ErrorKind::Unsupported);
    }
}

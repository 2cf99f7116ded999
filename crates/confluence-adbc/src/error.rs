//! The driver's errors as ADBC errors: the status follows [`confluence_sql::ErrorKind`], the message is the
//! driver's own (it never contains a secret).

use adbc_core::error::{Error, Status};
use confluence_sql::{ErrorKind, SqlError};

/// The ADBC status for a kind of failure.
pub fn status(kind: ErrorKind) -> Status {
    match kind {
        ErrorKind::Auth => Status::Unauthenticated,
        ErrorKind::Forbidden | ErrorKind::NotAllowed => Status::Unauthorized,
        ErrorKind::NotFound => Status::NotFound,
        ErrorKind::Conflict => Status::AlreadyExists,
        ErrorKind::Timeout => Status::Timeout,
        ErrorKind::Cancelled => Status::Cancelled,
        ErrorKind::InvalidSql | ErrorKind::Configuration => Status::InvalidArguments,
        ErrorKind::Unsupported => Status::NotImplemented,
        ErrorKind::Usage => Status::InvalidState,
        ErrorKind::RateLimited | ErrorKind::Remote => Status::IO,
        _ => Status::Unknown,
    }
}

/// An ADBC error for a driver error.
pub fn to_adbc(error: SqlError) -> Error {
    Error::with_message_and_status(error.to_string(), status(error.kind()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_statuses() {
        assert_eq!(to_adbc(SqlError::Cancelled).status, Status::Cancelled);
        assert_eq!(to_adbc(SqlError::Closed).status, Status::InvalidState);
        assert_eq!(to_adbc(SqlError::NoSuchTable("x".into())).status, Status::NotFound);
    }
}

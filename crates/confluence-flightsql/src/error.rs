//! The server's errors, and how the driver's errors become gRPC statuses a client can act on.

use std::net::SocketAddr;
use std::path::PathBuf;

use confluence_sql::{ErrorKind, SqlError};
use tonic::{Code, Status};

/// What can go wrong setting up or running the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The listening address cannot be bound.
    #[error("cannot listen on {addr}: {source}; choose another address with --listen (port 0 picks a free one)")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why binding failed.
        source: std::io::Error,
    },
    /// A file the server needs cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why reading failed.
        source: std::io::Error,
    },
    /// A line of the users file is not `name:$argon2id$...`.
    #[error("users file {path}, line {line}: {message}")]
    UsersFile {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The certificate or key cannot be used for TLS.
    #[error("TLS: {0}")]
    Tls(String),
    /// The settings cannot work together (the message says which and what to do).
    #[error("{0}")]
    Config(String),
    /// The driver refused the server's connection settings.
    #[error(transparent)]
    Sql(#[from] SqlError),
    /// The gRPC transport failed.
    #[error("the Flight SQL server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// The gRPC status of a driver error: the code says what kind of failure it is, the message what to do.
pub(crate) fn status(error: &SqlError) -> Status {
    let code = match error.kind() {
        ErrorKind::Auth => Code::Unauthenticated,
        ErrorKind::Forbidden | ErrorKind::NotAllowed => Code::PermissionDenied,
        ErrorKind::NotFound => Code::NotFound,
        ErrorKind::RateLimited => Code::ResourceExhausted,
        ErrorKind::Conflict => Code::Aborted,
        ErrorKind::Timeout => Code::DeadlineExceeded,
        ErrorKind::Cancelled => Code::Cancelled,
        ErrorKind::InvalidSql | ErrorKind::Usage => Code::InvalidArgument,
        ErrorKind::Unsupported => Code::Unimplemented,
        ErrorKind::Configuration => Code::FailedPrecondition,
        ErrorKind::Remote => Code::Unavailable,
        _ => Code::Internal,
    };
    Status::new(code, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_errors_keep_their_kind_as_a_grpc_code() {
        assert_eq!(status(&SqlError::NoSuchTable("nope".into())).code(), Code::NotFound);
        assert_eq!(status(&SqlError::Cancelled).code(), Code::Cancelled);
        assert_eq!(status(&SqlError::NotAllowed("no files".into())).code(), Code::PermissionDenied);
        assert_eq!(status(&SqlError::Parameter("missing @space".into())).code(), Code::InvalidArgument);
        let message = status(&SqlError::NoSuchTable("nope".into())).message().to_owned();
        assert!(message.contains("nope"), "{message}");
    }
}

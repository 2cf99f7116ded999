//! SQL over Confluence, embedded: open a [`Connection`] with a connection string, run [`Command`]s with bound
//! parameters, and read results row by row with a [`DataReader`] or as Arrow batches with a [`BatchStream`] — the
//! shape of an ADO.NET provider. Underneath, the tables (`spaces`, `pages`, `blog_posts`, `comments`,
//! `attachments`, `labels`, `tasks`, `users`, `groups`, `audit_log`, ...) are DataFusion table providers that push
//! filters, projections and limits to the REST API and stream its pages; [`register`] mounts them in a
//! `SessionContext` of your own, next to your Parquet, CSV or database tables.
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # // A simulated site stands in for yours: "Url=https://acme.atlassian.net;User=me@acme.com;APIToken=..."
//! # let sim = confluence_sim::Simulator::start(confluence_sim::SimConfig::cloud()).await?;
//! # let connection_string = sim.info().connection_string.clone();
//! use confluence_sql::Connection;
//!
//! let connection = Connection::open(&connection_string).await?;
//! let mut reader = connection
//!     .command("SELECT title, updated_at FROM pages WHERE space_key = @space ORDER BY updated_at LIMIT 10")
//!     .bind("space", "ENG")
//!     .execute_reader()
//!     .await?;
//! while reader.read().await? {
//!     let title: String = reader.get("title")?;
//!     let updated: Option<chrono::DateTime<chrono::Utc>> = reader.get("updated_at")?;
//!     println!("{title}: {updated:?}");
//! }
//! let pages: i64 = connection.command("SELECT count(*) FROM pages").execute_scalar().await?;
//! assert!(pages > 0);
//! let tables = connection.get_schema("Tables").await?;
//! assert!(tables[0].num_rows() > 10);
//! # Ok(()) }
//! ```
//!
//! Without an async runtime, [`blocking`] has the same API with its own runtime. `docs/embedding.md` in the
//! repository covers the ADBC driver (Python, R, Go, C++, .NET) built on this crate.

#![deny(missing_docs)]

pub mod blocking;
mod catalog;
mod cdata_sys;
mod client_setup;
mod columns;
mod command;
mod connection;
mod cql_function;
mod directory;
mod error;
mod exec;
pub mod metadata;
mod page_decoder;
mod parameters;
mod parse;
mod plan;
mod policy;
mod predicate;
mod procedures;
mod provider;
mod reader;
mod spec;
pub mod storage_format;
mod tables;
mod write;

pub use catalog::{register, with_read_planning, ConfluenceCatalog};
pub use columns::DESCRIPTION;
pub use command::{Command, PreparedCommand, StatementInfo};
pub use connection::{Connection, ConnectionBuilder, ConnectionState, CurrentUser};
pub use error::{ErrorKind, SqlError};
pub use parameters::{Parameter, ParameterRow};
pub use policy::SqlPolicy;
pub use reader::{BatchStream, CancelHandle, ColumnIndex, DataReader, FromSql};
pub use write::{with_write_support, RowFailure, WriteFailure, WriteSettings};

/// Re-exported so that users name the same versions the driver uses.
pub use confluence_rest::RetryPolicy;
pub use connstr::ConnectionOptions;
pub use datafusion;

/// The driver's internals, for its own tests, fuzz targets and tools. Not part of the API: anything here may
/// change in any release.
#[doc(hidden)]
pub mod internals {
    /// Column declarations and the JSON-to-Arrow decoder.
    pub mod columns {
        pub use crate::columns::{col, decode, schema_of, shape_of, Column, DecodeContext, Kind, Source};
    }
    /// List pages decoded straight from their bytes into Arrow.
    pub mod page_decoder {
        pub use crate::page_decoder::{DecodedRows, PageDecoder};
    }
    /// Statement parsing with a step budget.
    pub mod parse {
        pub use crate::parse::{parse_generic, parse_statement};
    }
    /// The procedures' declarations and the `EXEC` rewrite.
    pub mod procedures {
        pub use crate::procedures::rewrite::rewrite;
        pub use crate::procedures::SPECS;
    }
    /// Table declarations.
    pub mod spec {
        pub use crate::spec::{CqlKind, Endpoint, ParamValue, SpaceScope, Table, TableSpec};
    }
    /// The tables.
    pub mod tables {
        pub use crate::tables::{ALL, CQL_TABLE};
    }
    /// What each table takes in writes.
    pub mod write {
        pub use crate::write::target::Entity;
    }
}

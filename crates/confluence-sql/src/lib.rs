//! SQL over Confluence: the tables (`spaces`, `pages`, `blog_posts`, `comments`, `attachments`, `tasks`,
//! `users`, `groups`, `audit_log`) as DataFusion table providers that push filters, projections and limits to the
//! REST API and stream the pages, and a [`Connection`] that opens a session with them.
//!
//! ```no_run
//! # async fn demo() -> Result<(), confluence_sql::SqlError> {
//! let connection = confluence_sql::Connection::open("Url=https://acme.atlassian.net;User=me@acme.com;APIToken=...")?;
//! let batches = connection.query("SELECT title FROM pages WHERE space_key = 'ENG' LIMIT 5").await?;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod client_setup;
pub mod columns;
mod connection;
pub mod cql_function;
mod directory;
mod error;
pub mod exec;
pub mod parse;
pub mod plan;
pub mod policy;
pub mod predicate;
pub mod procedures;
pub mod provider;
pub mod spec;
pub mod tables;

pub use connection::Connection;
pub use error::SqlError;
pub use policy::SqlPolicy;

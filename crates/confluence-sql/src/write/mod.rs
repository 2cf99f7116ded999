//! The driver's writes: `INSERT`, `UPDATE` and `DELETE` on `pages`, `blog_posts`, `comments` and `labels`.
//!
//! - [`target`] declares what each table takes (the columns an `INSERT` or `UPDATE` may set, the key a `WHERE`
//!   pins) and the connection's write settings.
//! - [`pin`] decides whether a `WHERE` pins the rows by their key (`AllowUnboundedWrites` otherwise).
//! - [`node`] turns DataFusion's `UPDATE`/`DELETE` plans into a [`node::ConfluenceWrite`] node whose input is the
//!   whole selection (the `WHERE` with its subqueries, a `LIMIT`): the rows written are exactly the rows it selects,
//!   never the rows of the filters DataFusion would hand a provider.
//! - [`exec`] runs a write: the selection (or an `INSERT`'s rows) first, checked before any write, then one request
//!   per row, in order, stopping at the first failure with a [`WriteFailure`] that says what was and was not written.
//! - [`writer`] builds each row's request for Cloud (v2, v1 for labels) or Data Center.

pub(crate) mod exec;
mod failure;
pub(crate) mod node;
pub(crate) mod pin;
pub(crate) mod target;
pub(crate) mod writer;

pub use failure::{RowFailure, WriteFailure};
pub use node::with_write_support;
pub use target::WriteSettings;

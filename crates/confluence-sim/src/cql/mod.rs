//! CQL, the Confluence Query Language, as far as clients use it: fields `id`, `type`, `space` / `space.key`,
//! `space.type`, `title`, `text`, `creator`, `contributor`, `created`, `lastmodified`, `label`, `parent`,
//! `ancestor` (and `user`, `user.fullname`, `user.accountid` for user search); operators `=`, `!=`, `~`, `!~`,
//! `IN`, `NOT IN`, `<`, `<=`, `>`, `>=`; `AND`, `OR`, `NOT`, parentheses; quoted strings with `\` escapes; dates
//! as `yyyy-MM-dd`, `yyyy/MM/dd`, optionally with ` HH:mm`, and date functions (`now("-4w")`, `startOfDay()`...);
//! `currentUser()`; `ORDER BY`. Errors carry the messages of the real service.
//!
//! `~` is word matching, not substring matching (as on the real service, which uses a full-text index): every
//! word of the value must appear in the field; a trailing `*` matches a word prefix.

mod eval;
mod lexer;
mod parser;

pub use eval::{words, CqlDoc};
pub use parser::{Clause, Expr, Field, Op, Value};

/// A CQL error, with the message the real service would put in its 400 response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CqlError {
    /// The message.
    pub message: String,
}

impl CqlError {
    pub(crate) fn parse(cql: &str) -> CqlError {
        CqlError { message: format!("Could not parse cql : {cql}") }
    }

    pub(crate) fn execution(detail: impl std::fmt::Display) -> CqlError {
        CqlError {
            message: format!(
                "CQL was parsed but the search manager was unable to execute the search. Error message: {detail}"
            ),
        }
    }
}

/// Context for resolving functions.
#[derive(Clone, Debug)]
pub struct CqlContext {
    /// "Now", in milliseconds since the epoch.
    pub now_ms: i64,
    /// The caller's account id (Cloud) or username (Data Center), for `currentUser()`.
    pub current_user: String,
}

/// A parsed, validated query.
#[derive(Clone, Debug, PartialEq)]
pub struct CqlQuery {
    /// The condition.
    pub expr: Expr,
    /// `ORDER BY` fields, `true` for descending.
    pub order: Vec<(Field, bool)>,
}

impl CqlQuery {
    /// Parses and validates `text`.
    pub fn parse(text: &str, context: &CqlContext) -> Result<CqlQuery, CqlError> {
        parser::parse(text, context)
    }

    /// Whether a document matches.
    pub fn matches(&self, doc: &dyn CqlDoc) -> bool {
        eval::matches(&self.expr, doc)
    }

    /// Values a field must take for any document to match, when the query pins it with top-level `AND`s
    /// (`space = X AND ...`): lets a search skip whole spaces or content types.
    pub fn pinned(&self, field: Field) -> Option<Vec<String>> {
        eval::pinned(&self.expr, field)
    }
}

//! `cql('<query>')`: CQL search as a table function. It checks its argument and returns a table provider (no
//! request is made until the query runs); the `Spaces` connection property is added to the query as
//! `space IN (...)`, before any `ORDER BY`; `LIMIT` sizes and stops the paging like any scan.

use std::sync::Arc;

use confluence_rest::cql::quote;
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::scalar::ScalarValue;

use crate::provider::ConfluenceTable;
use crate::scan::ScanContext;
use crate::tables::CQL_SEARCH;

/// The `cql` table function of a connection.
#[derive(Debug)]
pub struct CqlFunction {
    context: Arc<ScanContext>,
    spaces: Vec<String>,
    page_size: Option<u32>,
}

impl CqlFunction {
    /// The function for a connection; `spaces` is the `Spaces` restriction.
    pub fn new(context: Arc<ScanContext>, spaces: Vec<String>, page_size: Option<u32>) -> Self {
        CqlFunction { context, spaces, page_size }
    }
}

/// Splits a CQL query at its `ORDER BY` (outside quotes): (condition, order clause).
pub fn split_order_by(cql: &str) -> (&str, Option<&str>) {
    let lower = cql.to_ascii_lowercase();
    let mut quote_char: Option<char> = None;
    let mut escaped = false;
    for (i, c) in cql.char_indices() {
        match (quote_char, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), _) if c == q && !escaped => quote_char = None,
            (None, '"' | '\'') => quote_char = Some(c),
            (None, 'o' | 'O') if lower[i..].starts_with("order") => {
                let after = lower[i + 5..].trim_start();
                let boundary = i == 0 || !cql[..i].ends_with(|ch: char| ch.is_alphanumeric() || ch == '_');
                if boundary && after.starts_with("by") {
                    return (cql[..i].trim_end(), Some(cql[i..].trim()));
                }
            }
            _ => {}
        }
        escaped = false;
    }
    (cql.trim(), None)
}

/// The query sent: the user's condition, restricted to `spaces` when set.
pub fn restricted_query(cql: &str, spaces: &[String]) -> String {
    if spaces.is_empty() {
        return cql.to_owned();
    }
    let (condition, order) = split_order_by(cql);
    let list: Vec<String> = spaces.iter().map(|s| quote(s)).collect();
    let mut query = format!("space IN ({}) AND ({condition})", list.join(", "));
    if let Some(order) = order {
        query.push(' ');
        query.push_str(order);
    }
    query
}

impl TableFunctionImpl for CqlFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let usage = || {
            DataFusionError::Plan(
                "cql() takes one argument, the CQL query as a string literal, e.g. \
                 SELECT * FROM cql('type = page AND space = ENG AND title ~ \"roadmap\"')"
                    .to_owned(),
            )
        };
        let [Expr::Literal(value, _)] = args.exprs() else { return Err(usage()) };
        let (ScalarValue::Utf8(Some(cql)) | ScalarValue::LargeUtf8(Some(cql)) | ScalarValue::Utf8View(Some(cql))) =
            value
        else {
            return Err(usage());
        };
        if cql.trim().is_empty() {
            return Err(usage());
        }
        let query = restricted_query(cql, &self.spaces);
        let table = ConfluenceTable::new(&CQL_SEARCH, self.context.clone(), Vec::new(), self.page_size)
            .with_params(vec![("cql".to_owned(), query)]);
        Ok(Arc::new(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_stays_last() {
        assert_eq!(split_order_by("type = page ORDER BY created DESC"), ("type = page", Some("ORDER BY created DESC")));
        assert_eq!(
            split_order_by(r#"title ~ "order by me" order by title"#),
            (r#"title ~ "order by me""#, Some("order by title"))
        );
        assert_eq!(split_order_by("reorder = x"), ("reorder = x", None));
        assert_eq!(
            restricted_query("type = page ORDER BY title", &["ENG".into(), "DOCS".into()]),
            r#"space IN ("ENG", "DOCS") AND (type = page) ORDER BY title"#
        );
        assert_eq!(restricted_query("type = page", &[]), "type = page");
    }
}

//! `cql('<query>')`: CQL search as a table function. It checks its argument and returns a table provider (no
//! request is made until the query runs); the `Spaces` connection property is added to the query as
//! `space IN (...)`, before any `ORDER BY`; `LIMIT` sizes and stops the paging like any scan.

use std::sync::Arc;

use confluence_rest::cql::{split_order_by, CqlQuery};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::scalar::ScalarValue;

use crate::exec::ScanContext;
use crate::provider::ConfluenceTable;
use crate::tables::CQL_TABLE;

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

/// The query sent: the user's condition, restricted to `spaces` when set. The condition must be one group (its
/// parentheses balanced outside strings), so that the `space IN (...)` restriction cannot be escaped.
pub fn restricted_query(cql: &str, spaces: &[String]) -> Result<CqlQuery> {
    let invalid = |e: confluence_rest::cql::CqlTextError| {
        DataFusionError::Plan(format!(
            "cql(): {e}; write the query as one condition, e.g. cql('type = page AND (...)')"
        ))
    };
    let (condition, order) = split_order_by(cql).map_err(invalid)?;
    let query = match spaces {
        [] => CqlQuery::new(),
        spaces => CqlQuery::new().in_list("space", spaces),
    };
    let query = query.and(CqlQuery::new().group(condition).map_err(invalid)?);
    Ok(match order {
        Some(order) => query.ordered_as(order),
        None => query,
    })
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
        let query = restricted_query(cql, &self.spaces)?;
        let table =
            ConfluenceTable::new(CQL_TABLE, self.context.clone(), self.spaces.clone(), self.page_size).with_cql(query);
        Ok(Arc::new(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_wrap_the_condition_and_order_by_stays_last() {
        assert_eq!(
            restricted_query("type = page ORDER BY title", &["ENG".into(), "DOCS".into()]).map(|q| q.to_string()).ok(),
            Some(r#"space IN ("ENG", "DOCS") AND (type = page) ORDER BY title"#.to_owned())
        );
        assert_eq!(restricted_query("type = page", &[]).map(|q| q.to_string()).ok().as_deref(), Some("type = page"));
    }

    /// `cql('type=page) OR (type=page')` once escaped the `space IN (...)` wrapper and searched every space.
    #[test]
    fn the_spaces_wrapper_cannot_be_escaped() {
        for escape in ["type=page) OR (type=page", "type = page) OR (space = HR", "(type = page", "title = \"x"] {
            let error = restricted_query(escape, &["ENG".into()]).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains("write the query as one condition"), "{escape}: {error}");
        }
    }
}

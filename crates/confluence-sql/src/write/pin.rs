//! Whether a `WHERE` pins an `UPDATE`'s or `DELETE`'s rows by their key: some conjunct of a filter over the
//! target is `key = value`, `key IN (values...)` or an `OR` of such, where values are literals or parameters and
//! the key is compared as itself (a cast only to a type that keeps every id distinct: integers and text, never
//! booleans or floats). A pinned statement can touch at most as many rows as it names; any other needs
//! `AllowUnboundedWrites=true`. The values named are also returned, so that execution can refuse a selected row
//! whose key is not among them (a second line of defence).

use std::collections::BTreeSet;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::TableReference;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{BinaryExpr, Expr, LogicalPlan, Operator};
use datafusion::scalar::ScalarValue;

/// Whether a filter in `input` (the selection of a write to `target`) pins the rows by `key`.
#[cfg(test)]
pub fn is_pinned(input: &LogicalPlan, target: &TableReference, key: &str) -> bool {
    pinned_keys(input, target, key).is_some()
}

/// The keys a filter in `input` pins the rows to: `Some(None)` when pinned by parameters not yet bound, `None` when
/// not pinned.
pub fn pinned_keys(input: &LogicalPlan, target: &TableReference, key: &str) -> Option<Option<BTreeSet<i64>>> {
    let mut names = vec![target.clone()];
    let _ = input.apply(|node| {
        if let LogicalPlan::SubqueryAlias(alias) = node {
            if matches!(alias.input.as_ref(), LogicalPlan::TableScan(scan) if scan.table_name.resolved_eq(target)) {
                names.push(TableReference::bare(alias.alias.table()));
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    let mut pinned = None;
    let _ = input.apply(|node| {
        if let LogicalPlan::Filter(filter) = node {
            if let Some(conjunct) = split_conjunction(&filter.predicate).into_iter().find(|c| pins(c, &names, key)) {
                let mut values = BTreeSet::new();
                pinned = Some(collect_values(conjunct, &mut values).then_some(values));
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    pinned
}

/// The values of a pinning conjunct, as ids; `false` when one is not a literal id (a parameter).
fn collect_values(expr: &Expr, values: &mut BTreeSet<i64>) -> bool {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right }) => {
            let value = if is_value(right) { right } else { left };
            id_of(value).map(|id| values.insert(id)).is_some()
        }
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Or, right }) => {
            collect_values(left, values) & collect_values(right, values)
        }
        Expr::InList(list) => list.list.iter().all(|v| id_of(v).map(|id| values.insert(id)).is_some()),
        _ => false,
    }
}

fn id_of(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Literal(value, _) => match value {
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
                s.trim().parse().ok()
            }
            other => other.cast_to(&DataType::Int64).ok().and_then(|v| match v {
                ScalarValue::Int64(id) => id,
                _ => None,
            }),
        },
        Expr::Cast(cast) => id_of(&cast.expr),
        Expr::TryCast(cast) => id_of(&cast.expr),
        _ => None,
    }
}

fn pins(expr: &Expr, names: &[TableReference], key: &str) -> bool {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right }) => {
            (is_key(left, names, key) && is_value(right)) || (is_key(right, names, key) && is_value(left))
        }
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Or, right }) => {
            pins(left, names, key) && pins(right, names, key)
        }
        Expr::InList(list) => !list.negated && is_key(&list.expr, names, key) && list.list.iter().all(is_value),
        _ => false,
    }
}

fn is_key(expr: &Expr, names: &[TableReference], key: &str) -> bool {
    match expr {
        Expr::Column(column) => {
            column.name == key
                && column.relation.as_ref().is_none_or(|relation| names.iter().any(|n| n.resolved_eq(relation)))
        }
        Expr::Cast(cast) if keeps_ids_distinct(cast.field.data_type()) => is_key(&cast.expr, names, key),
        Expr::TryCast(cast) if keeps_ids_distinct(cast.field.data_type()) => is_key(&cast.expr, names, key),
        _ => false,
    }
}

/// Types an id can be cast to without two ids becoming equal: 64-bit integers, decimals wide enough, and text.
fn keeps_ids_distinct(data_type: &DataType) -> bool {
    match data_type {
        DataType::Int64 | DataType::UInt64 | DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Decimal128(precision, 0) | DataType::Decimal256(precision, 0) => *precision >= 19,
        _ => false,
    }
}

fn is_value(expr: &Expr) -> bool {
    match expr {
        Expr::Literal(value, _) => !value.is_null(),
        Expr::Placeholder(_) => true,
        Expr::Cast(cast) => is_value(&cast.expr),
        Expr::TryCast(cast) => is_value(&cast.expr),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionContext;

    async fn verdict(sql: &str) -> bool {
        let ctx = SessionContext::new();
        ctx.sql("CREATE TABLE pages (id BIGINT, title VARCHAR, space_key VARCHAR)").await.expect("creates");
        ctx.sql("CREATE TABLE other (id BIGINT)").await.expect("creates");
        let plan = ctx.state().create_logical_plan(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        let LogicalPlan::Dml(dml) = plan else { panic!("{sql}: not DML") };
        is_pinned(&dml.input, &dml.table_name, "id")
    }

    #[tokio::test]
    async fn pinned_by_id_literals_or_parameters() {
        for sql in [
            "DELETE FROM pages WHERE id = 5",
            "DELETE FROM pages WHERE 5 = id AND title LIKE 'x%'",
            "DELETE FROM pages WHERE id IN (1, 2, 3)",
            "DELETE FROM pages WHERE id = 1 OR id = 2",
            "DELETE FROM pages WHERE id = $1",
            "UPDATE pages SET title = 'x' WHERE id = 7",
            "UPDATE pages SET title = 'x' WHERE pages.id = 7",
        ] {
            assert!(verdict(sql).await, "{sql}");
        }
    }

    #[tokio::test]
    async fn the_pinned_values_are_returned() {
        let ctx = SessionContext::new();
        ctx.sql("CREATE TABLE pages (id BIGINT, title VARCHAR)").await.expect("creates");
        let keys = |sql: &'static str| {
            let state = ctx.state();
            async move {
                let plan = state.create_logical_plan(sql).await.expect("plans");
                let LogicalPlan::Dml(dml) = plan else { panic!("not DML") };
                pinned_keys(&dml.input, &dml.table_name, "id")
            }
        };
        let set = |ids: &[i64]| Some(Some(ids.iter().copied().collect::<BTreeSet<i64>>()));
        assert_eq!(keys("DELETE FROM pages WHERE id IN (3, 1) AND title = 'x'").await, set(&[1, 3]));
        assert_eq!(keys("DELETE FROM pages WHERE id = 7 OR id = '8'").await, set(&[7, 8]));
        assert_eq!(keys("DELETE FROM pages WHERE id = $1").await, Some(None));
        assert_eq!(keys("DELETE FROM pages WHERE title = 'x'").await, None);
    }

    #[tokio::test]
    async fn not_pinned() {
        for sql in [
            "DELETE FROM pages",
            "DELETE FROM pages WHERE title = 'x'",
            "DELETE FROM pages WHERE id > 5",
            "DELETE FROM pages WHERE id NOT IN (1, 2)",
            "DELETE FROM pages WHERE id = 1 OR title = 'x'",
            "DELETE FROM pages WHERE id IN (SELECT id FROM other)",
            "DELETE FROM pages WHERE id = id",
            "DELETE FROM pages WHERE id = NULL",
            "DELETE FROM pages WHERE CAST(id AS BOOLEAN) = true",
            "DELETE FROM pages WHERE CAST(id AS REAL) = 3000000000",
            "DELETE FROM pages WHERE CAST(id AS SMALLINT) = 5",
            "UPDATE pages SET title = 'x' WHERE space_key = 'ENG'",
        ] {
            assert!(!verdict(sql).await, "{sql}");
        }
    }
}

//! Whether a `WHERE` pins an `UPDATE`'s or `DELETE`'s rows by their key: some conjunct of a filter over the
//! target is `key = value`, `key IN (values...)` or an `OR` of such, where values are literals or parameters. A
//! pinned statement can touch at most as many rows as it names; any other needs `AllowUnboundedWrites=true`.

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::TableReference;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{BinaryExpr, Expr, LogicalPlan, Operator};

/// Whether a filter in `input` (the selection of a write to `target`) pins the rows by `key`.
pub fn is_pinned(input: &LogicalPlan, target: &TableReference, key: &str) -> bool {
    let mut names = vec![target.clone()];
    let _ = input.apply(|node| {
        if let LogicalPlan::SubqueryAlias(alias) = node {
            if matches!(alias.input.as_ref(), LogicalPlan::TableScan(scan) if scan.table_name.resolved_eq(target)) {
                names.push(TableReference::bare(alias.alias.table()));
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    let mut pinned = false;
    let _ = input.apply(|node| {
        if let LogicalPlan::Filter(filter) = node {
            if split_conjunction(&filter.predicate).into_iter().any(|c| pins(c, &names, key)) {
                pinned = true;
                return Ok(TreeNodeRecursion::Stop);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    pinned
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
        Expr::Cast(cast) => is_key(&cast.expr, names, key),
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
            "UPDATE pages SET title = 'x' WHERE space_key = 'ENG'",
        ] {
            assert!(!verdict(sql).await, "{sql}");
        }
    }
}

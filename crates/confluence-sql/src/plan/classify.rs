//! What DataFusion is told about each filter: `Exact` only where the server's semantics equal SQL's, `Inexact`
//! where the request finds a superset the engine re-checks, `Unsupported` otherwise. The planners push exactly
//! what this promises, so the promise and the request cannot drift apart.

use confluence_rest::cql::CqlClause;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};

use crate::columns::Source;
use crate::predicate::{column_values, not_null_column, time_bound, utc_date, Side};
use crate::spec::{CqlKind, CqlRoute, FilterRule, TableSpec};

use super::list::MAX_PARENTS;

/// The classification of one filter for a table. With a second reading through a search (`by_search`), a filter is
/// `Exact` only if both readings apply it exactly, and pushed (`Inexact`) if either can use it: which reading a
/// query gets depends on all its filters.
pub fn classify(spec: &TableSpec, expr: &Expr) -> TableProviderFilterPushDown {
    use TableProviderFilterPushDown::{Exact, Inexact, Unsupported};
    let own = classify_reading(spec, expr);
    match spec.by_search.map(|search| classify_reading(search.spec, expr)) {
        None => own,
        Some(other) => match (own, other) {
            (Exact, Exact) => Exact,
            (Unsupported, Unsupported) => Unsupported,
            _ => Inexact,
        },
    }
}

/// The classification of one filter for one reading of a table.
fn classify_reading(spec: &TableSpec, expr: &Expr) -> TableProviderFilterPushDown {
    // A table read per parent in more than one way (labels: per page, or per blog post): which reading a query
    // gets depends on all its filters, so a parent pin is re-checked by the engine (a blog post's labels read for
    // `blog_post_id = 5 AND page_id = 1` must not all pass as if `page_id = 1` held).
    let per_parent_readings = [Some(spec), spec.by_parent].into_iter().flatten().filter(|s| s.per_parent.is_some());
    if per_parent_readings.count() > 1
        && (pins_parent(spec, expr) || spec.by_parent.is_some_and(|b| pins_parent(b, expr)))
    {
        return TableProviderFilterPushDown::Inexact;
    }
    if let Some(by_parent) = spec.by_parent.filter(|b| pins_parent(b, expr)) {
        return classify(by_parent, expr);
    }
    if pins_parent(spec, expr) {
        return TableProviderFilterPushDown::Exact;
    }
    let pinned = column_values(expr);
    // A per-space table reads only the spaces named: ids exactly, keys as the directory spells them (the engine
    // re-checks the case).
    if let (Some(per_space), Some(pinned)) = (spec.per_space, &pinned) {
        if pinned.column == per_space.id_column && !pinned.values.is_empty() {
            return TableProviderFilterPushDown::Exact;
        }
        if pinned.column == per_space.key_column && !pinned.values.is_empty() {
            return TableProviderFilterPushDown::Inexact;
        }
    }
    // A fan-out skips the child lists whose rows hold NULL in a column required non-NULL (`page_id IS NOT NULL`:
    // no blog post's labels); the engine still checks.
    if let (Some(fan_out), Some(column)) = (spec.fan_out, not_null_column(expr)) {
        if fan_out.children.iter().any(|child| child.column(column).is_some_and(|c| c.source == Source::Null)) {
            return TableProviderFilterPushDown::Inexact;
        }
    }
    // A fan-out keeps the parents whose fields are pinned (`name = 'release'`: only that label's lists), each
    // returning every child: the engine keeps the rows.
    if let (Some(fan_out), Some(pinned)) = (spec.fan_out, &pinned) {
        let parent_field = fan_out.parent_fields.iter().any(|(column, _)| *column == pinned.column);
        if (parent_field || pinned.column == fan_out.space_column) && !pinned.values.is_empty() {
            return TableProviderFilterPushDown::Inexact;
        }
    }
    // Found by a child search, which returns every child of the parents found: the engine keeps the rows.
    let search = spec.per_parent.and_then(|p| p.child_search);
    if let (Some(search), Some(pinned)) = (search, &pinned) {
        if search.column == pinned.column && !pinned.values.is_empty() {
            return TableProviderFilterPushDown::Inexact;
        }
    }
    // A table listed from one endpoint per value of its `Constant` column reads only the endpoints pinned, whose
    // rows all hold that value.
    if let Some(pinned) = &pinned {
        let constant = spec.columns.iter().find(|c| c.source == crate::columns::Source::Constant);
        if !spec.variants.is_empty() && constant.is_some_and(|c| c.name == pinned.column) && !pinned.values.is_empty() {
            return TableProviderFilterPushDown::Exact;
        }
    }
    if spec.time_params.is_some_and(|t| time_bound(expr).is_some_and(|b| b.column == t.column)) {
        return TableProviderFilterPushDown::Inexact;
    }
    match matching_rule(spec, expr) {
        Some(rule) if rule.exact => TableProviderFilterPushDown::Exact,
        Some(_) => TableProviderFilterPushDown::Inexact,
        None if spec.cql_route.is_some_and(|route| cql_clause(route, expr).is_some()) => {
            TableProviderFilterPushDown::Inexact
        }
        None => TableProviderFilterPushDown::Unsupported,
    }
}

/// The rule that pushes `expr` down, if any (with no more values than it takes).
pub fn matching_rule(spec: &TableSpec, expr: &Expr) -> Option<&'static FilterRule> {
    let pinned = column_values(expr)?;
    let rule = spec.rule(&pinned.column)?;
    (!pinned.values.is_empty() && pinned.values.len() <= rule.max_values).then_some(rule)
}

/// Whether `expr` pins the parent column of a per-parent table (`= v` or `IN`, up to [`MAX_PARENTS`] values).
fn pins_parent(spec: &TableSpec, expr: &Expr) -> bool {
    match (spec.per_parent, column_values(expr)) {
        (Some(per_parent), Some(pinned)) => {
            pinned.column == per_parent.column && !pinned.values.is_empty() && pinned.values.len() <= MAX_PARENTS
        }
        _ => false,
    }
}

/// The spec a scan reads with: the table's search reading when the filters pin one of its columns, its per-parent
/// variant when they pin its parent, else the table.
pub fn reading_spec(spec: &'static TableSpec, filters: &[Expr]) -> &'static TableSpec {
    if let Some(search) = spec.by_search {
        let pins_one = |f: &Expr| matching_rule(search.spec, f).is_some_and(|r| search.columns.contains(&r.column));
        if filters.iter().any(pins_one) {
            return search.spec;
        }
    }
    match spec.by_parent {
        Some(by_parent) if filters.iter().any(|f| pins_parent(by_parent, f)) => by_parent,
        _ => spec,
    }
}

/// The CQL clause for `expr`, when it filters a column of `route`: `field = "v"` / `field IN (...)`, or a date
/// range widened by a day on each side (CQL dates are in the user's time zone; the engine filters exactly).
pub fn cql_clause(route: &CqlRoute, expr: &Expr) -> Option<CqlClause> {
    if let Some(pinned) = column_values(expr) {
        let field = route.fields.iter().find(|f| f.column == pinned.column && f.kind == CqlKind::Equals)?;
        return (!pinned.values.is_empty()).then(|| CqlClause::AnyOf {
            field: field.field.to_owned(),
            values: pinned.values,
            negated: false,
        });
    }
    let bound = time_bound(expr)?;
    let field = route.fields.iter().find(|f| f.column == bound.column && f.kind == CqlKind::Time)?;
    let (op, date) = match bound.side {
        // After the instant: from the day before (any time zone is within a day of UTC).
        Side::After => (">=", utc_date(bound.at_ms, -1)?),
        // Before it: up to the end of the day after.
        Side::Before => ("<", utc_date(bound.at_ms, 2)?),
    };
    Some(CqlClause::Compare { field: field.field.to_owned(), op, value: date })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::table;
    use datafusion::prelude::{col, lit};
    use datafusion::scalar::ScalarValue;

    #[test]
    fn classification() {
        let pages = table("pages").cloud;
        assert_eq!(classify(pages, &col("id").eq(lit(1i64))), TableProviderFilterPushDown::Exact);
        assert_eq!(classify(pages, &col("title").eq(lit("x"))), TableProviderFilterPushDown::Inexact);
        assert_eq!(classify(pages, &col("version").eq(lit(1i64))), TableProviderFilterPushDown::Unsupported);
        let too_many: Vec<Expr> = (0..251i64).map(lit).collect();
        assert_eq!(classify(pages, &col("id").in_list(too_many, false)), TableProviderFilterPushDown::Unsupported);
        assert_eq!(classify(pages, &col("author_id").eq(lit("x"))), TableProviderFilterPushDown::Inexact);
        let labels = table("labels").cloud;
        // Two ways to read labels (per page, per blog post): parent pins are re-checked.
        assert_eq!(classify(labels, &col("page_id").eq(lit(5i64))), TableProviderFilterPushDown::Inexact);
        assert_eq!(classify(labels, &col("blog_post_id").eq(lit(5i64))), TableProviderFilterPushDown::Inexact);
        let versions = table("page_versions").cloud;
        assert_eq!(classify(versions, &col("page_id").eq(lit(5i64))), TableProviderFilterPushDown::Exact);
        assert_eq!(classify(labels, &col("name").eq(lit("a"))), TableProviderFilterPushDown::Inexact);
        assert_eq!(classify(labels, &col("prefix").eq(lit("team"))), TableProviderFilterPushDown::Inexact);
        assert_eq!(classify(labels, &col("page_id").is_not_null()), TableProviderFilterPushDown::Inexact);
        assert_eq!(classify(labels, &col("name").is_not_null()), TableProviderFilterPushDown::Unsupported);
        let dc_labels = table("labels").data_center.unwrap_or_else(|_| unreachable!());
        assert_eq!(classify(dc_labels, &col("prefix").eq(lit("team"))), TableProviderFilterPushDown::Unsupported);
        let audit = table("audit_log").cloud;
        let t = lit(ScalarValue::TimestampMillisecond(Some(1_710_072_000_000), Some("UTC".into())));
        assert_eq!(classify(audit, &col("created_at").gt_eq(t.clone())), TableProviderFilterPushDown::Inexact);
        assert_eq!(classify(audit, &col("created_at").not_eq(t)), TableProviderFilterPushDown::Unsupported);
        let comments = table("comments").data_center.unwrap_or_else(|_| unreachable!());
        assert_eq!(classify(comments, &col("page_id").eq(lit(5i64))), TableProviderFilterPushDown::Inexact);
        // Cloud lists footer and inline comments apart (`kind` chooses the lists), but a page's comments are one
        // search returning both kinds: `kind` is re-checked, and the page pin is pushed.
        let comments = table("comments").cloud;
        assert_eq!(classify(comments, &col("kind").eq(lit("inline"))), TableProviderFilterPushDown::Inexact);
        assert_eq!(classify(comments, &col("page_id").eq(lit(5i64))), TableProviderFilterPushDown::Inexact);
        let restrictions = table("content_restrictions").cloud;
        assert_eq!(classify(restrictions, &col("operation").eq(lit("read"))), TableProviderFilterPushDown::Exact);
        assert_eq!(classify(comments, &col("kind").not_eq(lit("inline"))), TableProviderFilterPushDown::Unsupported);
    }

    #[test]
    fn cql_clauses_for_what_the_list_cannot_filter() {
        let route = table("pages").cloud.cql_route.unwrap_or_else(|| unreachable!());
        let text = |e: &Expr| cql_clause(route, e).map(|c| c.to_string());
        assert_eq!(text(&col("author_id").eq(lit("a\"b"))).as_deref(), Some("creator = \"a\\\"b\""));
        assert_eq!(
            text(&col("parent_id").in_list(vec![lit(1i64), lit(2i64)], false)).as_deref(),
            Some("parent IN (\"1\", \"2\")")
        );
        // 2024-03-10T12:00:00Z: after it → from the 9th; before it → before the 12th (a day of margin each way).
        let t = lit(ScalarValue::TimestampMillisecond(Some(1_710_072_000_000), Some("UTC".into())));
        assert_eq!(text(&col("created_at").gt_eq(t.clone())).as_deref(), Some("created >= \"2024-03-09\""));
        assert_eq!(text(&t.clone().gt(col("updated_at"))).as_deref(), Some("lastmodified < \"2024-03-12\""));
        assert_eq!(text(&col("created_at").not_eq(t)), None);
        assert_eq!(text(&col("title").eq(lit("x"))), None);
    }
}

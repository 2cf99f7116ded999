//! What a table is: columns, the endpoint that lists it, and the filters it can send to the server. Tables are
//! declarations ([`TableSpec`]); one classifier ([`classify`]) answers both DataFusion's pushdown question and
//! the planner, so what the planner was promised and what the request does cannot drift apart; and one pure
//! function ([`plan_scan`]) turns filters, projection and limit into the requests `EXPLAIN` shows.

use datafusion::logical_expr::{BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::scalar::ScalarValue;

use crate::columns::Column;

/// How a table is listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A Cloud REST v2 list with cursor pagination, e.g. `pages`.
    V2 {
        /// Path under `/wiki/api/v2/`.
        path: &'static str,
        /// The endpoint's maximum `limit`.
        max_limit: usize,
    },
    /// A Cloud REST v1 list with offsets, e.g. `search/user`.
    V1 {
        /// Path under `/wiki/rest/api/`.
        path: &'static str,
        /// The endpoint's maximum `limit`.
        max_limit: usize,
    },
}

/// How a filter value becomes a request parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamValue {
    /// As written.
    AsIs,
    /// A space key that the scan resolves to a space id (`space-id` parameters).
    SpaceKeyToId,
}

/// A predicate a table can send to the server: `column = value` or `column IN (...)` as a query parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterRule {
    /// The column.
    pub column: &'static str,
    /// The query parameter.
    pub param: &'static str,
    /// How many values the parameter takes at most (1: only `=`).
    pub max_values: usize,
    /// Whether the server's semantics equal SQL's (else DataFusion re-checks the rows).
    pub exact: bool,
    /// How values are written.
    pub value: ParamValue,
    /// Whether several values split the scan into one partition per value (per space).
    pub partition: bool,
    /// Whether this is the space filter that the `Spaces` connection property restricts.
    pub restricts_spaces: bool,
}

impl FilterRule {
    /// `column = v` or `column IN (...)` (up to `max_values`) sent as `param`, exact.
    pub const fn exact(column: &'static str, param: &'static str, max_values: usize) -> FilterRule {
        FilterRule {
            column,
            param,
            max_values,
            exact: true,
            value: ParamValue::AsIs,
            partition: false,
            restricts_spaces: false,
        }
    }

    /// The same rule, `Inexact` (DataFusion re-checks the rows).
    pub const fn inexact(self) -> FilterRule {
        FilterRule { exact: false, ..self }
    }

    /// The same rule, one partition per value.
    pub const fn partitioned(self) -> FilterRule {
        FilterRule { partition: true, ..self }
    }

    /// A space-key filter resolved to space ids and sent as `param`, one partition per space; restricted by
    /// the `Spaces` property.
    pub const fn space_key(column: &'static str, param: &'static str, max_values: usize) -> FilterRule {
        FilterRule {
            column,
            param,
            max_values,
            exact: true,
            value: ParamValue::SpaceKeyToId,
            partition: true,
            restricts_spaces: true,
        }
    }
}

/// A table: its name, columns, endpoint and pushdown rules.
#[derive(Clone, Copy, Debug)]
pub struct TableSpec {
    /// SQL name.
    pub name: &'static str,
    /// What a row is.
    pub doc: &'static str,
    /// Columns.
    pub columns: &'static [Column],
    /// How it is listed.
    pub endpoint: Endpoint,
    /// Parameters every request carries.
    pub fixed_params: &'static [(&'static str, &'static str)],
    /// Predicates sent to the server.
    pub filters: &'static [FilterRule],
    /// Endpoints listed together, each with the value of the table's `Constant` column (e.g. footer and inline
    /// comments, with `kind`); empty for the single `endpoint`.
    pub variants: &'static [(&'static str, &'static str)],
    /// A parameter sent only when a column is projected: (column, parameter, value), e.g. bodies.
    pub on_projection: Option<(&'static str, &'static str, &'static str)>,
    /// For tables read per parent (`pages/{id}/versions`): the column whose values fill `{id}` in the endpoint's
    /// path. The query must pin it (`= v` or `IN (...)`, one partition per value): listing every parent would
    /// cost a request per parent.
    pub parent: Option<&'static str>,
    /// How the table is read on Confluence Data Center: the same columns (names and types) read from that API's
    /// objects, with its own endpoint and filters. `None` when Data Center has no equivalent yet.
    pub data_center: Option<&'static TableSpec>,
}

/// A literal as request text (`None` for NULL or unsupported types).
fn literal_text(value: &ScalarValue) -> Option<String> {
    match value {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            Some(s.clone())
        }
        ScalarValue::Int8(Some(n)) => Some(n.to_string()),
        ScalarValue::Int16(Some(n)) => Some(n.to_string()),
        ScalarValue::Int32(Some(n)) => Some(n.to_string()),
        ScalarValue::Int64(Some(n)) => Some(n.to_string()),
        ScalarValue::UInt8(Some(n)) => Some(n.to_string()),
        ScalarValue::UInt16(Some(n)) => Some(n.to_string()),
        ScalarValue::UInt32(Some(n)) => Some(n.to_string()),
        ScalarValue::UInt64(Some(n)) => Some(n.to_string()),
        ScalarValue::Boolean(Some(b)) => Some(b.to_string()),
        _ => None,
    }
}

fn unwrap_cast(expr: &Expr) -> &Expr {
    match expr {
        Expr::Cast(cast) => unwrap_cast(&cast.expr),
        Expr::TryCast(cast) => unwrap_cast(&cast.expr),
        other => other,
    }
}

/// `column = literal`, `literal = column`, `column IN (literals)`, or an `OR` of those on one column (DataFusion
/// rewrites short `IN` lists that way): the column and the values.
pub fn column_values(expr: &Expr) -> Option<(String, Vec<String>)> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Or, right }) => {
            let (column, mut values) = column_values(left)?;
            let (other, more) = column_values(right)?;
            if column != other {
                return None;
            }
            for value in more {
                if !values.contains(&value) {
                    values.push(value);
                }
            }
            Some((column, values))
        }
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right }) => match (unwrap_cast(left), unwrap_cast(right))
        {
            (Expr::Column(c), Expr::Literal(v, _)) | (Expr::Literal(v, _), Expr::Column(c)) => {
                literal_text(v).map(|text| (c.name.clone(), vec![text]))
            }
            _ => None,
        },
        Expr::InList(list) if !list.negated => {
            let Expr::Column(c) = unwrap_cast(&list.expr) else { return None };
            let values: Option<Vec<String>> = list
                .list
                .iter()
                .map(|e| match unwrap_cast(e) {
                    Expr::Literal(v, _) => literal_text(v),
                    _ => None,
                })
                .collect();
            values.map(|v| (c.name.clone(), v))
        }
        _ => None,
    }
}

/// The rule that pushes `expr` down, if any.
pub fn matching_rule<'a>(spec: &'a TableSpec, expr: &Expr) -> Option<(&'a FilterRule, Vec<String>)> {
    let (column, values) = column_values(expr)?;
    let rule = spec.filters.iter().find(|r| r.column == column)?;
    (!values.is_empty() && values.len() <= rule.max_values).then_some((rule, values))
}

/// What DataFusion is told about a filter: `Exact` only where the server's semantics equal SQL's.
pub fn classify(spec: &TableSpec, expr: &Expr) -> TableProviderFilterPushDown {
    if let (Some(parent), Some((column, values))) = (spec.parent, column_values(expr)) {
        if column == parent && !values.is_empty() && values.len() <= 250 {
            return TableProviderFilterPushDown::Exact;
        }
    }
    match matching_rule(spec, expr) {
        Some((rule, _)) if rule.exact => TableProviderFilterPushDown::Exact,
        Some(_) => TableProviderFilterPushDown::Inexact,
        None => TableProviderFilterPushDown::Unsupported,
    }
}

/// One partition's requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionPlan {
    /// The endpoint path (under `/wiki/api/v2/` or `/wiki/rest/api/`).
    pub path: String,
    /// The value of the table's `Constant` column for this partition's rows.
    pub constant: Option<String>,
    /// Query parameters (filters, fixed parameters, `limit`).
    pub params: Vec<(String, String)>,
    /// Space keys to resolve to ids and send as `param` before the first request.
    pub space_keys: Option<(String, Vec<String>)>,
    /// For a per-parent table: the parent id of this partition (the value of its `Parent` column).
    pub parent: Option<String>,
}

/// The requests a scan will make, decided without any I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanPlan {
    /// One entry per partition (run concurrently within `MaxConcurrency`).
    pub partitions: Vec<PartitionPlan>,
    /// Stop after this many rows (per partition; DataFusion applies the global limit).
    pub limit: Option<usize>,
    /// When a filter contradicts itself (`id = 1 AND id = 2`): no request at all.
    pub empty: bool,
    /// For a table read per parent whose parent column the query does not pin: the column to pin.
    pub missing_parent: Option<&'static str>,
}

/// Plans a scan: pushed filters become parameters (intersected when repeated), a multi-valued partitioning filter
/// (or the `Spaces` restriction) becomes one partition per value, the projection decides `body-format`, and
/// `limit` sizes the pages (`limit` parameter = min(SQL limit, the endpoint's maximum)).
pub fn plan_scan(
    spec: &TableSpec,
    filters: &[Expr],
    projected: &[&Column],
    limit: Option<usize>,
    restrict_spaces: &[String],
    page_size: Option<u32>,
    extra_params: &[(String, String)],
) -> ScanPlan {
    let mut pinned: Vec<(&FilterRule, Vec<String>)> = Vec::new();
    let mut empty = false;
    // Per-parent tables: the parent ids the query pins (intersected when pinned twice).
    let mut parents: Option<Vec<String>> = None;
    if let Some(parent) = spec.parent {
        for (column, values) in filters.iter().filter_map(column_values) {
            if column == parent && values.len() <= 250 {
                parents = Some(match parents {
                    None => values,
                    Some(existing) => existing.into_iter().filter(|v| values.contains(v)).collect(),
                });
            }
        }
        match &parents {
            None => return ScanPlan { partitions: Vec::new(), limit, empty: true, missing_parent: Some(parent) },
            Some(values) if values.is_empty() => {
                return ScanPlan { partitions: Vec::new(), limit, empty: true, missing_parent: None }
            }
            Some(_) => {}
        }
    }
    for expr in filters {
        if let Some((rule, values)) = matching_rule(spec, expr) {
            match pinned.iter_mut().find(|(r, _)| r.param == rule.param && r.value == rule.value) {
                Some((_, existing)) => {
                    existing.retain(|v| values.contains(v));
                    empty |= existing.is_empty();
                }
                None => pinned.push((rule, values)),
            }
        }
    }
    // The Spaces restriction: intersected with the query's own space filter, or added as one.
    if !restrict_spaces.is_empty() {
        if let Some(rule) = spec.filters.iter().find(|r| r.restricts_spaces) {
            match pinned.iter_mut().find(|(r, _)| r.restricts_spaces) {
                Some((_, values)) => {
                    values.retain(|v| restrict_spaces.iter().any(|s| s.eq_ignore_ascii_case(v)));
                    empty |= values.is_empty();
                }
                None => pinned.push((rule, restrict_spaces.to_vec())),
            }
        }
    }
    let (endpoint_path, max_limit) = match spec.endpoint {
        Endpoint::V2 { path, max_limit } | Endpoint::V1 { path, max_limit } => (path, max_limit),
    };
    let page = page_size.map_or(max_limit, |p| (p as usize).clamp(1, max_limit));
    let page = limit.map_or(page, |l| l.clamp(1, page));
    let mut base: Vec<(String, String)> =
        spec.fixed_params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    base.extend(extra_params.iter().cloned());
    if let Some((column, param, value)) = spec.on_projection {
        if projected.iter().any(|c| c.name == column) {
            base.push((param.to_owned(), value.to_owned()));
        }
    }
    let mut split: Option<(&FilterRule, Vec<String>)> = None;
    let mut space_keys: Option<(String, Vec<String>)> = None;
    for (rule, values) in &pinned {
        if rule.partition && values.len() > 1 && split.is_none() {
            split = Some((rule, values.clone()));
        } else if rule.value == ParamValue::SpaceKeyToId {
            space_keys = Some((rule.param.to_owned(), values.clone()));
        } else {
            base.push((rule.param.to_owned(), values.join(",")));
        }
    }
    let variants: Vec<(String, Option<String>)> = if spec.variants.is_empty() {
        vec![(endpoint_path.to_owned(), None)]
    } else {
        spec.variants.iter().map(|(path, constant)| (path.to_string(), Some(constant.to_string()))).collect()
    };
    let by_value: Vec<PartitionPlan> = match split {
        None => vec![PartitionPlan { path: String::new(), constant: None, params: base, space_keys, parent: None }],
        Some((rule, values)) => values
            .into_iter()
            .map(|value| {
                let mut params = base.clone();
                let mut keys = space_keys.clone();
                match rule.value {
                    ParamValue::SpaceKeyToId => keys = Some((rule.param.to_owned(), vec![value])),
                    ParamValue::AsIs => params.push((rule.param.to_owned(), value)),
                }
                PartitionPlan { path: String::new(), constant: None, params, space_keys: keys, parent: None }
            })
            .collect(),
    };
    let mut partitions = Vec::new();
    for (path, constant) in &variants {
        for p in &by_value {
            let mut p = p.clone();
            p.path = path.clone();
            p.constant = constant.clone();
            p.params.push(("limit".to_owned(), page.to_string()));
            match &parents {
                None => partitions.push(p),
                Some(ids) => {
                    for id in ids {
                        let mut per_parent = p.clone();
                        per_parent.path = path.replace("{id}", id);
                        per_parent.parent = Some(id.clone());
                        partitions.push(per_parent);
                    }
                }
            }
        }
    }
    ScanPlan { partitions, limit, empty, missing_parent: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::ALL;
    use datafusion::prelude::{col, lit};

    fn pages() -> &'static TableSpec {
        ALL.iter().find(|t| t.name == "pages").copied().unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn equalities_in_lists_and_or_chains() {
        assert_eq!(column_values(&col("id").eq(lit(5i64))), Some(("id".to_owned(), vec!["5".to_owned()])));
        assert_eq!(
            column_values(&lit("ENG").eq(col("space_key"))),
            Some(("space_key".to_owned(), vec!["ENG".to_owned()]))
        );
        let or = col("id").eq(lit(1i64)).or(col("id").eq(lit(2i64))).or(col("id").eq(lit(1i64)));
        assert_eq!(column_values(&or), Some(("id".to_owned(), vec!["1".to_owned(), "2".to_owned()])));
        assert_eq!(column_values(&col("id").eq(lit(1i64)).or(col("title").eq(lit("x")))), None);
        assert_eq!(column_values(&col("id").in_list(vec![lit(1i64), lit(2i64)], true)), None, "NOT IN is not pushed");
        assert_eq!(column_values(&col("id").gt(lit(1i64))), None);
    }

    #[test]
    fn classification() {
        let spec = pages();
        assert_eq!(classify(spec, &col("id").eq(lit(1i64))), TableProviderFilterPushDown::Exact);
        assert_eq!(classify(spec, &col("title").eq(lit("x"))), TableProviderFilterPushDown::Inexact);
        assert_eq!(classify(spec, &col("version").eq(lit(1i64))), TableProviderFilterPushDown::Unsupported);
        let too_many: Vec<Expr> = (0..251i64).map(lit).collect();
        assert_eq!(classify(spec, &col("id").in_list(too_many, false)), TableProviderFilterPushDown::Unsupported);
    }

    #[test]
    fn plans_partitions_limits_and_bodies() {
        let spec = pages();
        let body = spec.columns.iter().find(|c| c.name == "body_storage").unwrap_or_else(|| unreachable!());
        let filters =
            vec![col("space_key").in_list(vec![lit("ENG"), lit("DOCS")], false), col("status").eq(lit("current"))];
        let plan = plan_scan(spec, &filters, &[body], Some(10), &[], None, &[]);
        assert_eq!(plan.partitions.len(), 2);
        assert_eq!(plan.partitions[0].space_keys, Some(("space-id".to_owned(), vec!["ENG".to_owned()])));
        let params = &plan.partitions[1].params;
        assert!(params.contains(&("body-format".to_owned(), "storage".to_owned())));
        assert!(params.contains(&("status".to_owned(), "current".to_owned())));
        assert!(params.contains(&("limit".to_owned(), "10".to_owned())), "{params:?}");
    }

    #[test]
    fn the_spaces_property_restricts_and_contradictions_are_empty() {
        let spec = pages();
        let plan = plan_scan(spec, &[], &[], None, &["ENG".to_owned(), "DOCS".to_owned()], None, &[]);
        assert_eq!(plan.partitions.len(), 2, "one partition per configured space");
        let filters = vec![col("space_key").eq(lit("HR"))];
        let plan = plan_scan(spec, &filters, &[], None, &["ENG".to_owned()], None, &[]);
        assert!(plan.empty, "HR is outside Spaces=ENG");
        let filters = vec![col("id").eq(lit(1i64)), col("id").eq(lit(2i64))];
        assert!(plan_scan(spec, &filters, &[], None, &[], None, &[]).empty);
        let plan = plan_scan(spec, &[], &[], None, &[], Some(100), &[]);
        assert!(plan.partitions[0].params.contains(&("limit".to_owned(), "100".to_owned())));
    }
}

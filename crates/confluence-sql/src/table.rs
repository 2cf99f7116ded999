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
    /// A CQL clause, `param = "v"` or `param IN (...)` (the parameter names the CQL field), joined with `AND` to
    /// the request's `cql` parameter: for tables read through a CQL search (comments and attachments on Data
    /// Center).
    Cql,
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

    /// `column = v` or `column IN (...)` (up to `max_values`) as a clause on the CQL `field`, exact.
    pub const fn cql(column: &'static str, field: &'static str, max_values: usize) -> FilterRule {
        FilterRule { value: ParamValue::Cql, ..FilterRule::exact(column, field, max_values) }
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

/// How a CQL field compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CqlKind {
    /// `column = v` or `column IN (...)` → `field = "v"` / `field in (...)`.
    Equals,
    /// `column >`, `>=`, `<`, `<=` a timestamp → a date range on `field`, widened by a day on each side (CQL dates
    /// are in the user's time zone), so the search finds a superset that the engine then filters exactly.
    Time,
}

/// A column that only CQL can filter, and its CQL field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CqlField {
    /// The column.
    pub column: &'static str,
    /// The CQL field (`creator`, `parent`, `created`, `lastmodified`).
    pub field: &'static str,
    /// How it compares.
    pub kind: CqlKind,
}

/// Predicates a table's list endpoint cannot filter but CQL can: the scan searches with CQL for the ids of the
/// matching current content, then fetches those rows from the table's own endpoint by id (so every column is the
/// same as in a plain scan), and lists archived content separately (CQL finds current content only).
#[derive(Clone, Copy, Debug)]
pub struct CqlRoute {
    /// The CQL content type (`page`, `blogpost`).
    pub content_type: &'static str,
    /// The columns CQL filters.
    pub fields: &'static [CqlField],
}

/// How a per-parent table is read when the query does not pin its parent but filters a column CQL can search:
/// one CQL search for the parents, with their children expanded in each result, each child a row (e.g. the pages
/// labelled `release`, each with its labels, from one paginated search instead of a request per page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildSearch {
    /// The column whose `=` / `IN` values become the CQL clause (`name`).
    pub column: &'static str,
    /// The CQL field (`label`).
    pub field: &'static str,
    /// The CQL type of the parents (`page`).
    pub content_type: &'static str,
    /// The search endpoint under REST v1 (`search` on Cloud, `content/search` on Data Center).
    pub path: &'static str,
    /// Results per request at most.
    pub max_limit: usize,
    /// The `expand` that brings the children.
    pub expand: &'static str,
    /// Where the children are in a result.
    pub children: &'static [&'static str],
    /// Where the parent's id is in a result.
    pub parent_id: &'static [&'static str],
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
    /// Predicates found through CQL (Cloud), when the list endpoint cannot filter them.
    pub cql_route: Option<&'static CqlRoute>,
    /// For a per-parent table: how it is read through CQL when the parent is not pinned.
    pub child_search: Option<&'static ChildSearch>,
    /// The same table read per parent (`pages/{id}/attachments`), used instead of the whole list when the query
    /// pins that spec's parent column.
    pub by_parent: Option<&'static TableSpec>,
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

/// The values the filters pin `column` to (`=` or `IN`, up to `max` values; intersected when pinned more than
/// once); `None` when nothing pins it.
fn pinned_values(filters: &[Expr], column: &str, max: usize) -> Option<Vec<String>> {
    filters
        .iter()
        .filter_map(column_values)
        .filter(|(c, values)| c == column && values.len() <= max)
        .map(|(_, values)| values)
        .reduce(|pinned, values| pinned.into_iter().filter(|v| values.contains(v)).collect())
}

/// What DataFusion is told about a filter: `Exact` only where the server's semantics equal SQL's.
pub fn classify(spec: &TableSpec, expr: &Expr) -> TableProviderFilterPushDown {
    if let Some(by_parent) = spec.by_parent.filter(|b| pins_parent(b, expr)) {
        return classify(by_parent, expr);
    }
    if pins_parent(spec, expr) {
        return TableProviderFilterPushDown::Exact;
    }
    // Found by a child search, which returns every child of the parents found: the engine keeps the rows.
    if let (Some(search), Some((column, values))) = (spec.child_search, column_values(expr)) {
        if search.column == column && !values.is_empty() {
            return TableProviderFilterPushDown::Inexact;
        }
    }
    match matching_rule(spec, expr) {
        Some((rule, _)) if rule.exact => TableProviderFilterPushDown::Exact,
        Some(_) => TableProviderFilterPushDown::Inexact,
        None if spec.cql_route.is_some_and(|route| cql_condition(route, expr).is_some()) => {
            TableProviderFilterPushDown::Inexact
        }
        None => TableProviderFilterPushDown::Unsupported,
    }
}

/// Whether `expr` pins the parent column of a per-parent table (`= v` or `IN`, up to 250 values).
fn pins_parent(spec: &TableSpec, expr: &Expr) -> bool {
    match (spec.parent, column_values(expr)) {
        (Some(parent), Some((column, values))) => column == parent && !values.is_empty() && values.len() <= 250,
        _ => false,
    }
}

/// The spec a scan reads with: the table's per-parent variant when the filters pin its parent, else the table.
pub fn reading_spec(spec: &'static TableSpec, filters: &[Expr]) -> &'static TableSpec {
    match spec.by_parent {
        Some(by_parent) if filters.iter().any(|f| pins_parent(by_parent, f)) => by_parent,
        _ => spec,
    }
}

/// A timestamp literal in milliseconds since the epoch.
fn timestamp_ms(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1000),
        ScalarValue::TimestampMillisecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(v.div_euclid(1000)),
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(v.div_euclid(1_000_000)),
        ScalarValue::Date32(Some(days)) => i64::from(*days).checked_mul(86_400_000),
        ScalarValue::Date64(Some(ms)) => Some(*ms),
        _ => None,
    }
}

/// `yyyy-MM-dd` (UTC) of `ms` moved by `days`.
fn cql_date(ms: i64, days: i64) -> Option<String> {
    let shifted = ms.checked_add(days.checked_mul(86_400_000)?)?;
    chrono::DateTime::from_timestamp_millis(shifted).map(|t| t.format("%Y-%m-%d").to_string())
}

/// The CQL condition for `expr`, when it filters a column of `route`.
pub fn cql_condition(route: &CqlRoute, expr: &Expr) -> Option<String> {
    if let Some((column, values)) = column_values(expr) {
        let field = route.fields.iter().find(|f| f.column == column && f.kind == CqlKind::Equals)?;
        return (!values.is_empty())
            .then(|| confluence_rest::cql::CqlQuery::new().any_of(field.field, &values, false).to_string());
    }
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = expr else { return None };
    let (column, value, op) = match (unwrap_cast(left), unwrap_cast(right)) {
        (Expr::Column(c), Expr::Literal(v, _)) => (c, v, *op),
        (Expr::Literal(v, _), Expr::Column(c)) => (c, v, op.swap()?),
        _ => return None,
    };
    let field = route.fields.iter().find(|f| f.column == column.name && f.kind == CqlKind::Time)?;
    let ms = timestamp_ms(value)?;
    match op {
        // After `ms`: from the day before (any time zone is within a day of UTC).
        Operator::Gt | Operator::GtEq => Some(format!("{} >= \"{}\"", field.field, cql_date(ms, -1)?)),
        // Before `ms`: up to the end of the day after.
        Operator::Lt | Operator::LtEq => Some(format!("{} < \"{}\"", field.field, cql_date(ms, 2)?)),
        _ => None,
    }
}

/// Plans a scan through the table's CQL route, when the filters include a predicate only CQL can apply and
/// nothing the route cannot honour: one partition searches the ids of the matching current rows (then fetches
/// them by id, `status=current`), and, unless the query pins `status = 'current'`, the archived rows are listed
/// as in a plain scan. `None` means a plain scan.
pub fn plan_cql_scan(
    spec: &TableSpec,
    filters: &[Expr],
    projected: &[&Column],
    limit: Option<usize>,
    restrict_spaces: &[String],
    page_size: Option<u32>,
    extra_params: &[(String, String)],
) -> Option<ScanPlan> {
    let route = spec.cql_route?;
    let conditions: Vec<String> = filters.iter().filter_map(|f| cql_condition(route, f)).collect();
    if conditions.is_empty() || spec.parent.is_some() {
        return None;
    }
    // Exact filters the plain scan would push and this route does not send: keep the plain scan.
    let unsent = |column: &str| {
        !["status", "space_key", "id"].contains(&column) && spec.filters.iter().any(|r| r.column == column && r.exact)
    };
    if filters.iter().filter_map(column_values).any(|(column, _)| unsent(&column)) {
        return None;
    }
    let statuses = pinned_values(filters, "status", usize::MAX)
        .unwrap_or_else(|| vec!["current".to_owned(), "archived".to_owned()]);
    if statuses.iter().any(|s| s != "current" && s != "archived") || !statuses.iter().any(|s| s == "current") {
        return None;
    }
    let ids = pinned_values(filters, "id", usize::MAX);
    let mut spaces = pinned_values(filters, "space_key", usize::MAX);
    if !restrict_spaces.is_empty() {
        spaces = Some(match spaces {
            None => restrict_spaces.to_vec(),
            Some(named) => named.into_iter().filter(|v| restrict_spaces.contains(v)).collect(),
        });
    }
    if spaces.as_ref().is_some_and(Vec::is_empty) || ids.as_ref().is_some_and(Vec::is_empty) {
        return Some(ScanPlan { partitions: Vec::new(), limit, empty: true, missing_parent: None });
    }
    let mut query = confluence_rest::cql::CqlQuery::new().clause("type", "=", route.content_type);
    if let Some(spaces) = &spaces {
        query = query.any_of("space", spaces, false);
    }
    if let Some(ids) = &ids {
        query = query.any_of("id", ids, false);
    }
    for condition in conditions {
        query = query.raw(&condition);
    }
    // The plain scan's parameters (fixed, projection, extra) for the fetch by id, without its filters.
    let plain = plan_scan(spec, &[], projected, None, &[], None, extra_params);
    let mut fetch: Vec<(String, String)> = plain.partitions.first()?.params.clone();
    fetch.retain(|(k, _)| k != "limit");
    fetch.push(("status".to_owned(), "current".to_owned()));
    let search_page = page_size.map_or(CQL_SEARCH_LIMIT, |p| (p as usize).clamp(1, CQL_SEARCH_LIMIT));
    let search_page = limit.map_or(search_page, |l| l.clamp(1, search_page));
    let endpoint_path = match spec.endpoint {
        Endpoint::V2 { path, .. } | Endpoint::V1 { path, .. } => path,
    };
    fetch.push(("limit".to_owned(), CQL_SEARCH_LIMIT.to_string()));
    let mut partitions = vec![PartitionPlan {
        path: "search".to_owned(),
        constant: None,
        params: vec![
            ("cql".to_owned(), query.to_string()),
            ("includeArchivedSpaces".to_owned(), "true".to_owned()),
            ("limit".to_owned(), search_page.to_string()),
        ],
        space_keys: None,
        parent: None,
        lookup: Some(IdLookup { path: endpoint_path.to_owned(), id_param: "id".to_owned(), params: fetch }),
        explode: None,
        space_group: None,
    }];
    if statuses.iter().any(|s| s == "archived") {
        let mut archived_filters = filters.to_vec();
        archived_filters.push(datafusion::prelude::col("status").eq(datafusion::prelude::lit("archived")));
        let archived = plan_scan(spec, &archived_filters, projected, limit, restrict_spaces, page_size, extra_params);
        if !archived.empty {
            partitions.extend(archived.partitions);
        }
    }
    Some(ScanPlan { partitions, limit, empty: false, missing_parent: None })
}

/// Plans a per-parent table whose parent the query does not pin through its [`ChildSearch`], when the filters
/// pin the searched column: one search (one partition per space of `Spaces`) whose results' children are the
/// rows. `None` when the table has no child search or the filters do not pin its column.
pub fn plan_child_search(
    spec: &TableSpec,
    filters: &[Expr],
    restrict_spaces: &[String],
    page_size: Option<u32>,
) -> Option<ScanPlan> {
    let search = spec.child_search?;
    let values = pinned_values(filters, search.column, usize::MAX)?;
    if values.is_empty() {
        return Some(ScanPlan { partitions: Vec::new(), limit: None, empty: true, missing_parent: None });
    }
    let query = confluence_rest::cql::CqlQuery::new().clause("type", "=", search.content_type).any_of(
        search.field,
        &values,
        false,
    );
    let page = page_size.map_or(search.max_limit, |p| (p as usize).clamp(1, search.max_limit));
    let partition = |cql: String| PartitionPlan {
        path: search.path.to_owned(),
        constant: None,
        params: vec![
            ("cql".to_owned(), cql),
            ("includeArchivedSpaces".to_owned(), "true".to_owned()),
            ("expand".to_owned(), search.expand.to_owned()),
            ("limit".to_owned(), page.to_string()),
        ],
        space_keys: None,
        parent: None,
        lookup: None,
        explode: Some(search),
        space_group: None,
    };
    let partitions = if restrict_spaces.is_empty() {
        vec![partition(query.to_string())]
    } else {
        restrict_spaces
            .iter()
            .map(|space| partition(query.clone().any_of("space", std::slice::from_ref(space), false).to_string()))
            .collect()
    };
    Some(ScanPlan { partitions, limit: None, empty: false, missing_parent: None })
}

/// Results per CQL search request (the site search's maximum).
pub const CQL_SEARCH_LIMIT: usize = 100;

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
    /// For a CQL search partition (`path` is `search`, under REST v1): how the ids found are fetched.
    pub lookup: Option<IdLookup>,
    /// For a child search partition: where each result's rows (its children) and its id are.
    pub explode: Option<&'static ChildSearch>,
    /// For a scan split across every space: (parameter, group, groups). The scan reads the space directory, takes
    /// the spaces whose position (by id) modulo `groups` is `group`, and sends them as `parameter`, at most
    /// [`SPACES_PER_REQUEST`] per cursor chain.
    pub space_group: Option<(String, usize, usize)>,
}

/// Space ids a v2 list takes in one `space-id` parameter.
pub const SPACES_PER_REQUEST: usize = 100;

/// Splits a scan of every space into `groups` partitions, each listing a share of the spaces (`space-id=...`), so
/// that a full scan runs several cursor chains at once instead of one. Only for a Cloud list with a space-id
/// filter, when the plan is one unfiltered partition (a `status` filter aside) with no `LIMIT`: a query that
/// names spaces is split by space already, and a small one (a `LIMIT`, an `id` or `title` lookup) is cheaper as
/// one request.
pub fn split_by_space(spec: &TableSpec, plan: ScanPlan, filters: &[Expr], groups: usize) -> ScanPlan {
    let Some(rule) = spec.filters.iter().find(|r| r.value == ParamValue::SpaceKeyToId && r.partition) else {
        return plan;
    };
    let narrowed = filters.iter().filter_map(|f| matching_rule(spec, f)).any(|(r, _)| r.column != "status");
    let single = plan.partitions.len() == 1
        && plan.partitions.iter().all(|p| p.space_keys.is_none() && p.lookup.is_none() && p.explode.is_none());
    if groups < 2
        || !matches!(spec.endpoint, Endpoint::V2 { .. })
        || spec.parent.is_some()
        || plan.empty
        || plan.limit.is_some()
        || narrowed
        || !single
    {
        return plan;
    }
    let Some(partition) = plan.partitions.first().cloned() else { return plan };
    let partitions = (0..groups)
        .map(|group| PartitionPlan { space_group: Some((rule.param.to_owned(), group, groups)), ..partition.clone() })
        .collect();
    ScanPlan { partitions, ..plan }
}

/// The second step of a CQL partition: each page of search results becomes one request to the table's own
/// endpoint with the ids found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdLookup {
    /// The endpoint path (the table's).
    pub path: String,
    /// The parameter that takes the ids.
    pub id_param: String,
    /// The other parameters (fixed, projection, `status`, `limit`).
    pub params: Vec<(String, String)>,
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
    let parents = spec.parent.and_then(|parent| pinned_values(filters, parent, 250));
    if let Some(parent) = spec.parent {
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
            add_filter(&mut base, rule, values);
        }
    }
    let variants: Vec<(String, Option<String>)> = if spec.variants.is_empty() {
        vec![(endpoint_path.to_owned(), None)]
    } else {
        spec.variants.iter().map(|(path, constant)| (path.to_string(), Some(constant.to_string()))).collect()
    };
    let by_value: Vec<PartitionPlan> = match split {
        None => vec![PartitionPlan {
            path: String::new(),
            constant: None,
            params: base,
            space_keys,
            parent: None,
            lookup: None,
            explode: None,
            space_group: None,
        }],
        Some((rule, values)) => values
            .into_iter()
            .map(|value| {
                let mut params = base.clone();
                let mut keys = space_keys.clone();
                match rule.value {
                    ParamValue::SpaceKeyToId => keys = Some((rule.param.to_owned(), vec![value])),
                    ParamValue::AsIs | ParamValue::Cql => add_filter(&mut params, rule, &[value]),
                }
                PartitionPlan {
                    path: String::new(),
                    constant: None,
                    params,
                    space_keys: keys,
                    parent: None,
                    lookup: None,
                    explode: None,
                    space_group: None,
                }
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
                        per_parent.path = path.replace("{id}", &path_segment(id));
                        per_parent.parent = Some(id.clone());
                        partitions.push(per_parent);
                    }
                }
            }
        }
    }
    ScanPlan { partitions, limit, empty, missing_parent: None }
}

/// `text` as one URL path segment: everything but unreserved characters percent-encoded (a Data Center group
/// name may hold spaces, `/`, `?` or `#`).
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Sends a pushed filter: as a parameter (values comma-separated), or as a CQL clause joined to `cql`.
fn add_filter(params: &mut Vec<(String, String)>, rule: &FilterRule, values: &[String]) {
    if rule.value != ParamValue::Cql {
        params.push((rule.param.to_owned(), values.join(",")));
        return;
    }
    let clause = confluence_rest::cql::CqlQuery::new().any_of(rule.param, values, false).to_string();
    match params.iter_mut().find(|(k, _)| k == "cql") {
        Some((_, cql)) if cql.to_ascii_lowercase().contains(" or ") => *cql = format!("({cql}) AND {clause}"),
        Some((_, cql)) => *cql = format!("{cql} AND {clause}"),
        None => params.push(("cql".to_owned(), clause)),
    }
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
    fn cql_conditions_for_what_the_list_cannot_filter() {
        let spec = pages();
        let route = spec.cql_route.unwrap_or_else(|| unreachable!());
        assert_eq!(cql_condition(route, &col("author_id").eq(lit("a\"b"))), Some("creator = \"a\\\"b\"".to_owned()));
        assert_eq!(
            cql_condition(route, &col("parent_id").in_list(vec![lit(1i64), lit(2i64)], false)),
            Some("parent IN (\"1\", \"2\")".to_owned())
        );
        // 2024-03-10T12:00:00Z: after it → from the 9th; before it → before the 12th (a day of margin each way).
        let t = lit(ScalarValue::TimestampMillisecond(Some(1_710_072_000_000), Some("UTC".into())));
        assert_eq!(cql_condition(route, &col("created_at").gt_eq(t.clone())), Some("created >= \"2024-03-09\"".into()));
        assert_eq!(
            cql_condition(route, &t.clone().gt(col("updated_at"))),
            Some("lastmodified < \"2024-03-12\"".into())
        );
        assert_eq!(cql_condition(route, &col("created_at").not_eq(t)), None);
        assert_eq!(cql_condition(route, &col("title").eq(lit("x"))), None);
        assert_eq!(classify(spec, &col("author_id").eq(lit("x"))), TableProviderFilterPushDown::Inexact);

        let by_author = vec![col("author_id").eq(lit("x")), col("space_key").eq(lit("ENG"))];
        let plan = plan_cql_scan(spec, &by_author, &[], None, &[], None, &[]).unwrap_or_else(|| unreachable!());
        assert_eq!(plan.partitions.len(), 2, "the search, and the archived pages of ENG");
        let cql = &plan.partitions[0].params[0].1;
        assert_eq!(cql, "type = \"page\" AND space = \"ENG\" AND (creator = \"x\")");
        let current_only = vec![col("author_id").eq(lit("x")), col("status").eq(lit("current"))];
        assert_eq!(plan_cql_scan(spec, &current_only, &[], None, &[], None, &[]).map(|p| p.partitions.len()), Some(1));
        let space_id = vec![col("author_id").eq(lit("x")), col("space_id").eq(lit(5i64))];
        assert!(plan_cql_scan(spec, &space_id, &[], None, &[], None, &[]).is_none(), "space_id is not sent to CQL");
        assert!(plan_cql_scan(spec, &[col("id").eq(lit(1i64))], &[], None, &[], None, &[]).is_none());
    }

    #[test]
    fn cql_filters_join_the_search_and_spaces_split_it() {
        let comments = ALL.iter().find(|t| t.name == "comments").and_then(|t| t.data_center);
        let spec = comments.unwrap_or_else(|| unreachable!());
        let cql_of = |p: &PartitionPlan| p.params.iter().find(|(k, _)| k == "cql").map(|(_, v)| v.clone());
        let filters = vec![col("page_id").in_list(vec![lit(5i64), lit(6i64)], false)];
        let plan = plan_scan(spec, &filters, &[], None, &["ENG".to_owned(), "DOCS".to_owned()], None, &[]);
        assert_eq!(plan.partitions.len(), 2, "one partition per space");
        assert_eq!(
            cql_of(&plan.partitions[0]).as_deref(),
            Some("type = comment AND container IN (\"5\", \"6\") AND space = \"ENG\"")
        );
        assert_eq!(cql_of(&plan.partitions[1]).as_deref().map(|c| c.ends_with("space = \"DOCS\"")), Some(true));
        assert_eq!(classify(spec, &col("page_id").eq(lit(5i64))), TableProviderFilterPushDown::Inexact);
        // A query that already has an OR keeps its meaning.
        let mut params = vec![("cql".to_owned(), "type = page OR type = blogpost".to_owned())];
        add_filter(&mut params, &FilterRule::cql("space_key", "space", 10), &["A".to_owned()]);
        assert_eq!(params[0].1, "(type = page OR type = blogpost) AND space = \"A\"");
        assert_eq!(path_segment("a b/c?d#é"), "a%20b%2Fc%3Fd%23%C3%A9");
    }

    #[test]
    fn a_child_search_finds_the_parents_by_cql() {
        let labels = ALL.iter().find(|t| t.name == "labels").copied().unwrap_or_else(|| unreachable!());
        let by_name = vec![col("name").in_list(vec![lit("a"), lit("b")], false)];
        assert_eq!(classify(labels, &by_name[0]), TableProviderFilterPushDown::Inexact);
        let plan = plan_child_search(labels, &by_name, &["ENG".to_owned(), "DOCS".to_owned()], None)
            .unwrap_or_else(|| unreachable!());
        assert_eq!(plan.partitions.len(), 2, "one search per space of Spaces");
        assert_eq!(plan.partitions[0].params[0].1, "type = \"page\" AND label IN (\"a\", \"b\") AND space = \"ENG\"");
        assert!(plan.partitions[1].params[0].1.ends_with("space = \"DOCS\""));
        assert!(plan.partitions.iter().all(|p| p.explode.is_some() && p.path == "search"));
        let contradiction = vec![col("name").eq(lit("a")), col("name").eq(lit("b"))];
        assert!(plan_child_search(labels, &contradiction, &[], None).is_some_and(|p| p.empty));
        assert!(plan_child_search(labels, &[col("prefix").eq(lit("global"))], &[], None).is_none());
    }

    #[test]
    fn a_full_scan_is_split_across_the_spaces_and_a_narrow_one_is_not() {
        let spec = pages();
        let split = |filters: Vec<Expr>, limit: Option<usize>| {
            let plan = plan_scan(spec, &filters, &[], limit, &[], None, &[]);
            split_by_space(spec, plan, &filters, 8).partitions
        };
        let parts = split(vec![col("status").eq(lit("current"))], None);
        assert_eq!(parts.len(), 8);
        assert_eq!(parts[7].space_group, Some(("space-id".to_owned(), 7, 8)));
        assert!(parts.iter().all(|p| p.params.contains(&("status".to_owned(), "current".to_owned()))));
        assert_eq!(split(Vec::new(), Some(5)).len(), 1, "a LIMIT is one request");
        assert_eq!(split(vec![col("id").eq(lit(1i64))], None).len(), 1, "a lookup by id");
        assert_eq!(split(vec![col("title").eq(lit("x"))], None).len(), 1, "a lookup by title");
        let by_space = vec![col("space_key").in_list(vec![lit("A"), lit("B")], false)];
        assert!(split(by_space, None).iter().all(|p| p.space_group.is_none()), "split by the named spaces already");
        let plan = plan_scan(spec, &[], &[], None, &[], None, &[]);
        assert_eq!(split_by_space(spec, plan, &[], 1).partitions.len(), 1, "MaxConcurrency=1");
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

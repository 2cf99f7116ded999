//! `ORDER BY <column> [DESC] LIMIT n` over a v2 list that sorts by that column (`pages ORDER BY updated_at DESC
//! LIMIT 10`): one request sorted by the server (`sort=-modified-date&limit=11`), instead of reading the whole
//! table to keep ten rows; `n` below the endpoint's page (250, or `PageSize`). The engine still sorts the rows it
//! gets (ties stay the engine's), and the reader checks that the server kept the order asked for, over one row more
//! than kept. The columns sorted by are never NULL in v2 lists: a NULL among the rows read fails the query.
//!
//! Only where the list alone answers the query: a v2 list (not the CQL route, not per parent or per space), every
//! filter sent to the server in that one request (the optimizer rule asks only when no filter sits between the
//! sort and the scan), and no `Spaces` guard dropping rows after the request.

use datafusion::error::Result;

use crate::predicate::Pins;
use crate::spec::Endpoint;

use super::list::{base_request, one_request, pinned_rules, time_range};
use super::{classify, cql_route, guard, OrderCheck, Partition, Requests, ScanInput, ScanOptions, ScanPlan};

/// The plan reading the first `fetch` rows of `input`'s table sorted by `column` (descending or not), or `None`
/// when the table's list cannot answer that alone.
pub fn plan(
    input: &ScanInput<'_>,
    options: &ScanOptions<'_>,
    column: &str,
    descending: bool,
    fetch: usize,
) -> Result<Option<ScanPlan>> {
    let spec = classify::reading_spec(input.spec, input.filters);
    let (Endpoint::V2 { max_limit, .. }, Some(sort)) = (spec.endpoint, spec.sorts.iter().find(|s| s.column == column))
    else {
        return Ok(None);
    };
    let pins = Pins::of(input.filters);
    let input = ScanInput { spec, ..*input };
    if spec.per_parent.is_some()
        || spec.per_space.is_some()
        || !spec.variants.is_empty()
        || guard::drops_rows(spec, options)
        || cql_route::plan(&input, &pins, options).map_err(super::external)?.is_some()
    {
        return Ok(None);
    }
    let Some(pinned) = pinned_rules(spec, &pins, options.spaces) else {
        return Ok(Some(ScanPlan::Empty { reason: "the filters contradict each other or leave Spaces" }));
    };
    // One request: every value of every filter in it (the space ids too), or no sorted plan.
    if pinned.iter().any(|(rule, values)| values.len() > rule.max_values) {
        return Ok(None);
    }
    let builder = one_request(time_range(base_request(spec, input.columns, options), spec, input.filters), &pinned);
    // One page, one row more than asked: the order is then checked past the rows kept (a server ignoring `sort`
    // shows), and no page boundary can repeat or skip a row moved by an edit meanwhile.
    let wanted = fetch.saturating_add(1);
    if wanted > options.page(max_limit, None) {
        return Ok(None);
    }
    let value = if descending { sort.descending } else { sort.ascending };
    let page = options.page(max_limit, Some(wanted));
    let request = builder.param("sort", value).build(options.dialect, page).map_err(super::external)?;
    let order = OrderCheck { column: sort.column, descending, param: value };
    let plan = ScanPlan::Requests(Requests {
        order: Some(order),
        ..Requests::new(spec, vec![Partition::List { request, constant: None }], Some(wanted))
    });
    guard::attach(plan, spec, options).map(Some).map_err(super::external)
}

/// What a scan was planned from, kept so that the optimizer can plan it again sorted once it sees the query's
/// `ORDER BY ... LIMIT` (which a table provider is not told).
#[derive(Clone, Debug)]
pub struct Replan {
    /// The table.
    pub spec: &'static crate::spec::TableSpec,
    /// The columns the scan returns.
    pub columns: Vec<crate::columns::Column>,
    /// The filters DataFusion pushed.
    pub filters: Vec<datafusion::logical_expr::Expr>,
    /// The `Spaces` restriction.
    pub spaces: Vec<String>,
    /// `PageSize`.
    pub page_size: Option<u32>,
    /// `MaxConcurrency`.
    pub max_concurrency: usize,
    /// For the `cql()` table function: the user's query.
    pub user_cql: Option<confluence_rest::cql::CqlQuery>,
}

impl Replan {
    /// The scan's plan for its first `fetch` rows sorted by `column`, when its list can answer that alone.
    pub fn sorted(
        &self,
        dialect: &confluence_rest::Dialect,
        column: &str,
        descending: bool,
        fetch: usize,
    ) -> Result<Option<ScanPlan>> {
        let options = ScanOptions {
            dialect,
            spaces: &self.spaces,
            page_size: self.page_size,
            max_concurrency: self.max_concurrency,
            user_cql: self.user_cql.as_ref(),
        };
        let input = ScanInput { spec: self.spec, columns: &self.columns, filters: &self.filters, limit: None };
        plan(&input, &options, column, descending, fetch)
    }
}

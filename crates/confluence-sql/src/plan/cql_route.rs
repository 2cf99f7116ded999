//! Filters a table's list cannot apply but CQL can (`author_id`, `parent_id`, date ranges on pages and blog posts):
//! one partition searches the ids of the matching current rows with CQL and fetches them by id from the table's own
//! endpoint (so every column is what a plain scan gives), and, unless the query pins the status CQL finds, the
//! rows CQL cannot find (archived) are listed as in a plain scan.

use confluence_rest::cql::{CqlClause, CqlQuery};
use confluence_rest::RestError;

use crate::predicate::Pins;
use crate::spec::{CqlRoute, TableSpec};

use super::classify::cql_clause;
use super::list::base_request;
use super::request::{Api, RequestBuilder};
use super::{list, Partition, Requests, ScanInput, ScanOptions, ScanPlan, CQL_SEARCH_LIMIT};

/// Plans the CQL route when the filters include a predicate only CQL can apply and nothing the route cannot honour;
/// `None` means a plain scan.
pub fn plan(input: &ScanInput<'_>, pins: &Pins, options: &ScanOptions<'_>) -> Result<Option<ScanPlan>, RestError> {
    let spec = input.spec;
    let Some(route) = spec.cql_route.filter(|_| spec.per_parent.is_none()) else { return Ok(None) };
    let conditions: Vec<CqlClause> = input.filters.iter().filter_map(|f| cql_clause(route, f)).collect();
    if conditions.is_empty() || !route_sends_every_exact_filter(spec, route, pins) {
        return Ok(None);
    }
    let status = route.status;
    let statuses: Vec<String> = pins
        .get(status.column)
        .map_or_else(|| vec![status.searched.to_owned(), status.listed.to_owned()], <[_]>::to_vec);
    if statuses.iter().any(|s| s != status.searched && s != status.listed)
        || !statuses.iter().any(|s| s == status.searched)
    {
        return Ok(None);
    }
    let ids = pins.get(route.id_column);
    let spaces = match (pins.get(route.space_key_column), options.spaces) {
        (named, []) => named.map(<[_]>::to_vec),
        (None, restricted) => Some(restricted.to_vec()),
        (Some(named), restricted) => Some(named.iter().filter(|v| restricted.contains(v)).cloned().collect()),
    };
    if spaces.as_ref().is_some_and(Vec::is_empty) || ids.is_some_and(<[_]>::is_empty) {
        return Ok(Some(ScanPlan::Empty { reason: "the filters contradict each other or leave Spaces" }));
    }
    let mut query = CqlQuery::new().clause("type", "=", route.content_type);
    if let Some(spaces) = &spaces {
        query = query.any_of("space", spaces, false);
    }
    if let Some(ids) = ids {
        query = query.any_of("id", ids, false);
    }
    let query = conditions.into_iter().fold(query, CqlQuery::with);
    let mut partitions = vec![lookup(spec, route, query, input, options)?];
    if statuses.iter().any(|s| s == status.listed) {
        let listed = pins.clone().with(status.column, vec![status.listed.to_owned()]);
        if let Ok(ScanPlan::Requests(plain)) = list::plan(input, &listed, options) {
            partitions.extend(plain.partitions);
        }
    }
    Ok(Some(ScanPlan::Requests(Requests::new(spec, partitions, input.limit))))
}

/// Whether every exact filter the plain list would push is one the route sends too (the id, the space and the
/// status); otherwise the plain list serves the query better.
fn route_sends_every_exact_filter(spec: &TableSpec, route: &CqlRoute, pins: &Pins) -> bool {
    let sent = [route.status.column, route.space_key_column, route.id_column];
    pins.columns().all(|column| sent.contains(&column) || spec.rule(column).is_none_or(|r| !r.exact))
}

/// The search partition: `search?cql=...` whose results are the rows when they hold every column selected, else
/// for ids, then the table's endpoint by id for the rows.
fn lookup(
    spec: &TableSpec,
    route: &CqlRoute,
    query: CqlQuery,
    input: &ScanInput<'_>,
    options: &ScanOptions<'_>,
) -> Result<Partition, RestError> {
    let search = RequestBuilder::new(Api::V1, "search").cql(query).param("includeArchivedSpaces", "true");
    let page = options.page(CQL_SEARCH_LIMIT, input.limit);
    let direct = |c: &crate::columns::Column| route.direct.iter().any(|d| d.name == c.name);
    if input.columns.iter().all(direct) {
        let search = search.param("expand", route.direct_expand).build(options.dialect, page)?;
        let status = (route.status.column, route.status.searched);
        return Ok(Partition::Searched { search, columns: route.direct, status });
    }
    let search = search.build(options.dialect, page)?;
    // The plain scan's parameters (fixed, projection), without its filters, and the status CQL found.
    let fetch = base_request(spec, input.columns, options)
        .param(route.status.column, route.status.searched)
        .build(options.dialect, CQL_SEARCH_LIMIT)?;
    Ok(Partition::CqlLookup { search, fetch, id_param: route.id_param })
}

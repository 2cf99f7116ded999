//! Planning: (table, projection, filters, limit, options) → a typed [`ScanPlan`] whose partitions hold fully
//! built requests. Planning decides everything and makes no request; `EXPLAIN` prints the plan and
//! [`crate::exec`] only sends it.
//!
//! - [`classify`]: what DataFusion is told about each filter (one classifier, so the promise and the request agree);
//! - [`list`]: a table's own list, filters as parameters, one partition per pinned value or parent;
//! - [`cql_route`]: filters only CQL can apply, searched then fetched by id;
//! - [`child_search`]: a per-parent table read through a CQL search for its parents;
//! - [`fan_out`]: a per-parent table read through its parents' list, when the query names none;
//! - [`space_share`]: a full scan split into chains over shares of the spaces;
//! - [`per_space`]: a table read one space at a time, over the spaces named or all of them;
//! - [`guard`]: the `Spaces` property kept where the request itself cannot keep it;
//! - [`parent_spaces`]: the space of each parent named, for a column that holds it;
//! - [`request`]: one request, built once.

pub mod child_search;
pub mod classify;
pub mod cql_route;
pub mod fan_out;
pub mod guard;
pub mod list;
pub mod parent_spaces;
pub mod per_space;
pub mod request;
pub mod sorted;
pub mod space_share;

use confluence_rest::cql::CqlQuery;
use confluence_rest::Dialect;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;

use crate::columns::Column;
use crate::predicate::Pins;
use crate::spec::{ChildSearch, FanOut, IdSorts, SpaceRef, TableSpec};

pub use guard::Guard;
pub use request::Request;

/// Results per CQL search request (the site search's maximum).
pub const CQL_SEARCH_LIMIT: usize = 100;

/// What every planner of a connection's scans shares.
#[derive(Clone, Copy, Debug)]
pub struct ScanOptions<'a> {
    /// Where the APIs live (URLs are built from it).
    pub dialect: &'a Dialect,
    /// The `Spaces` restriction (empty: every space).
    pub spaces: &'a [String],
    /// `PageSize` (`None`: each endpoint's maximum).
    pub page_size: Option<u32>,
    /// `MaxConcurrency`: how many chains a full scan is split into.
    pub max_concurrency: usize,
    /// For the `cql()` table function: the user's query, already restricted to `Spaces`.
    pub user_cql: Option<&'a CqlQuery>,
}

impl ScanOptions<'_> {
    /// Items per request for an endpoint whose maximum is `max`: `PageSize` when smaller, and the SQL `LIMIT`
    /// when smaller still.
    pub fn page(&self, max: usize, limit: Option<usize>) -> usize {
        let page = self.page_size.map_or(max, |p| (p as usize).clamp(1, max));
        limit.map_or(page, |l| l.clamp(1, page))
    }
}

/// What to scan.
#[derive(Clone, Copy, Debug)]
pub struct ScanInput<'a> {
    /// The table (its per-parent variant is chosen here when the filters pin its parent).
    pub spec: &'static TableSpec,
    /// The columns the scan returns.
    pub columns: &'a [Column],
    /// The filters DataFusion pushed (all of them: `Exact` and `Inexact` ones alike).
    pub filters: &'a [Expr],
    /// The SQL `LIMIT`, when DataFusion pushed it.
    pub limit: Option<usize>,
}

/// The requests a scan makes, decided without any I/O.
#[derive(Clone, Debug)]
pub enum ScanPlan {
    /// Nothing to read: the filters contradict each other (`id = 1 AND id = 2`), or pin values outside `Spaces`.
    Empty {
        /// Why, for `EXPLAIN`.
        reason: &'static str,
    },
    /// A per-parent table whose parent the filters do not pin: an error at planning, saying what to add.
    NeedsParent {
        /// The column to pin.
        column: &'static str,
        /// What to write.
        hint: String,
    },
    /// Requests to send.
    Requests(Requests),
}

/// Partitions of requests, read concurrently within `MaxConcurrency`.
#[derive(Clone, Debug)]
pub struct Requests {
    /// The table the requests read (its per-parent variant when that is what is read).
    pub spec: &'static TableSpec,
    /// One entry per partition.
    pub partitions: Vec<Partition>,
    /// Stop after this many rows (per partition; DataFusion applies the global limit).
    pub limit: Option<usize>,
    /// How `Spaces` is kept when the requests cannot keep it themselves.
    pub guard: Option<Guard>,
    /// For a list the server sorts (see [`sorted`]): the order each partition's rows must come in.
    pub order: Option<OrderCheck>,
    /// The lookups of the parents' spaces, for a `ParentSpace` column (see [`parent_spaces`]).
    pub parent_spaces: Vec<parent_spaces::SpaceLookup>,
}

impl Requests {
    /// Partitions of `spec` with nothing attached yet (no guard, order check or space lookup).
    pub fn new(spec: &'static TableSpec, partitions: Vec<Partition>, limit: Option<usize>) -> Requests {
        Requests { spec, partitions, limit, guard: None, order: None, parent_spaces: Vec::new() }
    }

    /// The parents the per-parent partitions name, in partition order.
    pub fn parents(&self) -> Vec<String> {
        self.partitions
            .iter()
            .filter_map(|p| match p {
                Partition::PerParent { parent, .. } => Some(parent.clone()),
                _ => None,
            })
            .collect()
    }
}

/// The order a sorted list's rows must come in; a server that breaks it fails the scan (the engine keeps only the
/// first rows, so a misplaced one would silently change the answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderCheck {
    /// The column sorted by.
    pub column: &'static str,
    /// Largest first.
    pub descending: bool,
    /// The `sort` value sent, for the error.
    pub param: &'static str,
}

/// One partition's reading.
#[derive(Clone, Debug)]
pub enum Partition {
    /// A list read to its end; `constant` fills the table's `Constant` column (`footer`, `inline`).
    List {
        /// The first page.
        request: Request,
        /// The value of the `Constant` column of its rows.
        constant: Option<&'static str>,
    },
    /// One parent's list (`pages/{id}/labels`); `parent` fills the table's `Parent` column, `constant` its
    /// `Constant` column (the operation of a content restriction).
    PerParent {
        /// The first page.
        request: Request,
        /// The parent's id.
        parent: String,
        /// The value of the `Constant` column of its rows.
        constant: Option<&'static str>,
    },
    /// One row made of several objects, each read with its request and put under its key (see
    /// [`crate::spec::Endpoint::Merged`]).
    Merged {
        /// Each part's key and request.
        parts: Vec<(&'static str, Request)>,
    },
    /// A CQL search for the ids of matching current rows, then one request per page of results for those rows.
    CqlLookup {
        /// The search.
        search: Request,
        /// The fetch, without its ids.
        fetch: Request,
        /// The parameter that takes the ids found.
        id_param: &'static str,
    },
    /// A CQL search whose results are the rows, decoded with `columns` (matched to the scan's by name).
    Searched {
        /// The search.
        search: Request,
        /// Where each column's value is in a result.
        columns: &'static [Column],
        /// The status column and the value of the rows searched for (`current`): other results are dropped.
        status: (&'static str, &'static str),
    },
    /// A CQL search whose results' children are the rows (each result a parent).
    ChildSearch {
        /// The search.
        search: Request,
        /// Where the children and the parent's id are in a result.
        children: &'static ChildSearch,
    },
    /// One of the workers reading every space: the spaces, read from the space directory when the scan runs, are
    /// grouped into cursor chains that the scan's workers share (see `exec::chains`).
    SpaceShare {
        /// The list, without its space ids.
        request: Request,
        /// The parameter that takes the space ids.
        param: &'static str,
        /// Which worker (0-based).
        share: usize,
        /// Of how many.
        shares: usize,
        /// How the list is sorted by id both ways, when a chain can be read from both ends.
        sorts: Option<IdSorts>,
        /// The spaces the query names (keys, one chain each); `None`: every space, in groups.
        named: Option<Vec<String>>,
    },
    /// One of the workers reading a per-space table: every `shares`-th selected space of the space directory, from
    /// the `share`-th, each space's list read in turn (`{space}` in the path replaced by its id or key).
    PerSpace {
        /// The list, with `{space}` in its path.
        request: Request,
        /// What the path takes.
        takes: SpaceRef,
        /// Which worker (0-based).
        share: usize,
        /// Of how many.
        shares: usize,
        /// The spaces to read.
        selection: per_space::SpaceSelection,
    },
    /// One of the workers reading a per-parent table through its parents' list: the parents, listed once when the
    /// scan runs, are taken one at a time by the workers, each reading the parent's child lists in turn.
    FanOut {
        /// The parents' list.
        parents: Request,
        /// The child lists (`{id}` in their paths), each with the spec its rows are decoded with.
        children: Vec<(Request, &'static TableSpec)>,
        /// Where the parent's id and fields are.
        fan_out: &'static FanOut,
        /// The parents read: those whose field at each path is one of the values the query pins its column to.
        keep: Vec<(&'static [&'static str], Vec<String>)>,
        /// Which worker (0-based).
        share: usize,
        /// Of how many.
        shares: usize,
    },
}

/// Plans a scan: a per-space table over its spaces, else the per-parent variant when the filters pin its parent, else the CQL route when a filter only CQL
/// can apply, else a child search (or the parents' list) for an unpinned per-parent table, else the table's list
/// (split across the spaces for a full scan); then the `Spaces` guard.
pub fn plan(input: ScanInput<'_>, options: &ScanOptions<'_>) -> Result<ScanPlan> {
    let spec = classify::reading_spec(input.spec, input.filters);
    // Rows a guard drops do not count towards a LIMIT: pages are then sized as for a full read.
    let sql_limit = input.limit;
    let limit = if guard::drops_rows(spec, options) { None } else { sql_limit };
    let input = ScanInput { spec, limit, ..input };
    let plan = choose(input, options)?;
    let plan = guard::attach(plan, spec, options).map_err(external)?;
    let plan = parent_spaces::attach(plan, input.columns, options).map_err(external)?;
    Ok(match plan {
        ScanPlan::Requests(requests) => ScanPlan::Requests(Requests { limit: sql_limit, ..requests }),
        other => other,
    })
}

/// The plan before the guard.
fn choose(input: ScanInput<'_>, options: &ScanOptions<'_>) -> Result<ScanPlan> {
    let spec = input.spec;
    let pins = Pins::of(input.filters);
    if let Some(plan) = needs_filter(spec, &pins) {
        return Ok(plan);
    }
    if let Some(plan) = per_space::plan(&input, &pins, options).map_err(external)? {
        return Ok(plan);
    }
    if let Some(plan) = cql_route::plan(&input, &pins, options).map_err(external)? {
        return Ok(plan);
    }
    let plan = match spec.per_parent {
        Some(per_parent) => match pins.get(per_parent.column).filter(|ids| ids.len() <= list::MAX_PARENTS) {
            // A list Data Center only has as an expansion: the parents found by id, their children expanded.
            Some(_) if per_parent.child_search.is_some_and(|s| s.column == per_parent.column) => {
                child_search::plan(&input, &pins, options)
                    .map_err(external)?
                    .unwrap_or(ScanPlan::Empty { reason: "the filters pin no parent" })
            }
            Some(_) => list::plan(&input, &pins, options)?,
            // Through the parents' list where the table has one (the same rows whatever else is pinned), else a
            // search for the parents.
            None => match fan_out::plan(&input, &pins, options).map_err(external)? {
                Some(plan) => plan,
                None => child_search::plan(&input, &pins, options)
                    .map_err(external)?
                    .unwrap_or_else(|| needs_parent(spec, per_parent.column)),
            },
        },
        None => space_share::split(list::plan(&input, &pins, options)?, &input, &pins, options).map_err(external)?,
    };
    Ok(plan)
}

/// The refusal of a query that does not pin the filter its table's list requires (every value non-empty: the
/// server reads `type=` as no type at all, and no more values than the rule pushes).
fn needs_filter(spec: &TableSpec, pins: &Pins) -> Option<ScanPlan> {
    let required = spec.required_filter?;
    let column = required.column;
    let named = |values: &[String]| values.iter().all(|value| !value.is_empty());
    let pushed = spec
        .rule(column)
        .zip(pins.get(column))
        .is_some_and(|(rule, values)| values.len() <= rule.max_values && named(values));
    if pushed {
        return None;
    }
    let hint = format!(
        "the {table} table is listed one {column} at a time: add WHERE {column} = '<value>' or {column} IN \
         (<values>) to the query (values written in the query; a join or subquery does not pin them); {hint}",
        table = spec.name,
        hint = required.hint
    );
    Some(ScanPlan::NeedsParent { column, hint })
}

fn needs_parent(spec: &TableSpec, column: &'static str) -> ScanPlan {
    let or_search = match spec.per_parent.and_then(|p| p.child_search).filter(|s| s.column != column) {
        Some(search) => format!(", or WHERE {} = '<value>' (found through CQL {})", search.column, search.field),
        None => String::new(),
    };
    let or_other = match spec.by_parent.and_then(|b| b.per_parent) {
        Some(other) => format!(" (or {0} = <id>, {0} IN (<ids>))", other.column),
        None => String::new(),
    };
    let hint = format!(
        "the {table} table is read one {column} at a time: add WHERE {column} = <id> or {column} IN (<ids>){or_other} \
         to the query (ids written in the query; a join or subquery does not pin them){or_search}",
        table = spec.name
    );
    ScanPlan::NeedsParent { column, hint }
}

/// A request that cannot be built (a URL off the site) as a planning error.
pub fn external(error: confluence_rest::RestError) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::describe;
    use crate::tables::table;
    use datafusion::prelude::{col, lit};
    use datafusion::scalar::ScalarValue;
    use url::Url;

    fn cloud() -> Dialect {
        Dialect::Cloud { api_base: Url::parse("https://acme.atlassian.net").unwrap_or_else(|_| unreachable!()) }
    }

    fn data_center() -> Dialect {
        Dialect::DataCenter { base: Url::parse("https://wiki.corp/confluence").unwrap_or_else(|_| unreachable!()) }
    }

    /// The requests of a plan as `EXPLAIN` shows them, or why there are none.
    fn planned(
        name: &str,
        dialect: &Dialect,
        filters: Vec<Expr>,
        limit: Option<usize>,
        spaces: &[&str],
    ) -> Vec<String> {
        let cloud_dialect = dialect.is_cloud();
        let table = table(name);
        let spec = if cloud_dialect { table.cloud } else { table.data_center.unwrap_or_else(|e| panic!("{e}")) };
        let spaces: Vec<String> = spaces.iter().map(|s| s.to_string()).collect();
        let options = ScanOptions { dialect, spaces: &spaces, page_size: None, max_concurrency: 8, user_cql: None };
        let input = ScanInput { spec, columns: spec.columns, filters: &filters, limit };
        match plan(input, &options).unwrap_or_else(|e| panic!("{e}")) {
            ScanPlan::Empty { reason } => vec![format!("empty: {reason}")],
            ScanPlan::NeedsParent { hint, .. } => vec![format!("needs parent: {hint}")],
            ScanPlan::Requests(requests) => {
                let mut lines: Vec<String> = requests.partitions.iter().map(|p| describe(p, dialect)).collect();
                lines.extend(requests.guard.map(|g| format!("guard: {}", g.describe(dialect))));
                lines
            }
        }
    }

    #[test]
    fn partitions_limits_and_bodies() {
        let filters =
            vec![col("space_key").in_list(vec![lit("ENG"), lit("DOCS")], false), col("status").eq(lit("current"))];
        assert_eq!(
            planned("pages", &cloud(), filters, Some(10), &[]),
            [
                "GET /wiki/api/v2/pages?space-id=<ENG>&body-format=storage&status=current&limit=10",
                "GET /wiki/api/v2/pages?space-id=<DOCS>&body-format=storage&status=current&limit=10"
            ]
        );
    }

    #[test]
    fn a_full_scan_is_split_across_the_spaces_and_a_narrow_one_is_not() {
        let shares = planned("pages", &cloud(), vec![col("status").eq(lit("current"))], None, &[]);
        assert_eq!(shares.len(), 8);
        assert!(shares[7].ends_with("&sort=id&space-id=<every space: worker 8 of 8, from both ends>"), "{}", shares[7]);
        assert!(shares.iter().all(|s| s.contains("status=current")));
        assert_eq!(planned("pages", &cloud(), vec![], Some(5), &[]).len(), 1, "a LIMIT is one request");
        assert_eq!(planned("pages", &cloud(), vec![col("id").eq(lit(1i64))], None, &[]).len(), 1, "a lookup by id");
        assert_eq!(planned("pages", &cloud(), vec![col("title").eq(lit("x"))], None, &[]).len(), 1);
        let named =
            planned("pages", &cloud(), vec![col("space_key").in_list(vec![lit("A"), lit("B")], false)], None, &[]);
        assert_eq!(named.len(), 4, "two workers per named space, one from each end: {named:?}");
        assert!(named[3].ends_with("&sort=id&space-id=<A,B: worker 4 of 4, from both ends>"), "{}", named[3]);
        let tasks =
            planned("tasks", &cloud(), vec![col("space_key").in_list(vec![lit("A"), lit("B")], false)], None, &[]);
        assert_eq!(tasks.len(), 2, "a list that cannot sort by id: one partition per named space: {tasks:?}");
        assert!(tasks.iter().all(|p| !p.contains("worker")), "{tasks:?}");
    }

    #[test]
    fn spaces_restrict_and_contradictions_are_empty() {
        let restricted = planned("pages", &cloud(), vec![], None, &["ENG", "DOCS"]);
        assert_eq!(restricted.len(), 4, "the configured spaces, each read from both ends: {restricted:?}");
        assert!(restricted[0].ends_with("space-id=<ENG,DOCS: worker 1 of 4, from both ends>"), "{restricted:?}");
        assert_eq!(planned("pages", &cloud(), vec![col("space_key").eq(lit("HR"))], None, &["ENG"]).len(), 1);
        assert!(
            planned("pages", &cloud(), vec![col("space_key").eq(lit("HR"))], None, &["ENG"])[0].starts_with("empty")
        );
        let contradiction = vec![col("id").eq(lit(1i64)), col("id").eq(lit(2i64))];
        assert!(planned("pages", &cloud(), contradiction, None, &[])[0].starts_with("empty"));
    }

    #[test]
    fn cql_filters_join_the_search_and_spaces_split_it() {
        let filters = vec![col("page_id").in_list(vec![lit(5i64), lit(6i64)], false)];
        let plan = planned("comments", &data_center(), filters, None, &["ENG", "DOCS"]);
        assert_eq!(plan.len(), 2, "one partition per space: {plan:?}");
        assert!(
            plan[0].starts_with(
                "GET /rest/api/content/search?cql=type = comment AND container IN (\"5\", \"6\") AND space = \"ENG\"&"
            ),
            "{}",
            plan[0]
        );
        assert!(plan[1].contains("AND space = \"DOCS\"&"), "{}", plan[1]);
    }

    #[test]
    fn the_cql_route_searches_then_fetches_by_id() {
        let by_author = vec![col("author_id").eq(lit("x")), col("space_key").eq(lit("ENG"))];
        let plan = planned("pages", &cloud(), by_author, None, &[]);
        assert_eq!(plan.len(), 2, "the search, and the archived pages of ENG: {plan:?}");
        assert!(plan[0].starts_with(
            "GET /wiki/rest/api/search?cql=type = \"page\" AND space = \"ENG\" AND creator = \"x\"&includeArchivedSpaces=true&limit=100 \
             then per page GET /wiki/api/v2/pages?id=<ids found>&body-format=storage&status=current&limit=100"
        ), "{}", plan[0]);
        assert!(plan[1].contains("status=archived"), "{}", plan[1]);
        let current_only = vec![col("author_id").eq(lit("x")), col("status").eq(lit("current"))];
        assert_eq!(planned("pages", &cloud(), current_only, None, &[]).len(), 1);
        let space_id = vec![col("author_id").eq(lit("x")), col("space_id").eq(lit(5i64))];
        assert!(!planned("pages", &cloud(), space_id, None, &[])[0].contains("search"), "space_id is not sent to CQL");
        let t = lit(ScalarValue::TimestampMillisecond(Some(1_710_072_000_000), Some("UTC".into())));
        let since =
            planned("pages", &cloud(), vec![col("created_at").gt_eq(t), col("status").eq(lit("current"))], None, &[]);
        assert!(since[0].contains("created >= \"2024-03-09\""), "{}", since[0]);
    }

    #[test]
    fn per_parent_tables_need_their_parent_or_a_child_search() {
        let hint = planned("page_versions", &cloud(), vec![], None, &[]);
        assert!(hint[0].starts_with("needs parent: the page_versions table is read one page_id at a time"), "{hint:?}");
        let pinned = planned(
            "page_versions",
            &cloud(),
            vec![col("page_id").in_list(vec![lit(1i64), lit(2i64)], false)],
            None,
            &[],
        );
        assert_eq!(
            pinned,
            ["GET /wiki/api/v2/pages/1/versions?limit=250", "GET /wiki/api/v2/pages/2/versions?limit=250"]
        );
        let by_name = vec![col("name").in_list(vec![lit("a"), lit("b")], false)];
        let search = planned("labels", &data_center(), by_name.clone(), None, &["ENG", "DOCS"]);
        assert_eq!(search.len(), 2, "one search per space of Spaces, no guard: {search:?}");
        assert!(
            search[0].contains("cql=type = \"page\" AND label IN (\"a\", \"b\") AND space = \"ENG\""),
            "{}",
            search[0]
        );
        // Cloud reads those labels' lists, found among the site's labels, Spaces sent with them.
        let lists = planned("labels", &cloud(), by_name, None, &["ENG", "DOCS"]);
        assert_eq!(lists.len(), 8, "{lists:?}");
        assert_eq!(
            lists[0],
            "GET /wiki/api/v2/labels?limit=250 then per label whose name in (a, b) (worker 1 of 8) \
             GET /wiki/api/v2/labels/<id>/pages?space-id=<ENG,DOCS>&sort=id&limit=250; \
             GET /wiki/api/v2/labels/<id>/blogposts?space-id=<ENG,DOCS>&sort=id&limit=250"
        );
        let contradiction = vec![col("name").eq(lit("a")), col("name").eq(lit("b"))];
        assert!(planned("labels", &cloud(), contradiction.clone(), None, &[])[0].starts_with("empty"));
        assert!(planned("labels", &data_center(), contradiction, None, &[])[0].starts_with("empty"));
    }

    /// `..` as a parent id once became a path dot-segment (`pages/../versions`): the request went elsewhere.
    #[test]
    fn dot_segments_are_refused() {
        let spec = table("group_members").cloud;
        let options =
            ScanOptions { dialect: &cloud(), spaces: &[], page_size: None, max_concurrency: 8, user_cql: None };
        for dots in ["..", "."] {
            let filters = vec![col("group_id").eq(lit(dots))];
            let error = plan(ScanInput { spec, columns: spec.columns, filters: &filters, limit: None }, &options);
            assert!(error.is_err_and(|e| e.to_string().contains("cannot be sent as part of a request path")), "{dots}");
        }
    }

    #[test]
    fn spaces_guards_where_the_request_cannot_restrict() {
        let comments = planned("comments", &cloud(), vec![], None, &["ENG"]);
        assert_eq!(comments.len(), 3, "{comments:?}");
        assert!(
            comments[2].starts_with("guard: rows kept when page_id or blog_post_id is a page or blog post of Spaces")
        );
        assert!(comments[2].contains("GET /wiki/api/v2/pages?space-id=<ENG>&status=current,archived&limit=250"));
        let labels = planned(
            "labels",
            &cloud(),
            vec![col("page_id").in_list(vec![lit(1i64), lit(2i64)], false)],
            None,
            &["ENG"],
        );
        assert_eq!(
            labels[2],
            "guard: only the content of Spaces is read, found first: GET /wiki/api/v2/pages?space-id=<ENG>&id=1,2&status=current,archived&limit=250"
        );
        let dc_labels = planned("labels", &data_center(), vec![col("page_id").eq(lit(1i64))], None, &["ENG"]);
        assert!(dc_labels[1].contains("content/search?cql=id = \"1\" AND space = \"ENG\""), "{}", dc_labels[1]);
        assert_eq!(planned("users", &cloud(), vec![], None, &["ENG"]).len(), 1, "the site's users are not in a space");
        assert_eq!(planned("pages", &cloud(), vec![], None, &[]).len(), 8, "no guard without Spaces");
    }
}

//! What a table is, declared: its columns, the endpoint that lists it, the filters it can send to the server, and
//! the other ways it can be read (per parent, through CQL, per parent found by a CQL search). Declarations only
//! declare: [`crate::plan`] decides the requests from them, [`crate::exec`] sends them.
//!
//! A table is written as a [`TableSpec`] built from [`TableSpec::BASE`] (`..TableSpec::BASE`), so that it names only
//! what it has. [`Table`] pairs a table's Cloud declaration with its Data Center one, or the reason there is none.

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
    /// A REST v1 list with offsets (Cloud `/wiki/rest/api/`, Data Center `/rest/api/`), e.g. `search/user`.
    V1 {
        /// Path under the v1 root.
        path: &'static str,
        /// The endpoint's maximum `limit`.
        max_limit: usize,
    },
    /// A list with offsets beside the v1 API, under the REST root (Data Center `/rest/`), e.g.
    /// `experimental/content/{id}/version`.
    Rest {
        /// Path under the REST root.
        path: &'static str,
        /// The endpoint's maximum `limit`.
        max_limit: usize,
    },
    /// An unpaginated v1 list: the whole list as one JSON array (Data Center `space/{key}/permissions`).
    Whole {
        /// Path under the v1 root.
        path: &'static str,
    },
    /// A v1 resource that is one JSON object, read as a list of one (`analytics/content/{id}/views`).
    One {
        /// Path under the v1 root.
        path: &'static str,
    },
    /// A v1 resource that is one object holding several lists windowed by one `start`/`limit`
    /// (`content/{id}/restriction/byOperation/read`: its users and its groups); each element is a row, read as
    /// `{"of": <the list's tag>, "item": <the element>}` (see [`confluence_rest::Pagination::Arrays`]).
    Arrays {
        /// Path under the v1 root.
        path: &'static str,
        /// The lists.
        arrays: &'static [confluence_rest::ArrayAt],
        /// The most elements of each list one request may ask for.
        max_limit: usize,
    },
    /// One row made of several objects beside the v1 API, under the REST root (Data Center's licence:
    /// `license/1.0/license/userCount`, `.../maxUsers`, ...): each part is read (only those whose key starts a
    /// selected column's path) and put under its key, and the object made is the row.
    Merged {
        /// The parts.
        parts: &'static [Part],
    },
}

/// One object of a [`Endpoint::Merged`] row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// Where it goes in the row's object: the first element of its columns' paths.
    pub key: &'static str,
    /// Path under the REST root.
    pub path: &'static str,
}

impl Endpoint {
    /// The path (with `{id}` for a per-parent list).
    pub fn path(&self) -> &'static str {
        match self {
            Endpoint::V2 { path, .. }
            | Endpoint::V1 { path, .. }
            | Endpoint::Rest { path, .. }
            | Endpoint::Whole { path }
            | Endpoint::One { path }
            | Endpoint::Arrays { path, .. } => path,
            Endpoint::Merged { parts } => parts.first().map_or("", |p| p.path),
        }
    }

    /// The most items one request may ask for.
    pub fn max_limit(&self) -> usize {
        match self {
            Endpoint::V2 { max_limit, .. }
            | Endpoint::V1 { max_limit, .. }
            | Endpoint::Rest { max_limit, .. }
            | Endpoint::Arrays { max_limit, .. } => *max_limit,
            Endpoint::Whole { .. } | Endpoint::One { .. } | Endpoint::Merged { .. } => usize::MAX,
        }
    }
}

/// How a filter value becomes a request parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamValue {
    /// As written.
    AsIs,
    /// A space key that the scan resolves to a space id (`space-id` parameters).
    SpaceKeyToId,
    /// A CQL clause, `param = "v"` or `param IN (...)` (the parameter names the CQL field), joined with `AND` to
    /// the request's CQL: for tables read through a CQL search (comments and attachments on Data Center).
    Cql,
}

/// A predicate a table can send to the server: `column = value` or `column IN (...)` as a query parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilterRule {
    /// The column.
    pub column: &'static str,
    /// The query parameter (or CQL field).
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
    /// Whether the filter keeps most rows (a status): a full scan with it is still split across the spaces.
    pub broad: bool,
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
            broad: false,
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

    /// A rule that only carries the `Spaces` restriction, for a table with no space column (comments and attachments
    /// on Data Center): the spaces as a CQL `field` clause, one partition per space.
    pub const fn spaces_only(field: &'static str, max_values: usize) -> FilterRule {
        FilterRule { partition: true, restricts_spaces: true, ..FilterRule::cql("", field, max_values) }
    }

    /// The same rule, marked as keeping most rows (a full scan with it is still split across the spaces).
    pub const fn broad(self) -> FilterRule {
        FilterRule { broad: true, ..self }
    }

    /// The same rule, carrying the `Spaces` restriction.
    pub const fn restricting_spaces(self) -> FilterRule {
        FilterRule { restricts_spaces: true, ..self }
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
            broad: false,
        }
    }
}

/// A request parameter sent only when a column is selected (a body, a description).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProjectionParam {
    /// The column that needs it.
    pub column: &'static str,
    /// The parameter (`body-format`, `expand`).
    pub param: &'static str,
    /// Its value.
    pub value: &'static str,
}

/// How a CQL field compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CqlKind {
    /// `column = v` or `column IN (...)` → `field = "v"` / `field IN (...)`.
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
    /// The status column, and its values for content CQL finds (`current`) and content it does not (`archived`).
    pub status: StatusValues,
    /// The columns whose pinned values the search also sends: the id and the space key.
    pub id_column: &'static str,
    /// The space-key column.
    pub space_key_column: &'static str,
    /// The parameter that fetches rows by id from the table's own endpoint.
    pub id_param: &'static str,
    /// The columns the search results themselves hold with the same values as the table's endpoint (by name, read
    /// from each result's `content` with [`CqlRoute::direct_expand`]): a query selecting only these is answered by
    /// the search alone, without fetching its rows by id (half the requests).
    pub direct: &'static [Column],
    /// The search's `expand` for [`CqlRoute::direct`].
    pub direct_expand: &'static str,
}

/// A status column and the values of content a CQL search finds and does not find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusValues {
    /// The column (`status`).
    pub column: &'static str,
    /// What CQL finds (`current`).
    pub searched: &'static str,
    /// What it does not, listed apart (`archived`).
    pub listed: &'static str,
}

/// A table read one parent at a time (`pages/{id}/labels`): the column whose values fill `{id}`, and how the
/// table is read when the query pins another column instead.
#[derive(Clone, Copy, Debug)]
pub struct PerParent {
    /// The column the query must pin (`= v` or `IN (...)`, one partition per value).
    pub column: &'static str,
    /// When the query pins another column CQL can search: the parents found by one search instead.
    pub child_search: Option<&'static ChildSearch>,
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
    /// Where the parent's space id is in a result (for a `ParentSpace` column; empty: nowhere).
    pub parent_space: &'static [&'static str],
}

/// How a per-parent table is read when the query pins no parent at all: the parents are listed (`GET /labels`)
/// when the scan runs, then each parent's lists of children (`labels/{id}/pages`, `labels/{id}/blogposts`), a row
/// per child, the parent's fields filling the row's `Constant` columns. Requests: the parents' list, and one per
/// child list of each parent (more for a long one): few where parents are few beside their children (labels beside
/// the pages they label), instead of a request per child.
#[derive(Clone, Copy, Debug)]
pub struct FanOut {
    /// What a parent is (`label`), for `EXPLAIN` and the docs.
    pub parent_name: &'static str,
    /// The parents' list (cursor pages).
    pub parents: Endpoint,
    /// The parent's id in a parent, which fills `{id}` in the children's paths.
    pub parent_id: &'static [&'static str],
    /// The parent's fields each of its children's rows carries: (the row's `Constant` column, the path in the
    /// parent).
    pub parent_fields: &'static [(&'static str, &'static [&'static str])],
    /// Each parent's lists (`{id}` in their paths), their columns matched to the scan's by name.
    pub children: &'static [&'static TableSpec],
    /// The column holding the children's space id: `= ` or `IN` on it is sent as `space_param`.
    pub space_column: &'static str,
    /// The children lists' parameter taking space ids, which keeps them to `Spaces` (and to the spaces pinned).
    pub space_param: &'static str,
    /// The parents' list parameters for pinned parent fields: (column, parameter), values comma-separated
    /// (`label_id` → `label-id`).
    pub parent_params: &'static [(&'static str, &'static str)],
}

/// A table read one space at a time (`spaces/{id}/permissions`): every space of the site (or of `Spaces`), or the
/// spaces the query names by key or id, each space's list read in turn by one of up to `MaxConcurrency` workers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerSpace {
    /// The column holding the space's id (filled from the space read: `Source::Parent`).
    pub id_column: &'static str,
    /// The column holding the space's key (filled from the space read: `Source::Constant`).
    pub key_column: &'static str,
    /// What the path's `{space}` takes.
    pub path_takes: SpaceRef,
}

/// How a path names a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceRef {
    /// By id (Cloud v2).
    Id,
    /// By key (v1, Data Center).
    Key,
}

/// What keeps a table's rows within the `Spaces` connection property when its request cannot (comments and
/// attachments on Cloud have no space filter; per-page tables name pages, which may be anywhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceScope {
    /// The request restricts the spaces itself (a space filter carries `Spaces`), or the table is read per space.
    Request,
    /// Rows are kept when the content they belong to (any of these id columns) is in one of the spaces.
    Container(&'static [&'static str]),
    /// Rows are kept when this column (a space key, read even when not selected) is one of the spaces.
    SpaceKeyColumn(&'static str),
    /// The table belongs to the site, not to a space (users, groups, the audit log): `Spaces` does not apply.
    Site,
}

/// A table: its name, columns, endpoint and how it can be read.
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
    /// For a list that is a CQL search (`content/search`, `search/user`): the content `type` it searches; the
    /// filters sent as CQL are joined to it.
    pub search_type: Option<&'static str>,
    /// Predicates sent to the server.
    pub filters: &'static [FilterRule],
    /// Endpoints listed together, each with the value of the table's `Constant` column (e.g. footer and inline
    /// comments, with `kind`); empty for the single `endpoint`.
    pub variants: &'static [(&'static str, &'static str)],
    /// A parameter sent only when a column is selected.
    pub on_projection: Option<ProjectionParam>,
    /// For tables read one parent at a time.
    pub per_parent: Option<PerParent>,
    /// For tables read one space at a time.
    pub per_space: Option<PerSpace>,
    /// For a per-parent table whose parents the query does not pin: the parents listed, then their children.
    pub fan_out: Option<&'static FanOut>,
    /// Predicates found through CQL (Cloud), when the list endpoint cannot filter them.
    pub cql_route: Option<&'static CqlRoute>,
    /// The same table read per parent (`pages/{id}/attachments`), used instead of the whole list when the query
    /// pins that spec's parent column.
    pub by_parent: Option<&'static TableSpec>,
    /// The same table read through a CQL search, used instead of the list when the query pins one of its columns
    /// (a page's comments: one search for `container = X` rather than every comment of the site).
    pub by_search: Option<BySearch>,
    /// How the `Spaces` connection property is enforced.
    pub space_scope: SpaceScope,
    /// The `sort` values that list the table by id both ways, when it has them: a long list is then read from
    /// both ends at once (see `exec::chains`).
    pub id_sorts: Option<IdSorts>,
    /// Parameters bounding a time column, when the list has them (the audit log's `startDate`/`endDate`).
    pub time_params: Option<TimeParams>,
    /// The columns a v2 list can be sorted by (`sort=-modified-date`), in the engine's own order: `ORDER BY
    /// updated_at DESC LIMIT 10` then reads the first 10 of the list sorted so (see `plan::sorted`).
    pub sorts: &'static [SortParam],
    /// How deep the service reads the list, when it stops short of the end.
    pub depth_cap: Option<confluence_rest::DepthCap>,
    /// What a server that answers the list with 404 lacks, and what to do instead (an endpoint added in a later
    /// version), appended to the error.
    pub requires: Option<&'static str>,
    /// What a 403 from the list means besides missing permissions (a plan without the feature), and what to do,
    /// appended to the error.
    pub forbidden: Option<&'static str>,
    /// Why the table is not there on Cloud, and what to read instead (a Data Center-only table, whose Cloud
    /// declaration only names its columns).
    pub not_on_cloud: Option<&'static str>,
    /// A filter the endpoint cannot list without (Cloud lists custom content one type at a time): a query that
    /// does not pin the column is refused at planning with the hint.
    pub required_filter: Option<RequiredFilter>,
}

/// A column the query must pin (`=` or `IN`) for the table to be listed, and what to tell a user who did not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequiredFilter {
    /// The column.
    pub column: &'static str,
    /// What the values are and where to find them.
    pub hint: &'static str,
}

/// Another reading of a table, through a CQL search, for queries that pin one of `columns` (`=` or `IN`, as many
/// values as that spec's rule takes).
#[derive(Clone, Copy, Debug)]
pub struct BySearch {
    /// The columns whose pins choose it (`page_id`, `blog_post_id`).
    pub columns: &'static [&'static str],
    /// The reading: a search with the same columns (names and types), the pins sent as CQL.
    pub spec: &'static TableSpec,
}

/// A list's parameters for a range of one time column, as epoch milliseconds, both inclusive. Pushed inexactly
/// (with a day of margin each way; the engine keeps the rows exactly).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeParams {
    /// The column (`created_at`).
    pub column: &'static str,
    /// The parameter for "on or after" (`startDate`).
    pub after: &'static str,
    /// The parameter for "on or before" (`endDate`).
    pub before: &'static str,
}

/// A column a list sorts by, and its two `sort` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortParam {
    /// The column (a timestamp or an id: the server orders it as SQL does).
    pub column: &'static str,
    /// Its `sort` value, ascending (`modified-date`).
    pub ascending: &'static str,
    /// Its `sort` value, descending (`-modified-date`).
    pub descending: &'static str,
}

impl SortParam {
    /// v2's sorts of pages and blog posts by id, creation and last change (not by title: the server's collation is
    /// not SQL's byte order).
    pub const V2_CONTENT: &'static [SortParam] = &[
        SortParam { column: "id", ascending: "id", descending: "-id" },
        SortParam { column: "created_at", ascending: "created-date", descending: "-created-date" },
        SortParam { column: "updated_at", ascending: "modified-date", descending: "-modified-date" },
    ];
}

/// The two `sort` values that list a table by id, ascending and descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdSorts {
    /// By id, ascending (`id`).
    pub ascending: &'static str,
    /// By id, descending (`-id`).
    pub descending: &'static str,
}

impl IdSorts {
    /// v2's `sort=id` and `sort=-id` (pages, blog posts).
    pub const V2: IdSorts = IdSorts { ascending: "id", descending: "-id" };
}

impl TableSpec {
    /// What every table starts from: a `V2` list with nothing else (`name`, `doc`, `columns` and `endpoint` are
    /// always given).
    pub const BASE: TableSpec = TableSpec {
        name: "",
        doc: "",
        columns: &[],
        endpoint: Endpoint::V2 { path: "", max_limit: 250 },
        fixed_params: &[],
        search_type: None,
        filters: &[],
        variants: &[],
        on_projection: None,
        per_parent: None,
        per_space: None,
        fan_out: None,
        cql_route: None,
        by_parent: None,
        by_search: None,
        space_scope: SpaceScope::Request,
        id_sorts: None,
        time_params: None,
        sorts: &[],
        depth_cap: None,
        requires: None,
        forbidden: None,
        not_on_cloud: None,
        required_filter: None,
    };

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The filter rule of `column`.
    pub fn rule(&self, column: &str) -> Option<&'static FilterRule> {
        self.filters.iter().find(|r| r.column == column)
    }

    /// Every column name a rule, a CQL field, a parent, a projection parameter or the space scope refers to
    /// (checked against the columns by a test: a typo would silently switch pushdown off).
    pub fn referenced_columns(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.filters.iter().map(|r| r.column).filter(|c| !c.is_empty()).collect();
        names.extend(self.on_projection.map(|p| p.column));
        if let Some(per_parent) = self.per_parent {
            names.push(per_parent.column);
            names.extend(per_parent.child_search.map(|s| s.column));
        }
        if let Some(per_space) = self.per_space {
            names.extend([per_space.id_column, per_space.key_column]);
        }
        if let Some(fan_out) = self.fan_out {
            names.extend(fan_out.parent_fields.iter().map(|(column, _)| *column));
            names.push(fan_out.space_column);
        }
        if let Some(route) = self.cql_route {
            names.extend(route.fields.iter().map(|f| f.column));
            names.extend([route.status.column, route.id_column, route.space_key_column]);
        }
        match self.space_scope {
            SpaceScope::Container(columns) => names.extend(columns),
            SpaceScope::SpaceKeyColumn(column) => names.push(column),
            SpaceScope::Request | SpaceScope::Site => {}
        }
        names
    }
}

/// A table on both deployments.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    /// How it is read on Cloud.
    pub cloud: &'static TableSpec,
    /// How it is read on Data Center: the same columns (names and types) from that API's objects, or why it cannot
    /// be and what to use instead.
    pub data_center: Result<&'static TableSpec, &'static str>,
}

impl Table {
    /// The SQL name.
    pub fn name(&self) -> &'static str {
        self.cloud.name
    }
}

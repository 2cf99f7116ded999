//! `pages`: pages of every space, from `GET /wiki/api/v2/pages` (one partition per space when several are asked
//! for), with the space key joined in.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{
    CqlField, CqlKind, CqlRoute, Endpoint, FilterRule, IdSorts, ProjectionParam, SortParam, StatusValues, Table,
    TableSpec,
};

const COLUMNS: &[Column] = &[
    col("id", Kind::Int, &["id"], "Page id."),
    col("title", Kind::Text, &["title"], "Title (unique within its space)."),
    col(
        "status",
        Kind::Text,
        &["status"],
        "current, archived, draft, trashed (lists return current and archived unless a status is given).",
    ),
    col("space_id", Kind::Int, &["spaceId"], "Id of the page's space."),
    Column {
        name: "space_key",
        kind: Kind::Text,
        source: Source::SpaceKeyOf(&["spaceId"]),
        doc: "Key of the page's space.",
    },
    col("parent_id", Kind::Int, &["parentId"], "Id of the parent (NULL at the top of the tree)."),
    col(
        "parent_type",
        Kind::Text,
        &["parentType"],
        "What the parent is: page, folder, whiteboard, database or embed (Data Center: page).",
    ),
    col("position", Kind::Int, &["position"], "Position among its siblings."),
    col("author_id", Kind::Text, &["authorId"], "Account id of the creator."),
    col("owner_id", Kind::Text, &["ownerId"], "Account id of the owner."),
    col("created_at", Kind::Time, &["createdAt"], "Creation time."),
    col("version", Kind::Int, &["version", "number"], "Current version number."),
    col("version_message", Kind::Text, &["version", "message"], "Message of the current version."),
    col("updated_at", Kind::Time, &["version", "createdAt"], "When the current version was saved."),
    col("updated_by", Kind::Text, &["version", "authorId"], "Account id of the last editor."),
    col(
        "body_storage",
        Kind::Text,
        &["body", "storage", "value"],
        "Body in storage format (XHTML), fetched only when selected.",
    ),
    col("web_path", Kind::Text, &["_links", "webui"], "Path of the page in the web UI, relative to the site's /wiki."),
];

/// Content CQL finds (current) and content it does not (archived, listed apart).
pub(crate) const CONTENT_STATUSES: StatusValues =
    StatusValues { column: "status", searched: "current", listed: "archived" };

/// What CQL finds for `pages` that the v2 list cannot filter.
static PAGES_CQL: CqlRoute = CqlRoute {
    content_type: "page",
    fields: &[
        CqlField { column: "author_id", field: "creator", kind: CqlKind::Equals },
        CqlField { column: "parent_id", field: "parent", kind: CqlKind::Equals },
        CqlField { column: "created_at", field: "created", kind: CqlKind::Time },
        CqlField { column: "updated_at", field: "lastmodified", kind: CqlKind::Time },
    ],
    status: CONTENT_STATUSES,
    id_column: "id",
    space_key_column: "space_key",
    id_param: "id",
    direct: SEARCHED_CONTENT,
    direct_expand: SEARCHED_EXPAND,
};

/// What a CQL search result (`GET /wiki/rest/api/search`) holds of a page or blog post exactly as v2 gives it, with
/// [`SEARCHED_EXPAND`]: the ids, title, status, space, creator, creation, and current version. (Not the parent, the
/// position, the owner, the body or the web path: v2 words them differently, or v1 lacks them.)
pub(crate) const SEARCHED_CONTENT: &[Column] = &[
    col("id", Kind::Int, &["content", "id"], ""),
    col("title", Kind::Text, &["content", "title"], ""),
    col("status", Kind::Text, &["content", "status"], ""),
    col("space_id", Kind::Int, &["content", "space", "id"], ""),
    col("space_key", Kind::Text, &["content", "space", "key"], ""),
    col("author_id", Kind::Text, &["content", "history", "createdBy", "accountId"], ""),
    col("created_at", Kind::Time, &["content", "history", "createdDate"], ""),
    col("version", Kind::Int, &["content", "version", "number"], ""),
    col("version_message", Kind::Text, &["content", "version", "message"], ""),
    col("updated_at", Kind::Time, &["content", "version", "when"], ""),
    col("updated_by", Kind::Text, &["content", "version", "by", "accountId"], ""),
];

/// The search's `expand` for [`SEARCHED_CONTENT`].
pub(crate) const SEARCHED_EXPAND: &str = "content.space,content.history,content.version";

/// The `pages` table.
pub static PAGES: TableSpec = TableSpec {
    name: "pages",
    doc: "One row per page.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "pages", max_limit: 250 },
    filters: &[
        FilterRule::exact("id", "id", 250),
        FilterRule::exact("space_id", "space-id", 100).partitioned(),
        FilterRule::space_key("space_key", "space-id", 100),
        FilterRule::exact("status", "status", 6).broad(),
        FilterRule::exact("title", "title", 1).inexact(),
    ],
    on_projection: Some(ProjectionParam { column: "body_storage", param: "body-format", value: "storage" }),
    cql_route: Some(&PAGES_CQL),
    id_sorts: Some(IdSorts::V2),
    sorts: SortParam::V2_CONTENT,
    ..TableSpec::BASE
};

/// The columns of Data Center's `/rest/api/content` objects (pages and blog posts), by the name of the column each
/// fills (the same names and types as on Cloud; people are identified by their user key).
pub(crate) const DATA_CENTER_CONTENT: &[Column] = &[
    col("id", Kind::Int, &["id"], ""),
    col("title", Kind::Text, &["title"], ""),
    col("status", Kind::Text, &["status"], ""),
    col("space_id", Kind::Int, &["space", "id"], ""),
    col("space_key", Kind::Text, &["space", "key"], ""),
    Column { name: "parent_id", kind: Kind::Int, source: Source::LastOf(&["ancestors"], "id"), doc: "" },
    Column { name: "parent_type", kind: Kind::Text, source: Source::LastOf(&["ancestors"], "type"), doc: "" },
    col("position", Kind::Int, &["position"], ""),
    col("author_id", Kind::Text, &["history", "createdBy", "userKey"], ""),
    col("owner_id", Kind::Text, &["history", "createdBy", "userKey"], ""),
    col("created_at", Kind::Time, &["history", "createdDate"], ""),
    col("version", Kind::Int, &["version", "number"], ""),
    col("version_message", Kind::Text, &["version", "message"], ""),
    col("updated_at", Kind::Time, &["version", "when"], ""),
    col("updated_by", Kind::Text, &["version", "by", "userKey"], ""),
    col("body_storage", Kind::Text, &["body", "storage", "value"], ""),
    col("web_path", Kind::Text, &["_links", "webui"], ""),
];

/// `pages` on Data Center: `GET /rest/api/content?type=page`, one partition per space key.
pub static PAGES_DATA_CENTER: TableSpec = TableSpec {
    name: "pages",
    doc: "One row per page.",
    columns: DATA_CENTER_CONTENT,
    endpoint: Endpoint::V1 { path: "content", max_limit: 100 },
    fixed_params: &[("type", "page"), ("expand", "space,history,version,ancestors")],
    filters: &[
        FilterRule::exact("space_key", "spaceKey", 100).partitioned().restricting_spaces(),
        FilterRule::exact("status", "status", 1),
        FilterRule::exact("title", "title", 1).inexact(),
    ],
    on_projection: Some(ProjectionParam { column: "body_storage", param: "expand", value: "body.storage" }),
    ..TableSpec::BASE
};

/// `pages` on both deployments.
pub static TABLE: Table = Table { cloud: &PAGES, data_center: Ok(&PAGES_DATA_CENTER) };

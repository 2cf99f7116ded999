//! `labels`: one row per page/label pair for the pages the query names, from
//! `GET /wiki/api/v2/pages/{id}/labels` (one partition per page), or per blog post/label pair for the blog posts it
//! names (`blogposts/{id}/labels`); on Data Center, `GET /rest/api/content/{id}/label` for both. On Cloud, a query
//! that names no page or blog post reads the site's labels (`GET /wiki/api/v2/labels`; only those whose name, id or
//! prefix it pins), then each label's pages and blog posts (`labels/{id}/pages`, `labels/{id}/blogposts`): a request
//! per label and per 250 labelled items, not one per page. On Data Center, the pages that carry a label (`WHERE
//! name = 'release'`) come from one CQL search for `label = "release"` with each page's labels expanded.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{ChildSearch, Endpoint, FanOut, PerParent, SpaceScope, Table, TableSpec};

const COLUMNS: &[Column] = &[
    Column {
        name: "page_id",
        kind: Kind::Int,
        source: Source::Parent,
        doc: "The page (NULL for a blog post's label).",
    },
    Column {
        name: "blog_post_id",
        kind: Kind::Int,
        source: Source::Null,
        doc: "The blog post (NULL for a page's label).",
    },
    col("label_id", Kind::Int, &["id"], "Label id."),
    col("name", Kind::Text, &["name"], "Label name."),
    col("prefix", Kind::Text, &["prefix"], "global, my, team or system."),
    Column {
        name: "space_id",
        kind: Kind::Int,
        source: Source::ParentSpace,
        doc: "The space of the page or blog post (read per page: looked up once per query, NULL for content \
              neither current nor archived).",
    },
];

/// The same columns for a blog post's labels: the parent is the blog post.
const BLOG_POST_COLUMNS: &[Column] = &[
    Column { name: "page_id", kind: Kind::Int, source: Source::Null, doc: "" },
    Column { name: "blog_post_id", kind: Kind::Int, source: Source::Parent, doc: "" },
    col("label_id", Kind::Int, &["id"], ""),
    col("name", Kind::Text, &["name"], ""),
    col("prefix", Kind::Text, &["prefix"], ""),
    Column { name: "space_id", kind: Kind::Int, source: Source::ParentSpace, doc: "" },
];

const DOC: &str = "One row per page/label or blog post/label pair. WHERE page_id, blog_post_id or name = ... (or IN) \
                   reads only those; without them, Cloud reads every label's pages and blog posts (Data Center \
                   requires one).";

/// A label's pages, a row each, the label's fields filled from the label (`GET /wiki/api/v2/labels/{id}/pages`).
const LABELLED_PAGE_COLUMNS: &[Column] = &[
    col("page_id", Kind::Int, &["id"], ""),
    Column { name: "blog_post_id", kind: Kind::Int, source: Source::Null, doc: "" },
    Column { name: "label_id", kind: Kind::Int, source: Source::Constant, doc: "" },
    Column { name: "name", kind: Kind::Text, source: Source::Constant, doc: "" },
    Column { name: "prefix", kind: Kind::Text, source: Source::Constant, doc: "" },
    col("space_id", Kind::Int, &["spaceId"], ""),
];

/// A label's blog posts (`labels/{id}/blogposts`).
const LABELLED_BLOG_POST_COLUMNS: &[Column] = &[
    Column { name: "page_id", kind: Kind::Int, source: Source::Null, doc: "" },
    col("blog_post_id", Kind::Int, &["id"], ""),
    Column { name: "label_id", kind: Kind::Int, source: Source::Constant, doc: "" },
    Column { name: "name", kind: Kind::Text, source: Source::Constant, doc: "" },
    Column { name: "prefix", kind: Kind::Text, source: Source::Constant, doc: "" },
    col("space_id", Kind::Int, &["spaceId"], ""),
];

/// The pages a label is on. The list is sorted by id: `sort=id` is sent.
static LABELLED_PAGES: TableSpec = TableSpec {
    name: "labels",
    doc: DOC,
    columns: LABELLED_PAGE_COLUMNS,
    endpoint: Endpoint::V2 { path: "labels/{id}/pages", max_limit: 250 },
    fixed_params: &[("sort", "id")],
    ..TableSpec::BASE
};

/// The blog posts a label is on.
static LABELLED_BLOG_POSTS: TableSpec = TableSpec {
    columns: LABELLED_BLOG_POST_COLUMNS,
    endpoint: Endpoint::V2 { path: "labels/{id}/blogposts", max_limit: 250 },
    ..LABELLED_PAGES
};

/// Every label of the site, then the pages and blog posts of each (Cloud).
static EVERY_LABEL: FanOut = FanOut {
    parent_name: "label",
    parents: Endpoint::V2 { path: "labels", max_limit: 250 },
    parent_id: &["id"],
    parent_fields: &[("label_id", &["id"]), ("name", &["name"]), ("prefix", &["prefix"])],
    children: &[&LABELLED_PAGES, &LABELLED_BLOG_POSTS],
    space_column: "space_id",
    space_param: "space-id",
    // A name is not a parameter of the list: the labels named are kept as the list is read. (v1's `GET
    // label?name=` answers one label where a name can have several, one per prefix.)
    parent_params: &[("label_id", "label-id"), ("prefix", "prefix")],
};

/// The `labels` table.
pub static LABELS: TableSpec = TableSpec {
    name: "labels",
    doc: DOC,
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "pages/{id}/labels", max_limit: 250 },
    // A pinned name reads that label's lists (the fan-out keeps it), rather than a CQL search: the same rows,
    // blog posts included, whatever is pinned.
    per_parent: Some(PerParent { column: "page_id", child_search: None }),
    fan_out: Some(&EVERY_LABEL),
    by_parent: Some(&BLOG_POST_LABELS),
    // The pages named may be anywhere: only those in Spaces are read.
    space_scope: SpaceScope::Container(&["page_id"]),
    ..TableSpec::BASE
};

/// `labels` read for the blog posts a query names: `GET /wiki/api/v2/blogposts/{id}/labels`.
pub static BLOG_POST_LABELS: TableSpec = TableSpec {
    name: "labels",
    doc: DOC,
    columns: BLOG_POST_COLUMNS,
    endpoint: Endpoint::V2 { path: "blogposts/{id}/labels", max_limit: 250 },
    per_parent: Some(PerParent { column: "blog_post_id", child_search: None }),
    space_scope: SpaceScope::Container(&["blog_post_id"]),
    ..TableSpec::BASE
};

/// `labels` on Data Center: `GET /rest/api/content/{id}/label` (the same label objects as Cloud's REST v1).
pub static LABELS_DATA_CENTER: TableSpec = TableSpec {
    name: "labels",
    doc: DOC,
    columns: COLUMNS,
    endpoint: Endpoint::V1 { path: "content/{id}/label", max_limit: 200 },
    per_parent: Some(PerParent { column: "page_id", child_search: Some(&BY_LABEL_DATA_CENTER) }),
    by_parent: Some(&BLOG_POST_LABELS_DATA_CENTER),
    space_scope: SpaceScope::Container(&["page_id"]),
    ..TableSpec::BASE
};

/// A blog post's labels on Data Center: the same `content/{id}/label`.
pub static BLOG_POST_LABELS_DATA_CENTER: TableSpec = TableSpec {
    columns: BLOG_POST_COLUMNS,
    endpoint: Endpoint::V1 { path: "content/{id}/label", max_limit: 200 },
    ..BLOG_POST_LABELS
};

/// The pages with a label, each with all its labels (Data Center):
/// `GET /rest/api/content/search?cql=type = page AND label = ...&expand=metadata.labels`.
static BY_LABEL_DATA_CENTER: ChildSearch = ChildSearch {
    column: "name",
    field: "label",
    content_type: "page",
    path: "content/search",
    max_limit: 100,
    expand: "metadata.labels,space",
    children: &["metadata", "labels", "results"],
    parent_id: &["id"],
    parent_space: &["space", "id"],
};

/// `labels` on both deployments.
pub static TABLE: Table = Table { cloud: &LABELS, data_center: Ok(&LABELS_DATA_CENTER) };

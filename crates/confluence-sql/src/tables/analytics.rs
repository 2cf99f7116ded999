//! `content_views` and `content_viewers`: Confluence Cloud's analytics for the pages and blog posts a query names,
//! from `GET /wiki/rest/api/analytics/content/{id}/views` and `.../viewers` (one object per content, one partition
//! each). Data Center's REST API has no analytics.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, PerParent, SpaceScope, Table, TableSpec};

const NO_ANALYTICS: &str = "Confluence Data Center's REST API has no page analytics (the Analytics for Confluence \
                            app keeps its own reports); on Cloud these read the analytics API";

const VIEWS_COLUMNS: &[Column] = &[
    Column {
        name: "content_id",
        kind: Kind::Int,
        source: Source::Parent,
        doc: "The page or blog post (required in WHERE: = or IN).",
    },
    col("views", Kind::Int, &["count"], "How many times it was viewed, all time."),
];

const VIEWERS_COLUMNS: &[Column] = &[
    Column {
        name: "content_id",
        kind: Kind::Int,
        source: Source::Parent,
        doc: "The page or blog post (required in WHERE: = or IN).",
    },
    col("viewers", Kind::Int, &["count"], "How many distinct people viewed it, all time."),
];

/// The `content_views` table.
pub static CONTENT_VIEWS: TableSpec = TableSpec {
    name: "content_views",
    doc: "One row per page or blog post named: its total views (Cloud analytics); WHERE content_id = ... (or IN) is \
          required.",
    columns: VIEWS_COLUMNS,
    endpoint: Endpoint::One { path: "analytics/content/{id}/views" },
    per_parent: Some(PerParent { column: "content_id", child_search: None }),
    // The content named may be anywhere: with Spaces, only the pages of those spaces are read.
    space_scope: SpaceScope::Container(&["content_id"]),
    forbidden: Some(
        "page analytics are on the Standard, Premium and Enterprise plans (the Free plan has none), for content \
         the user may view",
    ),
    ..TableSpec::BASE
};

/// The `content_viewers` table.
pub static CONTENT_VIEWERS: TableSpec = TableSpec {
    name: "content_viewers",
    doc: "One row per page or blog post named: how many distinct people viewed it (Cloud analytics); WHERE \
          content_id = ... (or IN) is required.",
    columns: VIEWERS_COLUMNS,
    endpoint: Endpoint::One { path: "analytics/content/{id}/viewers" },
    ..CONTENT_VIEWS
};

/// `content_views`, Cloud only.
pub static VIEWS_TABLE: Table = Table { cloud: &CONTENT_VIEWS, data_center: Err(NO_ANALYTICS) };

/// `content_viewers`, Cloud only.
pub static VIEWERS_TABLE: Table = Table { cloud: &CONTENT_VIEWERS, data_center: Err(NO_ANALYTICS) };

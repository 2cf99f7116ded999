//! `content_restrictions`: who a page or blog post is restricted to, for reading and for editing, from
//! `GET /wiki/rest/api/content/{id}/restriction/byOperation/{read|update}` (Data Center: the same under
//! `/rest/api/`), two requests per content named (one when the query names the operation). Each answer holds a
//! list of users and a list of groups windowed together (`Pagination::Arrays`); each user or group is a row.

use confluence_rest::ArrayAt;

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, PerParent, SpaceScope, Table, TableSpec};

/// The users and the groups of a restriction, windowed by one `start`/`limit`.
const LISTS: &[ArrayAt] = &[
    ArrayAt { path: &["restrictions", "user"], tag: "user" },
    ArrayAt { path: &["restrictions", "group"], tag: "group" },
];

const COLUMNS: &[Column] = &[
    Column {
        name: "content_id",
        kind: Kind::Int,
        source: Source::Parent,
        doc: "The page or blog post (required in WHERE: = or IN).",
    },
    Column {
        name: "operation",
        kind: Kind::Text,
        source: Source::Constant,
        doc: "read (who may view it) or update (who may edit it); WHERE operation = ... reads only that one.",
    },
    col("principal_type", Kind::Text, &["of"], "user or group."),
    Column {
        name: "principal_id",
        kind: Kind::Text,
        source: Source::FirstOf(&["item", "accountId"], &["item", "id"]),
        doc: "Account id of the user, or id of the group (Data Center: user key, or group name).",
    },
    Column {
        name: "principal_name",
        kind: Kind::Text,
        source: Source::FirstOf(&["item", "displayName"], &["item", "name"]),
        doc: "Display name of the user, or name of the group.",
    },
];

/// The restrictions of one operation (`{id}` the content); `variants` lists both operations.
const READ: &str = "content/{id}/restriction/byOperation/read";
const UPDATE: &str = "content/{id}/restriction/byOperation/update";

/// The `content_restrictions` table.
pub static CONTENT_RESTRICTIONS: TableSpec = TableSpec {
    name: "content_restrictions",
    doc: "One row per user or group a page or blog post is restricted to, for reading or editing: its own \
          restrictions (no rows: none of its own; a read restriction on an ancestor page applies too, see \
          page_ancestors); WHERE content_id = ... (or IN) is required.",
    columns: COLUMNS,
    endpoint: Endpoint::Arrays { path: READ, arrays: LISTS, max_limit: 100 },
    variants: &[(READ, "read"), (UPDATE, "update")],
    // Data Center expands only the groups unless asked for both.
    fixed_params: &[("expand", "restrictions.user,restrictions.group")],
    per_parent: Some(PerParent { column: "content_id", child_search: None }),
    // The content named may be anywhere: with Spaces, only the pages and blog posts of those spaces are read.
    space_scope: SpaceScope::Container(&["content_id"]),
    ..TableSpec::BASE
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    Column { name: "content_id", kind: Kind::Int, source: Source::Parent, doc: "" },
    Column { name: "operation", kind: Kind::Text, source: Source::Constant, doc: "" },
    col("principal_type", Kind::Text, &["of"], ""),
    Column {
        name: "principal_id",
        kind: Kind::Text,
        source: Source::FirstOf(&["item", "userKey"], &["item", "name"]),
        doc: "",
    },
    Column {
        name: "principal_name",
        kind: Kind::Text,
        source: Source::FirstOf(&["item", "displayName"], &["item", "name"]),
        doc: "",
    },
];

/// `content_restrictions` on Data Center: the same endpoints under `/rest/api/`, users named by user key.
pub static CONTENT_RESTRICTIONS_DATA_CENTER: TableSpec =
    TableSpec { columns: DATA_CENTER_COLUMNS, ..CONTENT_RESTRICTIONS };

/// `content_restrictions` on both deployments.
pub static TABLE: Table = Table { cloud: &CONTENT_RESTRICTIONS, data_center: Ok(&CONTENT_RESTRICTIONS_DATA_CENTER) };

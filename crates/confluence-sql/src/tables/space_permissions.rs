//! `space_permissions`: who may do what in each space, from `GET /wiki/api/v2/spaces/{id}/permissions`, one space
//! at a time over every space of the site (or the spaces the query names, or those of `Spaces`). On Data Center
//! (9.1 and later), `GET /rest/api/space/{key}/permissions`, one unpaginated array per space.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, PerSpace, SpaceRef, SpaceScope, Table, TableSpec};

const COLUMNS: &[Column] = &[
    Column { name: "space_id", kind: Kind::Int, source: Source::Parent, doc: "Id of the space." },
    Column { name: "space_key", kind: Kind::Text, source: Source::Constant, doc: "Key of the space." },
    col("id", Kind::Int, &["id"], "Id of the permission assignment (NULL on Data Center)."),
    col("principal_type", Kind::Text, &["principal", "type"], "user, group or role (Data Center: user or group)."),
    col(
        "principal_id",
        Kind::Text,
        &["principal", "id"],
        "Account id, group id or role id (Data Center: user key or group name).",
    ),
    col(
        "operation",
        Kind::Text,
        &["operation", "key"],
        "read, create, delete, export, administer, restrict_content, archive, ...",
    ),
    col(
        "target_type",
        Kind::Text,
        &["operation", "targetType"],
        "What it applies to: space, page, blogpost, comment, attachment, ...",
    ),
];

/// Space permissions are read per space: `space_key`/`space_id` choose the spaces.
const PER_SPACE: PerSpace = PerSpace { id_column: "space_id", key_column: "space_key", path_takes: SpaceRef::Id };

/// The `space_permissions` table.
pub static SPACE_PERMISSIONS: TableSpec = TableSpec {
    name: "space_permissions",
    doc: "One row per permission granted in a space (to a user, group or role); every space unless WHERE names some.",
    columns: COLUMNS,
    endpoint: Endpoint::V2 { path: "spaces/{space}/permissions", max_limit: 250 },
    per_space: Some(PER_SPACE),
    space_scope: SpaceScope::Request,
    ..TableSpec::BASE
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    Column { name: "space_id", kind: Kind::Int, source: Source::Parent, doc: "" },
    Column { name: "space_key", kind: Kind::Text, source: Source::Constant, doc: "" },
    Column { name: "id", kind: Kind::Int, source: Source::Null, doc: "" },
    col("principal_type", Kind::Text, &["subject", "type"], ""),
    Column {
        name: "principal_id",
        kind: Kind::Text,
        source: Source::FirstOf(&["subject", "userKey"], &["subject", "name"]),
        doc: "",
    },
    col("operation", Kind::Text, &["operation", "operationKey"], ""),
    col("target_type", Kind::Text, &["operation", "targetType"], ""),
];

/// `space_permissions` on Data Center: `GET /rest/api/space/{key}/permissions` (9.1 and later, unpaginated).
pub static SPACE_PERMISSIONS_DATA_CENTER: TableSpec = TableSpec {
    columns: DATA_CENTER_COLUMNS,
    endpoint: Endpoint::Whole { path: "space/{space}/permissions" },
    per_space: Some(PerSpace { path_takes: SpaceRef::Key, ..PER_SPACE }),
    requires: Some(
        "space permissions are listed by Confluence Data Center 9.1 or later (GET /rest/api/space/{key}/permissions); \
         on an older server, read them in Space tools > Permissions",
    ),
    ..SPACE_PERMISSIONS
};

/// `space_permissions` on both deployments.
pub static TABLE: Table = Table { cloud: &SPACE_PERMISSIONS, data_center: Ok(&SPACE_PERMISSIONS_DATA_CENTER) };

//! `audit_log`: the site's audit records, newest first, from `GET /wiki/rest/api/audit` (site admins only); on
//! Data Center, `GET /rest/api/audit` (system administrators), whose authors are identified by user key.

use crate::columns::{col, Column, Kind};
use crate::spec::{Endpoint, SpaceScope, Table, TableSpec, TimeParams};

const COLUMNS: &[Column] = &[
    col("created_at", Kind::Time, &["creationDate"], "When it happened."),
    col("author_id", Kind::Text, &["author", "accountId"], "Account id of who did it."),
    col("author_name", Kind::Text, &["author", "displayName"], "Display name of who did it."),
    col("remote_address", Kind::Text, &["remoteAddress"], "Client IP address."),
    col("category", Kind::Text, &["category"], "Category, e.g. Permissions."),
    col("summary", Kind::Text, &["summary"], "Summary."),
    col("description", Kind::Text, &["description"], "Description."),
    col("sys_admin", Kind::Bool, &["sysAdmin"], "Whether a system administrator did it."),
    col("object_name", Kind::Text, &["affectedObject", "name"], "Name of the affected object."),
    col("object_type", Kind::Text, &["affectedObject", "objectType"], "Type of the affected object."),
];

/// The `audit_log` table.
pub static AUDIT_LOG: TableSpec = TableSpec {
    name: "audit_log",
    doc: "One row per audit record.",
    columns: COLUMNS,
    endpoint: Endpoint::V1 { path: "audit", max_limit: 1000 },
    space_scope: SpaceScope::Site,
    time_params: Some(TimeParams { column: "created_at", after: "startDate", before: "endDate" }),
    forbidden: Some(
        "the audit log is read by site administrators (Confluence admin permission), and only on the Standard, \
         Premium and Enterprise plans: the Free plan has none",
    ),
    ..TableSpec::BASE
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    col("created_at", Kind::Time, &["creationDate"], ""),
    col("author_id", Kind::Text, &["author", "userKey"], ""),
    col("author_name", Kind::Text, &["author", "displayName"], ""),
    col("remote_address", Kind::Text, &["remoteAddress"], ""),
    col("category", Kind::Text, &["category"], ""),
    col("summary", Kind::Text, &["summary"], ""),
    col("description", Kind::Text, &["description"], ""),
    col("sys_admin", Kind::Bool, &["sysAdmin"], ""),
    col("object_name", Kind::Text, &["affectedObject", "name"], ""),
    col("object_type", Kind::Text, &["affectedObject", "objectType"], ""),
];

/// `audit_log` on Data Center: the same records from `GET /rest/api/audit`, the author as a user key.
pub static AUDIT_LOG_DATA_CENTER: TableSpec = TableSpec {
    columns: DATA_CENTER_COLUMNS,
    forbidden: Some("the audit log is read by Confluence system administrators"),
    ..AUDIT_LOG
};

/// `audit_log` on both deployments.
pub static TABLE: Table = Table { cloud: &AUDIT_LOG, data_center: Ok(&AUDIT_LOG_DATA_CENTER) };

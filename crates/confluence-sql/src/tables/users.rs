//! `users`: every user account, from the v1 user search (`GET /wiki/rest/api/search/user?cql=type=user`), since
//! REST v2 cannot list users.

use crate::columns::{col, Column, Kind};
use crate::table::{Endpoint, TableSpec};

const COLUMNS: &[Column] = &[
    col("account_id", Kind::Text, &["user", "accountId"], "Atlassian account id."),
    col("display_name", Kind::Text, &["user", "displayName"], "Display name."),
    col("public_name", Kind::Text, &["user", "publicName"], "Public name."),
    col("email", Kind::Text, &["user", "email"], "Email (NULL when the user hides it)."),
    col("account_type", Kind::Text, &["user", "accountType"], "atlassian or app."),
    col("account_status", Kind::Text, &["user", "accountStatus"], "active or inactive, when the site reports it."),
    col("time_zone", Kind::Text, &["user", "timeZone"], "IANA time zone."),
];

/// The `users` table.
pub static USERS: TableSpec = TableSpec {
    name: "users",
    doc: "One row per user account.",
    columns: COLUMNS,
    endpoint: Endpoint::V1 { path: "search/user", max_limit: 100 },
    fixed_params: &[("cql", "type = user")],
    filters: &[],
    variants: &[],
    on_projection: None,
    parent: None,
    cql_route: None,
    child_search: None,
    by_parent: None,
    data_center: None,
};

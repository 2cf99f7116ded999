//! `users`: every user account, from the v1 user search (`GET /wiki/rest/api/search/user?cql=type=user`), since
//! REST v2 cannot list users; on Data Center (8.4 and later), `GET /rest/api/user/list`.

use confluence_rest::DepthCap;

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, SpaceScope, Table, TableSpec};

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
    search_type: Some("user"),
    space_scope: SpaceScope::Site,
    depth_cap: Some(DepthCap {
        max: 10_000,
        reason: "Confluence Cloud's user search stops at 10,000 users (Atlassian's CONFCLOUD-77954), so the users \
                 table cannot list every user of this site. Read the members of the groups you need instead \
                 (group_members WHERE group_id = ...), or look users up by account id (cql('type = user AND ...'))",
    }),
    ..TableSpec::BASE
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    col("account_id", Kind::Text, &["userKey"], ""),
    col("display_name", Kind::Text, &["displayName"], ""),
    col("public_name", Kind::Text, &["username"], ""),
    col("email", Kind::Text, &["email"], ""),
    // Data Center users have no account type or time zone in this list.
    Column { name: "account_type", kind: Kind::Text, source: Source::Null, doc: "" },
    col("account_status", Kind::Text, &["status"], ""),
    Column { name: "time_zone", kind: Kind::Text, source: Source::Null, doc: "" },
];

/// `users` on Data Center: every registered user (enabled or not, licensed or not) from `GET /rest/api/user/list`
/// (Data Center 8.4 and later), identified by user key; `public_name` is the username.
pub static USERS_DATA_CENTER: TableSpec = TableSpec {
    columns: DATA_CENTER_COLUMNS,
    endpoint: Endpoint::V1 { path: "user/list", max_limit: 200 },
    search_type: None,
    fixed_params: &[("expand", "status")],
    depth_cap: None,
    requires: Some(
        "the users table needs Confluence Data Center 8.4 or later (GET /rest/api/user/list); on an older server \
         read group_members WHERE group_id = 'confluence-users' (or another group) instead",
    ),
    ..USERS
};

/// `users` on both deployments.
pub static TABLE: Table = Table { cloud: &USERS, data_center: Ok(&USERS_DATA_CENTER) };

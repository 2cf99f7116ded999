//! `license`: one row with the Data Center licence's figures, for licence audits: Data Center's
//! `GET /rest/license/1.0/license/userCount`, `.../maxUsers` and `.../remainingSeats` (each `{"count": n}`) and
//! `.../details` (7.1 and later: whether it is a Data Center licence and when it and its maintenance expire, in
//! epoch milliseconds). Only the objects a selected column reads are requested. Cloud's REST API has no licence
//! figures.
//!
//! Sources: Atlassian's CONFSERVER-37100 names the endpoints (and `details` since 7.1); Atlassian does not publish
//! their responses, so only the fields administrators' monitoring scripts are seen to read are columns (`count`,
//! `dataCenter`, `expiryDate`, `maintenanceExpiryDate`). A field missing from a response reads as NULL.

use crate::columns::{col, Column, Kind};
use crate::spec::{Endpoint, Part, SpaceScope, Table, TableSpec};

const COLUMNS: &[Column] = &[
    col(
        "user_count",
        Kind::Int,
        &["userCount", "count"],
        "Users counting towards the licence (`GET /rest/license/1.0/license/userCount`).",
    ),
    col("max_users", Kind::Int, &["maxUsers", "count"], "Users the licence allows (`.../maxUsers`)."),
    col("remaining_seats", Kind::Int, &["remainingSeats", "count"], "Seats left (`.../remainingSeats`)."),
    col(
        "data_center",
        Kind::Bool,
        &["details", "dataCenter"],
        "Whether it is a Data Center licence (`.../details`, Confluence 7.1 and later).",
    ),
    col("expires_at", Kind::Time, &["details", "expiryDate"], "When the licence expires; NULL when it does not."),
    col(
        "maintenance_expires_at",
        Kind::Time,
        &["details", "maintenanceExpiryDate"],
        "When its maintenance (updates and support) ends.",
    ),
];

const PARTS: &[Part] = &[
    Part { key: "userCount", path: "license/1.0/license/userCount" },
    Part { key: "maxUsers", path: "license/1.0/license/maxUsers" },
    Part { key: "remainingSeats", path: "license/1.0/license/remainingSeats" },
    Part { key: "details", path: "license/1.0/license/details" },
];

/// The `license` table (its Cloud declaration names the columns and says why it is not there).
pub static LICENSE: TableSpec = TableSpec {
    name: "license",
    doc: "One row: the Data Center licence's users, seats and expiry dates.",
    columns: COLUMNS,
    endpoint: Endpoint::Merged { parts: PARTS },
    space_scope: SpaceScope::Site,
    not_on_cloud: Some(
        "Cloud's REST API has no licence figures (they are in Atlassian Administration, admin.atlassian.com, \
         under Billing and Products); system_info gives the site's plan (edition)",
    ),
    ..TableSpec::BASE
};

/// `license` on Data Center.
pub static LICENSE_DATA_CENTER: TableSpec = TableSpec {
    not_on_cloud: None,
    requires: Some(
        "the licence figures are read from Confluence's licence REST resource (/rest/license/1.0/), its details \
         (data_center, expires_at, maintenance_expires_at) from Confluence 7.1 or later: on an older server \
         select only user_count, max_users and remaining_seats",
    ),
    forbidden: Some("the licence is read by Confluence administrators"),
    ..LICENSE
};

/// `license` on both deployments.
pub static TABLE: Table = Table { cloud: &LICENSE, data_center: Ok(&LICENSE_DATA_CENTER) };

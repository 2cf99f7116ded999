//! `system_info`: one row describing the site: Cloud's `GET /wiki/rest/api/settings/systemInfo` (its cloud id,
//! build, edition, title and locale); Data Center's `GET /rest/api/server-information` (9.1 and later: version,
//! build number and date). The columns one deployment does not have are NULL there.

use crate::columns::{col, Column, Kind, Source};
use crate::spec::{Endpoint, SpaceScope, Table, TableSpec};

const COLUMNS: &[Column] = &[
    col("base_url", Kind::Text, &["baseUrl"], "The site's base URL."),
    Column { name: "version", kind: Kind::Text, source: Source::Null, doc: "Confluence version (Data Center)." },
    Column { name: "build_number", kind: Kind::Int, source: Source::Null, doc: "Build number (Data Center)." },
    Column {
        name: "build_date",
        kind: Kind::Text,
        source: Source::Null,
        doc: "When the build was made (Data Center).",
    },
    col("cloud_id", Kind::Text, &["cloudId"], "The site's cloud id (Cloud)."),
    col("commit_hash", Kind::Text, &["commitHash"], "The build's commit (Cloud)."),
    col("edition", Kind::Text, &["edition"], "The plan: free, standard, premium, enterprise (Cloud)."),
    col("site_title", Kind::Text, &["siteTitle"], "The site's title (Cloud)."),
    col("default_locale", Kind::Text, &["defaultLocale"], "The site's default locale (Cloud)."),
];

/// The `system_info` table.
pub static SYSTEM_INFO: TableSpec = TableSpec {
    name: "system_info",
    doc: "One row: the site's build and identity.",
    columns: COLUMNS,
    endpoint: Endpoint::One { path: "settings/systemInfo" },
    space_scope: SpaceScope::Site,
    ..TableSpec::BASE
};

const DATA_CENTER_COLUMNS: &[Column] = &[
    col("base_url", Kind::Text, &["baseUrl"], ""),
    col("version", Kind::Text, &["version"], ""),
    col("build_number", Kind::Int, &["buildNumber"], ""),
    col("build_date", Kind::Text, &["buildDate"], ""),
    Column { name: "cloud_id", kind: Kind::Text, source: Source::Null, doc: "" },
    Column { name: "commit_hash", kind: Kind::Text, source: Source::Null, doc: "" },
    Column { name: "edition", kind: Kind::Text, source: Source::Null, doc: "" },
    Column { name: "site_title", kind: Kind::Text, source: Source::Null, doc: "" },
    Column { name: "default_locale", kind: Kind::Text, source: Source::Null, doc: "" },
];

/// `system_info` on Data Center: `GET /rest/api/server-information` (9.1 and later).
pub static SYSTEM_INFO_DATA_CENTER: TableSpec = TableSpec {
    columns: DATA_CENTER_COLUMNS,
    endpoint: Endpoint::One { path: "server-information" },
    requires: Some(
        "server information is read from Confluence Data Center 9.1 or later (GET /rest/api/server-information); on \
         an older server, see General Configuration > System Information",
    ),
    ..SYSTEM_INFO
};

/// `system_info` on both deployments.
pub static TABLE: Table = Table { cloud: &SYSTEM_INFO, data_center: Ok(&SYSTEM_INFO_DATA_CENTER) };

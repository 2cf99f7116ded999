//! The tables' schemas, snapshot-tested: a change to a column name or type shows up in review as a snapshot diff.

use confluence_sql::internals::columns::schema_of;
use confluence_sql::internals::tables::{ALL, CQL_TABLE};

#[test]
fn table_schemas() {
    let mut text = String::new();
    for table in ALL.iter().chain(std::iter::once(&CQL_TABLE)) {
        text.push_str(&format!("{}:\n", table.name()));
        for field in schema_of(table.cloud.columns).fields() {
            text.push_str(&format!("  {}: {}\n", field.name(), field.data_type()));
        }
    }
    insta::assert_snapshot!(text);
}

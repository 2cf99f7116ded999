//! The tables' schemas, snapshot-tested: a change to a column name or type shows up in review as a snapshot diff.

use confluence_sql::columns::schema_of;
use confluence_sql::tables::{ALL, CQL_SEARCH};

#[test]
fn table_schemas() {
    let mut text = String::new();
    for spec in ALL.iter().copied().chain(std::iter::once(&CQL_SEARCH)) {
        text.push_str(&format!("{}:\n", spec.name));
        for field in schema_of(spec.columns).fields() {
            text.push_str(&format!("  {}: {}\n", field.name(), field.data_type()));
        }
    }
    insta::assert_snapshot!(text);
}

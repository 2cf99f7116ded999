//! The tables, one module each: its columns (with where each value is in the API object), its endpoint, the
//! filters it sends to the server, and how it is read on Data Center (or why it cannot be). Adding a table is
//! adding one module and listing it in [`ALL`].

mod analytics;
mod attachments;
mod audit_log;
mod blog_posts;
mod comments;
mod content_restrictions;
mod cql_search;
mod custom_content;
mod group_members;
mod groups;
mod labels;
mod license;
mod page_ancestors;
mod page_children;
mod page_versions;
mod pages;
mod space_permissions;
mod spaces;
mod system_info;
mod tasks;
mod users;

use crate::columns::Column;
use crate::spec::Table;

pub use cql_search::CQL_TABLE;

/// Every table, in the order `\dt` lists them.
pub static ALL: &[Table] = &[
    spaces::TABLE,
    space_permissions::TABLE,
    pages::TABLE,
    blog_posts::TABLE,
    comments::TABLE,
    attachments::TABLE,
    labels::TABLE,
    page_versions::TABLE,
    page_children::TABLE,
    page_ancestors::TABLE,
    content_restrictions::TABLE,
    tasks::TABLE,
    custom_content::TABLE,
    users::TABLE,
    groups::TABLE,
    group_members::TABLE,
    audit_log::TABLE,
    analytics::VIEWS_TABLE,
    analytics::VIEWERS_TABLE,
    system_info::TABLE,
    license::TABLE,
];

/// The table named `name` (a programming error when there is none: names are the declarations').
#[cfg(test)]
pub fn table(name: &str) -> Table {
    ALL.iter()
        .chain(std::iter::once(&CQL_TABLE))
        .find(|t| t.name() == name)
        .copied()
        .unwrap_or_else(|| panic!("no table {name}"))
}

/// On Data Center, the id of a comment's or attachment's page (`"page"`) or blog post (`"blogpost"`): its
/// `container.id` when `container.type` is that type.
const fn container_id_if(content_type: &'static str) -> crate::columns::Source {
    crate::columns::Source::PathIf(&["container", "id"], &["container", "type"], content_type)
}

/// The column named `name` of `columns`, at compile time (a wrong name does not compile).
const fn content_column(columns: &[Column], name: &str) -> Column {
    let mut i = 0;
    while i < columns.len() {
        if same_text(columns[i].name, name) {
            return columns[i];
        }
        i += 1;
    }
    panic!("no such column")
}

const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::schema_of;
    use datafusion::arrow::datatypes::DataType;

    fn every_spec() -> Vec<&'static crate::spec::TableSpec> {
        let mut specs = Vec::new();
        for table in ALL.iter().chain(std::iter::once(&CQL_TABLE)) {
            specs.push(table.cloud);
            specs.extend(table.cloud.by_parent);
            specs.extend(table.cloud.by_search.map(|s| s.spec));
            if let Ok(dc) = table.data_center {
                specs.push(dc);
                specs.extend(dc.by_parent);
            }
        }
        specs
    }

    /// Column names and types (descriptions are the Cloud declaration's, used for every variant).
    fn types(columns: &[crate::columns::Column]) -> Vec<(String, DataType)> {
        schema_of(columns).fields().iter().map(|f| (f.name().clone(), f.data_type().clone())).collect()
    }

    /// A table whose list needs a filter in every request (custom content's `type`) declares no server sort: the
    /// sorted plan (`plan::sorted`) sends one request with every pinned value, neither checking the required filter
    /// nor splitting its values one per request. Whoever adds a sort to such a table must teach it both.
    #[test]
    fn tables_needing_a_filter_have_no_sorted_plan() {
        for spec in every_spec().into_iter().filter(|s| s.required_filter.is_some()) {
            assert!(spec.sorts.is_empty(), "{} sorts but needs {:?}", spec.name, spec.required_filter);
            let rule = spec.required_filter.and_then(|r| spec.rule(r.column));
            assert!(
                rule.is_some_and(|r| r.partition),
                "{}: the required filter is pushed, one value per request",
                spec.name
            );
        }
    }

    /// A Data Center variant must have exactly the table's columns, so that the schema is the same on both.
    #[test]
    fn data_center_variants_have_the_same_schema() {
        for table in ALL.iter().chain(std::iter::once(&CQL_TABLE)) {
            if let Ok(dc) = table.data_center {
                assert_eq!(types(dc.columns), types(table.cloud.columns), "{}", table.name());
                assert_eq!(dc.name, table.name());
            }
        }
    }

    /// Every column a rule, a CQL field, a parent or a guard refers to exists: a typo would silently switch
    /// pushdown off.
    #[test]
    fn every_column_referred_to_exists() {
        for spec in every_spec() {
            for name in spec.referenced_columns() {
                assert!(spec.column(name).is_some(), "{}: no column {name}", spec.name);
            }
            if let Some(by_parent) = spec.by_parent {
                assert_eq!(types(by_parent.columns), types(spec.columns), "{}", spec.name);
            }
            if let Some(search) = spec.by_search {
                assert_eq!(types(search.spec.columns), types(spec.columns), "{}", spec.name);
                for column in search.columns {
                    assert!(search.spec.rule(column).is_some(), "{}: the search cannot filter {column}", spec.name);
                }
            }
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = ALL.iter().map(|t| t.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}

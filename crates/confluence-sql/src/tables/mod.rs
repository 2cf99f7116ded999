//! The tables, one module each: its columns (with where each value is in the API object), its endpoint and the
//! filters it sends to the server. Adding a table is adding one module and listing it in [`ALL`].

mod attachments;
mod audit_log;
mod blog_posts;
mod comments;
mod cql_search;
mod group_members;
mod groups;
mod labels;
mod page_versions;
mod pages;
mod spaces;
mod tasks;
mod users;

use crate::table::TableSpec;

pub use cql_search::CQL_SEARCH;

/// Every table, in the order `\dt` lists them.
pub static ALL: &[&TableSpec] = &[
    &spaces::SPACES,
    &pages::PAGES,
    &blog_posts::BLOG_POSTS,
    &comments::COMMENTS,
    &attachments::ATTACHMENTS,
    &labels::LABELS,
    &page_versions::PAGE_VERSIONS,
    &tasks::TASKS,
    &users::USERS,
    &groups::GROUPS,
    &group_members::GROUP_MEMBERS,
    &audit_log::AUDIT_LOG,
];

/// On Data Center, the id of a comment's or attachment's page (`"page"`) or blog post (`"blogpost"`): its
/// `container.id` when `container.type` is that type.
const fn container_id_if(content_type: &'static str) -> crate::columns::Source {
    crate::columns::Source::PathIf(&["container", "id"], &["container", "type"], content_type)
}

/// Why a table without a Data Center variant cannot be read there, and what to do instead.
pub fn data_center_gap(table: &str) -> &'static str {
    match table {
        "users" => {
            "Data Center's REST API cannot list users: read group_members WHERE group_id = 'confluence-users' (or \
             another group) instead"
        }
        "tasks" => "Data Center's public REST API has no list of inline tasks",
        _ => "Data Center's REST API has no list this table could read yet",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::schema_of;

    /// A Data Center variant must have exactly the table's columns, so that the schema is the same on both.
    #[test]
    fn data_center_variants_have_the_same_schema() {
        for spec in ALL.iter().copied().chain(std::iter::once(&CQL_SEARCH)) {
            if let Some(dc) = spec.data_center {
                assert_eq!(schema_of(dc.columns), schema_of(spec.columns), "{}", spec.name);
                assert_eq!(dc.name, spec.name);
            }
        }
    }
}

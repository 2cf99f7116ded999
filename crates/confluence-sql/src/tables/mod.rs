//! The tables, one module each: its columns (with where each value is in the API object), its endpoint and the
//! filters it sends to the server. Adding a table is adding one module and listing it in [`ALL`].

mod attachments;
mod audit_log;
mod blog_posts;
mod comments;
mod cql_search;
mod groups;
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
    &tasks::TASKS,
    &users::USERS,
    &groups::GROUPS,
    &audit_log::AUDIT_LOG,
];

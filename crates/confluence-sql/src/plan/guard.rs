//! The `Spaces` connection property where a request cannot keep it: Cloud's comment and attachment lists have no
//! space filter, per-page tables name pages that may be anywhere, and `cql()` runs the user's query. A [`Guard`]
//! keeps only the rows of the spaces, with requests planned here (so `EXPLAIN` shows them) and sent once per scan.

use confluence_rest::cql::CqlQuery;
use confluence_rest::RestError;

use crate::spec::{SpaceScope, TableSpec};

use super::request::{Api, Request, RequestBuilder};
use super::{Partition, ScanOptions, ScanPlan, CQL_SEARCH_LIMIT};

/// How a scan keeps to `Spaces` when its requests cannot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guard {
    /// Keep the rows whose `column` (a space key, read even when not selected) is one of `keys`.
    SpaceKey {
        /// The column.
        column: &'static str,
        /// The spaces.
        keys: Vec<String>,
    },
    /// Keep the rows whose content (the id in any of `columns`) is a page or blog post of the spaces, listed first by
    /// `lists`.
    Containers {
        /// The columns holding the content's id.
        columns: &'static [&'static str],
        /// The lists of the spaces' pages and blog posts (ids only).
        lists: Vec<Request>,
    },
    /// Read only the parents that are in the spaces, found first by `checks`.
    Parents {
        /// The lists (or the search) of which of the pinned parents are in the spaces.
        checks: Vec<Request>,
    },
}

/// Whether a guard will drop rows of `spec`'s scans (rather than only choosing which requests to send).
pub fn drops_rows(spec: &TableSpec, options: &ScanOptions<'_>) -> bool {
    !options.spaces.is_empty()
        && match spec.space_scope {
            // The request carries the spaces (the guard only checks them): pages may follow the LIMIT.
            SpaceScope::SpaceKeyColumn(_) => false,
            SpaceScope::Container(_) => spec.per_parent.is_none(),
            SpaceScope::Request | SpaceScope::Site => false,
        }
}

/// Adds the guard `spec` needs when `Spaces` is set and the plan's requests cannot keep to it.
pub fn attach(plan: ScanPlan, spec: &TableSpec, options: &ScanOptions<'_>) -> Result<ScanPlan, RestError> {
    let ScanPlan::Requests(mut requests) = plan else { return Ok(plan) };
    let keys = options.spaces.to_vec();
    if keys.is_empty() {
        return Ok(ScanPlan::Requests(requests));
    }
    requests.guard = match spec.space_scope {
        SpaceScope::Request | SpaceScope::Site => None,
        SpaceScope::SpaceKeyColumn(column) => Some(Guard::SpaceKey { column, keys }),
        SpaceScope::Container(columns) => {
            let parents = requests.parents();
            let searched = requests
                .partitions
                .iter()
                .all(|p| matches!(p, Partition::ChildSearch { .. } | Partition::FanOut { .. }));
            match (parents.is_empty(), searched) {
                // A child search carries the spaces in its CQL, a fan-out's child lists as their space parameter.
                (_, true) => None,
                (false, _) => Some(Guard::Parents { checks: parents_check(&parents, columns, &keys, options)? }),
                (true, _) => Some(Guard::Containers { columns, lists: container_lists(&keys, options)? }),
            }
        }
    };
    Ok(ScanPlan::Requests(requests))
}

/// Which of `parents` are in `keys`: pages for `page_id`, blog posts for `blog_post_id`, either for `content_id`.
/// On Cloud the v2 page (and blog post) list by id and space; on Data Center one search, whatever the type.
fn parents_check(
    parents: &[String],
    columns: &[&str],
    keys: &[String],
    options: &ScanOptions<'_>,
) -> Result<Vec<Request>, RestError> {
    const PAGES: (&str, &str) = ("pages", "current,archived");
    const BLOG_POSTS: (&str, &str) = ("blogposts", "current");
    let lists: &[(&str, &str)] = match columns {
        ["blog_post_id"] => &[BLOG_POSTS],
        ["content_id"] => &[PAGES, BLOG_POSTS],
        _ => &[PAGES],
    };
    if options.dialect.is_cloud() {
        lists
            .iter()
            .map(|(list, statuses)| {
                RequestBuilder::new(Api::V2, *list)
                    .param("id", parents.join(","))
                    .param("status", *statuses)
                    .space_ids("space-id", keys.to_vec())
                    .build(options.dialect, 250)
            })
            .collect()
    } else {
        let cql = CqlQuery::new().any_of("id", parents, false).any_of("space", keys, false);
        // With the space: the rows' `space_id` (labels) comes from this check too.
        let search = RequestBuilder::new(Api::V1, "content/search")
            .cql(cql)
            .param("includeArchivedSpaces", "true")
            .param("expand", "space");
        Ok(vec![search.build(options.dialect, CQL_SEARCH_LIMIT)?])
    }
}

/// Every page and blog post of `keys` (ids only): the v2 lists on Cloud, one search on Data Center.
fn container_lists(keys: &[String], options: &ScanOptions<'_>) -> Result<Vec<Request>, RestError> {
    if options.dialect.is_cloud() {
        let list = |path: &str, statuses: &str| {
            RequestBuilder::new(Api::V2, path).param("status", statuses).space_ids("space-id", keys.to_vec())
        };
        Ok(vec![
            list("pages", "current,archived").build(options.dialect, 250)?,
            list("blogposts", "current").build(options.dialect, 250)?,
        ])
    } else {
        let cql = CqlQuery::new()
            .any_of("type", &["page".to_owned(), "blogpost".to_owned()], false)
            .any_of("space", keys, false);
        let search = RequestBuilder::new(Api::V1, "content/search").cql(cql).param("includeArchivedSpaces", "true");
        Ok(vec![search.build(options.dialect, CQL_SEARCH_LIMIT)?])
    }
}

impl Guard {
    /// What `EXPLAIN` says about it.
    pub fn describe(&self, dialect: &confluence_rest::Dialect) -> String {
        match self {
            Guard::SpaceKey { column, keys } => format!("rows kept when {column} is one of {}", keys.join(", ")),
            Guard::Containers { columns, lists } => {
                let requests: Vec<String> = lists.iter().map(|r| r.describe(dialect)).collect();
                format!(
                    "rows kept when {} is a page or blog post of Spaces, listed first: {}",
                    columns.join(" or "),
                    requests.join("; ")
                )
            }
            Guard::Parents { checks } => {
                let requests: Vec<String> = checks.iter().map(|r| r.describe(dialect)).collect();
                format!("only the content of Spaces is read, found first: {}", requests.join("; "))
            }
        }
    }
}

//! The space of each parent a per-parent plan names, for a column that holds it (`labels.space_id`: a page's
//! labels do not say which space the page is in). One lookup per scan, planned here so that `EXPLAIN` shows it,
//! sent only when such a column is selected: on Cloud the v2 page (or blog post) list by id, on Data Center one
//! search with the space expanded. Under `Spaces` there is none: the guard's check of the parents named (which
//! reads only content within them) answers with their spaces.

use confluence_rest::cql::CqlQuery;
use confluence_rest::RestError;

use crate::columns::{Column, Source};

use super::request::{Api, RequestBuilder};
use super::{Request, ScanOptions, ScanPlan, CQL_SEARCH_LIMIT};

/// A list of the parents named, and where each result's space id is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceLookup {
    /// The list (ids only, with the space).
    pub request: Request,
    /// Where a result's space id is.
    pub space: &'static [&'static str],
}

/// Adds the lookups to a plan that reads per parent and selects a `ParentSpace` column.
pub fn attach(plan: ScanPlan, columns: &[Column], options: &ScanOptions<'_>) -> Result<ScanPlan, RestError> {
    let ScanPlan::Requests(mut requests) = plan else { return Ok(plan) };
    if !columns.iter().any(|c| c.source == Source::ParentSpace) {
        return Ok(ScanPlan::Requests(requests));
    }
    let mut parents = requests.parents();
    parents.sort();
    parents.dedup();
    let Some(per_parent) = requests.spec.per_parent.filter(|_| !parents.is_empty()) else {
        return Ok(ScanPlan::Requests(requests));
    };
    // Under `Spaces`, the check of the parents named already answers with their spaces.
    if matches!(requests.guard, Some(super::Guard::Parents { .. })) {
        return Ok(ScanPlan::Requests(requests));
    }
    requests.parent_spaces = if options.dialect.is_cloud() {
        let (list, statuses) = match per_parent.column {
            "blog_post_id" => ("blogposts", "current"),
            _ => ("pages", "current,archived"),
        };
        let request = RequestBuilder::new(Api::V2, list)
            .param("id", parents.join(","))
            .param("status", statuses)
            .build(options.dialect, parents.len())?;
        vec![SpaceLookup { request, space: &["spaceId"] }]
    } else {
        let cql = CqlQuery::new().any_of("id", &parents, false);
        let request = RequestBuilder::new(Api::V1, "content/search")
            .cql(cql)
            .param("includeArchivedSpaces", "true")
            .param("expand", "space")
            .build(options.dialect, CQL_SEARCH_LIMIT)?;
        vec![SpaceLookup { request, space: &["space", "id"] }]
    };
    Ok(ScanPlan::Requests(requests))
}

//! A per-parent table whose parent the query does not pin, but which pins a column CQL can search (`labels WHERE
//! name = 'release'`): one CQL search for the parents (one partition per space of `Spaces`), each result with its
//! children expanded; the children are the rows.

use confluence_rest::cql::CqlQuery;
use confluence_rest::RestError;

use crate::predicate::Pins;

use super::request::{Api, RequestBuilder};
use super::{Partition, Requests, ScanInput, ScanOptions, ScanPlan};

/// The child search, when the table has one and the filters pin its column; `None` otherwise.
pub fn plan(input: &ScanInput<'_>, pins: &Pins, options: &ScanOptions<'_>) -> Result<Option<ScanPlan>, RestError> {
    let Some(search) = input.spec.per_parent.and_then(|p| p.child_search) else { return Ok(None) };
    let Some(values) = pins.get(search.column) else { return Ok(None) };
    if values.is_empty() {
        return Ok(Some(ScanPlan::Empty { reason: "the filters contradict each other" }));
    }
    let query = CqlQuery::new().clause("type", "=", search.content_type).any_of(search.field, values, false);
    let page = options.page(search.max_limit, None);
    let partition = |cql: CqlQuery| -> Result<Partition, RestError> {
        let request = RequestBuilder::new(Api::V1, search.path)
            .cql(cql)
            .param("includeArchivedSpaces", "true")
            .param("expand", search.expand)
            .build(options.dialect, page)?;
        Ok(Partition::ChildSearch { search: request, children: search })
    };
    let partitions = match options.spaces {
        [] => vec![partition(query)?],
        spaces => spaces
            .iter()
            .map(|space| partition(query.clone().any_of("space", std::slice::from_ref(space), false)))
            .collect::<Result<_, _>>()?,
    };
    Ok(Some(ScanPlan::Requests(Requests::new(input.spec, partitions, None))))
}

//! A full scan of a Cloud list that filters by space is split into `MaxConcurrency` partitions, each over a share
//! of the spaces (`space-id=...`, read from the space directory when the scan runs), so that it runs several
//! cursor chains at once instead of one. A query that names spaces is split by space already, and a small one (a
//! `LIMIT`, a lookup by id or title) is cheaper as one request.

use confluence_rest::RestError;

use crate::predicate::Pins;
use crate::spec::{Endpoint, ParamValue};

use super::{Partition, Requests, ScanInput, ScanOptions, ScanPlan};

/// Space ids a v2 list takes in one `space-id` parameter.
pub const SPACES_PER_REQUEST: usize = 100;

/// `plan` split across shares of the spaces when it is one unfiltered list (broad filters such as a status
/// aside) of a v2 endpoint that takes space ids, with no `LIMIT`; else `plan` itself.
pub fn split(
    plan: ScanPlan,
    input: &ScanInput<'_>,
    pins: &Pins,
    options: &ScanOptions<'_>,
) -> Result<ScanPlan, RestError> {
    let ScanPlan::Requests(requests) = plan else { return Ok(plan) };
    let spec = input.spec;
    let rule = spec.filters.iter().find(|r| r.value == ParamValue::SpaceKeyToId && r.partition);
    let pushed = |c: &str| spec.rule(c).filter(|r| pins.get(c).is_some_and(|v| v.len() <= r.max_values));
    let narrowed = pins.columns().any(|c| pushed(c).is_some_and(|r| !r.broad));
    let single = match requests.partitions.as_slice() {
        [Partition::List { request, .. }] => request.space_ids.is_none(),
        _ => false,
    };
    let eligible = options.max_concurrency >= 2
        && matches!(spec.endpoint, Endpoint::V2 { .. })
        && spec.per_parent.is_none()
        && input.limit.is_none()
        && !narrowed
        && single;
    let (Some(rule), true, Some(Partition::List { request, .. })) = (rule, eligible, requests.partitions.first())
    else {
        return Ok(ScanPlan::Requests(requests));
    };
    let shares = options.max_concurrency;
    let partitions = (0..shares)
        .map(|share| Partition::SpaceShare { request: request.clone(), param: rule.param, share, shares })
        .collect();
    Ok(ScanPlan::Requests(Requests { partitions, ..requests }))
}

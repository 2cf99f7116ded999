//! A scan of a Cloud list over every space (or over the spaces a query names, when the list can be read from both
//! ends) runs as up to `MaxConcurrency` partitions, workers sharing cursor chains over the spaces (`space-id=...`,
//! resolved from the space directory when the scan runs; see `exec::chains`), so that it runs several chains at
//! once instead of one, and a long chain from both ends. A small scan (a `LIMIT`, a lookup by id or title) is
//! cheaper as one request.

use confluence_rest::RestError;

use crate::predicate::Pins;
use crate::spec::{Endpoint, ParamValue};

use super::{Partition, Requests, ScanInput, ScanOptions, ScanPlan};

/// Space ids a v2 list takes in one `space-id` parameter.
pub const SPACES_PER_REQUEST: usize = 100;

/// `plan` split into workers when it is a list of a v2 endpoint that takes space ids, with no `LIMIT` and no
/// narrowing filter (broad ones such as a status aside), over every space or, if the list sorts by id both ways,
/// one list per named space; else `plan` itself.
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
    let narrowed = pins.columns().any(|c| pushed(c).is_some_and(|r| !r.broad && r.value != ParamValue::SpaceKeyToId));
    // `None`: every space; `Some`: the spaces named, one list each.
    let spaces: Option<Option<Vec<String>>> = match requests.partitions.as_slice() {
        [Partition::List { request, constant: None }] if request.space_ids.is_none() => Some(None),
        partitions if spec.id_sorts.is_some() => partitions
            .iter()
            .map(|p| match p {
                Partition::List { request, constant: None } => match &request.space_ids {
                    Some(ids) if ids.keys.len() == 1 => Some(ids.keys[0].clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect::<Option<Vec<String>>>()
            .map(Some),
        _ => None,
    };
    let eligible = options.max_concurrency >= 2
        && matches!(spec.endpoint, Endpoint::V2 { .. })
        && spec.per_parent.is_none()
        && input.limit.is_none()
        && !narrowed;
    let (Some(rule), true, Some(named), Some(Partition::List { request, .. })) =
        (rule, eligible, spaces, requests.partitions.first())
    else {
        return Ok(ScanPlan::Requests(requests));
    };
    // Read from both ends only where the list is in the order asked for: sorted by id explicitly.
    let sorts = spec.id_sorts.filter(|_| !request.url.query_pairs().any(|(k, _)| k == "sort"));
    let mut request = request.clone();
    request.space_ids = None;
    if let Some(sorts) = sorts {
        request.url.query_pairs_mut().append_pair("sort", sorts.ascending);
    }
    let shares = match &named {
        None => options.max_concurrency,
        Some(keys) => options.max_concurrency.min(keys.len() * if sorts.is_some() { 2 } else { 1 }),
    };
    if shares < 2 {
        return Ok(ScanPlan::Requests(requests));
    }
    let partitions = (0..shares)
        .map(|share| Partition::SpaceShare {
            request: request.clone(),
            param: rule.param,
            share,
            shares,
            sorts,
            named: named.clone(),
        })
        .collect();
    Ok(ScanPlan::Requests(Requests { partitions, ..requests }))
}

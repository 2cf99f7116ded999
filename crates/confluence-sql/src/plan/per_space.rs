//! A table read one space at a time (`spaces/{id}/permissions`): the spaces the query names (by key or id), else
//! those of `Spaces`, else every space of the site, found in the space directory when the scan runs and shared
//! round-robin by up to `MaxConcurrency` workers, each reading its spaces' lists one after another.

use confluence_rest::RestError;

use crate::predicate::Pins;
use crate::spec::PerSpace;

use super::list::base_request;
use super::{Partition, Requests, ScanInput, ScanOptions, ScanPlan};

/// The path segment execution replaces with each space's id or key.
pub const SPACE_PLACEHOLDER: &str = "{space}";

/// The spaces one scan reads: `None` in a field is "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpaceSelection {
    /// Only these keys (compared case-insensitively).
    pub keys: Option<Vec<String>>,
    /// Only these ids.
    pub ids: Option<Vec<i64>>,
}

impl SpaceSelection {
    /// Whether the space `id`/`key` is selected.
    pub fn admits(&self, id: i64, key: &str) -> bool {
        self.keys.as_ref().is_none_or(|keys| keys.iter().any(|k| k.eq_ignore_ascii_case(key)))
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&id))
    }

    /// `ENG,DOCS`, `id 5`, or `every space`, for `EXPLAIN`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(keys) = &self.keys {
            parts.push(keys.join(","));
        }
        if let Some(ids) = &self.ids {
            parts.push(format!("id {}", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")));
        }
        if parts.is_empty() {
            "every space".to_owned()
        } else {
            parts.join(" and ")
        }
    }
}

/// The per-space plan, when the table is read per space; `None` otherwise.
pub fn plan(input: &ScanInput<'_>, pins: &Pins, options: &ScanOptions<'_>) -> Result<Option<ScanPlan>, RestError> {
    let spec = input.spec;
    let Some(per_space) = spec.per_space else { return Ok(None) };
    let Some(selection) = selection(per_space, pins, options.spaces) else {
        return Ok(Some(ScanPlan::Empty { reason: "the filters name no space, or only spaces outside Spaces" }));
    };
    let page = options.page(spec.endpoint.max_limit(), input.limit);
    let request = base_request(spec, input.columns, options).build(options.dialect, page)?;
    let named = selection.keys.as_ref().map(Vec::len).into_iter().chain(selection.ids.as_ref().map(Vec::len)).min();
    let shares = named.map_or(options.max_concurrency, |n| n.min(options.max_concurrency)).max(1);
    let partitions = (0..shares)
        .map(|share| Partition::PerSpace {
            request: request.clone(),
            takes: per_space.path_takes,
            share,
            shares,
            selection: selection.clone(),
        })
        .collect();
    Ok(Some(ScanPlan::Requests(Requests::new(spec, partitions, input.limit))))
}

/// The spaces to read; `None` when no space can match (ids that are not numbers, keys outside `Spaces`).
fn selection(per_space: PerSpace, pins: &Pins, spaces: &[String]) -> Option<SpaceSelection> {
    let mut keys: Option<Vec<String>> = pins.get(per_space.key_column).map(<[String]>::to_vec);
    if !spaces.is_empty() {
        keys = Some(match keys {
            Some(mut named) => {
                named.retain(|k| spaces.iter().any(|s| s.eq_ignore_ascii_case(k)));
                named
            }
            None => spaces.to_vec(),
        });
    }
    let ids: Option<Vec<i64>> =
        pins.get(per_space.id_column).map(|ids| ids.iter().filter_map(|id| id.parse().ok()).collect());
    if keys.as_ref().is_some_and(Vec::is_empty) || ids.as_ref().is_some_and(Vec::is_empty) {
        return None;
    }
    Some(SpaceSelection { keys, ids })
}

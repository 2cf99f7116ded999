//! A table's own list: pushed filters become parameters (or CQL clauses, for a list that is a search), a
//! multi-valued partitioning filter (or the `Spaces` restriction) becomes one partition per value, a per-parent
//! table gets one partition per parent, the projection decides what extra the server sends (bodies), and the page
//! size follows the endpoint's maximum, `PageSize` and the SQL `LIMIT`.

use confluence_rest::cql::CqlQuery;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;

use crate::columns::Column;
use crate::columns::Source;
use crate::predicate::{time_bound, Pins, Side};
use crate::spec::{Endpoint, FilterRule, ParamValue, Part, TableSpec};

use super::request::{path_segment, Api, RequestBuilder};
use super::{Partition, Requests, ScanInput, ScanOptions, ScanPlan};

/// The most parents a per-parent scan reads (one partition, and one request at least, each).
pub const MAX_PARENTS: usize = 250;

/// The filters a list sends: each rule with the values the query pins its column to (rules sharing a parameter
/// intersected, the `Spaces` restriction applied); `None` when they contradict each other.
pub fn pinned_rules(
    spec: &TableSpec,
    pins: &Pins,
    spaces: &[String],
) -> Option<Vec<(&'static FilterRule, Vec<String>)>> {
    let mut pinned: Vec<(&'static FilterRule, Vec<String>)> = Vec::new();
    for rule in spec.filters {
        let Some(values) = pins.get(rule.column) else { continue };
        if values.len() > rule.max_values {
            continue;
        }
        match pinned.iter_mut().find(|(r, _)| r.param == rule.param && r.value == rule.value) {
            Some((_, existing)) => existing.retain(|v| values.contains(v)),
            None => pinned.push((rule, values.to_vec())),
        }
    }
    if let (false, Some(rule)) = (spaces.is_empty(), spec.filters.iter().find(|r| r.restricts_spaces)) {
        match pinned.iter_mut().find(|(r, _)| r.restricts_spaces) {
            Some((_, values)) => values.retain(|v| spaces.iter().any(|s| s.eq_ignore_ascii_case(v))),
            None => pinned.push((rule, spaces.to_vec())),
        }
    }
    pinned.iter().all(|(_, values)| !values.is_empty()).then_some(pinned)
}

/// What every request of a table's list carries: its search type and the user's CQL (as CQL), its fixed
/// parameters, and the parameter a selected column needs.
pub fn base_request(spec: &TableSpec, columns: &[Column], options: &ScanOptions<'_>) -> RequestBuilder {
    let mut builder = RequestBuilder::new(Api::of(&spec.endpoint), spec.endpoint.path());
    if let Some(search_type) = spec.search_type {
        builder = builder.cql(CqlQuery::new().keyword("type", "=", search_type));
    }
    if let Some(cql) = options.user_cql {
        builder = builder.cql(cql.clone());
    }
    builder = builder.params(spec.fixed_params.iter().copied());
    match spec.on_projection {
        Some(p) if columns.iter().any(|c| c.name == p.column) => builder.param(p.param, p.value),
        _ => builder,
    }
}

/// A day, the margin of a time range sent to the server (its reading of the bound may differ; the engine keeps
/// the rows exactly).
const DAY_MS: i64 = 86_400_000;

/// The list's time-range parameters for the tightest bounds the filters set on its time column.
pub(super) fn time_range(builder: RequestBuilder, spec: &TableSpec, filters: &[Expr]) -> RequestBuilder {
    let Some(params) = spec.time_params else { return builder };
    let bounds: Vec<_> = filters.iter().filter_map(time_bound).filter(|b| b.column == params.column).collect();
    let after = bounds.iter().filter(|b| b.side == Side::After).map(|b| b.at_ms).max();
    let before = bounds.iter().filter(|b| b.side == Side::Before).map(|b| b.at_ms).min();
    let mut builder = builder;
    if let Some(at) = after.and_then(|at| at.checked_sub(DAY_MS)) {
        builder = builder.param(params.after, at.max(0).to_string());
    }
    if let Some(at) = before.and_then(|at| at.checked_add(DAY_MS)) {
        builder = builder.param(params.before, at.to_string());
    }
    builder
}

/// Sends a pushed filter: as a parameter (values comma-separated), or as a CQL clause.
fn add_filter(builder: RequestBuilder, rule: &FilterRule, values: &[String]) -> RequestBuilder {
    match rule.value {
        ParamValue::Cql => builder.cql(CqlQuery::new().any_of(rule.param, values, false)),
        ParamValue::AsIs | ParamValue::SpaceKeyToId => builder.param(rule.param, values.join(",")),
    }
}

/// Folds a pin of a space-id parameter by id (`space_id = 5`) into the same parameter's space keys (`space_key`,
/// `Spaces`), when both are pinned: the ids pinned, to keep among the keys' ids once resolved. Sent as two
/// parameters, the server would read the union of both, beyond `Spaces`.
fn fold_space_ids(pinned: &mut Vec<(&'static FilterRule, Vec<String>)>) -> Option<(&'static str, Vec<String>)> {
    let param = pinned.iter().find(|(r, _)| r.value == ParamValue::SpaceKeyToId).map(|(r, _)| r.param)?;
    let position = pinned.iter().position(|(r, _)| r.value == ParamValue::AsIs && r.param == param)?;
    let (_, ids) = pinned.remove(position);
    Some((param, ids))
}

/// One request with every pinned filter: space keys to resolve (only the ids pinned among theirs, see
/// [`fold_space_ids`]), the rest as parameters or CQL clauses.
pub(super) fn one_request(base: RequestBuilder, pinned: &[(&'static FilterRule, Vec<String>)]) -> RequestBuilder {
    let mut pinned = pinned.to_vec();
    let within = fold_space_ids(&mut pinned).map(|(_, ids)| ids);
    pinned.iter().fold(base, |builder, (rule, values)| match (rule.value, &within) {
        (ParamValue::SpaceKeyToId, Some(ids)) => {
            builder.space_ids(rule.param, values.clone()).space_ids_within(ids.clone())
        }
        (ParamValue::SpaceKeyToId, None) => builder.space_ids(rule.param, values.clone()),
        (ParamValue::AsIs | ParamValue::Cql, _) => add_filter(builder, rule, values),
    })
}

/// One request per value of the first multi-valued partitioning filter (else one), the other filters sent.
fn by_value(base: RequestBuilder, pinned: &[(&'static FilterRule, Vec<String>)]) -> Vec<RequestBuilder> {
    let Some(split) = pinned.iter().position(|(rule, values)| rule.partition && values.len() > 1) else {
        return vec![one_request(base, pinned)];
    };
    let (rule, values) = &pinned[split];
    let others = pinned.iter().enumerate().filter(|(i, _)| *i != split).map(|(_, p)| p.clone());
    let others: Vec<_> = others.collect();
    values
        .iter()
        .map(|value| {
            let mut one = others.clone();
            one.push((*rule, vec![value.clone()]));
            one_request(base.clone(), &one)
        })
        .collect()
}

/// The values the filters pin a table's `Constant` column to, when it is listed from several endpoints, one per
/// value (`variants`).
pub fn variant_pins<'a>(spec: &TableSpec, pins: &'a Pins) -> Option<&'a [String]> {
    if spec.variants.is_empty() {
        return None;
    }
    let column = spec.columns.iter().find(|c| c.source == crate::columns::Source::Constant)?;
    pins.get(column.name)
}

/// Plans the list of `input.spec` (one partition per parent for a per-parent table whose parent is pinned).
pub fn plan(input: &ScanInput<'_>, pins: &Pins, options: &ScanOptions<'_>) -> Result<ScanPlan> {
    let spec = input.spec;
    if let Endpoint::Merged { parts } = spec.endpoint {
        return merged(input, parts, options);
    }
    let parents = spec.per_parent.and_then(|p| pins.get(p.column));
    if parents.is_some_and(<[String]>::is_empty) {
        return Ok(ScanPlan::Empty { reason: "the filters pin no parent" });
    }
    let Some(pinned) = pinned_rules(spec, pins, options.spaces) else {
        return Ok(ScanPlan::Empty { reason: "the filters contradict each other or leave Spaces" });
    };
    let page = options.page(spec.endpoint.max_limit(), input.limit);
    let templates = by_value(time_range(base_request(spec, input.columns, options), spec, input.filters), &pinned);
    let variants: Vec<(&str, Option<&'static str>)> = match spec.variants {
        [] => vec![(spec.endpoint.path(), None)],
        // Only the endpoints whose rows the filters keep (`operation = 'read'`: the read restrictions only).
        variants => variants
            .iter()
            .filter(|(_, constant)| variant_pins(spec, pins).is_none_or(|kept| kept.iter().any(|v| v == constant)))
            .map(|(path, constant)| (*path, Some(*constant)))
            .collect(),
    };
    if variants.is_empty() {
        return Ok(ScanPlan::Empty { reason: "the filters keep none of the lists" });
    }
    let mut partitions = Vec::new();
    for (path, constant) in variants {
        for template in &templates {
            let Some(parents) = parents else {
                let request = template.clone().at(path).build(options.dialect, page).map_err(super::external)?;
                partitions.push(Partition::List { request, constant });
                continue;
            };
            for parent in parents {
                let segment = path_segment(parent).map_err(|e| DataFusionError::Plan(e.to_string()))?;
                let request = template.clone().at(path.replace("{id}", &segment));
                let request = request.build(options.dialect, page).map_err(super::external)?;
                partitions.push(Partition::PerParent { request, parent: parent.clone(), constant });
            }
        }
    }
    Ok(ScanPlan::Requests(Requests::new(spec, partitions, input.limit)))
}

/// One row made of several objects: a request for each part a selected column reads (the first part when none is,
/// as for `count(*)`: the row exists only if the server answers).
fn merged(input: &ScanInput<'_>, parts: &'static [Part], options: &ScanOptions<'_>) -> Result<ScanPlan> {
    let reads = |part: &&Part| {
        input.columns.iter().any(|c| matches!(c.source, Source::Path(path) if path.first() == Some(&part.key)))
    };
    let mut wanted: Vec<&Part> = parts.iter().filter(reads).collect();
    if wanted.is_empty() {
        wanted.extend(parts.first());
    }
    let parts = wanted
        .into_iter()
        .map(|part| {
            let request = RequestBuilder::new(Api::RestOne, part.path).build(options.dialect, 1);
            request.map(|request| (part.key, request)).map_err(super::external)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ScanPlan::Requests(Requests::new(input.spec, vec![Partition::Merged { parts }], input.limit)))
}

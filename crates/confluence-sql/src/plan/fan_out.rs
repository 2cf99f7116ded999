//! A per-parent table read without a pinned parent through its parents' list (see [`crate::spec::FanOut`]): the parents'
//! list and each child list are built here; execution lists the parents once per scan and hands them out one at a
//! time to up to `MaxConcurrency` workers (see `exec::fan_out`), each replacing `{id}` in the children's paths.

use confluence_rest::RestError;

use crate::predicate::{not_null_column, Pins};

use super::request::{Api, RequestBuilder};
use super::{Partition, Requests, ScanInput, ScanOptions, ScanPlan};

/// The path segment execution replaces with each parent's id.
pub const PARENT_PLACEHOLDER: &str = "{id}";

/// The plan through the parents' list, when the table has one: the parents whose fields the query pins (a
/// label's name, id or prefix) are the only ones whose children are read.
pub fn plan(input: &ScanInput<'_>, pins: &Pins, options: &ScanOptions<'_>) -> Result<Option<ScanPlan>, RestError> {
    let spec = input.spec;
    let Some(fan_out) = spec.fan_out else { return Ok(None) };
    let keep: Vec<(&'static [&'static str], Vec<String>)> = fan_out
        .parent_fields
        .iter()
        .filter_map(|(column, path)| pins.get(column).map(|values| (*path, values.to_vec())))
        .collect();
    if keep.iter().any(|(_, values)| values.is_empty()) {
        return Ok(Some(ScanPlan::Empty { reason: "the filters contradict each other" }));
    }
    // Space ids pinned (numbers, as many as the parameter takes) are sent with the children, within `Spaces`.
    let space_ids: Option<Vec<String>> = pins
        .get(fan_out.space_column)
        .map(|ids| ids.iter().filter(|id| id.parse::<i64>().is_ok()).cloned().collect::<Vec<_>>())
        .filter(|ids| ids.len() <= crate::plan::space_share::SPACES_PER_REQUEST);
    if space_ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Some(ScanPlan::Empty { reason: "the filters pin no space id" }));
    }
    let mut parents = RequestBuilder::new(Api::of(&fan_out.parents), fan_out.parents.path());
    for (column, param) in fan_out.parent_params {
        if let Some(values) = pins.get(column).filter(|v| v.len() <= crate::plan::list::MAX_PARENTS) {
            parents = parents.param(param, values.join(","));
        }
    }
    let parents = parents.build(options.dialect, options.page(fan_out.parents.max_limit(), None))?;

    // A list whose rows hold NULL where the filters require a value returns no row they keep.
    let required: Vec<&str> = input.filters.iter().filter_map(not_null_column).collect();
    let children = fan_out
        .children
        .iter()
        .filter(|child| {
            !required.iter().any(|name| child.column(name).is_some_and(|c| c.source == crate::columns::Source::Null))
        })
        .map(|child| {
            let mut builder = RequestBuilder::new(Api::of(&child.endpoint), child.endpoint.path())
                .params(child.fixed_params.iter().copied());
            if !options.spaces.is_empty() {
                // The children's own parameter keeps them to `Spaces`: no row outside is read. Space ids pinned
                // are kept among theirs, never sent as a second parameter (which the service reads as a union).
                builder = builder.space_ids(fan_out.space_param, options.spaces.to_vec());
                if let Some(ids) = &space_ids {
                    builder = builder.space_ids_within(ids.clone());
                }
            } else if let Some(ids) = &space_ids {
                builder = builder.param(fan_out.space_param, ids.join(","));
            }
            let request = builder.build(options.dialect, options.page(child.endpoint.max_limit(), input.limit))?;
            Ok((request, *child))
        })
        .collect::<Result<Vec<_>, RestError>>()?;
    if children.is_empty() {
        return Ok(Some(ScanPlan::Empty { reason: "every list's rows hold NULL where the filters require a value" }));
    }
    // A LIMIT is met by the first worker's rows as well as by several: one worker, one request at a time.
    let shares = if input.limit.is_some() { 1 } else { options.max_concurrency.max(1) };
    let partitions = (0..shares)
        .map(|share| Partition::FanOut {
            parents: parents.clone(),
            children: children.clone(),
            fan_out,
            keep: keep.clone(),
            share,
            shares,
        })
        .collect();
    Ok(Some(ScanPlan::Requests(Requests::new(spec, partitions, input.limit))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use confluence_rest::Dialect;
    use url::Url;

    #[test]
    fn the_children_carry_spaces_and_the_limit() {
        let dialect =
            Dialect::Cloud { api_base: Url::parse("https://acme.atlassian.net").unwrap_or_else(|_| unreachable!()) };
        let spec = crate::tables::table("labels").cloud;
        let spaces = vec!["ENG".to_owned()];
        let options =
            ScanOptions { dialect: &dialect, spaces: &spaces, page_size: None, max_concurrency: 8, user_cql: None };
        let input = ScanInput { spec, columns: spec.columns, filters: &[], limit: Some(10) };
        let pins = Pins::of(&[]);
        let Ok(Some(ScanPlan::Requests(requests))) = plan(&input, &pins, &options) else { panic!("no fan-out plan") };
        assert_eq!(requests.partitions.len(), 1, "a LIMIT: one worker");
        let Partition::FanOut { parents, children, .. } = &requests.partitions[0] else { panic!("not a fan-out") };
        assert_eq!(parents.describe(&dialect), "GET /wiki/api/v2/labels?limit=250");
        let children: Vec<String> = children.iter().map(|(r, _)| r.describe(&dialect)).collect();
        assert_eq!(
            children,
            [
                "GET /wiki/api/v2/labels/%7Bid%7D/pages?space-id=<ENG>&sort=id&limit=10",
                "GET /wiki/api/v2/labels/%7Bid%7D/blogposts?space-id=<ENG>&sort=id&limit=10"
            ]
        );
        assert!(plan(&ScanInput { spec: crate::tables::table("tasks").cloud, ..input }, &pins, &options)
            .is_ok_and(|p| p.is_none()));
        // A pinned name keeps that label's lists; two names that cannot both hold read nothing.
        use datafusion::prelude::{col, lit};
        let named = Pins::of(&[col("name").in_list(vec![lit("a"), lit("b")], false)]);
        let Ok(Some(ScanPlan::Requests(requests))) = plan(&input, &named, &options) else { panic!("no plan") };
        let Partition::FanOut { keep, .. } = &requests.partitions[0] else { panic!("not a fan-out") };
        assert_eq!(keep, &[(&["name"][..], vec!["a".to_owned(), "b".to_owned()])]);
        let pages_only = [col("page_id").is_not_null()];
        let input_pages = ScanInput { filters: &pages_only, ..input };
        let Ok(Some(ScanPlan::Requests(requests))) = plan(&input_pages, &pins, &options) else { panic!("no plan") };
        let Partition::FanOut { children, .. } = &requests.partitions[0] else { panic!("not a fan-out") };
        assert_eq!(children.len(), 1, "page_id IS NOT NULL: no blog post list");
        assert!(children[0].0.url.path().ends_with("/pages"));
        let contradiction = Pins::of(&[col("name").eq(lit("a")), col("name").eq(lit("b"))]);
        assert!(matches!(plan(&input, &contradiction, &options), Ok(Some(ScanPlan::Empty { .. }))));
    }
}

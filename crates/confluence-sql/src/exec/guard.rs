//! Keeping a scan to `Spaces` where its requests cannot ([`crate::plan::Guard`]): the allowed pages and blog posts
//! are read once per scan (whichever partition asks first), then rows outside them are dropped, and parents
//! outside them are never requested.

use std::collections::HashMap;
use std::sync::Arc;

use confluence_rest::{pages, PageRequest, Shape};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{DataType, Int64Type, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::Result;
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::plan::{Guard, Request};

use super::reader::{external, Reader};

/// A scan's guard, and the content ids it allows once read (each with its space id, when the answer gave it).
#[derive(Debug)]
pub struct GuardState {
    guard: Option<Guard>,
    allowed: OnceCell<Arc<HashMap<i64, Option<i64>>>>,
}

impl GuardState {
    /// The state of `guard` for one scan.
    pub fn new(guard: Option<Guard>) -> GuardState {
        GuardState { guard, allowed: OnceCell::new() }
    }

    /// The guard.
    pub fn guard(&self) -> Option<&Guard> {
        self.guard.as_ref()
    }

    /// The columns the guard reads, besides the selected ones.
    pub fn columns(&self) -> Vec<&'static str> {
        match &self.guard {
            Some(Guard::SpaceKey { column, .. }) => vec![column],
            Some(Guard::Containers { columns, .. }) => columns.to_vec(),
            Some(Guard::Parents { .. }) | None => Vec::new(),
        }
    }

    /// The ids of the pages and blog posts of the spaces, with their space ids (read on first use).
    async fn allowed(&self, reader: &Reader) -> Result<Arc<HashMap<i64, Option<i64>>>> {
        self.allowed
            .get_or_try_init(|| async {
                let requests: Vec<&Request> = match &self.guard {
                    Some(Guard::Containers { lists, .. }) => lists.iter().collect(),
                    Some(Guard::Parents { checks }) => checks.iter().collect(),
                    _ => Vec::new(),
                };
                let mut ids = HashMap::new();
                for request in requests {
                    ids.extend(content_ids(reader, request).await?);
                }
                Ok(Arc::new(ids))
            })
            .await
            .cloned()
    }

    /// Whether a per-parent partition may read `parent`.
    pub async fn admits_parent(&self, reader: &Reader, parent: &str) -> Result<bool> {
        if !matches!(self.guard, Some(Guard::Parents { .. })) {
            return Ok(true);
        }
        let allowed = self.allowed(reader).await?;
        Ok(parent.parse::<i64>().is_ok_and(|id| allowed.contains_key(&id)))
    }

    /// The space id of `parent`, as the check of the parents named found it (`None` without that check).
    pub async fn space_of(&self, reader: &Reader, parent: &str) -> Result<Option<i64>> {
        if !matches!(self.guard, Some(Guard::Parents { .. })) {
            return Ok(None);
        }
        let allowed = self.allowed(reader).await?;
        Ok(parent.parse::<i64>().ok().and_then(|id| allowed.get(&id).copied().flatten()))
    }

    /// `batch` (decoded with the guard's columns after the selected ones) without the rows outside the spaces,
    /// and without the guard's columns.
    pub async fn keep(&self, reader: &Reader, batch: RecordBatch, output: &SchemaRef) -> Result<RecordBatch> {
        let selected = output.fields().len();
        let mask: Option<BooleanArray> = match &self.guard {
            Some(Guard::SpaceKey { keys, .. }) => {
                let column = batch.column(selected);
                let values = column.as_string_opt::<i32>();
                Some(
                    (0..batch.num_rows())
                        .map(|row| Some(values.is_some_and(|v| v.is_valid(row) && keys_contain(keys, v.value(row)))))
                        .collect(),
                )
            }
            Some(Guard::Containers { columns, .. }) => {
                let allowed = self.allowed(reader).await?;
                let ids: Vec<&ArrayRef> = (0..columns.len()).map(|i| batch.column(selected + i)).collect();
                Some((0..batch.num_rows()).map(|row| Some(ids.iter().any(|a| contains(a, row, &allowed)))).collect())
            }
            Some(Guard::Parents { .. }) | None => None,
        };
        let kept = match mask {
            Some(mask) => filter_record_batch(&batch, &mask)?,
            None => batch,
        };
        Ok(kept.project(&(0..selected).collect::<Vec<_>>())?.with_schema(output.clone())?)
    }
}

/// Space keys compare without regard to case.
fn keys_contain(keys: &[String], key: &str) -> bool {
    keys.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// Whether the id at `row` of an `Int64` column is allowed.
fn contains(array: &ArrayRef, row: usize, allowed: &HashMap<i64, Option<i64>>) -> bool {
    array.data_type() == &DataType::Int64
        && array.is_valid(row)
        && allowed.contains_key(&array.as_primitive::<Int64Type>().value(row))
}

/// The ids (`results[].id`) of every page of a list, each with its space id (v2's `spaceId`, v1's `space.id`).
async fn content_ids(reader: &Reader, request: &Request) -> Result<Vec<(i64, Option<i64>)>> {
    let index = match request.space_ids {
        Some(_) => Some(reader.context.directory.get(&reader.client, &reader.metrics).await.map_err(external)?),
        None => None,
    };
    let Some(first) = request.url_with(|key| index.as_ref().and_then(|i| i.id_of(key))) else { return Ok(Vec::new()) };
    let mut id = Shape::nothing();
    id.keep(&["id"]).keep(&["spaceId"]).keep(&["space", "id"]);
    let page_request = PageRequest { items: Some(Arc::new(id)), ..PageRequest::new(first, request.pagination) };
    let mut stream = pages(reader.client.clone(), page_request, reader.metrics.clone());
    let mut ids = Vec::new();
    while let Some(page) = stream.next().await {
        let page = page.map_err(external)?;
        let results = page.document.get("results").and_then(Value::as_array).cloned().unwrap_or_default();
        let number = |value: &Value| match value {
            Value::String(s) => s.parse().ok(),
            Value::Number(n) => n.as_i64(),
            _ => None,
        };
        ids.extend(results.iter().filter_map(|r| {
            let space = r.get("spaceId").or_else(|| r.get("space").and_then(|s| s.get("id"))).and_then(number);
            Some((number(r.get("id")?)?, space))
        }));
    }
    Ok(ids)
}

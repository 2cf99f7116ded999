//! The spaces of the parents a per-parent scan names ([`crate::plan::parent_spaces`]): looked up once per scan,
//! by whichever partition asks first, then each partition's rows carry their parent's space.

use std::collections::HashMap;
use std::sync::Arc;

use confluence_rest::{pages, PageRequest, Shape};
use datafusion::error::Result;
use futures::StreamExt;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::columns::lookup;
use crate::plan::parent_spaces::SpaceLookup;

use super::reader::{external, Reader};

/// A scan's lookups of its parents' spaces, and what they found once read.
#[derive(Debug, Default)]
pub struct ParentSpaces {
    lookups: Vec<SpaceLookup>,
    found: OnceCell<Arc<HashMap<i64, i64>>>,
}

impl ParentSpaces {
    /// The state of `lookups` for one scan (none: no column needs a parent's space).
    pub fn new(lookups: Vec<SpaceLookup>) -> ParentSpaces {
        ParentSpaces { lookups, found: OnceCell::new() }
    }

    /// The lookups, for `EXPLAIN`.
    pub fn lookups(&self) -> &[SpaceLookup] {
        &self.lookups
    }

    /// The space id of `parent` (`None`: not looked up, or the lookup did not find it: content neither current nor
    /// archived).
    pub async fn space_of(&self, reader: &Reader, parent: &str) -> Result<Option<i64>> {
        if self.lookups.is_empty() {
            return Ok(None);
        }
        let found = self
            .found
            .get_or_try_init(|| async {
                let mut found = HashMap::new();
                for lookup in &self.lookups {
                    found.extend(spaces_of(reader, lookup).await?);
                }
                Ok::<_, datafusion::error::DataFusionError>(Arc::new(found))
            })
            .await?;
        Ok(parent.parse::<i64>().ok().and_then(|id| found.get(&id).copied()))
    }
}

/// (id, space id) of every result of a lookup.
async fn spaces_of(reader: &Reader, wanted: &SpaceLookup) -> Result<Vec<(i64, i64)>> {
    let mut shape = Shape::nothing();
    shape.keep(&["id"]).keep(wanted.space);
    let index = match wanted.request.space_ids {
        Some(_) => Some(reader.context.directory.get(&reader.client, &reader.metrics).await.map_err(external)?),
        None => None,
    };
    // None of the spaces exists: no parent is in them.
    let Some(first) = wanted.request.url_with(|key| index.as_ref().and_then(|i| i.id_of(key))) else {
        return Ok(Vec::new());
    };
    let request = PageRequest { items: Some(Arc::new(shape)), ..PageRequest::new(first, wanted.request.pagination) };
    let mut listed = pages(reader.client.clone(), request, reader.metrics.clone());
    let mut found = Vec::new();
    while let Some(page) = listed.next().await {
        let page = page.map_err(external)?;
        let results = page.document.get("results").and_then(Value::as_array).cloned().unwrap_or_default();
        found.extend(results.iter().filter_map(|r| Some((number(r.get("id")?)?, number(lookup(r, wanted.space)?)?))));
    }
    Ok(found)
}

/// An id: a JSON number, or text holding one.
fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

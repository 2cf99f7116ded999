//! The connection's directory of spaces (id ↔ key), read once per connection with as few requests as the
//! spaces list allows (250 spaces per request), for the `space_key` columns and filters.

use std::collections::HashMap;
use std::sync::Arc;

use confluence_rest::{pages, ConfluenceClient, PageRequest, Pagination, RequestMetrics, RestError, Shape};
use futures::StreamExt;
use serde::Deserialize;
use tokio::sync::OnceCell;

/// Space ids and keys.
#[derive(Debug, Default)]
pub struct SpaceIndex {
    /// Space id → key.
    pub keys: Arc<HashMap<i64, String>>,
    ids: HashMap<String, i64>,
}

impl SpaceIndex {
    /// An index of `keys` (space id → key).
    #[cfg(test)]
    pub fn from_keys(keys: HashMap<i64, String>) -> SpaceIndex {
        let ids = keys.iter().map(|(id, key)| (key.to_lowercase(), *id)).collect();
        SpaceIndex { keys: Arc::new(keys), ids }
    }

    /// The id of a space key (keys compare case-insensitively).
    pub fn id_of(&self, key: &str) -> Option<i64> {
        self.ids.get(&key.to_lowercase()).copied()
    }
}

/// Reads the space list on first use (Cloud's v2 list, Data Center's v1 list) and keeps it for the connection's
/// lifetime.
#[derive(Debug, Default)]
pub struct SpaceDirectory {
    index: OnceCell<Arc<SpaceIndex>>,
}

#[derive(Deserialize)]
struct SpaceList {
    results: Vec<SpaceRow>,
}

#[derive(Deserialize)]
struct SpaceRow {
    /// Text on Cloud's v2, a number on Data Center.
    id: serde_json::Value,
    key: String,
}

impl SpaceDirectory {
    /// The index, read on first call with `client`; `metrics` counts the requests against the scan that needed
    /// them.
    pub async fn get(
        &self,
        client: &ConfluenceClient,
        metrics: &Arc<RequestMetrics>,
    ) -> Result<Arc<SpaceIndex>, RestError> {
        self.index
            .get_or_try_init(|| async {
                // Cloud's v2 list, or Data Center's (offsets, ids as numbers).
                let (first, pagination) = match client.dialect().is_cloud() {
                    true => (client.dialect().v2("spaces?limit=250")?, Pagination::Cursor),
                    false => (client.dialect().v1("space?limit=250")?, Pagination::Offset),
                };
                let mut id_and_key = Shape::nothing();
                id_and_key.keep(&["id"]).keep(&["key"]);
                let mut stream = pages(
                    client.clone(),
                    PageRequest { items: Some(Arc::new(id_and_key)), ..PageRequest::new(first, pagination) },
                    metrics.clone(),
                );
                let mut keys = HashMap::new();
                let mut ids = HashMap::new();
                while let Some(page) = stream.next().await {
                    let page = page?;
                    let list = SpaceList::deserialize(&page.document)
                        .map_err(|e| RestError::Decode { path: page.url.path().to_owned(), message: e.to_string() })?;
                    for row in list.results {
                        let id = match &row.id {
                            serde_json::Value::Number(n) => n.as_i64(),
                            serde_json::Value::String(s) => s.parse::<i64>().ok(),
                            _ => None,
                        };
                        if let Some(id) = id {
                            ids.insert(row.key.to_lowercase(), id);
                            keys.insert(id, row.key);
                        }
                    }
                }
                Ok(Arc::new(SpaceIndex { keys: Arc::new(keys), ids }))
            })
            .await
            .cloned()
    }
}

//! Reading a per-parent table through its parents' list (see [`crate::spec::FanOut`]): the first worker of an
//! execution lists the parents (every label) while the others wait for that list; then each worker takes the next
//! parent not yet taken and reads its child lists (its pages, its blog posts) before taking another, so that a
//! parent with many children does not hold up the parents after it.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use confluence_rest::{pages, PageRequest, RestError, Shape};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use crate::columns::{lookup, Column};
use crate::directory::SpaceIndex;
use crate::plan::fan_out::PARENT_PLACEHOLDER;
use crate::plan::Request;
use crate::spec::{FanOut, TableSpec};

use super::reader::{external, Reader};

/// The parents one execution of a fan-out scan shares among its workers, and the next one to take.
#[derive(Debug, Default)]
pub struct ParentRun {
    parents: tokio::sync::OnceCell<Arc<Vec<Value>>>,
    next: AtomicUsize,
}

impl ParentRun {
    /// The next parent no worker has taken yet.
    fn take(&self, parents: &[Value]) -> Option<Value> {
        parents.get(self.next.fetch_add(1, Ordering::Relaxed)).cloned()
    }
}

/// One child list of every parent: its request (`{id}` in the path) and the scan's columns as that list fills them.
#[derive(Clone)]
struct ChildList {
    request: Request,
    columns: Arc<Vec<Column>>,
}

impl Reader {
    /// One worker of a fan-out scan: the parents (listed once per execution), one after another as this worker
    /// takes them, each parent's child lists read to their end, the parent's fields in every row.
    pub(super) fn fan_out(
        &self,
        parents: Request,
        children: Vec<(Request, &'static TableSpec)>,
        fan_out: &'static FanOut,
        keep: Vec<(&'static [&'static str], Vec<String>)>,
        index: Option<Arc<SpaceIndex>>,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        let Some(run) = self.parent_run.clone() else {
            let message = "a fan-out partition without the parents its workers share".to_owned();
            return futures::stream::once(async { Err(external(RestError::Internal(message))) }).boxed();
        };
        let lists: Result<Vec<ChildList>> =
            children.iter().map(|(request, spec)| self.child_list(request, spec)).collect();
        let lists = match lists {
            Ok(lists) => Arc::new(lists),
            Err(e) => return futures::stream::once(async { Err(e) }).boxed(),
        };
        let reader = self.clone();
        let listed = {
            let (reader, run) = (reader.clone(), run.clone());
            async move {
                let all = run.parents.get_or_try_init(|| reader.list_parents(&parents, fan_out, &keep)).await?;
                Ok::<_, DataFusionError>(all.clone())
            }
        };
        futures::stream::once(listed)
            .map_ok(move |all| {
                let (reader, run, lists, index) = (reader.clone(), run.clone(), lists.clone(), index.clone());
                futures::stream::iter(std::iter::from_fn(move || run.take(&all)))
                    .map(move |parent| reader.children_of(&parent, fan_out, &lists, &index))
                    .flatten()
            })
            .try_flatten()
            .boxed()
    }

    /// The scan's columns as one child list fills them (matched by name).
    fn child_list(&self, request: &Request, spec: &TableSpec) -> Result<ChildList> {
        let columns: Option<Vec<Column>> = self.columns.iter().map(|c| spec.column(c.name).copied()).collect();
        let columns = columns.ok_or_else(|| {
            DataFusionError::Internal(format!("a column of the scan is not in {}", spec.endpoint.path()))
        })?;
        Ok(ChildList { request: request.clone(), columns: Arc::new(columns) })
    }

    /// Every parent whose fields are among those kept, each with its id (a number) and the fields its children's
    /// rows carry. The list is read to its end whatever the LIMIT: the limit applies to the children's rows.
    async fn list_parents(
        &self,
        parents: &Request,
        fan_out: &FanOut,
        keep: &[(&'static [&'static str], Vec<String>)],
    ) -> Result<Arc<Vec<Value>>> {
        let mut items = Shape::nothing();
        items.keep(fan_out.parent_id);
        for (_, path) in fan_out.parent_fields {
            items.keep(path);
        }
        let request = PageRequest { max_items: None, ..self.page_request(parents.url.clone(), parents, items) };
        let mut all = Vec::new();
        let mut ids: HashSet<i64> = HashSet::new();
        let mut listed = pages(self.client.clone(), request, self.metrics.clone());
        while let Some(page) = listed.next().await {
            let mut document = page.map_err(external)?.document;
            let Some(Value::Array(results)) = document.get_mut("results").map(Value::take) else { continue };
            for parent in results {
                let path = || parents.url.path().to_owned();
                // Ids are numbers (int64): anything else is not sent into a path.
                let Some(id) = lookup(&parent, fan_out.parent_id).and_then(number) else {
                    let message = "an item has no numeric id".to_owned();
                    return Err(external(RestError::Pagination { path: path(), message }));
                };
                // A parent listed twice would read its children twice: rows repeated, not an answer.
                if !ids.insert(id) {
                    let message = format!("it listed {id} twice; the rows would repeat");
                    return Err(external(RestError::Pagination { path: path(), message }));
                }
                let kept = keep
                    .iter()
                    .all(|(path, values)| lookup(&parent, path).and_then(text).is_some_and(|v| values.contains(&v)));
                if kept {
                    all.push(parent);
                }
            }
        }
        Ok(Arc::new(all))
    }

    /// One parent's child lists, one after another, its fields in each row.
    fn children_of(
        &self,
        parent: &Value,
        fan_out: &'static FanOut,
        lists: &[ChildList],
        index: &Option<Arc<SpaceIndex>>,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        // Checked when listed: a number, a path segment as it is written.
        let segment = lookup(parent, fan_out.parent_id).and_then(number).unwrap_or_default().to_string();
        let placeholder = PARENT_PLACEHOLDER.replace('{', "%7B").replace('}', "%7D");
        let (reader, parent, index) = (self.clone(), parent.clone(), index.clone());
        // Each list is started once the one before has ended (a LIMIT met by the first sends no other).
        futures::stream::iter(lists.to_vec())
            .map(move |list| {
                let mut request = list.request.clone();
                let path = request.url.path().replace(&placeholder, &segment);
                request.url.set_path(&path);
                let reader = Reader { columns: list.columns.clone(), ..reader.clone() };
                let mut context = reader.decode_context(&index);
                for (column, path) in fan_out.parent_fields {
                    if let Some(value) = lookup(&parent, path) {
                        context.constants.insert(column, value.clone());
                    }
                }
                ended_by_not_found(reader.list_with(&request, context, &index))
            })
            .flatten()
            .boxed()
    }
}

/// An id as a number: a JSON number, or text holding one.
fn number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A field as text, to compare with a pinned value (numbers written as SQL writes them).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A child list that ends at a 404 on its first page: a parent gone since it was listed (or hidden from the user:
/// the service answers 404 for both) has no children to read. Any other error stays an error.
fn ended_by_not_found(
    batches: BoxStream<'static, Result<RecordBatch>>,
) -> impl futures::Stream<Item = Result<RecordBatch>> + Send + 'static {
    // Only before the first page: a list that vanishes half-read would be a short answer, an error.
    batches.scan(true, |first, batch| {
        let end = *first && matches!(&batch, Err(e) if is_not_found(e));
        *first = false;
        futures::future::ready((!end).then_some(batch))
    })
}

/// Whether `error` is the service's 404.
fn is_not_found(error: &DataFusionError) -> bool {
    let DataFusionError::External(e) = error else { return false };
    matches!(e.downcast_ref::<RestError>(), Some(RestError::NotFound { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::Schema;

    fn not_found() -> DataFusionError {
        external(RestError::NotFound { path: "/wiki/api/v2/labels/5/pages".into(), message: "gone".into() })
    }

    #[tokio::test]
    async fn a_child_list_ends_at_a_404_and_fails_at_any_other_error() {
        let batch = || Ok(RecordBatch::new_empty(Arc::new(Schema::empty())));
        let gone = futures::stream::iter(vec![Err(not_found()), batch()]).boxed();
        let read: Vec<Result<RecordBatch>> = ended_by_not_found(gone).collect().await;
        assert!(read.is_empty(), "a list gone before its first page: no rows");
        let vanished = futures::stream::iter(vec![batch(), Err(not_found())]).boxed();
        let read: Vec<Result<RecordBatch>> = ended_by_not_found(vanished).collect().await;
        assert!(read.len() == 2 && read[1].is_err(), "gone half-read: an error, not a short answer");
        let failing = futures::stream::iter(vec![Err(external(RestError::Internal("boom".into())))]).boxed();
        let read: Vec<Result<RecordBatch>> = ended_by_not_found(failing).collect().await;
        assert!(read.len() == 1 && read[0].is_err(), "other errors pass through");
    }

    #[test]
    fn ids_are_numbers_and_fields_compare_as_text() {
        assert_eq!(number(&Value::from("100000")), Some(100_000));
        assert_eq!(number(&Value::from(7)), Some(7));
        assert_eq!(number(&Value::from("../x")), None, "never sent into a path");
        assert_eq!(text(&Value::from(5)).as_deref(), Some("5"));
        assert_eq!(text(&Value::Null), None);
    }
}

//! `ORDER BY <column> [DESC] LIMIT n` read from a list the server sorts: [`SortedScan`], a physical optimizer rule,
//! finds a top-`n` sort (`SortExec` with a fetch) on one column directly over a [`ConfluenceScanExec`] (through
//! nodes that neither drop nor reorder rows within a partition) and asks the scan for its sorted plan (see
//! [`crate::plan::sorted`]). The sort stays: the engine orders the `n` rows it gets, so ties and `NULLS FIRST`/`LAST`
//! are the engine's, and [`check_order`] fails the scan if the server breaks the order it was asked for (a row out of
//! place could push a right one out of the first `n`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::sorts::sort::SortExec;
use datafusion::physical_plan::ExecutionPlan;
use futures::{Stream, StreamExt};

use super::ConfluenceScanExec;
use crate::plan::OrderCheck;

/// The optimizer rule that reads `ORDER BY <column> LIMIT n` from a list the server sorts.
#[derive(Debug, Default)]
pub struct SortedScan;

impl PhysicalOptimizerRule for SortedScan {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_down(|node| {
            let Some(sort) = node.downcast_ref::<SortExec>() else { return Ok(Transformed::no(node)) };
            match sorted_input(sort)? {
                Some(input) => {
                    let sort = SortExec::new(sort.expr().clone(), input)
                        .with_fetch(sort.fetch())
                        .with_preserve_partitioning(sort.preserve_partitioning());
                    Ok(Transformed::yes(Arc::new(sort) as Arc<dyn ExecutionPlan>))
                }
                None => Ok(Transformed::no(node)),
            }
        })
        .data()
    }

    fn name(&self) -> &str {
        "confluence_sorted_scan"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The sorted scan to put under `sort`, when it sorts one column of a scan that can be read sorted.
fn sorted_input(sort: &SortExec) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let (Some(fetch), [key]) = (sort.fetch(), &**sort.expr()) else { return Ok(None) };
    let Some(column) = key.expr.downcast_ref::<Column>() else { return Ok(None) };
    let mut node = sort.input().clone();
    let mut cooperative = false;
    let scan = loop {
        if let Some(scan) = node.downcast_ref::<ConfluenceScanExec>() {
            break scan;
        }
        // Nodes that keep every row: a partition's rows are merged or regrouped, never dropped (the sort above
        // re-sorts them anyway); a merge with a limit of its own drops rows.
        cooperative |= node.downcast_ref::<CooperativeExec>().is_some();
        let passes = node.downcast_ref::<CooperativeExec>().is_some()
            || node.downcast_ref::<CoalescePartitionsExec>().is_some_and(|c| c.fetch().is_none())
            || node.downcast_ref::<RepartitionExec>().is_some();
        match (passes, node.children().as_slice()) {
            (true, [child]) => node = Arc::clone(child),
            _ => return Ok(None),
        }
    };
    let schema = scan.schema();
    let Some(field) = schema.fields().get(column.index()).filter(|f| f.name() == column.name()) else {
        return Ok(None);
    };
    let Some(sorted) = scan.sorted(field.name(), key.options.descending, fetch)? else { return Ok(None) };
    let sorted: Arc<dyn ExecutionPlan> = Arc::new(sorted);
    // Kept cancellable as DataFusion made the scan it replaces.
    Ok(Some(if cooperative { Arc::new(CooperativeExec::new(sorted)) } else { sorted }))
}

/// The batches of a sorted list, failing at the first row out of the order asked for, or without a value to sort
/// by (the server could have placed it anywhere).
pub fn check_order(
    batches: impl Stream<Item = Result<RecordBatch>> + Send + 'static,
    order: OrderCheck,
    index: usize,
) -> impl Stream<Item = Result<RecordBatch>> + Send + 'static {
    let mut last: Option<i64> = None;
    batches.map(move |batch| {
        let batch = batch?;
        let values = cast(batch.column(index), &DataType::Int64)?;
        let values = values.as_primitive::<Int64Type>();
        for row in 0..values.len() {
            if values.is_null(row) {
                return Err(out_of_order(order, "a row without a value"));
            }
            let value = values.value(row);
            if let Some(previous) = last {
                if (order.descending && value > previous) || (!order.descending && value < previous) {
                    return Err(out_of_order(order, "rows out of that order"));
                }
            }
            last = Some(value);
        }
        Ok(batch)
    })
}

fn out_of_order(order: OrderCheck, what: &str) -> DataFusionError {
    DataFusionError::Execution(format!(
        "the server was asked for its list sorted by {} (sort={}) and sent {what}: the first rows cannot be trusted \
         to be the right ones; run the query again, or add a filter on another column to read the whole list",
        order.column, order.param
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Int64Array;
    use datafusion::arrow::datatypes::{Field, Schema};

    fn batch(values: Vec<Option<i64>>) -> Result<RecordBatch> {
        let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
        Ok(RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))])?)
    }

    async fn checked(descending: bool, batches: Vec<Vec<Option<i64>>>) -> Result<usize> {
        let order = OrderCheck { column: "id", descending, param: if descending { "-id" } else { "id" } };
        let stream = futures::stream::iter(batches.into_iter().map(batch));
        let out: Vec<RecordBatch> = futures::TryStreamExt::try_collect(check_order(stream, order, 0)).await?;
        Ok(out.iter().map(RecordBatch::num_rows).sum())
    }

    #[tokio::test]
    async fn rows_in_the_order_asked_pass_across_batches() {
        assert_eq!(checked(true, vec![vec![Some(9), Some(9), Some(5)], vec![Some(5), Some(1)]]).await.ok(), Some(5));
        assert_eq!(checked(false, vec![vec![Some(1), Some(2)], vec![Some(2), Some(7)]]).await.ok(), Some(4));
    }

    #[tokio::test]
    async fn a_row_out_of_order_or_without_a_value_fails() {
        let error = checked(true, vec![vec![Some(9), Some(5)], vec![Some(6)]]).await.err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("sort=-id") && e.contains("out of that order")));
        let error = checked(false, vec![vec![Some(1), None]]).await.err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("without a value")));
    }
}

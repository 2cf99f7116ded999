//! `UPDATE` and `DELETE` on a Confluence table as a node of the plan whose input is the whole selection.
//!
//! DataFusion hands a provider's `update`/`delete_from` only the filters it can find on the target's scan: a
//! `WHERE id IN (SELECT ...)` (planned as a join), a `LIMIT` or an `UPDATE ... FROM` would be lost, and more rows
//! written than the `WHERE` selects. So an analyzer rule ([`ConfluenceWrites`]) replaces the statement with a
//! [`ConfluenceWrite`] node over the statement's own input, checked (`ReadOnly`, pinned `WHERE`, writable columns)
//! before anything runs; its execution ([`super::exec::WriteExec`]) runs that input and writes exactly its rows.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::catalog::Session;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, DFSchemaRef, TableReference};
use datafusion::datasource::DefaultTableSource;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{
    DmlStatement, Expr, Extension, LogicalPlan, UserDefinedLogicalNode, UserDefinedLogicalNodeCore, WriteOp,
};
use datafusion::optimizer::AnalyzerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, ExtensionPlanner, PhysicalPlanner};

use super::exec::{WriteExec, WriteOperation};
use super::target::Entity;
use crate::provider::ConfluenceTable;

/// A session that runs `UPDATE` and `DELETE` on Confluence tables: installs the [`ConfluenceWrites`] analyzer rule
/// and a query planner that executes its nodes. Connections use it; a DataFusion session of your own that mounts
/// the driver's catalog ([`crate::register`]) needs it for `UPDATE` and `DELETE` (`INSERT` works without).
pub fn with_write_support(builder: SessionStateBuilder) -> SessionStateBuilder {
    builder.with_analyzer_rule(Arc::new(ConfluenceWrites)).with_query_planner(Arc::new(WritePlanner))
}

/// The schema of a write's result: one `count` row, DataFusion's convention for DML.
pub fn count_schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![Field::new("count", DataType::UInt64, false)]))
}

/// An `UPDATE` or `DELETE` of the rows `input` selects.
#[derive(Debug, Clone)]
pub struct ConfluenceWrite {
    /// The table as the statement named it.
    pub table_name: TableReference,
    /// The provider written to.
    pub table: Arc<ConfluenceTable>,
    /// What it writes.
    pub entity: Entity,
    /// `UPDATE` (with the columns set) or `DELETE`.
    pub operation: WriteOperation,
    /// The selection: rows of the table (for an `UPDATE`, with the new values).
    pub input: Arc<LogicalPlan>,
    /// The keys the `WHERE` pins, when it names them as literals: a selected row with another key is refused.
    pub pinned: Option<BTreeSet<i64>>,
    schema: DFSchemaRef,
}

impl PartialEq for ConfluenceWrite {
    fn eq(&self, other: &Self) -> bool {
        self.table_name == other.table_name && self.operation == other.operation && self.input == other.input
    }
}

impl Eq for ConfluenceWrite {}

impl PartialOrd for ConfluenceWrite {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match self.table_name.to_string().partial_cmp(&other.table_name.to_string()) {
            Some(Ordering::Equal) => self.input.partial_cmp(&other.input),
            ordering => ordering,
        }
    }
}

impl Hash for ConfluenceWrite {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.table_name.hash(state);
        self.operation.hash(state);
        self.input.hash(state);
    }
}

impl UserDefinedLogicalNodeCore for ConfluenceWrite {
    fn name(&self) -> &str {
        "ConfluenceWrite"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![self.input.as_ref()]
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "ConfluenceWrite: {} {}, exactly the rows selected below", self.operation, self.table_name)
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, mut inputs: Vec<LogicalPlan>) -> Result<Self> {
        let input = inputs.pop().ok_or_else(|| DataFusionError::Internal("ConfluenceWrite needs its input".into()))?;
        Ok(ConfluenceWrite { input: Arc::new(input), ..self.clone() })
    }
}

/// The analyzer rule that turns `UPDATE` and `DELETE` on Confluence tables into [`ConfluenceWrite`] nodes, after
/// checking them.
#[derive(Debug, Default)]
pub struct ConfluenceWrites;

impl AnalyzerRule for ConfluenceWrites {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| match node {
            LogicalPlan::Dml(dml) if matches!(dml.op, WriteOp::Update | WriteOp::Delete) => {
                match confluence_table(&dml) {
                    Some(table) => Ok(Transformed::yes(write_node(dml, table)?)),
                    None => Ok(Transformed::no(LogicalPlan::Dml(dml))),
                }
            }
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "confluence_writes"
    }
}

fn confluence_table(dml: &DmlStatement) -> Option<Arc<ConfluenceTable>> {
    let source = dml.target.as_ref().downcast_ref::<DefaultTableSource>()?;
    let provider = source.table_provider.clone();
    let any: Arc<dyn std::any::Any + Send + Sync> = provider;
    any.downcast::<ConfluenceTable>().ok()
}

/// Checks a statement and builds its node: refused when the connection is read-only, the table takes no such
/// write, a column cannot be set, or the `WHERE` does not pin the rows (without `AllowUnboundedWrites`).
fn write_node(dml: DmlStatement, table: Arc<ConfluenceTable>) -> Result<LogicalPlan> {
    let verb = if dml.op == WriteOp::Update { "UPDATE" } else { "DELETE" };
    let name = table.name();
    let settings = table.write_settings();
    if settings.read_only {
        return Err(read_only(verb, name));
    }
    let entity = Entity::of_table(name).ok_or_else(|| not_writable(verb, name))?;
    let operation = if dml.op == WriteOp::Update {
        let assigned = assigned_columns(&dml.input)?;
        let updatable = entity.updatable();
        if updatable.is_empty() {
            return Err(DataFusionError::Plan(format!(
                "UPDATE {name} is not supported: Confluence's API cannot edit {}s here; DELETE and INSERT them instead",
                entity.noun()
            )));
        }
        if let Some(column) = assigned.iter().find(|c| !updatable.contains(&c.as_str())) {
            return Err(DataFusionError::Plan(format!(
                "UPDATE {name} cannot set {column}: Confluence sets it; the columns an UPDATE can set are {}",
                updatable.join(", ")
            )));
        }
        if assigned.is_empty() {
            return Err(DataFusionError::Plan(format!(
                "UPDATE {name} sets no column to a new value; set one of {}",
                updatable.join(", ")
            )));
        }
        WriteOperation::Update { columns: assigned }
    } else {
        WriteOperation::Delete
    };
    let pinned = super::pin::pinned_keys(&dml.input, &dml.table_name, entity.key());
    if !settings.allow_unbounded && pinned.is_none() {
        return Err(unbounded(verb, name, entity));
    }
    let node = ConfluenceWrite {
        table_name: dml.table_name.clone(),
        table,
        entity,
        operation,
        input: dml.input.clone(),
        pinned: pinned.flatten(),
        schema: Arc::new(DFSchema::try_from(count_schema().as_ref().clone())?),
    };
    Ok(LogicalPlan::Extension(Extension { node: Arc::new(node) }))
}

/// The columns an `UPDATE` sets: its input is a projection of every column, the unchanged ones as themselves.
fn assigned_columns(input: &LogicalPlan) -> Result<Vec<String>> {
    let LogicalPlan::Projection(projection) = input else {
        return Err(DataFusionError::Plan("UPDATE: unexpected plan shape (no projection of the new values)".into()));
    };
    let mut assigned = Vec::new();
    for (expr, field) in projection.expr.iter().zip(projection.schema.fields()) {
        let unchanged = matches!(expr.clone().unalias(), Expr::Column(c) if &c.name == field.name());
        if !unchanged {
            assigned.push(field.name().clone());
        }
    }
    Ok(assigned)
}

/// The refusal of a write on a `ReadOnly` connection.
pub fn read_only(verb: &str, table: &str) -> DataFusionError {
    not_allowed(format!(
        "{verb} {table} refused: the connection is read-only (ReadOnly=true); connect without it to write"
    ))
}

/// A refusal callers see as [`crate::ErrorKind::NotAllowed`].
fn not_allowed(message: String) -> DataFusionError {
    DataFusionError::External(Box::new(crate::SqlError::NotAllowed(message)))
}

/// The refusal of a write to a table that takes none.
pub fn not_writable(verb: &str, table: &str) -> DataFusionError {
    DataFusionError::Plan(format!(
        "{verb} {table} is not supported: the tables that take writes are pages, blog_posts, comments and labels"
    ))
}

fn unbounded(verb: &str, table: &str, entity: Entity) -> DataFusionError {
    let key = entity.key();
    not_allowed(format!(
        "{verb} {table} refused: its WHERE does not pin the rows by {key} ({key} = ... or {key} IN (...)), so it could \
         write more {noun}s than you meant. See the rows first with SELECT {key} FROM {table} WHERE <your condition>, \
         then run {verb} ... WHERE {key} IN (<those {key}s>); or allow such statements with AllowUnboundedWrites=true \
         in the connection string",
        noun = entity.noun()
    ))
}

/// A query planner that also plans [`ConfluenceWrite`] nodes.
#[derive(Debug, Default)]
pub struct WritePlanner;

#[async_trait]
impl QueryPlanner for WritePlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session_state: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        DefaultPhysicalPlanner::with_extension_planners(vec![Arc::new(WriteExtensionPlanner)])
            .create_physical_plan(logical_plan, session_state)
            .await
    }
}

#[derive(Debug)]
struct WriteExtensionPlanner;

#[async_trait]
impl ExtensionPlanner for WriteExtensionPlanner {
    async fn plan_extension(
        &self,
        _planner: &dyn PhysicalPlanner,
        node: &dyn UserDefinedLogicalNode,
        _logical_inputs: &[&LogicalPlan],
        physical_inputs: &[Arc<dyn ExecutionPlan>],
        _session_state: &dyn Session,
        _planning_ctx: &PhysicalPlanningContext,
    ) -> Result<Option<Arc<dyn ExecutionPlan>>> {
        let Some(write) = node.as_any().downcast_ref::<ConfluenceWrite>() else { return Ok(None) };
        let input = physical_inputs
            .first()
            .cloned()
            .ok_or_else(|| DataFusionError::Internal("ConfluenceWrite has no input".into()))?;
        let exec = WriteExec::new(&write.table, write.entity, write.operation.clone(), input);
        Ok(Some(Arc::new(exec.with_pinned_keys(write.pinned.clone()))))
    }
}

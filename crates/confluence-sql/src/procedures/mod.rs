//! Stored procedures: operations that are not tables (the OAuth web flow) but are called from SQL, either as
//! table functions (`SELECT * FROM GetOAuthAuthorizationURL(CallbackURL => '...')`, named or positional) or with
//! `EXEC` / `EXECUTE` (`EXEC GetOAuthAuthorizationURL @CallbackURL = '...'`), which [`rewrite`] turns into the
//! former. Each procedure declares its parameters and result columns ([`ProcedureSpec`]); `sys_procedures` and
//! `sys_procedure_parameters` list them. A call runs when its plan executes, never while planning, so `EXPLAIN`
//! does not spend an authorization code.

pub mod attachments;
pub mod oauth;
pub mod rewrite;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, StringArray, UInt32Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::{MemTable, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType, ReplaceChildrenOptions};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

/// Every procedure's declaration: the OAuth web flow's, then the attachments'.
pub static SPECS: &[&ProcedureSpec] = &[
    &oauth::GET_AUTHORIZATION_URL,
    &oauth::GET_ACCESS_TOKEN,
    &oauth::REFRESH_ACCESS_TOKEN,
    &attachments::DOWNLOAD_ATTACHMENT,
    &attachments::UPLOAD_ATTACHMENT,
];

/// A parameter of a procedure. Every parameter is a string.
#[derive(Debug)]
pub struct ParamSpec {
    /// The name, as used with `=>` or `@Name =`.
    pub name: &'static str,
    /// Whether the call fails without it.
    pub required: bool,
    /// What it is.
    pub description: &'static str,
}

/// A result column of a procedure. Names keep the case CData documents (`OAuthAccessToken`), so a quoted
/// `"OAuthAccessToken"` works; unquoted names in a query over one procedure call are matched whatever their case
/// (the rewrite quotes them), although DataFusion folds unquoted identifiers to lower case.
#[derive(Debug)]
pub struct ResultColumn {
    /// The name.
    pub name: &'static str,
    /// `Utf8` or `Int64`.
    pub data_type: DataType,
    /// What it is.
    pub description: &'static str,
}

/// What a procedure is called and what it takes and returns.
#[derive(Debug)]
pub struct ProcedureSpec {
    /// The name (matched without regard to case).
    pub name: &'static str,
    /// What it does.
    pub description: &'static str,
    /// Its parameters, in positional order.
    pub params: &'static [ParamSpec],
    /// Its result columns.
    pub columns: &'static [ResultColumn],
    /// Whether it runs before the connection is authorized (the OAuth procedures: they are how it is).
    pub before_authorization: bool,
    /// Whether it writes to Confluence.
    pub writes: bool,
}

impl ProcedureSpec {
    /// The result schema.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns.iter().map(|c| Field::new(c.name, c.data_type.clone(), true)).collect::<Vec<_>>(),
        ))
    }

    /// The index of parameter `name` (any case).
    pub fn param_index(&self, name: &str) -> Option<usize> {
        let name = name.trim_start_matches('@');
        self.params.iter().position(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The call syntax, for error messages.
    pub fn usage(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| if p.required { format!("{} => '...'", p.name) } else { format!("[{} => '...']", p.name) })
            .collect();
        format!("{}({})", self.name, params.join(", "))
    }
}

/// The arguments of one call, by parameter name. `Debug` shows the names only: values may be secrets (a refresh
/// token, an authorization code).
#[derive(Clone, Default)]
pub struct ProcedureArgs {
    values: HashMap<&'static str, String>,
}

impl fmt::Debug for ProcedureArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.values.keys().copied().collect();
        names.sort_unstable();
        f.debug_struct("ProcedureArgs").field("given", &names).finish()
    }
}

impl ProcedureArgs {
    /// The argument for `name`, when given and not NULL or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// A procedure's behaviour.
#[async_trait]
pub trait Procedure: Send + Sync + fmt::Debug {
    /// Its declaration.
    fn spec(&self) -> &'static ProcedureSpec;

    /// Runs it; the batch must have [`ProcedureSpec::schema`].
    async fn call(&self, args: ProcedureArgs) -> Result<RecordBatch>;
}

/// Builds a one-row batch from optional strings and integers, in `spec`'s column order.
pub fn one_row(spec: &ProcedureSpec, values: Vec<ScalarValue>) -> Result<RecordBatch> {
    let arrays: Vec<ArrayRef> = values.iter().map(|v| v.to_array()).collect::<Result<_>>()?;
    Ok(RecordBatch::try_new(spec.schema(), arrays)?)
}

/// A procedure as a table function.
#[derive(Debug)]
pub struct ProcedureFunction {
    procedure: Arc<dyn Procedure>,
}

impl TableFunctionImpl for ProcedureFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let spec = self.procedure.spec();
        if args.exprs().len() > spec.params.len() {
            return Err(DataFusionError::Plan(format!(
                "{} takes at most {} arguments: {}",
                spec.name,
                spec.params.len(),
                spec.usage()
            )));
        }
        let mut values = HashMap::new();
        for (param, expr) in spec.params.iter().zip(args.exprs()) {
            // The argument itself is not echoed: it may be a code or a token.
            let Expr::Literal(value, _) = expr else {
                return Err(DataFusionError::Plan(format!(
                    "the arguments of {} must be literals ({} is an expression): {}",
                    spec.name,
                    param.name,
                    spec.usage()
                )));
            };
            if !value.is_null() {
                let text = match value {
                    ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
                        s.clone()
                    }
                    other => other.to_string(),
                };
                values.insert(param.name, text);
            }
        }
        let args = ProcedureArgs { values };
        if let Some(missing) = spec.params.iter().find(|p| p.required && args.get(p.name).is_none()) {
            return Err(DataFusionError::Plan(format!(
                "{} needs {} ({}): {}",
                spec.name,
                missing.name,
                missing.description,
                spec.usage()
            )));
        }
        Ok(Arc::new(ProcedureTable { procedure: self.procedure.clone(), args }))
    }
}

/// One call of a procedure, as a table.
#[derive(Debug)]
struct ProcedureTable {
    procedure: Arc<dyn Procedure>,
    args: ProcedureArgs,
}

#[async_trait]
impl TableProvider for ProcedureTable {
    fn schema(&self) -> SchemaRef {
        self.procedure.spec().schema()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = self.schema();
        let projected = match projection {
            Some(indices) => Arc::new(schema.project(indices)?),
            None => schema,
        };
        Ok(Arc::new(ProcedureExec::new(self.procedure.clone(), self.args.clone(), projection.cloned(), projected)))
    }
}

/// Runs a procedure call when executed, and yields its result.
#[derive(Debug)]
struct ProcedureExec {
    procedure: Arc<dyn Procedure>,
    args: ProcedureArgs,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    properties: Arc<PlanProperties>,
}

impl ProcedureExec {
    fn new(
        procedure: Arc<dyn Procedure>,
        args: ProcedureArgs,
        projection: Option<Vec<usize>>,
        schema: SchemaRef,
    ) -> Self {
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(schema.clone()),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Final,
            Boundedness::Bounded,
        ));
        ProcedureExec { procedure, args, projection, schema, properties }
    }
}

impl DisplayAs for ProcedureExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        // Argument values may be secrets (a refresh token): show their names only.
        let mut names: Vec<&str> = self.args.values.keys().copied().collect();
        names.sort_unstable();
        write!(f, "ProcedureExec: {} ({})", self.procedure.spec().name, names.join(", "))
    }
}

impl ExecutionPlan for ProcedureExec {
    fn name(&self) -> &'static str {
        "ProcedureExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        Vec::new()
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn replace_children(
        self: Arc<Self>,
        _: Vec<Arc<dyn ExecutionPlan>>,
        _: ReplaceChildrenOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    #[allow(deprecated)]
    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn ExecutionPlan>>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(&self, partition: usize, _context: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        if partition != 0 {
            return Err(DataFusionError::Internal(format!("ProcedureExec has no partition {partition}")));
        }
        let procedure = self.procedure.clone();
        let args = self.args.clone();
        let projection = self.projection.clone();
        let result = async move {
            let batch = procedure.call(args).await?;
            match projection {
                Some(indices) => Ok(batch.project(&indices)?),
                None => Ok(batch),
            }
        };
        Ok(Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), futures::stream::once(result))))
    }
}

/// Registers `procedures` as table functions of `session`, under their canonical names (which [`rewrite`] maps
/// every spelling to).
pub fn register_functions(session: &SessionContext, procedures: &[Arc<dyn Procedure>]) {
    for procedure in procedures {
        session.register_udtf(procedure.spec().name, Arc::new(ProcedureFunction { procedure: procedure.clone() }));
    }
}

/// The `sys_procedures` and `sys_procedure_parameters` tables listing `specs`.
pub fn sys_tables(specs: &[&ProcedureSpec]) -> Result<Vec<(&'static str, Arc<dyn TableProvider>)>> {
    Ok(vec![
        ("sys_procedures", Arc::new(procedures_table(specs)?)),
        ("sys_procedure_parameters", Arc::new(parameters_table(specs)?)),
    ])
}

fn procedures_table(specs: &[&ProcedureSpec]) -> Result<MemTable> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("procedure_name", DataType::Utf8, false),
        Field::new("description", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(specs.iter().map(|s| s.name))),
            Arc::new(StringArray::from_iter_values(specs.iter().map(|s| s.description))),
        ],
    )?;
    MemTable::try_new(schema, vec![vec![batch]])
}

fn parameters_table(specs: &[&ProcedureSpec]) -> Result<MemTable> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("procedure_name", DataType::Utf8, false),
        Field::new("parameter_name", DataType::Utf8, false),
        Field::new("ordinal", DataType::UInt32, false),
        Field::new("direction", DataType::Utf8, false),
        Field::new("data_type", DataType::Utf8, false),
        Field::new("required", DataType::Utf8, false),
        Field::new("description", DataType::Utf8, false),
    ]));
    let mut rows: Vec<(&str, &str, u32, &str, String, &str, &str)> = Vec::new();
    for spec in specs {
        for (i, p) in spec.params.iter().enumerate() {
            rows.push((spec.name, p.name, i as u32 + 1, "IN", "Utf8".to_owned(), yes_no(p.required), p.description));
        }
        for (i, c) in spec.columns.iter().enumerate() {
            rows.push((spec.name, c.name, i as u32 + 1, "OUT", c.data_type.to_string(), "no", c.description));
        }
    }
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.2))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.3))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.4.as_str()))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.5))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.6))),
        ],
    )?;
    MemTable::try_new(schema, vec![vec![batch]])
}

fn yes_no(flag: bool) -> &'static str {
    if flag {
        "yes"
    } else {
        "no"
    }
}

/// An `Int64` scalar from an optional count.
pub fn int(value: Option<u64>) -> ScalarValue {
    ScalarValue::Int64(value.map(|v| v as i64))
}

/// A `Utf8` scalar from an optional string.
pub fn text(value: Option<&str>) -> ScalarValue {
    ScalarValue::Utf8(value.map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_argument_names_not_values() {
        let args = ProcedureArgs { values: HashMap::from([("OAuthRefreshToken", "rt-s3cret".to_owned())]) };
        let text = format!("{args:?}");
        assert!(text.contains("OAuthRefreshToken") && !text.contains("s3cret"), "{text}");
    }
}

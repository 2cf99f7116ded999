//! Statement parameters: `@name` (ADO.NET), `$name`, `$1` and `?` in the SQL, values bound with
//! [`crate::Command::bind`] and [`crate::Command::bind_positional`].
//!
//! The syntax tree is rewritten so that every parameter is a DataFusion placeholder (`@Space` becomes `$space`, the
//! n-th `?` becomes `$n`); the values are then bound as typed scalars into the logical plan *before* it is
//! optimized, so a bound `space_key = @space` is pushed down to Confluence exactly like a literal. Arguments of
//! table functions (`cql(@query)`, the OAuth procedures) are planned when the call is, so there the bound value is
//! put into the syntax tree as a literal node (never as SQL text).

use std::collections::HashMap;
use std::fmt;
use std::ops::ControlFlow;

use datafusion::arrow::array::RecordBatch;
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{Expr, Ident, TableFactor, Value, ValueWithSpan, VisitMut, VisitorMut};

use crate::error::SqlError;

/// A value bound to a parameter: a typed scalar (`NULL`s keep their type).
#[derive(Clone, PartialEq)]
pub struct Parameter(pub ScalarValue);

impl fmt::Debug for Parameter {
    /// Shows the type only: a bound value may be a secret (an authorization code).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Parameter({})", self.0.data_type())
    }
}

macro_rules! parameter_from {
    ($($rust:ty => $variant:ident),* $(,)?) => {$(
        impl From<$rust> for Parameter {
            fn from(value: $rust) -> Self {
                Parameter(ScalarValue::$variant(Some(value.into())))
            }
        }
        impl From<Option<$rust>> for Parameter {
            fn from(value: Option<$rust>) -> Self {
                Parameter(ScalarValue::$variant(value.map(Into::into)))
            }
        }
    )*};
}

parameter_from!(String => Utf8, &str => Utf8, i64 => Int64, i32 => Int64, u32 => Int64, bool => Boolean, f64 => Float64);

impl From<chrono::DateTime<chrono::Utc>> for Parameter {
    fn from(value: chrono::DateTime<chrono::Utc>) -> Self {
        Parameter(ScalarValue::TimestampMillisecond(Some(value.timestamp_millis()), Some("UTC".into())))
    }
}

impl From<ScalarValue> for Parameter {
    fn from(value: ScalarValue) -> Self {
        Parameter(value)
    }
}

/// The parameter values of one row of an Arrow batch, as ADBC and Flight SQL clients bind them: a column named by a
/// number (or not named) binds by position, in the order of the numbers; any other column binds by its name.
/// `Debug` shows the names only.
#[derive(Clone, Default)]
pub struct ParameterRow {
    values: Vec<(Option<String>, Parameter)>,
}

impl fmt::Debug for ParameterRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .values
            .iter()
            .enumerate()
            .map(|(i, (name, _))| name.clone().unwrap_or_else(|| format!("${}", i + 1)))
            .collect();
        f.debug_struct("ParameterRow").field("parameters", &names).finish()
    }
}

impl ParameterRow {
    /// One parameter row per row of `batch`. Fails when a column holds a type no parameter can have.
    pub fn from_batch(batch: &RecordBatch) -> Result<Vec<ParameterRow>, SqlError> {
        let schema = batch.schema();
        let mut columns: Vec<(Option<usize>, usize)> = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| (if f.name().is_empty() { Some(i) } else { position(f.name()) }, i))
            .collect();
        columns.sort_by_key(|(number, i)| (number.is_none(), *number, *i));
        let mut rows = Vec::with_capacity(batch.num_rows());
        for row in 0..batch.num_rows() {
            let mut values = Vec::with_capacity(columns.len());
            for (number, i) in &columns {
                let name = schema.field(*i).name();
                let value = ScalarValue::try_from_array(batch.column(*i), row)
                    .map_err(|e| SqlError::Parameter(format!("parameter {name}: {e}")))?;
                // Flight SQL clients may send each value in a dense union of the types it could have.
                let value = match value {
                    ScalarValue::Union(Some((_, inner)), ..) => *inner,
                    ScalarValue::Union(None, ..) => ScalarValue::Null,
                    other => other,
                };
                values.push((number.is_none().then(|| name.clone()), Parameter(value)));
            }
            rows.push(ParameterRow { values });
        }
        Ok(rows)
    }

    /// Whether `batch`'s columns would all bind by position (numbered or unnamed).
    pub fn all_positional(batch: &RecordBatch) -> bool {
        batch.schema().fields().iter().all(|f| f.name().is_empty() || position(f.name()).is_some())
    }

    /// The values in binding order: a name for a named parameter, `None` for the next positional one.
    pub fn values(&self) -> &[(Option<String>, Parameter)] {
        &self.values
    }
}

/// The position a column name gives: a number, optionally written as its placeholder (`$2`).
fn position(name: &str) -> Option<usize> {
    name.strip_prefix('$').unwrap_or(name).parse::<usize>().ok()
}

/// The parameters a statement refers to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParameterRefs {
    /// Named parameters, folded to lower case, in order of first use.
    pub named: Vec<String>,
    /// How many positional parameters (`$1`..`$n`, or the `?`s).
    pub positional: usize,
}

/// The values bound to a command.
#[derive(Debug, Clone, Default)]
pub struct Bindings {
    /// By name (lower case, without `@` or `$`).
    pub named: Vec<(String, Parameter)>,
    /// By position.
    pub positional: Vec<Parameter>,
}

impl Bindings {
    /// Binds `value` to the parameter `name` (given with or without its `@`, `$` or `:`); binding twice replaces.
    pub fn bind(&mut self, name: &str, value: Parameter) {
        let name = fold(name.trim_start_matches(['@', '$', ':']));
        self.named.retain(|(n, _)| *n != name);
        self.named.push((name, value));
    }

    fn named(&self, name: &str) -> Option<&Parameter> {
        self.named.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Checks the bindings against what the statement refers to and returns the values for the plan.
    pub fn param_values(&self, refs: &ParameterRefs) -> Result<Option<ParamValues>, SqlError> {
        if !self.named.is_empty() && !self.positional.is_empty() {
            return Err(SqlError::Parameter(
                "parameters were bound both by name and by position; use one style per command".to_owned(),
            ));
        }
        if refs.positional > 0 {
            if self.positional.len() != refs.positional || !self.named.is_empty() {
                return Err(SqlError::Parameter(format!(
                    "the statement has {} positional parameter(s) ($1 or ?) and {} value(s) were bound with \
                     bind_positional",
                    refs.positional,
                    self.positional.len()
                )));
            }
            let values = self.positional.iter().map(|p| p.0.clone().into()).collect();
            return Ok(Some(ParamValues::List(values)));
        }
        if let Some(missing) = refs.named.iter().find(|n| self.named(n).is_none()) {
            return Err(SqlError::Parameter(format!(
                "parameter @{missing} has no value: bind it with .bind(\"{missing}\", value)"
            )));
        }
        if let Some((unused, _)) = self.named.iter().find(|(n, _)| !refs.named.contains(n)) {
            let known: Vec<String> = refs.named.iter().map(|n| format!("@{n}")).collect();
            return Err(SqlError::Parameter(format!(
                "parameter @{unused} was bound but the statement does not use it (it uses {})",
                if known.is_empty() { "no named parameter".to_owned() } else { known.join(", ") }
            )));
        }
        if !self.positional.is_empty() {
            return Err(SqlError::Parameter(format!(
                "{} value(s) were bound with bind_positional but the statement has no positional parameter",
                self.positional.len()
            )));
        }
        if refs.named.is_empty() {
            return Ok(None);
        }
        let values: HashMap<String, _> = self.named.iter().map(|(n, v)| (n.clone(), v.0.clone().into())).collect();
        Ok(Some(ParamValues::Map(values)))
    }
}

fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// The highest positional parameter (`$65535`): a larger number is a typo or an attack, not a statement.
pub const MAX_POSITIONAL: usize = 65_535;

/// Numbers the `?`s of `statement` as `$1`, `$2`... in the order they are written (by their position in the text,
/// not the syntax tree's order: `LIMIT ? OFFSET ?` and procedure arguments reordered by name keep the caller's
/// order). Runs before anything moves expressions. A statement mixing `?` with `$n` is refused.
pub fn number_question_marks(statement: &mut DFStatement) -> Result<(), SqlError> {
    let mut survey = Marks { positions: Vec::new(), numbered: false, assign: None, seen: 0 };
    visit_statement(statement, &mut survey);
    if survey.positions.is_empty() {
        return Ok(());
    }
    if survey.numbered {
        return Err(SqlError::Parameter(
            "the statement mixes ? with numbered parameters ($1); use one style".to_owned(),
        ));
    }
    let mut order: Vec<usize> = (0..survey.positions.len()).collect();
    if survey.positions.iter().all(|p| p.0 > 0) {
        order.sort_by_key(|&i| survey.positions[i]);
    }
    let mut numbers = vec![0; order.len()];
    for (rank, &visit) in order.iter().enumerate() {
        numbers[visit] = rank + 1;
    }
    let mut assign = Marks { positions: Vec::new(), numbered: false, assign: Some(numbers), seen: 0 };
    visit_statement(statement, &mut assign);
    Ok(())
}

fn visit_statement<V: VisitorMut<Break = SqlError>>(statement: &mut DFStatement, visitor: &mut V) {
    let _ = match statement {
        DFStatement::Statement(inner) => inner.visit(visitor),
        DFStatement::Explain(explain) => match explain.statement.as_mut() {
            DFStatement::Statement(inner) => inner.visit(visitor),
            _ => ControlFlow::Continue(()),
        },
        _ => ControlFlow::Continue(()),
    };
}

/// Finds the `?`s (their line and column) and whether `$n` is used; with `assign`, replaces the n-th `?` visited
/// by its number.
struct Marks {
    positions: Vec<(u64, u64)>,
    numbered: bool,
    assign: Option<Vec<usize>>,
    seen: usize,
}

impl VisitorMut for Marks {
    type Break = SqlError;

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<SqlError> {
        let Expr::Value(ValueWithSpan { value: Value::Placeholder(text), span }) = expr else {
            return ControlFlow::Continue(());
        };
        if text == "?" {
            match &self.assign {
                None => self.positions.push((span.start.line, span.start.column)),
                Some(numbers) => *text = format!("${}", numbers[self.seen]),
            }
            self.seen += 1;
        } else if text.starts_with('$') && text[1..].parse::<usize>().is_ok() {
            self.numbered = true;
        }
        ControlFlow::Continue(())
    }
}

/// Rewrites the parameters of `statement` into placeholders (see the module documentation). Arguments of table
/// functions take their bound value now; without `bindings` (a prepared command) they must be literals.
pub fn rewrite_parameters(statement: &mut DFStatement, bindings: Option<&Bindings>) -> Result<ParameterRefs, SqlError> {
    let mut visitor = Rewriter { bindings, refs: ParameterRefs::default(), table_functions: 0, style: None };
    let outcome = match statement {
        DFStatement::Statement(inner) => inner.visit(&mut visitor),
        DFStatement::Explain(explain) => match explain.statement.as_mut() {
            DFStatement::Statement(inner) => inner.visit(&mut visitor),
            _ => ControlFlow::Continue(()),
        },
        _ => ControlFlow::Continue(()),
    };
    match outcome {
        ControlFlow::Break(error) => Err(error),
        ControlFlow::Continue(()) => Ok(visitor.refs),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Named,
    Positional,
}

struct Rewriter<'a> {
    bindings: Option<&'a Bindings>,
    refs: ParameterRefs,
    table_functions: usize,
    style: Option<Style>,
}

/// A parameter reference, as written.
enum Reference {
    Named(String),
    Next,
    Numbered(usize),
}

fn reference(expr: &Expr) -> Option<Reference> {
    match expr {
        Expr::Identifier(Ident { value, quote_style: None, .. }) if value.len() > 1 && value.starts_with('@') => {
            Some(Reference::Named(fold(&value[1..])))
        }
        Expr::Value(ValueWithSpan { value: Value::Placeholder(text), .. }) => {
            let rest = text.get(1..).unwrap_or("");
            match (text.chars().next(), rest.parse::<usize>()) {
                (Some('?'), _) if rest.is_empty() => Some(Reference::Next),
                (Some('$'), Ok(n)) => Some(Reference::Numbered(n)),
                (Some('$' | ':' | '@'), Err(_)) if !rest.is_empty() => Some(Reference::Named(fold(rest))),
                _ => None,
            }
        }
        _ => None,
    }
}

impl Rewriter<'_> {
    fn resolve(&mut self, reference: Reference) -> Result<(String, Option<&Parameter>), SqlError> {
        let style = match reference {
            Reference::Named(_) => Style::Named,
            _ => Style::Positional,
        };
        if self.style.is_some_and(|s| s != style) {
            return Err(SqlError::Parameter(
                "the statement mixes named (@name) and positional ($1, ?) parameters; use one style".to_owned(),
            ));
        }
        self.style = Some(style);
        Ok(match reference {
            Reference::Named(name) => {
                if !self.refs.named.contains(&name) {
                    self.refs.named.push(name.clone());
                }
                let value = self.bindings.and_then(|b| b.named(&name));
                (format!("${name}"), value)
            }
            Reference::Next => {
                self.refs.positional += 1;
                let n = self.refs.positional;
                (format!("${n}"), self.bindings.and_then(|b| b.positional.get(n - 1)))
            }
            Reference::Numbered(0) => {
                return Err(SqlError::Parameter("positional parameters start at $1".to_owned()));
            }
            Reference::Numbered(n) if n > MAX_POSITIONAL => {
                return Err(SqlError::Parameter(format!(
                    "${n} is beyond the highest positional parameter, ${MAX_POSITIONAL}"
                )));
            }
            Reference::Numbered(n) => {
                self.refs.positional = self.refs.positional.max(n);
                (format!("${n}"), self.bindings.and_then(|b| b.positional.get(n - 1)))
            }
        })
    }
}

impl VisitorMut for Rewriter<'_> {
    type Break = SqlError;

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<SqlError> {
        if matches!(factor, TableFactor::Table { args: Some(_), .. }) {
            self.table_functions += 1;
        }
        ControlFlow::Continue(())
    }

    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<SqlError> {
        if matches!(factor, TableFactor::Table { args: Some(_), .. }) {
            self.table_functions -= 1;
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<SqlError> {
        let Some(reference) = reference(expr) else { return ControlFlow::Continue(()) };
        let in_table_function = self.table_functions > 0;
        let (placeholder, value) = match self.resolve(reference) {
            Ok(resolved) => resolved,
            Err(error) => return ControlFlow::Break(error),
        };
        if !in_table_function {
            *expr = Expr::Value(Value::Placeholder(placeholder).into());
            return ControlFlow::Continue(());
        }
        match value {
            Some(value) => {
                *expr = Expr::Value(literal(&value.0).into());
                ControlFlow::Continue(())
            }
            None => ControlFlow::Break(SqlError::Parameter(format!(
                "{} is an argument of a table function or procedure: bind its value before executing (a prepared \
                 command cannot leave it open)",
                placeholder.replacen('$', "@", 1)
            ))),
        }
    }
}

/// A bound value as a literal node of the syntax tree (table-function arguments).
fn literal(value: &ScalarValue) -> Value {
    if value.is_null() {
        return Value::Null;
    }
    match value {
        ScalarValue::Int64(Some(n)) => Value::Number(n.to_string(), false),
        ScalarValue::Float64(Some(n)) => Value::Number(n.to_string(), false),
        ScalarValue::Boolean(Some(b)) => Value::Boolean(*b),
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            Value::SingleQuotedString(s.clone())
        }
        other => Value::SingleQuotedString(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_generic;

    fn rewritten(sql: &str, bindings: Option<&Bindings>) -> Result<(String, ParameterRefs), SqlError> {
        let mut statement = parse_generic(sql, 50)?;
        let refs = rewrite_parameters(&mut statement, bindings)?;
        Ok((statement.to_string(), refs))
    }

    #[test]
    fn named_parameters_become_placeholders_folded_to_lower_case() {
        let (sql, refs) =
            rewritten("SELECT title FROM pages WHERE space_key = @Space AND status = @status OR id = @SPACE", None)
                .expect("rewrites");
        assert_eq!(sql, "SELECT title FROM pages WHERE space_key = $space AND status = $status OR id = $space");
        assert_eq!(refs, ParameterRefs { named: vec!["space".into(), "status".into()], positional: 0 });
    }

    #[test]
    fn question_marks_are_numbered_in_order() {
        let (sql, refs) = rewritten("SELECT * FROM pages WHERE a = ? AND b IN (?, ?)", None).expect("rewrites");
        assert_eq!(sql, "SELECT * FROM pages WHERE a = $1 AND b IN ($2, $3)");
        assert_eq!(refs.positional, 3);
        let (_, refs) = rewritten("SELECT $2, $1", None).expect("rewrites");
        assert_eq!(refs.positional, 2);
    }

    fn numbered(sql: &str) -> Result<String, SqlError> {
        let mut statement = parse_generic(sql, 50)?;
        number_question_marks(&mut statement)?;
        Ok(statement.to_string())
    }

    #[test]
    fn question_marks_follow_the_text_not_the_tree() {
        // The tree keeps LIMIT before OFFSET whatever the text says; the values follow the text.
        assert_eq!(
            numbered("SELECT a FROM t OFFSET ? LIMIT ?").expect("numbers"),
            "SELECT a FROM t LIMIT $2 OFFSET $1"
        );
        assert_eq!(
            numbered("EXEC GetOAuthAccessToken @State = ?, @Verifier = ?").expect("numbers"),
            "EXECUTE GetOAuthAccessToken @State = $1, @Verifier = $2"
        );
        assert!(numbered("SELECT ?, $1").expect_err("mixed").to_string().contains("mixes ?"));
        let huge = rewritten("SELECT $18446744073709551615", None).expect_err("huge");
        assert!(huge.to_string().contains("$65535"), "{huge}");
    }

    #[test]
    fn mixing_styles_is_an_error() {
        let error = rewritten("SELECT * FROM pages WHERE a = @a AND b = ?", None).expect_err("mixed");
        assert!(error.to_string().contains("mixes named"), "{error}");
    }

    #[test]
    fn quoted_identifiers_and_strings_are_not_parameters() {
        let (sql, refs) = rewritten("SELECT \"@a\", '@b', '?' FROM pages", None).expect("rewrites");
        assert_eq!(refs, ParameterRefs::default(), "{sql}");
    }

    #[test]
    fn table_function_arguments_take_the_bound_value_as_a_literal_node() {
        let mut bindings = Bindings::default();
        bindings.bind("@q", Parameter::from("title ~ \"x'); SELECT 42 --\""));
        let (sql, refs) = rewritten("SELECT * FROM cql(@q)", Some(&bindings)).expect("rewrites");
        assert_eq!(refs.named, ["q"]);
        // One literal: the quote inside the value is data, not SQL.
        assert_eq!(sql, "SELECT * FROM cql('title ~ \"x''); SELECT 42 --\"')");
        let error = rewritten("SELECT * FROM cql(@q)", None).expect_err("unbound table-function argument");
        assert!(error.to_string().contains("@q"), "{error}");
    }

    #[test]
    fn bindings_are_checked_against_the_statement() {
        let refs = ParameterRefs { named: vec!["space".into()], positional: 0 };
        let mut bindings = Bindings::default();
        let missing = bindings.param_values(&refs).expect_err("missing");
        assert!(missing.to_string().contains(".bind(\"space\""), "{missing}");
        bindings.bind("Space", "ENG".into());
        assert!(matches!(bindings.param_values(&refs), Ok(Some(ParamValues::Map(_)))));
        bindings.bind("spcae", "ENG".into());
        let unused = bindings.param_values(&refs).expect_err("unused");
        assert!(unused.to_string().contains("@spcae") && unused.to_string().contains("@space"), "{unused}");
        let positional = Bindings { named: vec![], positional: vec![1i64.into()] };
        let wrong = positional.param_values(&ParameterRefs { named: vec![], positional: 2 }).expect_err("count");
        assert!(wrong.to_string().contains("2 positional"), "{wrong}");
    }

    #[test]
    fn debug_does_not_show_values() {
        assert_eq!(format!("{:?}", Parameter::from("secret-code")), "Parameter(Utf8)");
    }
}

#[cfg(test)]
mod parameter_row_tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Int32Array, Int64Array, StringArray, UnionArray};
    use datafusion::arrow::buffer::ScalarBuffer;
    use datafusion::arrow::datatypes::{DataType, Field, Schema, UnionFields};

    use super::*;

    #[test]
    fn numbered_columns_bind_in_number_order_and_unions_are_unwrapped() {
        let fields = UnionFields::try_new(
            vec![0, 1],
            vec![Field::new("i", DataType::Int64, true), Field::new("s", DataType::Utf8, true)],
        )
        .unwrap();
        let children: Vec<ArrayRef> =
            vec![Arc::new(Int64Array::from(Vec::<i64>::new())), Arc::new(StringArray::from(vec!["ENG"]))];
        let union = UnionArray::try_new(
            fields.clone(),
            ScalarBuffer::from(vec![1i8]),
            Some(ScalarBuffer::from(vec![0i32])),
            children,
        )
        .unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("$2", DataType::Int32, true),
            Field::new("$1", datafusion::arrow::array::Array::data_type(&union).clone(), true),
            Field::new("space", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(Int32Array::from(vec![7])), Arc::new(union), Arc::new(StringArray::from(vec!["DOCS"]))],
        )
        .unwrap();
        let rows = ParameterRow::from_batch(&batch).unwrap();
        let values = rows[0].values();
        assert_eq!(values[0], (None, Parameter(ScalarValue::Utf8(Some("ENG".into())))));
        assert_eq!(values[1], (None, Parameter(ScalarValue::Int32(Some(7)))));
        assert_eq!(values[2], (Some("space".into()), Parameter(ScalarValue::Utf8(Some("DOCS".into())))));
        assert!(!ParameterRow::all_positional(&batch));
    }
}

//! Rewrites procedure calls into what DataFusion plans: `EXEC Proc @A = 'x', 'y'` (or `EXECUTE Proc A = 'x'`)
//! becomes `SELECT * FROM Proc(...)`, and named table-function arguments (`Proc(A => 'x')`, which DataFusion does
//! not accept) become positional ones, with NULL for the ones left out. Procedure names are matched without regard
//! to case and replaced by their canonical spelling.

use std::ops::ControlFlow;

use datafusion::error::{DataFusionError, Result};
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, Ident, ObjectName, ObjectNamePart, Statement, TableFactor, Value, VisitMut,
    VisitorMut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::ProcedureSpec;

/// Rewrites `statement` in place; returns whether it calls a procedure.
pub fn rewrite(statement: &mut DFStatement, specs: &[&'static ProcedureSpec]) -> Result<bool> {
    match statement {
        DFStatement::Statement(inner) => rewrite_sql(inner, specs),
        DFStatement::Explain(explain) => rewrite(&mut explain.statement, specs),
        _ => Ok(false),
    }
}

fn rewrite_sql(statement: &mut Statement, specs: &[&'static ProcedureSpec]) -> Result<bool> {
    if let Statement::Execute { name, parameters, immediate: false, .. } = statement {
        let Some(name) = name.as_ref().and_then(single_name) else {
            return Err(DataFusionError::Plan("EXEC needs a procedure name".to_owned()));
        };
        let spec = find(specs, &name).ok_or_else(|| unknown_procedure(&name, specs))?;
        let mut arguments = Vec::new();
        for parameter in parameters.iter() {
            match parameter {
                Expr::BinaryOp { left, op: datafusion::sql::sqlparser::ast::BinaryOperator::Eq, right } => {
                    let Expr::Identifier(ident) = left.as_ref() else {
                        return Err(DataFusionError::Plan(format!(
                            "EXEC {}: write each argument as @Name = value or as a value: {}",
                            spec.name,
                            spec.usage()
                        )));
                    };
                    arguments.push((Some(ident.value.clone()), right.as_ref().clone()));
                }
                other => arguments.push((None, other.clone())),
            }
        }
        let positional = order_arguments(spec, arguments)?;
        let list: Vec<String> = positional.iter().map(|e| e.to_string()).collect();
        let sql = format!("SELECT * FROM {}({})", spec.name, list.join(", "));
        let mut parsed = Parser::parse_sql(&GenericDialect {}, &sql)
            .map_err(|e| DataFusionError::Plan(format!("cannot rewrite EXEC {}: {e}", spec.name)))?;
        *statement = parsed.pop().ok_or_else(|| DataFusionError::Internal("empty EXEC rewrite".to_owned()))?;
        return Ok(true);
    }
    let mut visitor = TableFunctionArgs { specs, calls: 0, error: None };
    let _ = statement.visit(&mut visitor);
    match visitor.error {
        Some(error) => Err(error),
        None => Ok(visitor.calls > 0),
    }
}

struct TableFunctionArgs<'a> {
    specs: &'a [&'static ProcedureSpec],
    calls: usize,
    error: Option<DataFusionError>,
}

impl VisitorMut for TableFunctionArgs<'_> {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::Table { name, args, .. } = factor else { return ControlFlow::Continue(()) };
        let Some(spec) = single_name(name).and_then(|n| find(self.specs, &n)) else {
            return ControlFlow::Continue(());
        };
        let Some(args) = args else {
            self.error = Some(DataFusionError::Plan(format!(
                "{} is a procedure: call it with parentheses, {}",
                spec.name,
                spec.usage()
            )));
            return ControlFlow::Break(());
        };
        self.calls += 1;
        *name = ObjectName(vec![ObjectNamePart::Identifier(Ident::new(spec.name))]);
        let mut arguments = Vec::new();
        for arg in &args.args {
            let (arg_name, value) = match arg {
                FunctionArg::Named { name, arg: FunctionArgExpr::Expr(e), .. } => (Some(name.value.clone()), e),
                FunctionArg::ExprNamed { name: Expr::Identifier(name), arg: FunctionArgExpr::Expr(e), .. } => {
                    (Some(name.value.clone()), e)
                }
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => (None, e),
                other => {
                    self.error = Some(DataFusionError::Plan(format!(
                        "{}: unsupported argument {other}: {}",
                        spec.name,
                        spec.usage()
                    )));
                    return ControlFlow::Break(());
                }
            };
            arguments.push((arg_name, value.clone()));
        }
        match order_arguments(spec, arguments) {
            Ok(positional) => {
                args.args = positional.into_iter().map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e))).collect();
                ControlFlow::Continue(())
            }
            Err(error) => {
                self.error = Some(error);
                ControlFlow::Break(())
            }
        }
    }
}

/// Places named and positional arguments by parameter; positional ones must come first.
fn order_arguments(spec: &ProcedureSpec, arguments: Vec<(Option<String>, Expr)>) -> Result<Vec<Expr>> {
    let mut slots: Vec<Option<Expr>> = vec![None; spec.params.len()];
    let mut seen_named = false;
    for (position, (name, value)) in arguments.into_iter().enumerate() {
        let index = match name {
            Some(name) => {
                seen_named = true;
                spec.param_index(&name).ok_or_else(|| {
                    let names: Vec<&str> = spec.params.iter().map(|p| p.name).collect();
                    DataFusionError::Plan(format!(
                        "{} has no parameter {}; its parameters are {}",
                        spec.name,
                        name.trim_start_matches('@'),
                        names.join(", ")
                    ))
                })?
            }
            None if seen_named => {
                return Err(DataFusionError::Plan(format!(
                    "{}: positional arguments must come before named ones: {}",
                    spec.name,
                    spec.usage()
                )))
            }
            None => position,
        };
        let slot = slots.get_mut(index).ok_or_else(|| {
            DataFusionError::Plan(format!(
                "{} takes at most {} arguments: {}",
                spec.name,
                spec.params.len(),
                spec.usage()
            ))
        })?;
        if slot.is_some() {
            return Err(DataFusionError::Plan(format!("{}: {} is given twice", spec.name, spec.params[index].name)));
        }
        *slot = Some(value);
    }
    while slots.last().is_some_and(Option::is_none) {
        slots.pop();
    }
    Ok(slots.into_iter().map(|s| s.unwrap_or_else(|| Expr::Value(Value::Null.into()))).collect())
}

fn single_name(name: &ObjectName) -> Option<String> {
    match name.0.as_slice() {
        [part] => part.as_ident().map(|i| i.value.clone()),
        _ => None,
    }
}

fn find(specs: &[&'static ProcedureSpec], name: &str) -> Option<&'static ProcedureSpec> {
    specs.iter().find(|s| s.name.eq_ignore_ascii_case(name)).copied()
}

fn unknown_procedure(name: &str, specs: &[&'static ProcedureSpec]) -> DataFusionError {
    let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
    let nearest = specs
        .iter()
        .map(|s| (strsim::jaro_winkler(&s.name.to_ascii_lowercase(), &name.to_ascii_lowercase()), s.name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let hint = match nearest {
        Some((_, n)) => format!("; did you mean {n}?"),
        None => String::new(),
    };
    DataFusionError::Plan(format!("unknown procedure {name}{hint} The procedures are: {}", names.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procedures::oauth::SPECS;

    fn rewritten(sql: &str) -> Result<(bool, String)> {
        let mut statement = datafusion::sql::parser::DFParser::parse_sql(sql)
            .map_err(|e| DataFusionError::Plan(e.to_string()))?
            .pop_front()
            .ok_or_else(|| DataFusionError::Plan("no statement".into()))?;
        let calls = rewrite(&mut statement, SPECS)?;
        Ok((calls, statement.to_string()))
    }

    #[test]
    fn exec_becomes_a_table_function_call() {
        assert_eq!(
            rewritten("EXEC GetOAuthAuthorizationURL @CallbackURL = 'http://localhost:33333', @State = 's'").unwrap(),
            (true, "SELECT * FROM GetOAuthAuthorizationURL('http://localhost:33333', NULL, 's')".into())
        );
        assert_eq!(
            rewritten("execute getoauthauthorizationurl CallbackURL='http://x'").unwrap(),
            (true, "SELECT * FROM GetOAuthAuthorizationURL('http://x')".into())
        );
        assert_eq!(
            rewritten("EXEC RefreshOAuthAccessToken 'rt'").unwrap(),
            (true, "SELECT * FROM RefreshOAuthAccessToken('rt')".into())
        );
        assert_eq!(rewritten("EXEC GetOAuthAuthorizationURL").unwrap().1, "SELECT * FROM GetOAuthAuthorizationURL()");
    }

    #[test]
    fn named_table_function_arguments_become_positional() {
        assert_eq!(
            rewritten("SELECT url FROM getOAuthAuthorizationUrl(State => 's', CallbackURL => 'http://x')").unwrap(),
            (true, "SELECT url FROM GetOAuthAuthorizationURL('http://x', NULL, 's')".into())
        );
        assert_eq!(rewritten("SELECT * FROM pages").unwrap(), (false, "SELECT * FROM pages".into()));
        assert!(rewritten("EXPLAIN SELECT * FROM GetOAuthAuthorizationURL(CallbackURL => 'http://x')").unwrap().0);
    }

    #[test]
    fn mistakes_are_explained() {
        let message = |sql: &str| rewritten(sql).unwrap_err().to_string();
        assert!(message("EXEC GetOAuthAuthorisationURL").contains("did you mean GetOAuthAuthorizationURL"));
        assert!(message("EXEC GetOAuthAuthorizationURL @Callback = 'x'").contains("no parameter Callback"));
        assert!(message("SELECT * FROM GetOAuthAuthorizationURL(State => 's', 'x')").contains("positional"));
        assert!(message("EXEC GetOAuthAuthorizationURL 'a', @CallbackURL = 'b'").contains("given twice"));
        assert!(message("SELECT * FROM RefreshOAuthAccessToken('a', 'b')").contains("at most 1"));
        assert!(message("SELECT * FROM GetOAuthAuthorizationURL").contains("call it with parentheses"));
    }
}

//! Rewrites procedure calls into what DataFusion plans: `EXEC Proc @A = 'x', 'y'` (or `EXECUTE Proc A = 'x'`)
//! becomes `SELECT * FROM Proc(...)`, and named table-function arguments (`Proc(A => 'x')`, which DataFusion does
//! not accept) become positional ones, with NULL for the ones left out. Procedure names are matched without regard
//! to case and replaced by their canonical spelling.
//!
//! Everything is done on the syntax tree: the call is built as a tree with the caller's argument expressions
//! moved into it, never printed back to SQL text and parsed again (a literal's escaping can change meaning
//! between a printer and a parser, and a text round trip once let `EXEC ... @Verifier = 'x\''); SELECT ...'`
//! run a second statement).

use std::ops::ControlFlow;

use datafusion::error::{DataFusionError, Result};
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    visit_expressions_mut, Expr, FunctionArg, FunctionArgExpr, GroupByExpr, Ident, ObjectName, ObjectNamePart, Query,
    Select, SelectFlavor, SelectItem, SetExpr, Statement, TableFactor, TableWithJoins, Value, VisitMut, VisitorMut,
    WildcardAdditionalOptions,
};

use super::ProcedureSpec;

/// Rewrites `statement` in place; returns the procedures it calls (empty when none).
pub fn rewrite(statement: &mut DFStatement, specs: &[&'static ProcedureSpec]) -> Result<Vec<&'static ProcedureSpec>> {
    match statement {
        DFStatement::Statement(inner) => rewrite_sql(inner, specs),
        DFStatement::Explain(explain) => rewrite(&mut explain.statement, specs),
        _ => Ok(Vec::new()),
    }
}

fn rewrite_sql(statement: &mut Statement, specs: &[&'static ProcedureSpec]) -> Result<Vec<&'static ProcedureSpec>> {
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
        *statement = select_all_from(spec.name, positional);
        return Ok(vec![spec]);
    }
    let mut visitor = TableFunctionArgs { specs, calls: Vec::new(), error: None };
    let _ = statement.visit(&mut visitor);
    match visitor.error {
        Some(error) => Err(error),
        None => Ok(visitor.calls),
    }
}

struct TableFunctionArgs<'a> {
    specs: &'a [&'static ProcedureSpec],
    calls: Vec<&'static ProcedureSpec>,
    error: Option<DataFusionError>,
}

impl VisitorMut for TableFunctionArgs<'_> {
    type Break = ();

    /// In a query over one procedure call, unquoted names of its result columns are matched whatever their case:
    /// `SELECT oauthaccesstoken` and `SELECT OAuthAccessToken` both become `SELECT "OAuthAccessToken"`.
    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        let SetExpr::Select(select) = query.body.as_mut() else { return ControlFlow::Continue(()) };
        let [TableWithJoins { relation: TableFactor::Table { name, args, .. }, joins }] = select.from.as_slice() else {
            return ControlFlow::Continue(());
        };
        if !joins.is_empty() {
            return ControlFlow::Continue(());
        }
        // A procedure call, or one of CData's system tables (by the last part of its name).
        let columns: Vec<&'static str> = match args {
            Some(_) => match single_name(name).and_then(|n| find(self.specs, &n)) {
                Some(spec) => spec.columns.iter().map(|c| c.name).collect(),
                None => return ControlFlow::Continue(()),
            },
            None => {
                let last = name.0.last().and_then(|part| part.as_ident()).map(|i| i.value.clone());
                match last.as_deref().and_then(crate::cdata_sys::case_preserved_columns) {
                    Some(columns) => columns.to_vec(),
                    None => return ControlFlow::Continue(()),
                }
            }
        };
        let quote = |expr: &mut Expr| {
            let ident = match expr {
                Expr::Identifier(ident) => ident,
                Expr::CompoundIdentifier(parts) => match parts.last_mut() {
                    Some(ident) => ident,
                    None => return ControlFlow::<()>::Continue(()),
                },
                _ => return ControlFlow::Continue(()),
            };
            if ident.quote_style.is_none() {
                if let Some(column) = columns.iter().find(|c| c.eq_ignore_ascii_case(&ident.value)) {
                    *ident = Ident::with_quote('"', *column);
                }
            }
            ControlFlow::Continue(())
        };
        for item in select.projection.iter_mut() {
            let _ = visit_expressions_mut(item, quote);
        }
        let _ = visit_expressions_mut(&mut select.selection, quote);
        let _ = visit_expressions_mut(&mut select.having, quote);
        let _ = visit_expressions_mut(&mut select.group_by, quote);
        let _ = visit_expressions_mut(&mut query.order_by, quote);
        ControlFlow::Continue(())
    }

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
        self.calls.push(spec);
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

/// `SELECT * FROM <name>(<arguments>)`, built as a syntax tree.
fn select_all_from(name: &str, arguments: Vec<Expr>) -> Statement {
    let relation = TableFactor::Table {
        name: ObjectName(vec![ObjectNamePart::Identifier(Ident::new(name))]),
        alias: None,
        args: Some(datafusion::sql::sqlparser::ast::TableFunctionArgs {
            args: arguments.into_iter().map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e))).collect(),
            settings: None,
        }),
        with_hints: Vec::new(),
        version: None,
        with_ordinality: false,
        partitions: Vec::new(),
        json_path: None,
        sample: None,
        index_hints: Vec::new(),
    };
    let select = Select {
        select_token: AttachedToken::empty(),
        optimizer_hints: Vec::new(),
        distinct: None,
        select_modifiers: None,
        top: None,
        top_before_distinct: false,
        projection: vec![SelectItem::Wildcard(WildcardAdditionalOptions::default())],
        exclude: None,
        into: None,
        from: vec![TableWithJoins { relation, joins: Vec::new() }],
        lateral_views: Vec::new(),
        prewhere: None,
        selection: None,
        connect_by: Vec::new(),
        group_by: GroupByExpr::Expressions(Vec::new(), Vec::new()),
        cluster_by: Vec::new(),
        distribute_by: Vec::new(),
        sort_by: Vec::new(),
        having: None,
        named_window: Vec::new(),
        qualify: None,
        window_before_qualify: false,
        value_table_mode: None,
        flavor: SelectFlavor::Standard,
    };
    Statement::Query(Box::new(Query {
        with: None,
        body: Box::new(SetExpr::Select(Box::new(select))),
        order_by: None,
        limit_clause: None,
        fetch: None,
        locks: Vec::new(),
        for_clause: None,
        settings: None,
        format_clause: None,
        pipe_operators: Vec::new(),
    }))
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
    use crate::procedures::SPECS;

    fn rewritten(sql: &str) -> Result<(bool, String)> {
        let mut statement = datafusion::sql::parser::DFParser::parse_sql(sql)
            .map_err(|e| DataFusionError::Plan(e.to_string()))?
            .pop_front()
            .ok_or_else(|| DataFusionError::Plan("no statement".into()))?;
        let calls = rewrite(&mut statement, SPECS)?;
        Ok((!calls.is_empty(), statement.to_string()))
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
            (true, "SELECT \"URL\" FROM GetOAuthAuthorizationURL('http://x', NULL, 's')".into())
        );
        assert_eq!(rewritten("SELECT * FROM pages").unwrap(), (false, "SELECT * FROM pages".into()));
        assert!(rewritten("EXPLAIN SELECT * FROM GetOAuthAuthorizationURL(CallbackURL => 'http://x')").unwrap().0);
    }

    /// The text round trip once turned a correctly escaped literal into a second statement.
    #[test]
    fn an_escaped_literal_stays_one_argument() {
        let sql = r"EXEC GetOAuthAccessToken @Verifier = 'x\''); SELECT 42 AS pwned --'";
        let mut statement = datafusion::sql::parser::DFParser::parse_sql(sql)
            .unwrap_or_else(|e| panic!("{e}"))
            .pop_front()
            .unwrap_or_else(|| panic!("one statement"));
        assert!(rewrite(&mut statement, SPECS).is_ok_and(|calls| !calls.is_empty()));
        let verifier = verifier_of(&statement);
        assert_eq!(verifier.as_deref(), Some(r"x\'); SELECT 42 AS pwned --"));
    }

    /// The `Verifier` argument of a rewritten `GetOAuthAccessToken` call, when it is a string literal.
    fn verifier_of(statement: &DFStatement) -> Option<String> {
        let DFStatement::Statement(inner) = statement else { return None };
        let Statement::Query(query) = inner.as_ref() else { return None };
        let SetExpr::Select(select) = query.body.as_ref() else { return None };
        let TableFactor::Table { name, args: Some(args), .. } = &select.from.first()?.relation else { return None };
        assert_eq!(name.to_string(), "GetOAuthAccessToken");
        match args.args.get(1)? {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(value))) => match &value.value {
                Value::SingleQuotedString(text) => Some(text.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    proptest::proptest! {
        /// Whatever the text of a literal argument, the rewrite is one call whose argument is that exact text.
        #[test]
        fn any_literal_is_passed_through_unchanged(text in "\\PC*", positional in proptest::bool::ANY) {
            let literal = format!("'{}'", text.replace('\'', "''"));
            let sql = if positional {
                format!("EXEC GetOAuthAccessToken NULL, {literal}")
            } else {
                format!("EXEC GetOAuthAccessToken @Verifier = {literal}")
            };
            let parsed = datafusion::sql::parser::DFParser::parse_sql(&sql);
            // Some texts are not SQL the parser accepts (e.g. an unpaired surrogate cannot occur, but control
            // characters may be refused); those never reach the rewrite.
            if let Ok(mut statements) = parsed {
                proptest::prop_assert_eq!(statements.len(), 1);
                let mut statement = statements.pop_front().unwrap_or_else(|| unreachable!());
                proptest::prop_assert!(rewrite(&mut statement, SPECS).is_ok_and(|calls| !calls.is_empty()));
                proptest::prop_assert_eq!(verifier_of(&statement), Some(text));
            }
        }
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

//! Parsing one statement within a work budget.
//!
//! sqlparser 0.62 (the version DataFusion 55 uses) backtracks on some unfinished expressions, and the work doubles
//! with each element of a chain: `SELECT t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.u[` (58 bytes) takes a second, and
//! ten more `t.` take twenty minutes; so do chains of `CAST(`, `if(current_time(` or `case -`. A remote client
//! could pin a core with a few hundred bytes. Upstream fixes these shapes one at a time; the driver bounds them all:
//! it parses with [`BudgetedGenericDialect`], which counts the parser's steps (each prefix expression it starts, the
//! place every such blow-up passes through) and stops the parse once they exceed a budget proportional to the
//! statement's length. Valid SQL uses a small fraction of it.

use std::any::TypeId;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use datafusion::execution::SessionState;
use datafusion::sql::parser::{DFParserBuilder, Statement};
use datafusion::sql::sqlparser::ast::Expr;
use datafusion::sql::sqlparser::dialect::{Dialect, GenericDialect};
use datafusion::sql::sqlparser::parser::{Parser, ParserError};

use crate::SqlError;

/// Steps every statement may take, however short.
const BASE_STEPS: usize = 10_000;

/// Further steps per byte of SQL. Valid statements take under one step per byte (`real_statements_use_a_small_part_
/// of_the_budget` checks it), so this leaves room for any real query, while a statement of 10 KB stops after
/// ~170,000 steps, a fraction of a second.
const STEPS_PER_BYTE: usize = 16;

/// The step budget of a statement of `length` bytes.
pub fn step_budget(length: usize) -> usize {
    BASE_STEPS.saturating_add(length.saturating_mul(STEPS_PER_BYTE))
}

/// Parses `sql` as exactly one statement the way DataFusion's `SessionState::sql_to_statement` does (the session's
/// dialect and recursion limit), within the step budget when the dialect is the default `generic` (another dialect
/// can only be chosen with `AllowSessionSettings=true` and is parsed without a budget).
pub fn parse_statement(sql: &str, state: &SessionState) -> Result<Statement, SqlError> {
    let options = &state.config().options().sql_parser;
    if !options.dialect.to_string().eq_ignore_ascii_case("generic") {
        return Ok(state.sql_to_statement(sql, &options.dialect)?);
    }
    parse_generic(sql, options.recursion_limit.get())
}

/// Parses `sql` as one statement in the generic dialect within the step budget.
pub fn parse_generic(sql: &str, recursion_limit: usize) -> Result<Statement, SqlError> {
    let dialect = BudgetedGenericDialect::new(step_budget(sql.len()));
    let parsed = DFParserBuilder::new(sql)
        .with_dialect(&dialect)
        .with_recursion_limit(recursion_limit)
        .build()
        .and_then(|mut parser| parser.parse_statements());
    if dialect.exhausted() {
        return Err(SqlError::TooComplex { bytes: sql.len(), steps: dialect.budget });
    }
    let mut statements = parsed.map_err(|error| match error {
        datafusion::error::DataFusionError::SQL(ref inner, _)
            if matches!(**inner, ParserError::RecursionLimitExceeded) =>
        {
            SqlError::Query(datafusion::error::DataFusionError::Plan(format!(
                "the statement nests deeper than the SQL parser allows ({recursion_limit} levels of brackets, \
                 sub-queries or operators): flatten it"
            )))
        }
        other => SqlError::Query(other),
    })?;
    if statements.len() > 1 {
        return Err(SqlError::Query(datafusion::error::DataFusionError::Plan(format!(
            "one statement at a time, please: this text holds {} (run them one after another)",
            statements.len()
        ))));
    }
    statements
        .pop_front()
        .ok_or_else(|| SqlError::Query(datafusion::error::DataFusionError::Plan("no SQL statement given".to_owned())))
}

/// sqlparser's [`GenericDialect`], unchanged, that counts the prefix expressions the parser starts and fails the
/// parse once they exceed a budget.
///
/// Every method `GenericDialect` overrides is forwarded ([`FORWARDED`] lists them; a test compares the list with
/// sqlparser's source, so an upgrade that adds one fails the build's tests instead of changing the dialect), and
/// `dialect()` answers `GenericDialect`'s type, so the parser's `dialect_of!` checks see the generic dialect.
#[derive(Debug)]
pub struct BudgetedGenericDialect {
    inner: GenericDialect,
    budget: usize,
    steps: AtomicUsize,
    exhausted: AtomicBool,
}

impl BudgetedGenericDialect {
    /// The generic dialect, allowed `budget` steps.
    pub fn new(budget: usize) -> BudgetedGenericDialect {
        BudgetedGenericDialect {
            inner: GenericDialect {},
            budget,
            steps: AtomicUsize::new(0),
            exhausted: AtomicBool::new(false),
        }
    }

    /// Steps taken so far.
    #[cfg(test)]
    pub fn steps(&self) -> usize {
        self.steps.load(Ordering::Relaxed)
    }

    /// Whether the budget ran out (the parse was stopped).
    pub fn exhausted(&self) -> bool {
        self.exhausted.load(Ordering::Relaxed)
    }
}

/// Forwards the named `&self -> bool` methods (and the listed `&self, char -> bool` ones) to the inner dialect, and
/// records their names in [`FORWARDED`].
macro_rules! forward_to_generic {
    (chars: [$($char_method:ident),* $(,)?], flags: [$($flag:ident),* $(,)?] $(,)?) => {
        /// The `Dialect` methods `GenericDialect` overrides, all forwarded by [`BudgetedGenericDialect`].
        #[cfg(test)]
        pub const FORWARDED: &[&str] = &[$(stringify!($char_method),)* $(stringify!($flag),)*];

        impl Dialect for BudgetedGenericDialect {
            fn dialect(&self) -> TypeId {
                TypeId::of::<GenericDialect>()
            }

            fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
                if self.steps.fetch_add(1, Ordering::Relaxed) >= self.budget {
                    self.exhausted.store(true, Ordering::Relaxed);
                    // The one error sqlparser's speculative parses pass on instead of trying another way.
                    return Some(Err(ParserError::RecursionLimitExceeded));
                }
                self.inner.parse_prefix(parser)
            }

            $(fn $char_method(&self, ch: char) -> bool {
                self.inner.$char_method(ch)
            })*

            $(fn $flag(&self) -> bool {
                self.inner.$flag()
            })*
        }
    };
}

forward_to_generic! {
    chars: [is_delimited_identifier_start, is_identifier_start, is_identifier_part],
    flags: [
        supports_unicode_string_literal, supports_partition_by_after_order_by, supports_array_join_syntax,
        supports_group_by_expr, supports_group_by_with_modifier, supports_left_associative_joins_without_parens,
        supports_connect_by, supports_match_recognize, supports_pipe_operator, supports_start_transaction_modifier,
        supports_window_function_null_treatment_arg, supports_dictionary_syntax,
        supports_window_clause_named_window_reference, supports_parenthesized_set_variables,
        supports_select_wildcard_except, support_map_literal_syntax, allow_extract_custom,
        allow_extract_single_quotes, supports_extract_comma_syntax, supports_create_view_comment_syntax,
        supports_parens_around_table_factor, supports_values_as_table_factor, supports_create_index_with_clause,
        supports_explain_with_utility_options, supports_limit_comma, supports_update_order_by,
        supports_from_first_select, supports_projection_trailing_commas, supports_asc_desc_in_column_definition,
        supports_try_convert, supports_bitwise_shift_operators, supports_comment_on, supports_load_extension,
        supports_named_fn_args_with_assignment_operator, supports_struct_literal, supports_empty_projections,
        supports_nested_comments, supports_multiline_comment_hints, supports_user_host_grantee,
        supports_string_escape_constant, supports_array_typedef_with_brackets, supports_match_against,
        supports_set_names, supports_comma_separated_set_assignments, supports_filter_during_aggregation,
        supports_select_wildcard_exclude, supports_data_type_signed_suffix, supports_interval_options,
        supports_quote_delimited_string, supports_select_wildcard_replace, supports_select_wildcard_ilike,
        supports_select_wildcard_rename, supports_optimize_table, supports_install, supports_detach,
        supports_prewhere, supports_with_fill, supports_limit_by, supports_interpolate, supports_settings,
        supports_select_format, supports_comment_optimizer_hint, supports_constraint_keyword_without_name,
        supports_key_column_option, supports_comma_separated_trim, supports_cte_without_as,
        supports_select_item_multi_column_alias, supports_xml_expressions,
    ],
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::{Duration, Instant};

    use datafusion::sql::parser::DFParser;

    use super::*;

    /// Statements that exercise what the generic dialect switches on, parsed both ways.
    const STATEMENTS: &[&str] = &[
        "SELECT a, b FROM t WHERE a = 1 AND b IN ('x', 'y') ORDER BY a DESC NULLS LAST LIMIT 5",
        "SELECT * EXCEPT (a) FROM t",
        "SELECT * EXCLUDE (a) FROM t",
        "SELECT * REPLACE (a + 1 AS a) FROM t",
        "SELECT count(*) FILTER (WHERE a > 1) FROM t GROUP BY ALL",
        "SELECT a FROM t LIMIT 1, 2",
        "SELECT x -> 'k', x ->> 'k', 1 << 2, 3 >> 1 FROM t",
        "SELECT STRUCT(1 AS a, 'b' AS b), MAP {'a': 1}, {'k': 1}, [1, 2][1]",
        "SELECT EXTRACT(YEAR FROM TIMESTAMP '2020-01-01 00:00:00'), TRY_CONVERT(INT, '1')",
        "SELECT U&'\\0041', E'a\\nb', $$x$$",
        "SELECT rank() OVER w FROM t WINDOW w AS (PARTITION BY a ORDER BY b)",
        "SELECT /* a /* nested */ comment */ 1",
        "WITH c AS (SELECT 1 AS x) SELECT x FROM c",
        "SELECT * FROM (VALUES (1), (2)) AS v(x)",
        "SELECT \"quoted id\", `back`, [bracket] FROM t",
        "SELECT a, b, FROM t",
        "EXPLAIN SELECT 1",
        "EXEC GetOAuthAuthorizationURL @CallbackURL = 'http://localhost/cb'",
        "SELECT * FROM cql('type = page AND space = \"ENG\"') LIMIT 3",
        "INSERT INTO pages (title) VALUES ('x')",
        "CREATE EXTERNAL TABLE x (a INT) STORED AS CSV LOCATION '/tmp/x.csv'",
        "COPY (SELECT 1) TO '/tmp/out.csv'",
        "SET datafusion.sql_parser.dialect = 'mysql'",
    ];

    #[test]
    fn the_budgeted_dialect_parses_like_the_generic_one() {
        for sql in STATEMENTS {
            let plain = DFParser::parse_sql(sql).map(|s| format!("{s:?}")).map_err(|e| e.to_string());
            let budgeted = DFParserBuilder::new(*sql)
                .with_dialect(&BudgetedGenericDialect::new(step_budget(sql.len())))
                .build()
                .and_then(|mut p| p.parse_statements())
                .map(|s| format!("{s:?}"))
                .map_err(|e| e.to_string());
            assert_eq!(plain, budgeted, "{sql}");
        }
    }

    /// The forwarded methods are exactly those sqlparser's `GenericDialect` overrides (read from the crate's source,
    /// which cargo keeps beside every build).
    #[test]
    fn every_method_generic_dialect_overrides_is_forwarded() {
        let source = std::fs::read_to_string(sqlparser_source("src/dialect/generic.rs")).expect("generic.rs");
        let body = source.split("impl Dialect for GenericDialect").nth(1).expect("the impl");
        let overridden: BTreeSet<&str> = body
            .lines()
            .filter_map(|line| line.trim_start().strip_prefix("fn "))
            .map(|rest| rest.split('(').next().unwrap_or_default().trim())
            .collect();
        let forwarded: BTreeSet<&str> = FORWARDED.iter().copied().collect();
        assert_eq!(
            overridden, forwarded,
            "sqlparser's GenericDialect changed: forward its methods in forward_to_generic!"
        );
    }

    /// A file of the sqlparser version this build uses.
    fn sqlparser_source(file: &str) -> std::path::PathBuf {
        let rustc = std::process::Command::new("rustc").arg("-vV").output().expect("rustc -vV");
        let host = String::from_utf8_lossy(&rustc.stdout)
            .lines()
            .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
            .expect("rustc names its host");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        // Offline, for this platform only: every crate the build used is already here.
        let output = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--offline", "--filter-platform", &host])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata");
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("metadata JSON");
        let manifest = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .find(|p| p["name"] == "sqlparser")
            .and_then(|p| p["manifest_path"].as_str())
            .expect("sqlparser among the dependencies");
        std::path::Path::new(manifest).parent().expect("crate directory").join(file)
    }

    /// Shapes that take sqlparser 0.62 exponential time (each doubles per repetition; at 30, minutes to hours).
    fn blow_ups(n: usize) -> Vec<String> {
        vec![
            format!("SELECT {}u[", "t.".repeat(n)),
            format!("SELECT {}u[,]", "t.".repeat(n)),
            format!("SELECT {}x", "if(current_time(".repeat(n)),
            format!("SELECT {}", "CAST(".repeat(n)),
            format!("SELECT {}x AS{}", "CAST(".repeat(n), ")".repeat(n)),
            format!("SELECT {}x", "case -".repeat(n)),
            format!("EXEC G'',{}u[", "t.".repeat(n)),
        ]
    }

    #[test]
    fn exponential_shapes_stop_with_a_clear_error() {
        for sql in blow_ups(40) {
            let started = Instant::now();
            let error = parse_generic(&sql, 50).expect_err(&sql).to_string();
            // Not a timing assertion about speed: without the budget these run for days; a minute is a hang.
            assert!(started.elapsed() < Duration::from_secs(60), "{sql}");
            assert!(error.contains("too complex"), "{sql}: {error}");
            assert!(error.contains("unclosed bracket"), "{error}");
        }
    }

    #[test]
    fn real_statements_use_a_small_part_of_the_budget() {
        let long = format!(
            "SELECT {} FROM pages p JOIN spaces s ON p.space_id = s.id WHERE {} ORDER BY 1",
            (0..200).map(|i| format!("CAST(p.c{i} AS VARCHAR) AS a{i}")).collect::<Vec<_>>().join(", "),
            (0..200).map(|i| format!("(p.c{i} = 'x{i}' OR s.key IN ('A', 'B'))")).collect::<Vec<_>>().join(" AND ")
        );
        for sql in STATEMENTS.iter().copied().chain([long.as_str()]) {
            let dialect = BudgetedGenericDialect::new(usize::MAX);
            DFParserBuilder::new(sql).with_dialect(&dialect).build().unwrap().parse_statements().unwrap();
            let per_byte = dialect.steps() as f64 / sql.len() as f64;
            assert!(per_byte < 1.0, "{sql}: {} steps for {} bytes", dialect.steps(), sql.len());
        }
    }

    #[test]
    fn one_statement_only() {
        let error = parse_generic("SELECT 1; SELECT 2", 50).unwrap_err().to_string();
        assert!(error.contains("one statement at a time"), "{error}");
        let error = parse_generic("  ", 50).unwrap_err().to_string();
        assert!(error.contains("no SQL statement"), "{error}");
        assert!(parse_generic("SELECT 1", 50).is_ok());
    }
}

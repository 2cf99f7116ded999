//! `EXEC` and named procedure arguments: whatever SQL comes in, the driver's parser (sqlparser within a step budget)
//! and the rewrite never panic or run away, and a rewritten call is one `SELECT * FROM <procedure>(...)`.
#![no_main]

use confluence_sql::internals::procedures::SPECS;
use confluence_sql::internals::procedures::rewrite;
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else { return };
    // The recursion limit DataFusion's sessions use.
    let Ok(mut statement) = confluence_sql::internals::parse::parse_generic(sql, 50) else { return };
    let was_exec = matches!(&statement, Statement::Statement(s) if matches!(**s, SqlStatement::Execute { .. }));
    if rewrite(&mut statement, SPECS).is_ok_and(|calls| !calls.is_empty()) {
        if was_exec {
            let Statement::Statement(inner) = &statement else { panic!("EXEC became {statement}") };
            assert!(matches!(**inner, SqlStatement::Query(_)), "EXEC became {inner}");
        }
    }
});

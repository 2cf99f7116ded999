//! `EXEC` and named procedure arguments: whatever SQL comes in, the rewrite never panics, and a rewritten call is
//! one `SELECT * FROM <procedure>(...)` whose arguments are the ones given.
#![no_main]

use confluence_sql::procedures::oauth::SPECS;
use confluence_sql::procedures::rewrite::rewrite;
use datafusion::sql::parser::{DFParser, Statement};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else { return };
    let Ok(mut statements) = DFParser::parse_sql(sql) else { return };
    for statement in statements.iter_mut() {
        let was_exec = matches!(statement, Statement::Statement(s) if matches!(**s, datafusion::sql::sqlparser::ast::Statement::Execute { .. }));
        if let Ok(true) = rewrite(statement, SPECS) {
            if was_exec {
                let Statement::Statement(inner) = statement else { panic!("EXEC became {statement}") };
                assert!(matches!(**inner, datafusion::sql::sqlparser::ast::Statement::Query(_)), "EXEC became {inner}");
            }
        }
    }
});

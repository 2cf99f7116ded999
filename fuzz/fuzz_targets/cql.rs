//! CQL: the group check, the `ORDER BY` split and the simulator's parser never panic (nor overflow the stack);
//! a value the builder quotes is read back by the parser as exactly that value.
#![no_main]

use confluence_rest::cql::{check_condition, split_order_by, CqlQuery};
use confluence_sim::cql::{CqlContext, CqlDoc, CqlQuery as Parsed, Field};
use libfuzzer_sys::fuzz_target;

struct Titled(String);

impl CqlDoc for Titled {
    fn values(&self, field: Field) -> Vec<String> {
        match field {
            Field::Title => vec![self.0.clone()],
            Field::Type => vec!["page".to_owned()],
            _ => Vec::new(),
        }
    }
    fn time(&self, _: Field) -> Option<i64> {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let context = CqlContext { now_ms: 0, current_user: String::new() };
    let _ = check_condition(text);
    let _ = split_order_by(text);
    let _ = Parsed::parse(text, &context);
    let built = CqlQuery::new().clause("type", "=", "page").clause("title", "=", text).to_string();
    let parsed = Parsed::parse(&built, &context).unwrap_or_else(|e| panic!("{built}: {e}"));
    assert!(parsed.matches(&Titled(text.to_owned())), "{built}");
    assert_eq!(check_condition(&built), Ok(()), "{built}");
});

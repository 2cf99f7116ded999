//! Evaluating CQL against documents (content for `/search`, users for `/search/user`).

use crate::cql::parser::{Clause, Expr, Field, Op, Value};

/// Something CQL can be evaluated against.
pub trait CqlDoc {
    /// The values of a text-like field (several for `label`, `ancestor`, `contributor`); empty when absent.
    fn values(&self, field: Field) -> Vec<String>;
    /// The time of a date field, in milliseconds.
    fn time(&self, field: Field) -> Option<i64>;
}

/// The lower-cased words of a text, for `~`.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

fn contains_words(haystack: &[String], query: &str) -> bool {
    let wanted: Vec<(String, bool)> = query
        .split_whitespace()
        .flat_map(|term| {
            let prefix = term.ends_with('*');
            words(term.trim_end_matches('*')).into_iter().map(move |w| (w, prefix))
        })
        .collect();
    !wanted.is_empty()
        && wanted
            .iter()
            .all(|(w, prefix)| haystack.iter().any(|h| if *prefix { h.starts_with(w.as_str()) } else { h == w }))
}

fn text_of(value: &Value) -> Vec<&str> {
    match value {
        Value::Text(t) => vec![t.as_str()],
        Value::List(items) => items.iter().flat_map(text_of).collect(),
        Value::Time(..) => Vec::new(),
    }
}

fn equal(field: Field, a: &str, b: &str) -> bool {
    match field {
        Field::Title | Field::Space | Field::Type | Field::SpaceType | Field::Label => {
            a.to_lowercase() == b.to_lowercase()
        }
        _ => a == b,
    }
}

fn clause(c: &Clause, doc: &dyn CqlDoc) -> bool {
    if let Value::Time(from, to) = c.value {
        let Some(t) = doc.time(c.field) else { return false };
        return match c.op {
            Op::Eq => t >= from && t < to,
            Op::Ne => t < from || t >= to,
            Op::Lt => t < from,
            Op::Le => t < to,
            Op::Gt => t >= to,
            Op::Ge => t >= from,
            _ => false,
        };
    }
    let values = doc.values(c.field);
    let wanted = text_of(&c.value);
    let any_equal = || values.iter().any(|v| wanted.iter().any(|w| equal(c.field, v, w)));
    match c.op {
        Op::Eq | Op::In => any_equal(),
        Op::Ne | Op::NotIn => !any_equal(),
        Op::Contains | Op::NotContains => {
            let haystack: Vec<String> = values.iter().flat_map(|v| words(v)).collect();
            let found = wanted.iter().all(|w| contains_words(&haystack, w));
            found == (c.op == Op::Contains)
        }
        _ => false,
    }
}

/// Whether `doc` satisfies `expr`.
pub fn matches(expr: &Expr, doc: &dyn CqlDoc) -> bool {
    match expr {
        Expr::And(parts) => parts.iter().all(|p| matches(p, doc)),
        Expr::Or(parts) => parts.iter().any(|p| matches(p, doc)),
        Expr::Not(inner) => !matches(inner, doc),
        Expr::Clause(c) => clause(c, doc),
    }
}

/// The values `field` must equal for `expr` to hold, when top-level `AND`s pin it with `=` or `IN`.
pub fn pinned(expr: &Expr, field: Field) -> Option<Vec<String>> {
    match expr {
        Expr::Clause(c) if c.field == field && matches!(c.op, Op::Eq | Op::In) => {
            Some(text_of(&c.value).into_iter().map(str::to_owned).collect())
        }
        Expr::And(parts) => parts.iter().find_map(|p| pinned(p, field)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cql::{CqlContext, CqlQuery};

    struct Doc;

    impl CqlDoc for Doc {
        fn values(&self, field: Field) -> Vec<String> {
            match field {
                Field::Title => vec!["Release \"Apollo\" notes 12".into()],
                Field::Space => vec!["ENG".into()],
                Field::Type => vec!["page".into()],
                Field::Label => vec!["release".into(), "q3".into()],
                Field::Id => vec!["1000000012".into()],
                _ => Vec::new(),
            }
        }
        fn time(&self, field: Field) -> Option<i64> {
            (field == Field::Created).then_some(1_706_700_000_000) // 2024-01-31T11:20Z
        }
    }

    fn m(q: &str) -> bool {
        let ctx = CqlContext { now_ms: 1_800_000_000_000, current_user: "me".into() };
        CqlQuery::parse(q, &ctx).unwrap_or_else(|e| panic!("{q}: {e}")).matches(&Doc)
    }

    #[test]
    fn semantics() {
        assert!(m(r#"title = "release \"apollo\" notes 12""#), "= is a case-insensitive exact match");
        assert!(!m(r#"title = "Release""#));
        assert!(m(r#"title ~ "apollo""#), "~ matches words");
        assert!(m(r#"title ~ "apol*""#), "prefix wildcard");
        assert!(!m(r#"title ~ "pollo""#), "~ is not a substring match");
        assert!(m(r#"title !~ "zebra""#));
        assert!(m("space = eng and type = page"));
        assert!(m("label in (draft, q3) and label != draft"));
        assert!(m("label not in (draft)"));
        assert!(!m("label = draft"));
        assert!(m("id = 1000000012"));
        assert!(m(r#"created = "2024-01-31" and created >= "2024/01/31 11:20" and created < "2024-02-01""#));
        assert!(!m(r#"created > "2024-01-31""#), "> a day means after that day");
        assert!(m("created < now() and NOT (space = DOCS OR type = blogpost)"));
    }

    #[test]
    fn pinned_values() {
        let ctx = CqlContext { now_ms: 0, current_user: String::new() };
        let q =
            CqlQuery::parse("type = page and space in (A, B) and title ~ x", &ctx).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q.pinned(Field::Space), Some(vec!["A".into(), "B".into()]));
        assert_eq!(q.pinned(Field::Type), Some(vec!["page".into()]));
        let q = CqlQuery::parse("space = A or title ~ x", &ctx).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q.pinned(Field::Space), None);
    }
}

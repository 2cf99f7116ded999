//! Building CQL safely: values are always quoted and escaped (`"` and `\`), so a title with quotes,
//! backslashes or reserved words (`AND`, `ORDER`) round-trips exactly. Clauses are joined with `AND`.

use std::fmt;

/// Quotes a CQL string value: `"` and `\` are escaped with `\`.
///
/// ```
/// use confluence_rest::cql::quote;
/// assert_eq!(quote(r#"Release "Apollo" C:\tmp"#), r#""Release \"Apollo\" C:\\tmp""#);
/// ```
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A CQL query under construction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CqlQuery {
    clauses: Vec<String>,
    order_by: Option<String>,
}

impl CqlQuery {
    /// An empty query.
    pub fn new() -> CqlQuery {
        CqlQuery::default()
    }

    /// `field op "value"`, e.g. `title = "x"`, `title ~ "x"`, `created >= "2024-01-01"`.
    pub fn clause(mut self, field: &str, op: &str, value: &str) -> CqlQuery {
        self.clauses.push(format!("{field} {op} {}", quote(value)));
        self
    }

    /// `field IN ("a", "b")` (`NOT IN` with `negated`); one value becomes `=` / `!=`.
    pub fn any_of(mut self, field: &str, values: &[String], negated: bool) -> CqlQuery {
        match values {
            [one] => self.clauses.push(format!("{field} {} {}", if negated { "!=" } else { "=" }, quote(one))),
            _ => {
                let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
                self.clauses.push(format!("{field} {} ({})", if negated { "NOT IN" } else { "IN" }, list.join(", ")));
            }
        }
        self
    }

    /// A clause written by the caller (already valid CQL), in parentheses.
    pub fn raw(mut self, cql: &str) -> CqlQuery {
        self.clauses.push(format!("({cql})"));
        self
    }

    /// `ORDER BY <field> [DESC]`.
    pub fn order_by(mut self, field: &str, descending: bool) -> CqlQuery {
        self.order_by = Some(format!("{field}{}", if descending { " DESC" } else { "" }));
        self
    }

    /// Whether there is no clause.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }
}

impl fmt::Display for CqlQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.clauses.join(" AND "))?;
        if let Some(order) = &self.order_by {
            write!(f, " ORDER BY {order}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confluence_sim::cql::{CqlContext, CqlDoc, CqlQuery as SimQuery, Field};

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

    /// The builder's output, parsed by the simulator's CQL parser, matches exactly the value it was built from.
    #[test]
    fn tricky_values_round_trip_through_a_cql_parser() {
        let ctx = CqlContext { now_ms: 0, current_user: String::new() };
        let titles = [
            r#"Release "Apollo" notes"#,
            r"Path C:\temp\build",
            r#"ends with a backslash \"#,
            "Notes AND decisions OR NOT",
            "ORDER BY title",
            "O'Brien's checklist",
            "Überblick — Straße 日本語 ✓",
            "100% done; really?",
            "",
        ];
        for title in titles {
            let cql = CqlQuery::new().clause("type", "=", "page").clause("title", "=", title).to_string();
            let parsed = SimQuery::parse(&cql, &ctx).unwrap_or_else(|e| panic!("{cql}: {e}"));
            assert!(parsed.matches(&Titled(title.to_owned())), "{cql} should match {title:?}");
            assert!(!parsed.matches(&Titled(format!("{title}x"))), "{cql} should match only {title:?}");
        }
    }

    #[test]
    fn lists_and_order() {
        let q = CqlQuery::new()
            .any_of("space", &["ENG".into(), "DOCS".into()], false)
            .any_of("label", &["draft".into()], true)
            .order_by("created", true);
        assert_eq!(q.to_string(), r#"space IN ("ENG", "DOCS") AND label != "draft" ORDER BY created DESC"#);
    }
}

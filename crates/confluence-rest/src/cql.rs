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

/// How a user's CQL text is wrong as one condition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CqlTextError {
    /// A `)` with no `(` before it: the text would close a group it did not open (and escape one put around it).
    #[error("the ')' at character {0} closes a group that the query never opened")]
    UnopenedGroup(usize),
    /// A `(` never closed.
    #[error("a '(' is never closed")]
    UnclosedGroup,
    /// A quoted string never closed.
    #[error("a quoted string is never closed")]
    UnclosedString,
    /// A `\` outside a quoted string: a CQL lexer may read what follows as part of a word (a quote, a bracket),
    /// which would change where strings and groups end.
    #[error("the '\\' at character {0} is outside a quoted string (write it inside quotes)")]
    StrayEscape(usize),
}

/// The structure of CQL text outside its quoted strings (`"..."` or `'...'`, with `\` escapes): each character with
/// its nesting depth, as `(index, char, depth)`; quoted strings are skipped.
fn scan(cql: &str) -> impl Iterator<Item = Result<(usize, char, usize), CqlTextError>> + '_ {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut depth = 0usize;
    let mut chars = cql.char_indices();
    let mut finished = false;
    std::iter::from_fn(move || loop {
        if finished {
            return None;
        }
        let Some((i, c)) = chars.next() else {
            finished = true;
            return match (quote, depth) {
                (Some(_), _) => Some(Err(CqlTextError::UnclosedString)),
                (None, 0) => None,
                (None, _) => Some(Err(CqlTextError::UnclosedGroup)),
            };
        };
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '\\' => {
                    finished = true;
                    return Some(Err(CqlTextError::StrayEscape(cql[..i].chars().count() + 1)));
                }
                '(' => {
                    depth += 1;
                    return Some(Ok((i, c, depth - 1)));
                }
                ')' => {
                    let Some(outer) = depth.checked_sub(1) else {
                        finished = true;
                        return Some(Err(CqlTextError::UnopenedGroup(cql[..i].chars().count() + 1)));
                    };
                    depth = outer;
                    return Some(Ok((i, c, depth)));
                }
                _ => return Some(Ok((i, c, depth))),
            },
        }
    })
}

/// Checks that `cql` is one self-contained condition: its parentheses balance outside quoted strings and every
/// string ends, so that `(<cql>)` is one group that nothing in the text can escape.
///
/// ```
/// use confluence_rest::cql::check_condition;
/// assert!(check_condition(r#"type = page AND (title ~ "a)b" OR label = x)"#).is_ok());
/// assert!(check_condition("type=page) OR (type=page").is_err());
/// ```
pub fn check_condition(cql: &str) -> Result<(), CqlTextError> {
    scan(cql).try_for_each(|item| item.map(|_| ()))
}

/// Splits CQL at its `ORDER BY` (outside strings and groups): (condition, order clause).
pub fn split_order_by(cql: &str) -> Result<(&str, Option<&str>), CqlTextError> {
    let lower = cql.to_ascii_lowercase();
    for item in scan(cql) {
        let (i, c, depth) = item?;
        if depth == 0 && (c == 'o' || c == 'O') && lower[i..].starts_with("order") {
            let after = lower[i + 5..].trim_start();
            let boundary = i == 0 || !cql[..i].ends_with(|ch: char| ch.is_alphanumeric() || ch == '_');
            let word_ends = after.len() < lower[i + 5..].len();
            if boundary && word_ends && after.starts_with("by") {
                return Ok((cql[..i].trim_end(), Some(cql[i..].trim())));
            }
        }
    }
    Ok((cql.trim(), None))
}

/// One condition of a [`CqlQuery`], kept as a value until the query is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CqlClause {
    /// `field op "value"`: the value is quoted and escaped.
    Compare {
        /// The field (`title`, `created`).
        field: String,
        /// The operator (`=`, `~`, `>=`).
        op: &'static str,
        /// The value, as text.
        value: String,
    },
    /// `field IN ("a", "b")` (`NOT IN` when negated); a single value is written `=` (`!=`).
    AnyOf {
        /// The field.
        field: String,
        /// The values.
        values: Vec<String>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `field IN ("a", ...)`, written as a list even for one value.
    InList {
        /// The field.
        field: String,
        /// The values.
        values: Vec<String>,
    },
    /// `field op word`, an unquoted word the driver itself chose (`type = comment`).
    Keyword {
        /// The field.
        field: &'static str,
        /// The operator.
        op: &'static str,
        /// The word.
        word: &'static str,
    },
    /// A condition written elsewhere (a user's CQL), checked to be one group; in parentheses beside others.
    Group(String),
}

impl fmt::Display for CqlClause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CqlClause::Compare { field, op, value } => write!(f, "{field} {op} {}", quote(value)),
            CqlClause::AnyOf { field, values, negated } => match values.as_slice() {
                [one] => write!(f, "{field} {} {}", if *negated { "!=" } else { "=" }, quote(one)),
                _ => {
                    let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
                    write!(f, "{field} {} ({})", if *negated { "NOT IN" } else { "IN" }, list.join(", "))
                }
            },
            CqlClause::InList { field, values } => {
                let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
                write!(f, "{field} IN ({})", list.join(", "))
            }
            CqlClause::Keyword { field, op, word } => write!(f, "{field} {op} {word}"),
            CqlClause::Group(text) => f.write_str(text),
        }
    }
}

/// A CQL query under construction: clauses joined with `AND`, and an optional `ORDER BY`. Clauses stay typed until
/// the query is written, and the writer (not the text) decides the parentheses: a group beside other clauses is
/// always bracketed, so nothing in it can change what the others mean.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CqlQuery {
    clauses: Vec<CqlClause>,
    order_by: Option<String>,
}

impl CqlQuery {
    /// An empty query.
    pub fn new() -> CqlQuery {
        CqlQuery::default()
    }

    /// Adds a clause.
    pub fn with(mut self, clause: CqlClause) -> CqlQuery {
        self.clauses.push(clause);
        self
    }

    /// `field op "value"`, e.g. `title = "x"`, `title ~ "x"`, `created >= "2024-01-01"`.
    pub fn clause(self, field: &str, op: &'static str, value: &str) -> CqlQuery {
        self.with(CqlClause::Compare { field: field.to_owned(), op, value: value.to_owned() })
    }

    /// `field IN ("a", "b")` (`NOT IN` with `negated`); one value becomes `=` / `!=`.
    pub fn any_of(self, field: &str, values: &[String], negated: bool) -> CqlQuery {
        self.with(CqlClause::AnyOf { field: field.to_owned(), values: values.to_vec(), negated })
    }

    /// `field IN ("a", ...)`, a list even for one value.
    pub fn in_list(self, field: &str, values: &[String]) -> CqlQuery {
        self.with(CqlClause::InList { field: field.to_owned(), values: values.to_vec() })
    }

    /// `field op word` with a word the driver chose, unquoted (`type = comment`).
    pub fn keyword(self, field: &'static str, op: &'static str, word: &'static str) -> CqlQuery {
        self.with(CqlClause::Keyword { field, op, word })
    }

    /// A condition written by someone else (a user's CQL), which must be one group ([`check_condition`]).
    pub fn group(self, cql: &str) -> Result<CqlQuery, CqlTextError> {
        check_condition(cql)?;
        Ok(self.with(CqlClause::Group(cql.trim().to_owned())))
    }

    /// The clauses of `other` too (its `ORDER BY` when this query has none).
    pub fn and(mut self, other: CqlQuery) -> CqlQuery {
        self.clauses.extend(other.clauses);
        self.order_by = self.order_by.or(other.order_by);
        self
    }

    /// `ORDER BY <field> [DESC]`.
    pub fn order_by(mut self, field: &str, descending: bool) -> CqlQuery {
        self.order_by = Some(format!("{field}{}", if descending { " DESC" } else { "" }));
        self
    }

    /// A user's `ORDER BY ...` clause, kept last ([`split_order_by`] separates it from the condition).
    pub fn ordered_as(mut self, order_clause: &str) -> CqlQuery {
        let clause = order_clause.trim();
        let fields = clause.get(8..).filter(|_| clause[..8].eq_ignore_ascii_case("order by")).unwrap_or(clause);
        self.order_by = Some(fields.trim().to_owned());
        self
    }

    /// Whether there is no clause.
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The clauses.
    pub fn clauses(&self) -> &[CqlClause] {
        &self.clauses
    }
}

impl fmt::Display for CqlQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alone = self.clauses.len() == 1;
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(" AND ")?;
            }
            match clause {
                CqlClause::Group(text) if !alone => write!(f, "({text})")?,
                other => write!(f, "{other}")?,
            }
        }
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
    fn conditions_are_one_group() {
        for ok in ["type = page", r#"title ~ "(unbalanced" AND x = 'a\'(b'"#, "(a = 1 OR (b = 2))", r#"t = "\\""#, ""] {
            assert_eq!(check_condition(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_condition("type=page) OR (type=page"), Err(CqlTextError::UnopenedGroup(10)));
        assert_eq!(check_condition("(type = page"), Err(CqlTextError::UnclosedGroup));
        assert_eq!(check_condition(r#"title = "abc"#), Err(CqlTextError::UnclosedString));
        assert_eq!(check_condition(r#"title = "a\""#), Err(CqlTextError::UnclosedString));
        // A lexer may read `\"` outside quotes as a quote inside a word: the brackets would then not be where they
        // seem (`title ~ a\" ) OR space = HR OR ( title ~ " b \" c"` looks balanced here).
        assert_eq!(
            check_condition(r#"title ~ a\" ) OR space = HR OR ( title ~ " b \" c""#),
            Err(CqlTextError::StrayEscape(10))
        );
    }

    #[test]
    fn order_by_stays_last() {
        assert_eq!(
            split_order_by("type = page ORDER BY created DESC"),
            Ok(("type = page", Some("ORDER BY created DESC")))
        );
        assert_eq!(
            split_order_by(r#"title ~ "order by me" order by title"#),
            Ok((r#"title ~ "order by me""#, Some("order by title")))
        );
        assert_eq!(split_order_by("reorder = x"), Ok(("reorder = x", None)));
        assert_eq!(split_order_by("(a = b order by c)"), Ok(("(a = b order by c)", None)), "not inside a group");
        assert_eq!(split_order_by("orderby = 1"), Ok(("orderby = 1", None)));
    }

    proptest::proptest! {
        /// Whatever the value, the clause the builder writes is read back by a CQL parser as exactly that value.
        #[test]
        fn any_value_round_trips(title in "\\PC*") {
            let ctx = CqlContext { now_ms: 0, current_user: String::new() };
            let cql = CqlQuery::new().clause("type", "=", "page").clause("title", "=", &title).to_string();
            let parsed = SimQuery::parse(&cql, &ctx).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{cql}: {e}")))?;
            proptest::prop_assert!(parsed.matches(&Titled(title.clone())), "{} should match {:?}", cql, title);
            let longer = format!("{}x", title);
            proptest::prop_assert!(!parsed.matches(&Titled(longer)));
            proptest::prop_assert_eq!(check_condition(&cql), Ok(()));
        }

        /// Lists too, and a quoted value never unbalances the condition around it.
        #[test]
        fn any_list_round_trips(values in proptest::collection::vec("\\PC*", 1..5)) {
            let ctx = CqlContext { now_ms: 0, current_user: String::new() };
            let cql = CqlQuery::new().any_of("title", &values, false).to_string();
            let parsed = SimQuery::parse(&cql, &ctx).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{cql}: {e}")))?;
            for value in &values {
                proptest::prop_assert!(parsed.matches(&Titled(value.clone())));
            }
            proptest::prop_assert_eq!(check_condition(&cql), Ok(()));
        }
    }

    /// Brackets come from the writer: a group beside other clauses is bracketed whatever its text.
    #[test]
    fn groups_are_bracketed_beside_other_clauses() {
        let user = CqlQuery::new().group("type = page OR type = blogpost").unwrap_or_default();
        assert_eq!(user.to_string(), "type = page OR type = blogpost", "alone, as written");
        let restricted = CqlQuery::new().any_of("space", &["A".into()], false).and(user);
        assert_eq!(restricted.to_string(), r#"space = "A" AND (type = page OR type = blogpost)"#);
        let dc = CqlQuery::new().keyword("type", "=", "comment").any_of("container", &["5".into(), "6".into()], false);
        assert_eq!(dc.to_string(), r#"type = comment AND container IN ("5", "6")"#);
        let ordered = CqlQuery::new().group("type = page").map(|q| q.ordered_as("ORDER BY created DESC"));
        assert_eq!(ordered.map(|q| q.to_string()).ok().as_deref(), Some("type = page ORDER BY created DESC"));
        assert!(CqlQuery::new().group("a = 1) OR (b = 2").is_err());
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

//! CQL syntax: a recursive-descent parser producing [`Expr`], with functions and dates resolved to values and
//! every clause checked against the field's supported operators.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::cql::lexer::{tokens, Token};
use crate::cql::{CqlContext, CqlError, CqlQuery};

/// A searchable field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// `id`
    Id,
    /// `type`
    Type,
    /// `space`, `space.key`
    Space,
    /// `space.type`
    SpaceType,
    /// `title`
    Title,
    /// `text`
    Text,
    /// `creator`
    Creator,
    /// `contributor`
    Contributor,
    /// `created`
    Created,
    /// `lastmodified`
    LastModified,
    /// `label`
    Label,
    /// `parent`
    Parent,
    /// `ancestor`
    Ancestor,
    /// `user` (user search)
    User,
    /// `user.fullname` (user search)
    UserFullname,
    /// `user.accountid` (user search)
    UserAccountId,
    /// `container`: the page or blog post a comment or attachment is in
    Container,
}

impl Field {
    fn from_name(name: &str) -> Option<Field> {
        Some(match name.to_ascii_lowercase().as_str() {
            "id" | "content" => Field::Id,
            "type" => Field::Type,
            "space" | "space.key" => Field::Space,
            "space.type" => Field::SpaceType,
            "title" => Field::Title,
            "text" => Field::Text,
            "creator" => Field::Creator,
            "contributor" => Field::Contributor,
            "created" => Field::Created,
            "lastmodified" => Field::LastModified,
            "label" => Field::Label,
            "parent" => Field::Parent,
            "container" => Field::Container,
            "ancestor" => Field::Ancestor,
            "user" => Field::User,
            "user.fullname" => Field::UserFullname,
            "user.accountid" => Field::UserAccountId,
            _ => return None,
        })
    }

    fn is_date(&self) -> bool {
        matches!(self, Field::Created | Field::LastModified)
    }

    fn allows(&self, op: Op) -> bool {
        match self {
            Field::Title => matches!(op, Op::Eq | Op::Ne | Op::Contains | Op::NotContains | Op::In | Op::NotIn),
            Field::Text | Field::UserFullname => matches!(op, Op::Contains | Op::NotContains),
            Field::Created | Field::LastModified => matches!(op, Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge),
            _ => matches!(op, Op::Eq | Op::Ne | Op::In | Op::NotIn),
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `~`
    Contains,
    /// `!~`
    NotContains,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `IN`
    In,
    /// `NOT IN`
    NotIn,
}

/// A resolved value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A time interval `[from, to)` in milliseconds (a day, a minute, or an instant).
    Time(i64, i64),
    /// A list (for `IN`).
    List(Vec<Value>),
}

/// `field op value`.
#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    /// The field.
    pub field: Field,
    /// The operator.
    pub op: Op,
    /// The value.
    pub value: Value,
}

/// A condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// All must hold.
    And(Vec<Expr>),
    /// One must hold.
    Or(Vec<Expr>),
    /// Must not hold.
    Not(Box<Expr>),
    /// A comparison.
    Clause(Clause),
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    /// Groups and `NOT`s open around the current position.
    depth: usize,
    cql: &'a str,
    context: &'a CqlContext,
}

/// How deeply groups and `NOT`s may nest.
pub const MAX_DEPTH: usize = 64;

pub fn parse(cql: &str, context: &CqlContext) -> Result<CqlQuery, CqlError> {
    let mut p = Parser { tokens: tokens(cql)?, at: 0, depth: 0, cql, context };
    if p.tokens.is_empty() {
        return Err(CqlError::parse(cql));
    }
    let expr = if p.peek_keyword("order") { Expr::And(Vec::new()) } else { p.or()? };
    let mut order = Vec::new();
    if p.peek_keyword("order") {
        p.at += 1;
        if !p.eat_keyword("by") {
            return Err(CqlError::parse(cql));
        }
        loop {
            let name = p.word()?;
            let field =
                Field::from_name(&name).ok_or_else(|| CqlError::execution(format!("Could not find field: {name}")))?;
            let desc = if p.eat_keyword("desc") {
                true
            } else {
                p.eat_keyword("asc");
                false
            };
            order.push((field, desc));
            if p.peek() != Some(&Token::Comma) {
                break;
            }
            p.at += 1;
        }
    }
    if p.at != p.tokens.len() {
        return Err(CqlError::parse(cql));
    }
    Ok(CqlQuery { expr, order })
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek_keyword(keyword);
        if found {
            self.at += 1;
        }
        found
    }

    fn error(&self) -> CqlError {
        CqlError::parse(self.cql)
    }

    fn word(&mut self) -> Result<String, CqlError> {
        match self.tokens.get(self.at) {
            Some(Token::Word(w)) => {
                self.at += 1;
                Ok(w.clone())
            }
            _ => Err(self.error()),
        }
    }

    fn or(&mut self) -> Result<Expr, CqlError> {
        let mut parts = vec![self.and()?];
        while self.eat_keyword("or") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) })
    }

    fn and(&mut self) -> Result<Expr, CqlError> {
        let mut parts = vec![self.not()?];
        while self.eat_keyword("and") {
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    fn not(&mut self) -> Result<Expr, CqlError> {
        if self.eat_keyword("not") {
            let inner = self.nested(Self::not)?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.nested(Self::or)?;
            if self.peek() != Some(&Token::Close) {
                return Err(self.error());
            }
            self.at += 1;
            return Ok(inner);
        }
        self.clause()
    }

    /// Parses one level deeper, refusing queries nested beyond [`MAX_DEPTH`] (a hostile query must not exhaust
    /// the stack of the parser or of the evaluation).
    fn nested(&mut self, part: fn(&mut Self) -> Result<Expr, CqlError>) -> Result<Expr, CqlError> {
        if self.depth >= MAX_DEPTH {
            return Err(CqlError::parse(self.cql));
        }
        self.depth += 1;
        let parsed = part(self);
        self.depth -= 1;
        parsed
    }

    fn clause(&mut self) -> Result<Expr, CqlError> {
        let name = self.word()?;
        if ["and", "or", "order", "in"].iter().any(|k| name.eq_ignore_ascii_case(k)) {
            return Err(self.error());
        }
        let op = match self.tokens.get(self.at) {
            Some(Token::Op(op)) => {
                self.at += 1;
                match *op {
                    "=" => Op::Eq,
                    "!=" => Op::Ne,
                    "~" => Op::Contains,
                    "!~" => Op::NotContains,
                    "<" => Op::Lt,
                    "<=" => Op::Le,
                    ">" => Op::Gt,
                    _ => Op::Ge,
                }
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("in") => {
                self.at += 1;
                Op::In
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("not") => {
                self.at += 1;
                if !self.eat_keyword("in") {
                    return Err(self.error());
                }
                Op::NotIn
            }
            _ => return Err(self.error()),
        };
        let field =
            Field::from_name(&name).ok_or_else(|| CqlError::execution(format!("Could not find field: {name}")))?;
        if !field.allows(op) {
            return Err(CqlError::execution(format!("The operator is not supported for the field '{name}'")));
        }
        let value = if matches!(op, Op::In | Op::NotIn) {
            if self.peek() != Some(&Token::Open) {
                return Err(self.error());
            }
            self.at += 1;
            let mut items = vec![self.value(field)?];
            while self.peek() == Some(&Token::Comma) {
                self.at += 1;
                items.push(self.value(field)?);
            }
            if self.peek() != Some(&Token::Close) {
                return Err(self.error());
            }
            self.at += 1;
            Value::List(items)
        } else {
            self.value(field)?
        };
        Ok(Expr::Clause(Clause { field, op, value }))
    }

    fn value(&mut self, field: Field) -> Result<Value, CqlError> {
        let token = self.tokens.get(self.at).cloned().ok_or_else(|| self.error())?;
        self.at += 1;
        let text = match token {
            Token::Quoted(s) => s,
            Token::Word(w) if self.peek() == Some(&Token::Open) => return self.function(&w),
            Token::Word(w) => w,
            _ => return Err(self.error()),
        };
        if field.is_date() {
            let (from, to) = parse_date(&text).ok_or_else(|| {
                CqlError::execution(format!("Could not parse date: '{text}'. Use yyyy-MM-dd or yyyy/MM/dd HH:mm"))
            })?;
            return Ok(Value::Time(from, to));
        }
        Ok(Value::Text(text))
    }

    fn function(&mut self, name: &str) -> Result<Value, CqlError> {
        self.at += 1; // (
        let mut args = Vec::new();
        while self.peek() != Some(&Token::Close) {
            match self.tokens.get(self.at) {
                Some(Token::Quoted(s)) | Some(Token::Word(s)) => args.push(s.clone()),
                Some(Token::Comma) => {}
                _ => return Err(self.error()),
            }
            self.at += 1;
        }
        self.at += 1; // )
        let now = self.context.now_ms;
        let offset = match args.first() {
            Some(a) => parse_offset(a)
                .ok_or_else(|| CqlError::execution(format!("Invalid argument '{a}' for function {name}")))?,
            None => Duration::zero(),
        };
        let at = |ms: i64| Value::Time(ms, ms + 1);
        let today = Utc.timestamp_millis_opt(now).single().unwrap_or_default().date_naive();
        let midnight =
            |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t).timestamp_millis()).unwrap_or(0);
        let shifted = |ms: i64| ms + offset.num_milliseconds();
        Ok(match name.to_ascii_lowercase().as_str() {
            "now" => at(shifted(now)),
            "startofday" => at(shifted(midnight(today))),
            "endofday" => at(shifted(midnight(today) + 86_400_000 - 1)),
            "startofweek" => {
                at(shifted(midnight(today - Duration::days(i64::from(today.weekday().num_days_from_sunday())))))
            }
            "endofweek" => at(shifted(
                midnight(today - Duration::days(i64::from(today.weekday().num_days_from_sunday())) + Duration::days(7))
                    - 1,
            )),
            "startofmonth" => at(shifted(midnight(today.with_day(1).unwrap_or(today)))),
            "startofyear" => at(shifted(midnight(NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today)))),
            "currentuser" => Value::Text(self.context.current_user.clone()),
            _ => return Err(CqlError::execution(format!("Unsupported function: {name}"))),
        })
    }
}

/// `-4w`, `+2d`, `-1y`, `3h`, `-30m` (minutes; `M` is months).
fn parse_offset(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let unit = rest.chars().last()?;
    let n: i64 = rest[..rest.len() - unit.len_utf8()].parse().ok()?;
    let d = match unit {
        'y' => Duration::days(365 * n),
        'M' => Duration::days(30 * n),
        'w' => Duration::weeks(n),
        'd' => Duration::days(n),
        'h' => Duration::hours(n),
        'm' => Duration::minutes(n),
        _ => return None,
    };
    Some(d * sign)
}

/// A date literal as an interval: a whole day, or a whole minute.
fn parse_date(text: &str) -> Option<(i64, i64)> {
    let normalised = text.trim().replace('/', "-");
    if let Ok(t) = NaiveDateTime::parse_from_str(&normalised, "%Y-%m-%d %H:%M") {
        let from = Utc.from_utc_datetime(&t).timestamp_millis();
        return Some((from, from + 60_000));
    }
    let d = NaiveDate::parse_from_str(&normalised, "%Y-%m-%d").ok()?;
    let from = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?).timestamp_millis();
    Some((from, from + 86_400_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> CqlContext {
        CqlContext { now_ms: 1_700_000_000_000, current_user: "me".into() }
    }

    #[test]
    fn precedence_and_structure() {
        let q =
            parse("type = page AND (space = ENG OR space = DOCS) AND NOT label = draft ORDER BY created DESC", &ctx());
        let q = q.unwrap_or_else(|e| panic!("{e}"));
        let Expr::And(parts) = &q.expr else { panic!("{:?}", q.expr) };
        assert_eq!(parts.len(), 3);
        assert!(matches!(parts[1], Expr::Or(_)));
        assert!(matches!(parts[2], Expr::Not(_)));
        assert_eq!(q.order, vec![(Field::Created, true)]);
    }

    #[test]
    fn values_and_functions() {
        let q = parse(r#"space IN ("ENG", DOCS) and created >= "2024/01/31 10:30" and lastmodified > now("-4w") and creator = currentUser()"#, &ctx())
            .unwrap_or_else(|e| panic!("{e}"));
        let Expr::And(parts) = q.expr else { panic!() };
        assert_eq!(
            parts[0],
            Expr::Clause(Clause {
                field: Field::Space,
                op: Op::In,
                value: Value::List(vec![Value::Text("ENG".into()), Value::Text("DOCS".into())])
            })
        );
        let Expr::Clause(c) = &parts[1] else { panic!() };
        assert_eq!(c.value, Value::Time(1_706_697_000_000, 1_706_697_060_000));
        let Expr::Clause(c) = &parts[2] else { panic!() };
        assert_eq!(c.value, Value::Time(1_700_000_000_000 - 28 * 86_400_000, 1_700_000_000_000 - 28 * 86_400_000 + 1));
        let Expr::Clause(c) = &parts[3] else { panic!() };
        assert_eq!(c.value, Value::Text("me".into()));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}type = page{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&deep, &ctx()).is_err());
        let nots = format!("{}type = page", "NOT ".repeat(100_000));
        assert!(parse(&nots, &ctx()).is_err());
        let fine = format!("{}type = page{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&fine, &ctx()).is_ok());
    }

    #[test]
    fn errors_match_the_service() {
        let e = |q: &str| parse(q, &ctx()).err().map(|e| e.message).unwrap_or_default();
        assert_eq!(e("title = "), "Could not parse cql : title = ");
        assert_eq!(e("title = \"x\" AND"), "Could not parse cql : title = \"x\" AND");
        assert_eq!(e("(title = x"), "Could not parse cql : (title = x");
        assert!(e("colour = red").ends_with("Could not find field: colour"));
        assert!(e("title < x").contains("operator is not supported"));
        assert!(e("created > \"yesterday\"").contains("Could not parse date"));
        assert!(e("created > nextTuesday()").contains("Unsupported function"));
        assert_eq!(e(""), "Could not parse cql : ");
    }
}

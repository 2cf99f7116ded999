//! Expression analysis: what a filter says about one column, in the forms a request can carry. `column = v`,
//! `v = column`, `column IN (...)`, and `OR`s of those on one column (DataFusion rewrites short `IN` lists that
//! way) pin a column to values ([`column_values`]; [`Pins`] intersects every filter's); comparisons of a timestamp
//! column with a literal bound it ([`time_bound`]). Nothing here knows about tables or requests.

use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use datafusion::scalar::ScalarValue;

/// A literal as request text (`None` for NULL or unsupported types).
pub fn literal_text(value: &ScalarValue) -> Option<String> {
    match value {
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            Some(s.clone())
        }
        ScalarValue::Int8(Some(n)) => Some(n.to_string()),
        ScalarValue::Int16(Some(n)) => Some(n.to_string()),
        ScalarValue::Int32(Some(n)) => Some(n.to_string()),
        ScalarValue::Int64(Some(n)) => Some(n.to_string()),
        ScalarValue::UInt8(Some(n)) => Some(n.to_string()),
        ScalarValue::UInt16(Some(n)) => Some(n.to_string()),
        ScalarValue::UInt32(Some(n)) => Some(n.to_string()),
        ScalarValue::UInt64(Some(n)) => Some(n.to_string()),
        ScalarValue::Boolean(Some(b)) => Some(b.to_string()),
        _ => None,
    }
}

fn unwrap_cast(expr: &Expr) -> &Expr {
    match expr {
        Expr::Cast(cast) => unwrap_cast(&cast.expr),
        Expr::TryCast(cast) => unwrap_cast(&cast.expr),
        other => other,
    }
}

/// A column pinned to values by one filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnValues {
    /// The column.
    pub column: String,
    /// Its values (no repeats, in the order written).
    pub values: Vec<String>,
}

/// `column = literal`, `literal = column`, `column IN (literals)`, or an `OR` of those on one column.
pub fn column_values(expr: &Expr) -> Option<ColumnValues> {
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Or, right }) => {
            let mut left = column_values(left)?;
            let right = column_values(right)?;
            if left.column != right.column {
                return None;
            }
            for value in right.values {
                if !left.values.contains(&value) {
                    left.values.push(value);
                }
            }
            Some(left)
        }
        Expr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right }) => match (unwrap_cast(left), unwrap_cast(right))
        {
            (Expr::Column(c), Expr::Literal(v, _)) | (Expr::Literal(v, _), Expr::Column(c)) => {
                literal_text(v).map(|text| ColumnValues { column: c.name.clone(), values: vec![text] })
            }
            _ => None,
        },
        Expr::InList(list) if !list.negated => {
            let Expr::Column(c) = unwrap_cast(&list.expr) else { return None };
            let values: Option<Vec<String>> = list
                .list
                .iter()
                .map(|e| match unwrap_cast(e) {
                    Expr::Literal(v, _) => literal_text(v),
                    _ => None,
                })
                .collect();
            let mut unique: Vec<String> = Vec::new();
            for value in values? {
                if !unique.contains(&value) {
                    unique.push(value);
                }
            }
            Some(ColumnValues { column: c.name.clone(), values: unique })
        }
        _ => None,
    }
}

/// The values the filters pin each column to: the intersection of every filter that pins it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pins(Vec<ColumnValues>);

impl Pins {
    /// The pins of a conjunction of filters.
    pub fn of(filters: &[Expr]) -> Pins {
        let mut pins: Vec<ColumnValues> = Vec::new();
        for pinned in filters.iter().filter_map(column_values) {
            match pins.iter_mut().find(|p| p.column == pinned.column) {
                Some(existing) => existing.values.retain(|v| pinned.values.contains(v)),
                None => pins.push(pinned),
            }
        }
        Pins(pins)
    }

    /// The values `column` is pinned to (empty: the filters contradict each other); `None` when unpinned.
    pub fn get(&self, column: &str) -> Option<&[String]> {
        self.0.iter().find(|p| p.column == column).map(|p| p.values.as_slice())
    }

    /// The same pins with `column` pinned to `values` instead.
    pub fn with(mut self, column: &str, values: Vec<String>) -> Pins {
        self.0.retain(|p| p.column != column);
        self.0.push(ColumnValues { column: column.to_owned(), values });
        self
    }

    /// The pinned columns.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|p| p.column.as_str())
    }
}

/// A timestamp literal in milliseconds since the epoch.
fn timestamp_ms(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::TimestampSecond(Some(v), _) => v.checked_mul(1000),
        ScalarValue::TimestampMillisecond(Some(v), _) => Some(*v),
        ScalarValue::TimestampMicrosecond(Some(v), _) => Some(v.div_euclid(1000)),
        ScalarValue::TimestampNanosecond(Some(v), _) => Some(v.div_euclid(1_000_000)),
        ScalarValue::Date32(Some(days)) => i64::from(*days).checked_mul(86_400_000),
        ScalarValue::Date64(Some(ms)) => Some(*ms),
        _ => None,
    }
}

/// Which side of an instant a time filter keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// `>` or `>=`.
    After,
    /// `<` or `<=`.
    Before,
}

/// A column compared with a timestamp literal: `column > t`, `t <= column`... (equality is not a bound).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeBound {
    /// The column.
    pub column: String,
    /// Which side of `at_ms` the rows are on.
    pub side: Side,
    /// The instant, in milliseconds since the epoch.
    pub at_ms: i64,
}

/// The time bound `expr` states, if any.
pub fn time_bound(expr: &Expr) -> Option<TimeBound> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = expr else { return None };
    let (column, value, op) = match (unwrap_cast(left), unwrap_cast(right)) {
        (Expr::Column(c), Expr::Literal(v, _)) => (c, v, *op),
        (Expr::Literal(v, _), Expr::Column(c)) => (c, v, op.swap()?),
        _ => return None,
    };
    let side = match op {
        Operator::Gt | Operator::GtEq => Side::After,
        Operator::Lt | Operator::LtEq => Side::Before,
        _ => return None,
    };
    Some(TimeBound { column: column.name.clone(), side, at_ms: timestamp_ms(value)? })
}

/// `yyyy-MM-dd` (UTC) of `ms` moved by `days`.
pub fn utc_date(ms: i64, days: i64) -> Option<String> {
    let shifted = ms.checked_add(days.checked_mul(86_400_000)?)?;
    chrono::DateTime::from_timestamp_millis(shifted).map(|t| t.format("%Y-%m-%d").to_string())
}

/// The column `expr` requires to be non-NULL (`column IS NOT NULL`).
pub fn not_null_column(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::IsNotNull(inner) => match inner.as_ref() {
            Expr::Column(column) => Some(column.name.as_str()),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, lit};

    fn pinned(column: &str, values: &[&str]) -> Option<ColumnValues> {
        Some(ColumnValues { column: column.to_owned(), values: values.iter().map(|v| v.to_string()).collect() })
    }

    #[test]
    fn equalities_in_lists_and_or_chains() {
        assert_eq!(column_values(&col("id").eq(lit(5i64))), pinned("id", &["5"]));
        assert_eq!(column_values(&lit("ENG").eq(col("space_key"))), pinned("space_key", &["ENG"]));
        let or = col("id").eq(lit(1i64)).or(col("id").eq(lit(2i64))).or(col("id").eq(lit(1i64)));
        assert_eq!(column_values(&or), pinned("id", &["1", "2"]));
        assert_eq!(column_values(&col("id").eq(lit(1i64)).or(col("title").eq(lit("x")))), None);
        assert_eq!(column_values(&col("id").in_list(vec![lit(1i64), lit(2i64)], true)), None, "NOT IN is not pushed");
        assert_eq!(column_values(&col("id").in_list(vec![lit(1i64), lit(1i64)], false)), pinned("id", &["1"]));
        assert_eq!(column_values(&col("id").gt(lit(1i64))), None);
    }

    #[test]
    fn pins_intersect() {
        let pins = Pins::of(&[
            col("id").in_list(vec![lit(1i64), lit(2i64)], false),
            col("id").eq(lit(2i64)),
            col("status").eq(lit("current")),
        ]);
        assert_eq!(pins.get("id"), Some(&["2".to_owned()][..]));
        assert_eq!(pins.get("title"), None);
        let contradiction = Pins::of(&[col("id").eq(lit(1i64)), col("id").eq(lit(2i64))]);
        assert_eq!(contradiction.get("id"), Some(&[][..]));
    }

    #[test]
    fn time_bounds() {
        let t = lit(ScalarValue::TimestampMillisecond(Some(1_710_072_000_000), Some("UTC".into())));
        assert_eq!(
            time_bound(&col("created_at").gt_eq(t.clone())),
            Some(TimeBound { column: "created_at".into(), side: Side::After, at_ms: 1_710_072_000_000 })
        );
        assert_eq!(time_bound(&t.clone().gt(col("updated_at"))).map(|b| b.side), Some(Side::Before));
        assert_eq!(time_bound(&col("created_at").not_eq(t)), None);
        assert_eq!(utc_date(1_710_072_000_000, -1).as_deref(), Some("2024-03-09"));
    }
}

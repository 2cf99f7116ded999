//! How query results are printed: aligned tables for people, CSV, JSON and Markdown for programs and documents.

use std::fmt::Write as _;

use clap::ValueEnum;
use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches;

/// An output format for query results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ResultFormat {
    /// An aligned table with borders.
    Table,
    /// RFC 4180 CSV with a header line.
    Csv,
    /// A JSON array of objects, one per row.
    Json,
    /// A Markdown table.
    Markdown,
}

impl ResultFormat {
    /// Parses a `\format` argument.
    pub fn parse(text: &str) -> Option<ResultFormat> {
        <ResultFormat as ValueEnum>::from_str(text.trim(), true).ok()
    }
}

/// Renders batches in a format.
pub fn render(batches: &[RecordBatch], format: ResultFormat) -> anyhow::Result<String> {
    let Some(schema) = batches.first().map(|b| b.schema()) else {
        return Ok(match format {
            ResultFormat::Json => "[]\n".to_owned(),
            _ => String::new(),
        });
    };
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let options = FormatOptions::default().with_null("");
    let mut out = String::new();
    match format {
        ResultFormat::Table => {
            out = pretty_format_batches(batches)?.to_string();
            out.push('\n');
        }
        ResultFormat::Csv => {
            out.push_str(&names.iter().map(|n| csv_field(n)).collect::<Vec<_>>().join(","));
            out.push('\n');
            for batch in batches {
                let formatters = formatters(batch, &options)?;
                for row in 0..batch.num_rows() {
                    let fields: Vec<String> = formatters.iter().map(|f| csv_field(&f.value(row).to_string())).collect();
                    out.push_str(&fields.join(","));
                    out.push('\n');
                }
            }
        }
        ResultFormat::Markdown => {
            let _ = writeln!(out, "| {} |", names.iter().map(|n| markdown_cell(n)).collect::<Vec<_>>().join(" | "));
            let _ = writeln!(out, "|{}", " --- |".repeat(names.len()));
            for batch in batches {
                let formatters = formatters(batch, &options)?;
                for row in 0..batch.num_rows() {
                    let cells: Vec<String> =
                        formatters.iter().map(|f| markdown_cell(&f.value(row).to_string())).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
            }
        }
        ResultFormat::Json => {
            let mut rows = Vec::new();
            for batch in batches {
                let formatters = formatters(batch, &options)?;
                for row in 0..batch.num_rows() {
                    let mut object = serde_json::Map::new();
                    for (i, name) in names.iter().enumerate() {
                        object.insert(name.clone(), json_value(batch.column(i).as_ref(), &formatters[i], row));
                    }
                    rows.push(serde_json::Value::Object(object));
                }
            }
            out = serde_json::to_string_pretty(&rows)?;
            out.push('\n');
        }
    }
    Ok(out)
}

fn formatters<'a>(batch: &'a RecordBatch, options: &'a FormatOptions<'a>) -> anyhow::Result<Vec<ArrayFormatter<'a>>> {
    Ok(batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), options)).collect::<Result<_, _>>()?)
}

fn json_value(array: &dyn Array, formatter: &ArrayFormatter<'_>, row: usize) -> serde_json::Value {
    if array.is_null(row) {
        return serde_json::Value::Null;
    }
    let text = formatter.value(row).to_string();
    match array.data_type() {
        DataType::Boolean => serde_json::Value::Bool(text == "true"),
        t if t.is_integer() || t.is_floating() => {
            serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
        }
        _ => serde_json::Value::String(text),
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

fn markdown_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("title", DataType::Utf8, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![Some(1), None])),
                Arc::new(StringArray::from(vec![Some("a, \"b\""), Some("x|y")])),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn formats() {
        let b = [batch()];
        assert_eq!(render(&b, ResultFormat::Csv).unwrap_or_default(), "id,title\n1,\"a, \"\"b\"\"\"\n,x|y\n");
        assert_eq!(
            render(&b, ResultFormat::Markdown).unwrap_or_default(),
            "| id | title |\n| --- | --- |\n| 1 | a, \"b\" |\n|  | x\\|y |\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(&b, ResultFormat::Json).unwrap_or_default()).unwrap_or_default();
        assert_eq!(json, serde_json::json!([{"id": 1, "title": "a, \"b\""}, {"id": null, "title": "x|y"}]));
        assert!(render(&b, ResultFormat::Table).unwrap_or_default().contains("| id | title"));
        assert_eq!(render(&[], ResultFormat::Json).unwrap_or_default(), "[]\n");
    }
}

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

/// How values are written besides the format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// In CSV, a text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return
    /// first) gets a leading `'`.
    pub csv_formula_guard: bool,
}

/// Renders batches in a format. Text shown to people (tables and Markdown) has its control characters escaped, so
/// text from Confluence cannot move the cursor, retitle the terminal or reorder what is shown.
pub fn render(batches: &[RecordBatch], format: ResultFormat, options: RenderOptions) -> anyhow::Result<String> {
    let Some(schema) = batches.first().map(|b| b.schema()) else {
        return Ok(match format {
            ResultFormat::Json => "[]\n".to_owned(),
            _ => String::new(),
        });
    };
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    if names == ["plan_type", "plan"] && matches!(format, ResultFormat::Table | ResultFormat::Markdown) {
        return Ok(render_plan(batches, format));
    }
    let format_options = FormatOptions::default().with_null("");
    let mut out = String::new();
    match format {
        ResultFormat::Table => {
            let shown = batches.iter().map(escape_text_columns).collect::<Result<Vec<_>, _>>()?;
            out = pretty_format_batches(&shown)?.to_string();
            out.push('\n');
        }
        ResultFormat::Csv => {
            out.push_str(&names.iter().map(|n| csv_field(n)).collect::<Vec<_>>().join(","));
            out.push('\n');
            for batch in batches {
                let formatters = formatters(batch, &format_options)?;
                let guarded: Vec<bool> = batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| options.csv_formula_guard && is_text(f.data_type()))
                    .collect();
                for row in 0..batch.num_rows() {
                    let fields: Vec<String> = formatters
                        .iter()
                        .zip(&guarded)
                        .map(|(f, guard)| {
                            let text = f.value(row).to_string();
                            csv_field(&if *guard { defuse_formula(text) } else { text })
                        })
                        .collect();
                    out.push_str(&fields.join(","));
                    out.push('\n');
                }
            }
        }
        ResultFormat::Markdown => {
            let _ = writeln!(out, "| {} |", names.iter().map(|n| markdown_cell(n)).collect::<Vec<_>>().join(" | "));
            let _ = writeln!(out, "|{}", " --- |".repeat(names.len()));
            for batch in batches {
                let formatters = formatters(batch, &format_options)?;
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
                let formatters = formatters(batch, &format_options)?;
                for row in 0..batch.num_rows() {
                    let mut object = serde_json::Map::new();
                    for (i, name) in names.iter().enumerate() {
                        object.insert(name.clone(), json_value(batch.column(i).as_ref(), &formatters[i], row));
                    }
                    rows.push(serde_json::Value::Object(object));
                }
            }
            out = json_for_terminals(&serde_json::to_string_pretty(&rows)?);
            out.push('\n');
        }
    }
    Ok(out)
}

/// An `EXPLAIN` result as indented text (a table would pad every line to the longest request): each plan under
/// its type, one request per line; in Markdown, inside a code block.
fn render_plan(batches: &[RecordBatch], format: ResultFormat) -> String {
    use datafusion::arrow::array::AsArray;
    let mut out = String::new();
    for batch in batches {
        let (types, plans) = (batch.column(0).as_string_opt::<i32>(), batch.column(1).as_string_opt::<i32>());
        let (Some(types), Some(plans)) = (types, plans) else { continue };
        for row in 0..batch.num_rows() {
            let _ = writeln!(out, "{}:", escape_controls(types.value(row)));
            for line in plans.value(row).lines() {
                let _ = writeln!(out, "  {}", escape_controls(line));
            }
        }
    }
    match format {
        ResultFormat::Markdown => format!("```text\n{out}```\n"),
        _ => out,
    }
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
    escape_controls(text).replace('|', "\\|")
}

fn is_text(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// A leading `'` on text a spreadsheet would evaluate (OWASP's CSV injection advice).
fn defuse_formula(text: String) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// `text` with control characters (terminal escape sequences start with one) and bidirectional overrides written
/// as visible escapes: `\n`, `\t`, `\x1b`, `\u{202e}`.
pub fn escape_controls(text: &str) -> String {
    if !text.chars().any(needs_escape) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` for a terminal where line breaks are meant (an error message): control characters but line breaks
/// escaped.
pub fn escape_message(text: &str) -> String {
    text.split('\n').map(escape_controls).collect::<Vec<_>>().join("\n")
}

/// JSON text with the control and bidirectional characters serde_json leaves as they are (C1 controls, bidi
/// overrides) written as `\uXXXX` escapes: the same JSON, safe on a terminal.
fn json_for_terminals(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if (c.is_control() && c != '\n') || confluence_rest::error::is_bidi_control(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control() || confluence_rest::error::is_bidi_control(c)
}

/// The batch with every text column's values passed through [`escape_controls`].
fn escape_text_columns(batch: &RecordBatch) -> anyhow::Result<RecordBatch> {
    use datafusion::arrow::array::{ArrayRef, AsArray, StringArray};
    use datafusion::arrow::compute::cast;
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    let mut fields = Vec::with_capacity(batch.num_columns());
    for (column, field) in batch.columns().iter().zip(batch.schema().fields()) {
        let data_type = column.data_type();
        // Numbers, booleans and times cannot hold a control character; anything else (text, lists and structs
        // of text, binary) is shown through its escaped rendering.
        if data_type.is_numeric() || data_type.is_temporal() || matches!(data_type, DataType::Boolean | DataType::Null)
        {
            columns.push(column.clone());
            fields.push(field.as_ref().clone());
            continue;
        }
        let escaped: StringArray = if is_text(data_type) {
            let text = cast(column, &DataType::Utf8)?;
            text.as_string::<i32>().iter().map(|v| v.map(escape_controls)).collect()
        } else {
            let formatter = ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())?;
            (0..column.len())
                .map(|row| column.is_valid(row).then(|| escape_controls(&formatter.value(row).to_string())))
                .collect()
        };
        columns.push(std::sync::Arc::new(escaped));
        fields.push(field.as_ref().clone().with_data_type(DataType::Utf8));
    }
    let schema = std::sync::Arc::new(datafusion::arrow::datatypes::Schema::new(fields));
    Ok(RecordBatch::try_new(schema, columns)?)
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
        assert_eq!(
            render(&b, ResultFormat::Csv, RenderOptions::default()).unwrap_or_default(),
            "id,title\n1,\"a, \"\"b\"\"\"\n,x|y\n"
        );
        assert_eq!(
            render(&b, ResultFormat::Markdown, RenderOptions::default()).unwrap_or_default(),
            "| id | title |\n| --- | --- |\n| 1 | a, \"b\" |\n|  | x\\|y |\n"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render(&b, ResultFormat::Json, RenderOptions::default()).unwrap_or_default())
                .unwrap_or_default();
        assert_eq!(json, serde_json::json!([{"id": 1, "title": "a, \"b\""}, {"id": null, "title": "x|y"}]));
        assert!(render(&b, ResultFormat::Table, RenderOptions::default()).unwrap_or_default().contains("| id | title"));
        assert_eq!(render(&[], ResultFormat::Json, RenderOptions::default()).unwrap_or_default(), "[]\n");
    }

    fn titles(values: &[&str]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("title", DataType::Utf8, true)]));
        RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(values.to_vec()))])
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A title from Confluence once reached the terminal raw: it could clear the screen or retitle the window.
    #[test]
    fn terminal_escapes_are_shown_not_obeyed() {
        let b = [titles(&["\x1b[2J\x1b]0;pwned\x07", "line\nbreak", "abc\u{202e}fed", "\u{9b}31m"])];
        for format in [ResultFormat::Table, ResultFormat::Markdown] {
            let text = render(&b, format, RenderOptions::default()).unwrap_or_default();
            assert!(!text.contains('\x1b') && !text.contains('\x07') && !text.contains('\u{202e}'), "{text:?}");
            assert!(!text.contains('\u{9b}') && text.contains("\\x1b[2J") && text.contains("line\\nbreak"), "{text}");
        }
    }

    #[test]
    fn plans_print_as_indented_text() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("plan_type", DataType::Utf8, false),
            Field::new("plan", DataType::Utf8, false),
        ]));
        let plan = "ConfluenceScanExec: table=pages, partitions=2\n    partition 1: GET /wiki/api/v2/pages?limit=250";
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(StringArray::from(vec!["physical_plan"])), Arc::new(StringArray::from(vec![plan]))],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let text =
            render(std::slice::from_ref(&batch), ResultFormat::Table, RenderOptions::default()).unwrap_or_default();
        assert_eq!(
            text,
            "physical_plan:\n  ConfluenceScanExec: table=pages, partitions=2\n      partition 1: GET /wiki/api/v2/pages?limit=250\n"
        );
        assert!(render(std::slice::from_ref(&batch), ResultFormat::Markdown, RenderOptions::default())
            .unwrap_or_default()
            .starts_with("```text\n"));
        assert!(render(&[batch], ResultFormat::Csv, RenderOptions::default())
            .unwrap_or_default()
            .starts_with("plan_type,plan\n"));
    }

    #[test]
    fn nested_values_json_and_messages_are_escaped_too() {
        use datafusion::arrow::array::{ListBuilder, StringBuilder};
        let mut list = ListBuilder::new(StringBuilder::new());
        list.values().append_value("\x1b]0;pwned\x07");
        list.append(true);
        let schema = Arc::new(Schema::new(vec![Field::new(
            "titles",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        )]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(list.finish())]).unwrap_or_else(|e| panic!("{e}"));
        let table =
            render(std::slice::from_ref(&batch), ResultFormat::Table, RenderOptions::default()).unwrap_or_default();
        assert!(!table.contains('\x1b') && table.contains("\\x1b]0;pwned"), "{table}");
        let json =
            render(&[titles(&["a\u{9b}b\u{202e}c"])], ResultFormat::Json, RenderOptions::default()).unwrap_or_default();
        assert!(!json.contains('\u{9b}') && !json.contains('\u{202e}'), "{json}");
        let back: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back[0]["title"], "a\u{9b}b\u{202e}c", "the same data");
        assert_eq!(escape_message("line 1\n  \x1b[2J ^"), "line 1\n  \\x1b[2J ^");
    }

    #[test]
    fn csv_formulas_are_defused_on_request() {
        let b = [titles(&["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)", "-2", "plain"])];
        let guarded = render(&b, ResultFormat::Csv, RenderOptions { csv_formula_guard: true }).unwrap_or_default();
        assert_eq!(guarded, "title\n\"'=HYPERLINK(\"\"http://x\"\")\"\n'+1\n'@SUM(A1)\n'-2\nplain\n");
        let raw = render(&b, ResultFormat::Csv, RenderOptions::default()).unwrap_or_default();
        assert!(raw.contains("\n+1\n"), "off by default: {raw}");
        // Numbers are not text: a negative id stays a number.
        let numbers = [batch()];
        let text = render(&numbers, ResultFormat::Csv, RenderOptions { csv_formula_guard: true }).unwrap_or_default();
        assert!(text.starts_with("id,title\n1,"), "{text}");
    }
}

//! Keeps `connstr-spec.md` and the `connstr` crate in agreement: every property in the spec's reference table is
//! known to the parser with the same synonyms, type and schemes, every property the parser knows is in the table,
//! and every example the spec gives actually parses (or fails at the offset the spec says).

use std::collections::BTreeSet;

use confluence_sql_tests::read_repo_file;
use connstr::properties::{lookup, UsedBy, PROPERTIES};
use connstr::{AuthScheme, ConnStrError, ConnectionOptions, ConnectionString};

/// The rows of the first markdown table after `heading`, as cells with surrounding spaces trimmed.
fn table_after(spec: &str, heading: &str) -> Vec<Vec<String>> {
    let start = spec.find(heading).unwrap_or_else(|| panic!("the spec has no heading {heading:?}"));
    spec[start..]
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2) // header and separator
        .map(split_row)
        .collect()
}

/// Splits a markdown table row on `|`, except inside backticks (examples contain `|`-free text, but be safe).
fn split_row(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut in_code = false;
    for c in line.trim().trim_matches('|').chars() {
        match c {
            '`' => {
                in_code = !in_code;
                cell.push(c);
            }
            '|' if !in_code => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            _ => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    cells
}

/// The texts inside backticks in a cell.
fn code_spans(cell: &str) -> Vec<String> {
    cell.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

fn scheme_names(used_by: UsedBy) -> String {
    match used_by {
        UsedBy::All => "all".to_owned(),
        UsedBy::Schemes(list) => list.iter().map(AuthScheme::as_str).collect::<Vec<_>>().join(", "),
    }
}

#[test]
fn property_table_matches_the_registry() {
    let spec = read_repo_file("connstr-spec.md");
    let rows = table_after(&spec, "### 2.2 Property reference");
    assert!(rows.len() >= 31, "expected the full property table, found {} rows", rows.len());
    let mut in_spec = BTreeSet::new();
    for row in &rows {
        assert_eq!(row.len(), 7, "row should have 7 cells: {row:?}");
        let name = code_spans(&row[0]).pop().unwrap_or_default();
        let info = lookup(&name).unwrap_or_else(|| panic!("the spec documents {name}, which the parser does not know"));
        assert_eq!(info.name, name, "{name} is documented under a synonym of {}", info.name);
        let synonyms = code_spans(&row[1]);
        assert_eq!(synonyms, info.synonyms, "synonyms of {name}");
        assert_eq!(row[2], info.kind.spec_name(), "type of {name}");
        assert_eq!(row[5], scheme_names(info.used_by), "schemes of {name}");
        if let connstr::properties::ValueKind::Choice(valid) = info.kind {
            let documented = code_spans(&row[4]);
            for value in valid {
                assert!(documented.iter().any(|d| d == value), "{name}: valid value {value} is not documented");
            }
        }
        assert!(in_spec.insert(name.clone()), "{name} is documented twice");
    }
    let in_code: BTreeSet<String> = PROPERTIES.iter().map(|p| p.name.to_owned()).collect();
    let undocumented: Vec<_> = in_code.difference(&in_spec).collect();
    assert!(undocumented.is_empty(), "properties missing from connstr-spec.md: {undocumented:?}");
    // Same order as the registry, so `connstr check` lists them as the spec does.
    let spec_order: Vec<String> = rows.iter().map(|r| code_spans(&r[0]).pop().unwrap_or_default()).collect();
    let code_order: Vec<String> = PROPERTIES.iter().map(|p| p.name.to_owned()).collect();
    assert_eq!(spec_order, code_order, "the spec and the registry list properties in different orders");
}

#[test]
fn property_examples_are_valid() {
    let spec = read_repo_file("connstr-spec.md");
    // Connection strings that an example can be appended to; an example is valid if any of them accepts it.
    let bases = [
        "Url=https://wiki.example.com;PersonalAccessToken=x;",
        "Url=https://acme.atlassian.net;User=u;APIToken=t;",
        "Url=https://acme.atlassian.net;OAuthClientId=c;OAuthClientSecret=s;",
        "Url=https://wiki.example.com;User=u;",
        "User=u;APIToken=t;",
    ];
    for row in table_after(&spec, "### 2.2 Property reference") {
        let name = code_spans(&row[0]).pop().unwrap_or_default();
        for example in code_spans(&row[6]) {
            let parsed = ConnectionString::parse(&example).unwrap_or_else(|e| panic!("example {example:?}: {e}"));
            let key = &parsed.pairs()[0].key;
            assert_eq!(lookup(key).map(|p| p.name), Some(name.as_str()), "example {example:?} is not for {name}");
            let errors: Vec<String> = bases
                .iter()
                .filter_map(|base| ConnectionOptions::parse(&format!("{base}{example}")).err())
                .map(|e| e.to_string())
                .collect();
            assert!(errors.len() < bases.len(), "example {example:?} is refused everywhere: {errors:#?}");
        }
    }
}

#[test]
fn grammar_examples_parse() {
    let spec = read_repo_file("connstr-spec.md");
    let rows = table_after(&spec, "The rules in words");
    assert!(rows.len() >= 14, "expected the grammar rules table");
    for row in rows {
        for example in code_spans(&row[2]) {
            ConnectionString::parse(&example).unwrap_or_else(|e| panic!("rule {}: example {example:?}: {e}", row[0]));
        }
    }
}

#[test]
fn grammar_error_examples_fail_where_the_spec_says() {
    let spec = read_repo_file("connstr-spec.md");
    for row in table_after(&spec, "### Grammar errors") {
        let example = code_spans(&row[1]).pop().unwrap_or_default();
        let offset: usize = row[2].split(',').next().and_then(|n| n.trim().parse().ok()).unwrap_or(usize::MAX);
        let error: ConnStrError = ConnectionString::parse(&example).expect_err(&example);
        assert_eq!(error.offset(), Some(offset), "{example:?}: {error}");
    }
}

#[test]
fn documented_default_scopes_match_the_code() {
    let spec = read_repo_file("connstr-spec.md");
    let flat = spec.split_whitespace().collect::<Vec<_>>().join(" ");
    let documented = format!("`{}`", connstr::DEFAULT_CLOUD_SCOPES.join(" "));
    assert!(flat.contains(&documented), "the spec should list the default Cloud scopes as {documented}");
}

//! Plain aligned text tables for command output (query results use Arrow's printers instead).

/// Renders `rows` under `header` with columns padded to their widest line and a rule under the header. A cell
/// with `\n` in it spans several lines.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = cell.lines().map(|l| l.chars().count()).fold(*w, usize::max);
            }
        }
    }
    let line = |cells: &[&str]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w.saturating_sub(cell.chars().count()))))
            .collect();
        let mut text = padded.join("  ").trim_end().to_owned();
        text.push('\n');
        text
    };
    let mut out = line(header);
    out.push_str(&line(
        &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    for row in rows {
        let cell_lines: Vec<Vec<&str>> =
            row.iter().map(|c| if c.is_empty() { vec![""] } else { c.lines().collect() }).collect();
        let height = cell_lines.iter().map(Vec::len).max().unwrap_or(1);
        for i in 0..height {
            let cells: Vec<&str> = cell_lines.iter().map(|lines| lines.get(i).copied().unwrap_or("")).collect();
            out.push_str(&line(&cells));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn aligns_columns() {
        let rows = vec![vec!["Url".to_owned(), "https://x".to_owned()], vec!["Timeout".to_owned(), "60".to_owned()]];
        assert_eq!(
            super::render(&["Property", "Value"], &rows),
            "Property  Value\n--------  ---------\nUrl       https://x\nTimeout   60\n"
        );
    }

    #[test]
    fn multi_line_cells() {
        let rows = vec![vec!["Scope".to_owned(), "a\nbb".to_owned(), "x".to_owned()]];
        assert_eq!(super::render(&["P", "V", "S"], &rows), "P      V   S\n-----  --  -\nScope  a   x\n       bb\n");
    }
}

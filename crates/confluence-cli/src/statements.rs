//! Splitting SQL text into statements at `;`, outside quotes and comments (for `-f` files and multi-line REPL
//! input).

/// The complete statements in `text` (without their `;`), and whatever follows the last `;`.
pub fn split(text: &str) -> (Vec<String>, String) {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), _) if c == q => {
                quote = None;
                current.push(c);
            }
            (Some(_), _) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.push(c);
            }
            (None, '-') if chars.peek() == Some(&'-') => {
                // A line comment: skip to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        current.push('\n');
                        break;
                    }
                }
            }
            (None, ';') => {
                if !current.trim().is_empty() {
                    statements.push(current.trim().to_owned());
                }
                current.clear();
            }
            (None, _) => current.push(c),
        }
    }
    (statements, current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_comments() {
        let (statements, rest) =
            split("SELECT 1; SELECT ';' AS x -- a comment; still a comment\n; SELECT \"a;b\" FROM t; SELECT 2");
        assert_eq!(statements, ["SELECT 1", "SELECT ';' AS x", "SELECT \"a;b\" FROM t"]);
        assert_eq!(rest.trim(), "SELECT 2");
        let (statements, rest) = split(";;  ;");
        assert!(statements.is_empty() && rest.trim().is_empty());
    }
}

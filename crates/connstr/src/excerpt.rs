//! Caret excerpts for error messages: a window of the connection string around a byte offset, with a `^` under
//! the offending character and every secret value masked, so an error can be pasted into a bug report safely.

use std::fmt;
use std::ops::Range;

/// How many characters of context an excerpt shows on each side of the offset.
const CONTEXT_CHARS: usize = 40;

/// A one-line window of the input with a caret under the position an error refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    /// The window of the input, secrets masked, control characters shown as spaces.
    pub line: String,
    /// The caret's column (in characters) within `line`.
    pub caret_column: usize,
}

impl Excerpt {
    /// Builds the excerpt around byte `offset` of `input`; the bytes in `masked` ranges are shown as `*`.
    pub fn new(input: &str, offset: usize, masked: &[Range<usize>]) -> Excerpt {
        let offset = offset.min(input.len());
        let chars: Vec<(usize, char)> = input.char_indices().collect();
        // Index of the character at (or just after) the offset; input.len() maps to chars.len().
        let caret_index = chars.partition_point(|(at, _)| *at < offset);
        let first = caret_index.saturating_sub(CONTEXT_CHARS);
        let last = (caret_index + CONTEXT_CHARS).min(chars.len());
        let mut line = String::new();
        if first > 0 {
            line.push('…');
        }
        for &(at, c) in &chars[first..last] {
            let shown = if masked.iter().any(|r| r.contains(&at)) {
                '*'
            } else if c.is_control() {
                ' '
            } else {
                c
            };
            line.push(shown);
        }
        if last < chars.len() {
            line.push('…');
        }
        let caret_column = caret_index - first + usize::from(first > 0);
        Excerpt { line, caret_column }
    }
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "    {}\n    {}^", self.line, " ".repeat(self.caret_column))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_points_at_the_offset() {
        let e = Excerpt::new("Url=x;Timeout=abc", 14, &[]);
        assert_eq!(e.to_string(), "    Url=x;Timeout=abc\n                  ^");
    }

    #[test]
    fn masks_ranges_and_elides_long_inputs() {
        let input = format!("{}APIToken=secret;Bad", "A".repeat(60));
        let start = input.find("secret").unwrap_or_default();
        let e = Excerpt::new(&input, input.len() - 3, &[start..start + 6]);
        assert!(!e.line.contains("secret"), "{}", e.line);
        assert!(e.line.starts_with('…'));
        assert!(e.line.contains("APIToken=******;Bad"));
        assert_eq!(e.line.chars().nth(e.caret_column), Some('B'));
    }

    #[test]
    fn offset_at_end_and_multibyte_text() {
        let input = "Title='Ünïcødé";
        let e = Excerpt::new(input, input.len(), &[]);
        assert_eq!(e.caret_column, e.line.chars().count());
        let e = Excerpt::new("Tïtle=x", 7, &[]);
        assert_eq!(e.caret_column, 6);
    }
}

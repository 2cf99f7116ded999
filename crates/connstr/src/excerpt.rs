//! Caret excerpts for error messages: a window of the connection string around a byte offset, with a `^` under
//! the offending character and every secret value masked, so an error can be pasted into a bug report safely.

use std::fmt;
use std::ops::Range;

use crate::secret::MASK;

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
    /// Builds the excerpt around byte `offset` of `input`. Each `masked` byte range is shown as one fixed mask
    /// (`********`), so neither a secret nor its length shows.
    pub fn new(input: &str, offset: usize, masked: &[Range<usize>]) -> Excerpt {
        let offset = offset.min(input.len());
        let chars: Vec<(usize, char)> = input.char_indices().collect();
        // Index of the character at (or just after) the offset; input.len() maps to chars.len().
        let caret_index = chars.partition_point(|(at, _)| *at < offset);
        let first = caret_index.saturating_sub(CONTEXT_CHARS);
        let last = (caret_index + CONTEXT_CHARS).min(chars.len());
        let mut line = String::new();
        let mut column = 0;
        let mut caret_column = None;
        let push = |line: &mut String, text: &str, column: &mut usize| {
            line.push_str(text);
            *column += text.chars().count();
        };
        if first > 0 {
            push(&mut line, "…", &mut column);
        }
        let mut in_mask: Option<&Range<usize>> = None;
        for (index, &(at, c)) in chars.iter().enumerate().take(last).skip(first) {
            let mask = masked.iter().find(|r| r.contains(&at));
            if index == caret_index {
                caret_column = Some(match (mask, in_mask) {
                    (Some(m), Some(open)) if m == open => column - MASK.chars().count(),
                    _ => column,
                });
            }
            match mask {
                Some(range) if in_mask == Some(range) => {}
                Some(range) => {
                    push(&mut line, MASK, &mut column);
                    in_mask = Some(range);
                }
                None => {
                    in_mask = None;
                    let shown = if c.is_control() { ' ' } else { c };
                    push(&mut line, shown.encode_utf8(&mut [0; 4]), &mut column);
                }
            }
        }
        let caret_column = caret_column.unwrap_or(column);
        if last < chars.len() {
            line.push('…');
        }
        Excerpt { line, caret_column }
    }
}

impl fmt::Display for Excerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "    {}\n    {}^", self.line, " ".repeat(self.caret_column))
    }
}

#[cfg(test)]
// A slice holding one byte range is exactly what `masked` takes; the lint expects a range of ranges.
#[allow(clippy::single_range_in_vec_init)]
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
        assert!(e.line.contains("APIToken=********;Bad"), "{}", e.line);
        assert_eq!(e.line.chars().nth(e.caret_column), Some('B'));
    }

    #[test]
    fn masks_hide_the_length_and_keep_the_caret_aligned() {
        let input = "PAT=p;Timeout=x";
        let e = Excerpt::new(input, 14, &[4..5]);
        assert_eq!(e.line, "PAT=********;Timeout=x");
        assert_eq!(e.line.chars().nth(e.caret_column), Some('x'));
        // A caret inside a masked value points at the mask's start.
        let e = Excerpt::new("APIToken='abc", 11, &[9..13]);
        assert_eq!(e.line, "APIToken=********");
        assert_eq!(e.caret_column, 9);
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

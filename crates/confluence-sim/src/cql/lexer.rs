//! CQL tokens.

use crate::cql::CqlError;

/// A token.
#[derive(Clone, Debug, PartialEq)]
pub enum Token {
    /// `(`
    Open,
    /// `)`
    Close,
    /// `,`
    Comma,
    /// An operator: `=`, `!=`, `~`, `!~`, `<`, `<=`, `>`, `>=`.
    Op(&'static str),
    /// A quoted string, escapes undone.
    Quoted(String),
    /// An unquoted word (field names, keywords, values, function names).
    Word(String),
}

/// Splits a query into tokens.
pub fn tokens(cql: &str) -> Result<Vec<Token>, CqlError> {
    let chars: Vec<char> = cql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            _ if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Token::Open);
                i += 1;
            }
            ')' => {
                out.push(Token::Close);
                i += 1;
            }
            ',' => {
                out.push(Token::Comma);
                i += 1;
            }
            '=' => {
                out.push(Token::Op("="));
                i += 1;
            }
            '~' => {
                out.push(Token::Op("~"));
                i += 1;
            }
            '!' if next == Some('=') => {
                out.push(Token::Op("!="));
                i += 2;
            }
            '!' if next == Some('~') => {
                out.push(Token::Op("!~"));
                i += 2;
            }
            '<' | '>' => {
                let op = match (c, next == Some('=')) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    (_, true) => ">=",
                    _ => ">",
                };
                out.push(Token::Op(op));
                i += if next == Some('=') { 2 } else { 1 };
            }
            '"' | '\'' => {
                let quote = c;
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(CqlError::parse(cql)),
                        Some('\\') => {
                            match chars.get(i + 1) {
                                Some(escaped) => value.push(*escaped),
                                None => return Err(CqlError::parse(cql)),
                            }
                            i += 2;
                        }
                        Some(ch) if *ch == quote => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            value.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Quoted(value));
            }
            _ if is_word_char(c) => {
                let start = i;
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
            _ => return Err(CqlError::parse(cql)),
        }
    }
    Ok(out)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '@' | '*' | '/' | '+')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_unescapes() {
        let t = tokens(r#"title ~ "say \"hi\" C:\\x" AND space IN (ENG,'DOCS') and id!=5"#).unwrap_or_default();
        assert_eq!(t[0], Token::Word("title".into()));
        assert_eq!(t[1], Token::Op("~"));
        assert_eq!(t[2], Token::Quoted(r#"say "hi" C:\x"#.into()));
        assert!(t.contains(&Token::Quoted("DOCS".into())));
        assert!(t.contains(&Token::Op("!=")));
        assert!(tokens("title = \"open").is_err());
        assert!(tokens("title = $").is_err());
    }
}

//! Stage one: the ADO.NET connection-string grammar (`DbConnectionStringBuilder` rules), specified in
//! `connstr-spec.md`. It turns text into ordered [`RawPair`]s with their byte spans and knows nothing of what the
//! properties mean; [`crate::options`] gives them meaning.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use crate::error::ConnStrError;
use crate::excerpt::Excerpt;
use crate::properties;
use crate::secret::MASK;

/// One `Name=Value` pair as written, after unescaping. `Debug` masks the value of a secret property.
#[derive(Clone, PartialEq, Eq)]
pub struct RawPair {
    /// The property name, trimmed, with `==` unescaped to `=`; case as written.
    pub key: String,
    /// The value: trimmed when unquoted; when quoted, the text between the quotes with doubled quotes undone.
    pub value: String,
    /// Byte range of the name in the input.
    pub key_span: Range<usize>,
    /// Byte range of the value in the input (including its quotes when quoted).
    pub value_span: Range<usize>,
}

/// A pair's value as it may be shown: a secret's masked, an unknown property's masked (it may be anything, a
/// token pasted in the wrong place included), a URL's password (a `ProxyUrl`) masked.
fn shown_value(pair: &RawPair) -> String {
    if properties::is_secret_key(&pair.key) || properties::lookup(&pair.key).is_none() {
        return MASK.to_owned();
    }
    match url::Url::parse(pair.value.trim()) {
        Ok(mut url) if url.password().is_some() => {
            // Setting a password cannot fail on a URL that already has one.
            let _ = url.set_password(Some(MASK));
            url.to_string()
        }
        // A proxy URL that does not parse as one may still hold a password before an `@`.
        _ if properties::lookup(&pair.key).is_some_and(|p| p.name == "ProxyUrl") && pair.value.contains('@') => {
            MASK.to_owned()
        }
        _ => pair.value.clone(),
    }
}

/// Whether a pair's value must not appear in an excerpt.
fn hides_value(pair: &RawPair) -> bool {
    properties::is_secret_key(&pair.key) || shown_value(pair) != pair.value
}

impl fmt::Debug for RawPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawPair")
            .field("key", &self.key)
            .field("value", &shown_value(self))
            .field("key_span", &self.key_span)
            .field("value_span", &self.value_span)
            .finish()
    }
}

/// `text` as a connection string with every secret value masked, safe to print; text that does not parse is not
/// shown at all (it may be a secret pasted in the wrong place).
///
/// ```
/// assert_eq!(connstr::redact("Url=https://x.atlassian.net;APIToken=abc"), "Url=https://x.atlassian.net;APIToken=********");
/// assert_eq!(connstr::redact("APIToken='abc"), "<a connection string that does not parse>");
/// ```
pub fn redact(text: &str) -> String {
    match ConnectionString::parse(text) {
        Ok(parsed) => parsed.to_string(),
        Err(_) => "<a connection string that does not parse>".to_owned(),
    }
}

/// A connection string split into its pairs, in order, duplicates kept. Keys compare case-insensitively.
///
/// ```
/// use connstr::ConnectionString;
/// let cs = ConnectionString::parse("Url=https://x.atlassian.net; APIToken='a;b'; ;").unwrap();
/// assert_eq!(cs.get("URL"), Some("https://x.atlassian.net"));
/// assert_eq!(cs.get("apitoken"), Some("a;b"));
/// assert_eq!(cs.to_string(), "Url=https://x.atlassian.net;APIToken=********");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    source: String,
    pairs: Vec<RawPair>,
}

impl ConnectionString {
    /// Parses `input` by the grammar of `connstr-spec.md`. Errors carry the byte offset and a caret excerpt.
    pub fn parse(input: &str) -> Result<ConnectionString, ConnStrError> {
        Parser { input, pos: 0, pairs: Vec::new() }.run()
    }

    /// The text that was parsed.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The pairs in the order written, repeated keys included.
    pub fn pairs(&self) -> &[RawPair] {
        &self.pairs
    }

    /// The value of `key` (case-insensitive); when repeated, the last one wins.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|p| p.key.to_lowercase() == key.to_lowercase()).map(|p| p.value.as_str())
    }

    /// The pairs as a map from lower-cased key to value, the last occurrence of a key winning.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.pairs.iter().map(|p| (p.key.to_lowercase(), p.value.clone())).collect()
    }

    /// Keys written more than once (lower-cased), each with the spans of all its occurrences.
    pub fn repeated_keys(&self) -> Vec<(String, Vec<Range<usize>>)> {
        let mut seen: BTreeMap<String, Vec<Range<usize>>> = BTreeMap::new();
        for pair in &self.pairs {
            seen.entry(pair.key.to_lowercase()).or_default().push(pair.key_span.clone());
        }
        seen.into_iter().filter(|(_, spans)| spans.len() > 1).collect()
    }

    /// An excerpt around `offset` with every secret value masked.
    pub fn excerpt(&self, offset: usize) -> Excerpt {
        Excerpt::new(&self.source, offset, &secret_value_spans(&self.pairs))
    }
}

/// Writes the pairs back as a connection string with secret values masked (safe to log).
impl fmt::Display for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut builder = crate::builder::ConnectionStringBuilder::new();
        for pair in &self.pairs {
            let shown = shown_value(pair);
            let value = shown.as_str();
            // Keys came out of the parser, so the builder can always write them back.
            if builder.push(&pair.key, value).is_err() {
                return Err(fmt::Error);
            }
        }
        f.write_str(&builder.build())
    }
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConnectionString").field(&self.to_string()).finish()
    }
}

/// In text the grammar could not parse, the values of what looks like `SecretName=value` (split naively at `;`; a
/// quoted value masked to its closing quote, or to the end when it has none). Masking too much is fine here.
fn unparsed_secret_spans(input: &str, from: usize) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = from.min(input.len());
    while start < input.len() {
        let rest = &input[start..];
        let end = start + rest.find(';').unwrap_or(rest.len());
        let segment = &input[start..end];
        let mut next = end + 1;
        if let Some(eq) = segment.find('=') {
            if properties::is_secret_key(segment[..eq].trim()) {
                let value_start = start + eq + 1;
                let value = input[value_start..].trim_start();
                let value_start = input.len() - value.len();
                let value_end = match value.chars().next() {
                    Some(quote @ ('\'' | '"')) => closing_quote(input, value_start, quote).unwrap_or(input.len()),
                    _ => end,
                };
                spans.push(value_start..value_end.max(value_start));
                // Go on after the `;` that follows the value (`value_end + 1` could fall inside a character).
                let after = input[value_end..].find(';').map_or(input.len(), |i| value_end + i + 1);
                next = next.max(after);
            }
        }
        start = next;
    }
    spans
}

/// The byte just after the quote that closes the value opened by `quote` at `open` (doubled quotes are escapes).
fn closing_quote(input: &str, open: usize, quote: char) -> Option<usize> {
    let mut chars = input[open + quote.len_utf8()..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if chars.peek().is_some_and(|(_, next)| *next == quote) {
                chars.next();
                continue;
            }
            return Some(open + quote.len_utf8() + i + quote.len_utf8());
        }
    }
    None
}

fn secret_value_spans(pairs: &[RawPair]) -> Vec<Range<usize>> {
    pairs.iter().filter(|p| hides_value(p)).map(|p| p.value_span.clone()).collect()
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    pairs: Vec<RawPair>,
}

impl Parser<'_> {
    fn run(mut self) -> Result<ConnectionString, ConnStrError> {
        while let Some(c) = self.peek() {
            if c == ';' || c.is_whitespace() {
                self.bump(c);
                continue;
            }
            let pair = self.pair()?;
            self.pairs.push(pair);
        }
        Ok(ConnectionString { source: self.input.to_owned(), pairs: self.pairs })
    }

    fn peek(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.input[self.pos..].chars().nth(1)
    }

    fn bump(&mut self, c: char) {
        self.pos += c.len_utf8();
    }

    fn skip_spaces(&mut self) {
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.bump(c);
        }
    }

    /// Parses one pair; the cursor is on the first character of its name (not a space, not `;`).
    fn pair(&mut self) -> Result<RawPair, ConnStrError> {
        let segment_start = self.pos;
        let mut key = String::new();
        let mut key_end = self.pos;
        loop {
            match self.peek() {
                None | Some(';') => return Err(self.missing_equals(segment_start)),
                Some('=') if self.peek_second() == Some('=') => {
                    key.push('=');
                    self.pos += 2;
                    key_end = self.pos;
                }
                Some('=') => {
                    self.pos += 1;
                    break;
                }
                Some(c) => {
                    key.push(c);
                    self.bump(c);
                    if !c.is_whitespace() {
                        key_end = self.pos;
                    }
                }
            }
        }
        let key = key.trim_end().to_owned();
        if key.is_empty() {
            return Err(ConnStrError::EmptyKey { offset: segment_start, excerpt: self.excerpt(segment_start, None) });
        }
        let key_span = segment_start..key_end;
        self.skip_spaces();
        let value_start = self.pos;
        let value = match self.peek() {
            Some(quote @ ('\'' | '"')) => self.quoted_value(&key, quote)?,
            _ => self.unquoted_value(),
        };
        let value_span = value_start..value.1;
        Ok(RawPair { key, value: value.0, key_span, value_span })
    }

    /// Reads up to `;` or the end; returns the trimmed value and the end of its span.
    fn unquoted_value(&mut self) -> (String, usize) {
        let start = self.pos;
        let rest = &self.input[start..];
        let len = rest.find(';').unwrap_or(rest.len());
        self.pos = start + len;
        let value = rest[..len].trim_end();
        (value.to_owned(), start + value.len())
    }

    /// Reads a value quoted with `quote`, undoing doubled quotes; returns it and the end of its span.
    fn quoted_value(&mut self, key: &str, quote: char) -> Result<(String, usize), ConnStrError> {
        let open = self.pos;
        self.bump(quote);
        let mut value = String::new();
        loop {
            match self.peek() {
                None => {
                    let masked = properties::is_secret_key(key).then_some(open..self.input.len());
                    return Err(ConnStrError::UnterminatedQuote {
                        offset: open,
                        quote,
                        excerpt: self.excerpt(open, masked),
                    });
                }
                Some(c) if c == quote && self.peek_second() == Some(quote) => {
                    value.push(quote);
                    self.pos += 2 * quote.len_utf8();
                }
                Some(c) if c == quote => {
                    self.bump(c);
                    break;
                }
                Some(c) => {
                    value.push(c);
                    self.bump(c);
                }
            }
        }
        let end = self.pos;
        self.skip_spaces();
        match self.peek() {
            None | Some(';') => Ok((value, end)),
            Some(_) => {
                let masked = properties::is_secret_key(key).then_some(open..self.input.len());
                Err(ConnStrError::TextAfterClosingQuote { offset: self.pos, excerpt: self.excerpt(self.pos, masked) })
            }
        }
    }

    fn missing_equals(&self, segment_start: usize) -> ConnStrError {
        // Text without `=` right after a secret is most likely the tail of that secret, cut at an unquoted `;`:
        // mask it too.
        let follows_secret = self.pairs.last().is_some_and(|p| properties::is_secret_key(&p.key));
        let masked = follows_secret.then_some(segment_start..self.pos);
        ConnStrError::MissingEquals { offset: segment_start, excerpt: self.excerpt(segment_start, masked) }
    }

    fn excerpt(&self, offset: usize, extra_mask: Option<Range<usize>>) -> Excerpt {
        let mut masked = secret_value_spans(&self.pairs);
        masked.extend(extra_mask);
        // The text after the pairs parsed so far was never parsed: mask what looks like a secret in it too.
        let parsed_up_to = self.pairs.last().map_or(0, |p| p.value_span.end);
        masked.extend(unparsed_secret_spans(self.input, parsed_up_to));
        Excerpt::new(self.input, offset, &masked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: after a quoted secret, the naive scan stepped into the middle of a character.
    #[test]
    fn masking_unparsed_text_stays_on_character_boundaries() {
        let input = "U\u{11}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}rl=https://w.corp;PAT-='a;b;b'\u{523}vO''cA';ttps://w.corp;PAT-='a;b''cA';ProAT-='a;bProAT-='a;b'\u{523}vOCS";
        let _ = ConnectionString::parse(input).map_err(|e| e.to_string());
        for from in 0..input.len() {
            if input.is_char_boundary(from) {
                let _ = unparsed_secret_spans(input, from);
            }
        }
    }

    fn pairs(input: &str) -> Vec<(String, String)> {
        match ConnectionString::parse(input) {
            Ok(cs) => cs.pairs().iter().map(|p| (p.key.clone(), p.value.clone())).collect(),
            Err(e) => panic!("{input:?} should parse: {e}"),
        }
    }

    fn kv(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// Every grammar rule of connstr-spec.md, with its worked example.
    #[test]
    fn grammar_rules() {
        type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            ("pairs separated by ;", "a=1;b=2", &[("a", "1"), ("b", "2")]),
            ("empty input", "", &[]),
            ("only separators and spaces", " ; ;; ", &[]),
            ("empty pairs ignored", ";;a=1;;b=2;", &[("a", "1"), ("b", "2")]),
            ("trailing ;", "a=1;", &[("a", "1")]),
            ("keys trimmed", "  Url  =x", &[("Url", "x")]),
            ("key with inner space", "Auth Scheme=Basic", &[("Auth Scheme", "Basic")]),
            ("== in a key is a literal =", "a==b=c", &[("a=b", "c")]),
            ("=== is a literal = then the separator", "key===v", &[("key=", "v")]),
            ("values trimmed", "a=  spaced out  ;b=2", &[("a", "spaced out"), ("b", "2")]),
            ("empty value", "a=;b=", &[("a", ""), ("b", "")]),
            ("blank value", "a=   ;b=2", &[("a", ""), ("b", "2")]),
            ("= inside an unquoted value", "Url=https://h/x?a=b", &[("Url", "https://h/x?a=b")]),
            ("quote inside an unquoted value", "a=it's", &[("a", "it's")]),
            ("single-quoted value keeps ; = and spaces", "a=' x;y=z ';b=1", &[("a", " x;y=z "), ("b", "1")]),
            ("double-quoted value", "a=\"p;w\"", &[("a", "p;w")]),
            ("doubled single quote", "a='it''s'", &[("a", "it's")]),
            ("doubled double quote", "a=\"say \"\"hi\"\"\"", &[("a", "say \"hi\"")]),
            ("other quote inside quotes", "a=\"it's\";b='say \"hi\"'", &[("a", "it's"), ("b", "say \"hi\"")]),
            ("spaces after closing quote", "a='x'  ;b=2", &[("a", "x"), ("b", "2")]),
            ("spaces before opening quote", "a=  'x'", &[("a", "x")]),
            ("empty quoted value", "a='';b=\"\"", &[("a", ""), ("b", "")]),
            ("repeated key kept in order", "a=1;A=2", &[("a", "1"), ("A", "2")]),
            ("newlines are whitespace", "a=1;\n  b=2\n", &[("a", "1"), ("b", "2")]),
            ("unicode", "Title=Ünïcødé ✓;b=2", &[("Title", "Ünïcødé ✓"), ("b", "2")]),
        ];
        for (rule, input, expected) in cases {
            assert_eq!(pairs(input), kv(expected), "rule: {rule}; input: {input:?}");
        }
    }

    #[test]
    fn last_repeated_key_wins() {
        let cs = ConnectionString::parse("Url=a;URL=b;url=c").unwrap();
        assert_eq!(cs.get("Url"), Some("c"));
        assert_eq!(cs.to_map().get("url").map(String::as_str), Some("c"));
        assert_eq!(cs.repeated_keys(), vec![("url".to_owned(), vec![0..3, 6..9, 12..15])]);
    }

    #[test]
    fn spans_point_into_the_input() {
        let input = "  Url = 'x' ; b==c=d";
        let cs = ConnectionString::parse(input).unwrap();
        let p = &cs.pairs()[0];
        assert_eq!(&input[p.key_span.clone()], "Url");
        assert_eq!(&input[p.value_span.clone()], "'x'");
        let p = &cs.pairs()[1];
        assert_eq!(&input[p.key_span.clone()], "b==c");
        assert_eq!(&input[p.value_span.clone()], "d");
    }

    /// Each grammar error, with the byte offset it must report.
    #[test]
    fn grammar_errors_and_offsets() {
        type Check = fn(&ConnStrError) -> bool;
        let cases: &[(&str, usize, Check)] = &[
            ("a='x", 2, |e| matches!(e, ConnStrError::UnterminatedQuote { quote: '\'', .. })),
            ("a=1;b=\"x;y", 6, |e| matches!(e, ConnStrError::UnterminatedQuote { quote: '"', .. })),
            ("a='it's'", 6, |e| matches!(e, ConnStrError::TextAfterClosingQuote { .. })),
            ("a='x' y;b=1", 6, |e| matches!(e, ConnStrError::TextAfterClosingQuote { .. })),
            ("Url", 0, |e| matches!(e, ConnStrError::MissingEquals { .. })),
            ("a=1; Url ;b=2", 5, |e| matches!(e, ConnStrError::MissingEquals { .. })),
            ("a==", 0, |e| matches!(e, ConnStrError::MissingEquals { .. })),
            ("=x", 0, |e| matches!(e, ConnStrError::EmptyKey { .. })),
            ("a=1;  =x", 6, |e| matches!(e, ConnStrError::EmptyKey { .. })),
            ("Tïtle='x", 7, |e| matches!(e, ConnStrError::UnterminatedQuote { .. })),
        ];
        for (input, offset, check) in cases {
            match ConnectionString::parse(input) {
                Ok(cs) => panic!("{input:?} should fail, parsed as {:?}", cs.pairs()),
                Err(e) => {
                    assert!(check(&e), "{input:?}: unexpected error {e:?}");
                    assert_eq!(e.offset(), Some(*offset), "{input:?}: {e}");
                }
            }
        }
    }

    #[test]
    fn error_messages_show_a_caret() {
        let e = ConnectionString::parse("Url=https://x;Spaces='A,B").unwrap_err();
        insta::assert_snapshot!(e.to_string(), @r"
        unterminated quoted value at byte 21: the ' that opens it is never closed; add the closing ' (a ' inside the value is written twice, e.g. 'it''s')
            Url=https://x;Spaces='A,B
                                 ^
        ");
    }

    #[test]
    fn errors_never_show_secrets() {
        let inputs = [
            "User=a;APIToken='s3cr3t",
            "User=a;APIToken='s3cr3t' x",
            "User=a;APIToken=s3c;r3t;Url=x",
            "APIToken=s3cr3t;Url",
            "OAuthClientSecret=\"s3cr3t",
            "MyOwnToken='s3cr3t",
        ];
        for input in inputs {
            let e = ConnectionString::parse(input).unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("s3c") && !shown.contains("r3t"), "{input:?} leaked: {shown}");
        }
    }

    #[test]
    fn display_and_debug_mask_secrets() {
        let cs = ConnectionString::parse("Url=x;Password=p4ss;OAuthRefreshToken='r;t';Custom Api Key=k3y").unwrap();
        let shown = format!("{cs} {cs:?}");
        for secret in ["p4ss", "r;t", "k3y"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(cs.get("password"), Some("p4ss"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for input in ["'", "\"", "=", "==", "===", ";=;", "a='", "a=''''", "é=", "=é", "a=\u{0}", "\u{feff}a=1"] {
            let _ = ConnectionString::parse(input);
        }
    }
}

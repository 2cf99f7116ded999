//! Writes connection strings: the inverse of [`crate::grammar`]. Values are quoted only when they must be, so
//! whatever the builder writes parses back to the same pairs.

use crate::error::ConnStrError;

/// Builds a connection string from pairs, escaping names and quoting values as the grammar requires.
///
/// ```
/// use connstr::{ConnectionString, ConnectionStringBuilder};
/// let mut b = ConnectionStringBuilder::new();
/// b.push("Url", "https://example.atlassian.net").unwrap();
/// b.push("APIToken", "a;b'c").unwrap();
/// let text = b.build();
/// assert_eq!(text, "Url=https://example.atlassian.net;APIToken=\"a;b'c\"");
/// assert_eq!(ConnectionString::parse(&text).unwrap().get("apitoken"), Some("a;b'c"));
/// ```
#[derive(Clone, Default)]
pub struct ConnectionStringBuilder {
    text: String,
}

/// Shows what was built with secret values masked.
impl std::fmt::Debug for ConnectionStringBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ConnectionStringBuilder").field(&crate::grammar::redact(&self.text)).finish()
    }
}

impl ConnectionStringBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `key=value`. Fails when the key cannot be written: empty, containing `;`, or with leading or
    /// trailing whitespace (the parser would trim it away).
    pub fn push(&mut self, key: &str, value: &str) -> Result<&mut Self, ConnStrError> {
        let reason = if key.is_empty() {
            Some("a property name cannot be empty")
        } else if key.contains(';') {
            Some("a property name cannot contain ';'")
        } else if key.starts_with(char::is_whitespace) || key.ends_with(char::is_whitespace) {
            Some("a property name cannot start or end with whitespace")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(ConnStrError::InvalidKey { key: key.to_owned(), reason });
        }
        if !self.text.is_empty() {
            self.text.push(';');
        }
        self.text.push_str(&key.replace('=', "=="));
        self.text.push('=');
        self.text.push_str(&quote_value(value));
        Ok(self)
    }

    /// The connection string written so far.
    pub fn build(&self) -> String {
        self.text.clone()
    }
}

/// Quotes `value` when the grammar needs it to read the value back unchanged.
pub fn quote_value(value: &str) -> String {
    let needs_quotes = value.contains([';', '\'', '"'])
        || value.starts_with('=')
        || value.starts_with(char::is_whitespace)
        || value.ends_with(char::is_whitespace);
    if !needs_quotes {
        return value.to_owned();
    }
    let quote = if value.contains('"') && !value.contains('\'') { '\'' } else { '"' };
    let doubled = format!("{quote}{quote}");
    format!("{quote}{}{quote}", value.replace(quote, &doubled))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grammar::ConnectionString;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote_value("plain"), "plain");
        assert_eq!(quote_value("a=b"), "a=b");
        assert_eq!(quote_value(""), "");
        assert_eq!(quote_value(" x"), "\" x\"");
        assert_eq!(quote_value("it's"), "\"it's\"");
        assert_eq!(quote_value("say \"hi\""), "'say \"hi\"'");
        assert_eq!(quote_value("both ' and \""), "\"both ' and \"\"\"");
    }

    #[test]
    fn refuses_keys_it_cannot_write() {
        let mut b = ConnectionStringBuilder::new();
        for key in ["", "a;b", " a", "a\n"] {
            assert!(matches!(b.push(key, "v"), Err(ConnStrError::InvalidKey { .. })), "{key:?}");
        }
        assert_eq!(b.build(), "");
        b.push("a=b", "c").unwrap();
        assert_eq!(b.build(), "a==b=c");
    }

    fn key_strategy() -> impl Strategy<Value = String> {
        // Any text without ';' that does not start or end with whitespace.
        "[^;]{1,12}".prop_filter("no edge whitespace", |k| {
            !k.starts_with(char::is_whitespace) && !k.ends_with(char::is_whitespace)
        })
    }

    proptest! {
        /// Any map the builder can write parses back to the same map (keys compare case-insensitively).
        #[test]
        fn builder_output_parses_back(map in proptest::collection::btree_map(key_strategy(), any::<String>(), 0..8)) {
            // Keys are case-insensitive: keep one spelling per lower-cased key.
            let map: BTreeMap<String, String> = map.into_iter().map(|(k, v)| (k.to_lowercase(), v)).collect();
            let mut b = ConnectionStringBuilder::new();
            for (k, v) in &map {
                b.push(k, v).unwrap();
            }
            let text = b.build();
            let parsed = ConnectionString::parse(&text).map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
            prop_assert_eq!(parsed.to_map(), map, "text: {:?}", text);
        }

        /// The parser never panics, whatever the input.
        #[test]
        fn parser_never_panics(input in any::<String>()) {
            let _ = ConnectionString::parse(&input);
        }

        /// Inputs made of the grammar's own characters, where the tricky cases live.
        #[test]
        fn parser_never_panics_on_grammar_soup(input in "[a=;'\" é\t]{0,24}") {
            if let Ok(cs) = ConnectionString::parse(&input) {
                // What parsed, written back, parses to the same pairs.
                let mut b = ConnectionStringBuilder::new();
                for p in cs.pairs() {
                    b.push(&p.key, &p.value).unwrap();
                }
                let again = ConnectionString::parse(&b.build()).unwrap();
                let keys_values = |c: &ConnectionString| c.pairs().iter().map(|p| (p.key.clone(), p.value.clone())).collect::<Vec<_>>();
                prop_assert_eq!(keys_values(&again), keys_values(&cs));
            }
        }
    }
}

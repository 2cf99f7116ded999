//! The one error type of this crate. Every message names what was wrong, where (byte offset and a caret excerpt
//! with secrets masked) and what to do about it. No message ever contains a secret value.

use crate::excerpt::Excerpt;
use crate::values::AuthScheme;

/// Everything that can be wrong with a connection string, from its grammar to its meaning.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnStrError {
    /// A value opened with `'` or `"` is never closed.
    #[error(
        "unterminated quoted value at byte {offset}: the {quote} that opens it is never closed; \
         add the closing {quote} (a {quote} inside the value is written twice, e.g. {example})\n{excerpt}",
        example = doubled_quote_example(*.quote)
    )]
    UnterminatedQuote {
        /// Byte offset of the opening quote.
        offset: usize,
        /// The quote character, `'` or `"`.
        quote: char,
        /// Where it is.
        excerpt: Excerpt,
    },

    /// Something other than spaces follows the closing quote of a value.
    #[error(
        "unexpected text after a closing quote at byte {offset}: a quoted value must be followed by ';' or the \
         end of the string; to put a quote inside a quoted value, write it twice\n{excerpt}"
    )]
    TextAfterClosingQuote {
        /// Byte offset of the first unexpected character.
        offset: usize,
        /// Where it is.
        excerpt: Excerpt,
    },

    /// A segment between two `;` has no `=`.
    #[error(
        "missing '=' at byte {offset}: every property is written Name=Value; if this text belongs to the previous \
         value (a ';' inside a value), put that value in quotes\n{excerpt}"
    )]
    MissingEquals {
        /// Byte offset where the segment without `=` starts.
        offset: usize,
        /// Where it is.
        excerpt: Excerpt,
    },

    /// A pair starts with `=`: the property name is empty.
    #[error("empty property name at byte {offset}: write Name=Value\n{excerpt}")]
    EmptyKey {
        /// Byte offset of the `=` (or of the blank name).
        offset: usize,
        /// Where it is.
        excerpt: Excerpt,
    },

    /// A property name that no property or synonym matches.
    #[error(
        "unknown property {name:?} at byte {offset}{hint}\n{excerpt}",
        hint = unknown_property_hint(*.suggestion)
    )]
    UnknownProperty {
        /// The name as written.
        name: String,
        /// The canonical name of the nearest known property, when one is close enough.
        suggestion: Option<&'static str>,
        /// Byte offset of the name.
        offset: usize,
        /// Where it is.
        excerpt: Excerpt,
    },

    /// A value that does not fit its property's type or valid values.
    #[error("invalid value for {property} at byte {offset}: {reason}\n{excerpt}")]
    InvalidValue {
        /// Canonical name of the property.
        property: &'static str,
        /// What is wrong and what is accepted (never the value of a secret).
        reason: String,
        /// Byte offset of the value.
        offset: usize,
        /// Where it is.
        excerpt: Excerpt,
    },

    /// A property the chosen authentication scheme needs is not given.
    #[error("{property} is required with AuthScheme={auth_scheme}: {hint}")]
    MissingProperty {
        /// Canonical name of the missing property.
        property: &'static str,
        /// The (resolved) scheme that needs it.
        auth_scheme: AuthScheme,
        /// How to provide it.
        hint: String,
    },

    /// Properties that are each valid but cannot be used together, or no way to authenticate at all.
    #[error("{message}")]
    Incompatible {
        /// What conflicts and how to resolve it.
        message: String,
    },

    /// Several values are invalid: each error, in the order of the connection string.
    #[error("{} values are invalid:\n{}", .errors.len(), numbered(.errors))]
    Several {
        /// The errors.
        errors: Vec<ConnStrError>,
    },

    /// The builder was given a name that cannot be written in a connection string.
    #[error("cannot write property name {key:?} in a connection string: {reason}")]
    InvalidKey {
        /// The name given to the builder.
        key: String,
        /// Why it cannot be written.
        reason: &'static str,
    },
}

impl ConnStrError {
    /// The byte offset in the connection string the error points at, when it points at one.
    pub fn offset(&self) -> Option<usize> {
        match self {
            ConnStrError::UnterminatedQuote { offset, .. }
            | ConnStrError::TextAfterClosingQuote { offset, .. }
            | ConnStrError::MissingEquals { offset, .. }
            | ConnStrError::EmptyKey { offset, .. }
            | ConnStrError::UnknownProperty { offset, .. }
            | ConnStrError::InvalidValue { offset, .. } => Some(*offset),
            ConnStrError::Several { errors } => errors.first().and_then(ConnStrError::offset),
            ConnStrError::MissingProperty { .. }
            | ConnStrError::Incompatible { .. }
            | ConnStrError::InvalidKey { .. } => None,
        }
    }
}

fn numbered(errors: &[ConnStrError]) -> String {
    errors.iter().enumerate().map(|(i, e)| format!("{}. {e}", i + 1)).collect::<Vec<_>>().join("\n")
}

fn doubled_quote_example(quote: char) -> String {
    format!("{quote}it{quote}{quote}s{quote}")
}

fn unknown_property_hint(suggestion: Option<&'static str>) -> String {
    match suggestion {
        Some(name) => format!(": did you mean {name}?"),
        None => "; run `confluence-sql connstr properties` or see connstr-spec.md for the list".to_owned(),
    }
}

//! Database options: the connection string (`uri`) and connection properties given one by one.

use adbc_core::error::{Error, Result, Status};
use adbc_core::options::{OptionDatabase, OptionValue};
use connstr::{ConnectionString, ConnectionStringBuilder};

/// What a database's connections open with. `Debug` masks secret values.
#[derive(Default)]
pub struct DatabaseOptions {
    uri: Option<String>,
    properties: Vec<(String, String)>,
}

impl std::fmt::Debug for DatabaseOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let uri = self.uri.as_deref().map(connstr::redact);
        let names: Vec<&str> = self.properties.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("DatabaseOptions").field("uri", &uri).field("properties", &names).finish()
    }
}

/// The error for an option that is not set or not readable.
pub fn not_found(key: &str) -> Error {
    Error::with_message_and_status(format!("option {key} is not set"), Status::NotFound)
}

fn text(key: &str, value: OptionValue) -> Result<String> {
    match value {
        OptionValue::String(text) => Ok(text),
        OptionValue::Int(n) => Ok(n.to_string()),
        OptionValue::Double(x) => Ok(x.to_string()),
        OptionValue::Bytes(_) => Err(Error::with_message_and_status(
            format!("option {key} takes a string, not bytes"),
            Status::InvalidArguments,
        )),
        _ => Err(Error::with_message_and_status(format!("option {key}: unsupported value"), Status::InvalidArguments)),
    }
}

impl DatabaseOptions {
    /// Sets `uri`, `username` (`User`), `password` (`Password`) or any connection property by its name.
    pub fn set(&mut self, key: OptionDatabase, value: OptionValue) -> Result<()> {
        let name = match &key {
            OptionDatabase::Uri => {
                self.uri = Some(text("uri", value)?);
                return Ok(());
            }
            OptionDatabase::Username => "User".to_owned(),
            OptionDatabase::Password => "Password".to_owned(),
            OptionDatabase::Other(name) => name.clone(),
            other => other.as_ref().to_owned(),
        };
        let value = text(&name, value)?;
        self.properties.retain(|(k, _)| !k.eq_ignore_ascii_case(&name));
        self.properties.push((name, value));
        Ok(())
    }

    /// An option's value; secrets are write-only.
    pub fn get(&self, key: OptionDatabase) -> Result<String> {
        let name = match &key {
            OptionDatabase::Uri => {
                return self.uri.as_deref().map(connstr::redact).ok_or_else(|| not_found("uri"));
            }
            OptionDatabase::Username => "User",
            OptionDatabase::Password => "Password",
            OptionDatabase::Other(name) => name.as_str(),
            other => other.as_ref(),
        };
        if connstr::is_secret_key(name) {
            return Err(Error::with_message_and_status(
                format!("option {name} holds a secret and cannot be read back"),
                Status::InvalidState,
            ));
        }
        self.properties
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| not_found(name))
    }

    /// The connection string: `uri`'s properties, with those set one by one replacing theirs. The text is built
    /// by the connection-string writer (values quoted as the grammar requires), never by concatenation.
    pub fn connection_string(&self) -> Result<String> {
        let invalid = |e: connstr::ConnStrError| {
            Error::with_message_and_status(format!("invalid connection string: {e}"), Status::InvalidArguments)
        };
        let mut builder = ConnectionStringBuilder::new();
        if let Some(uri) = &self.uri {
            let parsed = ConnectionString::parse(uri).map_err(invalid)?;
            for pair in parsed.pairs() {
                if !self.properties.iter().any(|(k, _)| k.eq_ignore_ascii_case(&pair.key)) {
                    builder.push(&pair.key, &pair.value).map_err(invalid)?;
                }
            }
        }
        for (key, value) in &self.properties {
            builder.push(key, value).map_err(invalid)?;
        }
        let text = builder.build();
        if text.is_empty() {
            return Err(Error::with_message_and_status(
                "no connection string: set the database option uri to one, e.g. \
                 Url=https://acme.atlassian.net;User=me@acme.com;APIToken=...",
                Status::InvalidArguments,
            ));
        }
        Ok(text)
    }
}

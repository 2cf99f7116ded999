//! [`ConnectionArg`]: a connection string given on the command line or in the environment. It holds tokens, so its
//! `Debug` (and so the parsed arguments' `Debug`) shows it with every secret masked.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// A connection string argument.
#[derive(Clone)]
pub struct ConnectionArg(String);

impl ConnectionArg {
    /// The text as given.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl FromStr for ConnectionArg {
    type Err = Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(ConnectionArg(text.to_owned()))
    }
}

impl fmt::Debug for ConnectionArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConnectionArg").field(&connstr::redact(&self.0)).finish()
    }
}

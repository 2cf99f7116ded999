//! Query strings as the real API reads them: repeated keys and comma-separated values both make lists
//! (`space-id=1&space-id=2` or `space-id=1,2`).

use crate::errors::{ApiError, ErrorStyle};

/// The decoded query string, in order.
#[derive(Clone, Debug, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Decodes a raw query string.
    pub fn parse(query: Option<&str>) -> Params {
        Params(url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect())
    }

    /// The last value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, split on commas, blanks dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| {
                v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>()
            })
            .collect()
    }

    /// A boolean parameter (`true`/`false`), `default` when absent.
    pub fn bool(&self, name: &str, default: bool, style: ErrorStyle) -> Result<bool, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::bad_request(
                style,
                format!("Invalid value '{v}' for parameter '{name}': expected true or false"),
            )),
        }
    }

    /// A non-negative integer parameter.
    pub fn u64(&self, name: &str, style: ErrorStyle) -> Result<Option<u64>, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(style, format!("Invalid value '{v}' for parameter '{name}': expected a number"))
            }),
        }
    }

    /// A list of numeric ids (`id`, `space-id`...), at most `max` of them.
    pub fn ids(&self, name: &str, max: usize, style: ErrorStyle) -> Result<Vec<u64>, ApiError> {
        let values = self.list(name);
        if values.len() > max {
            return Err(ApiError::bad_request(style, format!("Parameter '{name}' accepts at most {max} values")));
        }
        values
            .iter()
            .map(|v| {
                v.parse().map_err(|_| ApiError::bad_request(style, format!("Invalid id '{v}' in parameter '{name}'")))
            })
            .collect()
    }

    /// One of `allowed`, or an error naming them.
    pub fn choice<'a>(&self, name: &str, allowed: &[&'a str], style: ErrorStyle) -> Result<Option<&'a str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => allowed.iter().find(|a| **a == v).copied().map(Some).ok_or_else(|| {
                ApiError::bad_request(
                    style,
                    format!("Invalid value '{v}' for parameter '{name}'. Allowed: {}", allowed.join(", ")),
                )
            }),
        }
    }

    /// The query string without `names`, re-encoded (for next links).
    pub fn without(&self, names: &[&str]) -> Vec<(String, String)> {
        self.0.iter().filter(|(k, _)| !names.contains(&k.as_str())).cloned().collect()
    }
}

/// Encodes pairs as a query string.
pub fn encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_from_repeats_and_commas() {
        let p = Params::parse(Some("space-id=1&space-id=2,3&title=a%20b&x=true"));
        assert_eq!(p.list("space-id"), ["1", "2", "3"]);
        assert_eq!(p.ids("space-id", 10, ErrorStyle::V2).unwrap_or_default(), [1, 2, 3]);
        assert!(p.ids("space-id", 2, ErrorStyle::V2).is_err());
        assert_eq!(p.get("title"), Some("a b"));
        assert_eq!(p.bool("x", false, ErrorStyle::V2).ok(), Some(true));
        assert_eq!(encode(&p.without(&["space-id", "x"])), "title=a+b");
    }
}

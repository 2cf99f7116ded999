//! Pagination as the real API does it: REST v2 opaque cursors in `_links.next` and the `Link` header; REST v1
//! and Data Center `start`/`limit` offsets with `_links.next`. Next links are relative to the site
//! (`/wiki/api/v2/...`) even behind the API gateway, as on the real service: clients must resolve them against
//! the base they called.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::errors::{ApiError, ErrorStyle};
use crate::params::{encode, Params};

/// Where a v2 list continues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// After the item with this id (id-ordered lists).
    After(u64),
    /// From this offset (lists sorted by another field).
    Offset(u64),
}

impl Cursor {
    /// The opaque form clients see.
    pub fn encode(&self) -> String {
        let raw = match self {
            Cursor::After(id) => format!("sim1:a:{id}"),
            Cursor::Offset(n) => format!("sim1:o:{n}"),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Decodes a cursor from a request; a forged or corrupted one is a 400, as on the real API.
    pub fn decode(text: &str) -> Result<Cursor, ApiError> {
        let invalid = || ApiError::bad_request(ErrorStyle::V2, "Invalid cursor");
        let raw = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).map_err(|_| invalid())?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        let mut parts = raw.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next().and_then(|n| n.parse().ok())) {
            (Some("sim1"), Some("a"), Some(n)) => Ok(Cursor::After(n)),
            (Some("sim1"), Some("o"), Some(n)) => Ok(Cursor::Offset(n)),
            _ => Err(invalid()),
        }
    }
}

/// The `limit` of a v2 list: `default` when absent, 1..=`max` (larger values are capped at `max`, as the real API
/// does), a 400 for zero, negative or non-numeric values.
pub fn v2_limit(params: &Params, default: usize, max: usize) -> Result<usize, ApiError> {
    match params.get("limit") {
        None => Ok(default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => Ok((n as usize).min(max)),
            _ => {
                Err(ApiError::bad_request(ErrorStyle::V2, format!("Invalid limit '{v}': must be between 1 and {max}")))
            }
        },
    }
}

/// The `cursor` of a v2 request.
pub fn v2_cursor(params: &Params) -> Result<Option<Cursor>, ApiError> {
    params.get("cursor").filter(|c| !c.is_empty()).map(Cursor::decode).transpose()
}

/// The relative next link of a v2 list: the same path and parameters with the new cursor.
pub fn v2_next_link(path: &str, params: &Params, cursor: Cursor) -> String {
    let mut pairs = params.without(&["cursor"]);
    pairs.push(("cursor".to_owned(), cursor.encode()));
    format!("{path}?{}", encode(&pairs))
}

/// `start` and `limit` of a v1 / Data Center list (`limit` capped at `max`).
pub fn v1_window(params: &Params, default: usize, max: usize, style: ErrorStyle) -> Result<(usize, usize), ApiError> {
    let start = params.u64("start", style)?.unwrap_or(0) as usize;
    let limit = params.u64("limit", style)?.map_or(default, |n| n as usize).min(max);
    Ok((start, limit))
}

/// The relative next link of a v1 list (relative to the `/wiki` context on Cloud, the site on Data Center).
pub fn v1_next_link(path: &str, params: &Params, start: usize, limit: usize) -> String {
    let mut pairs = params.without(&["start", "limit"]);
    pairs.push(("limit".to_owned(), limit.to_string()));
    pairs.push(("start".to_owned(), start.to_string()));
    format!("{path}?{}", encode(&pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        for c in [Cursor::After(1_000_000_042), Cursor::Offset(250)] {
            assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c));
        }
        assert!(Cursor::decode("garbage!").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("other:a:1")).is_err());
    }

    #[test]
    fn limits() {
        let p = |q: &str| Params::parse(Some(q));
        assert_eq!(v2_limit(&p(""), 25, 250).ok(), Some(25));
        assert_eq!(v2_limit(&p("limit=1000"), 25, 250).ok(), Some(250));
        assert!(v2_limit(&p("limit=0"), 25, 250).is_err());
        assert!(v2_limit(&p("limit=x"), 25, 250).is_err());
        let next = v2_next_link("/wiki/api/v2/pages", &p("limit=5&cursor=old&space-id=1"), Cursor::After(7));
        assert!(next.starts_with("/wiki/api/v2/pages?limit=5&space-id=1&cursor="), "{next}");
    }
}

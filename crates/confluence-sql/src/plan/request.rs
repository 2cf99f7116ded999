//! A request, fully built at planning: the URL of the first page (from the connection's [`Dialect`], with every
//! parameter, `expand` merged and the CQL written), how the list continues, and the one thing that waits for
//! execution: space keys to resolve to ids. `EXPLAIN` prints exactly this ([`Request::describe`]) and execution
//! sends exactly this, so the two cannot drift apart.

use std::fmt;

use confluence_rest::cql::CqlQuery;
use confluence_rest::{Dialect, Pagination, RestError};
use url::Url;

use crate::spec::Endpoint;

/// Space keys a request sends as ids, resolved through the connection's space directory when it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpaceIds {
    /// The parameter (`space-id`).
    pub param: &'static str,
    /// The keys.
    pub keys: Vec<String>,
    /// The ids the query pins the same parameter to (`space_id = 5` beside `space_key` or `Spaces`): only the keys'
    /// ids among these are sent. Sending both would read their union.
    pub within: Option<Vec<String>>,
}

/// The first page of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The URL, with every parameter but `space_ids`.
    pub url: Url,
    /// How the list continues.
    pub pagination: Pagination,
    /// Space keys sent as ids once resolved.
    pub space_ids: Option<SpaceIds>,
}

impl Request {
    /// The URL with the resolved space ids (`None`: none of the spaces exists, so there is nothing to read).
    pub fn url_with(&self, id_of: impl Fn(&str) -> Option<i64>) -> Option<Url> {
        let Some(space_ids) = &self.space_ids else { return Some(self.url.clone()) };
        let ids: Vec<String> = space_ids
            .keys
            .iter()
            .filter_map(|k| id_of(k))
            .map(|id| id.to_string())
            .filter(|id| space_ids.within.as_ref().is_none_or(|within| within.contains(id)))
            .collect();
        if ids.is_empty() {
            return None;
        }
        let mut url = self.url.clone();
        url.query_pairs_mut().append_pair(space_ids.param, &ids.join(","));
        Some(url)
    }

    /// `GET <path>?<parameters>`: the path relative to the API base (`/wiki/api/v2/pages`, the gateway prefix left
    /// out), the parameters decoded, and space keys still to resolve shown as `<ENG,DOCS>`.
    pub fn describe(&self, dialect: &Dialect) -> String {
        self.describe_with(dialect, None)
    }

    /// [`Request::describe`] with a parameter that execution adds first (`id=<ids found>`).
    pub fn describe_with(&self, dialect: &Dialect, added: Option<String>) -> String {
        let mut params: Vec<String> = added.into_iter().collect();
        if let Some(space_ids) = &self.space_ids {
            let within = space_ids.within.as_ref().map(|w| format!(" among {}", w.join(","))).unwrap_or_default();
            params.push(format!("{}=<{}{within}>", space_ids.param, space_ids.keys.join(",")));
        }
        params.extend(self.url.query_pairs().map(|(k, v)| format!("{k}={v}")));
        let base = dialect.base().path().trim_end_matches('/');
        let path = self.url.path().strip_prefix(base).unwrap_or(self.url.path());
        if params.is_empty() {
            return format!("GET {path}");
        }
        format!("GET {path}?{}", params.join("&"))
    }
}

/// Builds a [`Request`]: the path under the right API root, parameters in order, several `expand`s merged into one,
/// CQL clauses joined into one `cql` parameter, and the page size.
#[derive(Clone, Debug)]
pub struct RequestBuilder {
    api: Api,
    path: String,
    params: Vec<(String, String)>,
    expand: Vec<String>,
    cql: Option<CqlQuery>,
    space_ids: Option<SpaceIds>,
}

/// Which API root a path is under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// Cloud REST v2 (`/wiki/api/v2/`), cursor pagination.
    V2,
    /// REST v1 (`/wiki/rest/api/` on Cloud, `/rest/api/` on Data Center), offset pagination.
    V1,
    /// Beside v1 under the REST root (`/rest/` on Data Center), offset pagination.
    Rest,
    /// REST v1, unpaginated: the whole list in one array, no `limit`.
    Whole,
    /// REST v1, one object, no `limit`.
    One,
    /// Beside v1 under the REST root, one object, no `limit` (a part of an [`Endpoint::Merged`] row).
    RestOne,
    /// REST v1, one object holding lists windowed together by `start`/`limit`.
    Arrays(&'static [confluence_rest::ArrayAt]),
}

impl Api {
    /// The API an endpoint is under.
    pub fn of(endpoint: &Endpoint) -> Api {
        match endpoint {
            Endpoint::V2 { .. } => Api::V2,
            Endpoint::V1 { .. } => Api::V1,
            Endpoint::Rest { .. } => Api::Rest,
            Endpoint::Whole { .. } => Api::Whole,
            Endpoint::One { .. } => Api::One,
            Endpoint::Arrays { arrays, .. } => Api::Arrays(arrays),
            Endpoint::Merged { .. } => Api::RestOne,
        }
    }
}

impl RequestBuilder {
    /// A request to `path` under `api`.
    pub fn new(api: Api, path: impl Into<String>) -> RequestBuilder {
        RequestBuilder { api, path: path.into(), params: Vec::new(), expand: Vec::new(), cql: None, space_ids: None }
    }

    /// The same request to another path.
    pub fn at(mut self, path: impl Into<String>) -> RequestBuilder {
        self.path = path.into();
        self
    }

    /// Adds a parameter (`expand` is merged with the others into one list).
    pub fn param(mut self, name: &str, value: impl Into<String>) -> RequestBuilder {
        let value = value.into();
        if name == "expand" {
            self.expand.push(value);
        } else {
            self.params.push((name.to_owned(), value));
        }
        self
    }

    /// Adds parameters.
    pub fn params<'a>(self, params: impl IntoIterator<Item = (&'a str, &'a str)>) -> RequestBuilder {
        params.into_iter().fold(self, |builder, (k, v)| builder.param(k, v))
    }

    /// Joins CQL clauses to the request's `cql` parameter.
    pub fn cql(mut self, query: CqlQuery) -> RequestBuilder {
        self.cql = Some(match self.cql.take() {
            Some(existing) => existing.and(query),
            None => query,
        });
        self
    }

    /// Sends `keys` as `param` once resolved to space ids.
    pub fn space_ids(mut self, param: &'static str, keys: Vec<String>) -> RequestBuilder {
        self.space_ids = Some(SpaceIds { param, keys, within: None });
        self
    }

    /// Keeps the space ids sent to `ids` (see [`SpaceIds::within`]).
    pub fn space_ids_within(mut self, ids: Vec<String>) -> RequestBuilder {
        if let Some(space_ids) = &mut self.space_ids {
            space_ids.within = Some(ids);
        }
        self
    }

    /// The request, with `limit` last.
    pub fn build(self, dialect: &Dialect, limit: usize) -> Result<Request, RestError> {
        let mut url = match self.api {
            Api::V2 => dialect.v2(&self.path)?,
            Api::V1 | Api::Whole | Api::One | Api::Arrays(_) => dialect.v1(&self.path)?,
            Api::Rest | Api::RestOne => dialect.rest(&self.path)?,
        };
        {
            let mut query = url.query_pairs_mut();
            if let Some(cql) = &self.cql {
                query.append_pair("cql", &cql.to_string());
            }
            query.extend_pairs(self.params.iter());
            if !self.expand.is_empty() {
                query.append_pair("expand", &self.expand.join(","));
            }
            if !matches!(self.api, Api::Whole | Api::One | Api::RestOne) {
                query.append_pair("limit", &limit.to_string());
            }
        }
        if url.query() == Some("") {
            // A request with no parameter (one object): no bare `?`.
            url.set_query(None);
        }
        let pagination = match self.api {
            Api::V2 => Pagination::Cursor,
            Api::V1 | Api::Rest => Pagination::Offset,
            Api::Whole => Pagination::Whole,
            Api::One | Api::RestOne => Pagination::One,
            Api::Arrays(arrays) => Pagination::Arrays(arrays),
        };
        Ok(Request { url, pagination, space_ids: self.space_ids })
    }
}

/// `text` as one URL path segment: everything but unreserved characters percent-encoded (a Data Center group name
/// may hold spaces, `/`, `?` or `#`). `.` and `..` cannot be one: a URL parser reads them (even percent-encoded) as
/// "this directory" and "the parent", which would send the request elsewhere.
pub fn path_segment(text: &str) -> Result<String, InvalidSegment> {
    if text.is_empty() || text == "." || text == ".." {
        return Err(InvalidSegment(text.to_owned()));
    }
    Ok(text
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect())
}

/// A value that cannot be one path segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidSegment(pub String);

impl fmt::Display for InvalidSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} cannot be sent as part of a request path", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cloud() -> Dialect {
        Dialect::Cloud {
            api_base: Url::parse("https://api.atlassian.com/ex/confluence/abc").unwrap_or_else(|_| unreachable!()),
        }
    }

    #[test]
    fn builds_one_url_with_merged_expands_and_cql() {
        let request = RequestBuilder::new(Api::V1, "content/search")
            .cql(CqlQuery::new().keyword("type", "=", "comment"))
            .param("expand", "container,history")
            .param("includeArchivedSpaces", "true")
            .param("expand", "body.storage")
            .cql(CqlQuery::new().any_of("space", &["ENG".into()], false))
            .build(&cloud(), 100)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(request.pagination, Pagination::Offset);
        assert_eq!(
            request.describe(&cloud()),
            "GET /wiki/rest/api/content/search?cql=type = comment AND space = \"ENG\"&includeArchivedSpaces=true&\
             expand=container,history,body.storage&limit=100"
        );
    }

    #[test]
    fn space_keys_wait_for_execution() {
        let request = RequestBuilder::new(Api::V2, "pages")
            .space_ids("space-id", vec!["ENG".into(), "NOPE".into()])
            .build(&cloud(), 250)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(request.describe(&cloud()), "GET /wiki/api/v2/pages?space-id=<ENG,NOPE>&limit=250");
        let resolved = request.url_with(|k| (k == "ENG").then_some(7)).map(|u| u.query().unwrap_or("").to_owned());
        assert_eq!(resolved.as_deref(), Some("limit=250&space-id=7"));
        assert_eq!(request.url_with(|_| None), None, "no space exists: nothing to read");
    }

    #[test]
    fn path_segments() {
        assert_eq!(path_segment("a b/c?d#é").as_deref(), Ok("a%20b%2Fc%3Fd%23%C3%A9"));
        assert_eq!(path_segment("1000000042").as_deref(), Ok("1000000042"));
        for dots in [".", "..", ""] {
            assert!(path_segment(dots).is_err(), "{dots:?}");
        }
        assert_eq!(path_segment("...").as_deref(), Ok("..."));
    }
}

//! Where each API lives: Cloud REST v2 and v1 under `/wiki` on the site (or behind the API gateway at
//! `/ex/confluence/{cloudid}` for OAuth), Data Center REST under the base URL. Next links are resolved against the
//! base the request was sent to (site-relative ones) or the request itself (path-relative ones), and a link that
//! leads anywhere but the configured site is refused: credentials only ever go to the site.

use url::Url;

use crate::client::{origin_of, redact_query, same_origin};
use crate::error::RestError;

/// The product and its API base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Confluence Cloud. `api_base` is the site, or `https://api.atlassian.com/ex/confluence/{cloudid}` for OAuth.
    Cloud {
        /// Where `/wiki/...` paths are sent.
        api_base: Url,
    },
    /// Confluence Data Center: `/rest/api/...` under the base URL (context path included).
    DataCenter {
        /// The base URL.
        base: Url,
    },
}

fn join(base: &Url, path: &str) -> Result<Url, RestError> {
    let text = format!("{}{path}", base.as_str().trim_end_matches('/'));
    let url = Url::parse(&text).map_err(|e| RestError::Config(format!("cannot build a URL from {text}: {e}")))?;
    if !same_origin(&url, base) {
        return Err(RestError::ForeignOrigin { link: redact_query(&url), expected: origin_of(base) });
    }
    Ok(url)
}

impl Dialect {
    /// Whether this is Cloud.
    pub fn is_cloud(&self) -> bool {
        matches!(self, Dialect::Cloud { .. })
    }

    /// The API base: the only origin requests (and credentials) go to.
    pub fn base(&self) -> &Url {
        match self {
            Dialect::Cloud { api_base } => api_base,
            Dialect::DataCenter { base } => base,
        }
    }

    /// A Cloud REST v2 URL: `v2("pages")` → `<api base>/wiki/api/v2/pages`.
    pub fn v2(&self, path: &str) -> Result<Url, RestError> {
        join(self.base(), &format!("/wiki/api/v2/{path}"))
    }

    /// A REST v1 URL: `/wiki/rest/api/<path>` on Cloud, `/rest/api/<path>` on Data Center.
    pub fn v1(&self, path: &str) -> Result<Url, RestError> {
        match self {
            Dialect::Cloud { api_base } => join(api_base, &format!("/wiki/rest/api/{path}")),
            Dialect::DataCenter { base } => join(base, &format!("/rest/api/{path}")),
        }
    }

    /// A URL under the REST root, beside `api` (`rest("experimental/content/1/version")`): `/wiki/rest/<path>` on
    /// Cloud, `/rest/<path>` on Data Center.
    pub fn rest(&self, path: &str) -> Result<Url, RestError> {
        match self {
            Dialect::Cloud { api_base } => join(api_base, &format!("/wiki/rest/{path}")),
            Dialect::DataCenter { base } => join(base, &format!("/rest/{path}")),
        }
    }

    /// Resolves a `_links.next` (or `Link` header) value of the response to `request`:
    /// - `/wiki/...` (v2, and Cloud v1 which is relative to the `/wiki` context) and `/rest/...` are relative to
    ///   the API base (the gateway's `/ex/confluence/{cloudid}` or Data Center's context path kept);
    /// - any other relative reference is resolved against the request URL, as RFC 3986 says;
    /// - an absolute URL (or `//host/...`) is taken as it is.
    ///
    /// The result must be on the API base's scheme, host and port; anything else is an error naming the link,
    /// and no request is sent.
    pub fn resolve_next(&self, link: &str, request: &Url, v1_context: bool) -> Result<Url, RestError> {
        let link = link.trim();
        let base = self.base();
        let resolved = if link.starts_with('/') && !link.starts_with("//") && !link.starts_with("/\\") {
            let path = match self {
                Dialect::Cloud { .. } if v1_context && !link.starts_with("/wiki/") => format!("/wiki{link}"),
                _ => link.to_owned(),
            };
            // `path` is joined to the base's own path (its query, if any, kept by the parser).
            let text = format!("{}{path}", base.as_str().trim_end_matches('/'));
            Url::parse(&text)
        } else {
            request.join(link)
        };
        let resolved = resolved.map_err(|e| RestError::Pagination {
            path: request.path().to_owned(),
            message: format!("the server's next link is not a URL ({e}); the server is misbehaving"),
        })?;
        // A link with user information would make the HTTP client send its own `Authorization` header.
        if !same_origin(&resolved, base) || !resolved.username().is_empty() || resolved.password().is_some() {
            return Err(RestError::ForeignOrigin { link: redact_query(&resolved), expected: origin_of(base) });
        }
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn cloud_site_and_gateway() {
        let site = Dialect::Cloud { api_base: url("https://acme.atlassian.net") };
        assert_eq!(
            site.v2("pages").map(|u| u.to_string()),
            Ok("https://acme.atlassian.net/wiki/api/v2/pages".to_owned())
        );
        assert_eq!(
            site.v1("search").map(|u| u.to_string()),
            Ok("https://acme.atlassian.net/wiki/rest/api/search".to_owned())
        );
        let gateway = Dialect::Cloud { api_base: url("https://api.atlassian.com/ex/confluence/abc") };
        let request = url("https://api.atlassian.com/ex/confluence/abc/wiki/api/v2/pages");
        assert_eq!(
            gateway.resolve_next("/wiki/api/v2/pages?cursor=x", &request, false).map(|u| u.to_string()),
            Ok("https://api.atlassian.com/ex/confluence/abc/wiki/api/v2/pages?cursor=x".to_owned())
        );
        assert_eq!(
            gateway.resolve_next("/rest/api/search?start=25", &request, true).map(|u| u.to_string()),
            Ok("https://api.atlassian.com/ex/confluence/abc/wiki/rest/api/search?start=25".to_owned())
        );
    }

    #[test]
    fn data_center_keeps_its_context_path() {
        let dc = Dialect::DataCenter { base: url("https://corp.example/confluence") };
        assert_eq!(
            dc.v1("content").map(|u| u.to_string()),
            Ok("https://corp.example/confluence/rest/api/content".to_owned())
        );
        // `_links.next` is relative to `_links.base`, which includes the context path.
        let request = url("https://corp.example/confluence/rest/api/content");
        assert_eq!(
            dc.resolve_next("/rest/api/content?start=25", &request, true).map(|u| u.to_string()),
            Ok("https://corp.example/confluence/rest/api/content?start=25".to_owned())
        );
    }

    /// Next links that once reached another host or port (absolute, scheme-relative, or relative ones that a
    /// string concatenation turned into another authority) are refused; harmless relative ones stay on the site.
    #[test]
    fn next_links_never_leave_the_site() {
        let site = Dialect::Cloud { api_base: url("https://acme.atlassian.net") };
        let request = url("https://acme.atlassian.net/wiki/api/v2/pages?limit=5");
        for hostile in [
            "https://evil.example/wiki/api/v2/pages?cursor=x",
            "http://acme.atlassian.net/wiki/api/v2/pages",
            "https://acme.atlassian.net:8443/wiki/api/v2/pages",
            "https://acme.atlassian.net.evil.example/wiki",
            "https://acme.atlassian.net@evil.example/wiki",
            "//evil.example/wiki/api/v2/pages",
            "/\\evil.example/wiki/api/v2/pages",
            "\\\\evil.example/x",
            "  https://evil.example/x",
            "https://user:pass@acme.atlassian.net/wiki/api/v2/pages",
        ] {
            let error = site.resolve_next(hostile, &request, false).expect_err(hostile);
            assert!(matches!(error, RestError::ForeignOrigin { .. }), "{hostile}: {error}");
            assert!(error.to_string().contains("not the configured site https://acme.atlassian.net"), "{error}");
        }
        for benign in [".evil.com/x", "@evil.com/x", ":8443/x", "pages?cursor=abc", "../v2/pages?cursor=x"] {
            let resolved = site.resolve_next(benign, &request, false).unwrap_or_else(|e| panic!("{benign}: {e}"));
            assert_eq!(resolved.host_str(), Some("acme.atlassian.net"), "{benign}");
            assert_eq!(resolved.port_or_known_default(), Some(443), "{benign}");
        }
        // A link back to the site itself, absolute, is followed.
        assert!(site.resolve_next("https://acme.atlassian.net/wiki/api/v2/pages?cursor=y", &request, false).is_ok());
    }
}

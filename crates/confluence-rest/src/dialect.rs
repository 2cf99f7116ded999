//! Where each API lives: Cloud REST v2 and v1 under `/wiki` on the site (or behind the API gateway at
//! `/ex/confluence/{cloudid}` for OAuth), Data Center REST under the base URL. Relative next links are resolved
//! against the base the request was sent to, never the site, so paging works behind the gateway too.

use url::Url;

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
    Url::parse(&text).map_err(|e| RestError::Config(format!("cannot build a URL from {text}: {e}")))
}

impl Dialect {
    /// Whether this is Cloud.
    pub fn is_cloud(&self) -> bool {
        matches!(self, Dialect::Cloud { .. })
    }

    fn base(&self) -> &Url {
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

    /// Resolves a `_links.next` (or `Link` header) value: absolute URLs as they are; `/wiki/...` (v2 and Cloud
    /// v1 `_links.next`, which are relative to the `/wiki` context) and `/rest/...` against the API base.
    pub fn resolve_next(&self, link: &str, v1_context: bool) -> Result<Url, RestError> {
        if let Ok(url) = Url::parse(link) {
            return Ok(url);
        }
        let path = match self {
            Dialect::Cloud { .. } if v1_context && !link.starts_with("/wiki/") => format!("/wiki{link}"),
            _ => link.to_owned(),
        };
        join(self.base(), &path)
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
        assert_eq!(
            gateway.resolve_next("/wiki/api/v2/pages?cursor=x", false).map(|u| u.to_string()),
            Ok("https://api.atlassian.com/ex/confluence/abc/wiki/api/v2/pages?cursor=x".to_owned())
        );
        assert_eq!(
            gateway.resolve_next("/rest/api/search?start=25", true).map(|u| u.to_string()),
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
        assert_eq!(
            dc.resolve_next("/rest/api/content?start=25", true).map(|u| u.to_string()),
            Ok("https://corp.example/confluence/rest/api/content?start=25".to_owned())
        );
    }
}

//! Helpers the API modules share: request paths without the gateway prefix, list responses, body parsing.

use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::errors::{ApiError, ErrorStyle};
use crate::pagination::{v2_next_link, Cursor};
use crate::params::Params;
use crate::server::split_gateway;
use crate::state::SimState;

/// The request path as the site sees it (`/ex/confluence/{cloudid}` removed).
pub fn site_path(uri: &Uri) -> String {
    match split_gateway(uri.path()) {
        Some((_, rest)) => rest.to_owned(),
        None => uri.path().to_owned(),
    }
}

/// A v2 list: `results`, `_links.next` (when there is more) and `_links.base`, and the same next link in `Link`.
pub fn v2_list<T: Serialize>(
    state: &SimState,
    uri: &Uri,
    params: &Params,
    results: Vec<T>,
    next: Option<Cursor>,
) -> Response {
    let next_link = next.map(|cursor| v2_next_link(&site_path(uri), params, cursor));
    let body = V2ListBody { results, links: V2ListLinks { next: next_link.as_deref(), base: state.wiki_base() } };
    let mut response = axum::Json(body).into_response();
    if let Some(next) = next_link {
        let value = format!("<{next}>; rel=\"next\", <{}>; rel=\"base\"", state.wiki_base());
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

#[derive(Serialize)]
struct V2ListBody<'a, T> {
    results: Vec<T>,
    #[serde(rename = "_links")]
    links: V2ListLinks<'a>,
}

#[derive(Serialize)]
struct V2ListLinks<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<&'a str>,
    base: String,
}

/// Takes one page of `items` that are already in id order and were fetched with `limit + 1`.
pub fn id_page<T>(mut items: Vec<T>, limit: usize, id_of: impl Fn(&T) -> u64) -> (Vec<T>, Option<Cursor>) {
    if items.len() > limit {
        items.truncate(limit);
        let next = items.last().map(|t| Cursor::After(id_of(t)));
        (items, next)
    } else {
        (items, None)
    }
}

/// Takes one page at `offset` of a fully materialised, sorted list.
pub fn offset_page<T>(items: Vec<T>, offset: usize, limit: usize) -> (Vec<T>, Option<Cursor>) {
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    let next = (offset + limit < total).then_some(Cursor::Offset((offset + limit) as u64));
    (page, next)
}

/// The JSON body of a write, or a 400 that says what is wrong with it.
pub fn json_body(bytes: &[u8], style: ErrorStyle) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(style, format!("Invalid JSON body: {e}")))
}

/// A string field of a JSON body.
pub fn str_field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

/// A numeric id given as a JSON string or number.
pub fn id_field(body: &Value, name: &str) -> Option<u64> {
    match body.get(name)? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// The `version` of an update body: its `number` (required) and `message`.
pub fn version_of(body: &Value, style: ErrorStyle) -> Result<(u32, String), ApiError> {
    let version = body.get("version");
    let number = version
        .and_then(|v| v.get("number"))
        .and_then(Value::as_u64)
        .ok_or_else(|| ApiError::bad_request(style, "version.number is required"))?;
    let message = version.and_then(|v| str_field(v, "message")).unwrap_or_default().to_owned();
    Ok((number as u32, message))
}

/// Parses a numeric path id, 404 when it is not a number (as the API does for unknown ids).
pub fn path_id(id: &str, style: ErrorStyle, what: &str) -> Result<u64, ApiError> {
    id.parse().map_err(|_| ApiError::not_found(style, format!("No {what} found with id {id}")))
}

/// `204 No Content`.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Every version of `content`, oldest first: the generated history, or, once the content was updated through the
/// API, the history before its current version and that version.
pub fn version_history(st: &SimState, content: &crate::dataset::model::Content) -> Vec<crate::dataset::model::Version> {
    let mut versions = st.store.data.versions(content);
    if content.version.number as usize != versions.len() {
        versions.retain(|v| v.number < content.version.number);
        versions.push(content.version.clone());
    }
    versions
}

/// The child pages of `page` (current and archived), in the order the page tree shows them: by position among
/// the siblings, then by id.
pub fn child_pages(st: &SimState, page: &crate::dataset::model::Content) -> Vec<crate::dataset::model::Content> {
    use crate::dataset::model::ContentKind;
    let filter = crate::store::ContentFilter {
        spaces: Some(vec![page.space]),
        statuses: vec!["current".to_owned(), "archived".to_owned()],
        parent_id: Some(page.id),
        ..Default::default()
    };
    let mut children = st.store.scan_content(ContentKind::Page, &filter, None, usize::MAX);
    children.sort_by_key(|c| (c.position.unwrap_or(i32::MAX), c.id));
    children
}

/// The pages above `page`, the highest first (the space's root page, then down to its parent).
pub fn ancestor_pages(st: &SimState, page: &crate::dataset::model::Content) -> Vec<crate::dataset::model::Content> {
    let mut chain = Vec::new();
    let mut parent = page.parent_id;
    while let Some(p) = parent.and_then(|id| st.store.content(id)) {
        parent = p.parent_id;
        chain.push(p);
    }
    chain.reverse();
    chain
}

/// A route's `{id}` segment, through the API gateway too (`/ex/confluence/{cloudid}/wiki/...` adds a `cloudid`
/// parameter, which `Path<String>` would refuse).
pub struct PathId(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params =
            axum::extract::RawPathParams::from_request_parts(parts, state).await.map_err(|e| e.into_response())?;
        let id = params.iter().find(|(name, _)| *name == "id").map(|(_, value)| value.to_owned());
        id.map(PathId).ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

/// A route's last two segments' parameters (`{id}` and `{operation}`, `{page}` and `{file}`...), through the API
/// gateway too.
pub struct PathPair(pub String, pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathPair {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params =
            axum::extract::RawPathParams::from_request_parts(parts, state).await.map_err(|e| e.into_response())?;
        let values: Vec<String> =
            params.iter().filter(|(name, _)| *name != "cloudid").map(|(_, value)| value.to_owned()).collect();
        match values.as_slice() {
            [a, b] => Ok(PathPair(a.clone(), b.clone())),
            _ => Err(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        }
    }
}

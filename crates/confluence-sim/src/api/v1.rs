//! Confluence Cloud REST v1 (`/wiki/rest/api`): the endpoints v2 does not replace: CQL search, users, groups,
//! the audit log, the legacy space list, and label writes. Offset pagination with `start`/`limit`/`size` and
//! `_links.next`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use crate::api::common::{json_body, no_content, path_id, site_path, PathId, PathPair};
use crate::api::json::{
    iso, v1_attachment, v1_audit, v1_comment, v1_content, v1_context, v1_group, v1_space, v1_user, Expand,
};
use crate::auth::Caller;
use crate::cql::{CqlContext, CqlQuery, Field};
use crate::errors::{ApiError, ErrorStyle};
use crate::pagination::{v1_next_link, v1_window};
use crate::params::Params;
use crate::search::{search, Hit};
use crate::state::SimState;
use crate::store::WriteError;

const STYLE: ErrorStyle = ErrorStyle::V1;
type Shared = State<Arc<SimState>>;
type ApiResult = Result<Response, ApiError>;

/// The v1 routes (Cloud).
pub fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/wiki/rest/api/search", get(cql_search))
        .route("/wiki/rest/api/search/user", get(user_search))
        .route("/wiki/rest/api/content/search", get(content_search))
        .route("/wiki/rest/api/user", get(get_user))
        .route("/wiki/rest/api/user/current", get(current_user))
        .route("/wiki/rest/api/user/bulk", get(user_bulk))
        .route("/wiki/rest/api/group", get(list_groups))
        .route("/wiki/rest/api/group/{id}/membersByGroupId", get(group_members))
        .route("/wiki/rest/api/audit", get(audit))
        .route("/wiki/rest/api/space", get(list_spaces))
        .route("/wiki/rest/api/analytics/content/{id}/views", get(content_views))
        .route("/wiki/rest/api/analytics/content/{id}/viewers", get(content_viewers))
        .route("/wiki/rest/api/content/{id}/restriction/byOperation/{operation}", get(content_restriction))
        .route("/wiki/rest/api/settings/systemInfo", get(system_info))
        .route("/wiki/rest/api/label", get(label_details))
        .route("/wiki/rest/api/content/{id}/label", post(add_labels).get(content_labels).delete(remove_label_by_name))
        .route("/wiki/rest/api/content/{id}/label/{label}", delete(remove_label))
}

/// A v1 list body: `results`, `start`, `limit`, `size` and `_links` (with `next` when there is more).
pub fn v1_list(
    state: &SimState,
    path: &str,
    params: &Params,
    results: Vec<Value>,
    start: usize,
    limit: usize,
    more: bool,
) -> Value {
    let ctx = v1_context(state);
    let relative = path.strip_prefix(ctx).unwrap_or(path);
    let mut links = json!({"base": format!("{}{ctx}", state.base_url), "context": ctx, "self": format!("{}{path}", state.base_url)});
    if more {
        links["next"] = json!(v1_next_link(relative, params, start + limit, limit));
    }
    json!({"results": results, "start": start, "limit": limit, "size": results.len(), "_links": links})
}

/// The `expand` of a search request, with the `content.` prefix removed.
fn content_expand(params: &Params) -> Expand {
    Expand::parse(
        params.list("expand").into_iter().map(|e| e.strip_prefix("content.").map(str::to_owned).unwrap_or(e)).collect(),
    )
}

/// The body of a CQL search response (shared with Data Center).
pub fn search_response(
    st: &SimState,
    uri: &OriginalUri,
    caller: &Caller,
    style: ErrorStyle,
    content_only: bool,
) -> Result<Value, ApiError> {
    let params = Params::parse(uri.query());
    let cql = params
        .get("cql")
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request(style, "cql is required"))?;
    let (start, limit) = v1_window(&params, 25, 100, style)?;
    let include_archived = params.bool("includeArchivedSpaces", false, style)?;
    let context = CqlContext { now_ms: st.now_ms(), current_user: current_user_id(st, caller) };
    let query = CqlQuery::parse(cql, &context).map_err(|e| ApiError::bad_request(style, e.message))?;
    let started = std::time::Instant::now();
    let hits = search(st, &query, include_archived);
    let expand = if content_only { Expand::parse(params.list("expand")) } else { content_expand(&params) };
    let page: Vec<&Hit> = hits.iter().skip(start).take(limit).collect();
    let results: Vec<Value> = page
        .iter()
        .map(|hit| {
            let content = match hit {
                Hit::Content(c) => v1_content(st, c, &expand),
                Hit::Comment(c) => v1_comment(st, c, &expand),
                Hit::Attachment(a) => v1_attachment(st, a, &expand),
            };
            if content_only {
                return content;
            }
            let space = hit.space(st).map(|s| st.store.data.space(s));
            json!({
                "content": content,
                "title": hit.title(),
                "excerpt": hit.excerpt(),
                "url": content["_links"]["webui"],
                "breadcrumbs": [],
                "entityType": "content",
                "iconCssClass": format!("aui-icon content-type-{}", content["type"].as_str().unwrap_or("page")),
                "lastModified": iso(hit.modified_ms()),
                "friendlyLastModified": iso(hit.modified_ms()),
                "score": 0.0,
                "resultGlobalContainer": space.map(|s| json!({"title": s.name, "displayUrl": format!("/spaces/{}", s.key)})),
            })
        })
        .map(|mut result: Value| {
            if result.get("resultGlobalContainer").is_some_and(Value::is_null) {
                if let Some(obj) = result.as_object_mut() {
                    obj.remove("resultGlobalContainer");
                }
            }
            result
        })
        .collect();
    let mut body = v1_list(st, &site_path(uri), &params, results, start, limit, start + limit < hits.len());
    body["totalSize"] = json!(hits.len());
    body["cqlQuery"] = json!(cql);
    body["searchDuration"] = json!(started.elapsed().as_millis() as u64);
    Ok(body)
}

fn current_user_id(st: &SimState, caller: &Caller) -> String {
    let user = st.store.data.user(caller.user);
    match st.config.deployment {
        crate::config::SimDeployment::Cloud => user.account_id.clone(),
        crate::config::SimDeployment::DataCenter => user.username.clone(),
    }
}

async fn cql_search(State(st): Shared, uri: OriginalUri, Extension(caller): Extension<Caller>) -> ApiResult {
    Ok(Json(search_response(&st, &uri, &caller, STYLE, false)?).into_response())
}

async fn content_search(State(st): Shared, uri: OriginalUri, Extension(caller): Extension<Caller>) -> ApiResult {
    Ok(Json(search_response(&st, &uri, &caller, STYLE, true)?).into_response())
}

struct UserDoc<'a>(&'a crate::dataset::model::User);

impl crate::cql::CqlDoc for UserDoc<'_> {
    fn values(&self, field: Field) -> Vec<String> {
        match field {
            Field::Type => vec!["user".to_owned()],
            Field::User | Field::UserAccountId => vec![self.0.account_id.clone()],
            Field::UserFullname => vec![self.0.display_name.clone()],
            _ => Vec::new(),
        }
    }

    fn time(&self, _: Field) -> Option<i64> {
        None
    }
}

/// How deep Cloud's user search reads (see `user_search`).
pub const USER_SEARCH_DEPTH: usize = 10_000;

async fn user_search(State(st): Shared, uri: OriginalUri, Extension(caller): Extension<Caller>) -> ApiResult {
    let params = Params::parse(uri.query());
    let cql = params.get("cql").ok_or_else(|| ApiError::bad_request(STYLE, "cql is required"))?;
    let (start, limit) = v1_window(&params, 25, 1000, STYLE)?;
    let query = CqlQuery::parse(cql, &CqlContext { now_ms: st.now_ms(), current_user: current_user_id(&st, &caller) })
        .map_err(|e| ApiError::bad_request(STYLE, e.message))?;
    if !query.pinned(Field::Type).is_some_and(|t| t.iter().any(|t| t.eq_ignore_ascii_case("user"))) {
        return Err(ApiError::bad_request(STYLE, "The CQL query must include type = user"));
    }
    let data = &st.store.data;
    let users: Vec<_> = (0..data.user_count()).map(|u| data.user(u)).filter(|u| query.matches(&UserDoc(u))).collect();
    // Cloud's user search never reads past the first 10,000 matches (CONFCLOUD-77954): further windows come back
    // empty, while totalSize still counts every match.
    let served = users.len().min(USER_SEARCH_DEPTH);
    let results: Vec<Value> = users[..served]
        .iter()
        .skip(start)
        .take(limit)
        .map(|u| {
            json!({
                "user": v1_user(&st, u),
                "title": u.display_name,
                "excerpt": "",
                "url": format!("/people/{}", u.account_id),
                "breadcrumbs": [],
                "entityType": "user",
                "iconCssClass": "aui-icon content-type-profile",
                "lastModified": iso(crate::dataset::HISTORY_END_MS),
                "score": 0.0,
            })
        })
        .collect();
    let mut body = v1_list(&st, &site_path(&uri), &params, results, start, limit, start + limit < served);
    body["totalSize"] = json!(users.len());
    body["cqlQuery"] = json!(cql);
    body["searchDuration"] = json!(0);
    Ok(Json(body).into_response())
}

async fn get_user(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let params = Params::parse(uri.query());
    if params.get("username").is_some() || params.get("key").is_some() {
        return Err(ApiError::bad_request(
            STYLE,
            "The username and key parameters are not supported on Cloud (GDPR); use accountId",
        ));
    }
    let id = params.get("accountId").ok_or_else(|| ApiError::bad_request(STYLE, "accountId is required"))?;
    let user = st
        .store
        .data
        .user_by_account_id(id)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No user found with accountId {id}")))?;
    Ok(Json(v1_user(&st, user)).into_response())
}

async fn current_user(State(st): Shared, Extension(caller): Extension<Caller>) -> ApiResult {
    Ok(Json(v1_user(&st, st.store.data.user(caller.user))).into_response())
}

async fn user_bulk(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let params = Params::parse(uri.query());
    let ids = params.list("accountId");
    if ids.is_empty() {
        return Err(ApiError::bad_request(STYLE, "accountId is required"));
    }
    let limit = params.u64("limit", STYLE)?.map_or(200, |n| n.clamp(1, 200) as usize);
    let results: Vec<Value> = ids
        .iter()
        .take(limit)
        .filter_map(|id| st.store.data.user_by_account_id(id))
        .map(|u| {
            let mut v = v1_user(&st, u);
            v["email"] = json!(u.email.clone().unwrap_or_default());
            v
        })
        .collect();
    Ok(Json(v1_list(&st, &site_path(&uri), &params, results, 0, limit, false)).into_response())
}

async fn list_groups(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let params = Params::parse(uri.query());
    let (start, limit) = v1_window(&params, 200, 200, STYLE)?;
    let data = &st.store.data;
    let results: Vec<Value> = (start..data.group_count()).take(limit).map(|g| v1_group(&st, &data.group(g))).collect();
    Ok(Json(v1_list(&st, &site_path(&uri), &params, results, start, limit, start + limit < data.group_count()))
        .into_response())
}

async fn group_members(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let group = st
        .store
        .data
        .group_by_id(&id)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No group found with id {id}")))?;
    Ok(Json(member_list(&st, &uri, group.index, 200)?).into_response())
}

/// One window of a group's members, as a v1 user list (shared with Data Center; `max` is the `limit` cap).
pub fn member_list(st: &SimState, uri: &OriginalUri, group: usize, max: usize) -> Result<Value, ApiError> {
    let params = Params::parse(uri.query());
    let (start, limit) = v1_window(&params, 200, max, STYLE)?;
    let data = &st.store.data;
    let members: Vec<usize> = (0..data.user_count()).filter(|u| data.is_member(group, *u)).collect();
    let results: Vec<Value> = members.iter().skip(start).take(limit).map(|u| v1_user(st, data.user(*u))).collect();
    Ok(v1_list(st, &site_path(uri), &params, results, start, limit, start + limit < members.len()))
}

/// Parses an audit date bound: `yyyy-MM-dd` or epoch milliseconds.
fn audit_date(params: &Params, name: &str, style: ErrorStyle) -> Result<Option<i64>, ApiError> {
    let Some(text) = params.get(name).filter(|t| !t.is_empty()) else { return Ok(None) };
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(Some(ms));
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc().timestamp_millis()))
        .ok_or_else(|| ApiError::bad_request(style, format!("Invalid {name} '{text}': use yyyy-MM-dd")))
}

/// The audit log, newest first (shared with Data Center, which has the same resource).
pub async fn audit(State(st): Shared, uri: OriginalUri) -> ApiResult {
    not_on_free_plan(&st, "The audit log")?;
    let params = Params::parse(uri.query());
    let (start, limit) = v1_window(&params, 1000, 1000, STYLE)?;
    let from = audit_date(&params, "startDate", STYLE)?;
    let to = audit_date(&params, "endDate", STYLE)?;
    let needle = params.get("searchString").map(str::to_lowercase);
    let data = &st.store.data;
    let records: Vec<_> = (0..data.audit_count())
        .map(|r| data.audit(r))
        .filter(|r| from.is_none_or(|f| r.created_ms >= f) && to.is_none_or(|t| r.created_ms <= t))
        .filter(|r| {
            needle
                .as_ref()
                .is_none_or(|n| r.description.to_lowercase().contains(n) || r.summary.to_lowercase().contains(n))
        })
        .collect();
    let results: Vec<Value> = records.iter().skip(start).take(limit).map(|r| v1_audit(&st, r)).collect();
    Ok(Json(v1_list(&st, &site_path(&uri), &params, results, start, limit, start + limit < records.len()))
        .into_response())
}

/// The v1 space list (shared with Data Center).
pub fn space_list(st: &SimState, uri: &OriginalUri, style: ErrorStyle) -> Result<Value, ApiError> {
    let params = Params::parse(uri.query());
    let (start, limit) = v1_window(&params, 25, 250, style)?;
    let keys = params.list("spaceKey");
    let ids = params.ids("spaceId", 250, style)?;
    let space_type = params.choice("type", &["global", "personal"], style)?;
    let status = params.choice("status", &["current", "archived"], style)?;
    let expand = Expand::parse(params.list("expand"));
    let data = &st.store.data;
    let spaces: Vec<_> = (0..data.space_count())
        .map(|s| data.space(s))
        .filter(|s| keys.is_empty() || keys.iter().any(|k| k == &s.key))
        .filter(|s| ids.is_empty() || ids.contains(&s.id))
        .filter(|s| space_type.is_none_or(|t| t == s.space_type))
        .filter(|s| status.is_none_or(|t| t == s.status))
        .collect();
    let results = spaces.iter().skip(start).take(limit).map(|s| v1_space(st, s, &expand)).collect();
    Ok(v1_list(st, &site_path(uri), &params, results, start, limit, start + limit < spaces.len()))
}

async fn list_spaces(State(st): Shared, uri: OriginalUri) -> ApiResult {
    Ok(Json(space_list(&st, &uri, STYLE)?).into_response())
}

fn label_json(st: &SimState, name: &str) -> Value {
    json!({"prefix": "global", "name": name, "id": st.store.label_id(name).unwrap_or(0).to_string(), "label": name})
}

/// Adds labels: body `[{"prefix":"global","name":"x"}]` or one such object (shared with Data Center).
pub fn add_labels_to(
    st: &SimState,
    uri: &OriginalUri,
    id: &str,
    bytes: &[u8],
    style: ErrorStyle,
) -> Result<Value, ApiError> {
    let content_id = path_id(id, style, "content")?;
    let body = json_body(bytes, style)?;
    let items: Vec<Value> = match body {
        Value::Array(items) => items,
        other => vec![other],
    };
    let names: Vec<String> = items
        .iter()
        .map(|i| {
            i.get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ApiError::bad_request(style, "Each label needs a name"))
        })
        .collect::<Result<_, _>>()?;
    let labels = st.store.add_labels(content_id, &names).map_err(|e| label_error(e, style))?;
    let params = Params::parse(uri.query());
    let results: Vec<Value> = labels.iter().map(|l| label_json(st, l)).collect();
    let size = results.len();
    Ok(v1_list(st, &site_path(uri), &params, results, 0, size.max(1), false))
}

fn label_error(e: WriteError, style: ErrorStyle) -> ApiError {
    match e {
        WriteError::NotFound(m) => ApiError::not_found(style, m),
        other => ApiError::bad_request(style, other.to_string()),
    }
}

async fn add_labels(State(st): Shared, uri: OriginalUri, PathId(id): PathId, bytes: Bytes) -> ApiResult {
    Ok(Json(add_labels_to(&st, &uri, &id, &bytes, STYLE)?).into_response())
}

/// Lists a content's labels (shared with Data Center).
pub fn labels_of(st: &SimState, uri: &OriginalUri, id: &str, style: ErrorStyle) -> Result<Value, ApiError> {
    let content = st
        .store
        .content(path_id(id, style, "content")?)
        .ok_or_else(|| ApiError::not_found(style, format!("No content found with id {id}")))?;
    let params = Params::parse(uri.query());
    let (start, limit) = v1_window(&params, 200, 200, style)?;
    let results: Vec<Value> = content.labels.iter().skip(start).take(limit).map(|l| label_json(st, l)).collect();
    Ok(v1_list(st, &site_path(uri), &params, results, start, limit, start + limit < content.labels.len()))
}

async fn content_labels(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    Ok(Json(labels_of(&st, &uri, &id, STYLE)?).into_response())
}

/// A page's or blog post's analytics: `(views, distinct viewers)`, generated from the seed (more for content
/// edited more often); `fromDate` is accepted and, as the data set has no view history, changes nothing.
fn analytics_of(st: &SimState, id: &str) -> Result<(u64, u64, u64), ApiError> {
    not_on_free_plan(st, "Page analytics")?;
    let content = st
        .store
        .content(path_id(id, STYLE, "content")?)
        .filter(|c| c.status != "deleted")
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No content found with id {id}")))?;
    let h = crate::hash::mix(st.store.data.seed(), &[13, content.id, 1]);
    let views = h % 400 + 5 * u64::from(content.version.number);
    let viewers = (1 + views / (2 + (h >> 32) % 4)).min(views.max(1));
    Ok((content.id, views, viewers))
}

async fn content_views(State(st): Shared, PathId(id): PathId) -> ApiResult {
    let (id, views, _) = analytics_of(&st, &id)?;
    Ok(Json(json!({"id": id, "count": views})).into_response())
}

async fn content_viewers(State(st): Shared, PathId(id): PathId) -> ApiResult {
    let (id, _, viewers) = analytics_of(&st, &id)?;
    Ok(Json(json!({"id": id, "count": viewers})).into_response())
}

/// `GET content/{id}/restriction/byOperation/{operation}` (shared with Data Center): who the content is restricted
/// to for `read` or `update`, as two lists in one object, `restrictions.user` and `restrictions.group`, both windowed
/// by the same `start` and `limit` (at most 100 each), each present when expanded (`expand=restrictions.user`;
/// by default both on Cloud, the groups only on Data Center). An unknown operation is a 400, unknown content a 404.
pub fn restriction_of(
    st: &SimState,
    uri: &OriginalUri,
    id: &str,
    operation: &str,
    style: ErrorStyle,
) -> Result<Value, ApiError> {
    use crate::dataset::model::Principal;
    let content = st
        .store
        .content(path_id(id, style, "content")?)
        .filter(|c| c.status != "deleted")
        .ok_or_else(|| ApiError::not_found(style, format!("No content found with id {id}")))?;
    if !crate::dataset::RESTRICTED_OPERATIONS.contains(&operation) {
        return Err(ApiError::bad_request(style, format!("Unknown operation: {operation}; expected read or update")));
    }
    let params = Params::parse(uri.query());
    let (start, limit) = v1_window(&params, 100, 100, style)?;
    let data = &st.store.data;
    let principals = data.content_restrictions(content.id, content.author, operation);
    let users: Vec<Value> = principals
        .iter()
        .filter_map(|p| match p {
            Principal::User(u) => Some(v1_user(st, data.user(*u))),
            Principal::Group(_) => None,
        })
        .collect();
    let groups: Vec<Value> = principals
        .iter()
        .filter_map(|p| match p {
            Principal::Group(g) => Some(v1_group(st, &data.group(*g))),
            Principal::User(_) => None,
        })
        .collect();
    let window = |all: Vec<Value>| -> Value {
        let page: Vec<Value> = all.into_iter().skip(start).take(limit).collect();
        json!({"results": page, "start": start, "limit": limit, "size": page.len()})
    };
    let ctx = v1_context(st);
    // Cloud expands both lists by default; Data Center only the groups (its `expand` default is `group`).
    let expand = params.list("expand");
    let expanded = |list: &str| match st.config.deployment {
        crate::config::SimDeployment::Cloud => {
            expand.is_empty() || expand.iter().any(|e| e == &format!("restrictions.{list}"))
        }
        crate::config::SimDeployment::DataCenter => {
            expand.iter().any(|e| e == &format!("restrictions.{list}")) || (expand.is_empty() && list == "group")
        }
    };
    let mut restrictions = serde_json::Map::new();
    let mut unexpanded = serde_json::Map::new();
    for (list, all) in [("user", users), ("group", groups)] {
        if expanded(list) {
            restrictions.insert(list.to_owned(), window(all));
        } else {
            unexpanded.insert(list.to_owned(), json!(""));
        }
    }
    restrictions.insert("_expandable".to_owned(), Value::Object(unexpanded));
    Ok(json!({
        "operation": operation,
        "restrictions": restrictions,
        "_expandable": {"content": format!("{ctx}/rest/api/content/{}", content.id)},
        "_links": {
            "base": format!("{}{ctx}", st.base_url),
            "context": ctx,
            "self": format!("{}{}", st.base_url, site_path(uri)),
        },
    }))
}

async fn content_restriction(State(st): Shared, uri: OriginalUri, PathPair(id, operation): PathPair) -> ApiResult {
    Ok(Json(restriction_of(&st, &uri, &id, &operation, STYLE)?).into_response())
}

/// A 403 for a feature the Free plan lacks (Cloud only; the simulator's `edition`).
fn not_on_free_plan(st: &SimState, feature: &str) -> Result<(), ApiError> {
    if st.config.deployment == crate::config::SimDeployment::Cloud && st.config.edition == "free" {
        return Err(ApiError::new(
            STYLE,
            StatusCode::FORBIDDEN,
            format!("{feature} is not available on the Free plan"),
        ));
    }
    Ok(())
}

/// `GET label?name=`: the label (`label`: id, name, prefix) and a window of the current content carrying it
/// (`associatedContents`, optionally of one `type`); an unknown name is a 404.
async fn label_details(State(st): Shared, uri: OriginalUri) -> ApiResult {
    use crate::dataset::model::ContentKind;
    use crate::store::ContentFilter;
    let p = Params::parse(uri.query());
    let name = p
        .get("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request(STYLE, "The name parameter is required"))?;
    let kinds: &[ContentKind] = match p.choice("type", &["page", "blogpost", "attachment", "page_template"], STYLE)? {
        Some("page") => &[ContentKind::Page],
        Some("blogpost") => &[ContentKind::BlogPost],
        Some(_) => &[],
        None => &[ContentKind::Page, ContentKind::BlogPost],
    };
    let id = st
        .store
        .label_id(name)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No label found with name: {name}")))?;
    let (start, limit) = v1_window(&p, 200, 200, STYLE)?;
    let filter = ContentFilter {
        statuses: vec!["current".to_owned()],
        label: Some(name.to_owned()),
        ..ContentFilter::default()
    };
    let contents: Vec<Value> = kinds
        .iter()
        .flat_map(|kind| st.store.scan_content(*kind, &filter, None, usize::MAX))
        .skip(start)
        .take(limit)
        .map(|c| {
            let kind = if c.kind == ContentKind::BlogPost { "blogpost" } else { "page" };
            json!({"contentType": kind, "contentId": c.id, "title": c.title})
        })
        .collect();
    Ok(Json(json!({
        "label": {"prefix": "global", "name": name, "id": id.to_string(), "label": name},
        "associatedContents": {"results": contents, "start": start, "limit": limit, "size": contents.len()},
    }))
    .into_response())
}

/// `GET settings/systemInfo`: the site's id, build and name, as Cloud describes its tenant.
async fn system_info(State(st): Shared) -> ApiResult {
    Ok(Json(json!({
        "cloudId": st.config.cloud_id,
        "commitHash": "5f0c1d2e3a4b",
        "baseUrl": st.wiki_base(),
        "edition": st.config.edition,
        "siteTitle": "Confluence (simulated)",
        "defaultLocale": "en_US",
    }))
    .into_response())
}

/// Removes a label (shared with Data Center).
pub fn remove_label_from(st: &SimState, id: &str, label: &str, style: ErrorStyle) -> ApiResult {
    let content_id = path_id(id, style, "content")?;
    st.store.remove_label(content_id, label).map_err(|e| label_error(e, style))?;
    Ok(no_content())
}

async fn remove_label(State(st): Shared, PathPair(id, label): PathPair) -> ApiResult {
    remove_label_from(&st, &id, &label, STYLE)
}

/// `DELETE content/{id}/label?name=...`: the query form, for names a path segment cannot carry (a `/`).
pub async fn remove_label_by_name(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let params = Params::parse(uri.query());
    let name =
        params.get("name").filter(|n| !n.is_empty()).ok_or_else(|| ApiError::bad_request(STYLE, "name is required"))?;
    remove_label_from(&st, &id, name, STYLE)
}

/// `201 Created` with a JSON body.
pub fn created(body: Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}

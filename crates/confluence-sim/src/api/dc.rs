//! Confluence Data Center REST (`/rest/api`): content lists and gets with `expand`, CQL search (which also finds
//! comments and attachments), spaces, users, groups, the audit log, and content and label writes. Offset
//! pagination; `limit` is capped at 100, or 50 when bodies are expanded.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use serde_json::Value;

use crate::api::common::{id_field, json_body, no_content, path_id, site_path, str_field, version_of};
use crate::api::json::{v1_attachment, v1_content, v1_group, v1_space, v1_user, v1_version, Expand};
use crate::api::v1::{
    add_labels_to, labels_of, member_list, remove_label_from, restriction_of, search_response, space_list, v1_list,
};
use crate::auth::Caller;
use crate::dataset::model::{Comment, Content, ContentKind};
use crate::errors::{ApiError, ErrorStyle};
use crate::pagination::v1_window;
use crate::params::Params;
use crate::state::SimState;
use crate::store::{ContentFilter, ContentUpdate, WriteError};

const STYLE: ErrorStyle = ErrorStyle::V1;
type Shared = State<Arc<SimState>>;
type ApiResult = Result<Response, ApiError>;

/// The Data Center routes.
pub fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/rest/api/content", get(list_content).post(create_content))
        .route("/rest/api/content/search", get(content_search))
        .route("/rest/api/content/{id}", get(get_content).put(update_content).delete(delete_content))
        .route(
            "/rest/api/content/{id}/label",
            post(add_labels).get(content_labels).delete(crate::api::v1::remove_label_by_name),
        )
        .route("/rest/api/content/{id}/label/{label}", delete(remove_label))
        .route("/rest/api/search", get(site_search))
        .route("/rest/api/space", get(list_spaces))
        .route("/rest/api/space/{key}", get(get_space))
        .route("/rest/api/space/{key}/permissions", get(space_permissions))
        .route("/rest/api/user", get(get_user))
        .route("/rest/api/user/current", get(current_user))
        .route("/rest/api/user/list", get(list_users))
        .route("/rest/api/group", get(list_groups))
        .route("/rest/api/group/{name}/member", get(group_members))
        .route("/rest/api/audit", get(crate::api::v1::audit))
        .route("/rest/experimental/content/{id}/version", get(content_versions))
        .route("/rest/api/content/{id}/child/page", get(child_pages))
        .route("/rest/api/server-information", get(server_information))
        .route("/rest/license/1.0/license/{figure}", get(license))
        .route("/rest/api/content/{id}/restriction/byOperation/{operation}", get(content_restriction))
}

async fn list_content(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let params = Params::parse(uri.query());
    let expand = Expand::parse(params.list("expand"));
    let (start, limit) = v1_window(&params, 25, if expand.wants_body() { 50 } else { 100 }, STYLE)?;
    let kind = match params.get("type").unwrap_or("page") {
        "page" => ContentKind::Page,
        "blogpost" => ContentKind::BlogPost,
        other => {
            return Err(ApiError::bad_request(
                STYLE,
                format!("Unsupported content type '{other}': use page or blogpost"),
            ))
        }
    };
    let data = &st.store.data;
    let spaces = match params.get("spaceKey") {
        Some(key) => Some(vec![
            data.space_by_key(key)
                .ok_or_else(|| ApiError::not_found(STYLE, format!("No space with key : {key}")))?
                .index,
        ]),
        None => None,
    };
    let status = params.get("status").unwrap_or("current");
    let filter = ContentFilter {
        spaces,
        statuses: vec![status.to_owned()],
        title: params.get("title").map(str::to_owned),
        ..ContentFilter::default()
    };
    // Offsets over an id-ordered scan: fetch start + limit + 1 and keep the window.
    let items = st.store.scan_content(kind, &filter, None, start + limit + 1);
    let more = items.len() > start + limit;
    let results: Vec<Value> = items.iter().skip(start).take(limit).map(|c| v1_content(&st, c, &expand)).collect();
    Ok(Json(v1_list(&st, &site_path(&uri), &params, results, start, limit, more)).into_response())
}

fn find(st: &SimState, id: &str) -> Result<Content, ApiError> {
    st.store
        .content(path_id(id, STYLE, "content")?)
        .filter(|c| c.status != "deleted")
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No content found with id: ContentId{{id={id}}}")))
}

async fn get_content(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let params = Params::parse(uri.query());
    let numeric = id.strip_prefix("att").unwrap_or(&id).parse::<u64>().ok();
    if let Some(attachment) = numeric.and_then(|n| st.store.attachment(n)) {
        return Ok(Json(v1_attachment(&st, &attachment, &Expand::parse(params.list("expand")))).into_response());
    }
    let content = find(&st, &id)?;
    if content.status == "trashed" && params.get("status") != Some("trashed") {
        return Err(ApiError::not_found(STYLE, format!("No content found with id: ContentId{{id={id}}}")));
    }
    Ok(Json(v1_content(&st, &content, &Expand::parse(params.list("expand")))).into_response())
}

/// `GET /rest/api/server-information` (Data Center 9.1 and later; an older server answers 404): the version and
/// build of the server.
async fn server_information(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let (major, minor) = st.config.data_center_version;
    if (major, minor) < (9, 1) {
        return Err(ApiError::not_found(STYLE, format!("null for uri: {}{}", st.base_url, uri.path())));
    }
    let build = major * 1000 + minor * 100;
    Ok(Json(serde_json::json!({
        "baseUrl": st.base_url,
        "version": format!("{major}.{minor}.0"),
        "buildNumber": build,
        "marketplaceBuildNumber": build,
        "buildDate": "2025-11-04T00:00:00.000Z",
    }))
    .into_response())
}

/// The licence's user tiers: a Data Center licence is bought for one of them.
const LICENCE_TIERS: [i64; 8] = [25, 50, 100, 250, 500, 1000, 2000, 10_000];

/// `GET /rest/license/1.0/license/{userCount,maxUsers,remainingSeats}`, each `{"count": n}` (the users counting
/// towards the licence: the active ones; the licence's tier, the smallest that holds them; the seats left), and
/// `.../details` (Confluence 7.1 and later; an older server answers 404): whether it is a Data Center licence, and
/// when it and its maintenance expire (epoch milliseconds).
async fn license(State(st): Shared, uri: OriginalUri, Path(figure): Path<String>) -> ApiResult {
    let data = &st.store.data;
    let users = (0..data.user_count()).filter(|u| data.user(*u).active).count() as i64;
    let max = LICENCE_TIERS.into_iter().find(|tier| *tier >= users).unwrap_or(users);
    let not_found = || ApiError::not_found(STYLE, format!("null for uri: {}{}", st.base_url, uri.path()));
    let body = match figure.as_str() {
        "userCount" => serde_json::json!({ "count": users }),
        "maxUsers" => serde_json::json!({ "count": max }),
        "remainingSeats" => serde_json::json!({ "count": max - users }),
        "details" if st.config.data_center_version >= (7, 1) => serde_json::json!({
            "dataCenter": true,
            // The licence ends on 2027-06-30, its maintenance a year later (midnight UTC).
            "expiryDate": 1_814_313_600_000_i64,
            "maintenanceExpiryDate": 1_845_936_000_000_i64,
        }),
        _ => return Err(not_found()),
    };
    Ok(Json(body).into_response())
}

/// `GET /rest/api/space/{key}/permissions` (Data Center 9.1 and later; an older server answers 404): every
/// permission of the space in one array, unpaginated; users by user key, groups by name, no permission id.
async fn space_permissions(State(st): Shared, uri: OriginalUri, Path(key): Path<String>) -> ApiResult {
    use crate::dataset::model::Principal;
    if st.config.data_center_version < (9, 1) {
        return Err(ApiError::not_found(STYLE, format!("null for uri: {}{}", st.base_url, uri.path())));
    }
    let data = &st.store.data;
    let space =
        data.space_by_key(&key).ok_or_else(|| ApiError::not_found(STYLE, format!("No space with key : {key}")))?;
    let grants: Vec<Value> = data
        .space_permissions(space.index)
        .iter()
        .map(|g| {
            let subject = match g.principal {
                Principal::User(u) => serde_json::json!({"type": "user", "userKey": data.user(u).user_key}),
                Principal::Group(group) => serde_json::json!({"type": "group", "name": data.group(group).name}),
            };
            serde_json::json!({
                "operation": {"targetType": g.target, "operationKey": g.operation},
                "subject": subject,
                "spaceKey": space.key,
                "spaceId": space.id,
            })
        })
        .collect();
    Ok(Json(Value::Array(grants)).into_response())
}

/// Every registered user, enabled or not (Data Center 8.4 and later; an older server answers 404).
async fn list_users(State(st): Shared, uri: OriginalUri) -> ApiResult {
    if st.config.data_center_version < (8, 4) {
        return Err(ApiError::not_found(STYLE, format!("null for uri: {}{}", st.base_url, uri.path())));
    }
    let params = Params::parse(uri.query());
    let (start, limit) = v1_window(&params, 200, 200, STYLE)?;
    let data = &st.store.data;
    let users = data.user_count();
    let results: Vec<Value> = (start..users).take(limit).map(|u| v1_user(&st, data.user(u))).collect();
    Ok(Json(v1_list(&st, &site_path(&uri), &params, results, start, limit, start + limit < users)).into_response())
}

/// A page's or blog post's versions, newest first (Data Center lists them only under `/rest/experimental`).
async fn content_versions(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let params = Params::parse(uri.query());
    let (start, limit) = v1_window(&params, 200, 200, STYLE)?;
    let content = find(&st, &id)?;
    let mut versions = crate::api::common::version_history(&st, &content);
    versions.reverse();
    let results: Vec<Value> = versions.iter().skip(start).take(limit).map(|v| v1_version(&st, v)).collect();
    let more = start + limit < versions.len();
    Ok(Json(v1_list(&st, &site_path(&uri), &params, results, start, limit, more)).into_response())
}

/// `GET /rest/api/content/{id}/child/page`: the child pages, in the page tree's order.
async fn child_pages(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let params = Params::parse(uri.query());
    let expand = Expand::parse(params.list("expand"));
    let (start, limit) = v1_window(&params, 25, if expand.wants_body() { 50 } else { 100 }, STYLE)?;
    let page = find(&st, &id)?;
    let children = crate::api::common::child_pages(&st, &page);
    let more = start + limit < children.len();
    let results: Vec<Value> = children.iter().skip(start).take(limit).map(|c| v1_content(&st, c, &expand)).collect();
    Ok(Json(v1_list(&st, &site_path(&uri), &params, results, start, limit, more)).into_response())
}

async fn content_search(State(st): Shared, uri: OriginalUri, Extension(caller): Extension<Caller>) -> ApiResult {
    Ok(Json(search_response(&st, &uri, &caller, STYLE, true)?).into_response())
}

async fn site_search(State(st): Shared, uri: OriginalUri, Extension(caller): Extension<Caller>) -> ApiResult {
    Ok(Json(search_response(&st, &uri, &caller, STYLE, false)?).into_response())
}

fn write_error(e: WriteError) -> ApiError {
    match e {
        WriteError::NotFound(m) => ApiError::not_found(STYLE, m),
        WriteError::VersionConflict { .. } => ApiError::new(STYLE, StatusCode::CONFLICT, e.to_string()),
        other => ApiError::bad_request(STYLE, other.to_string()),
    }
}

fn storage_of(body: &Value) -> Option<String> {
    body.get("body").and_then(|b| b.get("storage")).and_then(|s| str_field(s, "value")).map(str::to_owned)
}

async fn create_content(State(st): Shared, Extension(caller): Extension<Caller>, bytes: Bytes) -> ApiResult {
    let body = json_body(&bytes, STYLE)?;
    let kind = match str_field(&body, "type").unwrap_or("page") {
        "page" => ContentKind::Page,
        "blogpost" => ContentKind::BlogPost,
        "comment" => return create_comment(&st, &caller, &body),
        other => return Err(ApiError::bad_request(STYLE, format!("Unsupported content type '{other}'"))),
    };
    let key = body
        .get("space")
        .and_then(|s| str_field(s, "key"))
        .ok_or_else(|| ApiError::bad_request(STYLE, "space.key is required"))?;
    let space = st
        .store
        .data
        .space_by_key(key)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No space with key : {key}")))?;
    let title = str_field(&body, "title")
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request(STYLE, "title is required"))?;
    let status = match str_field(&body, "status").unwrap_or("current") {
        s @ ("current" | "draft") => s,
        other => return Err(ApiError::bad_request(STYLE, format!("Invalid status '{other}': use current or draft"))),
    };
    let parent_id = match last_ancestor(&body) {
        Some(parent) => Some(parent),
        None if kind == ContentKind::Page => space.homepage_id,
        None => None,
    };
    let storage = storage_of(&body).unwrap_or_default();
    let content =
        Content::created(kind, space.index, title.to_owned(), status, parent_id, caller.user, st.now_ms(), storage);
    let created = st.store.create_content(content).map_err(write_error)?;
    let expand = Expand::parse(vec!["space".into(), "version".into(), "body.storage".into()]);
    Ok(Json(v1_content(&st, &created, &expand)).into_response())
}

/// The id of the last of a body's `ancestors` (the parent).
fn last_ancestor(body: &Value) -> Option<u64> {
    body.get("ancestors").and_then(Value::as_array).and_then(|a| a.last()).and_then(|a| id_field(a, "id"))
}

/// `POST /rest/api/content` with `type: comment`: on the `container` (a page or blog post), a reply when
/// `ancestors` names a comment.
fn create_comment(st: &SimState, caller: &Caller, body: &Value) -> ApiResult {
    let parent_comment = last_ancestor(body);
    let container = match (body.get("container").and_then(|c| id_field(c, "id")), parent_comment) {
        (Some(id), _) => id,
        (None, Some(parent)) => st
            .store
            .comment(parent)
            .map(|c| c.container_id)
            .ok_or_else(|| ApiError::not_found(STYLE, format!("No comment found with id: {parent}")))?,
        (None, None) => return Err(ApiError::bad_request(STYLE, "container is required for a comment")),
    };
    if let Some(parent) = parent_comment {
        match st.store.comment(parent) {
            Some(p) if p.container_id == container => {}
            Some(_) => return Err(ApiError::bad_request(STYLE, "The parent comment is on other content")),
            None => return Err(ApiError::not_found(STYLE, format!("No comment found with id: {parent}"))),
        }
    }
    let value = storage_of(body).ok_or_else(|| ApiError::bad_request(STYLE, "body.storage is required"))?;
    let comment = Comment::created(container, parent_comment, caller.user, st.now_ms(), value);
    let created = st.store.create_comment(comment).map_err(write_error)?;
    let json = serde_json::json!({
        "id": created.id.to_string(),
        "type": "comment",
        "status": created.status,
        "title": created.title,
        "container": {"id": created.container_id.to_string(), "type": if created.on_blogpost { "blogpost" } else { "page" }},
    });
    Ok(Json(json).into_response())
}

async fn update_content(
    State(st): Shared,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let existing = find(&st, &id)?;
    let body = json_body(&bytes, STYLE)?;
    let (version, message) = version_of(&body, STYLE)?;
    let updated = st
        .store
        .update_content(
            existing.id,
            ContentUpdate {
                version,
                title: str_field(&body, "title").map(str::to_owned),
                body: storage_of(&body),
                status: None,
                parent_id: last_ancestor(&body),
                message,
                author: caller.user,
                now_ms: st.now_ms(),
            },
        )
        .map_err(write_error)?;
    let expand = Expand::parse(vec!["space".into(), "version".into(), "body.storage".into()]);
    Ok(Json(v1_content(&st, &updated, &expand)).into_response())
}

async fn delete_content(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let comment = path_id(&id, STYLE, "content").ok().and_then(|n| st.store.comment(n));
    if let Some(comment) = comment.filter(|c| c.status == "current") {
        st.store.delete_comment(comment.id).map_err(write_error)?;
        return Ok(no_content());
    }
    let content = find(&st, &id)?;
    let purge = Params::parse(uri.query()).get("status") == Some("trashed");
    st.store.delete_content(content.id, purge).map_err(write_error)?;
    Ok(no_content())
}

async fn add_labels(State(st): Shared, uri: OriginalUri, Path(id): Path<String>, bytes: Bytes) -> ApiResult {
    Ok(Json(add_labels_to(&st, &uri, &id, &bytes, STYLE)?).into_response())
}

async fn content_restriction(
    State(st): Shared,
    uri: OriginalUri,
    Path((id, operation)): Path<(String, String)>,
) -> ApiResult {
    Ok(Json(restriction_of(&st, &uri, &id, &operation, STYLE)?).into_response())
}

async fn content_labels(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    Ok(Json(labels_of(&st, &uri, &id, STYLE)?).into_response())
}

async fn remove_label(State(st): Shared, Path((id, label)): Path<(String, String)>) -> ApiResult {
    remove_label_from(&st, &id, &label, STYLE)
}

async fn list_spaces(State(st): Shared, uri: OriginalUri) -> ApiResult {
    Ok(Json(space_list(&st, &uri, STYLE)?).into_response())
}

async fn get_space(State(st): Shared, uri: OriginalUri, Path(key): Path<String>) -> ApiResult {
    let space = st
        .store
        .data
        .space_by_key(&key)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No space with key : {key}")))?;
    let expand = Expand::parse(Params::parse(uri.query()).list("expand"));
    Ok(Json(v1_space(&st, space, &expand)).into_response())
}

async fn get_user(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let params = Params::parse(uri.query());
    let data = &st.store.data;
    let user = if let Some(name) = params.get("username") {
        data.user_by_username(name)
    } else if let Some(key) = params.get("key") {
        (0..data.user_count()).map(|u| data.user(u)).find(|u| u.user_key == key)
    } else {
        return Err(ApiError::bad_request(STYLE, "username or key is required"));
    };
    let user = user.ok_or_else(|| ApiError::not_found(STYLE, "No user found"))?;
    Ok(Json(v1_user(&st, user)).into_response())
}

async fn current_user(State(st): Shared, Extension(caller): Extension<Caller>) -> ApiResult {
    Ok(Json(v1_user(&st, st.store.data.user(caller.user))).into_response())
}

async fn list_groups(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let params = Params::parse(uri.query());
    let (start, limit) = v1_window(&params, 200, 1000, STYLE)?;
    let data = &st.store.data;
    let results: Vec<Value> = (start..data.group_count()).take(limit).map(|g| v1_group(&st, &data.group(g))).collect();
    Ok(Json(v1_list(&st, &site_path(&uri), &params, results, start, limit, start + limit < data.group_count()))
        .into_response())
}

async fn group_members(State(st): Shared, uri: OriginalUri, Path(name): Path<String>) -> ApiResult {
    let group = st
        .store
        .data
        .group_by_name(&name)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No group found with name {name}")))?;
    Ok(Json(member_list(&st, &uri, group.index, 1000)?).into_response())
}

//! Confluence Cloud REST v2 (`/wiki/api/v2`): lists with opaque cursors, single gets, and page, blog post and
//! comment writes. Parameters, limits and defaults follow `confluence-cloud-v2.openapi.json`.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use crate::api::common::{
    id_field, id_page, json_body, no_content, offset_page, path_id, str_field, v2_list, version_of,
};
use crate::api::json::{
    v2_attachment, v2_comment, v2_content, v2_label, v2_page_version, v2_space, v2_task, v2_user, V2Content,
};
use crate::auth::Caller;
use crate::dataset::model::{BodySource, Comment, Content, ContentKind, Task, Version};
use crate::errors::{ApiError, ErrorStyle};
use crate::pagination::{v2_cursor, v2_limit, Cursor};
use crate::params::Params;
use crate::state::SimState;
use crate::store::{ContentFilter, ContentUpdate, WriteError};

const STYLE: ErrorStyle = ErrorStyle::V2;
type Shared = State<Arc<SimState>>;
type ApiResult = Result<Response, ApiError>;

/// The v2 routes.
pub fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/wiki/api/v2/spaces", get(list_spaces))
        .route("/wiki/api/v2/spaces/{id}", get(get_space))
        .route("/wiki/api/v2/spaces/{id}/pages", get(list_space_pages))
        .route("/wiki/api/v2/spaces/{id}/blogposts", get(list_space_blogposts))
        .route("/wiki/api/v2/pages", get(list_pages).post(create_page))
        .route("/wiki/api/v2/pages/{id}", get(get_page).put(update_page).delete(delete_page))
        .route("/wiki/api/v2/pages/{id}/labels", get(list_page_labels))
        .route("/wiki/api/v2/pages/{id}/versions", get(list_page_versions))
        .route("/wiki/api/v2/pages/{id}/footer-comments", get(list_page_footer_comments))
        .route("/wiki/api/v2/pages/{id}/inline-comments", get(list_page_inline_comments))
        .route("/wiki/api/v2/blogposts", get(list_blogposts).post(create_blogpost))
        .route("/wiki/api/v2/blogposts/{id}", get(get_blogpost).put(update_blogpost).delete(delete_blogpost))
        .route("/wiki/api/v2/footer-comments", get(list_footer_comments).post(create_footer_comment))
        .route("/wiki/api/v2/footer-comments/{id}", get(get_footer_comment).delete(delete_footer_comment))
        .route("/wiki/api/v2/inline-comments", get(list_inline_comments))
        .route("/wiki/api/v2/inline-comments/{id}", get(get_inline_comment))
        .route("/wiki/api/v2/attachments", get(list_attachments))
        .route("/wiki/api/v2/attachments/{id}", get(get_attachment))
        .route("/wiki/api/v2/labels", get(list_labels))
        .route("/wiki/api/v2/tasks", get(list_tasks))
        .route("/wiki/api/v2/tasks/{id}", get(get_task))
        .route("/wiki/api/v2/users-bulk", axum::routing::post(users_bulk))
}

fn params(uri: &OriginalUri) -> Params {
    Params::parse(uri.query())
}

// ---- spaces ----

async fn list_spaces(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let p = params(&uri);
    let limit = v2_limit(&p, 25, 250)?;
    let cursor = v2_cursor(&p)?;
    let ids: BTreeSet<u64> = p.ids("ids", 250, STYLE)?.into_iter().collect();
    let keys = p.list("keys");
    if keys.len() > 250 {
        return Err(ApiError::bad_request(STYLE, "Parameter 'keys' accepts at most 250 values"));
    }
    let space_type = p.choice("type", &["global", "collaboration", "knowledge_base", "personal"], STYLE)?;
    let status = p.choice("status", &["current", "archived"], STYLE)?;
    let sort = p.choice("sort", &["id", "-id", "key", "-key", "name", "-name"], STYLE)?.unwrap_or("id");
    let description = p.choice("description-format", &["plain", "view"], STYLE)?;
    let data = &st.store.data;
    let mut spaces: Vec<_> = (0..data.space_count())
        .map(|s| data.space(s))
        .filter(|s| ids.is_empty() || ids.contains(&s.id))
        .filter(|s| keys.is_empty() || keys.iter().any(|k| k == &s.key))
        .filter(|s| space_type.is_none_or(|t| t == s.space_type || (t == "collaboration" && s.space_type == "global")))
        .filter(|s| status.is_none_or(|t| t == s.status))
        .collect();
    let (page, next) = match (sort, cursor) {
        ("id", cursor) => {
            let after = match cursor {
                Some(Cursor::After(id)) => id,
                Some(Cursor::Offset(_)) => return Err(ApiError::bad_request(STYLE, "Invalid cursor")),
                None => 0,
            };
            let items: Vec<_> =
                spaces.into_iter().filter(|s| cursor.is_none() || s.id > after).take(limit + 1).collect();
            id_page(items, limit, |s| s.id)
        }
        (sort, cursor) => {
            let offset = offset_of(cursor)?;
            spaces.sort_by(|a, b| match sort.trim_start_matches('-') {
                "key" => a.key.cmp(&b.key),
                "name" => a.name.cmp(&b.name),
                _ => a.id.cmp(&b.id),
            });
            if sort.starts_with('-') {
                spaces.reverse();
            }
            offset_page(spaces, offset, limit)
        }
    };
    let results = page.iter().map(|s| v2_space(&st, s, description)).collect();
    Ok(v2_list(&st, &uri, &p, results, next))
}

/// Orders by creation time then id, descending when `sort` starts with `-` (`created-date`, `-created-date`;
/// the simulator's modification dates follow creation for comments and attachments).
fn by_created(sort: &str, a: (i64, u64), b: (i64, u64)) -> Ordering {
    let ordering = a.cmp(&b);
    if sort.starts_with('-') {
        ordering.reverse()
    } else {
        ordering
    }
}

fn offset_of(cursor: Option<Cursor>) -> Result<usize, ApiError> {
    match cursor {
        None => Ok(0),
        Some(Cursor::Offset(n)) => Ok(n as usize),
        Some(Cursor::After(_)) => Err(ApiError::bad_request(STYLE, "Invalid cursor")),
    }
}

async fn get_space(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let p = params(&uri);
    let description = p.choice("description-format", &["plain", "view"], STYLE)?;
    let space = st
        .store
        .data
        .space_by_id(path_id(&id, STYLE, "space")?)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No space found with id {id}")))?;
    Ok(Json(v2_space(&st, space, description)).into_response())
}

// ---- pages and blog posts ----

const PAGE_SORTS: &[&str] =
    &["id", "-id", "created-date", "-created-date", "modified-date", "-modified-date", "title", "-title"];

fn content_order(sort: &str) -> impl Fn(&Content, &Content) -> Ordering + '_ {
    move |a, b| {
        let ordering = match sort.trim_start_matches('-') {
            "created-date" => a.created_ms.cmp(&b.created_ms),
            "modified-date" => a.version.created_ms.cmp(&b.version.created_ms),
            "title" => a.title.cmp(&b.title),
            _ => a.id.cmp(&b.id),
        }
        .then(a.id.cmp(&b.id));
        if sort.starts_with('-') {
            ordering.reverse()
        } else {
            ordering
        }
    }
}

/// Lists pages or blog posts; `space` comes from `/spaces/{id}/pages`.
fn list_content(st: &SimState, uri: &OriginalUri, kind: ContentKind, space: Option<usize>) -> ApiResult {
    let p = params(uri);
    let limit = v2_limit(&p, 25, 250)?;
    let cursor = v2_cursor(&p)?;
    let (statuses, sorts): (&[&str], &[&str]) = match kind {
        ContentKind::BlogPost => (&["current", "deleted", "trashed", "draft", "any"], &PAGE_SORTS[..6]),
        _ => (&["current", "archived", "deleted", "trashed", "draft", "any"], PAGE_SORTS),
    };
    let status = p.list("status");
    if let Some(bad) = status.iter().find(|s| !statuses.contains(&s.as_str())) {
        return Err(ApiError::bad_request(
            STYLE,
            format!("Invalid value '{bad}' for parameter 'status'. Allowed: {}", statuses.join(", ")),
        ));
    }
    // `none` is not in the published enum, but clients send it (atlassian-python-api does) and the service accepts it.
    let body_format =
        p.choice("body-format", &["storage", "atlas_doc_format", "none"], STYLE)?.filter(|f| *f != "none");
    let sort = p.choice("sort", sorts, STYLE)?.unwrap_or("id");
    let mut filter = ContentFilter {
        statuses: if status.is_empty() && kind == ContentKind::BlogPost { vec!["current".to_owned()] } else { status },
        title: p.get("title").map(str::to_owned),
        ..ContentFilter::default()
    };
    let ids = p.ids("id", 250, STYLE)?;
    if !ids.is_empty() {
        filter.ids = Some(ids.into_iter().collect());
    }
    let data = &st.store.data;
    filter.spaces = match space {
        Some(s) => Some(vec![s]),
        None => {
            let space_ids = p.ids("space-id", 100, STYLE)?;
            if space_ids.is_empty() {
                None
            } else {
                Some(space_ids.iter().filter_map(|id| data.space_by_id(*id)).map(|s| s.index).collect())
            }
        }
    };
    let root_only = p.choice("depth", &["all", "root"], STYLE)? == Some("root");
    let keep_root = |c: &Content| !root_only || c.parent_id.is_none();
    let (page, next) = if sort == "id" {
        let after = match cursor {
            Some(Cursor::After(id)) => Some(id),
            Some(Cursor::Offset(_)) => return Err(ApiError::bad_request(STYLE, "Invalid cursor")),
            None => None,
        };
        let mut items = Vec::new();
        let mut from = after;
        // Scan in chunks so a `depth=root` filter cannot starve a page.
        loop {
            let chunk = st.store.scan_content(kind, &filter, from, limit + 1);
            let exhausted = chunk.len() <= limit;
            from = chunk.last().map(|c| c.id).or(from);
            items.extend(chunk.into_iter().filter(keep_root));
            if items.len() > limit || exhausted {
                break;
            }
        }
        id_page(items, limit, |c| c.id)
    } else {
        let offset = offset_of(cursor)?;
        let mut all: Vec<Content> =
            st.store.scan_content(kind, &filter, None, usize::MAX).into_iter().filter(keep_root).collect();
        all.sort_by(content_order(sort));
        offset_page(all, offset, limit)
    };
    let results: Vec<V2Content<'_>> = page.iter().map(|c| V2Content::new(st, c, body_format)).collect();
    Ok(v2_list(st, uri, &p, results, next))
}

async fn list_pages(State(st): Shared, uri: OriginalUri) -> ApiResult {
    list_content(&st, &uri, ContentKind::Page, None)
}

async fn list_blogposts(State(st): Shared, uri: OriginalUri) -> ApiResult {
    list_content(&st, &uri, ContentKind::BlogPost, None)
}

fn space_index(st: &SimState, id: &str) -> Result<usize, ApiError> {
    st.store
        .data
        .space_by_id(path_id(id, STYLE, "space")?)
        .map(|s| s.index)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No space found with id {id}")))
}

async fn list_space_pages(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let s = space_index(&st, &id)?;
    list_content(&st, &uri, ContentKind::Page, Some(s))
}

async fn list_space_blogposts(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let s = space_index(&st, &id)?;
    list_content(&st, &uri, ContentKind::BlogPost, Some(s))
}

fn find_content(st: &SimState, id: &str, kind: ContentKind) -> Result<Content, ApiError> {
    let what = if kind == ContentKind::Page { "page" } else { "blog post" };
    st.store
        .content(path_id(id, STYLE, what)?)
        .filter(|c| c.kind == kind && c.status != "deleted")
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No {what} found with id {id}")))
}

fn get_content(st: &SimState, uri: &OriginalUri, id: &str, kind: ContentKind) -> ApiResult {
    let p = params(uri);
    let body_format = p.choice(
        "body-format",
        &["storage", "atlas_doc_format", "view", "export_view", "anonymous_export_view", "styled_view", "editor"],
        STYLE,
    )?;
    let content = find_content(st, id, kind)?;
    let mut v = v2_content(st, &content, body_format);
    if p.bool("include-labels", false, STYLE)? {
        let labels: Vec<Value> =
            content.labels.iter().map(|l| v2_label(st.store.label_id(l).unwrap_or(0), l)).collect();
        v["labels"] = json!({"results": labels, "meta": {"hasMore": false, "cursor": null}, "_links": {}});
    }
    Ok(Json(v).into_response())
}

async fn get_page(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    get_content(&st, &uri, &id, ContentKind::Page)
}

async fn get_blogpost(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    get_content(&st, &uri, &id, ContentKind::BlogPost)
}

fn storage_value(body: &Value) -> Result<Option<String>, ApiError> {
    match body.get("body") {
        None | Some(Value::Null) => Ok(None),
        Some(b) => {
            let representation = str_field(b, "representation").unwrap_or("storage");
            if representation != "storage" {
                return Err(ApiError::bad_request(
                    STYLE,
                    format!("Body representation '{representation}' is not supported; use storage"),
                ));
            }
            Ok(Some(str_field(b, "value").unwrap_or_default().to_owned()))
        }
    }
}

fn write_error(e: WriteError) -> ApiError {
    match e {
        WriteError::NotFound(m) => ApiError::not_found(STYLE, m),
        WriteError::VersionConflict { .. } => ApiError::new(STYLE, StatusCode::CONFLICT, e.to_string()),
        WriteError::DuplicateTitle => ApiError::bad_request(STYLE, e.to_string()),
        WriteError::BadRequest(m) => ApiError::bad_request(STYLE, m),
    }
}

fn create_content(st: &SimState, caller: &Caller, bytes: &[u8], kind: ContentKind) -> ApiResult {
    let body = json_body(bytes, STYLE)?;
    let space_id = id_field(&body, "spaceId").ok_or_else(|| ApiError::bad_request(STYLE, "spaceId is required"))?;
    let space = st
        .store
        .data
        .space_by_id(space_id)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No space found with id {space_id}")))?;
    let status = str_field(&body, "status").unwrap_or("current");
    if status != "current" && status != "draft" {
        return Err(ApiError::bad_request(STYLE, format!("Invalid status '{status}': use current or draft")));
    }
    let title = str_field(&body, "title").unwrap_or_default().to_owned();
    if title.trim().is_empty() && status == "current" {
        return Err(ApiError::bad_request(STYLE, "Title is required for a published page"));
    }
    let parent_id = match (kind, id_field(&body, "parentId")) {
        (ContentKind::Page, Some(parent)) => {
            let parent_page = st.store.content(parent).filter(|c| c.kind == ContentKind::Page && c.status == "current");
            match parent_page {
                Some(p) if p.space == space.index => Some(parent),
                Some(_) => return Err(ApiError::bad_request(STYLE, "The parent page must be in the same space")),
                None => return Err(ApiError::not_found(STYLE, format!("No parent page found with id {parent}"))),
            }
        }
        (ContentKind::Page, None) => space.homepage_id,
        _ => None,
    };
    let storage = storage_value(&body)?.unwrap_or_default();
    let content = Content::created(kind, space.index, title, status, parent_id, caller.user, st.now_ms(), storage);
    let created = st.store.create_content(content).map_err(write_error)?;
    Ok(Json(v2_content(st, &created, Some("storage"))).into_response())
}

async fn create_page(State(st): Shared, Extension(caller): Extension<Caller>, bytes: Bytes) -> ApiResult {
    create_content(&st, &caller, &bytes, ContentKind::Page)
}

async fn create_blogpost(State(st): Shared, Extension(caller): Extension<Caller>, bytes: Bytes) -> ApiResult {
    create_content(&st, &caller, &bytes, ContentKind::BlogPost)
}

fn update_content(st: &SimState, caller: &Caller, id: &str, bytes: &[u8], kind: ContentKind) -> ApiResult {
    let existing = find_content(st, id, kind)?;
    let body = json_body(bytes, STYLE)?;
    let (version, message) = version_of(&body, STYLE)?;
    let status = match str_field(&body, "status") {
        None => None,
        Some(s @ ("current" | "draft" | "archived")) => Some(s.to_owned()),
        Some(other) => return Err(ApiError::bad_request(STYLE, format!("Invalid status '{other}'"))),
    };
    let updated = st
        .store
        .update_content(
            existing.id,
            ContentUpdate {
                version,
                title: str_field(&body, "title").map(str::to_owned),
                body: storage_value(&body)?,
                status,
                message,
                author: caller.user,
                now_ms: st.now_ms(),
            },
        )
        .map_err(write_error)?;
    Ok(Json(v2_content(st, &updated, Some("storage"))).into_response())
}

async fn update_page(
    State(st): Shared,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    update_content(&st, &caller, &id, &bytes, ContentKind::Page)
}

async fn update_blogpost(
    State(st): Shared,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    update_content(&st, &caller, &id, &bytes, ContentKind::BlogPost)
}

fn delete_content(st: &SimState, uri: &OriginalUri, id: &str, kind: ContentKind) -> ApiResult {
    let content = find_content(st, id, kind)?;
    let purge = params(uri).bool("purge", false, STYLE)?;
    st.store.delete_content(content.id, purge).map_err(write_error)?;
    Ok(no_content())
}

async fn delete_page(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    delete_content(&st, &uri, &id, ContentKind::Page)
}

async fn delete_blogpost(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    delete_content(&st, &uri, &id, ContentKind::BlogPost)
}

async fn list_page_labels(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let p = params(&uri);
    let limit = v2_limit(&p, 25, 250)?;
    let offset = offset_of(v2_cursor(&p)?)?;
    let prefix = p.choice("prefix", &["my", "team", "global", "system"], STYLE)?;
    let page = find_content(&st, &id, ContentKind::Page)?;
    let labels: Vec<(u64, String)> = if prefix.is_none_or(|p| p == "global") {
        page.labels.iter().map(|l| (st.store.label_id(l).unwrap_or(0), l.clone())).collect()
    } else {
        Vec::new()
    };
    let (labels, next) = offset_page(labels, offset, limit);
    Ok(v2_list(&st, &uri, &p, labels.iter().map(|(id, n)| v2_label(*id, n)).collect(), next))
}

async fn list_page_versions(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let p = params(&uri);
    let limit = v2_limit(&p, 25, 250)?;
    let offset = offset_of(v2_cursor(&p)?)?;
    p.choice("body-format", &["storage", "atlas_doc_format"], STYLE)?;
    let sort = p.choice("sort", &["modified-date", "-modified-date"], STYLE)?.unwrap_or("-modified-date");
    let page = find_content(&st, &id, ContentKind::Page)?;
    let mut versions = st.store.data.versions(&page);
    if page.version.number as usize != versions.len() {
        // Updated through the API: the generated history plus the new current version.
        versions.retain(|v| v.number < page.version.number);
        versions.push(page.version.clone());
    }
    if sort == "-modified-date" {
        versions.reverse();
    }
    let (versions, next) = offset_page(versions, offset, limit);
    Ok(v2_list(&st, &uri, &p, versions.iter().map(|v| v2_page_version(&st, &page, v)).collect(), next))
}

// ---- comments ----

fn list_comments(st: &SimState, uri: &OriginalUri, kind: ContentKind, page: Option<u64>) -> ApiResult {
    let p = params(uri);
    let limit = v2_limit(&p, 25, 250)?;
    let cursor = v2_cursor(&p)?;
    let body_format = p.choice("body-format", &["storage", "atlas_doc_format"], STYLE)?;
    let sort = p.choice("sort", &["created-date", "-created-date", "modified-date", "-modified-date"], STYLE)?;
    let (page_items, next) = match sort {
        None => {
            let after = match cursor {
                Some(Cursor::After(id)) => Some(id),
                Some(Cursor::Offset(_)) => return Err(ApiError::bad_request(STYLE, "Invalid cursor")),
                None => None,
            };
            id_page(st.store.scan_comments(kind, page, after, limit + 1), limit, |c| c.id)
        }
        Some(sort) => {
            let mut all = st.store.scan_comments(kind, page, None, usize::MAX);
            all.sort_by(|a, b| by_created(sort, (a.created_ms, a.id), (b.created_ms, b.id)));
            offset_page(all, offset_of(cursor)?, limit)
        }
    };
    Ok(v2_list(st, uri, &p, page_items.iter().map(|c| v2_comment(st, c, body_format)).collect(), next))
}

async fn list_footer_comments(State(st): Shared, uri: OriginalUri) -> ApiResult {
    list_comments(&st, &uri, ContentKind::FooterComment, None)
}

async fn list_inline_comments(State(st): Shared, uri: OriginalUri) -> ApiResult {
    list_comments(&st, &uri, ContentKind::InlineComment, None)
}

async fn list_page_footer_comments(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let page = find_content(&st, &id, ContentKind::Page)?;
    list_comments(&st, &uri, ContentKind::FooterComment, Some(page.id))
}

async fn list_page_inline_comments(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let page = find_content(&st, &id, ContentKind::Page)?;
    list_comments(&st, &uri, ContentKind::InlineComment, Some(page.id))
}

fn find_comment(st: &SimState, id: &str, kind: ContentKind) -> Result<Comment, ApiError> {
    st.store
        .comment(path_id(id, STYLE, "comment")?)
        .filter(|c| c.kind == kind && c.status == "current")
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No comment found with id {id}")))
}

async fn get_footer_comment(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let format = params(&uri).choice("body-format", &["storage", "atlas_doc_format", "view"], STYLE)?;
    Ok(Json(v2_comment(&st, &find_comment(&st, &id, ContentKind::FooterComment)?, format)).into_response())
}

async fn get_inline_comment(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let format = params(&uri).choice("body-format", &["storage", "atlas_doc_format", "view"], STYLE)?;
    Ok(Json(v2_comment(&st, &find_comment(&st, &id, ContentKind::InlineComment)?, format)).into_response())
}

async fn create_footer_comment(State(st): Shared, Extension(caller): Extension<Caller>, bytes: Bytes) -> ApiResult {
    let body = json_body(&bytes, STYLE)?;
    let parent_comment = id_field(&body, "parentCommentId");
    let container = match (id_field(&body, "pageId"), id_field(&body, "blogPostId"), parent_comment) {
        (Some(id), _, _) | (None, Some(id), _) => id,
        (None, None, Some(parent)) => st
            .store
            .comment(parent)
            .map(|c| c.container_id)
            .ok_or_else(|| ApiError::not_found(STYLE, format!("No comment found with id {parent}")))?,
        _ => return Err(ApiError::bad_request(STYLE, "One of pageId, blogPostId or parentCommentId is required")),
    };
    let value = storage_value(&body)?.ok_or_else(|| ApiError::bad_request(STYLE, "body is required"))?;
    let now = st.now_ms();
    let comment = Comment {
        id: 0,
        kind: ContentKind::FooterComment,
        container_id: container,
        on_blogpost: false,
        parent_comment_id: parent_comment,
        title: String::new(),
        status: "current".to_owned(),
        author: caller.user,
        created_ms: now,
        version: Version { number: 1, created_ms: now, message: String::new(), minor_edit: false, author: caller.user },
        body: BodySource::Stored(value),
        resolution: None,
    };
    let created = st.store.create_comment(comment).map_err(write_error)?;
    Ok((StatusCode::CREATED, Json(v2_comment(&st, &created, Some("storage")))).into_response())
}

async fn delete_footer_comment(State(st): Shared, Path(id): Path<String>) -> ApiResult {
    let comment = find_comment(&st, &id, ContentKind::FooterComment)?;
    st.store.delete_comment(comment.id).map_err(write_error)?;
    Ok(no_content())
}

// ---- attachments, labels, tasks, users ----

async fn list_attachments(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let p = params(&uri);
    let limit = v2_limit(&p, 50, 250)?;
    let cursor = v2_cursor(&p)?;
    let sort = p.choice("sort", &["created-date", "-created-date", "modified-date", "-modified-date"], STYLE)?;
    let statuses = p.list("status");
    let media_type = p.get("mediaType").map(str::to_owned);
    let filename = p.get("filename").map(str::to_owned);
    let keep = |a: &crate::dataset::model::Attachment| {
        (statuses.is_empty() || statuses.iter().any(|s| s == a.status))
            && media_type.as_ref().is_none_or(|m| m == a.media_type)
            && filename.as_ref().is_none_or(|f| f == &a.title)
    };
    let (items, next) = match sort {
        None => {
            let mut after = match cursor {
                Some(Cursor::After(id)) => Some(id),
                Some(Cursor::Offset(_)) => return Err(ApiError::bad_request(STYLE, "Invalid cursor")),
                None => None,
            };
            let mut items = Vec::new();
            loop {
                let chunk = st.store.scan_attachments(None, after, 1_000);
                let exhausted = chunk.len() < 1_000;
                after = chunk.last().map(|a| a.id).or(after);
                items.extend(chunk.into_iter().filter(keep));
                if items.len() > limit || exhausted {
                    break;
                }
            }
            id_page(items, limit, |a| a.id)
        }
        Some(sort) => {
            let mut all: Vec<_> = st.store.scan_attachments(None, None, usize::MAX).into_iter().filter(keep).collect();
            all.sort_by(|a, b| by_created(sort, (a.created_ms, a.id), (b.created_ms, b.id)));
            offset_page(all, offset_of(cursor)?, limit)
        }
    };
    Ok(v2_list(&st, &uri, &p, items.iter().map(|a| v2_attachment(&st, a)).collect(), next))
}

async fn get_attachment(State(st): Shared, Path(id): Path<String>) -> ApiResult {
    let numeric = id.strip_prefix("att").unwrap_or(&id);
    let attachment = numeric
        .parse::<u64>()
        .ok()
        .and_then(|n| match st.store.data.decode_content_id(n) {
            Some((ContentKind::Attachment, i)) => Some(st.store.data.attachment(i)),
            _ => None,
        })
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No attachment found with id {id}")))?;
    Ok(Json(v2_attachment(&st, &attachment)).into_response())
}

async fn list_labels(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let p = params(&uri);
    let limit = v2_limit(&p, 25, 250)?;
    let cursor = v2_cursor(&p)?;
    let ids: BTreeSet<u64> = p.ids("label-id", 250, STYLE)?.into_iter().collect();
    let prefixes = p.list("prefix");
    let after = match cursor {
        Some(Cursor::After(id)) => id,
        Some(Cursor::Offset(_)) => return Err(ApiError::bad_request(STYLE, "Invalid cursor")),
        None => 0,
    };
    let items: Vec<(u64, String)> = st
        .store
        .labels()
        .into_iter()
        .filter(|(id, _)| ids.is_empty() || ids.contains(id))
        .filter(|_| prefixes.is_empty() || prefixes.iter().any(|p| p == "global"))
        .filter(|(id, _)| cursor.is_none() || *id > after)
        .take(limit + 1)
        .collect();
    let (items, next) = id_page(items, limit, |(id, _)| *id);
    Ok(v2_list(&st, &uri, &p, items.iter().map(|(id, n)| v2_label(*id, n)).collect(), next))
}

struct TaskFilter {
    status: Option<&'static str>,
    task_ids: Vec<u64>,
    space_ids: Vec<u64>,
    page_ids: Vec<u64>,
    created_by: Vec<String>,
    assigned_to: Vec<String>,
    completed_by: Vec<String>,
    ranges: Vec<(&'static str, Option<u64>, Option<u64>)>,
}

impl TaskFilter {
    fn parse(p: &Params) -> Result<TaskFilter, ApiError> {
        let mut ranges = Vec::new();
        for field in ["created-at", "due-at", "completed-at"] {
            let from = p.u64(&format!("{field}-from"), STYLE)?;
            let to = p.u64(&format!("{field}-to"), STYLE)?;
            ranges.push((field, from, to));
        }
        Ok(TaskFilter {
            status: p.choice("status", &["complete", "incomplete"], STYLE)?,
            task_ids: p.ids("task-id", 250, STYLE)?,
            space_ids: p.ids("space-id", 250, STYLE)?,
            page_ids: p.ids("page-id", 250, STYLE)?,
            created_by: p.list("created-by"),
            assigned_to: p.list("assigned-to"),
            completed_by: p.list("completed-by"),
            ranges,
        })
    }

    fn keeps(&self, st: &SimState, t: &Task) -> bool {
        let data = &st.store.data;
        let account = |u: Option<usize>| u.map(|u| data.user(u).account_id.clone());
        let in_list =
            |list: &Vec<String>, u: Option<usize>| list.is_empty() || account(u).is_some_and(|a| list.contains(&a));
        let in_range = |(field, from, to): &(&str, Option<u64>, Option<u64>)| {
            let at = match *field {
                "created-at" => Some(t.created_ms),
                "due-at" => t.due_ms,
                _ => t.completed_ms,
            };
            (from.is_none() && to.is_none())
                || at.is_some_and(|at| from.is_none_or(|f| at >= f as i64) && to.is_none_or(|e| at <= e as i64))
        };
        self.status.is_none_or(|s| s == t.status)
            && (self.task_ids.is_empty() || self.task_ids.contains(&t.id))
            && (self.space_ids.is_empty() || self.space_ids.contains(&data.space(t.space).id))
            && (self.page_ids.is_empty() || self.page_ids.contains(&t.page_id))
            && in_list(&self.created_by, Some(t.created_by))
            && in_list(&self.assigned_to, t.assigned_to)
            && in_list(&self.completed_by, t.completed_by)
            && self.ranges.iter().all(in_range)
    }
}

async fn list_tasks(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let p = params(&uri);
    let limit = v2_limit(&p, 25, 250)?;
    let after = match v2_cursor(&p)? {
        Some(Cursor::After(id)) => Some(id),
        Some(Cursor::Offset(_)) => return Err(ApiError::bad_request(STYLE, "Invalid cursor")),
        None => None,
    };
    let body_format = p.choice("body-format", &["storage", "atlas_doc_format"], STYLE)?;
    let filter = TaskFilter::parse(&p)?;
    let items = st.store.scan_tasks(after, limit + 1, &|t| filter.keeps(&st, t));
    let (items, next) = id_page(items, limit, |t| t.id);
    Ok(v2_list(&st, &uri, &p, items.iter().map(|t| v2_task(&st, t, body_format)).collect(), next))
}

async fn get_task(State(st): Shared, uri: OriginalUri, Path(id): Path<String>) -> ApiResult {
    let format = params(&uri).choice("body-format", &["storage", "atlas_doc_format"], STYLE)?;
    let n = path_id(&id, STYLE, "task")?;
    let task = n
        .checked_sub(crate::dataset::TASK_BASE)
        .filter(|i| *i < st.store.data.task_count())
        .map(|i| st.store.data.task(i))
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No task found with id {id}")))?;
    Ok(Json(v2_task(&st, &task, format)).into_response())
}

async fn users_bulk(State(st): Shared, bytes: Bytes) -> ApiResult {
    let body = json_body(&bytes, STYLE)?;
    let ids: Vec<String> = body
        .get("accountIds")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .ok_or_else(|| ApiError::bad_request(STYLE, "accountIds is required"))?;
    if ids.is_empty() || ids.len() > 250 {
        return Err(ApiError::bad_request(STYLE, "accountIds must have between 1 and 250 entries"));
    }
    let results: Vec<Value> = ids.iter().filter_map(|id| st.store.data.user_by_account_id(id)).map(v2_user).collect();
    Ok(Json(json!({"results": results, "_links": {"base": st.wiki_base()}})).into_response())
}

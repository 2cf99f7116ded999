//! `/pages` and `/blogposts`: lists (also per space), gets, creates, updates and deletes, labels and versions.

use super::*;

pub(super) const PAGE_SORTS: &[&str] =
    &["id", "-id", "created-date", "-created-date", "modified-date", "-modified-date", "title", "-title"];

pub(super) fn content_order(sort: &str) -> impl Fn(&Content, &Content) -> Ordering + '_ {
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

/// Which pages or blog posts a list holds.
pub(super) enum Listed {
    /// The site's (`/pages`).
    Site,
    /// A space's (`/spaces/{id}/pages`).
    Space(usize),
    /// A label's (`/labels/{id}/pages`): current content only, and no status, id, title or depth parameter (the
    /// endpoint has none; the simulator assumes the label's current content, as a CQL `label =` search finds).
    Label(String),
}

/// Lists pages or blog posts.
pub(super) fn list_content(st: &SimState, uri: &OriginalUri, kind: ContentKind, listed: Listed) -> ApiResult {
    let p = params(uri);
    let (space, label) = match listed {
        Listed::Site => (None, None),
        Listed::Space(space) => (Some(space), None),
        Listed::Label(label) => (None, Some(label)),
    };
    let limit = v2_limit(&p, 25, 250)?;
    let cursor = v2_cursor(&p)?;
    let (statuses, sorts): (&[&str], &[&str]) = match kind {
        ContentKind::BlogPost => (&["current", "deleted", "trashed", "draft", "any"], &PAGE_SORTS[..6]),
        _ => (&["current", "archived", "deleted", "trashed", "draft", "any"], PAGE_SORTS),
    };
    let status = if label.is_some() { vec!["current".to_owned()] } else { p.list("status") };
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
        title: p.get("title").filter(|_| label.is_none()).map(str::to_owned),
        label: label.clone(),
        ..ContentFilter::default()
    };
    let ids = if label.is_some() { Vec::new() } else { p.ids("id", 250, STYLE)? };
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
    let root_only = label.is_none() && p.choice("depth", &["all", "root"], STYLE)? == Some("root");
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

pub(super) async fn list_pages(State(st): Shared, uri: OriginalUri) -> ApiResult {
    list_content(&st, &uri, ContentKind::Page, Listed::Site)
}

pub(super) async fn list_blogposts(State(st): Shared, uri: OriginalUri) -> ApiResult {
    list_content(&st, &uri, ContentKind::BlogPost, Listed::Site)
}

pub(super) fn space_index(st: &SimState, id: &str) -> Result<usize, ApiError> {
    st.store
        .data
        .space_by_id(path_id(id, STYLE, "space")?)
        .map(|s| s.index)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No space found with id {id}")))
}

pub(super) async fn list_space_pages(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let s = space_index(&st, &id)?;
    list_content(&st, &uri, ContentKind::Page, Listed::Space(s))
}

pub(super) async fn list_space_blogposts(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let s = space_index(&st, &id)?;
    list_content(&st, &uri, ContentKind::BlogPost, Listed::Space(s))
}

pub(super) fn find_content(st: &SimState, id: &str, kind: ContentKind) -> Result<Content, ApiError> {
    let what = if kind == ContentKind::Page { "page" } else { "blog post" };
    st.store
        .content(path_id(id, STYLE, what)?)
        .filter(|c| c.kind == kind && c.status != "deleted")
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No {what} found with id {id}")))
}

pub(super) fn get_content(st: &SimState, uri: &OriginalUri, id: &str, kind: ContentKind) -> ApiResult {
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

pub(super) async fn get_page(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    get_content(&st, &uri, &id, ContentKind::Page)
}

pub(super) async fn get_blogpost(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    get_content(&st, &uri, &id, ContentKind::BlogPost)
}

pub(super) fn storage_value(body: &Value) -> Result<Option<String>, ApiError> {
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

pub(super) fn write_error(e: WriteError) -> ApiError {
    match e {
        WriteError::NotFound(m) => ApiError::not_found(STYLE, m),
        WriteError::VersionConflict { .. } => ApiError::new(STYLE, StatusCode::CONFLICT, e.to_string()),
        WriteError::DuplicateTitle => ApiError::bad_request(STYLE, e.to_string()),
        WriteError::BadRequest(m) => ApiError::bad_request(STYLE, m),
    }
}

pub(super) fn create_content(st: &SimState, caller: &Caller, bytes: &[u8], kind: ContentKind) -> ApiResult {
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

pub(super) async fn create_page(State(st): Shared, Extension(caller): Extension<Caller>, bytes: Bytes) -> ApiResult {
    create_content(&st, &caller, &bytes, ContentKind::Page)
}

pub(super) async fn create_blogpost(
    State(st): Shared,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> ApiResult {
    create_content(&st, &caller, &bytes, ContentKind::BlogPost)
}

pub(super) fn update_content(st: &SimState, caller: &Caller, id: &str, bytes: &[u8], kind: ContentKind) -> ApiResult {
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
                parent_id: id_field(&body, "parentId"),
                message,
                author: caller.user,
                now_ms: st.now_ms(),
            },
        )
        .map_err(write_error)?;
    Ok(Json(v2_content(st, &updated, Some("storage"))).into_response())
}

pub(super) async fn update_page(
    State(st): Shared,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    bytes: Bytes,
) -> ApiResult {
    update_content(&st, &caller, &id, &bytes, ContentKind::Page)
}

pub(super) async fn update_blogpost(
    State(st): Shared,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    bytes: Bytes,
) -> ApiResult {
    update_content(&st, &caller, &id, &bytes, ContentKind::BlogPost)
}

pub(super) fn delete_content(st: &SimState, uri: &OriginalUri, id: &str, kind: ContentKind) -> ApiResult {
    let content = find_content(st, id, kind)?;
    let purge = params(uri).bool("purge", false, STYLE)?;
    st.store.delete_content(content.id, purge).map_err(write_error)?;
    Ok(no_content())
}

pub(super) async fn delete_page(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    delete_content(&st, &uri, &id, ContentKind::Page)
}

pub(super) async fn delete_blogpost(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    delete_content(&st, &uri, &id, ContentKind::BlogPost)
}

pub(super) async fn list_page_labels(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    list_labels_of(&st, &uri, &id, ContentKind::Page)
}

/// `GET /blogposts/{id}/labels`.
pub(super) async fn list_blogpost_labels(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    list_labels_of(&st, &uri, &id, ContentKind::BlogPost)
}

/// The labels of a page or blog post (v2: offset cursors; only `global` labels exist in the data set).
fn list_labels_of(st: &SimState, uri: &OriginalUri, id: &str, kind: ContentKind) -> ApiResult {
    let p = params(uri);
    let limit = v2_limit(&p, 25, 250)?;
    let offset = offset_of(v2_cursor(&p)?)?;
    let prefix = p.choice("prefix", &["my", "team", "global", "system"], STYLE)?;
    let page = find_content(st, id, kind)?;
    let labels: Vec<(u64, String)> = if prefix.is_none_or(|p| p == "global") {
        page.labels.iter().map(|l| (st.store.label_id(l).unwrap_or(0), l.clone())).collect()
    } else {
        Vec::new()
    };
    let (labels, next) = offset_page(labels, offset, limit);
    Ok(v2_list(st, uri, &p, labels.iter().map(|(id, n)| v2_label(*id, n)).collect(), next))
}

pub(super) async fn list_page_versions(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let p = params(&uri);
    let limit = v2_limit(&p, 25, 250)?;
    let offset = offset_of(v2_cursor(&p)?)?;
    p.choice("body-format", &["storage", "atlas_doc_format"], STYLE)?;
    let sort = p.choice("sort", &["modified-date", "-modified-date"], STYLE)?.unwrap_or("-modified-date");
    let page = find_content(&st, &id, ContentKind::Page)?;
    let mut versions = crate::api::common::version_history(&st, &page);
    if sort == "-modified-date" {
        versions.reverse();
    }
    let (versions, next) = offset_page(versions, offset, limit);
    Ok(v2_list(&st, &uri, &p, versions.iter().map(|v| v2_page_version(&st, &page, v)).collect(), next))
}

/// `GET /pages/{id}/children`: the child pages (current and archived), by position unless `sort` says otherwise.
pub(super) async fn list_page_children(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let p = params(&uri);
    let limit = v2_limit(&p, 25, 250)?;
    let offset = offset_of(v2_cursor(&p)?)?;
    let sorts = ["child-position", "-child-position", "id", "-id", "created-date", "-created-date"];
    let sort = p.choice("sort", &sorts, STYLE)?.unwrap_or("child-position");
    let page = find_content(&st, &id, ContentKind::Page)?;
    let mut children = crate::api::common::child_pages(&st, &page);
    if sort.trim_start_matches('-') != "child-position" {
        children.sort_by(content_order(sort));
    } else if sort.starts_with('-') {
        children.reverse();
    }
    let (children, next) = offset_page(children, offset, limit);
    let results = children
        .iter()
        .map(|c| {
            json!({"id": c.id.to_string(), "status": c.status, "title": c.title, "spaceId": st.store.data.space(c.space).id.to_string(), "childPosition": c.position})
        })
        .collect();
    Ok(v2_list(&st, &uri, &p, results, next))
}

/// `GET /pages/{id}/ancestors`: the pages above, the highest first, with no cursor: when there are more than
/// `limit`, the nearest `limit` come, and the rest are read by asking again for the first one's ancestors.
pub(super) async fn list_page_ancestors(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let p = params(&uri);
    let limit = v2_limit(&p, 25, 250)?;
    let page = find_content(&st, &id, ContentKind::Page)?;
    let chain = crate::api::common::ancestor_pages(&st, &page);
    let nearest = &chain[chain.len().saturating_sub(limit)..];
    let results = nearest.iter().map(|a| json!({"id": a.id.to_string(), "type": "page"})).collect();
    Ok(v2_list(&st, &uri, &p, results, None))
}

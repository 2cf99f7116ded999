//! `/footer-comments` and `/inline-comments`: lists (also per page), gets, and footer-comment writes.

use super::*;

pub(super) fn list_comments(st: &SimState, uri: &OriginalUri, kind: ContentKind, page: Option<u64>) -> ApiResult {
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
            // A page's lists hold its root comments only (replies are the comments' children), as published.
            let mut items = Vec::new();
            let mut after = after;
            loop {
                let chunk = st.store.scan_comments(kind, page, after, limit + 1);
                let exhausted = chunk.len() <= limit;
                after = chunk.last().map(|c| c.id).or(after);
                items.extend(chunk.into_iter().filter(|c| page.is_none() || c.parent_comment_id.is_none()));
                if items.len() > limit || exhausted {
                    break;
                }
            }
            id_page(items, limit, |c| c.id)
        }
        Some(sort) => {
            let mut all = st.store.scan_comments(kind, page, None, usize::MAX);
            all.retain(|c| page.is_none() || c.parent_comment_id.is_none());
            all.sort_by(|a, b| by_created(sort, (a.created_ms, a.id), (b.created_ms, b.id)));
            offset_page(all, offset_of(cursor)?, limit)
        }
    };
    Ok(v2_list(st, uri, &p, page_items.iter().map(|c| v2_comment(st, c, body_format)).collect(), next))
}

pub(super) async fn list_footer_comments(State(st): Shared, uri: OriginalUri) -> ApiResult {
    list_comments(&st, &uri, ContentKind::FooterComment, None)
}

pub(super) async fn list_inline_comments(State(st): Shared, uri: OriginalUri) -> ApiResult {
    list_comments(&st, &uri, ContentKind::InlineComment, None)
}

pub(super) async fn list_page_footer_comments(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let page = find_content(&st, &id, ContentKind::Page)?;
    list_comments(&st, &uri, ContentKind::FooterComment, Some(page.id))
}

pub(super) async fn list_page_inline_comments(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let page = find_content(&st, &id, ContentKind::Page)?;
    list_comments(&st, &uri, ContentKind::InlineComment, Some(page.id))
}

pub(super) fn find_comment(st: &SimState, id: &str, kind: ContentKind) -> Result<Comment, ApiError> {
    st.store
        .comment(path_id(id, STYLE, "comment")?)
        .filter(|c| c.kind == kind && c.status == "current")
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No comment found with id {id}")))
}

pub(super) async fn get_footer_comment(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let format = params(&uri).choice("body-format", &["storage", "atlas_doc_format", "view"], STYLE)?;
    Ok(Json(v2_comment(&st, &find_comment(&st, &id, ContentKind::FooterComment)?, format)).into_response())
}

pub(super) async fn get_inline_comment(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let format = params(&uri).choice("body-format", &["storage", "atlas_doc_format", "view"], STYLE)?;
    Ok(Json(v2_comment(&st, &find_comment(&st, &id, ContentKind::InlineComment)?, format)).into_response())
}

pub(super) async fn create_footer_comment(
    State(st): Shared,
    Extension(caller): Extension<Caller>,
    bytes: Bytes,
) -> ApiResult {
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
    let comment = Comment::created(container, parent_comment, caller.user, st.now_ms(), value);
    let created = st.store.create_comment(comment).map_err(write_error)?;
    Ok((StatusCode::CREATED, Json(v2_comment(&st, &created, Some("storage")))).into_response())
}

pub(super) async fn delete_footer_comment(State(st): Shared, PathId(id): PathId) -> ApiResult {
    let comment = find_comment(&st, &id, ContentKind::FooterComment)?;
    st.store.delete_comment(comment.id).map_err(write_error)?;
    Ok(no_content())
}

pub(super) async fn delete_inline_comment(State(st): Shared, PathId(id): PathId) -> ApiResult {
    let comment = find_comment(&st, &id, ContentKind::InlineComment)?;
    st.store.delete_comment(comment.id).map_err(write_error)?;
    Ok(no_content())
}

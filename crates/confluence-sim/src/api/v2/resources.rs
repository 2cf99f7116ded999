//! `/attachments`, `/labels`, `/tasks` and `POST /users-bulk`.

use super::*;

pub(super) async fn list_attachments(State(st): Shared, uri: OriginalUri) -> ApiResult {
    attachments_of(&st, &uri, None)
}

/// `GET /pages/{id}/attachments`: the attachments of one page.
pub(super) async fn list_page_attachments(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let page = super::content::find_content(&st, &id, ContentKind::Page)?;
    attachments_of(&st, &uri, Some(page.id))
}

fn attachments_of(st: &SimState, uri: &OriginalUri, page: Option<u64>) -> ApiResult {
    let p = params(uri);
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
                let chunk = st.store.scan_attachments(page, after, 1_000);
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
            let mut all: Vec<_> = st.store.scan_attachments(page, None, usize::MAX).into_iter().filter(keep).collect();
            all.sort_by(|a, b| by_created(sort, (a.created_ms, a.id), (b.created_ms, b.id)));
            offset_page(all, offset_of(cursor)?, limit)
        }
    };
    Ok(v2_list(st, uri, &p, items.iter().map(|a| v2_attachment(st, a)).collect(), next))
}

pub(super) async fn get_attachment(State(st): Shared, PathId(id): PathId) -> ApiResult {
    let numeric = id.strip_prefix("att").unwrap_or(&id);
    let attachment = numeric
        .parse::<u64>()
        .ok()
        .and_then(|n| st.store.attachment(n))
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No attachment found with id {id}")))?;
    Ok(Json(v2_attachment(&st, &attachment)).into_response())
}

pub(super) async fn list_labels(State(st): Shared, uri: OriginalUri) -> ApiResult {
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

/// `GET /labels/{id}/pages`: the pages with the label.
pub(super) async fn list_label_pages(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let label = label_name(&st, &id)?;
    content::list_content(&st, &uri, ContentKind::Page, content::Listed::Label(label))
}

/// `GET /labels/{id}/blogposts`: the blog posts with the label.
pub(super) async fn list_label_blogposts(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let label = label_name(&st, &id)?;
    content::list_content(&st, &uri, ContentKind::BlogPost, content::Listed::Label(label))
}

/// The name of the label `id` (a number; 404 when no label has it).
fn label_name(st: &SimState, id: &str) -> Result<String, ApiError> {
    let id = path_id(id, STYLE, "label")?;
    st.store
        .labels()
        .into_iter()
        .find(|(label, _)| *label == id)
        .map(|(_, name)| name)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No label found with id {id}")))
}

pub(super) struct TaskFilter {
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

/// `GET /custom-content?type=...`: one app's content type at a time (`type` is required), optionally only some
/// ids (up to 250) or spaces (up to 100), in id order with a cursor.
pub(super) async fn list_custom_content(State(st): Shared, uri: OriginalUri) -> ApiResult {
    let p = params(&uri);
    let content_type = p
        .get("type")
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ApiError::bad_request(STYLE, "The 'type' query parameter is required"))?;
    // A type no installed app declares is a 404 (a known type without items is an empty list).
    if !crate::dataset::CUSTOM_CONTENT_TYPES.contains(&content_type.as_str()) {
        return Err(ApiError::not_found(STYLE, format!("Custom content type {content_type} not found")));
    }
    let limit = v2_limit(&p, 25, 250)?;
    let after = match v2_cursor(&p)? {
        Some(Cursor::After(id)) => Some(id),
        Some(Cursor::Offset(_)) => return Err(ApiError::bad_request(STYLE, "Invalid cursor")),
        None => None,
    };
    // Cloud sorts by id, title or dates too; the simulator only in id order (the driver sends no other).
    p.choice("sort", &["id"], STYLE)?;
    let body_format = p.choice("body-format", &["storage", "atlas_doc_format", "raw"], STYLE)?;
    let ids = p.ids("id", 250, STYLE)?;
    let space_ids = p.ids("space-id", 100, STYLE)?;
    let data = &st.store.data;
    let first = after.map_or(0, |a| a.checked_sub(crate::dataset::CUSTOM_BASE).map_or(0, |i| i.saturating_add(1)));
    let items: Vec<_> = (first..data.custom_content_count())
        .map(|c| data.custom_content(c))
        .filter(|c| c.content_type == content_type)
        .filter(|c| ids.is_empty() || ids.contains(&c.id))
        .filter(|c| space_ids.is_empty() || space_ids.contains(&data.space(c.space).id))
        .take(limit + 1)
        .collect();
    let (items, next) = id_page(items, limit, |c| c.id);
    // An item whose body is stored (not raw) has no raw representation: its body is then empty, as Cloud sends it.
    let body_format = body_format.filter(|f| *f != "raw");
    Ok(v2_list(&st, &uri, &p, items.iter().map(|c| v2_custom_content(&st, c, body_format)).collect(), next))
}

pub(super) async fn list_tasks(State(st): Shared, uri: OriginalUri) -> ApiResult {
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

pub(super) async fn get_task(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let format = params(&uri).choice("body-format", &["storage", "atlas_doc_format"], STYLE)?;
    let n = path_id(&id, STYLE, "task")?;
    let task = n
        .checked_sub(crate::dataset::TASK_BASE)
        .filter(|i| *i < st.store.data.task_count())
        .map(|i| st.store.data.task(i))
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No task found with id {id}")))?;
    Ok(Json(v2_task(&st, &task, format)).into_response())
}

pub(super) async fn users_bulk(State(st): Shared, bytes: Bytes) -> ApiResult {
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

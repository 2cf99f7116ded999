//! `/spaces`: list and get, with the cursor helpers the other lists share.

use super::*;

pub(super) async fn list_spaces(State(st): Shared, uri: OriginalUri) -> ApiResult {
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
pub(super) fn by_created(sort: &str, a: (i64, u64), b: (i64, u64)) -> Ordering {
    let ordering = a.cmp(&b);
    if sort.starts_with('-') {
        ordering.reverse()
    } else {
        ordering
    }
}

pub(super) fn offset_of(cursor: Option<Cursor>) -> Result<usize, ApiError> {
    match cursor {
        None => Ok(0),
        Some(Cursor::Offset(n)) => Ok(n as usize),
        Some(Cursor::After(_)) => Err(ApiError::bad_request(STYLE, "Invalid cursor")),
    }
}

pub(super) async fn get_space(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    let p = params(&uri);
    let description = p.choice("description-format", &["plain", "view"], STYLE)?;
    let space = st
        .store
        .data
        .space_by_id(path_id(&id, STYLE, "space")?)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No space found with id {id}")))?;
    Ok(Json(v2_space(&st, space, description)).into_response())
}

/// `GET /spaces/{id}/permissions`: the space's permission assignments, each with its principal (a user's account
/// id, a group's id) and operation.
pub(super) async fn list_space_permissions(State(st): Shared, uri: OriginalUri, PathId(id): PathId) -> ApiResult {
    use crate::dataset::model::Principal;
    let p = params(&uri);
    let limit = v2_limit(&p, 25, 250)?;
    let offset = offset_of(v2_cursor(&p)?)?;
    let data = &st.store.data;
    let space = data
        .space_by_id(path_id(&id, STYLE, "space")?)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No space found with id {id}")))?;
    let (grants, next) = offset_page(data.space_permissions(space.index), offset, limit);
    let results = grants
        .iter()
        .map(|g| {
            let (kind, principal) = match g.principal {
                Principal::User(u) => ("user", data.user(u).account_id.clone()),
                Principal::Group(group) => ("group", data.group(group).id),
            };
            json!({
                "id": g.id.to_string(),
                "principal": {"type": kind, "id": principal},
                "operation": {"key": g.operation, "targetType": g.target},
            })
        })
        .collect();
    Ok(v2_list(&st, &uri, &p, results, next))
}

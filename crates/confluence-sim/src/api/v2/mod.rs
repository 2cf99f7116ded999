//! Confluence Cloud REST v2 (`/wiki/api/v2`): lists with opaque cursors, single gets, and page, blog post and
//! comment writes. Parameters, limits and defaults follow `confluence-cloud-v2.openapi.json`.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

use crate::api::common::{
    id_field, id_page, json_body, no_content, offset_page, path_id, str_field, v2_list, version_of, PathId,
};
use crate::api::json::{
    v2_attachment, v2_comment, v2_content, v2_custom_content, v2_label, v2_page_version, v2_space, v2_task, v2_user,
    V2Content,
};
use crate::auth::Caller;
use crate::dataset::model::{Comment, Content, ContentKind, Task};
use crate::errors::{ApiError, ErrorStyle};
use crate::pagination::{v2_cursor, v2_limit, Cursor};
use crate::params::Params;
use crate::state::SimState;
use crate::store::{ContentFilter, ContentUpdate, WriteError};

mod comments;
mod content;
mod resources;
mod spaces;

use comments::*;
use content::*;
use resources::*;
use spaces::*;

const STYLE: ErrorStyle = ErrorStyle::V2;
type Shared = State<Arc<SimState>>;
type ApiResult = Result<Response, ApiError>;

/// The v2 routes.
pub fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/wiki/api/v2/spaces", get(list_spaces))
        .route("/wiki/api/v2/spaces/{id}", get(get_space))
        .route("/wiki/api/v2/spaces/{id}/permissions", get(list_space_permissions))
        .route("/wiki/api/v2/spaces/{id}/pages", get(list_space_pages))
        .route("/wiki/api/v2/spaces/{id}/blogposts", get(list_space_blogposts))
        .route("/wiki/api/v2/pages", get(list_pages).post(create_page))
        .route("/wiki/api/v2/pages/{id}", get(get_page).put(update_page).delete(delete_page))
        .route("/wiki/api/v2/pages/{id}/labels", get(list_page_labels))
        .route("/wiki/api/v2/pages/{id}/versions", get(list_page_versions))
        .route("/wiki/api/v2/pages/{id}/children", get(list_page_children))
        .route("/wiki/api/v2/pages/{id}/ancestors", get(list_page_ancestors))
        .route("/wiki/api/v2/pages/{id}/footer-comments", get(list_page_footer_comments))
        .route("/wiki/api/v2/pages/{id}/inline-comments", get(list_page_inline_comments))
        .route("/wiki/api/v2/blogposts", get(list_blogposts).post(create_blogpost))
        .route("/wiki/api/v2/blogposts/{id}", get(get_blogpost).put(update_blogpost).delete(delete_blogpost))
        .route("/wiki/api/v2/blogposts/{id}/labels", get(list_blogpost_labels))
        .route("/wiki/api/v2/footer-comments", get(list_footer_comments).post(create_footer_comment))
        .route("/wiki/api/v2/footer-comments/{id}", get(get_footer_comment).delete(delete_footer_comment))
        .route("/wiki/api/v2/inline-comments", get(list_inline_comments))
        .route("/wiki/api/v2/inline-comments/{id}", get(get_inline_comment).delete(delete_inline_comment))
        .route("/wiki/api/v2/attachments", get(list_attachments))
        .route("/wiki/api/v2/pages/{id}/attachments", get(resources::list_page_attachments))
        .route("/wiki/api/v2/attachments/{id}", get(get_attachment))
        .route("/wiki/api/v2/labels", get(list_labels))
        .route("/wiki/api/v2/labels/{id}/pages", get(resources::list_label_pages))
        .route("/wiki/api/v2/labels/{id}/blogposts", get(resources::list_label_blogposts))
        .route("/wiki/api/v2/custom-content", get(list_custom_content))
        .route("/wiki/api/v2/tasks", get(list_tasks))
        .route("/wiki/api/v2/tasks/{id}", get(get_task))
        .route("/wiki/api/v2/users-bulk", axum::routing::post(users_bulk))
}

fn params(uri: &OriginalUri) -> Params {
    Params::parse(uri.query())
}

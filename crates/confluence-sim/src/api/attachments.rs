//! Attachment files, both deployments: upload with `POST` (a new file) or `PUT` (a new file, or a new version of the
//! page's file of that name) to `.../rest/api/content/{id}/child/attachment` as `multipart/form-data` (`file`,
//! `comment`, `minorEdit`), refused without the `X-Atlassian-Token: no-check` header that Confluence requires
//! against XSRF; download from the attachment's `download` link: on Data Center that link serves the bytes, on
//! Cloud it redirects (302) to the media service, which serves them to whoever holds the link's token, without
//! credentials.

use std::sync::Arc;

use axum::extract::{Multipart, OriginalUri, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::json;

use crate::api::common::{path_id, PathId, PathPair};
use crate::api::json::{v1_attachment, Expand};
use crate::auth::Caller;
use crate::config::SimDeployment;
use crate::errors::{ApiError, ErrorStyle};
use crate::hash::mix;
use crate::params::Params;
use crate::state::SimState;
use crate::store::WriteError;

const STYLE: ErrorStyle = ErrorStyle::V1;
type Shared = State<Arc<SimState>>;
type ApiResult = Result<Response, ApiError>;

/// The largest file the simulator takes (Confluence's default limit is 100 MB; tests need less).
const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

/// The routes of `deployment` (the media route is outside the API: it needs no credentials).
pub fn routes(deployment: SimDeployment) -> Router<Arc<SimState>> {
    match deployment {
        SimDeployment::Cloud => Router::new()
            .route("/wiki/rest/api/content/{id}/child/attachment", post(upload_new).put(upload_or_version))
            .route("/wiki/download/attachments/{page}/{file}", get(cloud_download)),
        SimDeployment::DataCenter => Router::new()
            .route("/rest/api/content/{id}/child/attachment", post(upload_new).put(upload_or_version))
            .route("/download/attachments/{page}/{file}", get(data_center_download)),
    }
}

/// The media service's route (Cloud), served on its own port (another origin): no credentials, the token in the
/// link instead.
pub fn media_routes() -> Router<Arc<SimState>> {
    Router::new().route("/__media/file/{id}/binary", get(media))
}

async fn upload_new(st: Shared, caller: Extension<Caller>, id: PathId, h: HeaderMap, m: Multipart) -> ApiResult {
    upload(st, caller, id, h, m, false).await
}

async fn upload_or_version(st: Shared, caller: Extension<Caller>, id: PathId, h: HeaderMap, m: Multipart) -> ApiResult {
    upload(st, caller, id, h, m, true).await
}

async fn upload(
    State(st): Shared,
    Extension(caller): Extension<Caller>,
    PathId(id): PathId,
    headers: HeaderMap,
    mut form: Multipart,
    new_version: bool,
) -> ApiResult {
    let token = headers.get("x-atlassian-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !token.eq_ignore_ascii_case("no-check") && !token.eq_ignore_ascii_case("nocheck") {
        return Err(ApiError::new(STYLE, StatusCode::FORBIDDEN, "XSRF check failed"));
    }
    let page = path_id(&id, STYLE, "content")?;
    let bad =
        |e: axum::extract::multipart::MultipartError| ApiError::bad_request(STYLE, format!("Bad multipart body: {e}"));
    let (mut file, mut comment) = (None, String::new());
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "file" => {
                let name = field.file_name().map(str::to_owned).filter(|n| !n.trim().is_empty());
                let name = name.ok_or_else(|| ApiError::bad_request(STYLE, "The file part has no file name"))?;
                let media_type = media_type_of(&name, field.content_type());
                let bytes = field.bytes().await.map_err(bad)?;
                if bytes.len() > MAX_UPLOAD_BYTES {
                    return Err(ApiError::new(STYLE, StatusCode::PAYLOAD_TOO_LARGE, "The file is too large"));
                }
                file = Some((name, media_type, bytes.to_vec()));
            }
            "comment" => comment = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    let (name, media_type, bytes) = file.ok_or_else(|| ApiError::bad_request(STYLE, "No file part in the request"))?;
    let attachment = st
        .store
        .upload_attachment(page, &name, media_type, bytes, comment, caller.user, st.now_ms(), new_version)
        .map_err(|e| match e {
            WriteError::NotFound(m) => ApiError::not_found(STYLE, m),
            other => ApiError::bad_request(STYLE, other.to_string()),
        })?;
    let expand = Expand::parse(vec!["version".into(), "container".into()]);
    let results = vec![v1_attachment(&st, &attachment, &expand)];
    Ok(Json(json!({"results": results, "start": 0, "limit": 1, "size": 1})).into_response())
}

fn media_type_of(name: &str, declared: Option<&str>) -> &'static str {
    let by_extension = match name.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("zip") => "application/zip",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    match declared {
        Some("text/plain") => "text/plain",
        _ => by_extension,
    }
}

/// The attachment a download link names: the file `file` of page `page` (the newest version).
fn linked(st: &SimState, page: &str, file: &str) -> Result<crate::dataset::model::Attachment, ApiError> {
    let page = path_id(page, STYLE, "page")?;
    st.store
        .scan_attachments(Some(page), None, usize::MAX)
        .into_iter()
        .find(|a| a.title == file)
        .ok_or_else(|| ApiError::not_found(STYLE, format!("No attachment {file} on page {page}")))
}

fn media_token(st: &SimState, id: u64, version: u32) -> String {
    format!("{:016x}", mix(st.config.seed, &[0x3ED1A, id, u64::from(version)]))
}

async fn cloud_download(State(st): Shared, PathPair(page, file): PathPair) -> ApiResult {
    let attachment = linked(&st, &page, &file)?;
    let token = media_token(&st, attachment.id, attachment.version.number);
    let location = format!("{}/__media/file/{}/binary?token={token}", st.media_url, attachment.id);
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

async fn media(State(st): Shared, uri: OriginalUri, headers: HeaderMap, PathId(id): PathId) -> ApiResult {
    if headers.contains_key(header::AUTHORIZATION) {
        // The link's token is the credential; a client that sends the site's credentials here leaks them.
        return Err(ApiError::new(
            STYLE,
            StatusCode::UNAUTHORIZED,
            "The media service takes the link's token, not site credentials",
        ));
    }
    let params = Params::parse(uri.query());
    let attachment = id.parse::<u64>().ok().and_then(|n| st.store.attachment(n));
    let attachment = attachment.ok_or_else(|| ApiError::not_found(STYLE, "No such file"))?;
    if params.get("token") != Some(media_token(&st, attachment.id, attachment.version.number).as_str()) {
        return Err(ApiError::new(STYLE, StatusCode::UNAUTHORIZED, "The media token is missing, wrong or expired"));
    }
    Ok(file_response(&st, &attachment))
}

async fn data_center_download(State(st): Shared, Path((page, file)): Path<(String, String)>) -> ApiResult {
    let attachment = linked(&st, &page, &file)?;
    Ok(file_response(&st, &attachment))
}

fn file_response(st: &SimState, attachment: &crate::dataset::model::Attachment) -> Response {
    let bytes = st.store.attachment_bytes(attachment);
    ([(header::CONTENT_TYPE, attachment.media_type)], bytes).into_response()
}

//! Attachment files in and out, as CData's driver has them: `DownloadAttachment` returns a file's bytes (or writes
//! it to a local file, when the connection allows local files) and `UploadAttachment` attaches text or a local file
//! to a page (a new version when the page has a file of that name). Both keep to `Spaces`; uploading is a write,
//! refused on a `ReadOnly` connection.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use confluence_rest::{FileUpload, Method, RequestMetrics, RestError};
use connstr::LocalFiles;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::scalar::ScalarValue;
use serde_json::Value;

use super::{int, one_row, text, ParamSpec, Procedure, ProcedureArgs, ProcedureSpec, ResultColumn};
use crate::exec::ScanContext;
use crate::policy::SqlPolicy;
use crate::write::writer::content_space;
use crate::write::WriteSettings;

/// `DownloadAttachment`.
pub static DOWNLOAD_ATTACHMENT: ProcedureSpec = ProcedureSpec {
    name: "DownloadAttachment",
    description: "The bytes of an attachment (the content column), or, with Path and LocalFiles=ReadWrite, the file written there.",
    params: &[
        ParamSpec { name: "AttachmentId", required: true, description: "the attachment's id, e.g. att123456 (the id column of attachments)" },
        ParamSpec {
            name: "Path",
            required: false,
            description: "a local file to write the attachment to instead of returning it (needs LocalFiles=ReadWrite)",
        },
    ],
    columns: &[
        ResultColumn { name: "attachment_id", data_type: DataType::Utf8, description: "the attachment's id" },
        ResultColumn { name: "file_name", data_type: DataType::Utf8, description: "its file name" },
        ResultColumn { name: "media_type", data_type: DataType::Utf8, description: "its media type" },
        ResultColumn { name: "size", data_type: DataType::Int64, description: "its size in bytes" },
        ResultColumn { name: "content", data_type: DataType::Binary, description: "the bytes (NULL when written to Path)" },
        ResultColumn { name: "path", data_type: DataType::Utf8, description: "the local file written, when Path was given" },
    ],
    before_authorization: false,
    writes: false,
};

/// `UploadAttachment`.
pub static UPLOAD_ATTACHMENT: ProcedureSpec = ProcedureSpec {
    name: "UploadAttachment",
    description: "Attaches a file to a page: Content (text) or a local file (Path, needs LocalFiles=Read); a new version when the page has a file of that name.",
    params: &[
        ParamSpec { name: "PageId", required: true, description: "the page to attach to" },
        ParamSpec { name: "FileName", required: false, description: "the file name (default: the name of Path)" },
        ParamSpec { name: "Content", required: false, description: "the file's content, as text (UTF-8)" },
        ParamSpec { name: "Path", required: false, description: "a local file to upload instead of Content (needs LocalFiles=Read)" },
        ParamSpec { name: "Comment", required: false, description: "the attachment's comment" },
    ],
    columns: &[
        ResultColumn { name: "attachment_id", data_type: DataType::Utf8, description: "the attachment's id" },
        ResultColumn { name: "file_name", data_type: DataType::Utf8, description: "its file name" },
        ResultColumn { name: "version", data_type: DataType::Int64, description: "its version (1 for a new file)" },
        ResultColumn { name: "media_type", data_type: DataType::Utf8, description: "its media type" },
        ResultColumn { name: "size", data_type: DataType::Int64, description: "its size in bytes" },
    ],
    before_authorization: false,
    writes: true,
};

/// The largest file `UploadAttachment` reads from a local path (Confluence's default attachment limit is 100 MB).
const MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;

/// What the attachment procedures work with.
#[derive(Clone, Debug)]
pub struct AttachmentContext {
    scans: Arc<ScanContext>,
    policy: SqlPolicy,
    writes: WriteSettings,
    spaces: Vec<String>,
}

impl AttachmentContext {
    /// The context of a connection.
    pub fn new(scans: Arc<ScanContext>, policy: SqlPolicy, writes: WriteSettings, spaces: Vec<String>) -> Self {
        AttachmentContext { scans, policy, writes, spaces }
    }

    /// The two procedures.
    pub fn procedures(&self) -> Vec<Arc<dyn Procedure>> {
        vec![Arc::new(DownloadAttachment(self.clone())), Arc::new(UploadAttachment(self.clone()))]
    }

    /// Refuses content outside `Spaces` (page `page_id`).
    async fn check_space(&self, page_id: i64, metrics: &Arc<RequestMetrics>) -> Result<()> {
        if self.spaces.is_empty() {
            return Ok(());
        }
        let key = content_space(&self.scans, metrics, page_id, "pages").await.map_err(rest)?;
        if self.spaces.iter().any(|s| s.eq_ignore_ascii_case(&key)) {
            Ok(())
        } else {
            Err(not_allowed(format!(
                "page {page_id} is in space {key}, outside the connection's Spaces ({})",
                self.spaces.join(", ")
            )))
        }
    }
}

fn rest(error: RestError) -> DataFusionError {
    DataFusionError::External(Box::new(error))
}

fn not_allowed(message: String) -> DataFusionError {
    DataFusionError::External(Box::new(crate::SqlError::NotAllowed(message)))
}

fn number(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => s.trim_start_matches("att").parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

#[derive(Debug)]
struct DownloadAttachment(AttachmentContext);

#[async_trait]
impl Procedure for DownloadAttachment {
    fn spec(&self) -> &'static ProcedureSpec {
        &DOWNLOAD_ATTACHMENT
    }

    async fn call(&self, args: ProcedureArgs) -> Result<RecordBatch> {
        let context = &self.0;
        let given = args.get("AttachmentId").unwrap_or_default().trim();
        let numeric: u64 = given.strip_prefix("att").unwrap_or(given).parse().map_err(|_| {
            DataFusionError::Plan(format!(
                "AttachmentId '{given}' is not an attachment id (att<digits>, or the digits)"
            ))
        })?;
        let path = args.get("Path").map(std::path::PathBuf::from);
        if path.is_some() && context.policy.local_files != LocalFiles::ReadWrite {
            return Err(not_allowed(
                "DownloadAttachment with Path writes a local file, which this connection does not allow; a local user \
                 can allow it with LocalFiles=ReadWrite (or leave Path out to get the bytes as the content column)"
                    .to_owned(),
            ));
        }
        let client = context.scans.client();
        let metrics = Arc::new(RequestMetrics::default());
        // The attachment: its name, type, size, page and download link.
        let url = if client.dialect().is_cloud() {
            client.dialect().v2(&format!("attachments/att{numeric}")).map_err(rest)?
        } else {
            client.dialect().v1(&format!("content/{numeric}?expand=container")).map_err(rest)?
        };
        let found: Value = client.get(url.clone(), Some(&metrics)).await.map_err(rest)?.json().map_err(rest)?;
        let (title, media_type, page, link) = if client.dialect().is_cloud() {
            (&found["title"], &found["mediaType"], number(&found["pageId"]), &found["downloadLink"])
        } else {
            (
                &found["title"],
                &found["extensions"]["mediaType"],
                number(&found["container"]["id"]),
                &found["_links"]["download"],
            )
        };
        let link = link.as_str().ok_or_else(|| {
            DataFusionError::Execution(format!("Confluence gave attachment {given} no download link"))
        })?;
        if let Some(page) = page {
            context.check_space(page, &metrics).await?;
        } else if !context.spaces.is_empty() {
            return Err(not_allowed(format!(
                "attachment {given} is on no page, so it cannot be checked against Spaces"
            )));
        }
        let download = client.dialect().resolve_next(link, &url, true).map_err(rest)?;
        let response = client.download(download, Some(&metrics)).await.map_err(rest)?;
        let size = response.body.len() as u64;
        let (content, written) = match &path {
            Some(path) => {
                write_file(path, &response.body)?;
                (ScalarValue::Binary(None), Some(path.display().to_string()))
            }
            None => (ScalarValue::Binary(Some(response.body.to_vec())), None),
        };
        one_row(
            &DOWNLOAD_ATTACHMENT,
            vec![
                text(Some(&format!("att{numeric}"))),
                text(title.as_str()),
                text(media_type.as_str()),
                int(Some(size)),
                content,
                text(written.as_deref()),
            ],
        )
    }
}

/// Writes `bytes` to `path` through a new temporary file next to it (created exclusively: an existing file or
/// symbolic link of that name is never opened), renamed into place: a reader never sees half a file, and a failed
/// download leaves no partial one.
fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let failed = |e: std::io::Error| DataFusionError::Execution(format!("cannot write {}: {e}", path.display()));
    let name =
        path.file_name().ok_or_else(|| DataFusionError::Plan(format!("Path '{}' names no file", path.display())))?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(name);
    temporary_name.push(format!(".{}-{nanos:09}.part", std::process::id()));
    let temporary = path.with_file_name(temporary_name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary).map_err(failed)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all()).and_then(|()| std::fs::rename(&temporary, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(failed(e));
    }
    Ok(())
}

#[derive(Debug)]
struct UploadAttachment(AttachmentContext);

#[async_trait]
impl Procedure for UploadAttachment {
    fn spec(&self) -> &'static ProcedureSpec {
        &UPLOAD_ATTACHMENT
    }

    async fn call(&self, args: ProcedureArgs) -> Result<RecordBatch> {
        let context = &self.0;
        if context.writes.read_only {
            return Err(not_allowed(
                "UploadAttachment refused: the connection is read-only (ReadOnly=true); connect without it to write"
                    .to_owned(),
            ));
        }
        let given = args.get("PageId").unwrap_or_default().trim();
        let page: i64 =
            given.parse().map_err(|_| DataFusionError::Plan(format!("PageId '{given}' is not a page id")))?;
        let (bytes, default_name) =
            match (args.get("Content"), args.get("Path")) {
                (Some(_), Some(_)) => {
                    return Err(DataFusionError::Plan("UploadAttachment takes Content or Path, not both".to_owned()))
                }
                (Some(content), None) => (Bytes::from(content.as_bytes().to_vec()), None),
                (None, Some(path)) => {
                    if context.policy.local_files == LocalFiles::None {
                        return Err(not_allowed(
                        "UploadAttachment with Path reads a local file, which this connection does not allow; a local \
                         user can allow it with LocalFiles=Read (or pass the text as Content)"
                            .to_owned(),
                    ));
                    }
                    let path = std::path::Path::new(path);
                    let unreadable =
                        |e: std::io::Error| DataFusionError::Execution(format!("cannot read {}: {e}", path.display()));
                    let metadata = std::fs::metadata(path).map_err(unreadable)?;
                    if !metadata.is_file() || metadata.len() > MAX_UPLOAD_BYTES {
                        return Err(DataFusionError::Plan(format!(
                            "{} is not a regular file of at most {} MiB",
                            path.display(),
                            MAX_UPLOAD_BYTES / (1024 * 1024)
                        )));
                    }
                    let bytes = std::fs::read(path).map_err(unreadable)?;
                    (Bytes::from(bytes), path.file_name().map(|n| n.to_string_lossy().into_owned()))
                }
                (None, None) => return Err(DataFusionError::Plan(
                    "UploadAttachment needs Content (text) or Path (a local file): UploadAttachment(PageId => '123', \
                     FileName => 'notes.txt', Content => '...')"
                        .to_owned(),
                )),
            };
        let file_name = args
            .get("FileName")
            .map(str::to_owned)
            .or(default_name)
            .ok_or_else(|| DataFusionError::Plan("UploadAttachment needs FileName with Content".to_owned()))?;
        if file_name.contains(['/', '\\']) || file_name.trim().is_empty() {
            return Err(DataFusionError::Plan(format!("FileName '{file_name}' must be a file name, not a path")));
        }
        let metrics = Arc::new(RequestMetrics::default());
        context.check_space(page, &metrics).await?;
        let client = context.scans.client();
        let url = client.dialect().v1(&format!("content/{page}/child/attachment")).map_err(rest)?;
        let upload = FileUpload {
            media_type: media_type_of(&file_name).to_owned(),
            file_name: file_name.clone(),
            bytes,
            comment: args.get("Comment").map(str::to_owned),
        };
        let answer: Value =
            client.upload(Method::PUT, url, upload, Some(&metrics)).await.map_err(rest)?.json().map_err(rest)?;
        let item = answer["results"].get(0).unwrap_or(&answer);
        one_row(
            &UPLOAD_ATTACHMENT,
            vec![
                text(item["id"].as_str()),
                text(item["title"].as_str().or(Some(&file_name))),
                ScalarValue::Int64(item["version"]["number"].as_i64()),
                text(item["extensions"]["mediaType"].as_str()),
                ScalarValue::Int64(item["extensions"]["fileSize"].as_i64()),
            ],
        )
    }
}

/// The media type of a file name, by its extension.
fn media_type_of(name: &str) -> &'static str {
    match name.rsplit('.').next().map(str::to_ascii_lowercase).as_deref() {
        Some("txt" | "log") => "text/plain",
        Some("md") => "text/markdown",
        Some("csv") => "text/csv",
        Some("html" | "htm") => "text/html",
        Some("json") => "application/json",
        Some("xml") => "application/xml",
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

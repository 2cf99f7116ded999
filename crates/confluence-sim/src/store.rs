//! The site as clients see it: the generated [`Dataset`] with the writes made through the API laid over it.
//! Scans walk ids in ascending order (the order cursors follow), touching only the id ranges a filter allows,
//! so listing one space of a million-page site costs the same as listing a small site.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::RwLock;

use crate::dataset::model::{Attachment, BodySource, Comment, Content, ContentKind, Task, Version};
use crate::dataset::{
    Dataset, ATTACHMENT_BASE, BLOG_BASE, CREATED_BASE, FOOTER_BASE, INLINE_BASE, LABEL_BASE, PAGE_BASE, TASK_BASE,
};

/// Statuses a content list returns when the request names none.
pub const DEFAULT_STATUSES: &[&str] = &["current", "archived"];

/// What a page or blog post scan keeps.
#[derive(Clone, Debug, Default)]
pub struct ContentFilter {
    /// Only these spaces (indexes); `None` for all.
    pub spaces: Option<Vec<usize>>,
    /// Only these ids.
    pub ids: Option<BTreeSet<u64>>,
    /// Only these statuses; empty means [`DEFAULT_STATUSES`].
    pub statuses: Vec<String>,
    /// Exact title.
    pub title: Option<String>,
    /// Only children of this page (`parent_id`).
    pub parent_id: Option<u64>,
    /// Only content with this label.
    pub label: Option<String>,
}

impl ContentFilter {
    fn keeps(&self, c: &Content) -> bool {
        let status_ok = if self.statuses.is_empty() {
            DEFAULT_STATUSES.contains(&c.status.as_str())
        } else {
            self.statuses.iter().any(|s| s == &c.status || s == "any")
        };
        status_ok
            && self.title.as_ref().is_none_or(|t| t == &c.title)
            && self.spaces.as_ref().is_none_or(|s| s.contains(&c.space))
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&c.id))
            && self.parent_id.is_none_or(|p| c.parent_id == Some(p))
            && self.label.as_ref().is_none_or(|l| c.labels.contains(l))
    }
}

/// An update to a page or blog post.
#[derive(Clone, Debug, Default)]
pub struct ContentUpdate {
    /// The new version number (current + 1).
    pub version: u32,
    /// A new title.
    pub title: Option<String>,
    /// A new storage-format body.
    pub body: Option<String>,
    /// A new status.
    pub status: Option<String>,
    /// A new parent page (pages only; in the same space).
    pub parent_id: Option<u64>,
    /// The version message.
    pub message: String,
    /// Who saves it (user index).
    pub author: usize,
    /// When.
    pub now_ms: i64,
}

/// Writes made through the API.
#[derive(Debug, Default)]
struct Overlay {
    /// Pages and blog posts that were created, updated or deleted, by id.
    content: HashMap<u64, Content>,
    /// Ids of created pages and blog posts.
    created_content: BTreeSet<u64>,
    /// Comments that were created or deleted, by id.
    comments: HashMap<u64, Comment>,
    /// Ids of created comments.
    created_comments: BTreeSet<u64>,
    /// Label names that are not in the generated vocabulary, with their ids.
    extra_labels: BTreeMap<String, u64>,
    /// Attachments uploaded, or given a new version, through the API, by id.
    attachments: BTreeMap<u64, Attachment>,
    /// The bytes of those attachments.
    attachment_bytes: HashMap<u64, Vec<u8>>,
    next_id: u64,
}

/// What can go wrong with a write; handlers turn these into the API's error bodies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// The target does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The version number is not the current one plus one.
    #[error("Version must be incremented on update. Current version is: {current}")]
    VersionConflict {
        /// The current version.
        current: u32,
    },
    /// A title already used in the space.
    #[error("A page with this title already exists: A page already exists with the same TITLE in this space")]
    DuplicateTitle,
    /// Something else wrong with the request.
    #[error("{0}")]
    BadRequest(String),
}

/// The site: generated data plus writes.
#[derive(Debug)]
pub struct Store {
    /// The generated data.
    pub data: Dataset,
    overlay: RwLock<Overlay>,
    /// Counts the writes (each write lock taken): what a cached search result was computed at.
    generation: std::sync::atomic::AtomicU64,
}

impl Store {
    /// Wraps a data set.
    pub fn new(data: Dataset) -> Store {
        Store {
            data,
            overlay: RwLock::new(Overlay { next_id: CREATED_BASE, ..Overlay::default() }),
            generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Overlay> {
        self.overlay.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Overlay> {
        let guard = self.overlay.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        guard
    }

    /// How many writes the store has taken (a search computed at one generation holds until the next write).
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    // ---- pages and blog posts ----

    /// A page or blog post by id, whatever its status.
    pub fn content(&self, id: u64) -> Option<Content> {
        if let Some(c) = self.read().content.get(&id) {
            return Some(c.clone());
        }
        match self.data.decode_content_id(id)? {
            (ContentKind::Page, i) => Some(self.data.page(i)),
            (ContentKind::BlogPost, i) => Some(self.data.blogpost(i)),
            _ => None,
        }
    }

    /// Pages (or blog posts) kept by `filter`, ids ascending, starting after `after`, at most `limit`.
    pub fn scan_content(
        &self,
        kind: ContentKind,
        filter: &ContentFilter,
        after: Option<u64>,
        limit: usize,
    ) -> Vec<Content> {
        let mut out = Vec::new();
        let overlay = self.read();
        let (base, generate): (u64, &dyn Fn(u64) -> Content) = match kind {
            ContentKind::BlogPost => (BLOG_BASE, &|i| self.data.blogpost(i)),
            _ => (PAGE_BASE, &|i| self.data.page(i)),
        };
        let resolve = |id: u64, i: u64| overlay.content.get(&id).cloned().unwrap_or_else(|| generate(i));
        if let Some(ids) = &filter.ids {
            for id in ids.range(after.map_or(0, |a| a + 1)..) {
                if out.len() >= limit {
                    break;
                }
                let content = match overlay.content.get(id) {
                    Some(c) => Some(c.clone()),
                    None => match self.data.decode_content_id(*id) {
                        Some((k, i)) if k == kind => Some(generate(i)),
                        _ => None,
                    },
                };
                if let Some(c) = content.filter(|c| c.kind == kind && filter.keeps(c)) {
                    out.push(c);
                }
            }
            return out;
        }
        // Generated ids, one contiguous run per space.
        let mut runs: Vec<std::ops::Range<u64>> = match &filter.spaces {
            Some(spaces) => spaces
                .iter()
                .map(|s| match kind {
                    ContentKind::BlogPost => self.data.space_blog_range(*s),
                    _ => self.data.space_page_range(*s),
                })
                .collect(),
            None => std::iter::once(
                0..match kind {
                    ContentKind::BlogPost => self.data.blogpost_count(),
                    _ => self.data.page_count(),
                },
            )
            .collect(),
        };
        runs.sort_by_key(|r| r.start);
        let first = after.map_or(0, |a| a.saturating_sub(base).saturating_add(1));
        'runs: for run in runs {
            for i in run.start.max(first)..run.end {
                if out.len() >= limit {
                    break 'runs;
                }
                let c = resolve(base + i, i);
                if filter.keeps(&c) {
                    out.push(c);
                }
            }
        }
        for id in overlay.created_content.range(after.map_or(0, |a| a + 1)..) {
            if out.len() >= limit {
                break;
            }
            if let Some(c) = overlay.content.get(id).filter(|c| c.kind == kind && filter.keeps(c)) {
                out.push(c.clone());
            }
        }
        out
    }

    /// Creates a page or blog post; the title must be new in the space.
    pub fn create_content(&self, mut content: Content) -> Result<Content, WriteError> {
        if content.kind == ContentKind::Page && self.title_taken(content.space, &content.title, None) {
            return Err(WriteError::DuplicateTitle);
        }
        let mut overlay = self.write();
        content.id = overlay.next_id;
        overlay.next_id += 1;
        overlay.created_content.insert(content.id);
        overlay.content.insert(content.id, content.clone());
        Ok(content)
    }

    fn title_taken(&self, space: usize, title: &str, except: Option<u64>) -> bool {
        let filter = ContentFilter {
            spaces: Some(vec![space]),
            title: Some(title.to_owned()),
            statuses: vec!["current".to_owned(), "archived".to_owned(), "draft".to_owned()],
            ..ContentFilter::default()
        };
        self.scan_content(ContentKind::Page, &filter, None, 2).iter().any(|c| Some(c.id) != except)
    }

    /// Applies an update; `update.version` must be the current number plus one.
    pub fn update_content(&self, id: u64, update: ContentUpdate) -> Result<Content, WriteError> {
        let mut content = self
            .content(id)
            .filter(|c| c.status != "deleted")
            .ok_or_else(|| WriteError::NotFound(format!("Cannot find content with id {id}")))?;
        if update.version != content.version.number + 1 {
            return Err(WriteError::VersionConflict { current: content.version.number });
        }
        if let Some(title) = update.title {
            if title.trim().is_empty() {
                return Err(WriteError::BadRequest("Title cannot be empty".to_owned()));
            }
            if content.kind == ContentKind::Page
                && title != content.title
                && self.title_taken(content.space, &title, Some(id))
            {
                return Err(WriteError::DuplicateTitle);
            }
            content.title = title;
        }
        if let Some(body) = update.body {
            content.body = BodySource::Stored(body);
        }
        if let Some(status) = update.status {
            content.status = status;
        }
        if let Some(parent) =
            update.parent_id.filter(|p| content.kind == ContentKind::Page && content.parent_id != Some(*p))
        {
            let parent_page = self.content(parent).filter(|p| p.kind == ContentKind::Page && p.status == "current");
            match parent_page {
                Some(p) if p.space != content.space => {
                    return Err(WriteError::BadRequest("A page cannot be moved to another space".to_owned()))
                }
                Some(_) if parent == id => {
                    return Err(WriteError::BadRequest("A page cannot be its own parent".to_owned()))
                }
                Some(_) => content.parent_id = Some(parent),
                None => return Err(WriteError::NotFound(format!("Cannot find parent page with id {parent}"))),
            }
        }
        content.version = Version {
            number: update.version,
            created_ms: update.now_ms,
            message: update.message,
            minor_edit: false,
            author: update.author,
        };
        self.write().content.insert(id, content.clone());
        Ok(content)
    }

    /// Moves a page or blog post to the trash (or purges a trashed one).
    pub fn delete_content(&self, id: u64, purge: bool) -> Result<(), WriteError> {
        let mut content = self
            .content(id)
            .filter(|c| c.status != "deleted")
            .ok_or_else(|| WriteError::NotFound(format!("Cannot find content with id {id}")))?;
        if purge && content.status != "trashed" {
            return Err(WriteError::BadRequest("Only trashed content can be purged".to_owned()));
        }
        content.status = if purge { "deleted" } else { "trashed" }.to_owned();
        self.write().content.insert(id, content);
        Ok(())
    }

    // ---- labels ----

    /// The id of a label name (generated vocabulary, then labels added through the API).
    pub fn label_id(&self, name: &str) -> Option<u64> {
        (0..self.data.label_count())
            .map(|l| self.data.label(l))
            .find(|(_, n)| *n == name)
            .map(|(id, _)| id)
            .or_else(|| self.read().extra_labels.get(name).copied())
    }

    /// Every label: (id, name), ids ascending.
    pub fn labels(&self) -> Vec<(u64, String)> {
        let mut all: Vec<(u64, String)> =
            (0..self.data.label_count()).map(|l| self.data.label(l)).map(|(id, n)| (id, n.to_owned())).collect();
        all.extend(self.read().extra_labels.iter().map(|(n, id)| (*id, n.clone())));
        all.sort();
        all
    }

    /// Adds labels to a page or blog post; returns its labels.
    pub fn add_labels(&self, id: u64, names: &[String]) -> Result<Vec<String>, WriteError> {
        let mut content =
            self.content(id).ok_or_else(|| WriteError::NotFound(format!("Cannot find content with id {id}")))?;
        for name in names {
            let name = name.trim().to_lowercase();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(WriteError::BadRequest(format!(
                    "Label '{name}' is not valid: labels cannot contain spaces"
                )));
            }
            if self.label_id(&name).is_none() {
                let mut overlay = self.write();
                let id = LABEL_BASE + 10_000 + overlay.extra_labels.len() as u64;
                overlay.extra_labels.insert(name.clone(), id);
            }
            if !content.labels.contains(&name) {
                content.labels.push(name);
            }
        }
        let labels = content.labels.clone();
        self.write().content.insert(id, content);
        Ok(labels)
    }

    /// Removes a label from a page or blog post.
    pub fn remove_label(&self, id: u64, name: &str) -> Result<(), WriteError> {
        let mut content =
            self.content(id).ok_or_else(|| WriteError::NotFound(format!("Cannot find content with id {id}")))?;
        let before = content.labels.len();
        content.labels.retain(|l| l != name);
        if content.labels.len() == before {
            return Err(WriteError::NotFound(format!("Label {name} is not on content {id}")));
        }
        self.write().content.insert(id, content);
        Ok(())
    }

    // ---- comments ----

    /// A footer or inline comment by id.
    pub fn comment(&self, id: u64) -> Option<Comment> {
        if let Some(c) = self.read().comments.get(&id) {
            return Some(c.clone());
        }
        match self.data.decode_content_id(id)? {
            (ContentKind::FooterComment, i) => Some(self.data.footer_comment(i)),
            (ContentKind::InlineComment, i) => Some(self.data.inline_comment(i)),
            _ => None,
        }
    }

    /// Comments of one kind, ids ascending after `after`; only those on `container` when given; `current` only.
    pub fn scan_comments(
        &self,
        kind: ContentKind,
        container: Option<u64>,
        after: Option<u64>,
        limit: usize,
    ) -> Vec<Comment> {
        let (base, count) = match kind {
            ContentKind::InlineComment => (INLINE_BASE, self.data.inline_comment_count()),
            _ => (FOOTER_BASE, self.data.footer_comment_count()),
        };
        let run = match container.and_then(|id| self.data.decode_content_id(id)) {
            Some((ContentKind::Page, p)) => match kind {
                ContentKind::InlineComment => self.data.inline_comments_of_page(p),
                _ => self.data.footer_comments_of_page(p),
            },
            Some(_) => 0..0,
            None if container.is_some() => 0..0,
            None => 0..count,
        };
        let first = after.map_or(0, |a| a.saturating_sub(base).saturating_add(1));
        let overlay = self.read();
        let mut out = Vec::new();
        for i in run.start.max(first)..run.end {
            if out.len() >= limit {
                return out;
            }
            let c = match overlay.comments.get(&(base + i)) {
                Some(c) => c.clone(),
                None if kind == ContentKind::InlineComment => self.data.inline_comment(i),
                None => self.data.footer_comment(i),
            };
            if c.status == "current" {
                out.push(c);
            }
        }
        for id in overlay.created_comments.range(after.map_or(0, |a| a + 1)..) {
            if out.len() >= limit {
                break;
            }
            if let Some(c) = overlay.comments.get(id) {
                if c.kind == kind && c.status == "current" && container.is_none_or(|p| p == c.container_id) {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    /// Creates a comment on a page or blog post (or a reply to a comment).
    pub fn create_comment(&self, mut comment: Comment) -> Result<Comment, WriteError> {
        let container = self
            .content(comment.container_id)
            .filter(|c| c.status == "current")
            .ok_or_else(|| WriteError::NotFound(format!("Cannot find content with id {}", comment.container_id)))?;
        comment.on_blogpost = container.kind == ContentKind::BlogPost;
        comment.title = format!("Re: {}", container.title);
        let mut overlay = self.write();
        comment.id = overlay.next_id;
        overlay.next_id += 1;
        overlay.created_comments.insert(comment.id);
        overlay.comments.insert(comment.id, comment.clone());
        Ok(comment)
    }

    /// Deletes a comment.
    pub fn delete_comment(&self, id: u64) -> Result<(), WriteError> {
        let mut comment = self
            .comment(id)
            .filter(|c| c.status == "current")
            .ok_or_else(|| WriteError::NotFound(format!("Cannot find comment with id {id}")))?;
        comment.status = "deleted".to_owned();
        self.write().comments.insert(id, comment);
        Ok(())
    }

    // ---- attachments and tasks ----

    /// Attachments, ids ascending after `after`; only those on `page` when given. Generated ones first (with
    /// their uploaded versions), then those uploaded through the API (whose ids are larger).
    pub fn scan_attachments(&self, page: Option<u64>, after: Option<u64>, limit: usize) -> Vec<Attachment> {
        let run = match page.and_then(|id| self.data.decode_content_id(id)) {
            Some((ContentKind::Page, p)) => self.data.attachments_of_page(p),
            _ if page.is_some() => 0..0,
            _ => 0..self.data.attachment_count(),
        };
        let first = after.map_or(0, |a| a.saturating_sub(ATTACHMENT_BASE).saturating_add(1));
        let overlay = self.read();
        let generated = (run.start.max(first)..run.end).map(|i| {
            let id = ATTACHMENT_BASE + i;
            overlay.attachments.get(&id).cloned().unwrap_or_else(|| self.data.attachment(i))
        });
        let uploaded = overlay
            .attachments
            .range(CREATED_BASE.max(after.map_or(0, |a| a + 1))..)
            .map(|(_, a)| a.clone())
            .filter(|a| page.is_none_or(|p| a.page_id == p));
        generated.chain(uploaded).take(limit).collect()
    }

    /// An attachment by its numeric id.
    pub fn attachment(&self, id: u64) -> Option<Attachment> {
        if let Some(a) = self.read().attachments.get(&id) {
            return Some(a.clone());
        }
        match self.data.decode_content_id(id)? {
            (ContentKind::Attachment, i) => Some(self.data.attachment(i)),
            _ => None,
        }
    }

    /// An attachment's bytes: those uploaded, or, for a generated one, its file size of text naming it.
    pub fn attachment_bytes(&self, attachment: &Attachment) -> Vec<u8> {
        if let Some(bytes) = self.read().attachment_bytes.get(&attachment.id) {
            return bytes.clone();
        }
        let line = format!("{} version {}\n", attachment.title, attachment.version.number);
        line.bytes().cycle().take(attachment.file_size as usize).collect()
    }

    /// Uploads `bytes` as `file_name` on page `page_id`: a new attachment, or, when the page has one of that name
    /// and `new_version` is set, its next version (without it, the name is taken: an error, as Confluence's POST).
    #[allow(clippy::too_many_arguments)]
    pub fn upload_attachment(
        &self,
        page_id: u64,
        file_name: &str,
        media_type: &'static str,
        bytes: Vec<u8>,
        comment: String,
        author: usize,
        now_ms: i64,
        new_version: bool,
    ) -> Result<Attachment, WriteError> {
        self.content(page_id)
            .filter(|c| c.kind == ContentKind::Page && c.status == "current")
            .ok_or_else(|| WriteError::NotFound(format!("No content found with id: ContentId{{id={page_id}}}")))?;
        let existing =
            self.scan_attachments(Some(page_id), None, usize::MAX).into_iter().find(|a| a.title == file_name);
        let version =
            |number: u32| Version { number, created_ms: now_ms, message: String::new(), minor_edit: false, author };
        let mut overlay = self.write();
        let attachment = match existing {
            Some(_) if !new_version => {
                return Err(WriteError::BadRequest(format!(
                    "Cannot add a new attachment with same file name as an existing attachment: {file_name}"
                )))
            }
            Some(mut a) => {
                a.version = version(a.version.number + 1);
                a.file_size = bytes.len() as u64;
                a.media_type = media_type;
                a.comment = comment;
                a
            }
            None => {
                let id = overlay.next_id;
                overlay.next_id += 1;
                Attachment {
                    id,
                    page_id,
                    title: file_name.to_owned(),
                    media_type,
                    file_size: bytes.len() as u64,
                    comment,
                    file_id: format!("{:032x}", crate::hash::mix(id, &[page_id, now_ms as u64])),
                    created_ms: now_ms,
                    version: version(1),
                    status: "current",
                }
            }
        };
        overlay.attachment_bytes.insert(attachment.id, bytes);
        overlay.attachments.insert(attachment.id, attachment.clone());
        Ok(attachment)
    }

    /// Tasks, ids ascending after `after`, kept by `keep`.
    pub fn scan_tasks(&self, after: Option<u64>, limit: usize, keep: &dyn Fn(&Task) -> bool) -> Vec<Task> {
        let first = after.map_or(0, |a| a.saturating_sub(TASK_BASE).saturating_add(1));
        (first..self.data.task_count()).map(|i| self.data.task(i)).filter(|t| keep(t)).take(limit).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::size::DatasetSize;

    fn store() -> Store {
        Store::new(Dataset::new(5, DatasetSize::TINY, "admin@example.com", "admin"))
    }

    #[test]
    fn scans_page_through_in_id_order() {
        let s = store();
        let all = s.scan_content(ContentKind::Page, &ContentFilter::default(), None, usize::MAX);
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let batch = s.scan_content(ContentKind::Page, &ContentFilter::default(), after, 7);
            if batch.is_empty() {
                break;
            }
            after = batch.last().map(|c| c.id);
            paged.extend(batch);
        }
        assert_eq!(paged, all);
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));
        assert!(all.iter().all(|c| c.status == "current" || c.status == "archived"));
    }

    #[test]
    fn space_filter_touches_only_that_space() {
        let s = store();
        let filter = ContentFilter { spaces: Some(vec![1]), ..ContentFilter::default() };
        let pages = s.scan_content(ContentKind::Page, &filter, None, usize::MAX);
        assert!(!pages.is_empty());
        assert!(pages.iter().all(|p| p.space == 1));
    }

    #[test]
    fn writes_overlay_the_generated_data() {
        let s = store();
        let page = s.content(PAGE_BASE + 3).unwrap_or_else(|| unreachable!());
        let n = page.version.number;
        let stale = ContentUpdate { version: n, title: Some("x".into()), ..ContentUpdate::default() };
        assert_eq!(s.update_content(page.id, stale), Err(WriteError::VersionConflict { current: n }));
        let update = ContentUpdate {
            version: n + 1,
            title: Some("Renamed".into()),
            body: Some("<p>hi</p>".into()),
            message: "m".into(),
            now_ms: 1,
            ..ContentUpdate::default()
        };
        let updated = s.update_content(page.id, update);
        assert_eq!(updated.map(|c| c.title), Ok("Renamed".to_owned()));
        assert_eq!(s.content(page.id).map(|c| c.version.number), Some(n + 1));
        s.delete_content(page.id, false).unwrap_or_default();
        let listed = s.scan_content(ContentKind::Page, &ContentFilter::default(), None, usize::MAX);
        assert!(listed.iter().all(|c| c.id != page.id), "trashed pages are not listed by default");

        let mut new_page = s.data.page(0);
        new_page.title = "Brand new".into();
        let created = s.create_content(new_page.clone()).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(created.id >= CREATED_BASE);
        assert_eq!(s.create_content(new_page), Err(WriteError::DuplicateTitle));
        let listed = s.scan_content(ContentKind::Page, &ContentFilter::default(), None, usize::MAX);
        assert_eq!(listed.last().map(|c| c.id), Some(created.id));
    }

    #[test]
    fn labels_and_comments() {
        let s = store();
        let id = PAGE_BASE + 2;
        let labels = s.add_labels(id, &["Brand-New".into()]).unwrap_or_default();
        assert!(labels.contains(&"brand-new".to_owned()));
        assert!(s.label_id("brand-new").is_some());
        assert!(s.remove_label(id, "brand-new").is_ok());
        assert!(s.remove_label(id, "brand-new").is_err());
        let before = s.scan_comments(ContentKind::FooterComment, Some(id), None, usize::MAX).len();
        let mut c = s.data.footer_comment(0);
        c.container_id = id;
        let created = s.create_comment(c).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(s.scan_comments(ContentKind::FooterComment, Some(id), None, usize::MAX).len(), before + 1);
        s.delete_comment(created.id).unwrap_or_default();
        assert_eq!(s.scan_comments(ContentKind::FooterComment, Some(id), None, usize::MAX).len(), before);
    }
}

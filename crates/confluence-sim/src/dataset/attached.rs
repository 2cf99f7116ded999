//! What hangs off pages: footer and inline comments, attachments and inline tasks, each kind spread evenly
//! over the pages in contiguous runs so that an index maps to its page by arithmetic.

use crate::dataset::model::*;
use crate::dataset::words::*;
use crate::dataset::*;
use crate::hash::pick;

impl Dataset {
    pub(super) fn page_spread(&self, items: u64) -> Spread {
        Spread { items, owners: self.size.pages }
    }

    /// Footer-comment indexes on page index `p`.
    pub fn footer_comments_of_page(&self, p: u64) -> Range<u64> {
        self.page_spread(self.size.footer_comments).range(p)
    }

    /// Inline-comment indexes on page index `p`.
    pub fn inline_comments_of_page(&self, p: u64) -> Range<u64> {
        self.page_spread(self.size.inline_comments).range(p)
    }

    /// Attachment indexes on page index `p`.
    pub fn attachments_of_page(&self, p: u64) -> Range<u64> {
        self.page_spread(self.size.attachments).range(p)
    }

    /// Task indexes on page index `p`.
    pub fn tasks_of_page(&self, p: u64) -> Range<u64> {
        self.page_spread(self.size.tasks).range(p)
    }

    /// Number of generated footer comments.
    pub fn footer_comment_count(&self) -> u64 {
        if self.size.pages == 0 {
            0
        } else {
            self.size.footer_comments
        }
    }

    /// Number of generated inline comments.
    pub fn inline_comment_count(&self) -> u64 {
        if self.size.pages == 0 {
            0
        } else {
            self.size.inline_comments
        }
    }

    /// Number of generated attachments.
    pub fn attachment_count(&self) -> u64 {
        if self.size.pages == 0 {
            0
        } else {
            self.size.attachments
        }
    }

    /// Number of generated tasks.
    pub fn task_count(&self) -> u64 {
        if self.size.pages == 0 {
            0
        } else {
            self.size.tasks
        }
    }

    pub(super) fn comment(&self, kind: ContentKind, c: u64) -> Comment {
        let (k, base, total) = match kind {
            ContentKind::InlineComment => (K_INLINE, INLINE_BASE, self.size.inline_comments),
            _ => (K_FOOTER, FOOTER_BASE, self.size.footer_comments),
        };
        let spread = self.page_spread(total);
        let p = spread.owner_of(c);
        let page = self.page(p);
        let first_on_page = spread.range(p).start;
        let parent_comment_id = (c > first_on_page && self.h(k, c, 1).is_multiple_of(3))
            .then(|| base + first_on_page + self.h(k, c, 2) % (c - first_on_page));
        let created_ms = Self::time_between(self.h(k, c, 3), page.created_ms, HISTORY_END_MS);
        let resolution = (kind == ContentKind::InlineComment).then(|| match self.h(k, c, 4) % 10 {
            0..=5 => "open",
            6..=8 => "resolved",
            _ => "reopened",
        });
        Comment {
            id: base + c,
            kind,
            container_id: page.id,
            on_blogpost: false,
            parent_comment_id,
            title: format!("Re: {}", page.title),
            status: "current".to_owned(),
            author: self.author(self.h(k, c, 5)),
            created_ms,
            version: Version {
                number: 1,
                created_ms,
                message: String::new(),
                minor_edit: false,
                author: self.author(self.h(k, c, 5)),
            },
            body: BodySource::Generated { seed: self.h(k, c, 6), paragraphs: 1 },
            resolution,
        }
    }

    /// Footer comment with index `c`.
    pub fn footer_comment(&self, c: u64) -> Comment {
        self.comment(ContentKind::FooterComment, c)
    }

    /// Inline comment with index `c`.
    pub fn inline_comment(&self, c: u64) -> Comment {
        self.comment(ContentKind::InlineComment, c)
    }

    /// Attachment with index `a`.
    pub fn attachment(&self, a: u64) -> Attachment {
        let p = self.page_spread(self.size.attachments).owner_of(a);
        let page = self.page(p);
        let (stem, ext, media_type) = pick(self.h(K_ATTACH, a, 1), ATTACHMENTS);
        let created_ms = Self::time_between(self.h(K_ATTACH, a, 2), page.created_ms, HISTORY_END_MS);
        let number = 1 + (self.h(K_ATTACH, a, 3) % 3) as u32;
        Attachment {
            id: ATTACHMENT_BASE + a,
            page_id: page.id,
            title: format!("{stem}-{a}.{ext}"),
            media_type,
            file_size: 1_024 + self.h(K_ATTACH, a, 4) % 5_000_000,
            comment: if self.h(K_ATTACH, a, 5).is_multiple_of(3) {
                "Uploaded from the desktop".to_owned()
            } else {
                String::new()
            },
            file_id: uuid_from(self.h(K_ATTACH, a, 6), self.h(K_ATTACH, a, 7)),
            created_ms,
            version: Version {
                number,
                created_ms,
                message: String::new(),
                minor_edit: false,
                author: self.author(self.h(K_ATTACH, a, 8)),
            },
            status: "current",
        }
    }

    /// Task with index `t`.
    pub fn task(&self, t: u64) -> Task {
        let spread = self.page_spread(self.size.tasks);
        let p = spread.owner_of(t);
        let page = self.page(p);
        let created_ms = Self::time_between(self.h(K_TASK, t, 1), page.created_ms, HISTORY_END_MS);
        let complete = self.h(K_TASK, t, 2) % 10 < 4;
        let completed_ms = complete.then(|| Self::time_between(self.h(K_TASK, t, 3), created_ms, HISTORY_END_MS));
        let assigned_to = (self.h(K_TASK, t, 4) % 10 >= 3).then(|| self.author(self.h(K_TASK, t, 5)));
        Task {
            id: TASK_BASE + t,
            local_id: format!("{}", t - spread.range(p).start + 1),
            page_id: page.id,
            space: page.space,
            status: if complete { "complete" } else { "incomplete" },
            text: pick(self.h(K_TASK, t, 6), TASK_TEXTS).to_owned(),
            created_by: page.author,
            assigned_to,
            completed_by: complete.then(|| assigned_to.unwrap_or(page.author)),
            created_ms,
            updated_ms: completed_ms.unwrap_or(created_ms),
            due_ms: self
                .h(K_TASK, t, 7)
                .is_multiple_of(2)
                .then(|| created_ms + 86_400_000 * (1 + (self.h(K_TASK, t, 8) % 60) as i64)),
            completed_ms,
        }
    }
}

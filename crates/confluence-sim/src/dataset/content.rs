//! Pages and blog posts, their versions and labels.

use crate::dataset::model::*;
use crate::dataset::words::*;
use crate::dataset::*;
use crate::hash::{mix, pick, unit};

impl Dataset {
    pub(super) fn version(&self, kind: u64, i: u64, created_ms: i64) -> Version {
        let h = self.h(kind, i, 20);
        let number = if h.is_multiple_of(50) { 20 + (h >> 8) % 40 } else { 1 + (h >> 8) % 6 } as u32;
        let created =
            if number == 1 { created_ms } else { Self::time_between(self.h(kind, i, 21), created_ms, HISTORY_END_MS) };
        Version {
            number,
            created_ms: created,
            message: pick(self.h(kind, i, 22), VERSION_MESSAGES).to_owned(),
            minor_edit: self.h(kind, i, 23).is_multiple_of(5),
            author: self.author(self.h(kind, i, 24)),
        }
    }

    pub(super) fn labels(&self, kind: u64, i: u64) -> Vec<String> {
        let count = self.h(kind, i, 30) % 4;
        let mut labels: Vec<String> = Vec::new();
        for n in 0..count {
            let label = pick(self.h(kind, i, 31 + n), LABELS).to_owned();
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        labels
    }

    pub(super) fn body_paragraphs(&self, kind: u64, i: u64) -> u32 {
        let h = self.h(kind, i, 40);
        // A few very large bodies (hundreds of kilobytes), always including page 7.
        if (kind == K_PAGE && i == 7) || h % 400 == 7 {
            2_000
        } else {
            1 + (h % 8) as u32
        }
    }

    /// Number of generated pages.
    pub fn page_count(&self) -> u64 {
        self.size.pages
    }

    /// Page with index `i` (id `PAGE_BASE + i`).
    pub fn page(&self, i: u64) -> Content {
        let s = self.space_of_page(i);
        let space_range = self.space_page_range(s);
        let local = i - space_range.start;
        let space = self.space(s);
        let title = if local == 0 {
            format!("{} Home", space.name)
        } else {
            let h = self.h(K_PAGE, i, 1);
            let base = if h.is_multiple_of(23) {
                pick(h >> 8, TRICKY_TITLES).to_owned()
            } else {
                format!("{} {}", pick(h >> 8, ADJECTIVES), pick(h >> 16, NOUNS))
            };
            format!("{base} {local}")
        };
        let parent_id = if local == 0 || unit(self.h(K_PAGE, i, 2)) < 0.05 {
            None
        } else {
            let parent_local = (local as f64 * unit(self.h(K_PAGE, i, 3))) as u64;
            Some(PAGE_BASE + space_range.start + parent_local)
        };
        let created_ms = if local == 0 {
            space.created_ms
        } else {
            Self::time_between(self.h(K_PAGE, i, 4), space.created_ms, HISTORY_END_MS)
        };
        let author = self.author(self.h(K_PAGE, i, 5));
        let archived = local > 0 && self.h(K_PAGE, i, 6).is_multiple_of(50);
        Content {
            id: PAGE_BASE + i,
            kind: ContentKind::Page,
            space: s,
            title,
            status: if archived { "archived" } else { "current" }.to_owned(),
            parent_id,
            position: Some((self.h(K_PAGE, i, 7) % 10_000) as i32),
            author,
            owner: author,
            created_ms,
            version: self.version(K_PAGE, i, created_ms),
            labels: self.labels(K_PAGE, i),
            body: BodySource::Generated { seed: self.h(K_PAGE, i, 8), paragraphs: self.body_paragraphs(K_PAGE, i) },
        }
    }

    /// Number of generated blog posts.
    pub fn blogpost_count(&self) -> u64 {
        self.size.blogposts
    }

    /// Blog post with index `i` (id `BLOG_BASE + i`).
    pub fn blogpost(&self, i: u64) -> Content {
        let s = self.space_of_blog(i);
        let space = self.space(s);
        let h = self.h(K_BLOG, i, 1);
        let created_ms = Self::time_between(self.h(K_BLOG, i, 4), space.created_ms, HISTORY_END_MS);
        let author = self.author(self.h(K_BLOG, i, 5));
        Content {
            id: BLOG_BASE + i,
            kind: ContentKind::BlogPost,
            space: s,
            title: format!("{} #{}", pick(h, BLOG_TOPICS), i + 1),
            status: "current".to_owned(),
            parent_id: None,
            position: None,
            author,
            owner: author,
            created_ms,
            version: self.version(K_BLOG, i, created_ms),
            labels: self.labels(K_BLOG, i),
            body: BodySource::Generated { seed: self.h(K_BLOG, i, 8), paragraphs: self.body_paragraphs(K_BLOG, i) },
        }
    }

    /// All versions of a page or blog post, oldest first (the last is the current one).
    pub fn versions(&self, content: &Content) -> Vec<Version> {
        let kind = match content.kind {
            ContentKind::BlogPost => K_BLOG,
            _ => K_PAGE,
        };
        let n = content.version.number;
        (1..=n)
            .map(|number| {
                if number == n {
                    return content.version.clone();
                }
                let span = (content.version.created_ms - content.created_ms).max(0);
                let at = content.created_ms + span * i64::from(number - 1) / i64::from(n.max(1));
                Version {
                    number,
                    created_ms: at,
                    message: if number == 1 {
                        String::new()
                    } else {
                        pick(mix(self.seed, &[kind, content.id, u64::from(number)]), VERSION_MESSAGES).to_owned()
                    },
                    minor_edit: number > 1
                        && mix(self.seed, &[kind, content.id, u64::from(number), 1]).is_multiple_of(5),
                    author: if number == 1 {
                        content.author
                    } else {
                        self.author(mix(self.seed, &[kind, content.id, u64::from(number), 2]))
                    },
                }
            })
            .collect()
    }
}

//! Spaces, global then personal, and how pages and blog posts are spread over them.

use crate::dataset::model::*;
use crate::dataset::words::*;
use crate::dataset::*;

impl Dataset {
    /// Number of spaces, global then personal.
    pub fn space_count(&self) -> usize {
        (self.size.spaces + self.size.personal_spaces) as usize
    }

    pub(super) fn is_archived_space(&self, s: usize) -> bool {
        let globals = self.size.spaces as usize;
        globals >= 3 && s == globals - 1
    }

    pub(super) fn is_empty_space(&self, s: usize) -> bool {
        let globals = self.size.spaces as usize;
        globals >= 4 && s == globals - 2
    }

    pub(super) fn space_weight(&self, s: usize) -> f64 {
        if self.is_empty_space(s) {
            0.0
        } else if s >= self.size.spaces as usize {
            0.15
        } else {
            1.0 / ((s + 1) as f64).powf(0.6)
        }
    }

    pub(super) fn space_key(&self, s: usize) -> String {
        let globals = self.size.spaces as usize;
        if s < globals {
            let (_, prefix) = TEAM_SPACES[s % TEAM_SPACES.len()];
            match s / TEAM_SPACES.len() {
                0 => prefix.to_owned(),
                round => format!("{prefix}{}", round + 1),
            }
        } else {
            format!("~{}", self.generate_user(s - globals + 1).account_id)
        }
    }

    /// Space `s`.
    pub fn space(&self, s: usize) -> &Space {
        &self.spaces[s]
    }

    pub(super) fn generate_space(&self, s: usize) -> Space {
        let globals = self.size.spaces as usize;
        let h = self.h(K_SPACE, s as u64, 1);
        let (name, space_type, author) = if s < globals {
            let (name, _) = TEAM_SPACES[s % TEAM_SPACES.len()];
            let name = match s / TEAM_SPACES.len() {
                0 => name.to_owned(),
                round => format!("{name} {}", round + 1),
            };
            (name, "global", self.author(h))
        } else {
            let owner = &self.users[s - globals + 1];
            (owner.display_name.clone(), "personal", owner.index)
        };
        let pages = self.space_page_range(s);
        Space {
            index: s,
            id: SPACE_BASE + s as u64,
            key: self.space_key(s),
            description: format!("Everything about {name}."),
            name,
            space_type,
            status: if self.is_archived_space(s) { "archived" } else { "current" },
            author,
            created_ms: Self::time_between(
                self.h(K_SPACE, s as u64, 2),
                HISTORY_START_MS,
                HISTORY_START_MS + 86_400_000 * 365,
            ),
            homepage_id: (!pages.is_empty()).then(|| PAGE_BASE + pages.start),
        }
    }

    /// The space with this id.
    pub fn space_by_id(&self, id: u64) -> Option<&Space> {
        let s = id.checked_sub(SPACE_BASE)? as usize;
        (s < self.space_count()).then(|| self.space(s))
    }

    /// The space with this key (case-insensitive).
    pub fn space_by_key(&self, key: &str) -> Option<&Space> {
        self.space_key_index.get(&key.to_lowercase()).map(|s| self.space(*s))
    }

    /// Page indexes of space `s`.
    pub fn space_page_range(&self, s: usize) -> Range<u64> {
        match (self.page_offsets.get(s), self.page_offsets.get(s + 1)) {
            (Some(a), Some(b)) => *a..*b,
            _ => 0..0,
        }
    }

    /// Blog post indexes of space `s`.
    pub fn space_blog_range(&self, s: usize) -> Range<u64> {
        match (self.blog_offsets.get(s), self.blog_offsets.get(s + 1)) {
            (Some(a), Some(b)) => *a..*b,
            _ => 0..0,
        }
    }

    pub(super) fn space_of_page(&self, i: u64) -> usize {
        self.page_offsets.partition_point(|o| *o <= i).saturating_sub(1)
    }

    pub(super) fn space_of_blog(&self, i: u64) -> usize {
        self.blog_offsets.partition_point(|o| *o <= i).saturating_sub(1)
    }
}

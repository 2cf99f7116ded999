//! Custom content: what Connect and Forge apps store in Confluence, each app's items of its own content type. Two
//! apps' worth are generated (polls and checklists), one item per twenty pages, each on a page.

use crate::dataset::model::*;
use crate::dataset::*;

/// The custom content types generated (Connect's `ac:<app key>:<module key>` form).
pub const CUSTOM_CONTENT_TYPES: [&str; 2] = ["ac:com.example.polls:poll", "ac:com.example.checklists:checklist"];

/// Pages per custom content item.
const PAGES_PER_ITEM: u64 = 20;

impl Dataset {
    /// Number of generated custom content items.
    pub fn custom_content_count(&self) -> u64 {
        self.size.pages / PAGES_PER_ITEM
    }

    /// Custom content item with index `c` (id `CUSTOM_BASE + c`).
    pub fn custom_content(&self, c: u64) -> CustomContent {
        let p = c * PAGES_PER_ITEM + self.h(K_CUSTOM, c, 1) % PAGES_PER_ITEM;
        let page = self.page(p);
        let content_type = CUSTOM_CONTENT_TYPES[(self.h(K_CUSTOM, c, 2) % 2) as usize];
        let created_ms = Self::time_between(self.h(K_CUSTOM, c, 3), page.created_ms, HISTORY_END_MS);
        let noun = if content_type.ends_with(":poll") { "Poll" } else { "Checklist" };
        CustomContent {
            id: CUSTOM_BASE + c,
            content_type,
            page_id: page.id,
            space: page.space,
            title: format!("{noun} {} on {}", c + 1, page.title),
            author: self.author(self.h(K_CUSTOM, c, 4)),
            created_ms,
            version: self.version(K_CUSTOM, c, created_ms),
            storage: format!("<p>{noun} {} of {}</p>", c + 1, body::escape_html(&page.title)),
        }
    }
}

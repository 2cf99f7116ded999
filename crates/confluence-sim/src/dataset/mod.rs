//! The generated site: every entity is a pure function of the seed and its index, produced on demand. Only the
//! per-space offsets and an account-id index are kept in memory, so a million pages cost a few kilobytes and start
//! instantly.
//!
//! Ids encode what they are: each content kind has its own range (see the `*_BASE` constants), so an id maps back
//! to an index with arithmetic, never a lookup.

mod attached;
mod audit;
pub mod body;
mod content;
mod custom;
pub mod model;
mod people;
mod permissions;
pub use permissions::RESTRICTED_OPERATIONS;
pub mod size;
mod spaces;
pub(crate) mod words;

use std::collections::HashMap;
use std::ops::Range;

use crate::hash::{mix, unit};
use model::*;
use size::DatasetSize;

pub use custom::CUSTOM_CONTENT_TYPES;

/// First page id.
pub const PAGE_BASE: u64 = 1_000_000_000;
/// First blog post id.
pub const BLOG_BASE: u64 = 2_000_000_000;
/// First footer comment id.
pub const FOOTER_BASE: u64 = 3_000_000_000;
/// First inline comment id.
pub const INLINE_BASE: u64 = 4_000_000_000;
/// First attachment id (shown as `att<id>`).
pub const ATTACHMENT_BASE: u64 = 5_000_000_000;
/// First task id.
pub const TASK_BASE: u64 = 6_000_000_000;
/// First custom content id.
pub const CUSTOM_BASE: u64 = 7_000_000_000;
/// First id given to content created through the API.
pub const CREATED_BASE: u64 = 9_000_000_000;
/// First space id.
pub const SPACE_BASE: u64 = 10_000;
/// First label id.
pub const LABEL_BASE: u64 = 100_000;

/// Start of the generated history: 2019-01-01T00:00:00Z.
pub const HISTORY_START_MS: i64 = 1_546_300_800_000;
/// End of the generated history: 2026-06-01T00:00:00Z.
pub const HISTORY_END_MS: i64 = 1_780_272_000_000;

// Entity kinds, mixed into hashes so that different kinds never share random streams.
const K_USER: u64 = 1;
const K_GROUP: u64 = 2;
const K_SPACE: u64 = 3;
const K_PAGE: u64 = 4;
const K_BLOG: u64 = 5;
const K_FOOTER: u64 = 6;
const K_INLINE: u64 = 7;
const K_ATTACH: u64 = 8;
const K_TASK: u64 = 9;
const K_AUDIT: u64 = 10;
const K_MEMBER: u64 = 11;
const K_PERMISSION: u64 = 12;
const K_RESTRICTION: u64 = 14;
const K_CUSTOM: u64 = 15;

/// `items` spread evenly over `owners` in contiguous runs: owner `o` has items `[o*items/owners, (o+1)*items/owners)`.
#[derive(Clone, Copy, Debug)]
struct Spread {
    items: u64,
    owners: u64,
}

impl Spread {
    fn start(&self, owner: u64) -> u64 {
        if self.owners == 0 {
            return 0;
        }
        (u128::from(owner) * u128::from(self.items) / u128::from(self.owners)) as u64
    }

    fn range(&self, owner: u64) -> Range<u64> {
        self.start(owner)..self.start(owner + 1)
    }

    fn owner_of(&self, item: u64) -> u64 {
        let mut owner = (u128::from(item) * u128::from(self.owners) / u128::from(self.items.max(1))) as u64;
        owner = owner.min(self.owners.saturating_sub(1));
        while owner + 1 < self.owners && self.start(owner + 1) <= item {
            owner += 1;
        }
        while owner > 0 && self.start(owner) > item {
            owner -= 1;
        }
        owner
    }
}

/// A generated Confluence site.
#[derive(Debug)]
pub struct Dataset {
    seed: u64,
    size: DatasetSize,
    admin_email: String,
    admin_username: String,
    /// `page_offsets[s]..page_offsets[s + 1]` are the page indexes of space `s`.
    page_offsets: Vec<u64>,
    blog_offsets: Vec<u64>,
    account_index: HashMap<String, usize>,
    username_index: HashMap<String, usize>,
    space_key_index: HashMap<String, usize>,
    /// Users and spaces are few and read for every row, so they are generated once.
    users: Vec<User>,
    spaces: Vec<Space>,
}

impl Dataset {
    /// Generates the site's skeleton. `admin_email` / `admin_username` name user 0, the account the configured
    /// credentials belong to.
    pub fn new(seed: u64, size: DatasetSize, admin_email: &str, admin_username: &str) -> Dataset {
        let mut dataset = Dataset {
            seed,
            size,
            admin_email: admin_email.to_owned(),
            admin_username: admin_username.to_owned(),
            page_offsets: Vec::new(),
            blog_offsets: Vec::new(),
            account_index: HashMap::new(),
            username_index: HashMap::new(),
            space_key_index: HashMap::new(),
            users: Vec::new(),
            spaces: Vec::new(),
        };
        let spaces = dataset.space_count();
        let weights: Vec<f64> = (0..spaces).map(|s| dataset.space_weight(s)).collect();
        dataset.page_offsets = distribute(size.pages, &weights);
        dataset.blog_offsets = distribute(size.blogposts, &weights);
        dataset.users = (0..size.users as usize).map(|u| dataset.generate_user(u)).collect();
        for user in &dataset.users {
            dataset.account_index.insert(user.account_id.clone(), user.index);
            dataset.username_index.insert(user.username.clone(), user.index);
        }
        dataset.spaces = (0..spaces).map(|s| dataset.generate_space(s)).collect();
        for space in &dataset.spaces {
            dataset.space_key_index.insert(space.key.to_lowercase(), space.index);
        }
        dataset
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The sizes.
    pub fn size(&self) -> &DatasetSize {
        &self.size
    }

    fn h(&self, kind: u64, index: u64, field: u64) -> u64 {
        mix(self.seed, &[kind, index, field])
    }

    /// A time between `from` and `to`, from a hash.
    fn time_between(h: u64, from: i64, to: i64) -> i64 {
        from + ((to - from).max(0) as f64 * unit(h)) as i64
    }

    /// Decodes a generated content id into its kind and index; `None` for ids outside the generated ranges.
    pub fn decode_content_id(&self, id: u64) -> Option<(ContentKind, u64)> {
        let (kind, base, count) = match id {
            _ if id >= CREATED_BASE => return None,
            _ if id >= ATTACHMENT_BASE => (ContentKind::Attachment, ATTACHMENT_BASE, self.attachment_count()),
            _ if id >= INLINE_BASE => (ContentKind::InlineComment, INLINE_BASE, self.inline_comment_count()),
            _ if id >= FOOTER_BASE => (ContentKind::FooterComment, FOOTER_BASE, self.footer_comment_count()),
            _ if id >= BLOG_BASE => (ContentKind::BlogPost, BLOG_BASE, self.blogpost_count()),
            _ if id >= PAGE_BASE => (ContentKind::Page, PAGE_BASE, self.page_count()),
            _ => return None,
        };
        let index = id - base;
        (index < count).then_some((kind, index))
    }
}

/// Splits `total` items over owners in proportion to `weights`; returns `weights.len() + 1` offsets.
fn distribute(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    let mut counts: Vec<u64> = if sum > 0.0 {
        weights.iter().map(|w| (total as f64 * w / sum).floor() as u64).collect()
    } else {
        vec![0; weights.len()]
    };
    let mut remaining = total - counts.iter().sum::<u64>().min(total);
    let eligible: Vec<usize> = (0..weights.len()).filter(|i| weights[*i] > 0.0).collect();
    let mut k = 0;
    while remaining > 0 && !eligible.is_empty() {
        counts[eligible[k % eligible.len()]] += 1;
        remaining -= 1;
        k += 1;
    }
    let mut offsets = Vec::with_capacity(weights.len() + 1);
    let mut at = 0;
    offsets.push(0);
    for c in counts {
        at += c;
        offsets.push(at);
    }
    offsets
}

/// A UUID-shaped string from two hashes.
pub fn uuid_from(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Dataset {
        Dataset::new(42, DatasetSize::SMALL, "admin@example.com", "admin")
    }

    #[test]
    fn deterministic() {
        let (a, b) = (small(), small());
        assert_eq!(a.page(17), b.page(17));
        assert_eq!(a.user(3), b.user(3));
        let other = Dataset::new(43, DatasetSize::SMALL, "admin@example.com", "admin");
        assert_ne!(a.page(17).title, other.page(17).title);
    }

    #[test]
    fn pages_cover_the_spaces_exactly() {
        let d = small();
        let mut total = 0;
        for s in 0..d.space_count() {
            let range = d.space_page_range(s);
            total += range.end - range.start;
            for i in range.clone() {
                assert_eq!(d.page(i).space, s);
            }
            if let Some(home) = d.space(s).homepage_id {
                assert_eq!(home, PAGE_BASE + range.start);
            }
        }
        assert_eq!(total, d.page_count());
    }

    #[test]
    fn special_spaces() {
        let d = small();
        let globals = d.size().spaces as usize;
        assert_eq!(d.space(globals - 1).status, "archived");
        assert!(d.space_page_range(globals - 2).is_empty(), "an empty space");
        assert_eq!(d.space(globals).space_type, "personal");
        assert!(d.space(globals).key.starts_with('~'));
        assert_eq!(d.space_by_key("eng").map(|s| s.index), Some(0));
        assert_eq!(d.space_by_id(SPACE_BASE + 2).map(|s| s.index), Some(2));
    }

    #[test]
    fn parents_are_earlier_pages_of_the_same_space() {
        let d = small();
        for i in 0..d.page_count() {
            let page = d.page(i);
            if let Some(parent) = page.parent_id {
                let parent = d.page(parent - PAGE_BASE);
                assert_eq!(parent.space, page.space);
                assert!(parent.id < page.id);
            }
        }
    }

    #[test]
    fn titles_are_unique_per_space_and_include_tricky_ones() {
        let d = small();
        let mut seen = std::collections::HashSet::new();
        for i in 0..d.page_count() {
            let p = d.page(i);
            assert!(seen.insert((p.space, p.title.clone())), "duplicate title {}", p.title);
        }
        assert!(seen.iter().any(|(_, t)| t.contains('"')));
        assert!(seen.iter().any(|(_, t)| t.contains('\\')));
    }

    #[test]
    fn children_map_back_to_their_page() {
        let d = small();
        for p in [0, 1, 500, d.page_count() - 1] {
            for c in d.footer_comments_of_page(p) {
                assert_eq!(d.footer_comment(c).container_id, PAGE_BASE + p);
            }
            for a in d.attachments_of_page(p) {
                assert_eq!(d.attachment(a).page_id, PAGE_BASE + p);
            }
            for t in d.tasks_of_page(p) {
                assert_eq!(d.task(t).page_id, PAGE_BASE + p);
            }
        }
        assert_eq!(d.decode_content_id(PAGE_BASE + 5), Some((ContentKind::Page, 5)));
        assert_eq!(d.decode_content_id(PAGE_BASE + d.page_count()), None);
        assert_eq!(d.decode_content_id(INLINE_BASE), Some((ContentKind::InlineComment, 0)));
    }

    #[test]
    fn users_resolve_by_id_and_name() {
        let d = small();
        let u = d.user(5);
        assert_eq!(d.user_by_account_id(&u.account_id), Some(u));
        assert_eq!(d.user_by_username(&u.username), Some(u));
        assert_eq!(d.user(0).email.as_deref(), Some("admin@example.com"));
        assert!((0..d.user_count()).any(|u| !d.user(u).active));
    }

    #[test]
    fn versions_end_at_the_current_one() {
        let d = small();
        let page = d.page(10);
        let versions = d.versions(&page);
        assert_eq!(versions.len() as u32, page.version.number);
        assert_eq!(versions.last(), Some(&page.version));
    }

    #[test]
    fn a_million_pages_are_not_materialised() {
        let d = Dataset::new(1, DatasetSize::LARGE, "a@example.com", "admin");
        let last = d.page(d.page_count() - 1);
        assert_eq!(last.id, PAGE_BASE + 999_999);
        // Only per-space offsets are stored (start-up time and memory are measured by bench/sim_startup.sh).
        assert_eq!(d.page_offsets.len(), d.space_count() + 1);
    }
}

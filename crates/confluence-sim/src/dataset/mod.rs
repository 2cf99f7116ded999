//! The generated site: every entity is a pure function of the seed and its index, produced on demand. Only the
//! per-space offsets and an account-id index are kept in memory, so a million pages cost a few kilobytes and start
//! instantly.
//!
//! Ids encode what they are: each content kind has its own range (see the `*_BASE` constants), so an id maps back
//! to an index with arithmetic, never a lookup.

pub mod body;
pub mod model;
pub mod size;
pub(crate) mod words;

use std::collections::HashMap;
use std::ops::Range;

use crate::hash::{mix, pick, unit};
use model::*;
use size::DatasetSize;
use words::*;

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

    // ---- users and groups ----

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.size.users as usize
    }

    /// User `u` (0 is the site admin the credentials belong to).
    pub fn user(&self, u: usize) -> &User {
        &self.users[u]
    }

    fn generate_user(&self, u: usize) -> User {
        let i = u as u64;
        let first = pick(self.h(K_USER, i, 1), FIRST_NAMES);
        let last = pick(self.h(K_USER, i, 2), LAST_NAMES);
        let is_app = u > 0 && u + 1 == self.user_count() && self.user_count() > 5;
        let display_name = if is_app { "Automation for Confluence".to_owned() } else { format!("{first} {last}") };
        let ascii = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
        let username = if u == 0 {
            self.admin_username.clone()
        } else {
            format!("{}{}{u}", ascii(first).chars().next().unwrap_or('u'), ascii(last))
        };
        let email = match (u, is_app) {
            (0, _) => Some(self.admin_email.clone()),
            (_, true) => None,
            _ => Some(format!("{}.{}{u}@example.com", ascii(first), ascii(last))),
        };
        let personal_space =
            (u >= 1 && (u as u64) <= self.size.personal_spaces).then(|| self.size.spaces as usize + u - 1);
        User {
            index: u,
            account_id: format!("{:016x}{:08x}", self.h(K_USER, i, 3), self.h(K_USER, i, 4) as u32),
            username,
            user_key: format!("{:016x}{:016x}", self.h(K_USER, i, 5), self.h(K_USER, i, 6)),
            display_name,
            email,
            active: u == 0 || self.h(K_USER, i, 7) % 10 != 0,
            account_type: if is_app { "app" } else { "atlassian" },
            time_zone: pick(self.h(K_USER, i, 8), TIME_ZONES),
            personal_space,
        }
    }

    /// The user with this Cloud account id.
    pub fn user_by_account_id(&self, account_id: &str) -> Option<&User> {
        self.account_index.get(account_id).map(|u| self.user(*u))
    }

    /// The user with this Data Center username.
    pub fn user_by_username(&self, username: &str) -> Option<&User> {
        self.username_index.get(username).map(|u| self.user(*u))
    }

    /// A user index skewed towards the first users (a few people write most content).
    fn author(&self, h: u64) -> usize {
        ((self.user_count() as f64) * unit(h).powi(2)) as usize
    }

    /// Number of groups.
    pub fn group_count(&self) -> usize {
        self.size.groups as usize
    }

    /// Group `g`.
    pub fn group(&self, g: usize) -> Group {
        let h = self.h(K_GROUP, g as u64, 1);
        let name = match GROUP_NAMES.get(g) {
            Some(name) => (*name).to_owned(),
            None => format!("team-{g}"),
        };
        Group { index: g, id: uuid_from(h, self.h(K_GROUP, g as u64, 2)), name }
    }

    /// The group with this id.
    pub fn group_by_id(&self, id: &str) -> Option<Group> {
        (0..self.group_count()).map(|g| self.group(g)).find(|g| g.id == id)
    }

    /// The group with this name.
    pub fn group_by_name(&self, name: &str) -> Option<Group> {
        (0..self.group_count()).map(|g| self.group(g)).find(|g| g.name == name)
    }

    /// Whether user `u` is in group `g`: everyone active is in the first group, user 0 and a tenth of the others
    /// in the second (administrators), a quarter of the users in each other group.
    pub fn is_member(&self, g: usize, u: usize) -> bool {
        let user = self.user(u);
        match g {
            0 => user.active,
            1 => u == 0 || mix(self.seed, &[K_MEMBER, g as u64, u as u64]) % 10 == 0,
            _ => mix(self.seed, &[K_MEMBER, g as u64, u as u64]) % 4 == 0,
        }
    }

    // ---- spaces ----

    /// Number of spaces, global then personal.
    pub fn space_count(&self) -> usize {
        (self.size.spaces + self.size.personal_spaces) as usize
    }

    fn is_archived_space(&self, s: usize) -> bool {
        let globals = self.size.spaces as usize;
        globals >= 3 && s == globals - 1
    }

    fn is_empty_space(&self, s: usize) -> bool {
        let globals = self.size.spaces as usize;
        globals >= 4 && s == globals - 2
    }

    fn space_weight(&self, s: usize) -> f64 {
        if self.is_empty_space(s) {
            0.0
        } else if s >= self.size.spaces as usize {
            0.15
        } else {
            1.0 / ((s + 1) as f64).powf(0.6)
        }
    }

    fn space_key(&self, s: usize) -> String {
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

    fn generate_space(&self, s: usize) -> Space {
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

    fn space_of_page(&self, i: u64) -> usize {
        self.page_offsets.partition_point(|o| *o <= i).saturating_sub(1)
    }

    fn space_of_blog(&self, i: u64) -> usize {
        self.blog_offsets.partition_point(|o| *o <= i).saturating_sub(1)
    }

    // ---- pages and blog posts ----

    fn version(&self, kind: u64, i: u64, created_ms: i64) -> Version {
        let h = self.h(kind, i, 20);
        let number = if h % 50 == 0 { 20 + (h >> 8) % 40 } else { 1 + (h >> 8) % 6 } as u32;
        let created =
            if number == 1 { created_ms } else { Self::time_between(self.h(kind, i, 21), created_ms, HISTORY_END_MS) };
        Version {
            number,
            created_ms: created,
            message: pick(self.h(kind, i, 22), VERSION_MESSAGES).to_owned(),
            minor_edit: self.h(kind, i, 23) % 5 == 0,
            author: self.author(self.h(kind, i, 24)),
        }
    }

    fn labels(&self, kind: u64, i: u64) -> Vec<String> {
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

    fn body_paragraphs(&self, kind: u64, i: u64) -> u32 {
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
            let base = if h % 23 == 0 {
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
        let archived = local > 0 && self.h(K_PAGE, i, 6) % 50 == 0;
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
                    minor_edit: number > 1 && mix(self.seed, &[kind, content.id, u64::from(number), 1]) % 5 == 0,
                    author: if number == 1 {
                        content.author
                    } else {
                        self.author(mix(self.seed, &[kind, content.id, u64::from(number), 2]))
                    },
                }
            })
            .collect()
    }

    // ---- comments, attachments, tasks ----

    fn page_spread(&self, items: u64) -> Spread {
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

    fn comment(&self, kind: ContentKind, c: u64) -> Comment {
        let (k, base, total) = match kind {
            ContentKind::InlineComment => (K_INLINE, INLINE_BASE, self.size.inline_comments),
            _ => (K_FOOTER, FOOTER_BASE, self.size.footer_comments),
        };
        let spread = self.page_spread(total);
        let p = spread.owner_of(c);
        let page = self.page(p);
        let first_on_page = spread.range(p).start;
        let parent_comment_id = (c > first_on_page && self.h(k, c, 1) % 3 == 0)
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
            comment: if self.h(K_ATTACH, a, 5) % 3 == 0 {
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
            due_ms: (self.h(K_TASK, t, 7) % 2 == 0)
                .then(|| created_ms + 86_400_000 * (1 + (self.h(K_TASK, t, 8) % 60) as i64)),
            completed_ms,
        }
    }

    // ---- labels and audit ----

    /// Number of labels in the vocabulary.
    pub fn label_count(&self) -> usize {
        LABELS.len()
    }

    /// Label `l`: (id, name).
    pub fn label(&self, l: usize) -> (u64, &'static str) {
        (LABEL_BASE + l as u64, LABELS[l])
    }

    /// Number of audit records.
    pub fn audit_count(&self) -> u64 {
        self.size.audit_records
    }

    /// Audit record `r` (0 is the newest).
    pub fn audit(&self, r: u64) -> AuditRecord {
        let total = self.size.audit_records.max(1);
        let step = (HISTORY_END_MS - HISTORY_START_MS) / total as i64;
        let created_ms = HISTORY_END_MS - step * r as i64 - (self.h(K_AUDIT, r, 1) % step.max(1) as u64) as i64 / 2;
        let (category, summary, object_type) = pick(self.h(K_AUDIT, r, 2), AUDIT_EVENTS);
        let author = self.author(self.h(K_AUDIT, r, 3));
        let object_name = match object_type {
            "space" if self.space_count() > 0 => {
                self.space((self.h(K_AUDIT, r, 4) % self.space_count() as u64) as usize).name.clone()
            }
            "user" => self.user((self.h(K_AUDIT, r, 4) % self.size.users) as usize).display_name.clone(),
            "page" if self.size.pages > 0 => self.page(self.h(K_AUDIT, r, 4) % self.size.pages).title,
            "app" => "Automation for Confluence".to_owned(),
            _ => "Confluence".to_owned(),
        };
        let h = self.h(K_AUDIT, r, 5);
        AuditRecord {
            index: r,
            author,
            remote_address: format!("10.{}.{}.{}", h % 256, (h >> 8) % 256, (h >> 16) % 256),
            created_ms,
            summary,
            category,
            description: format!("{summary}: {object_name}"),
            sys_admin: author == 0,
            affected_object: (object_name, object_type),
        }
    }

    // ---- ids ----

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

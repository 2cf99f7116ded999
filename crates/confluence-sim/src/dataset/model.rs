//! The entities of a Confluence site as the simulator holds them, independent of any JSON shape. Timestamps are
//! milliseconds since the Unix epoch (UTC); users are referred to by their index in the data set.

/// Which kind of content an id belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentKind {
    /// A page.
    Page,
    /// A blog post.
    BlogPost,
    /// A footer comment.
    FooterComment,
    /// An inline comment.
    InlineComment,
    /// An attachment.
    Attachment,
}

impl ContentKind {
    /// The CQL / v1 `type` of this kind.
    pub fn cql_type(&self) -> &'static str {
        match self {
            ContentKind::Page => "page",
            ContentKind::BlogPost => "blogpost",
            ContentKind::FooterComment | ContentKind::InlineComment => "comment",
            ContentKind::Attachment => "attachment",
        }
    }
}

/// A user account.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    /// Index in the data set.
    pub index: usize,
    /// Cloud account id.
    pub account_id: String,
    /// Data Center username.
    pub username: String,
    /// Data Center user key.
    pub user_key: String,
    /// Display name.
    pub display_name: String,
    /// Email (absent for app accounts).
    pub email: Option<String>,
    /// `active` or `inactive`.
    pub active: bool,
    /// `atlassian` or `app`.
    pub account_type: &'static str,
    /// IANA time zone.
    pub time_zone: &'static str,
    /// The index of the user's personal space, if any.
    pub personal_space: Option<usize>,
}

/// A group.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// Index in the data set.
    pub index: usize,
    /// Cloud group id (a UUID).
    pub id: String,
    /// Name.
    pub name: String,
}

/// A space.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    /// Index in the data set.
    pub index: usize,
    /// Numeric id.
    pub id: u64,
    /// Key, e.g. `ENG` or `~<account id>`.
    pub key: String,
    /// Name.
    pub name: String,
    /// `global` or `personal`.
    pub space_type: &'static str,
    /// `current` or `archived`.
    pub status: &'static str,
    /// Creator (user index).
    pub author: usize,
    /// Creation time.
    pub created_ms: i64,
    /// The home page id, if the space has pages.
    pub homepage_id: Option<u64>,
    /// Plain-text description.
    pub description: String,
}

/// Who a space permission is granted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    /// A user (index).
    User(usize),
    /// A group (index).
    Group(usize),
}

/// A permission granted in a space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpacePermission {
    /// Permission id.
    pub id: u64,
    /// Who holds it.
    pub principal: Principal,
    /// The operation (`read`, `create`, `administer`, ...).
    pub operation: &'static str,
    /// What it applies to (`space`, `page`, ...).
    pub target: &'static str,
}

/// The version of a piece of content.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    /// 1 for the first version.
    pub number: u32,
    /// When this version was saved.
    pub created_ms: i64,
    /// The version comment.
    pub message: String,
    /// Whether it was a minor edit.
    pub minor_edit: bool,
    /// Who saved it (user index).
    pub author: usize,
}

/// Where a body comes from: generated from a seed, or stored by a write.
#[derive(Clone, Debug, PartialEq)]
pub enum BodySource {
    /// Generated on demand: `paragraphs` paragraphs from `seed`.
    Generated {
        /// The body's seed.
        seed: u64,
        /// How many paragraphs.
        paragraphs: u32,
    },
    /// Storage-format XHTML written by a client.
    Stored(String),
}

/// A page or a blog post (blog posts have no parent and no position).
#[derive(Clone, Debug, PartialEq)]
pub struct Content {
    /// Content id.
    pub id: u64,
    /// Page or blog post.
    pub kind: ContentKind,
    /// Space index.
    pub space: usize,
    /// Title (unique within the space for pages).
    pub title: String,
    /// `current`, `archived`, `trashed`, `deleted`, `draft`.
    pub status: String,
    /// Parent page id (pages only).
    pub parent_id: Option<u64>,
    /// Position among siblings (pages only).
    pub position: Option<i32>,
    /// Creator (user index).
    pub author: usize,
    /// Owner (user index).
    pub owner: usize,
    /// Creation time.
    pub created_ms: i64,
    /// Current version.
    pub version: Version,
    /// Label names.
    pub labels: Vec<String>,
    /// The body.
    pub body: BodySource,
}

impl Content {
    /// Content created through the API (the store assigns its id): version 1, no labels, a stored body.
    #[allow(clippy::too_many_arguments)]
    pub fn created(
        kind: ContentKind,
        space: usize,
        title: String,
        status: &str,
        parent_id: Option<u64>,
        author: usize,
        now_ms: i64,
        storage: String,
    ) -> Content {
        Content {
            id: 0,
            kind,
            space,
            title,
            status: status.to_owned(),
            parent_id,
            position: (kind == ContentKind::Page).then_some(0),
            author,
            owner: author,
            created_ms: now_ms,
            version: Version { number: 1, created_ms: now_ms, message: String::new(), minor_edit: false, author },
            labels: Vec::new(),
            body: BodySource::Stored(storage),
        }
    }
}

/// An app's custom content item (on a page).
#[derive(Clone, Debug, PartialEq)]
pub struct CustomContent {
    /// Content id.
    pub id: u64,
    /// The app's content type (`ac:<app key>:<module key>`).
    pub content_type: &'static str,
    /// The page it is on.
    pub page_id: u64,
    /// Space index.
    pub space: usize,
    /// Title.
    pub title: String,
    /// Creator (user index).
    pub author: usize,
    /// Creation time.
    pub created_ms: i64,
    /// Current version.
    pub version: Version,
    /// Its body in storage format.
    pub storage: String,
}

/// A footer or inline comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// Content id.
    pub id: u64,
    /// Footer or inline.
    pub kind: ContentKind,
    /// The page or blog post it is on.
    pub container_id: u64,
    /// Whether the container is a blog post.
    pub on_blogpost: bool,
    /// The comment it replies to.
    pub parent_comment_id: Option<u64>,
    /// Title (`Re: <page title>`).
    pub title: String,
    /// Status.
    pub status: String,
    /// Author (user index).
    pub author: usize,
    /// Creation time.
    pub created_ms: i64,
    /// Current version.
    pub version: Version,
    /// The body.
    pub body: BodySource,
    /// Inline comments: `open`, `resolved` or `reopened`.
    pub resolution: Option<&'static str>,
}

impl Comment {
    /// A footer comment (or reply, with `parent_comment_id`) created through the API on `container_id`; the store
    /// fills in the id, the title and the kind of container.
    pub fn created(
        container_id: u64,
        parent_comment_id: Option<u64>,
        author: usize,
        now_ms: i64,
        storage: String,
    ) -> Comment {
        Comment {
            id: 0,
            kind: ContentKind::FooterComment,
            container_id,
            on_blogpost: false,
            parent_comment_id,
            title: String::new(),
            status: "current".to_owned(),
            author,
            created_ms: now_ms,
            version: Version { number: 1, created_ms: now_ms, message: String::new(), minor_edit: false, author },
            body: BodySource::Stored(storage),
            resolution: None,
        }
    }
}

/// A file attached to a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Attachment {
    /// Numeric part of the id (the API shows `att<id>`).
    pub id: u64,
    /// The page it is attached to.
    pub page_id: u64,
    /// File name.
    pub title: String,
    /// MIME type.
    pub media_type: &'static str,
    /// Size in bytes.
    pub file_size: u64,
    /// Upload comment.
    pub comment: String,
    /// Media-services file id (a UUID).
    pub file_id: String,
    /// Creation time.
    pub created_ms: i64,
    /// Current version.
    pub version: Version,
    /// Status.
    pub status: &'static str,
}

/// An inline task on a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    /// Task id.
    pub id: u64,
    /// Local id within the page.
    pub local_id: String,
    /// The page.
    pub page_id: u64,
    /// The page's space index.
    pub space: usize,
    /// `complete` or `incomplete`.
    pub status: &'static str,
    /// The task text.
    pub text: String,
    /// Creator (user index).
    pub created_by: usize,
    /// Assignee (user index).
    pub assigned_to: Option<usize>,
    /// Who completed it.
    pub completed_by: Option<usize>,
    /// Creation time.
    pub created_ms: i64,
    /// Last update.
    pub updated_ms: i64,
    /// Due date.
    pub due_ms: Option<i64>,
    /// Completion time.
    pub completed_ms: Option<i64>,
}

/// An audit-log record.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRecord {
    /// Index (0 is the newest).
    pub index: u64,
    /// Who did it (user index).
    pub author: usize,
    /// Client IP address.
    pub remote_address: String,
    /// When.
    pub created_ms: i64,
    /// Summary.
    pub summary: &'static str,
    /// Category.
    pub category: &'static str,
    /// Description.
    pub description: String,
    /// Whether a system admin did it.
    pub sys_admin: bool,
    /// The object affected: (name, type).
    pub affected_object: (String, &'static str),
}

//! What each writable table takes, and the connection's write settings.

use connstr::{ConflictPolicy, ConnectionOptions};

/// The connection's rules for writes (`ReadOnly`, `AllowUnboundedWrites`, `ConflictPolicy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteSettings {
    /// Refuse every write.
    pub read_only: bool,
    /// Let `UPDATE` and `DELETE` run without a `WHERE` that pins the rows by their key.
    pub allow_unbounded: bool,
    /// What an `UPDATE` does when the page was saved by someone else since it was read.
    pub conflict_policy: ConflictPolicy,
}

impl WriteSettings {
    /// The settings a connection string gives.
    pub fn from_options(options: &ConnectionOptions) -> WriteSettings {
        WriteSettings {
            read_only: options.read_only,
            allow_unbounded: options.allow_unbounded_writes,
            conflict_policy: options.conflict_policy,
        }
    }
}

/// What a writable table holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd)]
pub enum Entity {
    /// `pages`.
    Page,
    /// `blog_posts`.
    BlogPost,
    /// `comments` (footer comments and replies).
    Comment,
    /// `labels` (of pages).
    Label,
}

impl Entity {
    /// The entity of the table `name`, if it takes writes.
    pub fn of_table(name: &str) -> Option<Entity> {
        match name {
            "pages" => Some(Entity::Page),
            "blog_posts" => Some(Entity::BlogPost),
            "comments" => Some(Entity::Comment),
            "labels" => Some(Entity::Label),
            _ => None,
        }
    }

    /// The table's name.
    pub fn table(self) -> &'static str {
        match self {
            Entity::Page => "pages",
            Entity::BlogPost => "blog_posts",
            Entity::Comment => "comments",
            Entity::Label => "labels",
        }
    }

    /// One row's name in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Entity::Page => "page",
            Entity::BlogPost => "blog post",
            Entity::Comment => "comment",
            Entity::Label => "label",
        }
    }

    /// The columns an `INSERT` may give (the others must be NULL: Confluence sets them).
    pub fn insertable(self) -> &'static [&'static str] {
        match self {
            Entity::Page => &["space_id", "space_key", "title", "status", "parent_id", "body_storage"],
            Entity::BlogPost => &["space_id", "space_key", "title", "status", "body_storage"],
            Entity::Comment => &["page_id", "blog_post_id", "parent_comment_id", "body_storage"],
            Entity::Label => &["page_id", "name", "prefix"],
        }
    }

    /// The columns an `UPDATE` may set (`version_message` is the new version's message).
    pub fn updatable(self) -> &'static [&'static str] {
        match self {
            Entity::Page => &["title", "status", "parent_id", "owner_id", "body_storage", "version_message"],
            Entity::BlogPost => &["title", "status", "body_storage"],
            Entity::Comment | Entity::Label => &[],
        }
    }

    /// The column a `WHERE` must pin for an `UPDATE` or `DELETE` to run without `AllowUnboundedWrites`.
    pub fn key(self) -> &'static str {
        match self {
            Entity::Label => "page_id",
            _ => "id",
        }
    }

    /// The OAuth scopes a write of this entity needs, for messages: Cloud's granular and classic scopes, and
    /// Data Center's.
    pub fn scopes(self, delete: bool) -> &'static str {
        match (self, delete) {
            (Entity::Page, false) => "write:page:confluence (classic: write:confluence-content)",
            (Entity::Page, true) => "delete:page:confluence (classic: write:confluence-content)",
            (Entity::BlogPost, false) => "write:blogpost:confluence (classic: write:confluence-content)",
            (Entity::BlogPost, true) => "delete:blogpost:confluence (classic: write:confluence-content)",
            (Entity::Comment, false) => "write:comment:confluence (classic: write:confluence-content)",
            (Entity::Comment, true) => "delete:comment:confluence (classic: write:confluence-content)",
            (Entity::Label, _) => "write:label:confluence (classic: write:confluence-content)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::Column;

    /// Every column a write declaration names is a column of its table.
    #[test]
    fn declared_columns_exist() {
        for entity in [Entity::Page, Entity::BlogPost, Entity::Comment, Entity::Label] {
            let table = crate::tables::table(entity.table());
            let columns: Vec<&str> = table.cloud.columns.iter().map(|c: &Column| c.name).collect();
            for name in entity.insertable().iter().chain(entity.updatable()).chain([&entity.key()]) {
                assert!(columns.contains(name), "{}: no column {name}", entity.table());
            }
            assert_eq!(Entity::of_table(entity.table()), Some(entity));
        }
    }
}

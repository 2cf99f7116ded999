//! How big a generated site is: named presets and `key=value` overrides (`small,pages=100000`).

use std::fmt;

/// The number of each kind of entity in a generated site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatasetSize {
    /// Global spaces (the last is archived and the one before it empty, when there are at least 4).
    pub spaces: u64,
    /// Personal spaces (one per user, from the second user on).
    pub personal_spaces: u64,
    /// Pages, spread over the spaces with a long tail.
    pub pages: u64,
    /// Blog posts.
    pub blogposts: u64,
    /// Users.
    pub users: u64,
    /// Groups.
    pub groups: u64,
    /// Footer comments (on pages).
    pub footer_comments: u64,
    /// Inline comments (on pages).
    pub inline_comments: u64,
    /// Attachments (on pages).
    pub attachments: u64,
    /// Inline tasks (on pages).
    pub tasks: u64,
    /// Audit records.
    pub audit_records: u64,
}

/// The largest count accepted for any one kind (ids of each kind live in their own range of 10^9).
pub const MAX_PER_KIND: u64 = 900_000_000;

impl DatasetSize {
    /// A handful of everything: fast unit and end-to-end tests.
    pub const TINY: DatasetSize = DatasetSize {
        spaces: 5,
        personal_spaces: 1,
        pages: 60,
        blogposts: 12,
        users: 12,
        groups: 5,
        footer_comments: 40,
        inline_comments: 15,
        attachments: 30,
        tasks: 25,
        audit_records: 40,
    };

    /// A realistic small site: the demo and most SQL tests.
    pub const SMALL: DatasetSize = DatasetSize {
        spaces: 12,
        personal_spaces: 3,
        pages: 1_200,
        blogposts: 150,
        users: 60,
        groups: 10,
        footer_comments: 1_500,
        inline_comments: 400,
        attachments: 600,
        tasks: 500,
        audit_records: 2_000,
    };

    /// A large site for benchmarks: a million pages.
    pub const LARGE: DatasetSize = DatasetSize {
        spaces: 200,
        personal_spaces: 50,
        pages: 1_000_000,
        blogposts: 50_000,
        users: 5_000,
        groups: 50,
        footer_comments: 500_000,
        inline_comments: 100_000,
        attachments: 200_000,
        tasks: 100_000,
        audit_records: 100_000,
    };

    /// Parses `preset[,key=value...]` or `key=value,...` (starting from `small`), e.g. `large`,
    /// `tiny,pages=500`, `pages=1000000,spaces=50`.
    pub fn parse(spec: &str) -> Result<DatasetSize, String> {
        let mut size = DatasetSize::SMALL;
        for (n, item) in spec.split(',').map(str::trim).filter(|s| !s.is_empty()).enumerate() {
            match item.split_once('=') {
                None if n == 0 => {
                    size = match item.to_ascii_lowercase().as_str() {
                        "tiny" => DatasetSize::TINY,
                        "small" => DatasetSize::SMALL,
                        "large" => DatasetSize::LARGE,
                        other => return Err(format!("unknown data set preset {other:?}; use tiny, small or large")),
                    }
                }
                None => return Err(format!("{item:?} is not key=value (presets come first: large,pages=10)")),
                Some((key, value)) => {
                    let value: u64 =
                        value.trim().parse().map_err(|_| format!("{key}: {value:?} is not a whole number"))?;
                    if value > MAX_PER_KIND {
                        return Err(format!("{key}: at most {MAX_PER_KIND}"));
                    }
                    let slot = match key.trim() {
                        "spaces" => &mut size.spaces,
                        "personal_spaces" => &mut size.personal_spaces,
                        "pages" => &mut size.pages,
                        "blogposts" => &mut size.blogposts,
                        "users" => &mut size.users,
                        "groups" => &mut size.groups,
                        "footer_comments" => &mut size.footer_comments,
                        "inline_comments" => &mut size.inline_comments,
                        "attachments" => &mut size.attachments,
                        "tasks" => &mut size.tasks,
                        "audit_records" => &mut size.audit_records,
                        other => {
                            return Err(format!(
                            "unknown data set size {other:?}; use spaces, personal_spaces, pages, blogposts, users, \
                                 groups, footer_comments, inline_comments, attachments, tasks or audit_records"
                        ))
                        }
                    };
                    *slot = value;
                }
            }
        }
        if size.users == 0 {
            return Err("users: at least 1 (the site admin)".to_owned());
        }
        if size.spaces == 0 && (size.pages > 0 || size.blogposts > 0) {
            return Err("spaces: at least 1 when there are pages or blog posts".to_owned());
        }
        size.personal_spaces = size.personal_spaces.min(size.users.saturating_sub(1));
        Ok(size)
    }
}

impl fmt::Display for DatasetSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "spaces={},personal_spaces={},pages={},blogposts={},users={},groups={},footer_comments={},\
             inline_comments={},attachments={},tasks={},audit_records={}",
            self.spaces,
            self.personal_spaces,
            self.pages,
            self.blogposts,
            self.users,
            self.groups,
            self.footer_comments,
            self.inline_comments,
            self.attachments,
            self.tasks,
            self.audit_records
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_overrides() {
        assert_eq!(DatasetSize::parse("large"), Ok(DatasetSize::LARGE));
        let s = DatasetSize::parse("tiny,pages=500").unwrap_or(DatasetSize::TINY);
        assert_eq!((s.pages, s.spaces), (500, DatasetSize::TINY.spaces));
        assert_eq!(DatasetSize::parse("pages=7").map(|s| s.users), Ok(DatasetSize::SMALL.users));
        assert_eq!(DatasetSize::parse(&DatasetSize::LARGE.to_string()), Ok(DatasetSize::LARGE));
        assert!(DatasetSize::parse("huge").is_err());
        assert!(DatasetSize::parse("pages=x").is_err());
        assert!(DatasetSize::parse("tiny,colour=1").is_err());
        assert!(DatasetSize::parse("users=0").is_err());
    }
}

//! Space permissions: who may do what in each space. Generated per space from the seed: the space's creator holds
//! every operation, a personal space stops there; a global space also lets the site's first group read and add
//! content, and a few other groups and users read (some also create pages).

use crate::dataset::model::*;
use crate::dataset::*;

/// The operations a space administrator holds: (operation, target type), as v2 names them.
const ADMIN_OPERATIONS: &[(&str, &str)] = &[
    ("read", "space"),
    ("administer", "space"),
    ("export", "space"),
    ("restrict_content", "space"),
    ("create", "page"),
    ("delete", "page"),
    ("archive", "page"),
    ("create", "blogpost"),
    ("delete", "blogpost"),
    ("create", "comment"),
    ("delete", "comment"),
    ("create", "attachment"),
    ("delete", "attachment"),
];

/// What the site's first group may do in a global space.
const MEMBER_OPERATIONS: &[(&str, &str)] =
    &[("read", "space"), ("create", "page"), ("create", "blogpost"), ("create", "comment"), ("create", "attachment")];

/// Permission ids start here (space `s`'s at `PERMISSION_BASE + s * 1000`).
pub const PERMISSION_BASE: u64 = 7_000_000_000;

impl Dataset {
    /// The permissions granted in space `s`, in id order.
    pub fn space_permissions(&self, s: usize) -> Vec<SpacePermission> {
        let space = self.space(s);
        let mut grants: Vec<(Principal, &'static str, &'static str)> = Vec::new();
        grants.extend(ADMIN_OPERATIONS.iter().map(|(op, target)| (Principal::User(space.author), *op, *target)));
        if space.space_type == "global" {
            if self.group_count() > 0 {
                grants.extend(MEMBER_OPERATIONS.iter().map(|(op, target)| (Principal::Group(0), *op, *target)));
            }
            let i = s as u64;
            for k in 0..(self.h(K_PERMISSION, i, 1) % 3) {
                if self.group_count() > 1 {
                    let g = 1 + (self.h(K_PERMISSION, i, 10 + k) % (self.group_count() as u64 - 1)) as usize;
                    if !grants.iter().any(|(p, _, _)| *p == Principal::Group(g)) {
                        grants.push((Principal::Group(g), "read", "space"));
                    }
                }
            }
            for k in 0..(self.h(K_PERMISSION, i, 2) % 4) {
                let u = (self.h(K_PERMISSION, i, 20 + k) % self.user_count().max(1) as u64) as usize;
                if grants.iter().any(|(p, _, _)| *p == Principal::User(u)) {
                    continue;
                }
                grants.push((Principal::User(u), "read", "space"));
                if self.h(K_PERMISSION, i, 30 + k).is_multiple_of(2) {
                    grants.push((Principal::User(u), "create", "page"));
                }
            }
        }
        grants
            .into_iter()
            .enumerate()
            .map(|(k, (principal, operation, target))| SpacePermission {
                id: PERMISSION_BASE + s as u64 * 1000 + k as u64,
                principal,
                operation,
                target,
            })
            .collect()
    }
}

/// The operations a page or blog post can be restricted for.
pub const RESTRICTED_OPERATIONS: [&str; 2] = ["read", "update"];

impl Dataset {
    /// Who a page or blog post is restricted to for `operation` (`read` or `update`): nobody (no restriction) for
    /// most content; for about one in six, its author and up to four other users and two groups may read it; about
    /// one in four may be edited by its author and up to two others and a group only. Users by index, then groups.
    pub fn content_restrictions(&self, content_id: u64, author: usize, operation: &str) -> Vec<Principal> {
        let field = match operation {
            "read" => 0,
            "update" => 100,
            _ => return Vec::new(),
        };
        let (odds, most_users, most_groups) = if field == 0 { (6, 5, 3) } else { (4, 3, 2) };
        if !self.h(K_RESTRICTION, content_id, field).is_multiple_of(odds) {
            return Vec::new();
        }
        let mut users = vec![author];
        for k in 0..(self.h(K_RESTRICTION, content_id, field + 1) % most_users) {
            let u = (self.h(K_RESTRICTION, content_id, field + 10 + k) % self.user_count().max(1) as u64) as usize;
            if !users.contains(&u) {
                users.push(u);
            }
        }
        let mut groups = Vec::new();
        for k in 0..(self.h(K_RESTRICTION, content_id, field + 2) % most_groups) {
            if self.group_count() == 0 {
                break;
            }
            let g = (self.h(K_RESTRICTION, content_id, field + 20 + k) % self.group_count() as u64) as usize;
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        users.into_iter().map(Principal::User).chain(groups.into_iter().map(Principal::Group)).collect()
    }
}

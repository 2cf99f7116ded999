//! Users and groups: generated once at start-up (they are few and read for every row).

use crate::dataset::model::*;
use crate::dataset::words::*;
use crate::dataset::*;
use crate::hash::{mix, pick, unit};

impl Dataset {
    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.size.users as usize
    }

    /// User `u` (0 is the site admin the credentials belong to).
    pub fn user(&self, u: usize) -> &User {
        &self.users[u]
    }

    pub(super) fn generate_user(&self, u: usize) -> User {
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
            active: u == 0 || !self.h(K_USER, i, 7).is_multiple_of(10),
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
    pub(super) fn author(&self, h: u64) -> usize {
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
            1 => u == 0 || mix(self.seed, &[K_MEMBER, g as u64, u as u64]).is_multiple_of(10),
            _ => mix(self.seed, &[K_MEMBER, g as u64, u as u64]).is_multiple_of(4),
        }
    }
}

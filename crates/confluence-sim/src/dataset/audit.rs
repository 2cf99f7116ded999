//! Labels and audit-log records.

use crate::dataset::model::*;
use crate::dataset::words::*;
use crate::dataset::*;
use crate::hash::pick;

impl Dataset {
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
}

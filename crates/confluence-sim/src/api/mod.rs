//! The Confluence REST APIs: Cloud v2 ([`v2`]), Cloud v1 ([`v1`]), Data Center ([`dc`]), their JSON shapes
//! ([`json`]), attachment files on both ([`attachments`]) and what they share ([`common`]).

pub mod attachments;
pub mod common;
pub mod dc;
pub mod json;
pub mod v1;
pub mod v2;

//! Page, blog post and comment bodies in the three formats clients ask for: storage (XHTML), view (HTML) and
//! atlas_doc_format (ADF JSON), generated from a seed only when a body is requested.

use crate::dataset::model::BodySource;
use crate::dataset::words::BODY_WORDS;
use crate::hash::{mix, pick};

/// A generated paragraph: 12 to 60 words.
fn paragraph(seed: u64, n: u32) -> String {
    let h = mix(seed, &[u64::from(n)]);
    let words = 12 + h % 49;
    let mut text = String::with_capacity(words as usize * 8);
    for w in 0..words {
        let word = pick(mix(h, &[w]), BODY_WORDS);
        if w == 0 {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                text.extend(first.to_uppercase());
                text.push_str(chars.as_str());
            }
        } else {
            text.push(' ');
            text.push_str(word);
        }
    }
    text.push('.');
    text
}

pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The body in storage format.
pub fn storage(body: &BodySource) -> String {
    match body {
        BodySource::Stored(text) => text.clone(),
        BodySource::Generated { seed, paragraphs } => {
            let mut out = String::new();
            for n in 0..*paragraphs {
                if n % 4 == 0 {
                    out.push_str(&format!("<h2>Section {}</h2>", n / 4 + 1));
                }
                out.push_str("<p>");
                out.push_str(&escape_html(&paragraph(*seed, n)));
                out.push_str("</p>");
            }
            out
        }
    }
}

/// The body rendered for display (`view`): the same HTML wrapped as Confluence renders it.
pub fn view(body: &BodySource) -> String {
    format!("<div class=\"wiki-content\">{}</div>", storage(body))
}

/// The body as an Atlassian Document Format document, serialised to a string (as the API returns it).
pub fn atlas_doc(body: &BodySource) -> String {
    let paragraphs: Vec<serde_json::Value> = match body {
        BodySource::Generated { seed, paragraphs } => (0..*paragraphs)
            .map(|n| serde_json::json!({"type": "paragraph", "content": [{"type": "text", "text": paragraph(*seed, n)}]}))
            .collect(),
        BodySource::Stored(text) => {
            vec![serde_json::json!({"type": "paragraph", "content": [{"type": "text", "text": plain_text(text)}]})]
        }
    };
    serde_json::json!({"type": "doc", "version": 1, "content": paragraphs}).to_string()
}

/// The words of a body without markup, for CQL `text` and excerpts.
pub fn plain_text(storage: &str) -> String {
    let mut out = String::with_capacity(storage.len());
    let mut in_tag = false;
    for c in storage.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_agree() {
        let body = BodySource::Generated { seed: 3, paragraphs: 5 };
        let storage = storage(&body);
        assert!(storage.starts_with("<h2>Section 1</h2><p>"));
        assert_eq!(storage, super::storage(&body), "deterministic");
        assert!(view(&body).contains(&storage));
        let adf: serde_json::Value = serde_json::from_str(&atlas_doc(&body)).unwrap_or_default();
        assert_eq!(adf["content"].as_array().map(Vec::len), Some(5));
        assert!(!plain_text(&storage).contains('<'));
    }
}

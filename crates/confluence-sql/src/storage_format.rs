//! Confluence storage format (XHTML with `ac:` macros and `ri:` resource identifiers) as plain text or Markdown:
//! the SQL functions `confluence_text(body)` and `confluence_markdown(body)`, for search, diffing and AI pipelines.
//!
//! Bodies come from the server and are not trusted: the reader is a tolerant tokenizer (no XML validity is
//! assumed: storage format uses HTML entities such as `&nbsp;` that XML does not define), building a small tree
//! that the two renderers walk. Unclosed or stray tags, unknown entities and truncated input degrade to text;
//! nothing panics, and nesting deeper than [`MAX_DEPTH`] is flattened instead of recursing without bound.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::scalar::ScalarValue;

/// Elements nested deeper than this are read as if they were siblings (a hostile body cannot exhaust the stack).
pub const MAX_DEPTH: usize = 200;

/// A node of the parsed body.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// Text (entities decoded) or a CDATA section's content.
    Text(String),
    /// An element: its lower-cased name, its attributes (names lower-cased, values decoded) and its children.
    Element { name: String, attributes: Vec<(String, String)>, children: Vec<Node> },
}

impl Node {
    fn attribute(&self, wanted: &str) -> Option<&str> {
        match self {
            Node::Element { attributes, .. } => {
                attributes.iter().find(|(name, _)| name == wanted).map(|(_, value)| value.as_str())
            }
            Node::Text(_) => None,
        }
    }

    fn children(&self) -> &[Node] {
        match self {
            Node::Element { children, .. } => children,
            Node::Text(_) => &[],
        }
    }

    fn name(&self) -> &str {
        match self {
            Node::Element { name, .. } => name,
            Node::Text(_) => "",
        }
    }

    /// The first child element named `name`.
    fn child(&self, name: &str) -> Option<&Node> {
        self.children().iter().find(|c| c.name() == name)
    }

    /// A macro's parameter (`<ac:parameter ac:name="language">java</ac:parameter>`).
    fn parameter(&self, wanted: &str) -> Option<String> {
        self.children()
            .iter()
            .find(|c| c.name() == "ac:parameter" && c.attribute("ac:name") == Some(wanted))
            .map(|p| raw_text(p.children()))
    }
}

/// An element being read: its name, attributes and children so far.
type OpenElement = (String, Vec<(String, String)>, Vec<Node>);

/// Elements that never have content.
const VOID: &[&str] = &["br", "hr", "img", "col", "input", "meta", "link", "area", "base", "wbr", "source"];

/// Parses `input` into a forest of nodes, tolerating anything.
fn parse(input: &str) -> Vec<Node> {
    // The open elements: (name, attributes, children); the root is the bottom entry.
    let mut stack: Vec<OpenElement> = vec![(String::new(), Vec::new(), Vec::new())];
    let mut rest = input;
    let push_text = |stack: &mut Vec<OpenElement>, text: String| {
        if text.is_empty() {
            return;
        }
        let children = &mut stack.last_mut().map(|top| &mut top.2);
        if let Some(children) = children {
            match children.last_mut() {
                Some(Node::Text(previous)) => previous.push_str(&text),
                _ => children.push(Node::Text(text)),
            }
        }
    };
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            push_text(&mut stack, decode_entities(rest));
            break;
        };
        push_text(&mut stack, decode_entities(&rest[..lt]));
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>").unwrap_or(after.len());
            push_text(&mut stack, after[..end].to_owned());
            rest = after.get(end + 3..).unwrap_or("");
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            rest = rest.find('>').map_or("", |end| &rest[end + 1..]);
        } else if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').unwrap_or(after.len());
            let name = after[..end].trim().to_ascii_lowercase();
            rest = after.get(end + 1..).unwrap_or("");
            // Close up to the matching open element; a stray end tag is ignored.
            if let Some(at) = stack.iter().rposition(|(open, _, _)| *open == name).filter(|at| *at > 0) {
                while stack.len() > at {
                    close(&mut stack);
                }
            }
        } else {
            match tag(&rest[1..]) {
                Some((name, attributes, self_closing, consumed)) => {
                    rest = &rest[1 + consumed..];
                    if self_closing || VOID.contains(&name.as_str()) || stack.len() > MAX_DEPTH {
                        if let Some(top) = stack.last_mut() {
                            top.2.push(Node::Element { name, attributes, children: Vec::new() });
                        }
                    } else {
                        stack.push((name, attributes, Vec::new()));
                    }
                }
                None => {
                    // A `<` that starts no tag (`a < b`): text.
                    push_text(&mut stack, "<".to_owned());
                    rest = &rest[1..];
                }
            }
        }
    }
    while stack.len() > 1 {
        close(&mut stack);
    }
    stack.pop().map(|root| root.2).unwrap_or_default()
}

/// Closes the innermost open element into its parent.
fn close(stack: &mut Vec<OpenElement>) {
    if let Some((name, attributes, children)) = stack.pop() {
        if let Some(parent) = stack.last_mut() {
            parent.2.push(Node::Element { name, attributes, children });
        }
    }
}

/// A start tag after its `<`: its name, attributes, whether it closes itself, and the bytes it spans (to its `>`).
#[allow(clippy::type_complexity)]
fn tag(input: &str) -> Option<(String, Vec<(String, String)>, bool, usize)> {
    // Not a tag unless a letter follows `<` (checked first: `<1<1<1...` must not rescan the body per `<`).
    if !input.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let name_end =
        input.find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/' || c == '<').unwrap_or(input.len());
    let name = &input[..name_end];
    let mut attributes = Vec::new();
    let mut at = name_end;
    let bytes = input.as_bytes();
    loop {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        match bytes.get(at) {
            None => return Some((name.to_ascii_lowercase(), attributes, false, input.len())),
            Some(b'>') => return Some((name.to_ascii_lowercase(), attributes, false, at + 1)),
            Some(b'/') if bytes.get(at + 1) == Some(&b'>') => {
                return Some((name.to_ascii_lowercase(), attributes, true, at + 2))
            }
            Some(b'/') => at += 1,
            Some(_) => {
                let key_end = input[at..]
                    .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '>' || c == '/')
                    .map_or(input.len(), |e| at + e);
                let key = input[at..key_end].to_ascii_lowercase();
                at = key_end.max(at + 1);
                while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                    at += 1;
                }
                let mut value = String::new();
                if bytes.get(at) == Some(&b'=') {
                    at += 1;
                    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                        at += 1;
                    }
                    match bytes.get(at) {
                        Some(&quote) if quote == b'"' || quote == b'\'' => {
                            let end = input[at + 1..].find(quote as char).map_or(input.len(), |e| at + 1 + e);
                            value = decode_entities(&input[at + 1..end]);
                            at = (end + 1).min(input.len());
                        }
                        _ => {
                            let end = input[at..]
                                .find(|c: char| c.is_ascii_whitespace() || c == '>')
                                .map_or(input.len(), |e| at + e);
                            value = decode_entities(&input[at..end]);
                            at = end;
                        }
                    }
                }
                if !key.is_empty() {
                    attributes.push((key, value));
                }
            }
        }
    }
}

/// Decodes character references: the XML five, numeric ones, and the HTML names storage format uses most;
/// anything else is kept as written.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // A name is short: look for its `;` within 33 bytes only (a body of `&`s must not be rescanned per `&`).
        let decoded = rest.as_bytes()[1..].iter().take(33).position(|b| *b == b';').and_then(|end| {
            let name = &rest[1..1 + end];
            entity(name).map(|c| (c, end + 2))
        });
        match decoded {
            Some((c, consumed)) => {
                out.push(c);
                rest = &rest[consumed..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "euro" => '€',
        "pound" => '£',
        "deg" => '°',
        "times" => '×',
        "rarr" => '→',
        "larr" => '←',
        _ => return None,
    })
}

/// The text of `nodes` exactly as written (CDATA and macro parameters included).
fn raw_text(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Element { children, .. } => out.push_str(&raw_text(children)),
        }
    }
    out
}

/// Elements whose content is not body text (macro parameters, task ids, styles).
fn is_hidden(name: &str) -> bool {
    matches!(
        name,
        "ac:parameter" | "ac:task-id" | "ac:task-uuid" | "ac:task-status" | "ac:placeholder" | "style" | "script"
    )
}

/// Elements that start a new line in plain text.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "ul"
            | "ol"
            | "tr"
            | "table"
            | "blockquote"
            | "pre"
            | "hr"
            | "br"
            | "ac:task"
            | "ac:layout-section"
            | "ac:layout-cell"
            | "ac:structured-macro"
            | "ac:rich-text-body"
            | "ac:plain-text-body"
    )
}

/// Plain text: the words of the body, a line per block, cells separated by tabs, links by their text, code
/// verbatim.
pub fn to_text(storage: &str) -> String {
    let mut out = String::new();
    text_of(&parse(storage), &mut out, false);
    tidy(&out)
}

fn text_of(nodes: &[Node], out: &mut String, verbatim: bool) {
    for node in nodes {
        match node {
            Node::Text(text) if verbatim => out.push_str(text),
            Node::Text(text) => push_words(out, text),
            Node::Element { name, children, .. } => {
                if is_hidden(name) {
                    continue;
                }
                match name.as_str() {
                    "td" | "th" => {
                        text_of(children, out, verbatim);
                        out.push('\t');
                        continue;
                    }
                    "ac:emoticon" => {
                        out.push_str(node.attribute("ac:emoji-fallback").unwrap_or(""));
                        continue;
                    }
                    "ac:link" => {
                        out.push_str(&link_text(node));
                        continue;
                    }
                    "br" => {
                        out.push('\n');
                        continue;
                    }
                    _ => {}
                }
                let block = is_block(name);
                if block {
                    out.push('\n');
                }
                let verbatim = verbatim || name == "pre" || name == "ac:plain-text-body";
                text_of(children, out, verbatim);
                if block {
                    out.push('\n');
                }
            }
        }
    }
}

/// Appends `text` with its whitespace runs collapsed to single spaces.
fn push_words(out: &mut String, text: &str) {
    let mut last_space = out.ends_with([' ', '\n', '\t']) || out.is_empty();
    for c in text.chars() {
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
    }
}

/// Trailing spaces off every line, at most one blank line in a row, no blank lines at the ends.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

/// A link's text: its body, else the page, attachment or URL it points to.
fn link_text(link: &Node) -> String {
    let body = link.child("ac:plain-text-link-body").or_else(|| link.child("ac:link-body"));
    if let Some(body) = body {
        let text = raw_text(body.children());
        if !text.trim().is_empty() {
            return text.trim().to_owned();
        }
    }
    for child in link.children() {
        for attribute in ["ri:content-title", "ri:filename", "ri:value", "ri:space-key"] {
            if let Some(value) = child.attribute(attribute) {
                return value.to_owned();
            }
        }
    }
    String::new()
}

/// Markdown: headings, emphasis, links, lists (nested), tables, code blocks (with their language), quotes and
/// panels, task lists, images.
pub fn to_markdown(storage: &str) -> String {
    let mut out = String::new();
    blocks(&parse(storage), &mut out, 0);
    tidy_markdown(&out)
}

/// Renders block content at `indent` (the list nesting's indentation).
fn blocks(nodes: &[Node], out: &mut String, indent: usize) {
    let pad = " ".repeat(indent);
    let mut line = String::new();
    let flush = |line: &mut String, out: &mut String| {
        let text = line.trim();
        if !text.is_empty() {
            out.push_str(&pad);
            out.push_str(text);
            out.push_str("\n\n");
        }
        line.clear();
    };
    for node in nodes {
        let Node::Element { name, children, .. } = node else {
            inline(std::slice::from_ref(node), &mut line);
            continue;
        };
        if is_hidden(name) {
            continue;
        }
        match name.as_str() {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                flush(&mut line, out);
                let level = name[1..].parse::<usize>().unwrap_or(1);
                let mut text = String::new();
                inline(children, &mut text);
                out.push_str(&format!("{pad}{} {}\n\n", "#".repeat(level), text.trim()));
            }
            "p" | "div" | "ac:layout" | "ac:layout-section" | "ac:layout-cell" | "ac:rich-text-body" => {
                flush(&mut line, out);
                blocks(children, out, indent);
            }
            "ul" | "ol" => {
                flush(&mut line, out);
                list(children, name == "ol", out, indent);
            }
            "ac:task-list" => {
                flush(&mut line, out);
                for task in children.iter().filter(|t| t.name() == "ac:task") {
                    let done = task.child("ac:task-status").map(|s| raw_text(s.children()));
                    let mark = if done.as_deref().map(str::trim) == Some("complete") { "x" } else { " " };
                    let mut text = String::new();
                    if let Some(body) = task.child("ac:task-body") {
                        inline(body.children(), &mut text);
                    }
                    out.push_str(&format!("{pad}- [{mark}] {}\n", text.trim()));
                }
                out.push('\n');
            }
            "table" => {
                flush(&mut line, out);
                table(node, out, &pad);
            }
            "pre" => {
                flush(&mut line, out);
                fence(&raw_text(children), "", out, &pad);
            }
            "blockquote" => {
                flush(&mut line, out);
                quote(children, None, out, indent);
            }
            "hr" => {
                flush(&mut line, out);
                out.push_str(&format!("{pad}---\n\n"));
            }
            "ac:structured-macro" | "ac:macro" => {
                flush(&mut line, out);
                structured_macro(node, out, indent);
            }
            _ => inline(std::slice::from_ref(node), &mut line),
        }
    }
    flush(&mut line, out);
}

fn list(items: &[Node], ordered: bool, out: &mut String, indent: usize) {
    let pad = " ".repeat(indent);
    let mut number = 0;
    for item in items.iter().filter(|i| i.name() == "li") {
        number += 1;
        let marker = if ordered { format!("{number}. ") } else { "- ".to_owned() };
        let mut text = String::new();
        let mut nested = String::new();
        for child in item.children() {
            match child.name() {
                "ul" | "ol" => list(child.children(), child.name() == "ol", &mut nested, indent + marker.len()),
                "p" => {
                    if !text.trim().is_empty() {
                        text.push(' ');
                    }
                    inline(child.children(), &mut text);
                }
                _ => inline(std::slice::from_ref(child), &mut text),
            }
        }
        out.push_str(&format!("{pad}{marker}{}\n", text.trim()));
        out.push_str(nested.trim_end_matches('\n'));
        if !nested.is_empty() {
            out.push('\n');
        }
    }
    out.push('\n');
}

fn table(node: &Node, out: &mut String, pad: &str) {
    let mut rows: Vec<Vec<String>> = Vec::new();
    collect_rows(node, &mut rows);
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if width == 0 {
        return;
    }
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = (0..width).map(|c| row.get(c).cloned().unwrap_or_default()).collect();
        out.push_str(&format!("{pad}| {} |\n", cells.join(" | ")));
        if i == 0 {
            out.push_str(&format!("{pad}|{}\n", " --- |".repeat(width)));
        }
    }
    out.push('\n');
}

fn collect_rows(node: &Node, rows: &mut Vec<Vec<String>>) {
    for child in node.children() {
        if child.name() == "tr" {
            let cells = child
                .children()
                .iter()
                .filter(|c| matches!(c.name(), "td" | "th"))
                .map(|cell| {
                    let mut text = String::new();
                    text_of(cell.children(), &mut text, false);
                    let words: Vec<&str> = text.split_whitespace().collect();
                    words.join(" ").replace('|', "\\|")
                })
                .collect();
            rows.push(cells);
        } else {
            collect_rows(child, rows);
        }
    }
}

fn fence(code: &str, language: &str, out: &mut String, pad: &str) {
    let code = code.trim_matches('\n');
    let ticks = if code.contains("```") { "````" } else { "```" };
    out.push_str(&format!("{pad}{ticks}{language}\n"));
    for line in code.lines() {
        out.push_str(&format!("{pad}{line}\n"));
    }
    out.push_str(&format!("{pad}{ticks}\n\n"));
}

fn quote(children: &[Node], title: Option<&str>, out: &mut String, indent: usize) {
    let mut inner = String::new();
    if let Some(title) = title {
        inner.push_str(&format!("**{title}**\n\n"));
    }
    blocks(children, &mut inner, 0);
    let pad = " ".repeat(indent);
    for line in tidy_markdown(&inner).lines() {
        out.push_str(format!("{pad}> {line}").trim_end());
        out.push('\n');
    }
    out.push('\n');
}

fn structured_macro(node: &Node, out: &mut String, indent: usize) {
    let pad = " ".repeat(indent);
    let name = node.attribute("ac:name").unwrap_or("");
    match name {
        "code" | "noformat" => {
            let code = node.child("ac:plain-text-body").map(|b| raw_text(b.children())).unwrap_or_default();
            fence(&code, node.parameter("language").unwrap_or_default().trim(), out, &pad);
        }
        "info" | "note" | "warning" | "tip" | "panel" | "expand" => {
            let title = node.parameter("title").filter(|t| !t.trim().is_empty());
            let label = title.unwrap_or_else(|| capitalised(name));
            let body = node.child("ac:rich-text-body").map(Node::children).unwrap_or(&[]);
            quote(body, Some(label.trim()), out, indent);
        }
        _ => {
            // Other macros: their body, if they have one (the rest is rendered by Confluence, not stored).
            if let Some(body) = node.child("ac:rich-text-body") {
                blocks(body.children(), out, indent);
            } else if let Some(body) = node.child("ac:plain-text-body") {
                fence(&raw_text(body.children()), "", out, &pad);
            }
        }
    }
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Renders inline content (emphasis, code, links, images, line breaks) into `out`.
fn inline(nodes: &[Node], out: &mut String) {
    for node in nodes {
        let (name, children) = match node {
            Node::Text(text) => {
                push_words(out, &escape_markdown(text));
                continue;
            }
            Node::Element { name, children, .. } => (name.as_str(), children),
        };
        if is_hidden(name) {
            continue;
        }
        let wrap = |out: &mut String, mark: &str| {
            let mut inner = String::new();
            inline(children, &mut inner);
            let inner = inner.trim();
            if !inner.is_empty() {
                if !out.is_empty() && !out.ends_with([' ', '\n', '(', '[']) {
                    out.push(' ');
                }
                out.push_str(&format!("{mark}{inner}{mark}"));
            }
        };
        match name {
            "strong" | "b" => wrap(out, "**"),
            "em" | "i" => wrap(out, "_"),
            "s" | "del" | "strike" => wrap(out, "~~"),
            "code" => {
                let code = raw_text(children);
                let ticks = if code.contains('`') { "``" } else { "`" };
                out.push_str(&format!("{ticks}{code}{ticks}"));
            }
            "br" => out.push_str("  \n"),
            "a" => {
                let mut text = String::new();
                inline(children, &mut text);
                match node.attribute("href") {
                    Some(href) if !href.is_empty() => out.push_str(&format!("[{}]({href})", text.trim())),
                    _ => out.push_str(text.trim()),
                }
            }
            "ac:link" => out.push_str(&escape_markdown(&link_text(node))),
            "ac:image" => {
                let alt = node.attribute("ac:alt").unwrap_or("");
                let source = node
                    .children()
                    .iter()
                    .find_map(|c| c.attribute("ri:filename").or_else(|| c.attribute("ri:value")))
                    .unwrap_or("");
                out.push_str(&format!("![{alt}]({source})"));
            }
            "ac:emoticon" => out.push_str(node.attribute("ac:emoji-fallback").unwrap_or("")),
            "ri:user" => out.push_str(&format!("@{}", node.attribute("ri:account-id").unwrap_or("user"))),
            "ac:structured-macro" | "ac:macro" | "ul" | "ol" | "table" | "pre" | "p" => {
                // A block inside inline content (a list inside a table cell): its text on the line.
                let mut text = String::new();
                text_of(std::slice::from_ref(node), &mut text, false);
                push_words(out, &text);
            }
            _ => inline(children, out),
        }
    }
}

/// Escapes the characters that would start Markdown syntax in running text.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Blank lines collapsed (at most one), trailing spaces kept only as hard breaks, no blank lines at the ends.
fn tidy_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    let mut in_fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if line.trim().is_empty() && !in_fence {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        let keep = if line.ends_with("  ") && !in_fence { line } else { line.trim_end() };
        out.push_str(keep);
    }
    out.trim_end().to_owned()
}

/// `confluence_text(body)` or `confluence_markdown(body)`: a storage-format body as text or Markdown (NULL in,
/// NULL out).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StorageFormatFunction {
    name: &'static str,
    signature: Signature,
}

impl StorageFormatFunction {
    /// `confluence_text`.
    pub fn text() -> ScalarUDF {
        ScalarUDF::from(StorageFormatFunction::new("confluence_text"))
    }

    /// `confluence_markdown`.
    pub fn markdown() -> ScalarUDF {
        ScalarUDF::from(StorageFormatFunction::new("confluence_markdown"))
    }

    fn new(name: &'static str) -> StorageFormatFunction {
        let signature = Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Utf8]),
                TypeSignature::Exact(vec![DataType::LargeUtf8]),
                TypeSignature::Exact(vec![DataType::Utf8View]),
            ],
            Volatility::Immutable,
        );
        StorageFormatFunction { name, signature }
    }

    fn convert(&self, storage: &str) -> String {
        match self.name {
            "confluence_markdown" => to_markdown(storage),
            _ => to_text(storage),
        }
    }
}

impl ScalarUDFImpl for StorageFormatFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [argument] = args.args.as_slice() else {
            return Err(DataFusionError::Plan(format!("{} takes one argument, a storage-format body", self.name)));
        };
        match argument {
            ColumnarValue::Scalar(scalar) => {
                let text = match scalar {
                    ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => v.as_deref(),
                    other => {
                        return Err(DataFusionError::Plan(format!(
                            "{} takes text (a storage-format body), not {}",
                            self.name,
                            other.data_type()
                        )))
                    }
                };
                Ok(ColumnarValue::Scalar(ScalarValue::Utf8(text.map(|t| self.convert(t)))))
            }
            ColumnarValue::Array(array) => {
                let values: Box<dyn Iterator<Item = Option<&str>>> = match array.data_type() {
                    DataType::Utf8 => Box::new(array.as_string::<i32>().iter()),
                    DataType::LargeUtf8 => Box::new(array.as_string::<i64>().iter()),
                    DataType::Utf8View => Box::new(array.as_string_view().iter()),
                    other => {
                        return Err(DataFusionError::Plan(format!(
                            "{} takes text (a storage-format body), not {other}",
                            self.name
                        )))
                    }
                };
                let mut builder = StringBuilder::with_capacity(array.len(), 0);
                for value in values {
                    builder.append_option(value.map(|v| self.convert(v)));
                }
                Ok(ColumnarValue::Array(Arc::new(builder.finish()) as ArrayRef))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<h1>Release&nbsp;plan</h1><p>Ship <strong>v2</strong> on <em>Friday</em> &amp; tell <ac:link><ri:user ri:account-id="abc"/></ac:link>.</p>
<ul><li>Build<ul><li>Linux</li><li>macOS</li></ul></li><li>Test</li></ul>
<ac:structured-macro ac:name="code" ac:schema-version="1"><ac:parameter ac:name="language">rust</ac:parameter><ac:plain-text-body><![CDATA[fn main() {
    println!("<hi>");
}]]></ac:plain-text-body></ac:structured-macro>
<table><tbody><tr><th>Name</th><th>Owner</th></tr><tr><td>API</td><td>Ann | Bo</td></tr></tbody></table>
<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Read the <a href="https://x.test/a?b=1">notes</a>.</p></ac:rich-text-body></ac:structured-macro>
<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete</ac:task-status><ac:task-body>Draft</ac:task-body></ac:task><ac:task><ac:task-id>2</ac:task-id><ac:task-status>incomplete</ac:task-status><ac:task-body>Review <ac:link><ri:page ri:content-title="Checklist"/></ac:link></ac:task-body></ac:task></ac:task-list>"#;

    #[test]
    fn text_keeps_the_words_a_line_per_block() {
        let text = to_text(PAGE);
        assert_eq!(
            text,
            "Release plan\n\nShip v2 on Friday & tell .\n\nBuild\n\nLinux\n\nmacOS\n\nTest\n\nfn main() {\n    println!(\"<hi>\");\n}\n\nName\tOwner\n\nAPI\tAnn | Bo\n\nRead the notes.\n\nDraft\n\nReview Checklist",
            "{text}"
        );
        assert!(!text.contains("rust"), "macro parameters are not body text");
        assert!(!text.contains("complete"), "task states are not body text");
    }

    #[test]
    fn markdown_renders_structure() {
        let markdown = to_markdown(PAGE);
        let expected = "# Release plan\n\n\
            Ship **v2** on _Friday_ & tell .\n\n\
            - Build\n  - Linux\n  - macOS\n- Test\n\n\
            ```rust\nfn main() {\n    println!(\"<hi>\");\n}\n```\n\n\
            | Name | Owner |\n| --- | --- |\n| API | Ann \\| Bo |\n\n\
            > **Info**\n>\n> Read the [notes](https://x.test/a?b=1).\n\n\
            - [x] Draft\n- [ ] Review Checklist";
        assert_eq!(markdown, expected, "\n{markdown}");
    }

    #[test]
    fn entities_and_escapes() {
        assert_eq!(to_text("a &lt;b&gt; &#233;&#x263A; &bogus; &amp"), "a <b> é☺ &bogus; &amp");
        assert_eq!(to_markdown("<p>2 * 3 = _six_ # [x]</p>"), "2 \\* 3 = \\_six\\_ \\# \\[x\\]");
        assert_eq!(to_text("<p>x<br/>y</p><p>a < b</p>"), "x\ny\n\na < b");
    }

    #[test]
    fn broken_and_hostile_input_degrades_to_text() {
        for input in [
            "<p>unclosed <strong>bold",
            "</p></div>stray",
            "<",
            "<![CDATA[open",
            "<!-- open",
            "<p a='x",
            "&#xFFFFFFFF;",
        ] {
            let _ = to_text(input);
            let _ = to_markdown(input);
        }
        assert_eq!(to_text("<p>unclosed <strong>bold"), "unclosed bold");
        assert_eq!(to_text("</p></div>stray"), "stray");
        // Whitespace that is not ASCII inside a tag (a page author can write it) once split a character.
        for input in ["<p\u{3000}>x", "<p a\u{2028}b>x", "<p x=\u{3000}>x", "<p\u{00A0}\u{0085}>x"] {
            assert_eq!(to_text(input), "x", "{input:?}");
        }
        // Bodies that once cost quadratic time (every `<` or `&` rescanning the rest: hours for these).
        assert_eq!(to_text(&"<1".repeat(200_000)).len(), 400_000);
        assert_eq!(to_text(&"&".repeat(400_000)).len(), 400_000);
        assert_eq!(to_markdown(&"&a".repeat(200_000)).len(), 400_000);
        let deep = "<div>".repeat(100_000) + "bottom" + &"</div>".repeat(100_000);
        assert_eq!(to_text(&deep), "bottom");
        assert_eq!(to_markdown(&deep), "bottom");
    }

    #[test]
    fn ordered_lists_and_panels_with_titles() {
        let markdown = to_markdown(
            "<ol><li>one</li><li>two<ol><li>inner</li></ol></li></ol><ac:structured-macro ac:name=\"warning\">\
             <ac:parameter ac:name=\"title\">Careful</ac:parameter><ac:rich-text-body><p>Hot</p></ac:rich-text-body>\
             </ac:structured-macro><hr/><pre>  keep\n    indent</pre>",
        );
        assert_eq!(
            markdown, "1. one\n2. two\n   1. inner\n\n> **Careful**\n>\n> Hot\n\n---\n\n```\n  keep\n    indent\n```",
            "\n{markdown}"
        );
    }

    proptest::proptest! {
        /// Any text, markup-like or not, converts without panicking.
        #[test]
        fn never_panics(input in "(<[a-z:/!\\[]{0,3}[a-z =\"'\u{3000}\u{2028}\u{a0}]{0,6}>?|&[#x0-9a-z]{0,5};?|[^<&]{0,8}){0,40}") {
            let _ = to_text(&input);
            let _ = to_markdown(&input);
        }
    }
}

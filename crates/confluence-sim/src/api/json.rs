//! The simulator's entities in the JSON shapes of the real API: REST v2 objects (`id`, `spaceId`, `authorId`,
//! `createdAt`...) and REST v1 / Data Center objects (`type`, `space`, `history`, `version.when`, `_expandable`...).

use chrono::{DateTime, SecondsFormat};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::config::SimDeployment;
use crate::dataset::body;
use crate::dataset::model::{
    Attachment, AuditRecord, Comment, Content, ContentKind, CustomContent, Group, Space, Task, User, Version,
};
use crate::state::SimState;

/// An ISO-8601 UTC timestamp with milliseconds, as the API writes them.
pub fn iso(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Sets `key` when there is a value; leaves it out otherwise (the spec's non-nullable fields are omitted, never
/// `null`).
fn set_opt(v: &mut Value, key: &str, value: Option<Value>) {
    if let (Some(obj), Some(value)) = (v.as_object_mut(), value) {
        obj.insert(key.to_owned(), value);
    }
}

/// `{"representation": .., "value": ..}`.
fn body_value(representation: &str, value: String) -> Value {
    json!({"representation": representation, "value": value})
}

/// The `body` object for a v2 `body-format` (empty when none was asked for).
pub fn v2_body(source: &crate::dataset::model::BodySource, format: Option<&str>) -> Value {
    match format {
        Some("storage") => json!({"storage": body_value("storage", body::storage(source))}),
        Some("atlas_doc_format") => {
            json!({"atlas_doc_format": body_value("atlas_doc_format", body::atlas_doc(source))})
        }
        Some("view") | Some("export_view") | Some("styled_view") => {
            json!({"view": body_value("view", body::view(source))})
        }
        _ => json!({}),
    }
}

/// A v2 version object.
pub fn v2_version(state: &SimState, v: &Version) -> Value {
    json!({
        "createdAt": iso(v.created_ms),
        "message": v.message,
        "number": v.number,
        "minorEdit": v.minor_edit,
        "authorId": account_id(state, v.author),
    })
}

/// The account id of user `u`.
pub fn account_id(state: &SimState, u: usize) -> &str {
    &state.store.data.user(u).account_id
}

/// A v2 space.
pub fn v2_space(state: &SimState, s: &Space, description_format: Option<&str>) -> Value {
    let mut v = json!({
        "id": s.id.to_string(),
        "key": s.key,
        "name": s.name,
        "type": s.space_type,
        "status": s.status,
        "authorId": account_id(state, s.author),
        "createdAt": iso(s.created_ms),
        "_links": {"webui": format!("/spaces/{}", s.key)},
    });
    set_opt(&mut v, "homepageId", s.homepage_id.map(|id| json!(id.to_string())));
    if let Some(format) = description_format {
        let value = if format == "view" { format!("<p>{}</p>", s.description) } else { s.description.clone() };
        v["description"] = json!({format: body_value(format, value)});
    }
    v
}

/// A v2 body: only the representations asked for.
#[derive(Debug, Default, Serialize)]
pub struct V2Body {
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<BodyType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    atlas_doc_format: Option<BodyType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    view: Option<BodyType>,
}

#[derive(Debug, Serialize)]
struct BodyType {
    representation: &'static str,
    value: String,
}

impl V2Body {
    fn new(source: &crate::dataset::model::BodySource, format: Option<&str>) -> V2Body {
        match format {
            Some("storage") => V2Body {
                storage: Some(BodyType { representation: "storage", value: body::storage(source) }),
                ..V2Body::default()
            },
            Some("atlas_doc_format") => V2Body {
                atlas_doc_format: Some(BodyType { representation: "atlas_doc_format", value: body::atlas_doc(source) }),
                ..V2Body::default()
            },
            Some("view" | "export_view" | "styled_view") => V2Body {
                view: Some(BodyType { representation: "view", value: body::view(source) }),
                ..V2Body::default()
            },
            _ => V2Body::default(),
        }
    }
}

/// A v2 version, borrowing from the data set.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V2Version<'a> {
    created_at: String,
    message: &'a str,
    number: u32,
    minor_edit: bool,
    author_id: &'a str,
}

impl<'a> V2Version<'a> {
    fn new(state: &'a SimState, v: &'a Version) -> V2Version<'a> {
        V2Version {
            created_at: iso(v.created_ms),
            message: &v.message,
            number: v.number,
            minor_edit: v.minor_edit,
            author_id: account_id(state, v.author),
        }
    }
}

/// A v2 page or blog post, serialised straight from the data set (the hot path of every page list).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V2Content<'a> {
    id: String,
    status: &'a str,
    title: &'a str,
    space_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    position: Option<i32>,
    author_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_owner_id: Option<Option<&'a str>>,
    created_at: String,
    version: V2Version<'a>,
    body: V2Body,
    #[serde(rename = "_links")]
    links: V2ContentLinks,
}

#[derive(Debug, Serialize)]
struct V2ContentLinks {
    webui: String,
    editui: String,
    tinyui: String,
}

impl<'a> V2Content<'a> {
    /// The v2 view of a page or blog post, with the body in `body_format` when asked for.
    pub fn new(state: &'a SimState, c: &'a Content, body_format: Option<&str>) -> V2Content<'a> {
        let space = state.store.data.space(c.space);
        let is_page = c.kind == ContentKind::Page;
        let path = if is_page { "pages" } else { "blog" };
        V2Content {
            id: c.id.to_string(),
            status: &c.status,
            title: &c.title,
            space_id: space.id.to_string(),
            parent_id: c.parent_id.filter(|_| is_page).map(|p| p.to_string()),
            parent_type: c.parent_id.filter(|_| is_page).map(|_| "page"),
            position: c.position.filter(|_| is_page),
            author_id: account_id(state, c.author),
            owner_id: is_page.then(|| account_id(state, c.owner)),
            last_owner_id: is_page.then_some(None),
            created_at: iso(c.created_ms),
            version: V2Version::new(state, &c.version),
            body: V2Body::new(&c.body, body_format),
            links: V2ContentLinks {
                webui: format!("/spaces/{}/{path}/{}/{}", space.key, c.id, c.title.replace(' ', "+")),
                editui: format!("/pages/resumedraft.action?draftId={}", c.id),
                tinyui: format!("/x/{}", tiny_link(c.id)),
            },
        }
    }
}

/// A v2 page or blog post as a JSON value (for single gets that add fields).
pub fn v2_content(state: &SimState, c: &Content, body_format: Option<&str>) -> Value {
    serde_json::to_value(V2Content::new(state, c, body_format)).unwrap_or_default()
}

fn tiny_link(id: u64) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, id.to_le_bytes())
        .trim_end_matches('A')
        .to_owned()
}

/// A v2 footer or inline comment.
pub fn v2_comment(state: &SimState, c: &Comment, body_format: Option<&str>) -> Value {
    let mut v = json!({
        "id": c.id.to_string(),
        "status": c.status,
        "title": c.title,
        "version": v2_version(state, &c.version),
        "body": v2_body(&c.body, body_format),
        "_links": {"webui": format!("/pages/viewpage.action?pageId={}&focusedCommentId={}", c.container_id, c.id)},
    });
    if let Some(obj) = v.as_object_mut() {
        let container_key = if c.on_blogpost { "blogPostId" } else { "pageId" };
        obj.insert(container_key.to_owned(), json!(c.container_id.to_string()));
        if let Some(parent) = c.parent_comment_id {
            obj.insert("parentCommentId".to_owned(), json!(parent.to_string()));
        }
        if let Some(resolution) = c.resolution {
            obj.insert("resolutionStatus".to_owned(), json!(resolution));
            obj.insert(
                "properties".to_owned(),
                json!({"inlineMarkerRef": format!("marker-{}", c.id), "inlineOriginalSelection": "selected text"}),
            );
        }
    }
    v
}

/// A v2 custom content item (`/custom-content`): its body in storage format (or as Atlassian document format) when
/// asked for.
pub fn v2_custom_content(state: &SimState, c: &CustomContent, body_format: Option<&str>) -> Value {
    let space = state.store.data.space(c.space);
    let body = match body_format {
        Some("storage") => json!({"storage": body_value("storage", c.storage.clone())}),
        Some("atlas_doc_format") => {
            let text = body::plain_text(&c.storage);
            let adf = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}]});
            json!({"atlas_doc_format": body_value("atlas_doc_format", adf.to_string())})
        }
        _ => json!({}),
    };
    json!({
        "id": c.id.to_string(),
        "type": c.content_type,
        "status": "current",
        "title": c.title,
        "spaceId": space.id.to_string(),
        "pageId": c.page_id.to_string(),
        "authorId": account_id(state, c.author),
        "createdAt": iso(c.created_ms),
        "version": v2_version(state, &c.version),
        "body": body,
        "_links": {"webui": format!("/spaces/{}/customcontent/{}", space.key, c.id)},
    })
}

/// A v2 attachment.
pub fn v2_attachment(state: &SimState, a: &Attachment) -> Value {
    let download = format!("/download/attachments/{}/{}?version={}&api=v2", a.page_id, a.title, a.version.number);
    json!({
        "id": format!("att{}", a.id),
        "status": a.status,
        "title": a.title,
        "createdAt": iso(a.created_ms),
        "pageId": a.page_id.to_string(),
        "mediaType": a.media_type,
        "mediaTypeDescription": media_description(a.media_type),
        "comment": a.comment,
        "fileId": a.file_id,
        "fileSize": a.file_size,
        "webuiLink": format!("/pages/viewpageattachments.action?pageId={}&preview=%2F{}%2F{}", a.page_id, a.page_id, a.title),
        "downloadLink": download,
        "version": v2_version(state, &a.version),
        "_links": {"webui": format!("/pages/viewpageattachments.action?pageId={}", a.page_id), "download": download},
    })
}

fn media_description(media_type: &str) -> &'static str {
    match media_type {
        "image/png" | "image/jpeg" => "Image",
        "application/pdf" => "PDF Document",
        "text/plain" | "text/csv" => "Text File",
        "application/zip" => "Zip Archive",
        _ => "Document",
    }
}

/// A v2 label.
pub fn v2_label(id: u64, name: &str) -> Value {
    json!({"id": id.to_string(), "name": name, "prefix": "global"})
}

/// A v2 page version (`/pages/{id}/versions`).
pub fn v2_page_version(state: &SimState, page: &Content, v: &Version) -> Value {
    let mut out = v2_version(state, v);
    out["page"] = json!({"id": page.id.to_string(), "title": page.title});
    out
}

/// A v2 task.
pub fn v2_task(state: &SimState, t: &Task, body_format: Option<&str>) -> Value {
    let space = state.store.data.space(t.space);
    let mut v = json!({
        "id": t.id.to_string(),
        "localId": t.local_id,
        "spaceId": space.id.to_string(),
        "pageId": t.page_id.to_string(),
        "status": t.status,
        "createdBy": account_id(state, t.created_by),
        "createdAt": iso(t.created_ms),
        "updatedAt": iso(t.updated_ms),
    });
    set_opt(&mut v, "assignedTo", t.assigned_to.map(|u| json!(account_id(state, u))));
    set_opt(&mut v, "completedBy", t.completed_by.map(|u| json!(account_id(state, u))));
    set_opt(&mut v, "dueAt", t.due_ms.map(|ms| json!(iso(ms))));
    set_opt(&mut v, "completedAt", t.completed_ms.map(|ms| json!(iso(ms))));
    match body_format {
        Some("storage") => v["body"] = json!({"storage": body_value("storage", t.text.clone())}),
        Some("atlas_doc_format") => {
            let adf = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": t.text}]}]});
            v["body"] = json!({"atlas_doc_format": body_value("atlas_doc_format", adf.to_string())});
        }
        _ => {}
    }
    v
}

/// A v2 user (`/users-bulk`).
pub fn v2_user(u: &User) -> Value {
    let mut v = json!({
        "accountId": u.account_id,
        "accountType": u.account_type,
        "accountStatus": if u.active { "active" } else { "inactive" },
        "displayName": u.display_name,
        "publicName": u.display_name,
        "timeZone": u.time_zone,
        "isExternalCollaborator": false,
        "profilePicture": {"path": format!("/wiki/aa-avatar/{}", u.account_id), "isDefault": true},
    });
    set_opt(&mut v, "email", u.email.as_ref().map(|e| json!(e)));
    v
}

// ---- REST v1 and Data Center ----

/// Which parts of a v1 object to expand (`expand=space,history,body.storage,...`).
#[derive(Clone, Debug, Default)]
pub struct Expand(Vec<String>);

impl Expand {
    /// Parses the `expand` parameter (comma-separated).
    pub fn parse(values: Vec<String>) -> Expand {
        Expand(values)
    }

    /// Whether `name` (or something under it) is expanded.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|e| e == name || e.starts_with(&format!("{name}.")))
    }

    /// The body representations asked for (`body.storage` → `storage`).
    pub fn body_formats(&self) -> Vec<String> {
        self.0.iter().filter_map(|e| e.strip_prefix("body.")).map(str::to_owned).collect()
    }

    /// Whether a body is asked for.
    pub fn wants_body(&self) -> bool {
        !self.body_formats().is_empty()
    }
}

/// A v1 user (Cloud) or Data Center user.
pub fn v1_user(state: &SimState, u: &User) -> Value {
    let picture =
        json!({"path": format!("/wiki/aa-avatar/{}", u.account_id), "width": 48, "height": 48, "isDefault": true});
    match state.config.deployment {
        SimDeployment::Cloud => json!({
            "type": "known",
            "accountId": u.account_id,
            "accountType": u.account_type,
            "email": u.email,
            "publicName": u.display_name,
            "displayName": u.display_name,
            "timeZone": u.time_zone,
            "isExternalCollaborator": false,
            "externalCollaborator": false,
            "profilePicture": picture,
            "accountStatus": if u.active { "active" } else { "inactive" },
            "_expandable": {"operations": "", "personalSpace": ""},
            "_links": {"self": format!("{}/rest/api/user?accountId={}", state.wiki_base(), u.account_id)},
        }),
        SimDeployment::DataCenter => json!({
            "type": "known",
            "username": u.username,
            "userKey": u.user_key,
            "displayName": u.display_name,
            "email": u.email,
            "status": if u.active { "active" } else { "inactive" },
            "profilePicture": picture,
            "_links": {"self": format!("{}/rest/api/user?key={}", state.base_url, u.user_key)},
        }),
    }
}

/// A v1 group.
pub fn v1_group(state: &SimState, g: &Group) -> Value {
    match state.config.deployment {
        SimDeployment::Cloud => json!({
            "type": "group",
            "name": g.name,
            "id": g.id,
            "_links": {"self": format!("{}/rest/api/group/by-id?id={}", state.wiki_base(), g.id)},
        }),
        SimDeployment::DataCenter => json!({
            "type": "group",
            "name": g.name,
            "_links": {"self": format!("{}/rest/api/group/{}", state.base_url, g.name)},
        }),
    }
}

/// The context path of v1 links: `/wiki` on Cloud, empty on Data Center.
pub fn v1_context(state: &SimState) -> &'static str {
    match state.config.deployment {
        SimDeployment::Cloud => "/wiki",
        SimDeployment::DataCenter => "",
    }
}

/// A v1 space.
pub fn v1_space(state: &SimState, s: &Space, expand: &Expand) -> Value {
    let mut v = json!({
        "id": s.id,
        "key": s.key,
        "name": s.name,
        "type": s.space_type,
        "status": s.status,
        "_expandable": {"settings": "", "metadata": "", "operations": "", "lookAndFeel": "", "permissions": "", "icon": "", "description": "", "theme": "", "history": "", "homepage": ""},
        "_links": {
            "webui": format!("/spaces/{}", s.key),
            "self": format!("{}{}/rest/api/space/{}", state.base_url, v1_context(state), s.key),
        },
    });
    if expand.has("description") {
        v["description"] = json!({"plain": {"value": s.description, "representation": "plain"}});
    }
    if expand.has("homepage") {
        if let Some(home) = s.homepage_id.and_then(|id| state.store.content(id)) {
            v["homepage"] = v1_content(state, &home, &Expand::default());
        }
    }
    v
}

/// A v1 content object (page, blog post), as search results and Data Center return them.
pub fn v1_content(state: &SimState, c: &Content, expand: &Expand) -> Value {
    let space = state.store.data.space(c.space);
    let ctx = v1_context(state);
    let mut expandable = Map::new();
    let mut v = json!({
        "id": c.id.to_string(),
        "type": c.kind.cql_type(),
        "status": c.status,
        "title": c.title,
        "_links": {
            "webui": format!("/spaces/{}/pages/{}", space.key, c.id),
            "self": format!("{}{ctx}/rest/api/content/{}", state.base_url, c.id),
            "tinyui": format!("/x/{}", tiny_link(c.id)),
        },
    });
    let mut add = |key: &str, wanted: bool, value: &dyn Fn() -> Value| {
        if wanted {
            v[key] = value();
        } else {
            expandable.insert(key.to_owned(), json!(format!("{ctx}/rest/api/content/{}/{key}", c.id)));
        }
    };
    add("space", expand.has("space"), &|| v1_space(state, space, &Expand::default()));
    add("history", expand.has("history"), &|| v1_history(state, c.author, c.created_ms, &c.version));
    add("version", expand.has("version"), &|| v1_version(state, &c.version));
    add("ancestors", expand.has("ancestors"), &|| {
        let mut chain = Vec::new();
        let mut parent = c.parent_id;
        while let Some(id) = parent {
            match state.store.content(id) {
                Some(p) => {
                    parent = p.parent_id;
                    chain.push(json!({"id": p.id.to_string(), "type": "page", "status": p.status, "title": p.title}));
                }
                None => break,
            }
        }
        chain.reverse();
        Value::Array(chain)
    });
    add("metadata", expand.has("metadata"), &|| {
        let labels: Vec<Value> = c
            .labels
            .iter()
            .map(|l| json!({"prefix": "global", "name": l, "id": state.store.label_id(l).unwrap_or(0).to_string(), "label": l}))
            .collect();
        json!({"labels": {"results": labels, "start": 0, "limit": 200, "size": labels.len()}})
    });
    if expand.wants_body() {
        let mut body = Map::new();
        for format in expand.body_formats() {
            let value = match format.as_str() {
                "storage" => body::storage(&c.body),
                "view" | "export_view" | "styled_view" => body::view(&c.body),
                "atlas_doc_format" => body::atlas_doc(&c.body),
                _ => continue,
            };
            body.insert(format.clone(), json!({"value": value, "representation": format}));
        }
        v["body"] = Value::Object(body);
    } else {
        expandable.insert("body".to_owned(), json!(""));
    }
    v["_expandable"] = Value::Object(expandable);
    v
}

/// A v1 `version` object.
pub fn v1_version(state: &SimState, v: &Version) -> Value {
    json!({
        "by": v1_user(state, state.store.data.user(v.author)),
        "when": iso(v.created_ms),
        "number": v.number,
        "message": v.message,
        "minorEdit": v.minor_edit,
    })
}

/// A v1 `history` object: who created the content and when, and its latest version.
pub fn v1_history(state: &SimState, author: usize, created_ms: i64, latest: &Version) -> Value {
    json!({
        "latest": true,
        "createdBy": v1_user(state, state.store.data.user(author)),
        "createdDate": iso(created_ms),
        "lastUpdated": v1_version(state, latest),
    })
}

/// The short form of the page or blog post a comment or attachment is in (its `container`).
fn v1_container(state: &SimState, id: u64) -> Value {
    match state.store.content(id) {
        Some(c) => json!({"id": c.id.to_string(), "type": c.kind.cql_type(), "status": c.status, "title": c.title}),
        None => json!({"id": id.to_string(), "type": "page", "status": "current"}),
    }
}

/// Adds the expansions that comments and attachments share (`container`, `history`, `version`), or lists them as
/// expandable.
fn v1_child_expansions(
    state: &SimState,
    v: &mut Value,
    expand: &Expand,
    id: &str,
    container_id: u64,
    history: (usize, i64, &Version),
) {
    let ctx = v1_context(state);
    let mut expandable = Map::new();
    for key in ["container", "history", "version"] {
        if !expand.has(key) {
            expandable.insert(key.to_owned(), json!(format!("{ctx}/rest/api/content/{id}/{key}")));
            continue;
        }
        v[key] = match key {
            "container" => v1_container(state, container_id),
            "history" => v1_history(state, history.0, history.1, history.2),
            _ => v1_version(state, history.2),
        };
    }
    v["_expandable"] = Value::Object(expandable);
}

/// A v1 content object for a comment. `extensions.location` says footer or inline; an inline comment's
/// `extensions.resolution` comes with `expand=extensions.resolution`; `ancestors` are the comments it replies to.
pub fn v1_comment(state: &SimState, c: &Comment, expand: &Expand) -> Value {
    let id = c.id.to_string();
    let inline = c.kind == ContentKind::InlineComment;
    let mut v = json!({
        "id": id,
        "type": "comment",
        "status": c.status,
        "title": c.title,
        "extensions": {"location": if inline { "inline" } else { "footer" }},
        "_links": {
            "webui": format!("/pages/viewpage.action?pageId={}&focusedCommentId={}", c.container_id, c.id),
            "self": format!("{}{}/rest/api/content/{}", state.base_url, v1_context(state), c.id),
        },
    });
    if inline {
        v["extensions"]["inlineProperties"] =
            json!({"markerRef": format!("marker-{}", c.id), "originalSelection": c.title});
        if let Some(status) = c.resolution.filter(|_| expand.has("extensions.resolution")) {
            v["extensions"]["resolution"] = json!({"status": status, "lastModifier": v1_user(state, state.store.data.user(c.version.author)), "lastModifiedDate": iso(c.version.created_ms)});
        }
    }
    v1_child_expansions(state, &mut v, expand, &id, c.container_id, (c.author, c.created_ms, &c.version));
    if expand.has("ancestors") {
        let mut chain = Vec::new();
        let mut parent = c.parent_comment_id;
        while let Some(pid) = parent {
            match state.store.comment(pid) {
                Some(p) => {
                    parent = p.parent_comment_id;
                    chain
                        .push(json!({"id": p.id.to_string(), "type": "comment", "status": p.status, "title": p.title}));
                }
                None => break,
            }
        }
        chain.reverse();
        v["ancestors"] = Value::Array(chain);
    }
    if expand.body_formats().iter().any(|f| f == "storage") {
        v["body"] = json!({"storage": body_value("storage", body::storage(&c.body))});
    }
    v
}

/// A v1 content object for an attachment: the file's media type, size and comment in `extensions`, its
/// download path in `_links.download`.
pub fn v1_attachment(state: &SimState, a: &Attachment, expand: &Expand) -> Value {
    let id = format!("att{}", a.id);
    let mut v = json!({
        "id": id,
        "type": "attachment",
        "status": a.status,
        "title": a.title,
        "extensions": {"mediaType": a.media_type, "fileSize": a.file_size, "comment": a.comment},
        "_links": {
            "webui": format!("/pages/viewpageattachments.action?pageId={}&preview=/{}/{}/{}", a.page_id, a.page_id, a.id, a.title),
            "download": format!("/download/attachments/{}/{}?version={}&api=v2", a.page_id, a.title, a.version.number),
            "self": format!("{}{}/rest/api/content/{id}", state.base_url, v1_context(state)),
        },
    });
    if expand.has("metadata") {
        v["metadata"] = json!({"mediaType": a.media_type, "comment": a.comment});
    }
    v1_child_expansions(state, &mut v, expand, &id, a.page_id, (a.version.author, a.created_ms, &a.version));
    v
}

/// A v1 audit record.
pub fn v1_audit(state: &SimState, r: &AuditRecord) -> Value {
    let author = state.store.data.user(r.author);
    let author = match state.config.deployment {
        SimDeployment::Cloud => json!({
            "type": "user",
            "displayName": author.display_name,
            "operations": Value::Null,
            "username": "",
            "userKey": "",
            "accountId": author.account_id,
            "accountType": author.account_type,
            "externalCollaborator": false,
            "isExternalCollaborator": false,
            "publicName": author.display_name,
        }),
        SimDeployment::DataCenter => json!({
            "type": "user",
            "displayName": author.display_name,
            "operations": Value::Null,
            "username": author.username,
            "userKey": author.user_key,
        }),
    };
    json!({
        "author": author,
        "remoteAddress": r.remote_address,
        "creationDate": r.created_ms,
        "summary": r.summary,
        "description": r.description,
        "category": r.category,
        "sysAdmin": r.sys_admin,
        "superAdmin": false,
        "affectedObject": {"name": r.affected_object.0, "objectType": r.affected_object.1},
        "changedValues": [],
        "associatedObjects": [],
    })
}

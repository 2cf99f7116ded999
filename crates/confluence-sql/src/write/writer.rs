//! One row's request: Cloud writes pages, blog posts and comments through REST v2 and labels through v1; Data
//! Center writes everything through `/rest/api/content`. Updates send the version read plus one, so a page saved
//! by someone else in between is a conflict (409), never overwritten unless `ConflictPolicy=Retry` says so.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use confluence_rest::{ConfluenceClient, Method, RequestMetrics, RestError};
use connstr::ConflictPolicy;
use serde_json::{json, Map, Value};
use url::Url;

use super::exec::{Row, WriteOperation};
use super::failure::RowFailure;
use super::target::{Entity, WriteSettings};
use crate::exec::ScanContext;
use crate::provider::ConfluenceTable;

/// How many times `ConflictPolicy=Retry` reads a page again after a conflict.
const CONFLICT_RETRIES: usize = 3;

/// Writes rows of one table.
#[derive(Clone, Debug)]
pub struct Writer {
    context: Arc<ScanContext>,
    entity: Entity,
    settings: WriteSettings,
    /// The `Spaces` restriction (keys, any case); empty for all.
    spaces: Vec<String>,
    metrics: Arc<RequestMetrics>,
    /// The space keys of pages and blog posts already looked up (for `Spaces`), by id.
    known_spaces: Arc<Mutex<HashMap<i64, String>>>,
}

/// A page's or blog post's fields an update sends.
#[derive(Clone, Debug, Default)]
struct Content {
    version: i64,
    title: Option<String>,
    status: Option<String>,
    body: Option<String>,
    parent_id: Option<i64>,
    owner_id: Option<String>,
}

impl Writer {
    /// A writer for `entity` rows of `table`'s connection.
    pub fn new(table: &ConfluenceTable, entity: Entity) -> Writer {
        Writer {
            context: table.context().clone(),
            entity,
            settings: table.write_settings(),
            spaces: table.spaces().to_vec(),
            metrics: Arc::new(RequestMetrics::default()),
            known_spaces: Arc::default(),
        }
    }

    /// What the writer writes.
    pub fn entity(&self) -> Entity {
        self.entity
    }

    fn client(&self) -> ConfluenceClient {
        self.context.client()
    }

    fn cloud(&self) -> bool {
        self.client().dialect().is_cloud()
    }

    /// A row in messages: its id (or a label's page and name), or an `INSERT`'s row number and title.
    pub fn describe(&self, operation: &WriteOperation, row: &Row, index: usize) -> String {
        let noun = self.entity.noun();
        match (operation, self.entity) {
            (_, Entity::Label) => format!(
                "label '{}' of page {}",
                row.text("name").unwrap_or_default(),
                row.int("page_id").map(|id| id.to_string()).unwrap_or_else(|| "NULL".into())
            ),
            (WriteOperation::Insert, _) => match row.text("title") {
                Some(title) => format!("row {} ({noun} '{title}')", index + 1),
                None => format!("row {}", index + 1),
            },
            _ => format!("{noun} {}", row.int("id").map(|id| id.to_string()).unwrap_or_else(|| "NULL".into())),
        }
    }

    /// What to do about a refusal, when it is one of permissions or scopes.
    pub fn hint(&self, reason: &RowFailure, operation: &WriteOperation) -> Option<String> {
        let RowFailure::Rest(RestError::Forbidden { .. } | RestError::Unauthorized { .. }) = reason else {
            return None;
        };
        let scopes = self.entity.scopes(*operation == WriteOperation::Delete);
        Some(format!(
            "Writing needs permission in Confluence for this user, and with OAuth a token with the write scope: \
             {scopes} on Cloud, WRITE on Data Center. Add it to Scope in the connection string (and to the app in \
             the developer console on Cloud), then log in again (docs/writes.md)"
        ))
    }

    // ---- checks before any write ----

    /// Checks a row before anything is written: the columns given, the values required, the spaces allowed.
    pub async fn check(&self, operation: &WriteOperation, row: &Row) -> Result<(), RowFailure> {
        match operation {
            WriteOperation::Insert => self.check_insert(row).await,
            WriteOperation::Update { columns } => {
                self.require_int(row, "id")?;
                self.require_int(row, "version")?;
                let set = |column: &str| columns.iter().any(|c| c == column);
                for column in ["title", "body_storage", "status"] {
                    if set(column) && row.text(column).is_none() {
                        return Err(RowFailure::Invalid(format!("{column} cannot be set to NULL")));
                    }
                }
                if set("title") {
                    self.require_text(row, "title")?;
                }
                if set("owner_id") && !self.cloud() {
                    return Err(RowFailure::Invalid(
                        "owner_id can be changed on Confluence Cloud only (Data Center pages have no owner)".into(),
                    ));
                }
                Ok(())
            }
            WriteOperation::Delete => match self.entity {
                Entity::Label => {
                    self.require_int(row, "page_id")?;
                    self.require_text(row, "name")?;
                    match row.text("prefix") {
                        None | Some("global") => Ok(()),
                        Some(prefix) => Err(RowFailure::Invalid(format!(
                            "a {prefix} label (personal or team) cannot be removed through the API the driver uses; \
                             only global labels"
                        ))),
                    }
                }
                _ => self.require_int(row, "id").map(drop),
            },
        }
    }

    fn require_int(&self, row: &Row, column: &str) -> Result<i64, RowFailure> {
        row.int(column).ok_or_else(|| RowFailure::Invalid(format!("{column} is NULL")))
    }

    fn require_text<'r>(&self, row: &'r Row, column: &str) -> Result<&'r str, RowFailure> {
        row.text(column)
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| RowFailure::Invalid(format!("{column} is required (it is NULL or empty)")))
    }

    async fn check_insert(&self, row: &Row) -> Result<(), RowFailure> {
        let insertable = self.entity.insertable();
        if let Some(column) = row.given().find(|c| !insertable.contains(c)) {
            return Err(RowFailure::Invalid(format!(
                "an INSERT cannot give {column} (Confluence sets it); the columns an INSERT INTO {} can give are {}",
                self.entity.table(),
                insertable.join(", ")
            )));
        }
        match self.entity {
            Entity::Page | Entity::BlogPost => {
                let status = row.text("status").unwrap_or("current");
                if status != "current" && status != "draft" {
                    return Err(RowFailure::Invalid(format!(
                        "status '{status}' cannot be created: use current or draft"
                    )));
                }
                if status == "current" {
                    self.require_text(row, "title")?;
                }
                self.space_of_new(row).await.map(drop)
            }
            Entity::Comment => {
                self.require_text(row, "body_storage")?;
                let container = row.int("page_id").is_some() || row.int("blog_post_id").is_some();
                // On Cloud a reply names only its parent; on Data Center also its page or blog post.
                let cloud_reply = self.cloud() && row.int("parent_comment_id").is_some();
                if !container && !cloud_reply {
                    return Err(RowFailure::Invalid(
                        "a comment needs page_id or blog_post_id (a reply also parent_comment_id)".into(),
                    ));
                }
                if !self.spaces.is_empty() {
                    self.check_space(&self.comment_container_space(row).await?)?;
                }
                Ok(())
            }
            Entity::Label => {
                let page = self.require_int(row, "page_id")?;
                let name = self.require_text(row, "name")?;
                if name.chars().any(|c| c.is_whitespace() || c == ',') {
                    return Err(RowFailure::Invalid(format!(
                        "label '{name}' has a space or comma: a label is one word (use - or _)"
                    )));
                }
                if let Some(prefix) = row.text("prefix").filter(|p| *p != "global") {
                    return Err(RowFailure::Invalid(format!("prefix '{prefix}': labels are added as global")));
                }
                if !self.spaces.is_empty() {
                    self.check_space(&self.space_of_content(page, "pages").await?)?;
                }
                Ok(())
            }
        }
    }

    fn check_space(&self, key: &str) -> Result<(), RowFailure> {
        if self.spaces.is_empty() || self.spaces.iter().any(|s| s.eq_ignore_ascii_case(key)) {
            Ok(())
        } else {
            Err(RowFailure::Invalid(format!(
                "space {key} is outside the connection's Spaces ({}): nothing is written there",
                self.spaces.join(", ")
            )))
        }
    }

    /// The space (id on Cloud, key) a new page or blog post goes to, checked against `Spaces`.
    async fn space_of_new(&self, row: &Row) -> Result<(Option<i64>, String), RowFailure> {
        let (id, key) = (row.int("space_id"), row.text("space_key"));
        if id.is_none() && key.is_none() {
            return Err(RowFailure::Invalid("space_key or space_id is required".into()));
        }
        if !self.cloud() {
            let key = key.ok_or_else(|| RowFailure::Invalid("on Data Center, give space_key (not space_id)".into()))?;
            self.check_space(key)?;
            return Ok((None, key.to_owned()));
        }
        let index = self.context.directory.get(&self.client(), &self.metrics).await.map_err(RowFailure::Rest)?;
        let (id, key) = match (id, key) {
            (Some(id), given_key) => {
                let key = index.keys.get(&id).cloned().ok_or_else(|| {
                    RowFailure::Invalid(format!("there is no space with id {id} (see SELECT id, key FROM spaces)"))
                })?;
                if given_key.is_some_and(|k| !k.eq_ignore_ascii_case(&key)) {
                    return Err(RowFailure::Invalid(format!(
                        "space_id {id} is space {key}, not {}",
                        given_key.unwrap_or_default()
                    )));
                }
                (id, key)
            }
            (None, Some(key)) => {
                let id = index.id_of(key).ok_or_else(|| {
                    RowFailure::Invalid(format!("there is no space with key {key} (see SELECT key FROM spaces)"))
                })?;
                (id, index.keys.get(&id).cloned().unwrap_or_else(|| key.to_owned()))
            }
            (None, None) => unreachable!("checked above"),
        };
        self.check_space(&key)?;
        Ok((Some(id), key))
    }

    /// The key of the space of page or blog post `id` (`collection` is `pages` or `blogposts`), asked once per
    /// statement: rows on the same page (labels, comments) cost one request together.
    async fn space_of_content(&self, id: i64, collection: &str) -> Result<String, RowFailure> {
        if let Some(key) = self.known_spaces.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
            return Ok(key.clone());
        }
        let key = content_space(&self.context, &self.metrics, id, collection).await.map_err(|e| match e {
            RestError::Decode { message, .. } => RowFailure::Invalid(message),
            other => RowFailure::Rest(other),
        })?;
        self.known_spaces.lock().unwrap_or_else(|p| p.into_inner()).insert(id, key.clone());
        Ok(key)
    }

    /// The space of the page or blog post a new comment goes on (for a reply on Cloud, its parent's).
    async fn comment_container_space(&self, row: &Row) -> Result<String, RowFailure> {
        if let (true, Some(parent)) = (self.cloud(), row.int("parent_comment_id")) {
            let client = self.client();
            let url = client.dialect().v2(&format!("footer-comments/{parent}")).map_err(RowFailure::Rest)?;
            let body: Value = client
                .get(url, Some(&self.metrics))
                .await
                .map_err(RowFailure::Rest)?
                .json()
                .map_err(RowFailure::Rest)?;
            return match (number(&body["pageId"]), number(&body["blogPostId"])) {
                (Some(page), _) => self.space_of_content(page, "pages").await,
                (None, Some(post)) => self.space_of_content(post, "blogposts").await,
                _ => Err(RowFailure::Invalid(format!("comment {parent} is on no page or blog post"))),
            };
        }
        match (row.int("page_id"), row.int("blog_post_id")) {
            (Some(page), _) => self.space_of_content(page, "pages").await,
            (None, Some(post)) => self.space_of_content(post, "blogposts").await,
            _ => Err(RowFailure::Invalid("a comment needs page_id or blog_post_id".into())),
        }
    }

    // ---- the writes ----

    async fn send(&self, method: Method, url: Url, body: Option<&Value>) -> Result<Value, RestError> {
        let response = self.client().send(method, url, body, Some(&self.metrics)).await?;
        if response.body.is_empty() {
            return Ok(Value::Null);
        }
        response.json()
    }

    fn v2(&self, path: &str) -> Result<Url, RowFailure> {
        self.client().dialect().v2(path).map_err(RowFailure::Rest)
    }

    fn v1(&self, path: &str) -> Result<Url, RowFailure> {
        self.client().dialect().v1(path).map_err(RowFailure::Rest)
    }

    /// `content/{id}/label` (v1 on both deployments), with `?name=` to remove one: the query form takes any
    /// label name (a `/` included), where a path segment would not.
    fn label_url(&self, page: i64, name: Option<&str>) -> Result<Url, RowFailure> {
        let mut url = self.v1(&format!("content/{page}/label"))?;
        if let Some(name) = name {
            url.query_pairs_mut().append_pair("name", name);
        }
        Ok(url)
    }

    /// Creates the row's page, blog post, comment or label; the new id (a label's description).
    pub async fn insert(&self, row: &Row) -> Result<String, RowFailure> {
        let cloud = self.cloud();
        let (url, body) = match self.entity {
            Entity::Page | Entity::BlogPost => {
                let (space_id, space_key) = self.space_of_new(row).await?;
                let status = row.text("status").unwrap_or("current");
                let title = row.text("title").unwrap_or_default();
                let storage = row.text("body_storage").unwrap_or_default();
                if cloud {
                    let mut body = json!({
                        "spaceId": space_id.map(|id| id.to_string()),
                        "status": status,
                        "title": title,
                        "body": {"representation": "storage", "value": storage},
                    });
                    if let Some(parent) = row.int("parent_id") {
                        body["parentId"] = json!(parent.to_string());
                    }
                    let collection = if self.entity == Entity::Page { "pages" } else { "blogposts" };
                    (self.v2(collection)?, body)
                } else {
                    let mut body = json!({
                        "type": if self.entity == Entity::Page { "page" } else { "blogpost" },
                        "status": status,
                        "title": title,
                        "space": {"key": space_key},
                        "body": {"storage": {"value": storage, "representation": "storage"}},
                    });
                    if let Some(parent) = row.int("parent_id") {
                        body["ancestors"] = json!([{"id": parent.to_string()}]);
                    }
                    (self.v1("content")?, body)
                }
            }
            Entity::Comment => {
                let storage = row.text("body_storage").unwrap_or_default();
                if cloud {
                    let mut body = json!({"body": {"representation": "storage", "value": storage}});
                    // A reply names only its parent; a top-level comment its page or blog post.
                    match (row.int("parent_comment_id"), row.int("page_id"), row.int("blog_post_id")) {
                        (Some(parent), _, _) => body["parentCommentId"] = json!(parent.to_string()),
                        (None, Some(page), _) => body["pageId"] = json!(page.to_string()),
                        (None, None, Some(post)) => body["blogPostId"] = json!(post.to_string()),
                        (None, None, None) => return Err(RowFailure::Invalid("a comment needs page_id".into())),
                    }
                    (self.v2("footer-comments")?, body)
                } else {
                    let (id, kind) = match (row.int("page_id"), row.int("blog_post_id")) {
                        (Some(page), _) => (page, "page"),
                        (None, Some(post)) => (post, "blogpost"),
                        _ => return Err(RowFailure::Invalid("a comment needs page_id or blog_post_id".into())),
                    };
                    let mut body = json!({
                        "type": "comment",
                        "container": {"id": id.to_string(), "type": kind},
                        "body": {"storage": {"value": storage, "representation": "storage"}},
                    });
                    if let Some(parent) = row.int("parent_comment_id") {
                        body["ancestors"] = json!([{"id": parent.to_string()}]);
                    }
                    (self.v1("content")?, body)
                }
            }
            Entity::Label => {
                let page = self.require_int(row, "page_id")?;
                let name = self.require_text(row, "name")?;
                let url = self.label_url(page, None)?;
                self.send(Method::POST, url, Some(&json!([{"prefix": "global", "name": name}])))
                    .await
                    .map_err(RowFailure::Rest)?;
                return Ok(format!("page {page} label '{name}'"));
            }
        };
        let created = self.send(Method::POST, url, Some(&body)).await.map_err(RowFailure::Rest)?;
        match &created["id"] {
            Value::String(id) => Ok(id.clone()),
            Value::Number(id) => Ok(id.to_string()),
            _ => Err(RowFailure::Invalid(
                "Confluence answered the create without an id: check in Confluence whether it was created".into(),
            )),
        }
    }

    /// Saves the row as a new version with `columns` set; its id.
    pub async fn update(&self, row: &Row, columns: &[String]) -> Result<String, RowFailure> {
        let id = self.require_int(row, "id")?;
        let read = Content {
            version: self.require_int(row, "version")?,
            title: row.text("title").map(str::to_owned),
            status: row.text("status").map(str::to_owned),
            body: row.text("body_storage").map(str::to_owned),
            parent_id: row.int("parent_id"),
            owner_id: row.text("owner_id").map(str::to_owned),
        };
        let message = columns.iter().any(|c| c == "version_message").then(|| row.text("version_message")).flatten();
        let mut content = read.clone();
        for attempt in 0..=CONFLICT_RETRIES {
            let body = self.update_body(id, &content, columns, message);
            let url = if self.cloud() {
                self.v2(&format!("{}/{id}", self.collection()))?
            } else {
                self.v1(&format!("content/{id}"))?
            };
            match self.send(Method::PUT, url, Some(&body)).await {
                Ok(_) => return Ok(id.to_string()),
                Err(RestError::Conflict { .. }) => {
                    let current = self.current(id).await;
                    // A PUT retried after a lost answer finds its own first attempt saved: that is written.
                    if let Ok(now) = &current {
                        let ours = now.version == content.version + 1
                            && now.title == content.title
                            && (content.body.is_none() || now.body == content.body);
                        if ours {
                            return Ok(id.to_string());
                        }
                    }
                    let retry = self.settings.conflict_policy == ConflictPolicy::Retry && attempt < CONFLICT_RETRIES;
                    match current {
                        Ok(current) if retry => {
                            tracing::info!(
                                id,
                                version = current.version,
                                "saved by someone else; saving over the new version"
                            );
                            content = overlay(current, row, columns);
                        }
                        current => {
                            return Err(RowFailure::Conflict {
                                what: format!("{} {id}", self.entity.noun()),
                                read_version: content.version,
                                current_version: current.ok().map(|c| c.version),
                            })
                        }
                    }
                }
                Err(error) => return Err(RowFailure::Rest(error)),
            }
        }
        unreachable!("the last attempt returns")
    }

    fn collection(&self) -> &'static str {
        if self.entity == Entity::Page {
            "pages"
        } else {
            "blogposts"
        }
    }

    fn update_body(&self, id: i64, content: &Content, columns: &[String], message: Option<&str>) -> Value {
        let set = |column: &str| columns.iter().any(|c| c == column);
        let mut version = Map::new();
        version.insert("number".into(), json!(content.version + 1));
        if let Some(message) = message {
            version.insert("message".into(), json!(message));
        }
        let mut body = json!({
            "id": id.to_string(),
            "status": content.status.as_deref().unwrap_or("current"),
            "title": content.title.as_deref().unwrap_or_default(),
            "version": version,
        });
        if self.cloud() {
            if let Some(storage) = &content.body {
                body["body"] = json!({"representation": "storage", "value": storage});
            }
            if set("parent_id") {
                body["parentId"] = json!(content.parent_id.map(|p| p.to_string()));
            }
            if set("owner_id") {
                body["ownerId"] = json!(content.owner_id);
            }
        } else {
            body["type"] = json!(if self.entity == Entity::Page { "page" } else { "blogpost" });
            if let Some(storage) = &content.body {
                body["body"] = json!({"storage": {"value": storage, "representation": "storage"}});
            }
            // Data Center may move a page to the top of its space when an update names no ancestors: always send
            // the parent (the one read, or the new one).
            if let Some(parent) = content.parent_id.filter(|_| self.entity == Entity::Page) {
                body["ancestors"] = json!([{"id": parent.to_string()}]);
            }
        }
        body
    }

    /// The page or blog post as Confluence has it now.
    async fn current(&self, id: i64) -> Result<Content, RestError> {
        let client = self.client();
        let cloud = client.dialect().is_cloud();
        let url = if cloud {
            client.dialect().v2(&format!("{}/{id}?body-format=storage", self.collection()))?
        } else {
            client.dialect().v1(&format!("content/{id}?expand=version,body.storage,ancestors"))?
        };
        let body: Value = client.get(url, Some(&self.metrics)).await?.json()?;
        let text = |value: &Value| value.as_str().map(str::to_owned);
        Ok(Content {
            version: body["version"]["number"].as_i64().unwrap_or_default(),
            title: text(&body["title"]),
            status: text(&body["status"]),
            body: text(&body["body"]["storage"]["value"]),
            parent_id: if cloud {
                number(&body["parentId"])
            } else {
                body["ancestors"].as_array().and_then(|a| a.last()).and_then(|a| number(&a["id"]))
            },
            owner_id: text(&body["ownerId"]),
        })
    }

    /// Deletes the row: pages, blog posts and comments go to the trash (a trashed page or blog post is purged, a
    /// draft deleted as a draft); a label is removed from its page. Its id.
    pub async fn delete(&self, row: &Row) -> Result<String, RowFailure> {
        if self.entity == Entity::Label {
            let page = self.require_int(row, "page_id")?;
            let name = self.require_text(row, "name")?;
            let url = self.label_url(page, Some(name))?;
            self.send(Method::DELETE, url, None).await.map_err(RowFailure::Rest)?;
            return Ok(format!("page {page} label '{name}'"));
        }
        let id = self.require_int(row, "id")?;
        let status = row.text("status");
        let mut url = match (self.cloud(), self.entity) {
            (true, Entity::Comment) if row.text("kind") == Some("inline") => {
                self.v2(&format!("inline-comments/{id}"))?
            }
            (true, Entity::Comment) => self.v2(&format!("footer-comments/{id}"))?,
            (true, _) => self.v2(&format!("{}/{id}", self.collection()))?,
            (false, _) => self.v1(&format!("content/{id}"))?,
        };
        match (self.cloud(), status) {
            (true, Some("trashed")) if self.entity != Entity::Comment => {
                url.query_pairs_mut().append_pair("purge", "true");
            }
            (true, Some("draft")) if self.entity != Entity::Comment => {
                url.query_pairs_mut().append_pair("draft", "true");
            }
            (false, Some("trashed")) => {
                url.query_pairs_mut().append_pair("status", "trashed");
            }
            _ => {}
        }
        self.send(Method::DELETE, url, None).await.map_err(RowFailure::Rest)?;
        Ok(id.to_string())
    }
}

/// The key of the space of page or blog post `id` (`collection` is `pages` or `blogposts`): one request for the
/// content (and the connection's space list, read once, on Cloud).
pub(crate) async fn content_space(
    context: &ScanContext,
    metrics: &Arc<RequestMetrics>,
    id: i64,
    collection: &str,
) -> Result<String, RestError> {
    let client = context.client();
    let missing = |what: String| RestError::Decode { path: format!("{collection}/{id}"), message: what };
    if client.dialect().is_cloud() {
        let url = client.dialect().v2(&format!("{collection}/{id}"))?;
        let body: Value = client.get(url, Some(metrics)).await?.json()?;
        let space_id = number(&body["spaceId"]).ok_or_else(|| missing(format!("content {id} names no space")))?;
        let index = context.directory.get(&client, metrics).await?;
        index.keys.get(&space_id).cloned().ok_or_else(|| missing(format!("space {space_id} is unknown")))
    } else {
        let url = client.dialect().v1(&format!("content/{id}?expand=space"))?;
        let body: Value = client.get(url, Some(metrics)).await?.json()?;
        body["space"]["key"].as_str().map(str::to_owned).ok_or_else(|| missing(format!("content {id} names no space")))
    }
}

/// `current` with the statement's new values (`columns` of `row`) laid over it.
fn overlay(mut current: Content, row: &Row, columns: &[String]) -> Content {
    for column in columns {
        match column.as_str() {
            "title" => current.title = row.text("title").map(str::to_owned),
            "status" => current.status = row.text("status").map(str::to_owned),
            "body_storage" => current.body = row.text("body_storage").map(str::to_owned),
            "parent_id" => current.parent_id = row.int("parent_id"),
            "owner_id" => current.owner_id = row.text("owner_id").map(str::to_owned),
            _ => {}
        }
    }
    current
}

/// An id the API writes as a string or a number.
fn number(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

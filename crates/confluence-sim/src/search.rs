//! CQL search over the site's content, shared by Cloud `/wiki/rest/api/search` and Data Center
//! `/rest/api/search` and `/rest/api/content/search`. A query that pins `type`, `space` or `id` with top-level
//! `AND`s only visits those parts of the site.

use std::collections::BTreeSet;

use crate::cql::{CqlDoc, CqlQuery, Field};
use crate::dataset::body;
use crate::dataset::model::{Attachment, Comment, Content, ContentKind};
use crate::state::SimState;
use crate::store::ContentFilter;

/// One search result.
#[derive(Clone, Debug)]
pub enum Hit {
    /// A page or blog post.
    Content(Content),
    /// A footer or inline comment.
    Comment(Comment),
    /// An attachment.
    Attachment(Attachment),
}

impl Hit {
    /// The content id.
    pub fn id(&self) -> u64 {
        match self {
            Hit::Content(c) => c.id,
            Hit::Comment(c) => c.id,
            Hit::Attachment(a) => a.id,
        }
    }

    /// Title.
    pub fn title(&self) -> &str {
        match self {
            Hit::Content(c) => &c.title,
            Hit::Comment(c) => &c.title,
            Hit::Attachment(a) => &a.title,
        }
    }

    /// Creation time.
    pub fn created_ms(&self) -> i64 {
        match self {
            Hit::Content(c) => c.created_ms,
            Hit::Comment(c) => c.created_ms,
            Hit::Attachment(a) => a.created_ms,
        }
    }

    /// Last modification time.
    pub fn modified_ms(&self) -> i64 {
        match self {
            Hit::Content(c) => c.version.created_ms,
            Hit::Comment(c) => c.version.created_ms,
            Hit::Attachment(a) => a.version.created_ms,
        }
    }

    /// The space index.
    pub fn space(&self, state: &SimState) -> Option<usize> {
        match self {
            Hit::Content(c) => Some(c.space),
            Hit::Comment(c) => state.store.content(c.container_id).map(|p| p.space),
            Hit::Attachment(a) => state.store.content(a.page_id).map(|p| p.space),
        }
    }

    /// A plain-text excerpt of the body.
    pub fn excerpt(&self) -> String {
        let text = match self {
            Hit::Content(c) => body::plain_text(&body::storage(&c.body)),
            Hit::Comment(c) => body::plain_text(&body::storage(&c.body)),
            Hit::Attachment(a) => a.comment.clone(),
        };
        let mut excerpt: String = text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(160).collect();
        if excerpt.len() < text.trim().len() {
            excerpt.push('…');
        }
        excerpt
    }
}

struct Doc<'a> {
    state: &'a SimState,
    hit: &'a Hit,
    space: Option<usize>,
}

impl CqlDoc for Doc<'_> {
    fn values(&self, field: Field) -> Vec<String> {
        let data = &self.state.store.data;
        let account = |u: usize| data.user(u).account_id.clone();
        let creator = match self.hit {
            Hit::Content(c) => c.author,
            Hit::Comment(c) => c.author,
            Hit::Attachment(a) => a.version.author,
        };
        match field {
            Field::Id => vec![self.hit.id().to_string()],
            Field::Type => vec![match self.hit {
                Hit::Content(c) => c.kind.cql_type(),
                Hit::Comment(_) => "comment",
                Hit::Attachment(_) => "attachment",
            }
            .to_owned()],
            Field::Space => self.space.map(|s| data.space(s).key.clone()).into_iter().collect(),
            Field::SpaceType => self.space.map(|s| data.space(s).space_type.to_owned()).into_iter().collect(),
            Field::Title => vec![self.hit.title().to_owned()],
            Field::Text => {
                let body = match self.hit {
                    Hit::Content(c) => body::plain_text(&body::storage(&c.body)),
                    Hit::Comment(c) => body::plain_text(&body::storage(&c.body)),
                    Hit::Attachment(a) => a.comment.clone(),
                };
                vec![self.hit.title().to_owned(), body]
            }
            Field::Creator => vec![account(creator)],
            Field::Contributor => match self.hit {
                Hit::Content(c) => {
                    let mut all: Vec<String> = data.versions(c).iter().map(|v| account(v.author)).collect();
                    all.push(account(c.author));
                    all
                }
                _ => vec![account(creator)],
            },
            Field::Label => match self.hit {
                Hit::Content(c) => c.labels.clone(),
                _ => Vec::new(),
            },
            Field::Parent => match self.hit {
                Hit::Content(c) => c.parent_id.map(|p| p.to_string()).into_iter().collect(),
                Hit::Comment(c) => vec![c.container_id.to_string()],
                Hit::Attachment(a) => vec![a.page_id.to_string()],
            },
            Field::Container => match self.hit {
                Hit::Content(_) => Vec::new(),
                Hit::Comment(c) => vec![c.container_id.to_string()],
                Hit::Attachment(a) => vec![a.page_id.to_string()],
            },
            Field::Ancestor => {
                let mut out = Vec::new();
                let mut parent = match self.hit {
                    Hit::Content(c) => c.parent_id,
                    Hit::Comment(c) => Some(c.container_id),
                    Hit::Attachment(a) => Some(a.page_id),
                };
                while let Some(id) = parent {
                    out.push(id.to_string());
                    parent = self.state.store.content(id).and_then(|p| p.parent_id);
                }
                out
            }
            Field::User | Field::UserFullname | Field::UserAccountId | Field::Created | Field::LastModified => {
                Vec::new()
            }
        }
    }

    fn time(&self, field: Field) -> Option<i64> {
        match field {
            Field::Created => Some(self.hit.created_ms()),
            Field::LastModified => Some(self.hit.modified_ms()),
            _ => None,
        }
    }
}

/// Runs a query: current content only; content in archived spaces only when `include_archived_spaces`.
pub fn search(state: &SimState, query: &CqlQuery, include_archived_spaces: bool) -> Vec<Hit> {
    // A search index: the next pages of a search do not evaluate the query again (a real site answers them from
    // its index; evaluating 50,000 pages per request made the simulator's CPU, not the latency, the measure).
    let key = format!("{include_archived_spaces}|{query:?}");
    let generation = state.store.generation();
    if let Some(hits) = state.search_cache.get(&key, generation).and_then(|refs| rehydrate(state, &refs)) {
        return hits;
    }
    let hits = evaluate(state, query, include_archived_spaces);
    state.search_cache.put(key, generation, hits.iter().map(HitRef::of).collect());
    hits
}

/// A search result by kind and id, as the cache keeps it.
#[derive(Clone, Copy, Debug)]
pub enum HitRef {
    /// A page or blog post.
    Content(u64),
    /// A comment.
    Comment(u64),
    /// An attachment.
    Attachment(u64),
}

impl HitRef {
    fn of(hit: &Hit) -> HitRef {
        match hit {
            Hit::Content(c) => HitRef::Content(c.id),
            Hit::Comment(c) => HitRef::Comment(c.id),
            Hit::Attachment(a) => HitRef::Attachment(a.id),
        }
    }
}

/// The hits of cached references (`None` if one is gone, which a write would have announced).
fn rehydrate(state: &SimState, refs: &[HitRef]) -> Option<Vec<Hit>> {
    refs.iter()
        .map(|r| match r {
            HitRef::Content(id) => state.store.content(*id).map(Hit::Content),
            HitRef::Comment(id) => state.store.comment(*id).map(Hit::Comment),
            HitRef::Attachment(id) => state.store.attachment(*id).map(Hit::Attachment),
        })
        .collect()
}

/// The last searches' results, each valid until the store's next write and for a minute at most (a query with
/// `now()` is parsed to a new instant anyway).
#[derive(Debug, Default)]
pub struct SearchCache {
    entries: std::sync::Mutex<std::collections::VecDeque<CachedSearch>>,
}

#[derive(Debug)]
struct CachedSearch {
    key: String,
    generation: u64,
    at: std::time::Instant,
    refs: std::sync::Arc<Vec<HitRef>>,
}

/// How many searches are kept.
const CACHED_SEARCHES: usize = 16;

impl SearchCache {
    fn get(&self, key: &str, generation: u64) -> Option<std::sync::Arc<Vec<HitRef>>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .iter()
            .find(|e| e.key == key && e.generation == generation && e.at.elapsed().as_secs() < 60)
            .map(|e| e.refs.clone())
    }

    fn put(&self, key: String, generation: u64, refs: Vec<HitRef>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|e| e.key != key);
        if entries.len() >= CACHED_SEARCHES {
            entries.pop_front();
        }
        entries.push_back(CachedSearch {
            key,
            generation,
            at: std::time::Instant::now(),
            refs: std::sync::Arc::new(refs),
        });
    }
}

/// Evaluates a search over the whole data set.
fn evaluate(state: &SimState, query: &CqlQuery, include_archived_spaces: bool) -> Vec<Hit> {
    let data = &state.store.data;
    let kinds: BTreeSet<&str> = match query.pinned(Field::Type) {
        Some(types) => types
            .iter()
            .map(|t| t.to_lowercase())
            .map(|t| match t.as_str() {
                "page" => "page",
                "blogpost" => "blogpost",
                "comment" => "comment",
                "attachment" => "attachment",
                _ => "none",
            })
            .collect(),
        None => ["page", "blogpost", "comment", "attachment"].into_iter().collect(),
    };
    let spaces: Option<Vec<usize>> = query
        .pinned(Field::Space)
        .map(|keys| keys.iter().filter_map(|k| data.space_by_key(k)).map(|s| s.index).collect());
    let space_ok = |s: Option<usize>| {
        s.is_some_and(|s| {
            (include_archived_spaces || data.space(s).status == "current")
                && spaces.as_ref().is_none_or(|list| list.contains(&s))
        })
    };
    let mut candidates: Vec<Hit> = Vec::new();
    if let Some(ids) = query.pinned(Field::Id) {
        for id in ids.iter().filter_map(|i| i.parse::<u64>().ok()) {
            if let Some(c) = state.store.content(id) {
                candidates.push(Hit::Content(c));
            } else if let Some(c) = state.store.comment(id) {
                candidates.push(Hit::Comment(c));
            } else if let Some(a) = state.store.attachment(id) {
                candidates.push(Hit::Attachment(a));
            }
        }
    } else {
        let filter =
            ContentFilter { spaces: spaces.clone(), statuses: vec!["current".to_owned()], ..ContentFilter::default() };
        for (name, kind) in [("page", ContentKind::Page), ("blogpost", ContentKind::BlogPost)] {
            if kinds.contains(name) {
                candidates
                    .extend(state.store.scan_content(kind, &filter, None, usize::MAX).into_iter().map(Hit::Content));
            }
        }
        // With spaces pinned, comments and attachments are read per page and blog post of those spaces (of any
        // status: a comment is found by the space its container is in).
        let pages: Option<Vec<u64>> = spaces.as_ref().map(|_| {
            let any =
                ContentFilter { spaces: spaces.clone(), statuses: vec!["any".to_owned()], ..ContentFilter::default() };
            [ContentKind::Page, ContentKind::BlogPost]
                .into_iter()
                .flat_map(|kind| state.store.scan_content(kind, &any, None, usize::MAX))
                .map(|c| c.id)
                .collect()
        });
        let containers: Vec<Option<u64>> = match &pages {
            Some(pages) => pages.iter().map(|p| Some(*p)).collect(),
            None => vec![None],
        };
        for container in &containers {
            if kinds.contains("comment") {
                for kind in [ContentKind::FooterComment, ContentKind::InlineComment] {
                    candidates.extend(
                        state.store.scan_comments(kind, *container, None, usize::MAX).into_iter().map(Hit::Comment),
                    );
                }
            }
            if kinds.contains("attachment") {
                candidates.extend(
                    state.store.scan_attachments(*container, None, usize::MAX).into_iter().map(Hit::Attachment),
                );
            }
        }
    }
    let mut hits: Vec<Hit> = candidates
        .into_iter()
        .filter(|hit| match hit {
            Hit::Content(c) => c.status == "current",
            _ => true,
        })
        .filter_map(|hit| {
            let space = hit.space(state);
            (space_ok(space) && query.matches(&Doc { state, hit: &hit, space })).then_some(hit)
        })
        .collect();
    hits.sort_by(|a, b| {
        for (field, desc) in &query.order {
            let o = match field {
                Field::Created => a.created_ms().cmp(&b.created_ms()),
                Field::LastModified => a.modified_ms().cmp(&b.modified_ms()),
                Field::Title => a.title().to_lowercase().cmp(&b.title().to_lowercase()),
                _ => a.id().cmp(&b.id()),
            };
            let o = if *desc { o.reverse() } else { o };
            if o.is_ne() {
                return o;
            }
        }
        a.id().cmp(&b.id())
    });
    hits
}

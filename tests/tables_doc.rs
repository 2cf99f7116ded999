//! Keeps `docs/tables.md` equal to the table declarations: every table, column, type and pushed-down filter.
//! Regenerate with `UPDATE_DOCS=1 cargo test -p confluence-sql-tests --test tables_doc`.

use confluence_sql::internals::columns::Source;
use confluence_sql::internals::spec::{CqlKind, Endpoint, ParamValue, SpaceScope, Table, TableSpec};
use confluence_sql::internals::tables::{ALL, CQL_TABLE};
use confluence_sql::internals::write::Entity;
use confluence_sql_tests::repo_root;

const HEADER: &str = "# Tables

Every table of confluence-sql, its columns and what it sends to Confluence. Catalog `confluence`, schema `main`;
unquoted names are case-insensitive (`SELECT Title FROM Pages` works). Generated from the table declarations in
`crates/confluence-sql/src/tables/` (a test keeps this file in sync).

Conventions:
- Content, space, label and task ids are `Int64` (the API writes them as strings of digits); attachment ids are text
  (`att<digits>`); account ids are text.
- Timestamps are `Timestamp(Millisecond, \"UTC\")`.
- Bodies (`body_storage`, space `description`) are fetched only when the column is selected.
- **Pushed down** filters are sent to the server as query parameters: `exact` ones are not re-checked, `inexact` ones
  are re-checked by the engine (the server's semantics differ, e.g. case). Every other filter is applied after reading.
  On Data Center, these read Data Center's REST API (same columns; people are identified by user key):
  DATA_CENTER_TABLES and `cql()`. The other tables are Cloud-only for now. Only on Data Center: DATA_CENTER_ONLY.
- Lists are read page by page at the endpoint's maximum `limit` (or the SQL `LIMIT`, when smaller), one partition per
  space where spaces are named. On Cloud, a scan with no `LIMIT` of a list that filters by space (`pages`,
  `blog_posts`, `tasks`) runs as `MaxConcurrency` workers sharing one cursor chain per space (up to 32 chains, small
  spaces grouped): a worker takes the next chain when it finishes one, and once none is left to start, reads the
  longest running chain from its other end (`pages` and `blog_posts`: `sort=id` and `sort=-id`), the two ends meeting
  in the middle, every row once. A query naming one space thus reads it from both ends. A CQL search (`cql()`, and
  the searches below) reports its total on the first page:
  the rest is then requested four pages at a time, in order, within the connection's `MaxConcurrency`.
- `ORDER BY <column> [DESC] LIMIT n` on one column a v2 list sorts by (`pages` and `blog_posts`: `id`, `created_at`,
  `updated_at`; `attachments`: `created_at`, without `Spaces`; not `title`, whose server collation is not SQL's) reads
  one request sorted by the server
  (`sort=-modified-date&limit=n+1`, `n` below the page size) when every filter of the query is sent with it; the
  engine still sorts those rows, and a server that breaks the order (checked one row past the `n` kept) fails the
  query.
- `EXPLAIN` shows the requests a query will make; `EXPLAIN ANALYZE` shows requests, retries, 429s and bytes per
  partition.
";

const FUNCTIONS_AND_TREES: &str = "
## Functions

- `confluence_text(body)`: a storage-format body (`body_storage`) as plain text: the words, a line per block
  (paragraph, heading, list item, table row), table cells separated by tabs, links by their text, code blocks
  verbatim; macro parameters, task states and markup left out. For full-text search, diffs and embeddings:
  `SELECT id, confluence_text(body_storage) FROM pages WHERE space_key = 'ENG'`.
- `confluence_markdown(body)`: the same body as Markdown: headings, bold/italic/strike, links, nested lists, tables,
  code blocks with their language, info/note/warning/tip panels as quotes, task lists (`- [x]`), images.

Both take text and return text (NULL stays NULL), run in the engine (no request), and read any body, however
malformed, without failing: unclosed tags and unknown entities degrade to text.

## The page tree

`page_children` and `page_ancestors` read one page per request (Data Center's ancestors: 100 pages per search).
For a whole subtree, CQL's `ancestor` finds every current page below a page in one paginated search (100 per request):
`SELECT id, title FROM cql('type = page AND ancestor = 1000000001')`. To keep the tree's shape, a recursive query over
`pages.parent_id` works too; DataFusion reads `pages` again for each level, so pin the space in both steps:

```sql
WITH RECURSIVE tree(id, title, depth) AS (
  SELECT id, title, 0 FROM pages WHERE id = 1000000001
  UNION ALL
  SELECT p.id, p.title, t.depth + 1 FROM pages p JOIN tree t ON p.parent_id = t.id WHERE p.space_key = 'ENG'
)
SELECT * FROM tree ORDER BY depth, title
```

## Not tables (yet), and what to read instead

- Who edited a page (Confluence's contributors): `SELECT DISTINCT author_id FROM page_versions WHERE page_id = ...`.
- Licence figures on Cloud: its REST API has none (they are in Atlassian Administration); `system_info` gives the
  plan (`edition`). Data Center's are the `license` table.
- Whiteboards, databases and folders: Cloud's v2 API lists none of them (it reads them by id only); they show as
  `ancestor_type` in `page_ancestors`, and `cql('type = whiteboard')` finds them.
- Bodies in other formats: v2 lists send one body format per request (storage or Atlassian document format), and
  the rendered view only page by page; `body_storage` with `confluence_text()` / `confluence_markdown()` covers
  search and AI pipelines.
- Labels of attachments: planned (Cloud lists a label's attachments, but with no space filter, and an attachment
  does not say its space); `SELECT * FROM cql('type = attachment AND label = \"...\"')` finds them meanwhile.
";

/// How a [`Endpoint::Arrays`] object is read.
fn arrays_note(arrays: &[confluence_rest::ArrayAt], max_limit: usize) -> String {
    let lists: Vec<String> = arrays.iter().map(|a| format!("`{}`", a.path.join("."))).collect();
    format!("one object whose lists {} are paged together, up to {max_limit} of each per request", lists.join(" and "))
}

fn render_table(table: &Table) -> String {
    let spec = table.cloud;
    let (api, path) = match spec.endpoint {
        Endpoint::V2 { path, max_limit } => {
            ("REST v2", format!("`GET /wiki/api/v2/{path}` (up to {max_limit} per request)"))
        }
        Endpoint::V1 { path, max_limit } => {
            ("REST v1", format!("`GET /wiki/rest/api/{path}` (up to {max_limit} per request)"))
        }
        Endpoint::Rest { path, max_limit } => {
            ("REST", format!("`GET /wiki/rest/{path}` (up to {max_limit} per request)"))
        }
        Endpoint::Whole { path } => ("REST v1", format!("`GET /wiki/rest/api/{path}` (one unpaginated list)")),
        Endpoint::One { path } => ("REST v1", format!("`GET /wiki/rest/api/{path}` (one object per request)")),
        Endpoint::Arrays { path, arrays, max_limit } => {
            ("REST v1", format!("`GET /wiki/rest/api/{path}` ({})", arrays_note(arrays, max_limit)))
        }
        Endpoint::Merged { parts } => {
            let parts: Vec<String> = parts.iter().map(|p| format!("`GET /rest/{}`", p.path)).collect();
            (
                "Data Center's REST API",
                format!(
                    "{} (one object each, put under its name in the row: only those a selected column reads are \
                     requested, all at once)",
                    parts.join(", ")
                ),
            )
        }
    };
    let prefix = match spec.endpoint {
        Endpoint::V2 { .. } => "/wiki/api/v2/",
        Endpoint::Rest { .. } => "/wiki/rest/",
        Endpoint::V1 { .. } | Endpoint::Whole { .. } | Endpoint::One { .. } | Endpoint::Arrays { .. } => {
            "/wiki/rest/api/"
        }
        Endpoint::Merged { .. } => "/rest/",
    };
    let mut out = format!("\n## `{}`\n\n{} Read with {api}: ", spec.name, spec.doc);
    if spec.variants.is_empty() {
        out.push_str(&path);
    } else {
        let parts: Vec<String> = spec.variants.iter().map(|(p, c)| format!("`GET {prefix}{p}` (`{c}`)")).collect();
        out.push_str(&parts.join(" and "));
        if let Endpoint::Arrays { arrays, max_limit, .. } = spec.endpoint {
            out.push_str(&format!(", each {}", arrays_note(arrays, max_limit)));
        }
    }
    out.push_str(".\n\n| column | type | description |\n| --- | --- | --- |\n");
    for c in spec.columns {
        out.push_str(&format!("| `{}` | {} | {} |\n", c.name, c.kind.data_type(), c.doc));
    }
    if let (false, Some(constant)) =
        (spec.variants.is_empty(), spec.columns.iter().find(|c| c.source == Source::Constant))
    {
        let how = if spec.by_search.is_some() { "inexact: the search below returns every kind" } else { "exact" };
        out.push_str(&format!("\n`{}` = or `IN` reads only the lists named ({how}).\n", constant.name));
    }
    if let (Some(parent), Some(fan_out)) = (spec.per_parent.map(|p| p.column), spec.fan_out) {
        let children: Vec<String> =
            fan_out.children.iter().map(|c| format!("`GET /wiki/api/v2/{}`", c.endpoint.path())).collect();
        out.push_str(&format!(
            "\nRead one `{parent}` at a time when the query pins it with `{parent} = <id>` or `{parent} IN (<ids>)` \
             (one partition per id; a join does not pin it). Otherwise every {name} of the site is listed, `GET \
             /wiki/api/v2/{parents}` (once per query), then {children} for each (up to 250 per request; the {name}s \
             shared by up to `MaxConcurrency` workers; `Spaces` sent as `{space}`): a request per {name} and list \
             at least, not one per `{parent}`. A pin on {fields} (`=` or `IN`) reads only the lists of the {name}s \
             that match (inexact: the engine re-checks; {params}, the others kept as the list is read); one on \
             `{space_column}` is sent as `{space}` (up to 100, \
             within `Spaces`); {nulls}. `LIMIT` stops it early. Which statuses these lists hold is \
             not published (the simulator serves current content): the rows of archived content are certain only \
             with `{parent}`.\n",
            fields = fan_out.parent_fields.iter().map(|(c, _)| format!("`{c}`")).collect::<Vec<_>>().join(", "),
            space_column = fan_out.space_column,
            params = fan_out
                .parent_params
                .iter()
                .map(|(c, p)| format!("`{c}` sent as `{p}`"))
                .collect::<Vec<_>>()
                .join(" and "),
            nulls = fan_out
                .children
                .iter()
                .flat_map(|child| {
                    let list = child.endpoint.path().rsplit('/').next().unwrap_or_default();
                    child
                        .columns
                        .iter()
                        .filter(|c| c.source == Source::Null)
                        .map(move |c| format!("`{} IS NOT NULL` skips the `{list}` lists", c.name))
                })
                .collect::<Vec<_>>()
                .join(", ")
                + " (an inner join on the column implies it)",
            name = fan_out.parent_name,
            parents = fan_out.parents.path(),
            children = children.join(" and "),
            space = fan_out.space_param,
        ));
    } else if let Some(parent) = spec.per_parent.map(|p| p.column) {
        out.push_str(&format!(
            "\nRead one `{parent}` at a time: the query must pin it with `{parent} = <id>` or `{parent} IN (<ids>)` \
             (one partition per id; a join does not pin it), else it fails with a message saying so.\n"
        ));
    }
    if spec.per_parent.is_some() {
        // Its readings are described above (Cloud has no child search since labels read their own lists).
    } else if let Some(per_space) = spec.per_space {
        out.push_str(&format!(
            "\nRead one space at a time (`{{space}}` above): every space of the site, or of `Spaces`, or only those the \
             query names with `{key} = ` / `IN` (inexact: the engine re-checks the case) or `{id} = ` / `IN` (exact). \
             One request per space at least; the spaces are shared by up to `MaxConcurrency` workers. `LIMIT` stops \
             the paging early.\n",
            key = per_space.key_column,
            id = per_space.id_column,
        ));
    } else if let (true, Some(time)) = (spec.filters.is_empty(), spec.time_params) {
        out.push_str(&format!(
            "\nPushed down (and `LIMIT`, which stops the paging early): a range on `{column}` (`>`, `>=`, `<`, `<=`, \
             `BETWEEN`) → `{after}` / `{before}` in epoch milliseconds, a day wider each way; inexact (the engine keeps \
             the rows in the range).\n",
            column = time.column,
            after = time.after,
            before = time.before,
        ));
    } else if spec.filters.is_empty() {
        out.push_str("\nNo filter is pushed down; `LIMIT` stops the paging early.\n");
    } else {
        out.push_str("\nPushed down (and `LIMIT`, which sizes and stops the paging):\n\n");
        for f in spec.filters {
            let values =
                if f.max_values > 1 { format!("`=` or `IN` (up to {})", f.max_values) } else { "`=`".to_owned() };
            let how = match f.value {
                ParamValue::AsIs => format!("`{}`", f.param),
                ParamValue::SpaceKeyToId => format!("`{}` (keys resolved to ids)", f.param),
                ParamValue::Cql => format!("CQL `{}`", f.param),
            };
            let mut notes = vec![if f.exact { "exact" } else { "inexact" }.to_owned()];
            if f.partition {
                notes.push("one partition per value".to_owned());
            }
            if f.restricts_spaces {
                notes.push("restricted by the `Spaces` connection property".to_owned());
            }
            out.push_str(&format!("- `{}` {values} → {how}; {}\n", f.column, notes.join(", ")));
        }
    }
    if let (Some(by_parent), Endpoint::V2 { path, .. }) =
        (spec.by_parent, spec.by_parent.map_or(spec.endpoint, |b| b.endpoint))
    {
        let exact = if spec.per_parent.is_some() {
            "inexact: with two ways to read the table, the engine re-checks which parent a row has"
        } else {
            "exact"
        };
        out.push_str(&format!(
            "\nWith `{}` pinned (`=` or `IN`, up to 250 values): `GET /wiki/api/v2/{path}` instead, one partition per \
             value ({exact}); the filters above still apply.\n",
            by_parent.per_parent.map(|p| p.column).unwrap_or_default()
        ));
    }
    if let Some(search) = spec.by_search {
        let pins: Vec<String> = search.columns.iter().map(|c| format!("`{c}`")).collect();
        let rule = search.spec.rule(search.columns[0]).map_or(0, |r| r.max_values);
        out.push_str(&format!(
            "\nWith {} pinned (`=` or `IN`, up to {rule} values): one CQL search instead, `GET \
             /wiki/rest/api/{}?cql=type = {} AND container IN (...)` (inexact: the engine keeps the rows of the \
             right kind; `Spaces` becomes a CQL `space` clause). The search index can lag a write by a few \
             seconds: a comment added just before may not be found yet.\n",
            pins.join(" or "),
            search.spec.endpoint.path(),
            search.spec.search_type.unwrap_or_default(),
        ));
    }
    if let Some(route) = spec.cql_route {
        let fields: Vec<String> = route
            .fields
            .iter()
            .map(|f| match f.kind {
                CqlKind::Equals => format!("`{}` (`=`, `IN`) → `{}`", f.column, f.field),
                CqlKind::Time => format!("`{}` (`<`, `<=`, `>`, `>=`) → `{}`", f.column, f.field),
            })
            .collect();
        out.push_str(&format!(
            "\nFound through CQL (inexact; dates widened by a day, as CQL compares in the user's time zone): {}. \
             Such a query searches `type = {}` with `GET /wiki/rest/api/search` (with the `id`, `space_key` and \
             `Spaces` restrictions) for the current rows, fetches each page of results by id from the endpoint \
             above (unless the query reads only {direct}, which the search results hold: then the search alone), \
             and lists archived rows as usual (CQL does not find them) unless the query pins \
             `status = 'current'`. With another status, or a filter this route does not send, the plain list is \
             used.\n",
            fields.join(", "),
            route.content_type,
            direct = route
                .direct
                .iter()
                .map(|c| format!("`{}`", c.name))
                .filter(|c| spec.columns.iter().any(|t| format!("`{}`", t.name) == *c))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    out.push_str(&spaces_note(spec));
    if let Some(cap) = spec.depth_cap {
        out.push_str(&format!(
            "\nThe service reads no further into this list: a list of more than {} items fails rather than return a \
             short table, saying: {}.\n",
            cap.max, cap.reason
        ));
    }
    if let Some(forbidden) = spec.forbidden {
        out.push_str(&format!("\nA 403 from the server fails the query saying: {forbidden}.\n"));
    }
    out.push_str(&writes_note(spec.name));
    if let Some(gap) = spec.not_on_cloud {
        out.push_str(&format!("\nData Center only: on Cloud the query fails saying: {gap}.\n"));
    }
    match table.data_center {
        Ok(dc) if matches!(dc.endpoint, Endpoint::Merged { .. }) => {
            if let Some(requires) = dc.requires {
                out.push_str(&format!(
                    "\nA server without a part answers 404, and the query fails saying: {requires}.\n"
                ));
            }
            if let Some(forbidden) = dc.forbidden {
                out.push_str(&format!("\nA 403 from the server fails the query saying: {forbidden}.\n"));
            }
        }
        Ok(dc) if !std::ptr::eq(dc, spec) => {
            let by_search = dc.per_parent.and_then(|p| p.child_search.filter(|s| s.column == p.column));
            if let Some(search) = by_search {
                out.push_str(&format!(
                    "\nOn Data Center: one CQL search for the pages named, `GET /rest/api/{path}?cql=type = {kind} AND \
                     {field} IN (...)&expand={expand}` (up to {max} per request; CQL finds current content only), each \
                     result's `{children}` the rows.\n",
                    path = search.path,
                    kind = search.content_type,
                    field = search.field,
                    expand = search.expand,
                    max = search.max_limit,
                    children = search.children.join("."),
                ));
                return out;
            }
            let (path, size) = match dc.endpoint {
                Endpoint::V1 { path, max_limit } => (format!("api/{path}"), format!("up to {max_limit} per request")),
                Endpoint::Rest { path, max_limit } => (path.to_owned(), format!("up to {max_limit} per request")),
                Endpoint::Whole { path } => (format!("api/{path}"), "one unpaginated array".to_owned()),
                Endpoint::One { path } => (format!("api/{path}"), "one object".to_owned()),
                Endpoint::Arrays { path, arrays, max_limit } => (format!("api/{path}"), arrays_note(arrays, max_limit)),
                Endpoint::V2 { .. } | Endpoint::Merged { .. } => return out,
            };
            let mut fixed: Vec<String> = dc.search_type.map(|t| format!("cql=type = {t}")).into_iter().collect();
            fixed.extend(dc.fixed_params.iter().map(|(k, v)| format!("{k}={v}")));
            let filters: Vec<String> = dc
                .filters
                .iter()
                .filter(|f| dc.columns.iter().any(|c| c.name == f.column))
                .map(|f| match f.value {
                    ParamValue::Cql => format!("`{}` → CQL `{}`", f.column, f.param),
                    _ => format!("`{}` → `{}`", f.column, f.param),
                })
                .collect();
            let mut filters = filters;
            if let Some(time) = dc.time_params {
                filters.push(format!("a range on `{}` → `{}` / `{}`", time.column, time.after, time.before));
            }
            let constant = dc.columns.iter().find(|c| c.source == Source::Constant);
            if let (false, Some(constant)) = (dc.variants.is_empty(), constant) {
                filters.push(format!("`{}` (`=` or `IN`: only the lists named)", constant.name));
            }
            let pushed = if filters.is_empty() { "nothing".to_owned() } else { filters.join(", ") };
            let query = if fixed.is_empty() { String::new() } else { format!("?{}", fixed.join("&")) };
            let lists = match dc.variants {
                [] => format!("`GET /rest/{path}{query}`"),
                variants => variants
                    .iter()
                    .map(|(p, c)| format!("`GET /rest/api/{p}{query}` (`{c}`)"))
                    .collect::<Vec<_>>()
                    .join(" and "),
            };
            out.push_str(&format!("\nOn Data Center: {lists} ({size}); pushed down: {pushed}."));
            if let Some(requires) = dc.requires {
                out.push_str(&format!(" A server without it answers 404, and the query fails saying: {requires}."));
            }
            if let Some((parent, search)) =
                dc.per_parent.and_then(|p| p.child_search.filter(|s| s.column != p.column).map(|s| (p.column, s)))
            {
                out.push_str(&format!(
                    " A pin on `{column}` (`=` or `IN`) is one CQL search instead, `GET /rest/api/{path}?cql=type = \
                     {kind} AND {field} = ...&expand={expand}` ({max} per request; one partition per space of \
                     `Spaces`), finding the current {kind}s, each with all its rows (inexact); a query that pins \
                     neither `{column}` nor `{parent}` fails saying so.",
                    column = search.column,
                    path = search.path,
                    kind = search.content_type,
                    field = search.field,
                    expand = search.expand,
                    max = search.max_limit,
                ));
            }
            if dc.filters.iter().any(|f| f.restricts_spaces && dc.columns.iter().all(|c| c.name != f.column)) {
                out.push_str(" The `Spaces` property adds a CQL `space` clause, one partition per space.");
            }
            let other_parent = dc.by_parent.and_then(|b| b.per_parent).map(|p| p.column);
            let nulls: Vec<String> = dc
                .columns
                .iter()
                .filter(|c| matches!(c.source, Source::Null) && Some(c.name) != other_parent)
                .map(|c| format!("`{}`", c.name))
                .collect();
            if !nulls.is_empty() {
                out.push_str(&format!(" Always NULL there (Data Center has no such field): {}.", nulls.join(", ")));
            }
            out.push('\n');
        }
        Ok(_) => out.push_str("\nOn Data Center: the same endpoint under `/rest/api/`.\n"),
        Err(gap) => out.push_str(&format!("\nCloud only: {gap}.\n")),
    }
    out
}

/// What the table takes in `INSERT`, `UPDATE` and `DELETE` (docs/writes.md has the details).
fn writes_note(table: &str) -> String {
    let Some(entity) = Entity::of_table(table) else { return String::new() };
    let names = |columns: &[&str]| columns.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
    let (update, pinned) = if entity.updatable().is_empty() {
        ("no `UPDATE`".to_owned(), "`DELETE` needs")
    } else {
        (format!("`UPDATE ... SET` {}", names(entity.updatable())), "`UPDATE` and `DELETE` need")
    };
    format!(
        "\nWrites ([writes.md](writes.md)): `INSERT` gives {}; {update}; `DELETE`. {pinned} a `WHERE` that pins \
         `{}` unless `AllowUnboundedWrites=true`.\n",
        names(entity.insertable()),
        entity.key()
    )
}

/// How the table keeps to the `Spaces` connection property.
fn spaces_note(spec: &TableSpec) -> String {
    match spec.space_scope {
        SpaceScope::Request => String::new(),
        SpaceScope::Site => "\nIt belongs to the site, not to a space: `Spaces` does not restrict it.\n".to_owned(),
        SpaceScope::Container(columns) if spec.per_parent.is_some() => {
            let what = match columns {
                ["blog_post_id"] => "blog posts",
                ["content_id"] => "pages and blog posts",
                _ => "pages",
            };
            let requests = if what == "pages and blog posts" {
                "two requests (one on Data Center) first find"
            } else {
                "one request first finds"
            };
            format!(
                "\nWith `Spaces` set, only the {what} of those spaces are read: {requests} which of the \
                 {what} named are in them.\n"
            )
        }
        SpaceScope::Container(columns) => format!(
            "\nWith `Spaces` set, rows are kept when their {} is a page or blog post of those spaces (whose ids are \
             listed first, once per query).\n",
            columns.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(" or ")
        ),
        SpaceScope::SpaceKeyColumn(column) => format!(
            "\nWith `Spaces` set, the query is restricted with `space IN (...)` and each row's `{column}` is checked \
             too.\n"
        ),
    }
}

#[test]
fn docs_tables_md_matches_the_declarations() {
    let on_data_center: Vec<String> =
        ALL.iter().filter(|t| t.data_center.is_ok()).map(|t| format!("`{}`", t.name())).collect();
    let only_on_data_center: Vec<String> =
        ALL.iter().filter(|t| t.cloud.not_on_cloud.is_some()).map(|t| format!("`{}`", t.name())).collect();
    let mut expected = HEADER
        .replace("DATA_CENTER_TABLES", &on_data_center.join(", "))
        .replace("DATA_CENTER_ONLY", &only_on_data_center.join(", "));
    for table in ALL {
        expected.push_str(&render_table(table));
    }
    expected.push_str(
        "\n## `cql('<query>')`\n\nA table function: `SELECT * FROM cql('type = page AND space = ENG AND title ~ \"roadmap\"')`. \
         The query is sent as is (the `Spaces` property adds `space IN (...)`, before any `ORDER BY`); a bad query \
         fails with Confluence's message. Its rows:\n",
    );
    expected.push_str(&render_table(&CQL_TABLE).replacen("\n## `cql`\n\n", "\n", 1));
    expected.push_str(FUNCTIONS_AND_TREES);
    let path = repo_root().join("docs/tables.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).expect("writes docs/tables.md");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/tables.md is out of date: run UPDATE_DOCS=1 cargo test -p confluence-sql-tests --test tables_doc"
    );
}

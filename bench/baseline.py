"""What users write without the driver: a plain Python script over atlassian-python-api, results in pandas.

Each scenario is the idiomatic way to get the same answer as the driver's SQL (bench/compare.py), using the
library's paging helpers: ConfluenceV2 (REST v2, cursor pages of 250) for lists; for CQL, the v1 search paged by the
library's own `_get_paged` (in atlassian-python-api 5.0.5 the Cloud clients' `cql`/`search` helpers point at paths
that do not exist: `api/v2/search`, `wiki/api/v2/2/content/search`). It prints one line: the number of rows of the
answer (or the count asked for).

    python bench/baseline.py SCENARIO URL USER API_TOKEN [ARGUMENT]
"""

import sys
import warnings

import pandas as pd
from atlassian import ConfluenceV2

warnings.filterwarnings("ignore")


def v2(url, user, token):
    return ConfluenceV2(url=url + "/wiki", username=user, password=token, cloud=True)


def cql(url, user, token, query, **params):
    """Every content result of a CQL search (REST v1 `search`, archived spaces included, as the v2 lists do),
    page after page."""
    params = {"cql": query, "includeArchivedSpaces": "true", **params}
    return [hit["content"] for hit in v2(url, user, token)._get_paged("rest/api/search", params=params)]


def full_count(url, user, token, _):
    """SELECT count(*) FROM pages WHERE status = 'current'"""
    pages = pd.DataFrame(v2(url, user, token).get_pages(limit=250))
    return len(pages)


def one_space(url, user, token, key):
    """Titles and last-modified of one space's current pages."""
    confluence = v2(url, user, token)
    space = confluence.get_space_by_key(key)
    pages = pd.DataFrame(confluence.get_pages(space_id=space["id"], limit=250))
    frame = pd.DataFrame({"title": pages["title"], "updated_at": pages["version"].map(lambda v: v["createdAt"])})
    return len(frame)


def recent(url, user, token, since):
    """Current pages modified since a date (UTC), through CQL: CQL dates are in the user's time zone, so the search
    starts a day earlier and pandas keeps the exact range."""
    day_before = (pd.Timestamp(since) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    results = cql(url, user, token, f'type = page AND lastmodified >= "{day_before}"', limit=100, expand="content.version")
    frame = pd.DataFrame(
        {"id": [r["id"] for r in results], "title": [r["title"] for r in results],
         "updated_at": pd.to_datetime([r["version"]["when"] for r in results], utc=True)}
    )
    return len(frame[frame["updated_at"] >= pd.Timestamp(since, tz="UTC")])


def latest(url, user, token, _):
    """The 20 most recently modified pages: one request, sorted by the server."""
    confluence = v2(url, user, token)
    pages = confluence.get("api/v2/pages", params={"sort": "-modified-date", "limit": 20})["results"]
    frame = pd.DataFrame(
        {"title": [p["title"] for p in pages], "updated_at": pd.to_datetime([p["version"]["createdAt"] for p in pages])}
    )
    return len(frame)


def limit_one(url, user, token, _):
    """One page, any page."""
    confluence = v2(url, user, token)
    page = confluence.get("api/v2/pages", params={"limit": 1})["results"]
    return len(pd.DataFrame(page))


def authors(url, user, token, key):
    """One space's pages with their authors' names: the pages, then each distinct author once."""
    confluence = v2(url, user, token)
    space = confluence.get_space_by_key(key)
    pages = pd.DataFrame(confluence.get_pages(space_id=space["id"], limit=250))
    names = {
        a: confluence.get("rest/api/user", params={"accountId": a})["displayName"] for a in pages["authorId"].unique()
    }
    pages["author"] = pages["authorId"].map(names)
    return len(pages[["title", "author"]])


def labels_per_space(url, user, token, _):
    """How many current pages carry each label, per space: the library has no helper for a label's pages, so its
    v2 paging over `labels`, then each label's pages (each page names its space), counted by pandas."""
    confluence = v2(url, user, token)
    pairs = []
    for label in confluence._get_paged("api/v2/labels", params={"limit": 250}):
        for page in confluence._get_paged(f"api/v2/labels/{label['id']}/pages", params={"limit": 250}):
            pairs.append((page["spaceId"], label["name"]))
    frame = pd.DataFrame(pairs, columns=["space_id", "label"])
    return len(frame.groupby(["space_id", "label"]).size())


def text_search(url, user, token, word):
    """A CQL text search, as Confluence's search box runs it (archived spaces left out, as the driver's cql() sends
    the query as written)."""
    results = cql(url, user, token, f'type = page AND text ~ "{word}"', limit=100, includeArchivedSpaces="false")
    return len(pd.DataFrame({"id": [r["id"] for r in results], "title": [r["title"] for r in results]}))


if __name__ == "__main__":
    scenario, url, user, token = sys.argv[1:5]
    argument = sys.argv[5] if len(sys.argv) > 5 else None
    print(globals()[scenario](url, user, token, argument))

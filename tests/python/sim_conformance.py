"""Validates every simulated endpoint against Atlassian's published OpenAPI descriptions.

Usage: python sim_conformance.py BASE_URL SPEC_DIR

Lists are requested at their maximum `limit` and followed to the end (v2 cursors through `_links.next`, v1
offsets through `_links.next`); every response body is validated against the schema the spec gives for that path,
method and status, and the number of items read is compared with the simulator's data set (`/__sim/dataset`).
Data Center has no published OpenAPI file here: its responses are validated against the Cloud v1 schemas of the
same resources, which describe the same objects.
"""

import json
import sys
from urllib.parse import urljoin

import requests
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

BASE, SPEC_DIR = sys.argv[1].rstrip("/"), sys.argv[2]
INFO = requests.get(f"{BASE}/__sim/info", timeout=30).json()
DATASET = requests.get(f"{BASE}/__sim/dataset", timeout=120).json()
CLOUD = INFO["deployment"] == "Cloud"
SESSION = requests.Session()
if CLOUD:
    SESSION.auth = (INFO["user"], INFO["api_token"])
else:
    SESSION.headers["Authorization"] = f"Bearer {INFO['pat']}"

failures = []
checked = {"responses": 0, "items": 0}


def load(name):
    with open(f"{SPEC_DIR}/{name}") as f:
        spec = json.load(f)
    registry = Registry().with_resource(f"urn:{name}", Resource.from_contents(spec, default_specification=DRAFT4))
    return spec, registry, f"urn:{name}"


V2 = load("confluence-cloud-v2.openapi.json")
V1 = load("confluence-cloud-v1.openapi.json")


def escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def schema_for(spec, uri, template, method, status):
    """A schema that points at the response schema inside the spec, so its `#/components/...` refs resolve."""
    op = spec["paths"][template][method]
    code = str(status) if str(status) in op["responses"] else "default"
    response = op["responses"].get(code)
    if response is None:
        raise KeyError(f"{method.upper()} {template} has no {status} response in the spec")
    pointer = f"/paths/{escape(template)}/{method}/responses/{code}"
    if "$ref" in response:
        name = response["$ref"].split("/")[-1]
        pointer = f"/components/responses/{escape(name)}"
    return {"$ref": f"{uri}#{pointer}/content/application~1json/schema"}


def validate(which, template, method, status, body, where):
    spec, registry, uri = V2 if which == "v2" else V1
    checked["responses"] += 1
    try:
        schema = schema_for(spec, uri, template, method, status)
    except KeyError as e:
        failures.append(f"{where}: {e}")
        return
    errors = sorted(OAS30Validator(schema, registry=registry).iter_errors(body), key=lambda e: list(e.path))
    for e in errors[:3]:
        failures.append(f"{where}: {'/'.join(map(str, e.path))}: {e.message[:200]}")


def get(path, params=None, expect=200):
    url = path if path.startswith("http") else BASE + path
    r = SESSION.get(url, params=params, timeout=120)
    if r.status_code != expect:
        failures.append(f"GET {r.url}: status {r.status_code}, expected {expect}: {r.text[:300]}")
        return None, r
    return r.json(), r


def walk_v2(template, path, limit, expected=None, params=None):
    """Follows a v2 list to the end; validates every page; returns the items."""
    items, url, query, pages = [], path, dict(params or {}, limit=limit), 0
    while url:
        body, r = get(url, query)
        if body is None:
            return items
        validate("v2", template, "get", 200, body, f"GET {r.url}")
        pages += 1
        results = body.get("results", [])
        if len(results) > limit:
            failures.append(f"{r.url}: {len(results)} results for limit {limit}")
        items.extend(results)
        nxt = body.get("_links", {}).get("next")
        link = r.headers.get("Link", "")
        if bool(nxt) != ('rel="next"' in link):
            failures.append(f"{r.url}: _links.next and the Link header disagree")
        if nxt and not nxt.startswith("/wiki/api/v2/"):
            failures.append(f"{r.url}: next link {nxt!r} is not relative to the site")
        if nxt and len(results) != limit:
            failures.append(f"{r.url}: a non-final page has {len(results)} items, not {limit}")
        url, query = (urljoin(BASE, nxt), None) if nxt else (None, None)
    ids = [i["id"] for i in items if "id" in i]
    if len(ids) != len(set(ids)):
        failures.append(f"{path}: duplicate ids across pages")
    if expected is not None and len(items) != expected:
        failures.append(f"{path}: read {len(items)} items over {pages} pages, the data set has {expected}")
    checked["items"] += len(items)
    return items


def walk_v1(which_template, path, limit, expected=None, params=None, context=""):
    """Follows a v1 / Data Center offset list to the end."""
    items, url, query = [], path, dict(params or {}, limit=limit)
    while url:
        body, r = get(url, query)
        if body is None:
            return items
        validate("v1", which_template, "get", 200, body, f"GET {r.url}")
        results = body.get("results", [])
        for key in ("start", "limit", "size"):
            if key not in body:
                failures.append(f"{r.url}: no {key}")
        if body.get("size") != len(results):
            failures.append(f"{r.url}: size {body.get('size')} but {len(results)} results")
        items.extend(results)
        nxt = body.get("_links", {}).get("next")
        url, query = (BASE + context + nxt, None) if nxt else (None, None)
    if expected is not None and len(items) != expected:
        failures.append(f"{path}: read {len(items)} items, the data set has {expected}")
    checked["items"] += len(items)
    return items


def cloud():
    spaces = DATASET["spaces"]
    pages_expected = sum(s["pages_listed"] for s in spaces)
    walk_v2("/spaces", "/wiki/api/v2/spaces", 250, expected=len(spaces))
    pages = walk_v2("/pages", "/wiki/api/v2/pages", 250, expected=pages_expected)
    walk_v2("/blogposts", "/wiki/api/v2/blogposts", 250, expected=sum(s["blogposts"] for s in spaces))
    walk_v2("/footer-comments", "/wiki/api/v2/footer-comments", 250, expected=DATASET["footer_comments"])
    walk_v2("/inline-comments", "/wiki/api/v2/inline-comments", 250, expected=DATASET["inline_comments"])
    walk_v2("/attachments", "/wiki/api/v2/attachments", 250, expected=DATASET["attachments"])
    labels = walk_v2("/labels", "/wiki/api/v2/labels", 250, expected=DATASET["labels"])
    # A label's pages and blog posts (what `labels` reads when no page is named), the pages checked against
    # the pages list: each labelled page is listed by its label.
    if labels:
        label = labels[0]
        tagged = walk_v2("/labels/{id}/pages", f"/wiki/api/v2/labels/{label['id']}/pages", 250, params={"sort": "id"})
        walk_v2("/labels/{id}/blogposts", f"/wiki/api/v2/labels/{label['id']}/blogposts", 250)
        if not tagged:
            failures.append(f"label {label['name']}: no page listed")
        one, _ = get(f"/wiki/api/v2/pages/{tagged[0]['id']}/labels", {"limit": 250}) if tagged else (None, None)
        if one is not None and label["name"] not in [l["name"] for l in one.get("results", [])]:
            failures.append(f"label {label['name']}: page {tagged[0]['id']} is listed by it but does not carry it")
    walk_v2("/tasks", "/wiki/api/v2/tasks", 250, expected=DATASET["tasks"])
    first = spaces[0]
    walk_v2("/spaces/{id}/pages", f"/wiki/api/v2/spaces/{first['id']}/pages", 250, expected=first["pages_listed"])
    walk_v2("/pages", "/wiki/api/v2/pages", 250, params={"space-id": first["id"], "body-format": "storage"}, expected=first["pages_listed"])
    busiest = max(pages, key=lambda p: p["version"]["number"])
    walk_v2("/pages/{id}/versions", f"/wiki/api/v2/pages/{busiest['id']}/versions", 250, expected=busiest["version"]["number"])
    walk_v2("/pages/{id}/labels", f"/wiki/api/v2/pages/{busiest['id']}/labels", 250)
    walk_v2("/pages/{id}/footer-comments", f"/wiki/api/v2/pages/{pages[1]['id']}/footer-comments", 250)
    walk_v2("/pages/{id}/inline-comments", f"/wiki/api/v2/pages/{pages[1]['id']}/inline-comments", 250)
    # The page tree: the page with the most children, and a child page's ancestors.
    parents = {}
    for p in pages:
        if p.get("parentId"):
            parents[p["parentId"]] = parents.get(p["parentId"], 0) + 1
    parent_id = max(parents, key=parents.get)
    walk_v2("/pages/{id}/children", f"/wiki/api/v2/pages/{parent_id}/children", 250)
    deepest = next(p for p in pages if p.get("parentId"))
    walk_v2("/pages/{id}/ancestors", f"/wiki/api/v2/pages/{deepest['id']}/ancestors", 250)
    walk_v2("/spaces/{id}/permissions", f"/wiki/api/v2/spaces/{first['id']}/permissions", 250)
    posts, _ = get("/wiki/api/v2/blogposts", {"limit": 1})
    if posts and posts["results"]:
        walk_v2("/blogposts/{id}/labels", f"/wiki/api/v2/blogposts/{posts['results'][0]['id']}/labels", 250)

    for template, path, params in [
        ("/spaces/{id}", f"/wiki/api/v2/spaces/{first['id']}", {"description-format": "plain"}),
        ("/pages/{id}", f"/wiki/api/v2/pages/{pages[0]['id']}", {"body-format": "storage"}),
        ("/pages/{id}", f"/wiki/api/v2/pages/{pages[0]['id']}", {"body-format": "atlas_doc_format"}),
        ("/pages/{id}", f"/wiki/api/v2/pages/{pages[0]['id']}", {"body-format": "view"}),
    ]:
        body, r = get(path, params)
        if body is not None:
            validate("v2", template, "get", 200, body, f"GET {r.url}")
    for template, lister in [("/blogposts/{id}", "/wiki/api/v2/blogposts"), ("/footer-comments/{comment-id}", "/wiki/api/v2/footer-comments"),
                             ("/attachments/{id}", "/wiki/api/v2/attachments"), ("/tasks/{id}", "/wiki/api/v2/tasks")]:
        listed, _ = get(lister, {"limit": 1})
        if listed and listed["results"]:
            body, r = get(f"{lister}/{listed['results'][0]['id']}")
            if body is not None:
                validate("v2", template, "get", 200, body, f"GET {r.url}")
    users = DATASET["users"]
    r = SESSION.post(BASE + "/wiki/api/v2/users-bulk", json={"accountIds": [u["accountId"] for u in users[:250]]}, timeout=60)
    validate("v2", "/users-bulk", "post", r.status_code, r.json(), "POST /users-bulk")
    if len(r.json().get("results", [])) != min(250, len(users)):
        failures.append("POST /users-bulk: not every user came back")

    w = "/wiki/rest/api"
    searched = walk_v1("/wiki/rest/api/search", f"{w}/search", 100, params={"cql": "type = page"}, context="/wiki")
    current_pages = sum(s["pages_current"] for s in spaces if s["status"] == "current")
    if len(searched) != current_pages:
        failures.append(f"CQL type = page found {len(searched)}, the data set has {current_pages} current pages in current spaces")
    walk_v1("/wiki/rest/api/content/search", f"{w}/content/search", 100, params={"cql": f"space = {first['key']} and type = page"}, context="/wiki",
            expected=first["pages_current"])
    walk_v1("/wiki/rest/api/search/user", f"{w}/search/user", 100, params={"cql": "type = user"}, context="/wiki", expected=len(users))
    groups = walk_v1("/wiki/rest/api/group", f"{w}/group", 200, expected=len(DATASET["groups"]), context="/wiki")
    for g in groups[:3]:
        expected = next(x["members"] for x in DATASET["groups"] if x["id"] == g["id"])
        walk_v1("/wiki/rest/api/group/{groupId}/membersByGroupId", f"{w}/group/{g['id']}/membersByGroupId", 200, expected=expected, context="/wiki")
    walk_v1("/wiki/rest/api/audit", f"{w}/audit", 1000, expected=DATASET["audit_records"], context="/wiki")
    walk_v1("/wiki/rest/api/space", f"{w}/space", 250, expected=len(spaces), context="/wiki")
    for metric in ["views", "viewers"]:
        body, r = get(f"{w}/analytics/content/{pages[0]['id']}/{metric}")
        if body is not None:
            validate("v1", f"/wiki/rest/api/analytics/content/{{contentId}}/{metric}", "get", 200, body, f"GET {r.url}")
    for page in pages[:10]:
        for operation in ["read", "update"]:
            for params in [{}, {"limit": 1, "start": 1}]:
                body, r = get(f"{w}/content/{page['id']}/restriction/byOperation/{operation}", params)
                if body is not None:
                    validate("v1", "/wiki/rest/api/content/{id}/restriction/byOperation/{operationKey}", "get", 200, body, f"GET {r.url}")
    # A label by name (v1): the label and a window of its content; an unknown name is a 404.
    if labels:
        body, r = get(f"{w}/label", {"name": labels[0]["name"], "limit": 1})
        if body is not None:
            validate("v1", "/wiki/rest/api/label", "get", 200, body, f"GET {r.url}")
            if body.get("label", {}).get("id") != labels[0]["id"]:
                failures.append(f"GET {r.url}: label id {body.get('label')} is not {labels[0]['id']}")
        get(f"{w}/label", {"name": "no-such-label-anywhere"}, expect=404)
    body, r = get(f"{w}/settings/systemInfo")
    if body is not None:
        validate("v1", "/wiki/rest/api/settings/systemInfo", "get", 200, body, f"GET {r.url}")
    body, r = get(f"{w}/user", {"accountId": users[1]["accountId"]})
    if body is not None:
        validate("v1", "/wiki/rest/api/user", "get", 200, body, f"GET {r.url}")
    body, r = get(f"{w}/user/bulk", {"accountId": ",".join(u["accountId"] for u in users[:5])})
    if body is not None:
        validate("v1", "/wiki/rest/api/user/bulk", "get", 200, body, f"GET {r.url}")


def data_center():
    spaces = DATASET["spaces"]
    first = spaces[0]
    walk_v1("/wiki/rest/api/space", "/rest/api/space", 250, expected=len(spaces))
    walk_v1("/wiki/rest/api/content/search", "/rest/api/content", 100, params={"spaceKey": first["key"], "type": "page"}, expected=first["pages_current"])
    walk_v1("/wiki/rest/api/content/search", "/rest/api/content", 50, params={"spaceKey": first["key"], "expand": "body.storage,version,space"},
            expected=first["pages_current"])
    walk_v1("/wiki/rest/api/content/search", "/rest/api/content/search", 100, params={"cql": f"space = {first['key']} and type = page"},
            expected=first["pages_current"])
    walk_v1("/wiki/rest/api/search", "/rest/api/search", 100, params={"cql": "type = blogpost"})
    # Comments and attachments, which the content list does not return, through CQL with their expansions.
    walk_v1("/wiki/rest/api/content/search", "/rest/api/content/search", 100,
            params={"cql": "type = comment", "includeArchivedSpaces": "true",
                    "expand": "container,history,version,ancestors,extensions.resolution,body.storage"},
            expected=DATASET["footer_comments"] + DATASET["inline_comments"])
    walk_v1("/wiki/rest/api/content/search", "/rest/api/content/search", 100,
            params={"cql": "type = attachment", "includeArchivedSpaces": "true", "expand": "container,history,version,metadata"},
            expected=DATASET["attachments"])
    walk_v1("/wiki/rest/api/audit", "/rest/api/audit", 1000, expected=DATASET["audit_records"])
    walk_v1("/wiki/rest/api/group", "/rest/api/group", 200, expected=len(DATASET["groups"]))
    walk_v1("/wiki/rest/api/group/{groupId}/membersByGroupId", "/rest/api/group/confluence-users/member", 200,
            expected=DATASET["groups"][0]["members"])


cloud() if CLOUD else data_center()
print(f"checked {checked['responses']} responses and {checked['items']} items against the spec ({INFO['deployment']})")
for f in failures[:60]:
    print("FAIL", f)
print(f"{checked['responses'] - min(len(failures), checked['responses'])} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)

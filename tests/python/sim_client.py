"""An independent client, atlassian-python-api, used unchanged against the simulator.

Usage: python sim_client.py BASE_URL

Cloud: lists spaces and pages through the v2 client (cursor pagination), runs a CQL search with paging and reads
users and groups through the v1 endpoints. Data Center: the server client lists spaces and pages, searches with
CQL, and reads users and groups. What it reads is compared with the simulator's data set (`/__sim/dataset`).
"""

import sys
import warnings

import requests
from atlassian import ConfluenceV2
from atlassian.confluence import ConfluenceCloud, ConfluenceServer

warnings.simplefilter("ignore")
BASE = sys.argv[1].rstrip("/")
INFO = requests.get(f"{BASE}/__sim/info", timeout=30).json()
DATASET = requests.get(f"{BASE}/__sim/dataset", timeout=120).json()
failures = []
passed = 0


def check(condition, message):
    global passed
    if condition:
        passed += 1
    else:
        failures.append(message)


def cloud():
    user, token = INFO["user"], INFO["api_token"]
    spaces_expected = {s["key"] for s in DATASET["spaces"]}
    v2 = ConfluenceV2(url=BASE + "/wiki", username=user, password=token, cloud=True)
    spaces = v2.get_spaces(limit=250)
    check({s["key"] for s in spaces} == spaces_expected, f"v2 spaces: read {len(spaces)}, expected {len(spaces_expected)}")
    spaces_small_pages = v2.get_spaces(limit=3)
    check(len(spaces_small_pages) == len(spaces_expected), "v2 spaces with limit=3 should page through every space")

    current = sum(s["pages_current"] for s in DATASET["spaces"])
    pages = v2.get_pages(limit=250)
    check(len(pages) == current, f"v2 pages: read {len(pages)}, expected {current} current pages")
    check(len({p["id"] for p in pages}) == len(pages), "v2 pages: no duplicates across cursor pages")
    eng = next(s for s in DATASET["spaces"] if s["key"] == "ENG")
    in_space = v2.get_pages(space_id=eng["id"], limit=250)
    check(len(in_space) == eng["pages_current"], f"v2 pages of ENG: read {len(in_space)}, expected {eng['pages_current']}")
    page = v2.get_page_by_id(pages[0]["id"], body_format="storage")
    check(bool(page.get("body", {}).get("storage", {}).get("value")), "get_page_by_id with body_format=storage returns the body")

    classic = ConfluenceServer(url=BASE + "/wiki", username=user, password=token)
    found = classic.cql("type = page and space = ENG", limit=20)
    check(found["totalSize"] == eng["pages_current"], f"CQL totalSize {found['totalSize']}, expected {eng['pages_current']}")
    every, start = [], 0
    while True:
        batch = classic.cql("type = page and space = ENG", start=start, limit=20)
        every.extend(batch["results"])
        if "next" not in batch["_links"]:
            break
        start += len(batch["results"])
    check(len(every) == eng["pages_current"], f"CQL paging read {len(every)}, expected {eng['pages_current']}")
    check(all(r["content"]["type"] == "page" for r in every), "CQL results are pages")

    cloud_client = ConfluenceCloud(url=BASE + "/wiki", username=user, password=token)
    groups = cloud_client.get_groups()["results"]
    check({g["name"] for g in groups} == {g["name"] for g in DATASET["groups"]}, "v1 groups match the data set")
    for group in groups[:3]:
        members = cloud_client.get_group_members(group["id"], limit=200)["results"]
        expected = next(g["members"] for g in DATASET["groups"] if g["id"] == group["id"])
        check(len(members) == expected, f"members of {group['name']}: read {len(members)}, expected {expected}")
    someone = DATASET["users"][3]
    user_json = classic.get(f"rest/api/user", params={"accountId": someone["accountId"]})
    check(user_json["displayName"] == someone["displayName"], "v1 user by accountId")


def data_center():
    server = ConfluenceServer(url=BASE, username=INFO["user"], password=INFO["password"])
    spaces = server.get_all_spaces(limit=200)["results"]
    check({s["key"] for s in spaces} == {s["key"] for s in DATASET["spaces"]}, "DC spaces match the data set")
    eng = next(s for s in DATASET["spaces"] if s["key"] == "ENG")
    pages = list(server.get_all_pages_from_space("ENG", limit=25))
    check(len(pages) == eng["pages_current"], f"DC pages of ENG: read {len(pages)}, expected {eng['pages_current']}")
    found = server.cql("type = page and space = ENG", limit=20)
    check(found["totalSize"] == eng["pages_current"], "DC CQL totalSize")
    groups = server.get_all_groups()
    check({g["name"] for g in groups} == {g["name"] for g in DATASET["groups"]}, "DC groups match the data set")
    members = server.get_group_members("confluence-users", limit=1000)["results"]
    check(len(members) == DATASET["groups"][0]["members"], f"DC members of confluence-users: {len(members)}")
    someone = DATASET["users"][2]
    details = server.get_user_details_by_username(someone["username"])
    check(details["displayName"] == someone["displayName"], "DC user by username")
    bearer = ConfluenceServer(url=BASE, token=INFO["pat"])
    check(len(bearer.get_all_spaces(limit=200)["results"]) == len(DATASET["spaces"]), "DC personal access token works")


cloud() if INFO["deployment"] == "Cloud" else data_center()
for f in failures:
    print("FAIL", f)
print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)

"""An OAuth client nobody here wrote (authlib) against the simulator's authorization servers.

Usage: python sim_oauth.py BASE_URL

Cloud: the 3LO authorization-code flow through the consent page (a scripted browser posts Accept) and with
auto-approve, cloud-id discovery through accessible-resources, API calls through the gateway, a refresh that
rotates the refresh token, the old refresh token refused, a wrong secret refused, expired access tokens refused.
Data Center: the authorization-code flow with PKCE (S256), a wrong code_verifier refused, a refresh.
Run it against a simulator whose refresh-token reuse interval is 0 (the test harness configures that).
"""

import re
import sys
from html import unescape
from urllib.parse import parse_qs, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

BASE = sys.argv[1].rstrip("/")
INFO = requests.get(f"{BASE}/__sim/info", timeout=30).json()
REDIRECT = "http://127.0.0.1:33999/callback"
failures, passed = [], 0


def check(condition, message):
    global passed
    if condition:
        passed += 1
    else:
        failures.append(message)


def auto_approve(enabled):
    requests.put(f"{BASE}/__sim/auto-approve", json={"enabled": enabled}, timeout=10).raise_for_status()


def follow_consent(url):
    """A scripted browser: opens the authorization URL, submits Accept on the consent page, returns the redirect."""
    page = requests.get(url, allow_redirects=False, timeout=10)
    if page.status_code in (302, 303):
        return page.headers["Location"]
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page.text, re.S)
    if not form:
        raise AssertionError(f"no consent form in {page.status_code} {page.text[:200]}")
    fields = {unescape(k): unescape(v) for k, v in re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', form.group(2))}
    fields["decision"] = "accept"
    answer = requests.post(BASE + form.group(1), data=fields, allow_redirects=False, timeout=10)
    return answer.headers["Location"]


def cloud():
    scope = "read:page:confluence read:space:confluence search:confluence offline_access"
    session = OAuth2Session(INFO["client_id"], INFO["client_secret"], scope=scope, redirect_uri=REDIRECT)
    url, state = session.create_authorization_url(INFO["oauth_authorization_url"], audience="api.atlassian.com", prompt="consent")
    auto_approve(False)
    location = follow_consent(url)
    query = parse_qs(urlparse(location).query)
    check(location.startswith(REDIRECT), f"redirected to the callback, got {location}")
    check(query.get("state") == [state], "state is echoed back")
    token = session.fetch_token(INFO["oauth_access_token_url"], authorization_response=location)
    check(bool(token.get("access_token")) and bool(token.get("refresh_token")), "code exchange returns access and refresh tokens")
    check(token.get("expires_in") == 3600, f"expires_in is 3600, got {token.get('expires_in')}")
    check(set(token.get("scope", "").split()) == set(scope.split()), "granted scopes are returned")

    resources = session.get(f"{INFO['atlassian_api_url']}/oauth/token/accessible-resources").json()
    check(resources and resources[0]["id"] == INFO["cloud_id"], f"accessible-resources gives the cloud id: {resources}")
    api = f"{INFO['atlassian_api_url']}/ex/confluence/{resources[0]['id']}/wiki"
    pages = session.get(f"{api}/api/v2/pages", params={"limit": 5})
    check(pages.status_code == 200 and len(pages.json()["results"]) == 5, f"gateway call with the token: {pages.status_code}")
    site = session.get(f"{BASE}/wiki/api/v2/pages", params={"limit": 5})
    check(site.status_code == 401, f"an OAuth token on the site URL is refused: {site.status_code}")
    audit = session.get(f"{api}/rest/api/audit")
    check(audit.status_code == 403 and "read:audit-log:confluence" in audit.text, f"a missing scope is a 403 naming it: {audit.status_code} {audit.text[:120]}")

    old_refresh = token["refresh_token"]
    refreshed = session.refresh_token(INFO["oauth_access_token_url"], refresh_token=old_refresh)
    check(refreshed["refresh_token"] != old_refresh, "a refresh rotates the refresh token")
    check(session.get(f"{api}/api/v2/spaces").status_code == 200, "the refreshed access token works")
    try:
        session.refresh_token(INFO["oauth_access_token_url"], refresh_token=old_refresh)
        check(False, "the rotated-out refresh token must be refused")
    except OAuthError as e:
        check(e.error == "invalid_grant", f"reusing a rotated refresh token gives invalid_grant, got {e.error}")

    requests.post(f"{BASE}/__sim/tokens/expire", timeout=10).raise_for_status()
    expired = session.get(f"{api}/api/v2/spaces")
    check(expired.status_code == 401, f"an expired access token is refused: {expired.status_code}")
    again = session.refresh_token(INFO["oauth_access_token_url"], refresh_token=refreshed["refresh_token"])
    check(session.get(f"{api}/api/v2/spaces").status_code == 200 and again["refresh_token"], "refresh after expiry restores access")

    wrong = OAuth2Session(INFO["client_id"], "not-the-secret", scope=scope, redirect_uri=REDIRECT)
    auto_approve(True)
    url, _ = wrong.create_authorization_url(INFO["oauth_authorization_url"], audience="api.atlassian.com", prompt="consent")
    location = follow_consent(url)
    try:
        wrong.fetch_token(INFO["oauth_access_token_url"], authorization_response=location)
        check(False, "a wrong client secret must be refused")
    except OAuthError as e:
        check(e.error == "access_denied", f"a wrong secret gives access_denied, got {e.error}")

    bad_scope = OAuth2Session(INFO["client_id"], INFO["client_secret"], scope="read:everything offline_access", redirect_uri=REDIRECT)
    url, _ = bad_scope.create_authorization_url(INFO["oauth_authorization_url"], audience="api.atlassian.com")
    location = requests.get(url, allow_redirects=False, timeout=10).headers.get("Location", "")
    check("error=invalid_scope" in location, f"an unconfigured scope is refused with invalid_scope: {location}")


def data_center():
    auto_approve(True)
    session = OAuth2Session(
        INFO["client_id"], INFO["client_secret"], scope="WRITE", redirect_uri=REDIRECT,
        code_challenge_method="S256", token_endpoint_auth_method="client_secret_post",
    )
    verifier = generate_token(64)
    url, state = session.create_authorization_url(INFO["oauth_authorization_url"], code_verifier=verifier)
    location = follow_consent(url)
    token = session.fetch_token(INFO["oauth_access_token_url"], authorization_response=location, code_verifier=verifier)
    check(set(token["scope"].split()) == {"READ", "WRITE"}, f"WRITE implies READ: {token['scope']}")
    spaces = session.get(f"{BASE}/rest/api/space", params={"limit": 5})
    check(spaces.status_code == 200 and spaces.json()["size"] == 5, f"DC API with the OAuth token: {spaces.status_code}")

    url, _ = session.create_authorization_url(INFO["oauth_authorization_url"], code_verifier=generate_token(64))
    location = follow_consent(url)
    try:
        session.fetch_token(INFO["oauth_access_token_url"], authorization_response=location, code_verifier=generate_token(64))
        check(False, "a wrong code_verifier must be refused")
    except OAuthError as e:
        check(e.error == "invalid_grant", f"a wrong code_verifier gives invalid_grant, got {e.error}")

    refreshed = session.refresh_token(INFO["oauth_access_token_url"], refresh_token=token["refresh_token"])
    check(refreshed["refresh_token"] != token["refresh_token"], "Data Center refresh rotates too")
    check(session.get(f"{BASE}/rest/api/space").status_code == 200, "the refreshed token works")


try:
    cloud() if INFO["deployment"] == "Cloud" else data_center()
except Exception as e:  # a crash is a failure with its reason, not a traceback to decode
    failures.append(f"{type(e).__name__}: {e}")
for f in failures:
    print("FAIL", f)
print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)

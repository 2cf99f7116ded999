//! End-to-end tests of the simulator over HTTP: authentication and error bodies, pagination, the gateway, CQL,
//! writes and conflicts, faults, and the counters tests rely on.

use std::time::Duration;

use confluence_sim::{DatasetSize, FaultRule, SimConfig, SimHandle, Simulator};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

async fn cloud() -> SimHandle {
    Simulator::start(SimConfig::cloud().with_size(DatasetSize::TINY)).await.expect("starts")
}

fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(30)).build().expect("client")
}

async fn get(sim: &SimHandle, path: &str) -> reqwest::Response {
    let info = sim.info();
    client()
        .get(format!("{}{path}", sim.base_url()))
        .basic_auth(&info.user, Some(&info.api_token))
        .send()
        .await
        .expect("request")
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn authentication_failures_use_each_api_shape() {
    let sim = cloud().await;
    let url = |p: &str| format!("{}{p}", sim.base_url());
    let r = client().get(url("/wiki/api/v2/pages")).send().await.expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "UNAUTHORIZED");

    let r = client()
        .get(url("/wiki/rest/api/search?cql=type=page"))
        .basic_auth("admin@example.com", Some("wrong"))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["statusCode"], 401);

    let r = client()
        .get(url("/wiki/api/v2/pages"))
        .basic_auth("admin@example.com", Some("sim-password"))
        .send()
        .await
        .expect("request");
    let body = r.text().await.expect("text");
    assert!(body.contains("Use an API token"), "{body}");

    let gateway = url(&format!("/ex/confluence/{}/wiki/api/v2/pages", sim.info().cloud_id));
    let r = client().get(gateway).bearer_auth("nope").send().await.expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.json::<Value>().await.expect("json"), json!({"code": 401, "message": "Unauthorized"}));
    assert_eq!(sim.counters().get("GET /wiki/api/v2/pages"), 3, "gateway requests count under the site route");
}

#[tokio::test]
async fn oauth_tokens_work_through_the_gateway_only() {
    let sim = cloud().await;
    let tokens = sim.issue_oauth_tokens(&["read:page:confluence"]);
    let info = sim.info();
    let gateway = format!("{}/ex/confluence/{}/wiki", sim.base_url(), info.cloud_id);
    let r = client()
        .get(format!("{gateway}/api/v2/pages?limit=3"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["_links"]["next"].as_str().is_some_and(|n| n.starts_with("/wiki/api/v2/pages?")),
        "next links stay site-relative"
    );
    let r = client()
        .get(format!("{gateway}/api/v2/spaces"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "read:page does not cover spaces");
    assert!(r.text().await.unwrap_or_default().contains("read:space:confluence"));
    let wrong_site = format!("{}/ex/confluence/00000000-0000-4000-8000-000000000000/wiki/api/v2/pages", sim.base_url());
    let r = client().get(wrong_site).bearer_auth(&tokens.access_token).send().await.expect("request");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    sim.expire_tokens();
    let r = client()
        .get(format!("{gateway}/api/v2/pages"))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r
        .headers()
        .get("www-authenticate")
        .is_some_and(|v| v.to_str().unwrap_or_default().contains("invalid_token")));
}

#[tokio::test]
async fn cursor_pagination_reads_every_page_once() {
    let sim = cloud().await;
    let mut url = "/wiki/api/v2/pages?limit=7".to_owned();
    let mut ids = Vec::new();
    let mut requests = 0;
    loop {
        let r = get(&sim, &url).await;
        assert_eq!(r.status(), StatusCode::OK);
        let link = r.headers().get("link").map(|v| v.to_str().unwrap_or_default().to_owned());
        let body: Value = r.json().await.expect("json");
        requests += 1;
        let results = body["results"].as_array().expect("results");
        ids.extend(results.iter().map(|p| p["id"].as_str().unwrap_or_default().to_owned()));
        match body["_links"]["next"].as_str() {
            Some(next) => {
                assert!(link.is_some_and(|l| l.contains(next)), "the Link header carries the same next link");
                url = next.to_owned();
            }
            None => break,
        }
    }
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    assert_eq!(sim.counters().get("GET /wiki/api/v2/pages"), requests);
    assert_eq!(requests as usize, ids.len().div_ceil(7));
    assert_eq!(get(&sim, "/wiki/api/v2/pages?cursor=forged").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(get(&sim, "/wiki/api/v2/pages?limit=0").await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn filters_and_bodies() {
    let sim = cloud().await;
    let space = sim.dataset().space(1);
    let body: Value =
        get(&sim, &format!("/wiki/api/v2/pages?space-id={}&limit=250", space.id)).await.json().await.expect("json");
    let results = body["results"].as_array().expect("results");
    assert!(!results.is_empty());
    let space_id = space.id.to_string();
    assert!(results.iter().all(|p| p["spaceId"].as_str() == Some(space_id.as_str())));
    assert!(results.iter().all(|p| p["body"] == json!({})), "no body unless asked");
    let title = results[0]["title"].as_str().unwrap_or_default();
    let path = format!("/wiki/api/v2/pages?title={}&body-format=storage", url_escape(title));
    let body: Value = get(&sim, &path).await.json().await.expect("json");
    assert_eq!(body["results"].as_array().map(Vec::len), Some(1));
    assert!(body["results"][0]["body"]["storage"]["value"].as_str().is_some_and(|v| v.starts_with("<h2>")));
    assert_eq!(
        get(&sim, "/wiki/api/v2/pages?body-format=view").await.status(),
        StatusCode::BAD_REQUEST,
        "lists do not render view"
    );
}

#[tokio::test]
async fn cql_search_and_its_errors() {
    let sim = Simulator::start(SimConfig::cloud()).await.expect("starts");
    let data = sim.dataset();
    let page = (0..data.page_count())
        .map(|i| data.page(i))
        .find(|p| p.title.contains('"') && p.status == "current" && data.space(p.space).status == "current")
        .expect("the small data set has a title with quotes");
    let escaped = page.title.replace('\\', "\\\\").replace('"', "\\\"");
    let cql = format!("title = \"{escaped}\"");
    let body: Value =
        get(&sim, &format!("/wiki/rest/api/search?cql={}", url_escape(&cql))).await.json().await.expect("json");
    assert_eq!(body["totalSize"], 1, "{body}");
    assert_eq!(body["results"][0]["content"]["id"], page.id.to_string());

    let r = get(&sim, &format!("/wiki/rest/api/search?cql={}", url_escape("title = "))).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.expect("json");
    assert!(body["message"].as_str().is_some_and(|m| m.ends_with("Could not parse cql : title = ")), "{body}");
    assert_eq!(
        get(&sim, &format!("/wiki/rest/api/search?cql={}", url_escape("colour = red"))).await.status(),
        StatusCode::BAD_REQUEST
    );
}

/// A search's next pages come from its first evaluation (as from a site's index), until a write: then the
/// search sees the write.
#[tokio::test]
async fn a_search_is_evaluated_once_until_a_write() {
    let sim = cloud().await;
    let info = sim.info();
    let page = sim.dataset().page(3);
    let cql = url_escape("type = page AND title = \"Cached search probe\"");
    let total = |body: Value| body["totalSize"].as_u64();
    let first: Value = get(&sim, &format!("/wiki/rest/api/search?cql={cql}&limit=1")).await.json().await.expect("json");
    assert_eq!(total(first), Some(0));
    let url = format!("{}/wiki/api/v2/pages/{}", sim.base_url(), page.id);
    let renamed = client()
        .put(&url)
        .basic_auth(&info.user, Some(&info.api_token))
        .json(&json!({
            "id": page.id.to_string(), "status": "current", "title": "Cached search probe",
            "version": {"number": page.version.number + 1},
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(renamed.status(), StatusCode::OK);
    let again: Value = get(&sim, &format!("/wiki/rest/api/search?cql={cql}&limit=1")).await.json().await.expect("json");
    assert_eq!(total(again), Some(1), "the write is seen, not the cached answer");
    // The next page of a cached search: the same total, the window after.
    let all = url_escape("type = page AND space = ENG");
    let one: Value = get(&sim, &format!("/wiki/rest/api/search?cql={all}&limit=2")).await.json().await.expect("json");
    let two: Value =
        get(&sim, &format!("/wiki/rest/api/search?cql={all}&limit=2&start=2")).await.json().await.expect("json");
    assert_eq!(one["totalSize"], two["totalSize"]);
    assert_ne!(one["results"][0]["content"]["id"], two["results"][0]["content"]["id"]);
}

#[tokio::test]
async fn writes_with_versions_and_conflicts() {
    let sim = cloud().await;
    let info = sim.info();
    let page = sim.dataset().page(3);
    let url = format!("{}/wiki/api/v2/pages/{}", sim.base_url(), page.id);
    let put = |version: u32| {
        client()
            .put(&url)
            .basic_auth(&info.user, Some(&info.api_token))
            .json(&json!({
                "id": page.id.to_string(), "status": "current", "title": "Renamed page",
                "body": {"representation": "storage", "value": "<p>new</p>"},
                "version": {"number": version, "message": "edited"},
            }))
            .send()
    };
    assert_eq!(put(page.version.number).await.expect("request").status(), StatusCode::CONFLICT);
    let r = put(page.version.number + 1).await.expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let updated: Value = r.json().await.expect("json");
    assert_eq!(updated["title"], "Renamed page");
    assert_eq!(updated["version"]["number"], page.version.number + 1);

    let space = sim.dataset().space(0);
    let created: Value = client()
        .post(format!("{}/wiki/api/v2/pages", sim.base_url()))
        .basic_auth(&info.user, Some(&info.api_token))
        .json(&json!({"spaceId": space.id.to_string(), "status": "current", "title": "Created by a test",
                      "body": {"representation": "storage", "value": "<p>x</p>"}}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(get(&sim, &format!("/wiki/api/v2/pages/{id}")).await.status(), StatusCode::OK);
    let r = client()
        .delete(format!("{}/wiki/api/v2/pages/{id}", sim.base_url()))
        .basic_auth(&info.user, Some(&info.api_token))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let listed: Value = get(&sim, &format!("/wiki/api/v2/pages?id={id}")).await.json().await.expect("json");
    assert_eq!(listed["results"], json!([]), "trashed pages are not listed by default");
    let listed: Value =
        get(&sim, &format!("/wiki/api/v2/pages?id={id}&status=trashed")).await.json().await.expect("json");
    assert_eq!(listed["results"][0]["status"], "trashed");
}

#[tokio::test]
async fn faults_on_demand() {
    let sim = cloud().await;
    sim.set_faults(vec![FaultRule { burst_429: 1, retry_after_secs: 7, ..FaultRule::default() }]);
    let r = get(&sim, "/wiki/api/v2/spaces").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("7"));
    assert!(r.headers().contains_key("x-ratelimit-reset"));
    assert_eq!(get(&sim, "/wiki/api/v2/spaces").await.status(), StatusCode::OK, "the burst is over");

    sim.set_faults(vec![FaultRule {
        rate_5xx: 1.0,
        status_5xx: 502,
        endpoint: Some("/wiki/api/v2/spaces".into()),
        ..FaultRule::default()
    }]);
    assert_eq!(get(&sim, "/wiki/api/v2/spaces").await.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(get(&sim, "/wiki/api/v2/pages").await.status(), StatusCode::OK, "other endpoints untouched");

    sim.set_faults(vec![FaultRule { malformed_rate: 1.0, ..FaultRule::default() }]);
    let r = get(&sim, "/wiki/api/v2/spaces").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.json::<Value>().await.is_err(), "malformed JSON");

    sim.set_faults(vec![FaultRule { truncated_rate: 1.0, ..FaultRule::default() }]);
    let r = get(&sim, "/wiki/api/v2/spaces").await;
    assert_eq!(r.status(), StatusCode::OK, "the head arrives");
    assert!(r.bytes().await.is_err(), "the body is cut short");

    sim.set_faults(vec![FaultRule { reset_rate: 1.0, ..FaultRule::default() }]);
    let info = sim.info();
    let attempt = client()
        .get(format!("{}/wiki/api/v2/spaces", sim.base_url()))
        .basic_auth(&info.user, Some(&info.api_token))
        .send()
        .await;
    let failed = match attempt {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the connection is cut before the body");

    sim.set_faults(vec![FaultRule { latency_ms: 150, ..FaultRule::default() }]);
    get(&sim, "/wiki/api/v2/spaces").await;
    sim.clear_faults();
    let faults: Vec<_> = sim.request_log().iter().filter_map(|r| r.fault.clone()).collect();
    assert_eq!(faults, ["429", "502", "malformed", "truncated", "reset", "latency"]);
}

#[tokio::test]
async fn control_endpoints() {
    let sim = cloud().await;
    let http = client();
    let url = |p: &str| format!("{}{p}", sim.base_url());
    let info: Value = http.get(url("/__sim/info")).send().await.expect("request").json().await.expect("json");
    assert_eq!(info["url"], sim.base_url());
    get(&sim, "/wiki/api/v2/spaces").await;
    let counters: Value = http.get(url("/__sim/counters")).send().await.expect("request").json().await.expect("json");
    assert_eq!(counters["endpoints"]["GET /wiki/api/v2/spaces"], 1);
    http.delete(url("/__sim/counters")).send().await.expect("request");
    assert_eq!(sim.counters().total, 0);
    let r = http.put(url("/__sim/faults")).body("[{\"rate_429\": 1.0}]").send().await.expect("request");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(get(&sim, "/wiki/api/v2/spaces").await.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = http.put(url("/__sim/faults")).body("[{\"rate_492\": 1.0}]").send().await.expect("request");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "unknown fault fields are refused");
}

#[tokio::test]
async fn data_center_auth_and_content() {
    let sim = Simulator::start(SimConfig::data_center().with_size(DatasetSize::TINY)).await.expect("starts");
    let info = sim.info();
    let http = client();
    let base = sim.base_url();
    let r = http
        .get(format!("{base}/rest/api/content?spaceKey=ENG&limit=2&expand=body.storage"))
        .bearer_auth(&info.pat)
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["size"], 2);
    assert!(body["_links"]["next"].as_str().is_some_and(|n| n.starts_with("/rest/api/content?")));
    assert!(body["results"][0]["body"]["storage"]["value"].is_string());
    let r = http
        .get(format!("{base}/rest/api/space"))
        .basic_auth(&info.user, Some(&info.password))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    let r = http.get(format!("{base}/rest/api/space")).bearer_auth("wrong").send().await.expect("request");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http.get(format!("{base}/wiki/api/v2/pages")).bearer_auth(&info.pat).send().await.expect("request");
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "Data Center has no Cloud paths");
}

#[tokio::test]
async fn a_million_pages_serve_from_anywhere() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::LARGE)).await.expect("starts");
    let space = sim.dataset().space(0);
    let body: Value =
        get(&sim, &format!("/wiki/api/v2/spaces/{}/pages?limit=250", space.id)).await.json().await.expect("json");
    assert_eq!(body["results"].as_array().map(Vec::len), Some(250));
    let last = sim.dataset().page(sim.dataset().page_count() - 1);
    let body: Value = get(&sim, &format!("/wiki/api/v2/pages/{}", last.id)).await.json().await.expect("json");
    assert_eq!(body["title"], last.title);
}

#[tokio::test]
async fn a_pages_comment_lists_hold_its_root_comments_and_its_attachments() {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("starts");
    let data = sim.dataset();
    // A page with a reply among its footer comments.
    let (page, all) = (0..data.page_count())
        .map(|p| (p, data.footer_comments_of_page(p).map(|c| data.footer_comment(c)).collect::<Vec<_>>()))
        .find(|(_, comments)| comments.iter().any(|c| c.parent_comment_id.is_some()))
        .expect("the data set has replies");
    let page_id = data.page(page).id;
    let body: Value =
        get(&sim, &format!("/wiki/api/v2/pages/{page_id}/footer-comments?limit=250")).await.json().await.expect("json");
    let listed: Vec<&str> =
        body["results"].as_array().expect("results").iter().filter_map(|c| c["id"].as_str()).collect();
    let roots: Vec<String> = all
        .iter()
        .filter(|c| c.parent_comment_id.is_none() && c.status == "current")
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(listed, roots, "root comments only, as published");
    // The page's attachments, and only them.
    let body: Value = get(&sim, &format!("/wiki/api/v2/pages/{page_id}/attachments")).await.json().await.expect("json");
    let results = body["results"].as_array().expect("results");
    assert!(results.iter().all(|a| a["pageId"] == json!(page_id.to_string())), "{body}");
    let response = get(&sim, "/wiki/api/v2/pages/999/attachments").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

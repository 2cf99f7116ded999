//! The control endpoints under `/__sim/` (off the real API's paths): what the simulator is, its counters and
//! request log, faults, token expiry and the consent switch. Tests in other processes (and the Python
//! conformance tests) use these; in-process tests use [`crate::SimHandle`] directly.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::dataset::model::ContentKind;
use crate::faults::FaultRule;
use crate::server::sim_info;
use crate::state::SimState;
use crate::store::ContentFilter;

type Shared = State<Arc<SimState>>;

/// The control routes.
pub fn routes() -> Router<Arc<SimState>> {
    Router::new()
        .route("/__sim/info", get(info))
        .route("/__sim/counters", get(counters).delete(reset_counters))
        .route("/__sim/requests", get(requests))
        .route("/__sim/faults", get(get_faults).put(set_faults).delete(clear_faults))
        .route("/__sim/tokens/expire", post(expire_tokens))
        .route("/__sim/tokens/revoke", post(revoke_tokens))
        .route("/__sim/auto-approve", put(auto_approve))
        .route("/__sim/dataset", get(dataset))
}

async fn info(State(st): Shared) -> Response {
    Json(sim_info(&st)).into_response()
}

async fn counters(State(st): Shared) -> Response {
    Json(st.metrics.counters()).into_response()
}

async fn reset_counters(State(st): Shared) -> Response {
    st.metrics.reset();
    StatusCode::NO_CONTENT.into_response()
}

async fn requests(State(st): Shared) -> Response {
    Json(st.metrics.log()).into_response()
}

async fn get_faults(State(st): Shared) -> Response {
    Json(st.faults.get()).into_response()
}

async fn set_faults(State(st): Shared, body: Bytes) -> Response {
    match serde_json::from_slice::<Vec<FaultRule>>(&body) {
        Ok(rules) => {
            st.faults.set(rules);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => {
            (StatusCode::BAD_REQUEST, Json(json!({"message": format!("expected a JSON array of fault rules: {e}")})))
                .into_response()
        }
    }
}

async fn clear_faults(State(st): Shared) -> Response {
    st.faults.set(Vec::new());
    StatusCode::NO_CONTENT.into_response()
}

async fn expire_tokens(State(st): Shared) -> Response {
    st.tokens.expire_all_access_tokens();
    StatusCode::NO_CONTENT.into_response()
}

async fn revoke_tokens(State(st): Shared) -> Response {
    st.tokens.revoke_all_refresh_tokens();
    StatusCode::NO_CONTENT.into_response()
}

async fn auto_approve(State(st): Shared, body: Bytes) -> Response {
    match serde_json::from_slice::<Value>(&body).ok().and_then(|v| v.get("enabled").and_then(Value::as_bool)) {
        Some(enabled) => {
            st.auto_approve.store(enabled, Ordering::Relaxed);
            StatusCode::NO_CONTENT.into_response()
        }
        None => {
            (StatusCode::BAD_REQUEST, Json(json!({"message": "expected {\"enabled\": true|false}"}))).into_response()
        }
    }
}

/// A summary of the data set, for tests that compare what a client read with what exists. Counts go through the
/// store, so writes are reflected: `pages_listed` is what a v2 page list returns by default (current and archived),
/// `pages_current` what CQL and Data Center return.
async fn dataset(State(st): Shared) -> Response {
    let data = &st.store.data;
    let store = &st.store;
    let spaces: Vec<Value> = (0..data.space_count())
        .map(|s| {
            let space = data.space(s);
            let in_space = |kind, statuses: &[&str]| {
                let filter = ContentFilter {
                    spaces: Some(vec![s]),
                    statuses: statuses.iter().map(|x| x.to_string()).collect(),
                    ..ContentFilter::default()
                };
                store.scan_content(kind, &filter, None, usize::MAX).len()
            };
            json!({
                "id": space.id.to_string(),
                "key": space.key,
                "name": space.name,
                "type": space.space_type,
                "status": space.status,
                "pages_listed": in_space(ContentKind::Page, &["current", "archived"]),
                "pages_current": in_space(ContentKind::Page, &["current"]),
                "blogposts": in_space(ContentKind::BlogPost, &["current"]),
            })
        })
        .collect();
    let users: Vec<Value> = (0..data.user_count())
        .map(|u| {
            let user = data.user(u);
            json!({"accountId": user.account_id, "username": user.username, "displayName": user.display_name, "email": user.email, "active": user.active})
        })
        .collect();
    let groups: Vec<Value> = (0..data.group_count())
        .map(|g| {
            let group = data.group(g);
            let members = (0..data.user_count()).filter(|u| data.is_member(g, *u)).count();
            json!({"id": group.id, "name": group.name, "members": members})
        })
        .collect();
    Json(json!({
        "seed": data.seed(),
        "size": data.size().to_string(),
        "spaces": spaces,
        "users": users,
        "groups": groups,
        "footer_comments": store.scan_comments(ContentKind::FooterComment, None, None, usize::MAX).len(),
        "inline_comments": store.scan_comments(ContentKind::InlineComment, None, None, usize::MAX).len(),
        "attachments": data.attachment_count(),
        "labels": store.labels().len(),
        "tasks": data.task_count(),
        "audit_records": data.audit_count(),
    }))
    .into_response()
}

//! The simulator's faithfulness checks, run by CI: clients and validators that nobody here wrote, used unchanged
//! against the simulator in both deployments.
//! - `sim_conformance.py`: every endpoint's responses validated against Atlassian's OpenAPI schemas, lists read at
//!   their maximum `limit` to the end, counts compared with the data set;
//! - `sim_client.py`: atlassian-python-api lists spaces and pages, searches with CQL and reads users and groups;
//! - `sim_oauth.py`: authlib completes the Cloud 3LO flow with rotation and the Data Center PKCE flow.

use std::time::Duration;

use confluence_sim::{SimConfig, SimHandle, Simulator};
use confluence_sql_tests::{python, repo_root, spec_dir};

async fn start(config: SimConfig) -> SimHandle {
    let mut config = config;
    // The OAuth script checks that a rotated-out refresh token is refused at once.
    config.oauth.refresh_reuse_interval = Duration::ZERO;
    Simulator::start(config).await.expect("the simulator starts")
}

async fn run_script(script: &str, sim: &SimHandle, extra: &[String]) {
    let python = python().to_path_buf();
    let path = repo_root().join("tests/python").join(script);
    let output = tokio::process::Command::new(python)
        .arg(&path)
        .arg(sim.base_url())
        .args(extra)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{script} ({}):\n{stdout}", sim.config().deployment.as_str());
    assert!(
        output.status.success(),
        "{script} failed against the {} simulator:\n{stdout}\n{stderr}",
        sim.config().deployment.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_responses_match_the_openapi_schemas() {
    let sim = start(SimConfig::cloud()).await;
    run_script("sim_conformance.py", &sim, &[spec_dir().display().to_string()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_center_responses_match_the_v1_schemas() {
    let sim = start(SimConfig::data_center()).await;
    run_script("sim_conformance.py", &sim, &[spec_dir().display().to_string()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atlassian_python_api_works_against_cloud() {
    let sim = start(SimConfig::cloud()).await;
    run_script("sim_client.py", &sim, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atlassian_python_api_works_against_data_center() {
    let sim = start(SimConfig::data_center()).await;
    run_script("sim_client.py", &sim, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authlib_completes_the_cloud_3lo_flow() {
    let sim = start(SimConfig::cloud()).await;
    run_script("sim_oauth.py", &sim, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authlib_completes_the_data_center_pkce_flow() {
    let sim = start(SimConfig::data_center()).await;
    run_script("sim_oauth.py", &sim, &[]).await;
}

//! The ADBC driver as Python loads it: `adbc_driver_manager` opens the shared library this workspace builds and
//! `tests/python/adbc_driver.py` connects to the simulator, queries, binds parameters, reads metadata, fetches into
//! pyarrow and pandas, and gets an ADBC error for a wrong token.

use std::path::PathBuf;

use confluence_sim::{DatasetSize, SimConfig, Simulator};
use confluence_sql_tests::{python, repo_root};

/// The driver's shared library, built beside this test (`target/<profile>/deps`).
fn driver_library() -> PathBuf {
    let name = format!("{}confluence_adbc{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("the deps directory");
    [deps.join(&name), deps.join("..").join(&name)]
        .into_iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} was not built next to {}: build confluence-adbc", deps.display()))
}

/// Runs `script` (from the repository root) with the driver's library and a simulated site's connection string;
/// returns its standard output, failing with both outputs when it fails.
async fn run_with_driver(script: &str) -> String {
    let sim = Simulator::start(SimConfig::cloud().with_size(DatasetSize::SMALL)).await.expect("the simulator starts");
    let output = tokio::process::Command::new(python())
        .arg(repo_root().join(script))
        .arg(driver_library())
        .arg(&sim.info().connection_string)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_loads_the_driver_and_queries_the_simulator() {
    let stdout = run_with_driver("tests/python/adbc_driver.py").await;
    assert!(stdout.contains("ok a wrong token is an AdbcError"), "{stdout}");
    assert!(stdout.contains("ok execute_update returns the rows written"), "{stdout}");
}

/// The Python example in the ADBC crate runs as documented.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pandas_example_prints_pages_per_space() {
    let stdout = run_with_driver("crates/confluence-adbc/examples/adbc_pandas.py").await;
    assert!(stdout.contains("ENG") && stdout.contains("pages in"), "{stdout}");
}

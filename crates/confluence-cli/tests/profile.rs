//! `--profile NAME` reads the connection string from `<config dir>/confluence-sql/profiles/NAME.conn`.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use confluence_sim::{SimConfig, Simulator};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_holds_the_connection_string() {
    let sim = Simulator::start(SimConfig::cloud()).await.unwrap();
    let config = std::env::temp_dir().join(format!("cli-profile-{}", std::process::id()));
    let profiles = config.join("confluence-sql").join("profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    // One property per line, with a comment.
    let text = format!("# the simulator\n{}\n", sim.info().connection_string.replace(';', ";\n"));
    std::fs::write(profiles.join("sim.conn"), text).unwrap();
    let run = |args: Vec<String>| {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_confluence-sql"))
                .args(args)
                .env_remove("CONFLUENCE_SQL_CONNECTION")
                .env_remove("CONFLUENCE_SQL_PROFILE")
                .env("XDG_CONFIG_HOME", &config)
                .output()
                .unwrap()
        })
    };
    let out = run(vec![
        "--profile".into(),
        "sim".into(),
        "--format".into(),
        "csv".into(),
        "-c".into(),
        "SELECT count(*) AS n FROM spaces WHERE key = 'ENG'".into(),
    ])
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "n\n1\n");

    let out = run(vec!["-P".into(), "nope".into(), "-c".into(), "SELECT 1".into()]).await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no profile 'nope'"));
    let _ = std::fs::remove_dir_all(config);
}

//! Helpers shared by the end-to-end tests under `tests/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root (where `connstr-spec.md` and `README.md` live).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Reads a file relative to the repository root.
pub fn read_repo_file(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Atlassian's OpenAPI descriptions, vendored in `tests/spec` (see its README for where they come from).
pub fn spec_dir() -> PathBuf {
    let dir = repo_root().join("tests/spec");
    assert!(
        dir.join("confluence-cloud-v2.openapi.json").exists(),
        "Atlassian's OpenAPI files are expected in {}",
        dir.display()
    );
    dir
}

/// The Python interpreter with the packages of `tests/python/requirements.txt`: `CONFLUENCE_SQL_PYTHON`, or the
/// repository's `.venv`, created and filled on first use (from PyPI) so that `cargo test` works on a fresh clone.
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        if let Ok(path) = std::env::var("CONFLUENCE_SQL_PYTHON") {
            return PathBuf::from(path);
        }
        let venv = repo_root().join(".venv");
        let python = venv.join("bin/python");
        let requirements = repo_root().join("tests/python/requirements.txt");
        let ready = venv.join(".requirements-installed");
        let wanted = std::fs::read_to_string(&requirements).unwrap_or_default();
        if std::fs::read_to_string(&ready).ok().as_deref() != Some(wanted.as_str()) {
            if !python.exists() {
                let status = Command::new("python3").args(["-m", "venv"]).arg(&venv).status();
                assert!(
                    status.is_ok_and(|s| s.success()),
                    "cannot create {} with `python3 -m venv`: install Python 3 (and its venv module)",
                    venv.display()
                );
            }
            let status = Command::new(&python).args(["-m", "pip", "install", "-q", "-r"]).arg(&requirements).status();
            assert!(status.is_ok_and(|s| s.success()), "pip could not install {}", requirements.display());
            std::fs::write(&ready, wanted).unwrap_or_else(|e| panic!("cannot write {}: {e}", ready.display()));
        }
        python
    })
}

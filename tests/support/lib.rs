//! Helpers shared by the end-to-end tests under `tests/`.

use std::path::PathBuf;

/// The repository root (where `connstr-spec.md` and `README.md` live).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Reads a file relative to the repository root.
pub fn read_repo_file(relative: &str) -> String {
    let path = repo_root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

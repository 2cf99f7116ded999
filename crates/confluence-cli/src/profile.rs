//! Connection profiles: `--profile NAME` (or `CONFLUENCE_SQL_PROFILE`) reads the connection string saved in
//! `<config dir>/confluence-sql/profiles/NAME.conn` (`~/.config/...` on Linux), so it stays out of shell history
//! and scripts. The file holds one connection string; lines starting with `#` are comments, and the other lines
//! are joined with `;`, so each property can sit on its own line.

use std::path::PathBuf;

use anyhow::{bail, Context};

/// The file of profile `name`.
pub fn path(name: &str) -> anyhow::Result<PathBuf> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        bail!("invalid profile name '{name}': use letters, digits, '_', '-' and '.'");
    }
    let dir = dirs::config_dir().context("no configuration directory was found (HOME is not set)")?;
    Ok(dir.join("confluence-sql").join("profiles").join(format!("{name}.conn")))
}

/// The connection string of profile `name`.
pub fn load(name: &str) -> anyhow::Result<String> {
    let path = path(name)?;
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "no profile '{name}': create {} holding its connection string (one property per line is fine)",
            path.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot read profile {}", path.display())),
    };
    warn_if_readable_by_others(&path);
    let joined = parse(&text);
    if joined.is_empty() {
        bail!("profile {} holds no connection string", path.display());
    }
    Ok(joined)
}

/// The connection string in a profile file's text.
pub fn parse(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.trim_end_matches(';'))
        .collect::<Vec<_>>()
        .join(";")
}

fn warn_if_readable_by_others(path: &std::path::Path) {
    if atlassian_oauth::store::readable_by_others(path) {
        eprintln!("warning: {} can be read by other users and may hold secrets; run chmod 600 on it", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_one_property_per_line() {
        let text = "# ENG wiki\nUrl=https://acme.atlassian.net;\n  User=me@acme.com\n\nAPIToken='a;b'\n";
        assert_eq!(parse(text), "Url=https://acme.atlassian.net;User=me@acme.com;APIToken='a;b'");
        assert!(path("../etc/passwd").is_err());
    }
}

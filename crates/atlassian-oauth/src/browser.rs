//! Showing the authorization URL to the user: the system browser ([`SystemBrowser`]: `xdg-open`, `open` or
//! `start`), or only printing it ([`PrintUrl`], for SSH sessions and servers). Tests plug in their own
//! [`Browser`] that follows the URL itself.

use std::fmt;
use std::process::{Command, Stdio};

use url::Url;

/// Sends the user to an authorization URL.
pub trait Browser: Send + Sync + fmt::Debug {
    /// Opens (or shows) `url`. An error means the user must be told to open it by hand.
    fn open(&self, url: &Url) -> Result<(), String>;
}

/// Opens the URL with the platform's opener, and prints it too (in case the browser opens on another screen). Without
/// a graphical session it returns an error, and the caller prints the URL for the user to open.
#[derive(Debug, Default)]
pub struct SystemBrowser;

impl Browser for SystemBrowser {
    fn open(&self, url: &Url) -> Result<(), String> {
        if !has_display() {
            return Err("no graphical session was found".to_owned());
        }
        eprintln!("Opening the authorization page in your browser. If it does not open, visit:\n  {url}");
        let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
            ("open", vec![url.as_str()])
        } else if cfg!(windows) {
            ("cmd", vec!["/C", "start", "", url.as_str()])
        } else {
            ("xdg-open", vec![url.as_str()])
        };
        match Command::new(program).args(&args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn()
        {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("cannot run {program}: {e}")),
        }
    }
}

/// Only prints the URL (headless machines, or when the user prefers to open it elsewhere).
#[derive(Debug, Default)]
pub struct PrintUrl;

impl Browser for PrintUrl {
    fn open(&self, url: &Url) -> Result<(), String> {
        eprintln!("Open this URL in a browser on this machine, accept, and the browser will return here:\n  {url}");
        Ok(())
    }
}

/// Whether a browser could be shown: always on macOS and Windows; on other systems, when `DISPLAY` or
/// `WAYLAND_DISPLAY` is set.
fn has_display() -> bool {
    if cfg!(any(target_os = "macos", windows)) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

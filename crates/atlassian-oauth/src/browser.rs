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
        let (program, args) = launcher(Platform::current(), url)?;
        eprintln!("Opening the authorization page in your browser. If it does not open, visit:\n  {url}");
        match Command::new(&program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(_) => Ok(()),
            Err(e) => Err(format!("cannot run {program}: {e}")),
        }
    }
}

/// The operating systems whose opener differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Platform {
    MacOs,
    Windows,
    Other,
}

impl Platform {
    fn current() -> Platform {
        if cfg!(target_os = "macos") {
            Platform::MacOs
        } else if cfg!(windows) {
            Platform::Windows
        } else {
            Platform::Other
        }
    }
}

/// The program that opens `url` and its arguments, the URL always one argument of its own and never seen by a
/// shell (`cmd /C start` would split it at `&` and run what follows). Only `http` and `https` URLs are opened.
fn launcher(platform: Platform, url: &Url) -> Result<(String, Vec<String>), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("only http and https URLs are opened in a browser, not {}:", url.scheme()));
    }
    let url = url.as_str().to_owned();
    Ok(match platform {
        Platform::MacOs => ("open".to_owned(), vec![url]),
        // By its full path: a bare name is looked up in the program's own directory first.
        Platform::Windows => (windows_rundll32(), vec!["url.dll,FileProtocolHandler".to_owned(), url]),
        Platform::Other => ("xdg-open".to_owned(), vec![url]),
    })
}

/// `%SystemRoot%\\System32\\rundll32.exe`.
fn windows_rundll32() -> String {
    let root = std::env::var("SystemRoot").unwrap_or_else(|_| "C:\\Windows".to_owned());
    format!("{root}\\System32\\rundll32.exe")
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL is one argument for a program that is not a shell: `&` in a configured URL once split a
    /// `cmd /C start` command line and could run what followed.
    #[test]
    fn the_url_is_one_argument_and_no_shell_sees_it() {
        let url = Url::parse("https://auth.example/authorize?a=1&b=2&calc.exe&x=%26").unwrap_or_else(|e| panic!("{e}"));
        for platform in [Platform::MacOs, Platform::Windows, Platform::Other] {
            let (program, args) = launcher(platform, &url).unwrap_or_else(|e| panic!("{e}"));
            assert!(!["cmd", "sh", "bash", "powershell"].contains(&program.as_str()), "{program}");
            assert_eq!(args.last().map(String::as_str), Some(url.as_str()));
        }
        let (program, args) = launcher(Platform::Windows, &url).unwrap_or_else(|e| panic!("{e}"));
        assert!(program.ends_with("\\System32\\rundll32.exe"), "a full path: {program}");
        assert_eq!(args.len(), 2, "rundll32 url.dll,FileProtocolHandler <url>");
        let file = Url::parse("file:///etc/passwd").unwrap_or_else(|e| panic!("{e}"));
        assert!(launcher(Platform::Other, &file).is_err());
    }
}

//! `confluence-sql login` and `logout`: run the OAuth desktop flow now and save the tokens in
//! `OAuthSettingsLocation`, or delete them. Afterwards, connections with `InitiateOAuth=GETANDREFRESH` or
//! `REFRESH` use the saved tokens without a browser.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use atlassian_oauth::{OAuthSession, PrintUrl};
use connstr::{ConnectionOptions, OAuthSettingsLocation};

/// Opens the OAuth session of `connection`, or explains why it has none.
fn session(connection: &str, no_browser: bool) -> anyhow::Result<Result<OAuthSession, String>> {
    let options = match ConnectionOptions::parse(connection) {
        Ok(options) => options,
        Err(e) => return Ok(Err(format!("invalid connection string: {e}"))),
    };
    if !options.auth_scheme.is_oauth() {
        return Ok(Err(format!(
            "login is for OAuth connections, and this one uses AuthScheme={}: it needs no login",
            options.auth_scheme.as_str()
        )));
    }
    crate::logging::init(options.log_level);
    let session = match OAuthSession::from_options(&options) {
        Ok(session) => session,
        Err(e) => return Ok(Err(e.to_string())),
    };
    Ok(Ok(if no_browser { session.with_browser(Arc::new(PrintUrl)) } else { session }))
}

/// `login`: the desktop flow, whatever is stored.
pub fn login(connection: &str, no_browser: bool) -> anyhow::Result<ExitCode> {
    let session = match session(connection, no_browser)? {
        Ok(session) => session,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    if session.config().settings_location == OAuthSettingsLocation::Memory {
        eprintln!(
            "warning: OAuthSettingsLocation is memory://, so the tokens are lost when this command exits; set it to a \
             file to keep them"
        );
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    match runtime.block_on(session.login()) {
        Ok(tokens) => {
            eprintln!("Authorized for {}.", session.config().site_url);
            if let Some(cloud_id) = &tokens.cloud_id {
                eprintln!("  cloud id: {cloud_id}");
            }
            eprintln!("  scopes:   {}", tokens.scopes.join(" "));
            eprintln!("  saved to: {}", session.config().settings_location);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {}", crate::output::escape_message(&e.to_string()));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `logout`: deletes the stored tokens.
pub fn logout(connection: &str) -> anyhow::Result<ExitCode> {
    let session = match session(connection, true)? {
        Ok(session) => session,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(2));
        }
    };
    let location = session.config().settings_location.to_string();
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    match runtime.block_on(session.logout()) {
        Ok(true) => eprintln!("Removed the OAuth tokens saved in {location}."),
        Ok(false) => eprintln!("No OAuth tokens were saved in {location}."),
        Err(e) => {
            eprintln!("error: {}", crate::output::escape_message(&e.to_string()));
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

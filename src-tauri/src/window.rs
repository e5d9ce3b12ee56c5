//! The main window: created only once the data folder is this process's, it shows nothing but
//! Parley's own pages, and comes forward when a second launch hands over to it.

use tauri::{AppHandle, Manager, Runtime, Url, WebviewWindowBuilder};

/// The label of the one window (`tauri.conf.json`, `capabilities/default.json`).
pub const MAIN: &str = "main";

/// Builds the main window from its configuration (`"create": false` there, so Tauri does not
/// build it before `setup` has opened the data folder: a refused second process shows nothing).
///
/// Every navigation is checked against [`is_app_url`]: a link the UI failed to intercept, a
/// script's `location = ...`, or a redirect can never load a remote page into the window, where
/// it would have the app's IPC. Links are opened in the system browser by the opener instead.
///
/// `webview_dir`, when given, is where the webview keeps its storage ([`crate::data_dir::webview_dir`]).
pub fn create_main<R: Runtime>(
    app: &AppHandle<R>,
    webview_dir: Option<std::path::PathBuf>,
) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == MAIN)
        .cloned()
        .ok_or(tauri::Error::WindowNotFound)?;
    // The Vite dev server serves the UI in `tauri dev` only.
    let dev_url = tauri::is_dev()
        .then(|| app.config().build.dev_url.clone())
        .flatten();
    let mut builder = WebviewWindowBuilder::from_config(app, &config)?;
    if let Some(dir) = webview_dir {
        builder = builder.data_directory(dir);
    }
    builder
        .on_navigation(move |url| {
            let allowed = is_app_url(url, dev_url.as_ref());
            if !allowed {
                tracing::warn!(%url, "refused to load a page that is not Parley's into the window");
            }
            allowed
        })
        .build()?;
    Ok(())
}

/// Whether `url` is one of the app's own pages: the custom protocol Tauri serves the built UI
/// from (`tauri://localhost` on Linux and macOS, `http(s)://tauri.localhost` on Windows), or,
/// in a dev build, the dev server's origin. Anything else, `file:`, `data:` and `about:`
/// included, is refused.
pub fn is_app_url(url: &Url, dev_url: Option<&Url>) -> bool {
    let own = match url.scheme() {
        "tauri" => url.host_str() == Some("localhost") && url.port().is_none(),
        "http" | "https" => url.host_str() == Some("tauri.localhost") && url.port().is_none(),
        _ => false,
    };
    // Same origin: scheme, host and port. User info cannot smuggle a host past this (it is
    // not part of the host `Url` parses).
    own || dev_url.is_some_and(|dev| dev.origin() == url.origin())
}

/// The single-instance plugin's callback: a second launch on this data folder brings this
/// window forward instead of opening another.
pub fn bring_forward<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    for (step, result) in [
        ("unminimize", window.unminimize()),
        ("show", window.show()),
        ("focus", window.set_focus()),
    ] {
        if let Err(error) = result {
            tracing::warn!(%error, step, "could not bring the window forward");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn the_apps_own_pages_are_allowed() {
        for own in [
            "tauri://localhost",
            "tauri://localhost/",
            "tauri://localhost/index.html#settings",
            "http://tauri.localhost/",
            "https://tauri.localhost/assets/app.js",
        ] {
            assert!(is_app_url(&url(own), None), "{own}");
        }
    }

    #[test]
    fn every_other_page_is_refused() {
        for other in [
            "https://example.com/",
            "http://localhost:1420/",
            "tauri://localhost.example.com/",
            "tauri://evil/",
            "tauri://localhost:8080/",
            "http://tauri.localhost:8080/",
            "http://tauri.localhost.example.com/",
            "http://tauri.localhost@example.com/",
            "https://example.com/?u=tauri://localhost",
            "file:///etc/passwd",
            "data:text/html,<script>alert(1)</script>",
            "about:blank",
            "javascript:alert(1)",
            "mailto:a@example.com",
        ] {
            assert!(!is_app_url(&url(other), None), "{other} must be refused");
        }
    }

    #[test]
    fn the_dev_server_is_allowed_only_when_given() {
        let dev = url("http://localhost:1420");
        assert!(is_app_url(
            &url("http://localhost:1420/src/main.ts"),
            Some(&dev)
        ));
        assert!(!is_app_url(&url("http://localhost:1421/"), Some(&dev)));
        assert!(!is_app_url(&url("https://localhost:1420/"), Some(&dev)));
        assert!(!is_app_url(&url("http://localhost:1420/"), None));
    }
}

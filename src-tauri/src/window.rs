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
/// `upgrading`: the history is still opening (an upgrade that takes long, see
/// [`crate::startup`]); the page shows its progress and builds the app once it is open.
pub fn create_main<R: Runtime>(
    app: &AppHandle<R>,
    webview_dir: Option<std::path::PathBuf>,
    upgrading: bool,
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
    if upgrading {
        // Read by ui/src/main.ts before it builds anything.
        builder = builder.initialization_script("window.__PARLEY_UPGRADING__ = true;");
    }
    #[cfg(target_os = "linux")]
    if let Some(family) = ui_font::css_family_from_gtk() {
        // Read by ui/src/main.ts before the first layout. A JSON string is a JavaScript one.
        let literal = serde_json::to_string(&family).map_err(tauri::Error::Json)?;
        builder = builder.initialization_script(format!("window.__PARLEY_UI_FONT__ = {literal};"));
    }
    let window = builder
        .on_navigation(move |url| {
            let allowed = is_app_url(url, dev_url.as_ref());
            if !allowed {
                tracing::warn!(%url, "refused to load a page that is not Parley's into the window");
            }
            allowed
        })
        .build()?;
    #[cfg(target_os = "linux")]
    compositing::apply(&window);
    #[cfg(not(target_os = "linux"))]
    let _ = window;
    Ok(())
}

/// WebKitGTK composites every frame with OpenGL. Without a GPU (a virtual machine, a remote
/// desktop, Xvfb) that GL is Mesa's llvmpipe, which rasterises the whole window in software on
/// the CPU: measured here, a reply streaming at 2,500 tokens/s got a frame every 45 ms instead of
/// every 20 ms, with two llvmpipe threads taking 60% of the web process's time. Where no GPU
/// render node exists, the webview therefore draws without compositing: only what changed is
/// painted, on the CPU it would have used anyway.
///
/// `PARLEY_WEBVIEW_COMPOSITING=on|off` overrides the detection, as does WebKit's own
/// `WEBKIT_DISABLE_COMPOSITING_MODE`.
#[cfg(target_os = "linux")]
mod compositing {
    use std::path::Path;

    /// Whether a GPU render node (`/dev/dri/renderD*`) is there for WebKit's GL to use.
    fn has_render_node(dri: &Path) -> bool {
        std::fs::read_dir(dri).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|entry| entry.file_name().to_string_lossy().starts_with("renderD"))
        })
    }

    /// Whether the webview should composite: the override if given, else whether a GPU is there.
    pub(super) fn wanted(override_value: Option<&str>, webkit_disabled: bool, dri: &Path) -> bool {
        match override_value.map(str::trim) {
            Some("on") => true,
            Some("off") => false,
            _ => !webkit_disabled && has_render_node(dri),
        }
    }

    pub(super) fn apply<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) {
        let compositing = wanted(
            std::env::var("PARLEY_WEBVIEW_COMPOSITING").ok().as_deref(),
            std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_some(),
            Path::new("/dev/dri"),
        );
        tracing::info!(compositing, "webview compositing");
        if compositing {
            return;
        }
        let result = window.with_webview(|webview| {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = WebViewExt::settings(&webview.inner()) {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
        if let Err(error) = result {
            tracing::warn!(%error, "could not set the webview's compositing policy");
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn composites_only_where_a_gpu_render_node_is_or_when_told() {
            let dir = tempfile::tempdir().unwrap();
            let none = dir.path().join("missing");
            assert!(!wanted(None, false, &none), "no /dev/dri: software GL");
            let dri = dir.path().join("dri");
            std::fs::create_dir(&dri).unwrap();
            std::fs::write(dri.join("card0"), "").unwrap();
            assert!(!wanted(None, false, &dri), "a card without a render node");
            std::fs::write(dri.join("renderD128"), "").unwrap();
            assert!(wanted(None, false, &dri), "a GPU render node");
            assert!(!wanted(None, true, &dri), "WebKit's own switch wins");
            assert!(!wanted(Some("off"), false, &dri));
            assert!(wanted(Some(" on "), false, &none));
            assert!(!wanted(Some("auto"), false, &none), "anything else: detect");
        }
    }
}

/// The desktop's UI font, named for the page. The page's text is in `system-ui` (the desktop's
/// UI font) by default, but WebKitGTK resolves that generic family slowly: the page's first
/// layout took 46-67 ms with it against 23-38 ms with a family named, "Sans" included
/// (WebKitGTK's MiniBrowser, the UI tests' backend, 1,000 conversations; in a perf profile of
/// the app's launch, fontconfig's pattern substitution took ~100 ms of the web process before
/// the first rows). So on Linux the page is told the family GTK uses for its own text
/// (`gtk-font-name`, e.g. "Cantarell 11").
#[cfg(target_os = "linux")]
mod ui_font {
    /// `--font-sans` for GTK's UI font, or None when GTK has none or it cannot be named safely.
    pub(super) fn css_family_from_gtk() -> Option<String> {
        use gtk::prelude::GtkSettingsExt;
        let font = gtk::Settings::default()?.gtk_font_name()?;
        css_family(&gtk::pango::FontDescription::from_string(&font).family()?)
    }

    /// A CSS `font-family` value for Pango's comma-separated family list, each family quoted, the
    /// generic `sans-serif` last. None for a family a CSS string cannot hold as it is (quotes,
    /// backslashes, control characters): the page then keeps `system-ui`.
    pub(super) fn css_family(families: &str) -> Option<String> {
        let mut names = Vec::new();
        for family in families.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            if family
                .chars()
                .any(|c| c == '"' || c == '\\' || c.is_control())
            {
                return None;
            }
            names.push(format!("\"{family}\""));
        }
        if names.is_empty() {
            return None;
        }
        names.push("sans-serif".to_owned());
        Some(names.join(", "))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn names_each_family_quoted_then_the_generic() {
            assert_eq!(
                css_family("Cantarell").as_deref(),
                Some("\"Cantarell\", sans-serif")
            );
            assert_eq!(
                css_family("Noto Sans UI, 文泉驿微米黑,").as_deref(),
                Some("\"Noto Sans UI\", \"文泉驿微米黑\", sans-serif")
            );
        }

        #[test]
        fn refuses_what_a_css_string_cannot_hold() {
            for odd in ["", " , ", "A\"B", "A\\B", "A\nB", "A\u{7}B"] {
                assert_eq!(css_family(odd), None, "{odd:?}");
            }
        }

        #[test]
        fn takes_the_family_from_gtks_font_setting() {
            // Pango's "[FAMILY-LIST] [STYLE-OPTIONS] [SIZE]", as GTK stores `gtk-font-name`.
            for (setting, family) in [
                ("Cantarell 11", "Cantarell"),
                ("DejaVu Sans Bold Italic 10", "DejaVu Sans"),
                ("Noto Sans,Cantarell 9", "Noto Sans,Cantarell"),
            ] {
                let parsed = gtk::pango::FontDescription::from_string(setting).family();
                assert_eq!(parsed.as_deref(), Some(family), "{setting}");
            }
        }
    }
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

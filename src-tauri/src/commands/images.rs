//! Attaching images: the native file dialog, the OS clipboard, and preparing files or bytes. The
//! preparing itself (decode, orient, strip, resize, encode, store) is `parley_core::images`.
//!
//! `prepare_image_file` reads only files the user handed over: paths the open dialog returned
//! or the OS dropped on the window ([`GrantedPaths`]). A drop is recorded by
//! [`remember_dropped_paths`], which runs in the same main-thread callback in which Tauri emits
//! the drop to the webview, so the paths are granted before the webview can ask for them.

use std::path::PathBuf;

use parley_core::images::GrantedPaths;
use parley_core::{CoreError, ImageDraft, ImageVariant, Parley};
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, DragDropEvent, Manager, Runtime, State, Window, WindowEvent};

use super::{CommandResult, dialogs};

/// The extensions the open dialog shows: what the `image` crate decodes, plus HEIC/SVG so that
/// picking one gives a clear refusal instead of a file the user cannot find in the dialog.
const PICKABLE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff", "ico", "tga", "pnm", "qoi", "heic",
    "heif", "svg", "PNG", "JPG", "JPEG", "GIF", "WEBP",
];

/// Shows the native open dialog (several files, image types) and returns the chosen paths; an
/// empty list when the user cancels.
#[tauri::command]
pub async fn pick_image_files(granted: State<'_, GrantedPaths>) -> CommandResult<Vec<String>> {
    let filter = dialogs::Filter {
        name: "Images",
        extensions: PICKABLE_EXTENSIONS,
    };
    let files = dialogs::pick_files("Attach images", filter).await;
    granted.grant(files.iter().cloned());
    Ok(files
        .into_iter()
        .map(|path| path.to_string_lossy().into_owned())
        .collect())
}

/// Prepares one image file (dropped or picked) for sending; any other path is refused.
#[tauri::command]
pub async fn prepare_image_file(
    parley: State<'_, Parley>,
    granted: State<'_, GrantedPaths>,
    path: String,
) -> CommandResult<ImageDraft> {
    let path = PathBuf::from(path);
    granted.check(&path)?;
    Ok(parley.prepare_image_file(&path).await?)
}

/// Grants the paths of files the OS drops on a window (`Builder::on_window_event`).
pub fn remember_dropped_paths<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) = event
        && let Some(granted) = window.try_state::<GrantedPaths>()
    {
        granted.grant(paths.iter().cloned());
    }
}

/// Prepares an image the webview received as a file (a paste in an engine that gives one). The
/// bytes arrive as the raw request body, not as JSON; the `x-parley-name` header holds the
/// URI-encoded file name.
#[tauri::command]
pub async fn prepare_image_bytes(
    parley: State<'_, Parley>,
    request: Request<'_>,
) -> CommandResult<ImageDraft> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(
            CoreError::InvalidInput("expected the image bytes as the request body".into()).into(),
        );
    };
    let name = pasted_name(&request);
    // Refused before the body is copied.
    parley_core::images::check_pasted_len(&name, bytes.len())?;
    Ok(parley.prepare_image_bytes(bytes.clone(), name).await?)
}

/// The URI-decoded `x-parley-name` header, or "pasted image".
fn pasted_name(request: &Request<'_>) -> String {
    request
        .headers()
        .get("x-parley-name")
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "pasted image".to_owned())
}

/// Prepares the image on the OS clipboard, if there is one (`null` otherwise). WebKitGTK's paste
/// event carries no image file, so the UI asks for it here.
#[tauri::command]
pub async fn paste_clipboard_image<R: Runtime>(
    app: AppHandle<R>,
    parley: State<'_, Parley>,
) -> CommandResult<Option<ImageDraft>> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    app.run_on_main_thread(move || {
        let _ = sender.send(clipboard::image_bytes());
    })
    .map_err(internal)?;
    match receiver.await.map_err(internal)? {
        Clipboard::Image(bytes) => Ok(Some(
            parley
                .prepare_image_bytes(bytes, "pasted image".to_owned())
                .await?,
        )),
        Clipboard::TooLarge(len) => {
            parley_core::images::check_pasted_len("pasted image", len)?;
            Ok(None)
        }
        Clipboard::Empty => Ok(None),
    }
}

/// A stored image or its thumbnail as a `data:` URL.
#[tauri::command]
pub async fn read_image(
    parley: State<'_, Parley>,
    sha256: String,
    variant: ImageVariant,
) -> CommandResult<String> {
    Ok(parley.read_image(&sha256, variant).await?)
}

fn internal(error: impl std::fmt::Display) -> parley_core::ErrorPayload {
    CoreError::Internal(error.to_string()).into()
}

/// What the clipboard holds.
enum Clipboard {
    /// Image bytes (PNG on Linux), within the in-memory cap.
    Image(Vec<u8>),
    /// Image data of this many bytes: over the cap, so not copied.
    TooLarge(usize),
    Empty,
}

/// True when `len` bytes of image data may be copied (the in-memory cap).
fn within_cap(len: usize) -> bool {
    parley_core::images::check_pasted_len("", len).is_ok()
}

#[cfg(target_os = "linux")]
mod clipboard {
    use gtk::gdk;

    use super::{Clipboard, within_cap};

    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

    /// The clipboard's image as PNG bytes. Runs on the GTK main thread. The size is checked
    /// against the in-memory cap before anything is copied out of GTK's buffers.
    pub fn image_bytes() -> Clipboard {
        let clipboard = gtk::Clipboard::get(&gdk::SELECTION_CLIPBOARD);
        // The PNG target as is, when offered: no decode and re-encode on the main thread.
        // Some owners answer every target with whatever they hold, hence the signature check.
        if let Some(data) = clipboard.wait_for_contents(&gdk::Atom::intern("image/png")) {
            let len = usize::try_from(data.length()).unwrap_or(0);
            if !within_cap(len) {
                return Clipboard::TooLarge(len);
            }
            let bytes = data.data();
            if bytes.starts_with(PNG_SIGNATURE) {
                return Clipboard::Image(bytes);
            }
        }
        // Any other image type GTK can read (JPEG, BMP, ...), converted to PNG; its decoded
        // size bounds the PNG that gets copied.
        let Some(pixbuf) = clipboard.wait_for_image() else {
            return Clipboard::Empty;
        };
        let decoded = pixbuf.byte_length();
        if !within_cap(decoded) {
            return Clipboard::TooLarge(decoded);
        }
        pixbuf
            .save_to_bufferv("png", &[])
            .map_or(Clipboard::Empty, Clipboard::Image)
    }
}

#[cfg(not(target_os = "linux"))]
mod clipboard {
    use super::Clipboard;

    /// WKWebView and WebView2 put pasted images in the paste event itself.
    pub fn image_bytes() -> Clipboard {
        Clipboard::Empty
    }
}

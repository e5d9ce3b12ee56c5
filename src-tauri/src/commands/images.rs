//! Attaching images: the native file dialog, the OS clipboard, and preparing files or bytes. The
//! preparing itself (decode, orient, strip, resize, encode, store) is `parley_core::images`.

use std::path::PathBuf;

use parley_core::{CoreError, ImageDraft, ImageVariant, Parley};
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, Runtime, State};

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
pub async fn pick_image_files() -> CommandResult<Vec<String>> {
    let filter = dialogs::Filter {
        name: "Images",
        extensions: PICKABLE_EXTENSIONS,
    };
    let files = dialogs::pick_files("Attach images", filter).await;
    Ok(files
        .into_iter()
        .map(|path| path.to_string_lossy().into_owned())
        .collect())
}

/// Prepares one image file (dropped or picked) for sending.
#[tauri::command]
pub async fn prepare_image_file(
    parley: State<'_, Parley>,
    path: String,
) -> CommandResult<ImageDraft> {
    Ok(parley.prepare_image_file(&PathBuf::from(path)).await?)
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
    let name = request
        .headers()
        .get("x-parley-name")
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "pasted image".to_owned());
    Ok(parley.prepare_image_bytes(bytes.clone(), name).await?)
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
        Some(bytes) => Ok(Some(
            parley
                .prepare_image_bytes(bytes, "pasted image".to_owned())
                .await?,
        )),
        None => Ok(None),
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

#[cfg(target_os = "linux")]
mod clipboard {
    use gtk::gdk;

    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

    /// The clipboard's image as PNG bytes. Runs on the GTK main thread.
    pub fn image_bytes() -> Option<Vec<u8>> {
        let clipboard = gtk::Clipboard::get(&gdk::SELECTION_CLIPBOARD);
        // The PNG target as is, when offered: no decode and re-encode on the main thread.
        // Some owners answer every target with whatever they hold, hence the signature check.
        if let Some(data) = clipboard.wait_for_contents(&gdk::Atom::intern("image/png")) {
            let bytes = data.data();
            if bytes.starts_with(PNG_SIGNATURE) {
                return Some(bytes);
            }
        }
        // Any other image type GTK can read (JPEG, BMP, ...), converted to PNG.
        let pixbuf = clipboard.wait_for_image()?;
        pixbuf.save_to_bufferv("png", &[]).ok()
    }
}

#[cfg(not(target_os = "linux"))]
mod clipboard {
    /// WKWebView and WebView2 put pasted images in the paste event itself.
    pub fn image_bytes() -> Option<Vec<u8>> {
        None
    }
}

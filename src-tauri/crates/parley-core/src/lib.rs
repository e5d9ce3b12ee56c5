//! Parley's core: everything the app does, without Tauri.
//!
//! `src-tauri` adapts [`Parley`]'s methods to commands one to one; this crate owns the logic and
//! is tested without a webview (see `tests/` for the tests against the mock Claude server).

pub mod app;
pub mod bindings;
pub mod capabilities;
pub mod chat;
mod continuation;
pub mod data_folder;
pub mod error;
pub mod events;
pub mod export;
pub mod gallery;
pub mod history;
pub mod images;
pub mod keys;
pub mod models;
pub mod params;
pub mod presets;
pub mod pricing;
pub mod proxy;
pub mod render_cache;
pub mod request;
pub mod settings;
pub mod spend;
mod stream;
#[cfg(test)]
mod test_support;
pub mod titles;
pub mod tokens;
pub mod tool_calls;
mod tool_loop;
pub mod tools;
pub mod upgrade;
pub mod view;

pub use app::{ConnectionReport, Environment, Parley, SettingsView};
pub use chat::{SendRequest, SendStarted};
pub use error::{CoreError, CoreResult, ErrorKind, ErrorPayload};
#[cfg(any(test, feature = "test-support"))]
pub use events::CollectingSink;
pub use events::{ChatEvent, ChatEventSink};
pub use export::{
    ExportFormat, ExportReport, ExportTarget, ImportReport, NoProgress, ProgressSink,
    TransferProgress,
};
pub use gallery::{GalleryCursor, GalleryImage, GalleryPage};
pub use images::{ComposerImage, ImageDraft, ImagePlacement, ImageVariant};
pub use keys::{KeyOrigin, KeyProvider, KeyStatus, KeyView};
pub use settings::Settings;
pub use stream::StreamTuning;
pub use view::{
    BranchPage, ConversationMeta, ConversationSummary, ConversationView, Folder, HistoryIndex,
    MessageView, SearchHit, TitleSourceView,
};

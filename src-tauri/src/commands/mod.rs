//! Tauri commands, one module per domain. Each is a thin adapter: state and arguments in, one
//! core call, `CoreError` mapped to the `{kind, message}` payload the UI branches on.

pub mod chat;
pub mod conversations;
pub mod dialogs;
pub mod export;
pub mod gallery;
pub mod history;
pub mod images;
pub mod keys;
pub mod presets;
pub mod settings;
pub mod tools;

/// What every command returns to the webview.
pub type CommandResult<T> = Result<T, parley_core::ErrorPayload>;

//! TypeScript types for the UI, generated from the Rust types that cross the IPC boundary.
//!
//! `ui/src/lib/bindings.ts` is committed; the test below fails when it drifts from Rust. After
//! changing a boundary type, regenerate it with
//! `PARLEY_UPDATE_BINDINGS=1 cargo test -p parley-core bindings`.

/// The generated file, relative to the workspace root.
pub const BINDINGS_PATH: &str = "ui/src/lib/bindings.ts";

/// Every declaration of the boundary, in a stable order.
pub fn typescript() -> String {
    use ts_rs::TS;

    use crate::app::{BaseUrlPreset, ConnectionReport, Provider, SettingsView};
    use crate::capabilities::EndpointCapabilities;
    use crate::chat::{SendRequest, SendStarted};
    use crate::error::{ErrorKind, ErrorPayload};
    use crate::events::ChatEvent;
    use crate::export::{ExportFormat, ExportReport, ImportReport, TransferProgress};
    use crate::gallery::{GalleryCursor, GalleryImage, GalleryPage};
    use crate::images::{ComposerImage, ImageDraft, ImagePlacement, ImageVariant};
    use crate::keys::{KeyOrigin, KeyProvider, KeyStatus, KeyView};
    use crate::models::{ModelInfo, ModelSource};
    use crate::params::{HandTool, ToolChoiceSetting};
    use crate::params::{ParamField, ParamIssue, RequestParams, ThinkingSupport};
    use crate::presets::{Preset, PresetDraft};
    use crate::pricing::ModelPrice;
    use crate::settings::Settings;
    use crate::spend::{ModelSpend, SpendView, UsageTotals};
    use crate::tokens::{TokenCount, TokenCountRequest, TokenSource};
    use crate::tool_calls::{CallOutcome, CallState, Decision, ToolCallView, ToolSource};
    use crate::tools::{
        McpImportReport, McpServerDraft, McpServerState, McpServerView, McpToolView, SecretEntry,
        ToolPermission, TransportDraft, TransportView,
    };
    use crate::upgrade::{StartupStatus, UpgradeStep};
    use crate::view::{
        BranchPage, ConversationMeta, ConversationSummary, ConversationView, Folder, HistoryIndex,
        MessageView, RoleView, SearchHit, StatusView, TitleSourceView, UsageView,
    };

    let declarations = [
        ErrorKind::decl(),
        ErrorPayload::decl(),
        parley_claude::ContentBlock::decl(),
        parley_claude::ImageSource::decl(),
        RoleView::decl(),
        StatusView::decl(),
        UsageView::decl(),
        ToolChoiceSetting::decl(),
        HandTool::decl(),
        RequestParams::decl(),
        CallState::decl(),
        CallOutcome::decl(),
        ToolSource::decl(),
        ToolCallView::decl(),
        Decision::decl(),
        SecretEntry::decl(),
        TransportDraft::decl(),
        McpServerDraft::decl(),
        TransportView::decl(),
        McpServerState::decl(),
        McpToolView::decl(),
        McpServerView::decl(),
        ToolPermission::decl(),
        McpImportReport::decl(),
        ThinkingSupport::decl(),
        ParamField::decl(),
        ParamIssue::decl(),
        MessageView::decl(),
        ConversationMeta::decl(),
        TitleSourceView::decl(),
        ConversationSummary::decl(),
        ConversationView::decl(),
        BranchPage::decl(),
        Folder::decl(),
        HistoryIndex::decl(),
        SearchHit::decl(),
        GalleryImage::decl(),
        GalleryCursor::decl(),
        GalleryPage::decl(),
        ModelPrice::decl(),
        UsageTotals::decl(),
        ModelSpend::decl(),
        SpendView::decl(),
        ModelSource::decl(),
        ModelInfo::decl(),
        EndpointCapabilities::decl(),
        Preset::decl(),
        PresetDraft::decl(),
        TokenCountRequest::decl(),
        TokenSource::decl(),
        TokenCount::decl(),
        crate::proxy::ProxySettings::decl(),
        Settings::decl(),
        KeyStatus::decl(),
        KeyView::decl(),
        KeyOrigin::decl(),
        KeyProvider::decl(),
        Provider::decl(),
        BaseUrlPreset::decl(),
        SettingsView::decl(),
        ConnectionReport::decl(),
        ImageDraft::decl(),
        ComposerImage::decl(),
        ImagePlacement::decl(),
        ImageVariant::decl(),
        SendRequest::decl(),
        SendStarted::decl(),
        ExportFormat::decl(),
        ExportReport::decl(),
        ImportReport::decl(),
        TransferProgress::decl(),
        UpgradeStep::decl(),
        StartupStatus::decl(),
        ChatEvent::decl(),
    ];
    let mut out = String::from(
        "// Generated from the Rust types in parley-core by ts-rs. Do not edit by hand:\n\
         // run `PARLEY_UPDATE_BINDINGS=1 cargo test -p parley-core bindings`.\n\n\
         export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;\n",
    );
    for declaration in declarations {
        out.push('\n');
        out.push_str("export ");
        out.push_str(&declaration);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn bindings_ts_matches_the_rust_types() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../..")
            .join(super::BINDINGS_PATH);
        let generated = super::typescript();
        if std::env::var_os("PARLEY_UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{} is out of date with the Rust types; run \
             `PARLEY_UPDATE_BINDINGS=1 cargo test -p parley-core bindings` and commit the result",
            super::BINDINGS_PATH
        );
    }
}

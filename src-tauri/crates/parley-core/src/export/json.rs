//! The JSON export: its document types and the streaming writer.
//!
//! ```text
//! {"format":"parley.export","version":2,"exportedAt":<ms>,"app":"Parley <version>",
//! "conversations":[
//! {<every column>,"params":{..},"messages":[{<every column>,"content":[<blocks as stored>],
//!   "usage":{..},"prefill":..,"attachments":[..]}, ..]},
//! ..
//! ],
//! "folders":[{"id":..,"name":..,"createdAt":..,"updatedAt":..}],
//! "presets":[
//! {"id":..,"name":..,"model":..,"systemPrompt":..,"params":{..},"isDefault":..,"createdAt":..,
//!   "updatedAt":..},
//! ..
//! ],
//! "images":{
//! "<sha256>":{"mediaType":"image/png","data":"<base64>"},
//! ..
//! }}
//! ```
//!
//! `format` and `version` come first so a reader can refuse a foreign or newer file before
//! reading anything else. Content blocks and parameters are embedded as the JSON text stored
//! in the database (`RawValue`), byte for byte, so a round trip changes nothing. One
//! conversation, preset or image per line keeps error positions ("line N") meaningful.
//!
//! Version 2 added each message's `prefill` and the `presets`; a version 1 file has neither,
//! and both read as absent (no prefill, no presets).

use parley_claude::sanitize_error_text;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use parley_store::{
    Attachment, ConversationBundle, ConversationRecord, MessageStatus, Role, StoredMessage,
    StoredPreset, StoredUsage, TitleSource,
};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::io::AsyncWriteExt;

use super::{
    EXPORT_FORMAT, EXPORT_VERSION, ExportReport, ProgressSink, TransferProgress, create_private,
    file_error, now_ms, temporary_beside,
};
use crate::app::Parley;
use crate::error::{CoreError, CoreResult};
use crate::images::IMAGES_FOLDER;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FolderEntry {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A preset, every column of it (version 2 on).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PresetEntry {
    pub id: String,
    pub name: String,
    pub model: String,
    pub system_prompt: Option<String>,
    /// The request parameters: a JSON object, as stored.
    pub params: Box<RawValue>,
    /// Whether it was the default where it was exported; the import decides whether it is
    /// here (see `parley_store::Import::add_preset`).
    pub is_default: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PresetEntry {
    /// The entry of a stored preset. Fails only if the database holds parameters that are not
    /// JSON (a damaged row), naming it.
    pub fn from_stored(preset: StoredPreset) -> CoreResult<Self> {
        let params = raw_json(preset.params_json, || {
            format!("the parameters of preset {}", preset.id)
        })?;
        Ok(Self {
            id: preset.id,
            name: preset.name,
            model: preset.model,
            system_prompt: preset.system_prompt,
            params,
            is_default: preset.is_default,
            created_at: preset.created_at,
            updated_at: preset.updated_at,
        })
    }

    /// The row to insert. `Err` holds what is wrong, for the import's error message.
    pub fn into_stored(self) -> Result<StoredPreset, String> {
        let id = self.id;
        if id.trim().is_empty() {
            return Err("a preset has an empty id".into());
        }
        if self.name.trim().is_empty() {
            return Err(format!("preset {id} has an empty name"));
        }
        if self.model.trim().is_empty() {
            return Err(format!("preset {id} has no model"));
        }
        if !is_json_kind(&self.params, '{') {
            return Err(format!(
                "the parameters of preset {id} are not a JSON object"
            ));
        }
        Ok(StoredPreset {
            id,
            name: self.name,
            model: self.model,
            system_prompt: self.system_prompt,
            params_json: raw_text(self.params),
            is_default: self.is_default,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConversationEntry {
    pub id: String,
    pub title: String,
    pub title_source: TitleSource,
    pub model: String,
    pub system_prompt: Option<String>,
    /// The request parameters: a JSON object, as stored.
    pub params: Box<RawValue>,
    pub active_root_id: Option<String>,
    pub pinned: bool,
    pub folder_id: Option<String>,
    pub deleted_at: Option<i64>,
    pub title_input_tokens: Option<i64>,
    pub title_output_tokens: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Every message of every branch, parents before children.
    #[serde(deserialize_with = "bounded_messages")]
    pub messages: Vec<MessageEntry>,
}

/// The most messages one conversation may have in an import. A message costs several hundred
/// bytes of memory however short it is in the file, so the conversation's byte limit alone
/// would let 32 MB of tiny messages take gigabytes. 50,000 is 25,000 turns, beyond what any
/// context window holds on a branch.
pub const MAX_IMPORT_MESSAGES: usize = 50_000;

/// `messages`, refused as soon as there are more than [`MAX_IMPORT_MESSAGES`].
fn bounded_messages<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<MessageEntry>, D::Error> {
    struct Bounded;

    impl<'de> serde::de::Visitor<'de> for Bounded {
        type Value = Vec<MessageEntry>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a list of messages")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut messages = Vec::new();
            while let Some(message) = seq.next_element()? {
                if messages.len() == MAX_IMPORT_MESSAGES {
                    return Err(serde::de::Error::custom(format!(
                        "a conversation has more than {MAX_IMPORT_MESSAGES} messages, more than \
                         Parley imports"
                    )));
                }
                messages.push(message);
            }
            Ok(messages)
        }
    }

    deserializer.deserialize_seq(Bounded)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MessageEntry {
    pub id: String,
    pub parent_id: Option<String>,
    pub role: Role,
    /// The content blocks: a JSON array in the Messages API's wire format, as stored.
    pub content: Box<RawValue>,
    /// The plain text the search index holds.
    pub text: String,
    pub model: Option<String>,
    pub status: MessageStatus,
    pub stop_reason: Option<String>,
    pub stop_sequence: Option<String>,
    #[serde(default)]
    pub usage: UsageEntry,
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
    pub request_id: Option<String>,
    pub active_child_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The text the user started the reply with (version 2 on; absent in version 1).
    #[serde(default)]
    pub prefill: Option<String>,
    #[serde(default)]
    pub attachments: Vec<AttachmentEntry>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UsageEntry {
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cache_creation_input_tokens: Option<i64>,
    pub cache_read_input_tokens: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AttachmentEntry {
    pub id: String,
    pub position: i64,
    pub sha256: String,
    pub media_type: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub byte_len: i64,
    // No `blob_path`: where the file lies is this machine's business. Files from before
    // this was left out carry it; it is ignored, and import derives it from the hash.
    pub created_at: i64,
}

impl ConversationEntry {
    /// The entry of a stored conversation. Fails only if the database holds content or
    /// parameters that are not JSON (a damaged row), naming it.
    pub fn from_bundle(bundle: ConversationBundle) -> CoreResult<Self> {
        let ConversationBundle {
            conversation: c,
            messages,
            attachments,
        } = bundle;
        let params = raw_json(c.params_json, || {
            format!("the parameters of conversation {}", c.id)
        })?;
        let mut by_message: HashMap<String, Vec<AttachmentEntry>> = HashMap::new();
        for a in attachments {
            by_message
                .entry(a.message_id)
                .or_default()
                .push(AttachmentEntry {
                    id: a.id,
                    position: a.position,
                    sha256: a.sha256,
                    media_type: a.media_type,
                    width: a.width,
                    height: a.height,
                    byte_len: a.byte_len,
                    created_at: a.created_at,
                });
        }
        let messages = messages
            .into_iter()
            .map(|m| {
                let content = raw_json(m.content_json, || {
                    format!("the content of message {}", m.id)
                })?;
                Ok(MessageEntry {
                    attachments: by_message.remove(&m.id).unwrap_or_default(),
                    id: m.id,
                    parent_id: m.parent_id,
                    role: m.role,
                    content,
                    text: m.text,
                    model: m.model,
                    status: m.status,
                    stop_reason: m.stop_reason,
                    stop_sequence: m.stop_sequence,
                    usage: UsageEntry {
                        input_tokens: m.usage.input_tokens,
                        output_tokens: m.usage.output_tokens,
                        cache_creation_input_tokens: m.usage.cache_creation_input_tokens,
                        cache_read_input_tokens: m.usage.cache_read_input_tokens,
                    },
                    error_kind: m.error_kind,
                    // Errors stored before error text was cleaned (issue 9) may hold a key or a
                    // server's whole page: an export carries them clean and short.
                    error_message: m.error_message.map(|text| sanitize_error_text(&text, None)),
                    request_id: m.request_id,
                    active_child_id: m.active_child_id,
                    created_at: m.created_at,
                    updated_at: m.updated_at,
                    prefill: m.prefill,
                })
            })
            .collect::<CoreResult<Vec<_>>>()?;
        Ok(Self {
            id: c.id,
            title: c.title,
            title_source: c.title_source,
            model: c.model,
            system_prompt: c.system_prompt,
            params,
            active_root_id: c.active_root_id,
            pinned: c.pinned,
            folder_id: c.folder_id,
            deleted_at: c.deleted_at,
            title_input_tokens: c.title_input_tokens,
            title_output_tokens: c.title_output_tokens,
            created_at: c.created_at,
            updated_at: c.updated_at,
            messages,
        })
    }

    /// The rows to insert. `Err` holds what is wrong, for the import's error message; the
    /// store checks how the rows relate (parents, duplicate ids).
    pub fn into_bundle(self) -> Result<ConversationBundle, String> {
        let id = self.id;
        if id.trim().is_empty() {
            return Err("a conversation has an empty id".into());
        }
        if !is_json_kind(&self.params, '{') {
            return Err(format!(
                "the parameters of conversation {id} are not a JSON object"
            ));
        }
        let mut attachments = Vec::new();
        let mut messages = Vec::with_capacity(self.messages.len());
        for m in self.messages {
            if m.id.trim().is_empty() {
                return Err(format!("a message of conversation {id} has an empty id"));
            }
            if !is_json_kind(&m.content, '[') {
                return Err(format!(
                    "the content of message {} is not a list of blocks",
                    m.id
                ));
            }
            for a in m.attachments {
                if !is_sha256(&a.sha256) {
                    return Err(format!(
                        "attachment {} of message {} has no valid SHA-256",
                        a.id, m.id
                    ));
                }
                // Derived from the hash, as the image store does: a path from the file could
                // name anything on the exporting machine (or this one).
                let blob_path = Some(format!("{IMAGES_FOLDER}/{}", a.sha256));
                attachments.push(Attachment {
                    id: a.id,
                    message_id: m.id.clone(),
                    position: a.position,
                    sha256: a.sha256,
                    media_type: a.media_type,
                    width: a.width,
                    height: a.height,
                    byte_len: a.byte_len,
                    blob_path,
                    created_at: a.created_at,
                });
            }
            messages.push(StoredMessage {
                id: m.id,
                conversation_id: id.clone(),
                parent_id: m.parent_id,
                role: m.role,
                content_json: raw_text(m.content),
                text: m.text,
                model: m.model,
                status: m.status,
                stop_reason: m.stop_reason,
                stop_sequence: m.stop_sequence,
                usage: StoredUsage {
                    input_tokens: m.usage.input_tokens,
                    output_tokens: m.usage.output_tokens,
                    cache_creation_input_tokens: m.usage.cache_creation_input_tokens,
                    cache_read_input_tokens: m.usage.cache_read_input_tokens,
                },
                error_kind: m.error_kind,
                error_message: m.error_message.map(|text| sanitize_error_text(&text, None)),
                request_id: m.request_id,
                active_child_id: m.active_child_id,
                created_at: m.created_at,
                updated_at: m.updated_at,
                prefill: m.prefill,
            });
        }
        Ok(ConversationBundle {
            conversation: ConversationRecord {
                id,
                title: self.title,
                title_source: self.title_source,
                model: self.model,
                system_prompt: self.system_prompt,
                params_json: raw_text(self.params),
                active_root_id: self.active_root_id,
                pinned: self.pinned,
                folder_id: self.folder_id,
                deleted_at: self.deleted_at,
                title_input_tokens: self.title_input_tokens,
                title_output_tokens: self.title_output_tokens,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
            messages,
            attachments,
        })
    }
}

/// Stored JSON text as an embeddable raw value.
fn raw_json(text: String, what: impl FnOnce() -> String) -> CoreResult<Box<RawValue>> {
    RawValue::from_string(text).map_err(|error| {
        CoreError::Internal(format!(
            "{} in the database is not valid JSON ({error}); it cannot be exported",
            what()
        ))
    })
}

/// The text of raw JSON, without copying it (content can be megabytes).
fn raw_text(raw: Box<RawValue>) -> String {
    String::from(Box::<str>::from(raw))
}

/// Whether raw JSON is an object (`'{'`) or an array (`'['`).
fn is_json_kind(raw: &RawValue, opener: char) -> bool {
    raw.get().trim_start().starts_with(opener)
}

pub(super) fn is_sha256(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Writes the export of `ids` to `path`, with every preset when `presets` says so; see the
/// module documentation for the layout.
pub(super) async fn export(
    parley: &Parley,
    ids: &[String],
    presets: Presets,
    path: &Path,
    progress: &dyn ProgressSink,
) -> CoreResult<ExportReport> {
    let temporary = temporary_beside(path);
    let result = write_document(parley, ids, presets, &temporary, progress).await;
    let result = match result {
        Ok(report) => tokio::fs::rename(&temporary, path)
            .await
            .map(|()| report)
            .map_err(|error| file_error("write", path, &error)),
        Err(error) => Err(error),
    };
    match result {
        Ok((conversations, messages, images)) => Ok(ExportReport {
            path: path.display().to_string(),
            conversations,
            messages,
            images,
        }),
        Err(error) => {
            let _ = tokio::fs::remove_file(&temporary).await;
            Err(error)
        }
    }
}

/// Whether an export carries the presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Presets {
    /// Every preset: the export of the whole library, a backup.
    All,
    /// None: an export of chosen conversations, which may be handed to someone else. Presets
    /// belong to no conversation (as folders do), and their system prompts are the user's own.
    None,
}

/// Writes the whole document to `file`; returns the counts of conversations, messages and
/// images written.
async fn write_document(
    parley: &Parley,
    ids: &[String],
    presets: Presets,
    file: &Path,
    progress: &dyn ProgressSink,
) -> CoreResult<(u32, u32, u32)> {
    let handle = create_private(file)
        .await
        .map_err(|error| file_error("create", file, &error))?;
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, handle);
    let io = |error: std::io::Error| file_error("write", file, &error);

    let header = format!(
        "{{\"format\":\"{EXPORT_FORMAT}\",\"version\":{EXPORT_VERSION},\"exportedAt\":{},\
         \"app\":\"Parley {}\",\n\"conversations\":[\n",
        now_ms(),
        env!("CARGO_PKG_VERSION")
    );
    out.write_all(header.as_bytes()).await.map_err(io)?;

    let total = ids.len() as u64;
    let mut messages = 0u32;
    let mut hashes = BTreeSet::new();
    let mut folder_ids = HashSet::new();
    for (index, id) in ids.iter().enumerate() {
        let bundle = parley
            .store
            .conversation_bundle(id)
            .await
            .map_err(|error| match error {
                parley_store::StoreError::NotFound(_) => CoreError::Missing(format!(
                    "The conversation {id} no longer exists; nothing was exported"
                )),
                other => other.into(),
            })?;
        hashes.extend(bundle.attachments.iter().map(|a| a.sha256.clone()));
        folder_ids.extend(bundle.conversation.folder_id.clone());
        messages += bundle.messages.len() as u32;
        let entry = ConversationEntry::from_bundle(bundle)?;
        let mut line = if index == 0 {
            Vec::new()
        } else {
            b",\n".to_vec()
        };
        serde_json::to_writer(&mut line, &entry)
            .map_err(|error| CoreError::Internal(format!("could not encode {id}: {error}")))?;
        out.write_all(&line).await.map_err(io)?;
        progress.progress(TransferProgress {
            done: index as u64 + 1,
            total,
        });
    }

    let folders: Vec<FolderEntry> = parley
        .store
        .list_folders()
        .await?
        .into_iter()
        .filter(|f| folder_ids.contains(&f.id))
        .map(|f| FolderEntry {
            id: f.id,
            name: f.name,
            created_at: f.created_at,
            updated_at: f.updated_at,
        })
        .collect();
    let folders = serde_json::to_string(&folders)
        .map_err(|error| CoreError::Internal(format!("could not encode the folders: {error}")))?;
    out.write_all(format!("\n],\n\"folders\":{folders},\n\"presets\":[").as_bytes())
        .await
        .map_err(io)?;
    let presets = match presets {
        Presets::All => parley.store.list_presets().await?,
        Presets::None => Vec::new(),
    };
    for (index, preset) in presets.into_iter().enumerate() {
        let id = preset.id.clone();
        let mut line = if index == 0 {
            b"\n".to_vec()
        } else {
            b",\n".to_vec()
        };
        serde_json::to_writer(&mut line, &PresetEntry::from_stored(preset)?).map_err(|error| {
            CoreError::Internal(format!("could not encode preset {id}: {error}"))
        })?;
        out.write_all(&line).await.map_err(io)?;
    }
    out.write_all(b"\n],\n\"images\":{").await.map_err(io)?;

    let images_dir = parley.images.dir().to_owned();
    let mut images = 0u32;
    for sha256 in &hashes {
        // Hashes come from our own database, but they name files: only real ones are read.
        if !is_sha256(sha256) {
            continue;
        }
        let bytes = match tokio::fs::read(images_dir.join(sha256)).await {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                // Already missing here (the messages show it as missing); the export carries
                // the rest and the import keeps the reference, as it is here.
                tracing::warn!(%sha256, "an image file is missing; exported without it");
                continue;
            }
            Err(error) => {
                return Err(file_error(
                    "read",
                    &Path::new(IMAGES_FOLDER).join(sha256),
                    &error,
                ));
            }
        };
        let media_type = parley_images::MediaType::sniff(&bytes)
            .map_or("application/octet-stream", parley_images::MediaType::as_str);
        let separator = if images == 0 { "\n" } else { ",\n" };
        let entry = format!(
            "{separator}\"{sha256}\":{{\"mediaType\":\"{media_type}\",\"data\":\"{}\"}}",
            BASE64.encode(&bytes)
        );
        out.write_all(entry.as_bytes()).await.map_err(io)?;
        images += 1;
    }
    out.write_all(b"\n}}\n").await.map_err(io)?;
    out.flush().await.map_err(io)?;
    out.get_ref().sync_all().await.map_err(io)?;
    Ok((ids.len() as u32, messages, images))
}

//! Export and import through `Parley` on real data directories (SQLite file, image folder):
//! the JSON round trip into a fresh directory, a second import, the Markdown export, the API
//! key never appearing, and hostile files refused without writing anything.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use parley_core::params::RequestParams;
use parley_core::presets::PresetDraft;
use parley_core::pricing::ModelPrice;
use parley_core::{
    Environment, ErrorKind, ExportFormat, ExportTarget, NoProgress, Parley, ProgressSink,
    TransferProgress,
};
use parley_secrets::MemorySecretStore;
use parley_store::{
    MessageFinish, MessageStatus, NewAttachment, NewConversation, NewMessage, Role, StoredUsage,
};
use sha2::{Digest, Sha256};

/// Stored in the keychain stub and the environment of every Parley here: no export may
/// contain it.
const KEY: &str = "sk-ant-api03-EXPORT-MUST-NEVER-CONTAIN-THIS-KEY";

async fn parley_in(dir: &Path) -> Parley {
    // In the keychain for the default origin, and in the environment (Anthropic's).
    let secrets = Arc::new(
        MemorySecretStore::with_key_for(parley_core::settings::APIMART_BASE_URL, KEY).unwrap(),
    );
    let env = Environment {
        api_key: Some(KEY.into()),
        base_url: None,
    };
    Parley::open(dir, secrets, env).await.unwrap()
}

#[derive(Default)]
struct Progress(Mutex<Vec<TransferProgress>>);

impl ProgressSink for Progress {
    fn progress(&self, progress: TransferProgress) {
        self.0.lock().unwrap().push(progress);
    }
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x * 7) as u8, (y * 5) as u8, 120, 255])
    });
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgba8(image)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .unwrap();
    bytes
}

fn user(conversation_id: &str, parent_id: Option<&str>, content: &str, text: &str) -> NewMessage {
    NewMessage {
        conversation_id: conversation_id.into(),
        parent_id: parent_id.map(str::to_owned),
        role: Role::User,
        content_json: content.into(),
        text: text.into(),
        model: None,
        status: MessageStatus::Done,
    }
}

/// Inserts a reply and finishes it with `content`, usage and a request id.
async fn reply(
    parley: &Parley,
    conversation_id: &str,
    parent_id: &str,
    content: &str,
    text: &str,
) -> String {
    let store = parley.store();
    let message = store
        .insert_message(&NewMessage {
            conversation_id: conversation_id.into(),
            parent_id: Some(parent_id.into()),
            role: Role::Assistant,
            content_json: "[]".into(),
            text: String::new(),
            model: Some("claude-sonnet-4-5".into()),
            status: MessageStatus::Streaming,
        })
        .await
        .unwrap();
    store
        .finish_message(
            &message.id,
            &MessageFinish {
                status: MessageStatus::Done,
                content_json: content.into(),
                text: text.into(),
                stop_reason: Some("end_turn".into()),
                stop_sequence: None,
                usage: StoredUsage {
                    input_tokens: Some(120),
                    output_tokens: Some(45),
                    cache_creation_input_tokens: Some(0),
                    cache_read_input_tokens: Some(64),
                },
                error_kind: None,
                error_message: None,
                request_id: Some(format!("req_{text:.8}")),
            },
        )
        .await
        .unwrap();
    message.id
}

struct Rich {
    id: String,
    sha256: String,
    /// The visible reply, and the one regenerated away (not visible).
    shown_reply: String,
    hidden_reply: String,
}

/// A conversation with everything an export must carry: a user title, a folder, pinned,
/// parameters (temperature, stop sequences, tools), title cost, an image, thinking, tool use and
/// result, usage, a regenerated reply and an edited first prompt (two branches), the older
/// branch visible.
async fn rich_conversation(parley: &Parley) -> Rich {
    let store = parley.store();
    let draft = parley
        .prepare_image_bytes(png(40, 30), "photo.png".into())
        .await
        .unwrap();
    let sha = draft.sha256.clone();
    let attachment = NewAttachment {
        position: 0,
        sha256: sha.clone(),
        media_type: draft.media_type.clone(),
        width: Some(i64::from(draft.width)),
        height: Some(i64::from(draft.height)),
        byte_len: i64::from(draft.byte_len),
        blob_path: Some(format!("images/{sha}")),
    };
    let folder = store.create_folder("Travel").await.unwrap();
    let id = store
        .create_conversation(&NewConversation {
            title: "New chat".into(),
            model: "claude-sonnet-4-5".into(),
            system_prompt: Some("Be brief.\nAnswer in English.".into()),
        })
        .await
        .unwrap()
        .id;
    store
        .set_params(
            &id,
            r#"{"temperature":0.4,"stopSequences":["END"],"tools":[{"name":"weather","description":"Weather now","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]}"#,
        )
        .await
        .unwrap();
    store.rename_conversation(&id, "Lisbon trip").await.unwrap();
    store.set_pinned(&id, true).await.unwrap();
    store
        .move_to_folder(std::slice::from_ref(&id), Some(&folder.id))
        .await
        .unwrap();
    store.record_title_usage(&id, 40, 6).await.unwrap();

    let image_block =
        format!(r#"{{"type":"image","source":{{"type":"url","url":"parley-attachment:{sha}"}}}}"#);
    let question = store
        .insert_message_with_attachments(
            &user(
                &id,
                None,
                &format!(r#"[{image_block},{{"type":"text","text":"Where was this taken?"}}]"#),
                "Where was this taken?",
            ),
            std::slice::from_ref(&attachment),
        )
        .await
        .unwrap();
    let tool_call = reply(
        parley,
        &id,
        &question.id,
        r#"[{"type":"thinking","thinking":"The tiles look Portuguese.","signature":"sig-123"},{"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Lisbon"}}]"#,
        "",
    )
    .await;
    let tool_result = store
        .insert_message(&user(
            &id,
            Some(&tool_call),
            r#"[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18 °C, sunny"}]}]"#,
            "18 °C, sunny",
        ))
        .await
        .unwrap();
    let hidden_reply = reply(
        parley,
        &id,
        &tool_result.id,
        r#"[{"type":"text","text":"Lisbon, sunny right now."}]"#,
        "Lisbon, sunny right now.",
    )
    .await;
    // Regenerate: a sibling reply that becomes the visible one.
    let shown_reply = reply(
        parley,
        &id,
        &tool_result.id,
        r#"[{"type":"text","text":"Lisbon, Portugal: 18 °C and sunny."}]"#,
        "Lisbon, Portugal: 18 °C and sunny.",
    )
    .await;
    // Edit the first prompt: a second root with its own reply.
    let edited = store
        .insert_message_with_attachments(
            &user(
                &id,
                None,
                &format!(r#"[{image_block},{{"type":"text","text":"Which city?"}}]"#),
                "Which city?",
            ),
            &[attachment],
        )
        .await
        .unwrap();
    reply(
        parley,
        &id,
        &edited.id,
        r#"[{"type":"text","text":"Lisbon."}]"#,
        "Lisbon.",
    )
    .await;
    // Back to the first branch, as the user left it.
    store.select_branch(&shown_reply).await.unwrap();
    Rich {
        id,
        sha256: sha,
        shown_reply,
        hidden_reply,
    }
}

async fn plain_conversation(parley: &Parley, title: &str, text: &str) -> String {
    let store = parley.store();
    let id = store
        .create_conversation(&NewConversation {
            title: title.into(),
            model: "claude-haiku-4-5".into(),
            system_prompt: None,
        })
        .await
        .unwrap()
        .id;
    let question = store
        .insert_message(&user(
            &id,
            None,
            &format!(r#"[{{"type":"text","text":{text:?}}}]"#),
            text,
        ))
        .await
        .unwrap();
    reply(
        parley,
        &id,
        &question.id,
        r#"[{"type":"text","text":"Noted."}]"#,
        "Noted.",
    )
    .await;
    id
}

fn image_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("images"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn assert_no_key(path: &Path) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            assert_no_key(&entry.unwrap().path());
        }
        return;
    }
    let bytes = std::fs::read(path).unwrap();
    assert!(
        !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
        "{} contains the API key",
        path.display()
    );
}

/// Everything stored about the conversations, for comparing two data directories.
async fn snapshot(parley: &Parley, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        let bundle = parley.store().conversation_bundle(id).await.unwrap();
        let branch: Vec<String> = parley
            .store()
            .active_path(id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        out.push(format!("{bundle:?}\nactive: {branch:?}"));
    }
    out.push(format!(
        "{:?}",
        parley.store().list_folders().await.unwrap()
    ));
    out
}

#[tokio::test]
async fn json_round_trip_into_a_fresh_directory_keeps_everything_and_imports_once() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = parley_in(source_dir.path()).await;
    let rich = rich_conversation(&source).await;
    let plain = plain_conversation(&source, "Groceries", "milk, eggs, 中文").await;
    let trashed = plain_conversation(&source, "Old", "gone soon").await;
    source
        .trash_conversations(std::slice::from_ref(&trashed))
        .await
        .unwrap();

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("all.json");
    let progress = Arc::new(Progress::default());
    let report = source
        .export_to_path(None, ExportFormat::Json, &file, progress.clone())
        .await
        .unwrap();
    assert_eq!(report.conversations, 2, "the trash is not exported");
    assert_eq!(report.messages, 7 + 2);
    assert_eq!(report.images, 1, "the image is embedded once");
    assert_eq!(report.path, file.display().to_string());
    assert_eq!(
        progress.0.lock().unwrap().last(),
        Some(&TransferProgress { done: 2, total: 2 })
    );
    assert_no_key(out.path());
    let leftovers: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "only the export, no temporary file");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with(r#"{"format":"parley.export","version":2,"#));
    assert!(
        !text.contains("blobPath"),
        "where a file lies on the exporting machine is not exported"
    );

    let target_dir = tempfile::tempdir().unwrap();
    let target = parley_in(target_dir.path()).await;
    let progress = Arc::new(Progress::default());
    let imported = target
        .import_from_path(&file, progress.clone())
        .await
        .unwrap();
    assert_eq!(
        (
            imported.imported,
            imported.skipped,
            imported.messages,
            imported.images
        ),
        (2, 0, 9, 1)
    );
    let size = std::fs::metadata(&file).unwrap().len();
    assert_eq!(
        progress.0.lock().unwrap().last(),
        Some(&TransferProgress {
            done: size,
            total: size
        })
    );

    let ids = vec![rich.id.clone(), plain.clone()];
    assert_eq!(
        snapshot(&target, &ids).await,
        snapshot(&source, &ids).await,
        "every column of every row, the visible branch and the folders are the same"
    );
    assert!(
        target.store().get_conversation(&trashed).await.is_err(),
        "the trashed conversation was not exported"
    );
    for name in [rich.sha256.clone(), format!("{}.thumb", rich.sha256)] {
        assert_eq!(
            std::fs::read(target_dir.path().join("images").join(&name)).unwrap(),
            std::fs::read(source_dir.path().join("images").join(&name)).unwrap(),
            "{name} has the same bytes"
        );
    }
    let opened = target.open_conversation(&rich.id).await.unwrap();
    assert_eq!(
        opened.messages.last().map(|m| m.id.as_str()),
        Some(rich.shown_reply.as_str())
    );
    let hits = target.search_history("Portugal", 10).await.unwrap();
    assert_eq!(hits.len(), 1, "imported messages are searchable");
    assert!(
        target
            .read_image(&rich.sha256, parley_core::ImageVariant::Thumbnail)
            .await
            .is_ok()
    );

    // The same file again: nothing new.
    let before = snapshot(&target, &ids).await;
    let files_before = image_files(target_dir.path());
    let again = target
        .import_from_path(&file, Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(
        (again.imported, again.skipped, again.messages, again.images),
        (0, 2, 0, 0)
    );
    assert_eq!(snapshot(&target, &ids).await, before);
    assert_eq!(target.list_history().await.unwrap().conversations.len(), 2);
    assert_eq!(image_files(target_dir.path()), files_before);
}

/// `%XX` sequences of a link back to bytes.
fn percent_decode(link: &str) -> String {
    let bytes = link.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&link[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn image_links(markdown: &str) -> Vec<String> {
    markdown
        .lines()
        .filter_map(|line| line.strip_prefix("![Image]("))
        .filter_map(|rest| rest.strip_suffix(')'))
        .map(percent_decode)
        .collect()
}

#[tokio::test]
async fn markdown_shows_the_visible_branch_with_images_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let parley = parley_in(dir.path()).await;
    let rich = rich_conversation(&parley).await;

    let target = parley
        .export_target(Some(std::slice::from_ref(&rich.id)), ExportFormat::Markdown)
        .await
        .unwrap();
    assert_eq!(
        target,
        ExportTarget::File {
            suggested_name: "Lisbon trip.md".into()
        }
    );
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("Lisbon trip.md");
    let report = parley
        .export_to_path(
            Some(std::slice::from_ref(&rich.id)),
            ExportFormat::Markdown,
            &file,
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    assert_eq!(
        (report.conversations, report.messages, report.images),
        (1, 4, 1)
    );
    let markdown = std::fs::read_to_string(&file).unwrap();
    assert!(markdown.starts_with("# Lisbon trip\n"), "{markdown}");
    for expected in [
        "- Model: `claude-sonnet-4-5`",
        "- Folder: Travel",
        "- Parameters: temperature 0.4 · stop: \"END\"\n",
        // The replies' model (`claude-sonnet-4-5`) is not in the default price table.
        "- Cost: no price\n",
        "## System prompt",
        "> Be brief.\n> Answer in English.",
        "## You",
        "## Claude",
        "<details>\n<summary>Thinking</summary>\n\nThe tiles look Portuguese.",
        "**Tool call** `weather` (toolu_1)",
        "```json\n{\n  \"city\": \"Lisbon\"\n}\n```",
        "**Tool result** for toolu_1",
        "18 °C, sunny",
        "Lisbon, Portugal: 18 °C and sunny.",
        "120 tokens in, 45 out",
    ] {
        assert!(
            markdown.contains(expected),
            "missing {expected:?} in\n{markdown}"
        );
    }
    assert!(
        !markdown.contains("Lisbon, sunny right now."),
        "only the visible branch ({} is regenerated away)",
        rich.hidden_reply
    );
    assert!(
        !markdown.contains("Which city?"),
        "the edited root is hidden"
    );

    let links = image_links(&markdown);
    assert_eq!(links, ["Lisbon trip-images/image-1.png"]);
    let linked = out.path().join(&links[0]);
    assert_eq!(
        std::fs::read(&linked).unwrap(),
        std::fs::read(dir.path().join("images").join(&rich.sha256)).unwrap(),
        "the link resolves to the image's bytes"
    );
    assert_no_key(out.path());

    // Several conversations: one file each in a folder, names unique and safe.
    let first = plain_conversation(&parley, "Plan: A/B?", "one").await;
    let second = plain_conversation(&parley, "Plan: A/B?", "two").await;
    let ids = vec![first, second, rich.id.clone()];
    assert_eq!(
        parley
            .export_target(Some(&ids), ExportFormat::Markdown)
            .await
            .unwrap(),
        ExportTarget::Folder
    );
    let folder = out.path().join("several");
    let progress = Arc::new(Progress::default());
    let report = parley
        .export_to_path(
            Some(&ids),
            ExportFormat::Markdown,
            &folder,
            progress.clone(),
        )
        .await
        .unwrap();
    assert_eq!(report.conversations, 3);
    assert_eq!(progress.0.lock().unwrap().len(), 3);
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Lisbon trip-images",
            "Lisbon trip.md",
            "Plan- A-B- (2).md",
            "Plan- A-B-.md"
        ]
    );
    let one = std::fs::read_to_string(folder.join("Plan- A-B-.md")).unwrap();
    assert!(one.contains("\none\n"));
    let two = std::fs::read_to_string(folder.join("Plan- A-B- (2).md")).unwrap();
    assert!(two.contains("\ntwo\n"));
    assert_no_key(&folder);
}

/// A preset as an export file holds it, with a system prompt when `prompt` is not empty.
fn preset_entry(id: &str, name: &str, prompt: &str) -> String {
    serde_json::json!({
        "id": id,
        "name": name,
        "model": "claude-haiku-4-5-20251001",
        "systemPrompt": (!prompt.is_empty()).then_some(prompt),
        "params": {"temperature": 0.1},
        "isDefault": false,
        "createdAt": 1,
        "updatedAt": 2,
    })
    .to_string()
}

fn sha_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The exported text with the first `"data":"..."` value replaced.
fn with_image_data(export: &str, data: &str) -> String {
    let start = export.find("\"data\":\"").unwrap() + "\"data\":\"".len();
    let end = start + export[start..].find('"').unwrap();
    format!("{}{data}{}", &export[..start], &export[end..])
}

/// The export with its one conversation listed a second time under another id.
fn with_second_conversation(export: &str, id: &str, other_id: &str) -> String {
    let start = export.find("\"conversations\":[\n").unwrap() + "\"conversations\":[\n".len();
    let end = export.find("\n],\n\"folders\"").unwrap();
    let copy = export[start..end].replacen(
        &format!("\"id\":\"{id}\""),
        &format!("\"id\":\"{other_id}\""),
        1,
    );
    format!("{},\n{copy}{}", &export[..end], &export[end..])
}

#[tokio::test]
async fn hostile_or_broken_files_are_refused_with_a_reason_and_write_nothing() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = parley_in(source_dir.path()).await;
    let rich = rich_conversation(&source).await;
    let out = tempfile::tempdir().unwrap();
    let good_file = out.path().join("good.json");
    source
        .export_to_path(None, ExportFormat::Json, &good_file, Arc::new(NoProgress))
        .await
        .unwrap();
    let good = std::fs::read_to_string(&good_file).unwrap();
    let first_message = source
        .store()
        .messages_in_conversation(&rich.id)
        .await
        .unwrap()
        .remove(1);
    let parent = first_message.parent_id.unwrap();

    let target_dir = tempfile::tempdir().unwrap();
    let target = parley_in(target_dir.path()).await;
    let existing = plain_conversation(&target, "Mine", "keep me").await;
    let history_before = target.list_history().await.unwrap();
    let images_before = image_files(target_dir.path());

    let not_an_image = b"hello, I am text".to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "is empty"),
        ("text", b"hello".to_vec(), "is not a Parley export"),
        ("png", png(2, 2), "is not a Parley export"),
        (
            "other json",
            br#"{"foo":1}"#.to_vec(),
            "is not a Parley export",
        ),
        (
            "other format",
            br#"{"format":"chatgpt","version":1}"#.to_vec(),
            "is not a Parley export",
        ),
        (
            "newer",
            br#"{"format":"parley.export","version":3,"conversations":[]}"#.to_vec(),
            "newer Parley (export format version 3)",
        ),
        (
            "no version",
            br#"{"format":"parley.export","conversations":[]}"#.to_vec(),
            "no format version",
        ),
        (
            "truncated",
            good.as_bytes()[..good.len() / 2].to_vec(),
            "ends too early",
        ),
        (
            "bad json",
            good.replacen("\"title\":", "\"title\"", 1).into_bytes(),
            "bad JSON at line 3",
        ),
        (
            "missing field",
            good.replacen("\"title\":\"Lisbon trip\",", "", 1)
                .into_bytes(),
            "missing field `title` at line 3",
        ),
        (
            "image tampered",
            with_image_data(&good, &BASE64.encode(png(3, 3))).into_bytes(),
            "does not match its SHA-256",
        ),
        (
            "image not base64",
            with_image_data(&good, "!!not base64!!").into_bytes(),
            "is not valid base64",
        ),
        (
            "not an image",
            good.replacen(
                "\"images\":{",
                &format!(
                    "\"images\":{{\"{}\":{{\"mediaType\":\"image/png\",\"data\":\"{}\"}},",
                    sha_hex(&not_an_image),
                    BASE64.encode(&not_an_image)
                ),
                1,
            )
            .into_bytes(),
            "is not an image",
        ),
        (
            "image key",
            good.replacen(
                &format!("\"{}\":{{", rich.sha256),
                "\"../../etc/passwd\":{",
                1,
            )
            .into_bytes(),
            "is not a SHA-256",
        ),
        (
            // Valid JSON and valid images: refused by the store, after the image was written.
            "parent missing",
            good.replacen(
                &format!("\"parentId\":\"{parent}\""),
                "\"parentId\":\"nowhere\"",
                1,
            )
            .into_bytes(),
            "is not a valid Parley export: message",
        ),
        (
            // Each conversation is fine alone; the second reuses the first one's message ids,
            // which only the database sees, after the image was checked and staged.
            "message ids taken",
            with_second_conversation(&good, &rich.id, "copy-of-the-conversation").into_bytes(),
            "already exists in conversation",
        ),
        (
            "image too large",
            with_image_data(&good, &"A".repeat(8 << 20)).into_bytes(),
            "is larger than 7 MB",
        ),
        (
            "conversation too large",
            good.replacen(
                "\"title\":\"Lisbon trip\"",
                &format!("\"title\":\"{}\"", "x".repeat(33 << 20)),
                1,
            )
            .into_bytes(),
            "conversation 1 is larger than 32 MB",
        ),
        (
            "too many messages",
            good.replacen(
                "\"messages\":[",
                &format!(
                    "\"messages\":[{}",
                    r#"{"id":"m","role":"user","content":[],"text":"","status":"done","createdAt":0,"updatedAt":0},"#
                        .repeat(parley_core::export::MAX_IMPORT_MESSAGES + 1)
                ),
                1,
            )
            .into_bytes(),
            "a conversation has more than 50000 messages",
        ),
        (
            "too many presets",
            good.replacen(
                "\"presets\":[",
                &format!(
                    "\"presets\":[{}",
                    (0..=parley_core::export::MAX_IMPORT_PRESETS)
                        .map(|n| preset_entry(&format!("p{n}"), "Preset", ""))
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                1,
            )
            .into_bytes(),
            "it has more than 1000 presets",
        ),
        (
            "preset too large",
            good.replacen(
                "\"presets\":[",
                &format!(
                    "\"presets\":[{}",
                    preset_entry("big", "Big", &"x".repeat(65 << 10))
                ),
                1,
            )
            .into_bytes(),
            "preset 1 is larger than 64 KB",
        ),
        (
            "preset without a name",
            good.replacen(
                "\"presets\":[",
                &format!("\"presets\":[{}", preset_entry("nameless", " ", "")),
                1,
            )
            .into_bytes(),
            "preset nameless has an empty name",
        ),
        (
            "content not blocks",
            good.replacen("\"content\":[", "\"content\":{\"x\":[", 1)
                .replacen("],\"text\"", "]},\"text\"", 1)
                .into_bytes(),
            "is not a list of blocks",
        ),
    ];
    for (name, bytes, needle) in cases {
        let file = out.path().join(format!("{name}.json"));
        std::fs::write(&file, &bytes).unwrap();
        let error = target
            .import_from_path(&file, Arc::new(NoProgress))
            .await
            .unwrap_err();
        let payload = error.to_payload();
        assert_eq!(payload.kind, ErrorKind::InvalidInput, "{name}: {payload:?}");
        assert!(
            payload.message.contains(needle),
            "{name}: {:?} should say {needle:?}",
            payload.message
        );
        assert!(
            payload.message.contains(&format!("{name}.json")),
            "{name}: the message names the file: {}",
            payload.message
        );
        assert_eq!(
            target.list_history().await.unwrap(),
            history_before,
            "{name}: a refused import changes no conversation"
        );
        assert_eq!(
            image_files(target_dir.path()),
            images_before,
            "{name}: a refused import leaves no image file"
        );
        assert!(
            target.list_presets().await.unwrap().is_empty(),
            "{name}: a refused import adds no preset"
        );
    }
    assert!(target.store().get_conversation(&existing).await.is_ok());

    // After all that, the good file still imports.
    let report = target
        .import_from_path(&good_file, Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(report.imported, 1);
}

#[tokio::test]
async fn a_file_above_the_size_cap_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let parley = parley_in(&dir.path().join("data")).await;
    let file = dir.path().join("huge.json");
    // Sparse: no disk is used, and nothing of it may be read.
    std::fs::File::create(&file)
        .unwrap()
        .set_len(parley_core::export::MAX_IMPORT_FILE_BYTES + 1)
        .unwrap();
    let error = parley
        .import_from_path(&file, Arc::new(NoProgress))
        .await
        .unwrap_err();
    let payload = error.to_payload();
    assert_eq!(payload.kind, ErrorKind::InvalidInput);
    assert_eq!(
        payload.message,
        "huge.json is too large to import (8.0 GB): Parley imports files of at most 8.0 GB. \
         Export fewer conversations per file."
    );
}

#[tokio::test]
async fn a_blob_path_in_the_file_is_not_imported() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = parley_in(source_dir.path()).await;
    let rich = rich_conversation(&source).await;
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("all.json");
    source
        .export_to_path(None, ExportFormat::Json, &file, Arc::new(NoProgress))
        .await
        .unwrap();
    // A file from another machine (or an older Parley) that names a path for the image.
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "\"byteLen\":",
        "\"blobPath\":\"/home/someone/.ssh/id_ed25519\",\"byteLen\":",
    );
    std::fs::write(&file, text).unwrap();

    let target_dir = tempfile::tempdir().unwrap();
    let target = parley_in(target_dir.path()).await;
    let report = target
        .import_from_path(&file, Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!((report.imported, report.images), (1, 1));
    let bundle = target.store().conversation_bundle(&rich.id).await.unwrap();
    assert_eq!(bundle.attachments.len(), 2);
    for attachment in &bundle.attachments {
        assert_eq!(
            attachment.blob_path.as_deref(),
            Some(format!("images/{}", rich.sha256).as_str()),
            "the path is this machine's, derived from the hash"
        );
    }
}

#[tokio::test]
async fn markdown_never_replaces_files_in_an_existing_images_folder() {
    let dir = tempfile::tempdir().unwrap();
    let parley = parley_in(dir.path()).await;
    let rich = rich_conversation(&parley).await;
    let out = tempfile::tempdir().unwrap();
    let images = out.path().join("Lisbon trip-images");
    std::fs::create_dir(&images).unwrap();
    std::fs::write(images.join("image-1.png"), b"the user's own file").unwrap();

    let file = out.path().join("Lisbon trip.md");
    let report = parley
        .export_to_path(
            Some(std::slice::from_ref(&rich.id)),
            ExportFormat::Markdown,
            &file,
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    assert_eq!(report.images, 1);
    assert_eq!(
        std::fs::read(images.join("image-1.png")).unwrap(),
        b"the user's own file",
        "a file already in the images folder is left as it was"
    );
    let links = image_links(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(links, ["Lisbon trip-images/image-2.png"]);
    assert_eq!(
        std::fs::read(out.path().join(&links[0])).unwrap(),
        std::fs::read(dir.path().join("images").join(&rich.sha256)).unwrap(),
        "the image got the next free name, and the link says so"
    );
}

#[tokio::test]
async fn markdown_file_names_drop_invisible_format_characters() {
    let dir = tempfile::tempdir().unwrap();
    let parley = parley_in(dir.path()).await;
    // Shown as "invoiceexe.pdf" by anything that honours the right-to-left override.
    let first = plain_conversation(&parley, "invoice\u{202E}fdp.exe", "one").await;
    let second = plain_conversation(&parley, "zero\u{200B}width\u{FEFF}", "two").await;
    let out = tempfile::tempdir().unwrap();
    let folder = out.path().join("md");
    parley
        .export_to_path(
            Some(&[first, second]),
            ExportFormat::Markdown,
            &folder,
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["invoicefdp.exe.md", "zerowidth.md"]);
}

#[cfg(unix)]
#[tokio::test]
async fn exported_files_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let parley = parley_in(dir.path()).await;
    let rich = rich_conversation(&parley).await;
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("all.json");
    parley
        .export_to_path(None, ExportFormat::Json, &json, Arc::new(NoProgress))
        .await
        .unwrap();
    let markdown = out.path().join("Lisbon trip.md");
    parley
        .export_to_path(
            Some(std::slice::from_ref(&rich.id)),
            ExportFormat::Markdown,
            &markdown,
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    for file in [
        json,
        markdown,
        out.path().join("Lisbon trip-images").join("image-1.png"),
    ] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode,
            0o600,
            "{} holds conversations: only the user may read it",
            file.display()
        );
    }
}

#[tokio::test]
async fn error_text_stored_before_it_was_cleaned_is_exported_clean_and_short() {
    // A reply that failed before error text was cleaned (issue 9): the server echoed a key and
    // a whole page. Neither may reach an export file.
    let dir = tempfile::tempdir().unwrap();
    let parley = parley_in(dir.path()).await;
    let store = parley.store();
    let id = plain_conversation(&parley, "Old failure", "hello").await;
    let question = store
        .insert_message(&user(
            &id,
            None,
            r#"[{"type":"text","text":"again"}]"#,
            "again",
        ))
        .await
        .unwrap();
    let failed = store
        .insert_message(&NewMessage {
            conversation_id: id.clone(),
            parent_id: Some(question.id.clone()),
            role: Role::Assistant,
            content_json: "[]".into(),
            text: String::new(),
            model: Some("claude-sonnet-4-5".into()),
            status: MessageStatus::Streaming,
        })
        .await
        .unwrap();
    let leaked = "sk-ant-api03-OLD-LEAKED-SECRET-0123456789";
    store
        .finish_message(
            &failed.id,
            &MessageFinish {
                status: MessageStatus::Error,
                content_json: "[]".into(),
                text: String::new(),
                stop_reason: None,
                stop_sequence: None,
                usage: StoredUsage::default(),
                error_kind: Some("auth".into()),
                error_message: Some(format!(
                    "invalid x-api-key {leaked} {}",
                    "<html>page</html> ".repeat(1000)
                )),
                request_id: None,
            },
        )
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("all.json");
    parley
        .export_to_path(None, ExportFormat::Json, &json, Arc::new(NoProgress))
        .await
        .unwrap();
    let markdown = out.path().join("old.md");
    parley
        .export_to_path(
            Some(std::slice::from_ref(&id)),
            ExportFormat::Markdown,
            &markdown,
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    for file in [&json, &markdown] {
        let written = std::fs::read_to_string(file).unwrap();
        assert!(
            !written.contains(leaked),
            "{} holds the old key",
            file.display()
        );
        assert!(
            written.matches("<html>page</html>").count() < 200,
            "{} holds the whole page",
            file.display()
        );
    }
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let text = exported.to_string();
    assert!(text.contains("[redacted]"), "the message is kept, cleaned");
}

/// Presets as `(name, is default)`, in the order the app lists them.
async fn preset_names(parley: &Parley) -> Vec<(String, bool)> {
    parley
        .list_presets()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.name, p.is_default))
        .collect()
}

fn draft(name: &str, prompt: Option<&str>) -> PresetDraft {
    PresetDraft {
        id: None,
        name: name.into(),
        model: "claude-sonnet-4-5-20250929".into(),
        system_prompt: prompt.map(str::to_owned),
        params: RequestParams {
            temperature: Some(0.3),
            stop_sequences: vec!["END".into()],
            ..Default::default()
        },
    }
}

#[tokio::test]
async fn presets_and_prefills_round_trip_and_a_second_import_changes_nothing() {
    let source_dir = tempfile::tempdir().unwrap();
    let source = parley_in(source_dir.path()).await;
    let rich = rich_conversation(&source).await;
    source
        .store()
        .set_prefill(&rich.shown_reply, Some("Lisbon,"))
        .await
        .unwrap();
    let concise = source
        .save_preset(draft("Concise", Some("Answer in one line.")))
        .await
        .unwrap();
    source.save_preset(draft("Plain", None)).await.unwrap();
    source
        .set_default_preset(Some(concise.id.clone()))
        .await
        .unwrap();
    let exported_presets = source.list_presets().await.unwrap();

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("all.json");
    source
        .export_to_path(None, ExportFormat::Json, &file, Arc::new(NoProgress))
        .await
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with(r#"{"format":"parley.export","version":2,"#));
    assert!(
        text.contains(r#""prefill":"Lisbon,""#),
        "the prefill is exported"
    );
    assert!(
        text.contains(r#""name":"Concise""#),
        "the presets are exported"
    );

    // A fresh directory: everything as it was, the file's default the default.
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = parley_in(fresh_dir.path()).await;
    fresh
        .import_from_path(&file, Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(
        fresh.list_presets().await.unwrap(),
        exported_presets,
        "ids, times, parameters and the default arrive as they were"
    );
    let ids = vec![rich.id.clone()];
    assert_eq!(
        snapshot(&fresh, &ids).await,
        snapshot(&source, &ids).await,
        "every column of every message, the prefill included"
    );
    assert_eq!(
        fresh
            .store()
            .get_message(&rich.shown_reply)
            .await
            .unwrap()
            .prefill
            .as_deref(),
        Some("Lisbon,")
    );

    // A directory with its own default preset: the file's presets are added, the user's
    // default stays.
    let mine_dir = tempfile::tempdir().unwrap();
    let mine = parley_in(mine_dir.path()).await;
    let own = mine.save_preset(draft("Mine", None)).await.unwrap();
    mine.set_default_preset(Some(own.id.clone())).await.unwrap();
    mine.import_from_path(&file, Arc::new(NoProgress))
        .await
        .unwrap();
    let expected = vec![
        ("Mine".to_owned(), true),
        ("Concise".to_owned(), false),
        ("Plain".to_owned(), false),
    ];
    assert_eq!(
        preset_names(&mine).await,
        expected,
        "an imported preset never takes the default from the user's own"
    );

    // The same file again: nothing changes, not even a preset edited since.
    mine.save_preset(PresetDraft {
        id: Some(concise.id.clone()),
        ..draft("Concise, edited here", None)
    })
    .await
    .unwrap();
    let presets_before = mine.list_presets().await.unwrap();
    let before = snapshot(&mine, &ids).await;
    let again = mine
        .import_from_path(&file, Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!((again.imported, again.skipped), (0, 1));
    assert_eq!(
        mine.list_presets().await.unwrap(),
        presets_before,
        "import never overwrites a preset"
    );
    assert_eq!(snapshot(&mine, &ids).await, before);
}

#[tokio::test]
async fn an_export_of_chosen_conversations_carries_no_presets() {
    let dir = tempfile::tempdir().unwrap();
    let parley = parley_in(dir.path()).await;
    let id = plain_conversation(&parley, "Shared", "hello").await;
    parley
        .save_preset(draft("Private", Some("My own instructions")))
        .await
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("one.json");
    parley
        .export_to_path(
            Some(std::slice::from_ref(&id)),
            ExportFormat::Json,
            &file,
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    let exported: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(exported["version"], 2);
    assert_eq!(
        exported["presets"],
        serde_json::json!([]),
        "a conversation handed to someone does not carry the user's presets"
    );
}

/// A file written by the version 1 writer: no `prefill` on messages, no `presets`.
const VERSION_1_EXPORT: &str = r#"{"format":"parley.export","version":1,"exportedAt":1760000002000,"app":"Parley 0.1.0",
"conversations":[
{"id":"v1-conversation","title":"From version 1","titleSource":"user","model":"claude-sonnet-4-5-20250929","systemPrompt":"Be kind.","params":{"temperature":0.5},"activeRootId":"v1-question","pinned":true,"folderId":"v1-folder","deletedAt":null,"titleInputTokens":null,"titleOutputTokens":null,"createdAt":1760000000000,"updatedAt":1760000001000,"messages":[{"id":"v1-question","parentId":null,"role":"user","content":[{"type":"text","text":"Hello from an old file"}],"text":"Hello from an old file","model":null,"status":"done","stopReason":null,"stopSequence":null,"usage":{"inputTokens":null,"outputTokens":null,"cacheCreationInputTokens":null,"cacheReadInputTokens":null},"errorKind":null,"errorMessage":null,"requestId":null,"activeChildId":"v1-reply","createdAt":1760000000000,"updatedAt":1760000000000,"attachments":[]},{"id":"v1-reply","parentId":"v1-question","role":"assistant","content":[{"type":"text","text":"Hello back"}],"text":"Hello back","model":"claude-sonnet-4-5-20250929","status":"done","stopReason":"end_turn","stopSequence":null,"usage":{"inputTokens":1000,"outputTokens":100,"cacheCreationInputTokens":0,"cacheReadInputTokens":null},"errorKind":null,"errorMessage":null,"requestId":"req_v1","activeChildId":null,"createdAt":1760000001000,"updatedAt":1760000001000,"attachments":[]}]}
],
"folders":[{"id":"v1-folder","name":"Old things","createdAt":1760000000000,"updatedAt":1760000000000}],
"images":{
}}
"#;

#[tokio::test]
async fn a_version_1_file_still_imports_without_presets_or_prefills() {
    let dir = tempfile::tempdir().unwrap();
    let parley = parley_in(dir.path()).await;
    let own = parley.save_preset(draft("Mine", None)).await.unwrap();
    let file = dir.path().join("version-1.json");
    std::fs::write(&file, VERSION_1_EXPORT).unwrap();

    let report = parley
        .import_from_path(&file, Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!(
        (
            report.imported,
            report.skipped,
            report.messages,
            report.images
        ),
        (1, 0, 2, 0)
    );
    let view = parley.open_conversation("v1-conversation").await.unwrap();
    assert_eq!(view.conversation.title, "From version 1");
    assert_eq!(view.conversation.params.temperature, Some(0.5));
    let ids: Vec<&str> = view.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["v1-question", "v1-reply"]);
    let reply = parley.store().get_message("v1-reply").await.unwrap();
    assert_eq!(reply.prefill, None, "version 1 had no prefills");
    assert_eq!(reply.usage.input_tokens, Some(1000));
    assert_eq!(
        parley.list_presets().await.unwrap(),
        [own],
        "version 1 had no presets"
    );
    let totals = parley.conversation_totals("v1-conversation").await.unwrap();
    assert_eq!(
        (totals.replies, totals.micro_usd),
        (1, 4_500),
        "1,000 in and 100 out at Sonnet's $3 and $15 per million"
    );

    let again = parley
        .import_from_path(&file, Arc::new(NoProgress))
        .await
        .unwrap();
    assert_eq!((again.imported, again.skipped), (0, 1));
}

#[tokio::test]
async fn markdown_shows_the_cost_at_the_settings_prices() {
    let dir = tempfile::tempdir().unwrap();
    let parley = parley_in(dir.path()).await;
    let rich = rich_conversation(&parley).await;
    let mut settings = parley.settings().await.unwrap();
    settings.prices.push(ModelPrice {
        model: "claude-sonnet-4-5".into(),
        input: 3_000_000,
        output: 15_000_000,
        cache_write: 3_750_000,
        cache_read: 300_000,
    });
    parley.save_settings(settings).await.unwrap();

    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("Lisbon trip.md");
    parley
        .export_to_path(
            Some(std::slice::from_ref(&rich.id)),
            ExportFormat::Markdown,
            &file,
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    let markdown = std::fs::read_to_string(&file).unwrap();
    // Four replies on every branch, each 120 in, 45 out, 64 read from the cache: 480 × $3
    // + 180 × $15 + 256 × $0.30 per million = 1,440 + 2,700 + 76.8 µ$ ≈ $0.0042.
    assert!(
        markdown.contains("\n- Model: `claude-sonnet-4-5`\n- Parameters: temperature 0.4 · stop: \"END\"\n- Cost: $0.0042\n"),
        "{markdown}"
    );

    // A conversation with no reply yet has no cost line.
    let empty = parley
        .store()
        .create_conversation(&NewConversation {
            title: "Empty".into(),
            model: "claude-sonnet-4-5".into(),
            system_prompt: None,
        })
        .await
        .unwrap()
        .id;
    let file = out.path().join("Empty.md");
    parley
        .export_to_path(
            Some(std::slice::from_ref(&empty)),
            ExportFormat::Markdown,
            &file,
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
    let markdown = std::fs::read_to_string(&file).unwrap();
    assert!(!markdown.contains("- Cost:"), "{markdown}");
    assert!(!markdown.contains("- Parameters:"), "{markdown}");
}

//! The Markdown export: one readable file per conversation, its visible branch only.
//!
//! Under the title a short header says what the conversation was run with (model, the
//! parameters that are set) and what all its replies cost, on every branch, at the settings'
//! prices.
//!
//! Images are saved as real files (with the extension their bytes call for) in a
//! `<name>-images/` folder beside the `.md` and linked relatively, so the folder can be moved
//! as a whole and any Markdown viewer shows them. Tool calls and results are fenced JSON,
//! thinking is a collapsed `<details>` block.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use parley_claude::{ContentBlock, ImageSource};
use parley_store::{MessageStatus, Role, StoredMessage};
use serde_json::Value;

use tokio::io::AsyncWriteExt;

use super::{
    ExportReport, ProgressSink, TransferProgress, create_private, file_error, safe_file_stem,
    utc_date_time, write_atomically,
};
use crate::app::Parley;
use crate::error::CoreResult;
use crate::images::ATTACHMENT_URL_PREFIX;
use crate::params::RequestParams;
use crate::spend::UsageTotals;

/// Exports one conversation to the `.md` file at `path`, its images beside it.
pub(super) async fn export_file(
    parley: &Parley,
    id: &str,
    path: &Path,
) -> CoreResult<ExportReport> {
    let (messages, images) = write_conversation(parley, id, path).await?;
    Ok(ExportReport {
        path: path.display().to_string(),
        conversations: 1,
        messages,
        images,
    })
}

/// Exports each conversation to its own `.md` file in the folder `dir`, named after its title
/// and never replacing a file already there.
pub(super) async fn export_folder(
    parley: &Parley,
    ids: &[String],
    dir: &Path,
    progress: &dyn ProgressSink,
) -> CoreResult<ExportReport> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|error| file_error("create", dir, &error))?;
    let mut taken = HashSet::new();
    let (mut messages, mut images) = (0, 0);
    for (index, id) in ids.iter().enumerate() {
        let title = parley.store.get_conversation(id).await?.title;
        let path = unique_path(dir, &safe_file_stem(&title), &mut taken);
        let (m, i) = write_conversation(parley, id, &path).await?;
        messages += m;
        images += i;
        progress.progress(TransferProgress {
            done: index as u64 + 1,
            total: ids.len() as u64,
        });
    }
    Ok(ExportReport {
        path: dir.display().to_string(),
        conversations: u32::try_from(ids.len()).unwrap_or(u32::MAX),
        messages,
        images,
    })
}

/// `<dir>/<stem>.md`, or `<stem> (2).md`, ... when that name (or its image folder) is taken on
/// disk or by an earlier file of this export.
fn unique_path(dir: &Path, stem: &str, taken: &mut HashSet<String>) -> PathBuf {
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            stem.to_owned()
        } else {
            format!("{stem} ({n})")
        };
        let path = dir.join(format!("{candidate}.md"));
        let free = !taken.contains(&candidate.to_lowercase())
            && !path.exists()
            && !dir.join(images_folder_name(&candidate)).exists();
        if free {
            taken.insert(candidate.to_lowercase());
            return path;
        }
        n += 1;
    }
}

fn images_folder_name(stem: &str) -> String {
    format!("{stem}-images")
}

/// Writes the conversation's Markdown to `path` and its images beside it; returns the number
/// of messages and of image files written.
async fn write_conversation(parley: &Parley, id: &str, path: &Path) -> CoreResult<(u32, u32)> {
    let bundle = parley.store.conversation_bundle(id).await?;
    let conversation = &bundle.conversation;
    let media_types: HashMap<String, String> = bundle
        .attachments
        .iter()
        .map(|a| (a.sha256.clone(), a.media_type.clone()))
        .collect();
    let folder = match &conversation.folder_id {
        Some(folder_id) => parley
            .store
            .list_folders()
            .await?
            .into_iter()
            .find(|f| &f.id == folder_id)
            .map(|f| f.name),
        None => None,
    };
    let branch = parley.store.active_path(id).await?;
    let totals = parley.conversation_totals(id).await?;
    // Parameters that no longer parse (a newer version's) read as unset, as in the app.
    let params: RequestParams = serde_json::from_str(&conversation.params_json).unwrap_or_default();
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "conversation".into());
    let images_dir_name = images_folder_name(&stem);
    let images_dir = path.with_file_name(&images_dir_name);

    let mut doc = Document {
        text: String::new(),
        images: ImageFiles::new(images_dir_name, images_dir.clone(), media_types),
    };
    doc.line(&format!("# {}", one_line(&conversation.title)));
    doc.blank();
    doc.line(&format!("- Model: `{}`", conversation.model));
    if let Some(params) = params_text(&params) {
        doc.line(&format!("- Parameters: {params}"));
    }
    if let Some(cost) = cost_text(&totals) {
        doc.line(&format!("- Cost: {cost}"));
    }
    doc.line(&format!(
        "- Created: {}",
        utc_date_time(conversation.created_at)
    ));
    doc.line(&format!(
        "- Last activity: {}",
        utc_date_time(conversation.updated_at)
    ));
    if let Some(folder) = folder {
        doc.line(&format!("- Folder: {}", one_line(&folder)));
    }
    doc.blank();
    if let Some(prompt) = conversation
        .system_prompt
        .as_deref()
        .filter(|p| !p.trim().is_empty())
    {
        doc.line("## System prompt");
        doc.blank();
        for line in prompt.lines() {
            doc.line(format!("> {line}").trim_end());
        }
        doc.blank();
    }
    for message in &branch {
        doc.message(message);
    }

    if !doc.images.files.is_empty() {
        tokio::fs::create_dir_all(&images_dir)
            .await
            .map_err(|error| file_error("create", &images_dir, &error))?;
    }
    let mut written = 0u32;
    for (file_name, source) in &doc.images.files {
        let bytes = match source {
            ImageBytes::Stored(sha256) => {
                match tokio::fs::read(parley.images.dir().join(sha256)).await {
                    Ok(bytes) => bytes,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(error) => {
                        return Err(file_error(
                            "read",
                            &parley.images.dir().join(sha256),
                            &error,
                        ));
                    }
                }
            }
            ImageBytes::Inline(bytes) => bytes.clone(),
        };
        write_new(&images_dir.join(file_name), &bytes).await?;
        written += 1;
    }
    write_atomically(path, doc.text.as_bytes()).await?;
    Ok((u32::try_from(branch.len()).unwrap_or(u32::MAX), written))
}

/// Writes a new image file beside the Markdown. An image folder may already be there (an
/// earlier export of the same conversation, or the user's own files): its files are never
/// replaced, so a name taken since it was chosen fails instead. A half-written file this
/// created is removed.
async fn write_new(path: &Path, bytes: &[u8]) -> CoreResult<()> {
    let written = async {
        let mut file = create_private(path).await?;
        file.write_all(bytes).await?;
        file.flush().await
    }
    .await;
    match written {
        Ok(()) => Ok(()),
        Err(error) => {
            if error.kind() != std::io::ErrorKind::AlreadyExists {
                let _ = tokio::fs::remove_file(path).await;
            }
            Err(file_error("write", path, &error))
        }
    }
}

/// Where an image's bytes come from.
enum ImageBytes {
    /// The image store, by hash.
    Stored(String),
    /// A base64 block, decoded.
    Inline(Vec<u8>),
}

/// The image files of one Markdown file: `image-1.png`, `image-2.jpg`, ..., skipping names
/// already in the folder; an image used twice is written once.
struct ImageFiles {
    folder: String,
    /// The folder on disk, to leave its existing files alone.
    dir: PathBuf,
    /// The number in the last name given.
    last: usize,
    /// The media type of each stored image, from its attachment row.
    media_types: HashMap<String, String>,
    files: Vec<(String, ImageBytes)>,
    by_key: HashMap<String, String>,
}

impl ImageFiles {
    fn new(folder: String, dir: PathBuf, media_types: HashMap<String, String>) -> Self {
        Self {
            folder,
            dir,
            last: 0,
            media_types,
            files: Vec::new(),
            by_key: HashMap::new(),
        }
    }

    /// The relative link to the image, adding its file on first use.
    fn link(&mut self, key: String, extension: &str, bytes: ImageBytes) -> String {
        let file_name = match self.by_key.get(&key) {
            Some(file_name) => file_name.clone(),
            None => {
                let file_name = loop {
                    self.last += 1;
                    let candidate = format!("image-{}.{extension}", self.last);
                    if !self.dir.join(&candidate).exists() {
                        break candidate;
                    }
                };
                self.files.push((file_name.clone(), bytes));
                self.by_key.insert(key, file_name.clone());
                file_name
            }
        };
        format!("{}/{}", link_escape(&self.folder), link_escape(&file_name))
    }
}

/// A path segment as a Markdown link destination: spaces and anything outside the unreserved
/// ASCII set percent-encoded (UTF-8), which every Markdown viewer resolves.
fn link_escape(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The parameters that are set, e.g. `temperature 0.2 · max_tokens 1024 · stop: "END"`;
/// `None` when none is (the API's defaults apply). Stop sequences are quoted with escapes,
/// so one holding a line break stays on the line.
fn params_text(params: &RequestParams) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(temperature) = params.temperature {
        parts.push(format!("temperature {temperature}"));
    }
    if let Some(top_p) = params.top_p {
        parts.push(format!("top_p {top_p}"));
    }
    if let Some(top_k) = params.top_k {
        parts.push(format!("top_k {top_k}"));
    }
    if let Some(max_tokens) = params.max_tokens {
        parts.push(format!("max_tokens {max_tokens}"));
    }
    if !params.stop_sequences.is_empty() {
        let quoted: Vec<String> = params
            .stop_sequences
            .iter()
            .map(|stop| format!("{stop:?}"))
            .collect();
        parts.push(format!("stop: {}", quoted.join(", ")));
    }
    if params.thinking {
        parts.push(format!(
            "thinking budget {}",
            params.effective_thinking_budget()
        ));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// What the replies cost, e.g. `$0.0123`; "no price" when no reply's model has a price, and
/// how many replies are left out when only some have; `None` when no reply used tokens.
fn cost_text(totals: &UsageTotals) -> Option<String> {
    if totals.replies == 0 {
        return None;
    }
    if totals.unpriced_replies >= totals.replies {
        return Some("no price".into());
    }
    let dollars = dollars(totals.micro_usd);
    Some(match totals.unpriced_replies {
        0 => dollars,
        1 => format!("{dollars} (and 1 reply without a price)"),
        n => format!("{dollars} (and {n} replies without a price)"),
    })
}

/// Micro-dollars as dollars to a hundredth of a cent (`$0.0123`), rounded half up: the
/// precision at which a single short reply still shows.
fn dollars(micro_usd: u64) -> String {
    let ten_thousandths = micro_usd / 100 + u64::from(micro_usd % 100 >= 50);
    format!(
        "${}.{:04}",
        ten_thousandths / 10_000,
        ten_thousandths % 10_000
    )
}

/// A title or name on one line (headings and list items end at a line break).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Document {
    text: String,
    images: ImageFiles,
}

impl Document {
    fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    fn message(&mut self, message: &StoredMessage) {
        let heading = match message.role {
            Role::User => "## You",
            Role::Assistant => "## Claude",
        };
        self.line(heading);
        self.blank();
        if message.role == Role::Assistant {
            let mut facts = Vec::new();
            if let Some(model) = &message.model {
                facts.push(format!("`{model}`"));
            }
            if let (Some(input), Some(output)) =
                (message.usage.input_tokens, message.usage.output_tokens)
            {
                facts.push(format!("{input} tokens in, {output} out"));
            }
            if !facts.is_empty() {
                self.line(&format!("*{}*", facts.join(" · ")));
                self.blank();
            }
        }
        match serde_json::from_str::<Vec<ContentBlock>>(&message.content_json) {
            Ok(blocks) => {
                for block in &blocks {
                    self.block(block);
                }
            }
            // Not blocks (a damaged row): show the text the search index has.
            Err(_) => {
                self.line(&message.text);
                self.blank();
            }
        }
        match message.status {
            MessageStatus::Error => {
                let kind = message.error_kind.as_deref().unwrap_or("error");
                let text = message.error_message.as_deref().unwrap_or("");
                let text = parley_claude::sanitize_error_text(text, None);
                self.line(&format!("> **Error** ({kind}): {}", one_line(&text)));
                self.blank();
            }
            MessageStatus::Cancelled => {
                self.line("> *Stopped before the reply was complete.*");
                self.blank();
            }
            MessageStatus::Streaming | MessageStatus::Done => {}
        }
    }

    fn block(&mut self, block: &ContentBlock) {
        match block {
            ContentBlock::Text { text, .. } => {
                self.line(text.trim_end());
                self.blank();
            }
            ContentBlock::Image { source } => {
                let link = match source {
                    ImageSource::Url { url } => match url.strip_prefix(ATTACHMENT_URL_PREFIX) {
                        Some(sha256) if super::json::is_sha256(sha256) => {
                            let extension = self
                                .images
                                .media_types
                                .get(sha256)
                                .map_or("img", |media_type| extension_of(media_type));
                            Some(self.images.link(
                                sha256.to_owned(),
                                extension,
                                ImageBytes::Stored(sha256.to_owned()),
                            ))
                        }
                        Some(_) => None,
                        None => Some(url.replace(' ', "%20").replace(')', "%29")),
                    },
                    ImageSource::Base64 { media_type, data } => {
                        BASE64.decode(data.as_bytes()).ok().map(|bytes| {
                            let extension = extension_of(media_type);
                            let key = format!("base64:{}", &data[..data.len().min(256)]);
                            self.images.link(key, extension, ImageBytes::Inline(bytes))
                        })
                    }
                };
                match link {
                    Some(link) => self.line(&format!("![Image]({link})")),
                    None => self.line("*(an image that could not be exported)*"),
                }
                self.blank();
            }
            ContentBlock::ToolUse { id, name, input } => {
                self.line(&format!("**Tool call** `{name}` ({id})"));
                self.blank();
                self.fenced("json", &pretty(input));
            }
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => {
                let label = if *is_error == Some(true) {
                    "Tool error"
                } else {
                    "Tool result"
                };
                self.line(&format!("**{label}** for {tool_use_id}"));
                self.blank();
                match content {
                    Some(Value::String(text)) => self.fenced("", text),
                    Some(value) => self.fenced("json", &pretty(value)),
                    None => {}
                }
            }
            ContentBlock::Thinking { thinking, .. } => {
                self.line("<details>");
                self.line("<summary>Thinking</summary>");
                self.blank();
                self.line(thinking.trim_end());
                self.blank();
                self.line("</details>");
                self.blank();
            }
            ContentBlock::RedactedThinking { .. } => {
                self.line("*(redacted thinking)*");
                self.blank();
            }
            ContentBlock::Unknown(value) => {
                let kind = value
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown");
                self.line(&format!("**{kind} block**"));
                self.blank();
                self.fenced("json", &pretty(value));
            }
        }
    }

    /// A fenced code block whose fence is longer than any backtick run inside it, so the
    /// content can never close it early.
    fn fenced(&mut self, language: &str, content: &str) {
        let longest = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        self.line(&format!("{fence}{language}"));
        self.line(content.trim_end_matches('\n'));
        self.line(&fence);
        self.blank();
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// The usual file extension of an image media type.
fn extension_of(media_type: &str) -> &'static str {
    match media_type {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "img",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_parameters_that_are_set_are_written() {
        assert_eq!(params_text(&RequestParams::default()), None);
        let params = RequestParams {
            temperature: Some(0.2),
            max_tokens: Some(1024),
            stop_sequences: vec!["END".into()],
            ..Default::default()
        };
        assert_eq!(
            params_text(&params).as_deref(),
            Some("temperature 0.2 · max_tokens 1024 · stop: \"END\"")
        );
        let params = RequestParams {
            top_p: Some(0.95),
            top_k: Some(40),
            stop_sequences: vec!["\n\nHuman:".into(), "Q:".into()],
            thinking: true,
            ..Default::default()
        };
        assert_eq!(
            params_text(&params).as_deref(),
            Some("top_p 0.95 · top_k 40 · stop: \"\\n\\nHuman:\", \"Q:\" · thinking budget 2048"),
            "a line break in a stop sequence is escaped, so the header stays one line"
        );
    }

    fn totals(replies: u64, micro_usd: u64, unpriced_replies: u64) -> UsageTotals {
        UsageTotals {
            replies,
            micro_usd,
            unpriced_replies,
            ..Default::default()
        }
    }

    #[test]
    fn the_cost_line_says_dollars_no_price_or_nothing() {
        assert_eq!(cost_text(&totals(0, 0, 0)), None, "no usage, no line");
        assert_eq!(cost_text(&totals(3, 12_300, 0)).as_deref(), Some("$0.0123"));
        assert_eq!(cost_text(&totals(2, 0, 2)).as_deref(), Some("no price"));
        assert_eq!(
            cost_text(&totals(3, 12_300, 1)).as_deref(),
            Some("$0.0123 (and 1 reply without a price)")
        );
        assert_eq!(
            cost_text(&totals(5, 12_300, 2)).as_deref(),
            Some("$0.0123 (and 2 replies without a price)")
        );
    }

    #[test]
    fn dollars_round_half_up_to_a_hundredth_of_a_cent() {
        for (micro_usd, shown) in [
            (0, "$0.0000"),
            (49, "$0.0000"),
            (50, "$0.0001"),
            (12_349, "$0.0123"),
            (12_350, "$0.0124"),
            (999_950, "$1.0000"),
            (12_345_678_901, "$12345.6789"),
        ] {
            assert_eq!(dollars(micro_usd), shown, "{micro_usd} µ$");
        }
    }
}

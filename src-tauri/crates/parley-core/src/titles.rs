//! Automatic titles: after a conversation's first reply, one small non-streaming request to a
//! cheap model (`Settings::title_model`) turns the start of the first exchange into a short
//! title. Only text is sent, capped, with a small `max_tokens`; what it cost is stored with the
//! conversation; a title the user set is never replaced; failures are only logged (the title
//! stays the first words of the first message).

use std::sync::Arc;

use parley_claude::{ClaudeClient, ContentBlock};
use parley_store::{Store, TitleSource};

use crate::events::{ChatEvent, ChatEventSink};

/// The title request's `max_tokens`: a few words.
pub const TITLE_MAX_TOKENS: u32 = 24;
/// How much of the first message, and of the first reply, is sent (in characters).
pub const TITLE_EXCERPT_CHARS: usize = 500;
/// Longer titles are cut (in characters).
pub const TITLE_MAX_CHARS: usize = 80;

pub(crate) const TITLE_SYSTEM_PROMPT: &str = "You name conversations. Reply with a title of 3 to 6 words \
    for the conversation below, written in the language of the conversation. Reply with the \
    title only: no quotes, no final period, no explanation.";

pub use crate::request::title_request;

/// The model's answer as a title: its first non-empty line, without surrounding quotes,
/// whitespace or a final period, cut to [`TITLE_MAX_CHARS`]; `None` when nothing is left.
pub fn clean_title(raw: &str) -> Option<String> {
    const QUOTES: &[char] = &[
        '"', '\'', '`', '“', '”', '‘', '’', '«', '»', '「', '」', '『', '』', '*',
    ];
    let line = raw.lines().map(str::trim).find(|line| !line.is_empty())?;
    let mut title = line.split_whitespace().collect::<Vec<_>>().join(" ");
    loop {
        let trimmed = title
            .trim()
            .trim_matches(QUOTES)
            .trim_end_matches(['.', '。'])
            .trim();
        if trimmed.len() == title.len() {
            break;
        }
        title = trimmed.to_owned();
    }
    if title.chars().count() > TITLE_MAX_CHARS {
        title = title
            .chars()
            .take(TITLE_MAX_CHARS)
            .collect::<String>()
            .trim_end()
            .to_owned();
    }
    (!title.is_empty()).then_some(title)
}

/// Everything one title needs; [`TitleJob::run`] is spawned after the first reply finished.
pub(crate) struct TitleJob {
    pub store: Store,
    pub client: ClaudeClient,
    pub model: String,
    pub conversation_id: String,
    pub user_text: String,
    pub reply_text: String,
    pub sink: Arc<dyn ChatEventSink>,
}

impl TitleJob {
    pub async fn run(self) {
        if let Err(error) = self.try_run().await {
            tracing::warn!(%error, conversation = %self.conversation_id, "no automatic title");
        }
    }

    async fn try_run(&self) -> Result<(), String> {
        // A user title would win anyway: do not spend tokens on one that cannot be used.
        let conversation = self
            .store
            .get_conversation(&self.conversation_id)
            .await
            .map_err(|e| e.to_string())?;
        if conversation.title_source != TitleSource::Auto {
            return Ok(());
        }
        let request = title_request(&self.model, &self.user_text, &self.reply_text);
        let response = self
            .client
            .create_message(&request)
            .await
            .map_err(|e| e.message)?;
        let usage = &response.usage;
        self.store
            .record_title_usage(
                &self.conversation_id,
                i64::try_from(usage.input_tokens).unwrap_or(i64::MAX),
                i64::try_from(usage.output_tokens).unwrap_or(i64::MAX),
            )
            .await
            .map_err(|e| e.to_string())?;
        let text: String = response
            .content
            .iter()
            .filter_map(|block| match block {
                ContentBlock::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let title = clean_title(&text).ok_or("the model answered with an empty title")?;
        let changed = self
            .store
            .set_title(&self.conversation_id, &title, TitleSource::Auto)
            .await
            .map_err(|e| e.to_string())?;
        if changed {
            self.sink.send(ChatEvent::TitleUpdated {
                conversation_id: self.conversation_id.clone(),
                title,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use parley_claude::{MessageContent, SystemPrompt};

    use super::*;

    #[test]
    fn titles_lose_quotes_periods_and_extra_lines_and_are_capped() {
        assert_eq!(
            clean_title("  \"Rust lifetimes explained.\"  ").as_deref(),
            Some("Rust lifetimes explained")
        );
        assert_eq!(
            clean_title("\n\n«Paris trip»\nsecond line").as_deref(),
            Some("Paris trip")
        );
        assert_eq!(
            clean_title("「東京の天気」。").as_deref(),
            Some("東京の天気")
        );
        assert_eq!(
            clean_title("**Bold   title**").as_deref(),
            Some("Bold title")
        );
        assert_eq!(clean_title(" \"\" "), None);
        assert_eq!(clean_title(""), None);
        let long = clean_title(&"word ".repeat(40)).unwrap();
        assert!(long.chars().count() <= TITLE_MAX_CHARS, "{long}");
        assert!(!long.ends_with(' '));
    }

    #[test]
    fn the_request_is_small_text_only_and_uses_the_title_model() {
        let user = "x".repeat(2_000);
        let reply = "z".repeat(2_000);
        let request = title_request("cheap-model", &user, &reply);
        assert_eq!(request.model, "cheap-model");
        assert_eq!(request.max_tokens, TITLE_MAX_TOKENS);
        assert_eq!(request.messages.len(), 1);
        let MessageContent::Text(prompt) = &request.messages[0].content else {
            panic!("plain text only");
        };
        assert_eq!(prompt.matches('x').count(), TITLE_EXCERPT_CHARS);
        assert_eq!(prompt.matches('z').count(), TITLE_EXCERPT_CHARS);
        assert!(prompt.chars().count() < 2 * TITLE_EXCERPT_CHARS + 40);
        assert!(matches!(request.system, Some(SystemPrompt::Text(_))));
    }
}

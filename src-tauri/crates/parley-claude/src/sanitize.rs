//! Cleaning text that came from a server before it becomes an error message.
//!
//! An error message is stored with the reply in SQLite, shown in the UI and written into exports,
//! so whatever a server puts into it travels far. A gateway may echo the request's headers (and so
//! the key) into its error text, or answer with a megabyte of HTML. Every error built from a
//! server's words therefore goes through [`sanitize_error_text`]: keys are redacted first, so a
//! cut can never leave half a key behind, and then the text is cut to [`MAX_ERROR_TEXT`] bytes.

use crate::key::ApiKey;

/// The longest error message kept, in bytes (the cut marker included).
pub const MAX_ERROR_TEXT: usize = 2048;

/// What replaces a key, or anything that looks like one.
pub const REDACTED: &str = "[redacted]";

/// Appended where a message was cut.
const CUT_MARKER: &str = "… [cut]";

/// The shortest key searched for literally. Shorter strings would match ordinary words, and no
/// real key is that short (Anthropic's are about 100 characters).
const MIN_KEY_LEN: usize = 8;

/// How many characters must follow `sk-` for it to count as a key: enough to leave words such
/// as `sk-` in prose alone, few enough to catch a short gateway key such as `sk-test`.
const MIN_SK_TAIL: usize = 4;

/// Returns `text` fit to store and show: `key` (when given) and every `sk-…` token replaced by
/// [`REDACTED`], control characters other than line breaks and tabs removed, and the result cut
/// on a character boundary to at most [`MAX_ERROR_TEXT`] bytes, ending in `… [cut]` when cut.
///
/// Idempotent: cleaning a cleaned text changes nothing.
pub fn sanitize_error_text(text: &str, key: Option<&ApiKey>) -> String {
    let mut clean: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    if let Some(key) = key.map(ApiKey::expose).filter(|k| k.len() >= MIN_KEY_LEN)
        && clean.contains(key)
    {
        clean = clean.replace(key, REDACTED);
    }
    let mut clean = redact_sk_tokens(&clean);
    if clean.len() > MAX_ERROR_TEXT {
        let mut cut = MAX_ERROR_TEXT - CUT_MARKER.len();
        while !clean.is_char_boundary(cut) {
            cut -= 1;
        }
        clean.truncate(cut);
        clean.push_str(CUT_MARKER);
    }
    clean
}

/// Characters a key token is made of.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Replaces each `sk-` that starts a word and is followed by at least [`MIN_SK_TAIL`] key
/// characters, together with those characters.
fn redact_sk_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut previous: Option<char> = None;
    while let Some(at) = rest.find("sk-") {
        let before = rest[..at].chars().next_back().or(previous);
        let in_word = before.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_');
        let tail = &rest[at + 3..];
        let tail_len = tail.find(|c: char| !is_key_char(c)).unwrap_or(tail.len());
        if in_word || tail_len < MIN_SK_TAIL {
            // Not a key: keep `sk-` and look again after it.
            out.push_str(&rest[..at + 3]);
            previous = Some('-');
            rest = tail;
            continue;
        }
        out.push_str(&rest[..at]);
        out.push_str(REDACTED);
        previous = Some(']');
        rest = &tail[tail_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_in_use_is_redacted_even_without_an_sk_prefix() {
        let key = ApiKey::new("gw-0123456789abcdef");
        let text = "invalid token gw-0123456789abcdef (header x-api-key: gw-0123456789abcdef)";
        assert_eq!(
            sanitize_error_text(text, Some(&key)),
            "invalid token [redacted] (header x-api-key: [redacted])"
        );
    }

    #[test]
    fn sk_tokens_are_redacted_wherever_they_stand() {
        let cases = [
            ("bad key sk-ant-api03-AbC_d-9", "bad key [redacted]"),
            ("sk-test", "[redacted]"),
            ("key=\"sk-proj-xyz1\".", "key=\"[redacted]\"."),
            ("two: sk-aaaa1111,sk-bbbb2222", "two: [redacted],[redacted]"),
        ];
        for (text, clean) in cases {
            assert_eq!(sanitize_error_text(text, None), clean, "{text}");
        }
    }

    #[test]
    fn words_that_only_contain_sk_dash_are_kept() {
        for text in [
            "a task-list and a risk-free disk-image",
            "sk- alone, sk-ab too short",
            "déjà vu: tâsk-okay",
        ] {
            assert_eq!(sanitize_error_text(text, None), text);
        }
    }

    #[test]
    fn short_keys_are_not_searched_literally() {
        let key = ApiKey::new("abc");
        assert_eq!(
            sanitize_error_text("abc is fine", Some(&key)),
            "abc is fine",
            "a three-letter key would redact ordinary words"
        );
    }

    #[test]
    fn control_characters_are_removed_but_line_breaks_kept() {
        assert_eq!(
            sanitize_error_text("a\u{1b}[31mred\u{0}\r\nnext\tcol", None),
            "a[31mred\nnext\tcol"
        );
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary_to_the_limit() {
        let text = "é".repeat(MAX_ERROR_TEXT);
        let clean = sanitize_error_text(&text, None);
        assert!(clean.len() <= MAX_ERROR_TEXT, "{}", clean.len());
        assert!(clean.len() > MAX_ERROR_TEXT - CUT_MARKER.len() - 2);
        assert!(clean.ends_with(CUT_MARKER));
        assert_eq!(
            sanitize_error_text(&clean, None),
            clean,
            "cleaning twice changes nothing"
        );

        let exact = "x".repeat(MAX_ERROR_TEXT);
        assert_eq!(
            sanitize_error_text(&exact, None),
            exact,
            "at the limit: kept"
        );
        let over = "x".repeat(MAX_ERROR_TEXT + 1);
        let cut = sanitize_error_text(&over, None);
        assert_eq!(cut.len(), MAX_ERROR_TEXT, "one byte over: cut");
        assert!(cut.ends_with(CUT_MARKER));
    }

    #[test]
    fn a_key_across_the_cut_is_redacted_before_cutting() {
        // Not `sk-` shaped, so only the literal search can catch it: cut first, its head would stay.
        let key = ApiKey::new(format!("gw-{}", "k".repeat(90)));
        let text = format!("{}{}", "x".repeat(MAX_ERROR_TEXT - 40), key.expose());
        let clean = sanitize_error_text(&text, Some(&key));
        assert!(
            !clean.contains("kkkk"),
            "no piece of the key survives: {clean}"
        );
        assert!(clean.ends_with(REDACTED), "{}", &clean[clean.len() - 20..]);
    }
}

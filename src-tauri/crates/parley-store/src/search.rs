//! Full-text search over message text.
//!
//! Queries of three or more characters go through the `messages_fts` trigram
//! index, which matches any substring (so Chinese and Japanese, written
//! without spaces, are searchable). The trigram index cannot answer one- or
//! two-character queries, so those scan `messages.text`.
//!
//! Matching ignores case in every script (`text_find`): "école" finds
//! "ÉCOLE". The user's query is always literal text: the index is asked for
//! its trigrams, each quoted, never FTS5 query syntax, and `LIKE` patterns
//! have `%`, `_` and `\` escaped, so `"`, `*`, `AND`, `NEAR(` and the like are
//! searched for as written instead of causing syntax errors.

use serde::{Deserialize, Serialize};

use crate::error::json_rows;
use crate::text_find::{Needle, needs_unicode_case_folding};
use crate::{Store, StoreError};

/// Marks the start of the matched text in [`SearchHit::snippet`]
/// (U+0002, START OF TEXT). A control character, so it never collides with
/// real chat text or with markup; the UI splits on it and escapes the rest.
pub const SNIPPET_START: &str = "\u{2}";

/// Marks the end of the matched text in [`SearchHit::snippet`]
/// (U+0003, END OF TEXT).
pub const SNIPPET_END: &str = "\u{3}";

/// Shown where a snippet cuts the message text short.
const ELLIPSIS: &str = "…";

/// How many characters of context a snippet shows on each side of the match.
const SNIPPET_CONTEXT_CHARS: usize = 20;

/// Queries shorter than this (in characters) cannot use the trigram index.
const TRIGRAM_MIN_CHARS: usize = 3;

/// One message that matched a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SearchHit {
    /// The matching message.
    pub message_id: String,
    /// Its conversation.
    pub conversation_id: String,
    /// The conversation's title, for the results list.
    pub conversation_title: String,
    /// An excerpt of the message text around the first match, with the match
    /// between [`SNIPPET_START`] and [`SNIPPET_END`] and `…` where text was cut.
    pub snippet: String,
    /// When the message was created, in milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// Where a search statement's results come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchPath {
    /// The trigram index (queries of three or more characters).
    Fts,
    /// A scan of the message text (one- and two-character queries).
    Scan,
}

/// A value bound to a parameter of a [`SearchStatement`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchParam {
    /// A text value.
    Text(String),
    /// An integer value.
    Integer(i64),
}

/// The SQL statement [`Store::search_messages`] runs for a query, with the
/// values bound to its numbered parameters (`?1` is `params[0]`, ...).
/// Public so that benchmarks and diagnostics can run exactly the same
/// statement elsewhere (e.g. in the `sqlite3` command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchStatement {
    /// Which kind of statement this is.
    pub path: SearchPath,
    /// The SQL text. It may call `parley_find`, a function only the store's
    /// own connections have.
    pub sql: &'static str,
    /// The same statement with SQLite's `instr(lower(..), lower(..))` in
    /// place of `parley_find`, for the `sqlite3` command: the same work,
    /// except that SQLite's `lower()` folds ASCII letters only.
    pub baseline_sql: &'static str,
    /// The bound values, in parameter order.
    pub params: Vec<SearchParam>,
}

// Every statement lists hits newest stored first, by `messages.seq` (the FTS
// rowid), not by `created_at`: FTS5 hands out matches in rowid order, so
// with `ORDER BY rowid DESC LIMIT n` SQLite stops after n live hits and
// computes n snippets. Ordering by `created_at` made it fetch every match,
// compute a snippet for each and sort them all: seconds for a common word
// in a million messages. Messages are stored as they are written, so the
// two orders agree, except for conversations imported or bulk-inserted
// after newer ones.
//
// Each statement returns its hits as one row, a JSON array of
// `[message_id, conversation_id, conversation_title, snippet, created_at, seq]`
// arrays: sqlx hands rows from its SQLite thread to the caller one by one,
// which cost more than SQLite's own work for a query that finds its 50 hits
// in a fraction of a millisecond; one row crosses once.
//
// Every statement returns, as the snippet, not the whole text but the window
// [`match_snippet`] needs: the first match (`$at`, a 1-based character
// position) with up to ?4 + 1 characters on each side, the extra one telling
// whether the text goes on. A hit is then a few dozen characters to copy out
// of SQLite, however long its message. They differ in how a match is found
// (`$at`) and where the messages come from (`$from_where`, over
// `messages m` and `conversations c`).
macro_rules! hits_as_one_row {
    ($at:literal, $($from_where:literal),+) => {
        concat!(
            "SELECT json_group_array(json_array(message_id, conversation_id, \
             conversation_title, snippet, created_at, seq)) FROM (",
            r"SELECT message_id, conversation_id, conversation_title,
                     substr(text, max(1, at - ?4 - 1), at - max(1, at - ?4 - 1) + length(?3) + ?4 + 1)
                         AS snippet,
                     created_at, seq
              FROM (SELECT m.id AS message_id, c.id AS conversation_id, c.title AS conversation_title,
                           m.text, m.created_at, m.seq, ",
            $at,
            r" AS at
                    ",
            $($from_where),+,
            "))"
        )
    };
}

// The trigram index keeps no positions (migrations/0006), so it cannot
// answer a phrase: it is asked for the messages holding every trigram of
// the query (?5: `"abc" AND "bcd" AND ...`; it folds case in every script
// itself), and `$at` confirms each candidate against the stored text.
// (`LIKE` on the index finds the same candidates but SQLite then re-checks
// them with its own `LIKE`, which folds ASCII letters only.)
macro_rules! fts_search_sql {
    ($at:literal) => {
        hits_as_one_row!(
            $at,
            r"FROM messages_fts
              JOIN messages m ON m.seq = messages_fts.rowid
              JOIN conversations c ON c.seq = m.conversation_seq
              WHERE messages_fts MATCH ?5 AND ",
            $at,
            r" > 0 AND c.deleted_at IS NULL
              ORDER BY messages_fts.rowid DESC
              LIMIT ?2"
        )
    };
}

// A backwards scan of `messages` that stops after n live hits, for queries
// too short for the trigram index.
macro_rules! scan_search_sql {
    ($at:literal, $matches:literal) => {
        hits_as_one_row!(
            $at,
            r"FROM messages m
              JOIN conversations c ON c.seq = m.conversation_seq
              WHERE ",
            $matches,
            r" AND c.deleted_at IS NULL
              ORDER BY m.seq DESC
              LIMIT ?2"
        )
    };
}

// `parley_find` is called only for a query holding a cased letter outside
// ASCII. Any other query matches under SQLite's own `instr(lower(..))` and
// `LIKE` (in C, faster per row than a call into Rust) exactly as under
// `parley_find`, but for the few characters outside ASCII that pair with an
// ASCII letter (the Kelvin sign "K" is not found by "k", nor "ſ" by "s").
const FTS_SEARCH_SQL: &str = fts_search_sql!("instr(lower(m.text), lower(?3))");
const FTS_FOLDED_SEARCH_SQL: &str = fts_search_sql!("parley_find(m.text, ?3)");

const SCAN_SEARCH_SQL: &str = scan_search_sql!(
    "instr(lower(m.text), lower(?3))",
    r"m.text LIKE ?1 ESCAPE '\'"
);
const SCAN_FOLDED_SEARCH_SQL: &str =
    scan_search_sql!("parley_find(m.text, ?3)", "parley_find(m.text, ?3) > 0");
const SCAN_FOLDED_BASELINE_SQL: &str = scan_search_sql!(
    "instr(lower(m.text), lower(?3))",
    "instr(lower(m.text), lower(?3)) > 0"
);

/// The FTS5 query for the messages holding every trigram of `query`: each
/// distinct trigram as a quoted string (`"` doubled inside), joined by AND.
fn trigram_match_query(query: &str) -> String {
    let chars: Vec<char> = query.chars().collect();
    let mut trigrams: Vec<String> = chars
        .windows(3)
        .map(|trigram| trigram.iter().collect())
        .collect();
    trigrams.sort_unstable();
    trigrams.dedup();
    trigrams
        .iter()
        .map(|trigram| format!("\"{}\"", trigram.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The statement [`Store::search_messages`] runs for `query` and `limit`;
/// `None` for a query that is empty once trimmed (it finds nothing).
pub fn search_statement(query: &str, limit: i64) -> Option<SearchStatement> {
    let query = query.trim();
    if query.is_empty() {
        return None;
    }
    let like_pattern = format!("%{}%", escape_like(query));
    let mut params = vec![
        SearchParam::Text(like_pattern),
        SearchParam::Integer(limit),
        SearchParam::Text(query.to_owned()),
        SearchParam::Integer(SNIPPET_CONTEXT_CHARS as i64),
    ];
    let folded = needs_unicode_case_folding(query);
    // One or two characters: the trigram index cannot answer them, so this is
    // a scan, acceptable because results are limited. Likewise a query with a
    // NUL character: FTS5 reads its query string only up to one.
    if query.chars().count() < TRIGRAM_MIN_CHARS || query.contains('\0') {
        let (sql, baseline_sql) = if folded {
            (SCAN_FOLDED_SEARCH_SQL, SCAN_FOLDED_BASELINE_SQL)
        } else {
            (SCAN_SEARCH_SQL, SCAN_SEARCH_SQL)
        };
        return Some(SearchStatement {
            path: SearchPath::Scan,
            sql,
            baseline_sql,
            params,
        });
    }
    params.push(SearchParam::Text(trigram_match_query(query)));
    Some(SearchStatement {
        path: SearchPath::Fts,
        sql: if folded {
            FTS_FOLDED_SEARCH_SQL
        } else {
            FTS_SEARCH_SQL
        },
        baseline_sql: FTS_SEARCH_SQL,
        params,
    })
}

impl Store {
    /// Up to `limit` messages (on any branch, of any status, in conversations
    /// that are not in the trash) whose text contains `query`, newest stored
    /// first (the order they were written in; see the note on the
    /// statements). Matching ignores the case of letters in every script and
    /// leading or trailing whitespace in the query. An empty query finds
    /// nothing.
    pub async fn search_messages(
        &self,
        query: &str,
        limit: i64,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let Some(statement) = search_statement(query, limit) else {
            return Ok(Vec::new());
        };
        let mut sql = sqlx::query_scalar(statement.sql);
        for param in statement.params {
            sql = match param {
                SearchParam::Text(text) => sql.bind(text),
                SearchParam::Integer(value) => sql.bind(value),
            };
        }
        let json: String = sql.fetch_one(&self.search_pool).await?;
        let mut rows: Vec<(String, String, String, String, i64, i64)> =
            json_rows(&json, "search results")?;
        rows.sort_by_key(|row| std::cmp::Reverse(row.5));
        let query = query.trim();
        // Built once: each hit's snippet is searched for the same query.
        let needle = Needle::new(query);
        Ok(rows
            .into_iter()
            .map(
                |(message_id, conversation_id, conversation_title, snippet, created_at, _)| {
                    SearchHit {
                        message_id,
                        conversation_id,
                        conversation_title,
                        snippet: match_snippet(&snippet, &needle),
                        created_at,
                    }
                },
            )
            .collect())
    }
}

/// Escapes `LIKE` wildcards so they match themselves (with `ESCAPE '\'`).
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

/// Builds a snippet like FTS5's `snippet()`: the first match of `needle` (the
/// query, ignoring case as the statements match) with some context on each side.
fn match_snippet(text: &str, needle: &Needle) -> String {
    let Some((_, start, end)) = needle.find(text.as_bytes()) else {
        // Cannot happen for rows the statements returned; show the start of
        // the text.
        return text.chars().take(SNIPPET_CONTEXT_CHARS * 2).collect();
    };
    // Only the context is walked, never the whole text.
    let before = &text[..start];
    let before_start = before
        .char_indices()
        .rev()
        .take(SNIPPET_CONTEXT_CHARS)
        .last()
        .map_or(start, |(at, _)| at);
    let after = &text[end..];
    let after_end = after
        .char_indices()
        .nth(SNIPPET_CONTEXT_CHARS)
        .map_or(after.len(), |(at, _)| at);
    let mut snippet = String::new();
    if before_start > 0 {
        snippet.push_str(ELLIPSIS);
    }
    snippet.push_str(&before[before_start..]);
    snippet.push_str(SNIPPET_START);
    snippet.push_str(&text[start..end]);
    snippet.push_str(SNIPPET_END);
    snippet.push_str(&after[..after_end]);
    if after_end < after.len() {
        snippet.push_str(ELLIPSIS);
    }
    snippet
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{conversation, memory_store, message};
    use crate::{MessageFinish, MessageStatus, NewMessage, Role, StoredUsage};

    /// The snippet `search_messages` builds for a hit on `query` in `text`.
    fn snippet_of(text: &str, query: &str) -> String {
        match_snippet(text, &Needle::new(query))
    }

    async fn hit_ids(store: &Store, query: &str) -> Vec<String> {
        store
            .search_messages(query, 50)
            .await
            .unwrap_or_else(|err| panic!("query {query:?} failed: {err}"))
            .into_iter()
            .map(|hit| hit.message_id)
            .collect()
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[test]
    fn match_snippets_mark_the_match_and_trim_context() {
        assert_eq!(snippet_of("say Hi there", "hi"), "say \u{2}Hi\u{3} there");
        let long = format!("{}xy{}", "a".repeat(40), "b".repeat(40));
        let snippet = snippet_of(&long, "XY");
        let context = SNIPPET_CONTEXT_CHARS;
        assert_eq!(
            snippet,
            format!(
                "…{}\u{2}xy\u{3}{}…",
                "a".repeat(context),
                "b".repeat(context)
            )
        );
        assert_eq!(snippet_of("日本語の文", "本語"), "日\u{2}本語\u{3}の文");
    }

    /// The one- and two-character path reads only a window of each hit's
    /// text; its snippets must equal those built from the whole text, with
    /// the match at the start, in the middle and at the end, after and before
    /// multi-byte characters, and in texts far longer than the window.
    #[tokio::test]
    async fn short_query_snippets_equal_those_of_the_whole_text() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let long = "x".repeat(5_000);
        let texts = [
            "Qa at the start".to_owned(),
            "at the end: qa".to_owned(),
            format!("{long} in the QA middle {long}"),
            format!(
                "日本語の文章が続きます、とても長い前置きのあとで qa そしてまた長い続きがあります{long}"
            ),
            "ünïcödé before qa ünïcödé after, well over twenty characters".to_owned(),
            "qa".to_owned(),
            "ab qa qa twice, the first one counts".to_owned(),
        ];
        for text in &texts {
            message(&store, &conv, None, Role::User, text).await;
        }
        let hits = store.search_messages("qA", 50).await.unwrap();
        assert_eq!(hits.len(), texts.len());
        for (hit, text) in hits.iter().zip(texts.iter().rev()) {
            assert_eq!(hit.snippet, snippet_of(text, "qA"), "text {:.40?}", text);
        }
        let hits = store.search_messages("の", 50).await.unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].snippet, snippet_of(&texts[3], "の"));
    }

    /// The statements must stop after `limit` hits instead of sorting every
    /// match (and computing its snippet) first: with a million messages a
    /// common word took seconds that way. SQLite's plan says "USE TEMP
    /// B-TREE FOR ORDER BY" when it sorts.
    #[tokio::test]
    async fn search_statements_read_hits_in_order_without_sorting() {
        let store = memory_store().await;
        for query in ["common words", "ab", "école", "éc"] {
            let statement = search_statement(query, 50).unwrap();
            let sql = format!("EXPLAIN QUERY PLAN {}", statement.sql);
            let mut plan = sqlx::query_as::<_, (i64, i64, i64, String)>(&sql);
            for param in statement.params {
                plan = match param {
                    SearchParam::Text(text) => plan.bind(text),
                    SearchParam::Integer(value) => plan.bind(value),
                };
            }
            let steps: Vec<String> = plan
                .fetch_all(&store.pool)
                .await
                .unwrap()
                .into_iter()
                .map(|(_, _, _, detail)| detail)
                .collect();
            assert!(
                !steps.is_empty() && steps.iter().all(|step| !step.contains("TEMP B-TREE")),
                "{:?} sorts: {steps:?}",
                statement.path
            );
        }
    }

    #[tokio::test]
    async fn finds_words_with_a_marked_snippet_and_conversation_title() {
        let store = memory_store().await;
        let conv = conversation(&store, "Rust questions").await;
        let hit = message(
            &store,
            &conv,
            None,
            Role::User,
            "How do lifetimes work in Rust?",
        )
        .await;
        message(&store, &conv, Some(&hit.id), Role::Assistant, "Borrowing.").await;

        let hits = store.search_messages("LIFETIMES", 10).await.unwrap();
        assert_eq!(hits.len(), 1, "matching ignores case");
        assert_eq!(hits[0].message_id, hit.id);
        assert_eq!(hits[0].conversation_id, conv);
        assert_eq!(hits[0].conversation_title, "Rust questions");
        assert_eq!(hits[0].created_at, hit.created_at);
        assert!(
            hits[0].snippet.contains("\u{2}lifetimes\u{3}"),
            "snippet: {:?}",
            hits[0].snippet
        );
        assert!(hit_ids(&store, "no such words").await.is_empty());
        assert!(hit_ids(&store, "   ").await.is_empty());
    }

    /// SQLite's `LIKE` and `lower()` fold ASCII letters only; search must
    /// ignore case in every script, on both paths, and mark the text as
    /// written.
    #[tokio::test]
    async fn letters_outside_ascii_match_in_any_case() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let french = message(&store, &conv, None, Role::User, "Une ÉCOLE ici").await;
        let russian = message(&store, &conv, None, Role::User, "Привет, мир").await;
        let greek = message(&store, &conv, None, Role::User, "η ΟΔΟΣ μας").await;
        let german = message(&store, &conv, None, Role::User, "über alles").await;
        message(&store, &conv, None, Role::User, "une ecole sans accent").await;

        assert_eq!(hit_ids(&store, "école").await, [french.id.as_str()]);
        assert_eq!(hit_ids(&store, "ПРИВЕТ").await, [russian.id.as_str()]);
        assert_eq!(
            hit_ids(&store, "οδος").await,
            [greek.id.as_str()],
            "final sigma"
        );
        assert_eq!(hit_ids(&store, "ÜBER").await, [german.id.as_str()]);
        // One and two characters: the scan.
        assert_eq!(hit_ids(&store, "éc").await, [french.id.as_str()]);
        assert_eq!(hit_ids(&store, "Ü").await, [german.id.as_str()]);
        assert_eq!(hit_ids(&store, "пР").await, [russian.id.as_str()]);

        let hits = store.search_messages("école", 10).await.unwrap();
        assert_eq!(hits[0].snippet, "Une \u{2}ÉCOLE\u{3} ici");
        let hits = store.search_messages("ü", 10).await.unwrap();
        assert_eq!(hits[0].snippet, "\u{2}ü\u{3}ber alles");
    }

    /// A candidate from the index holds every trigram of the query, not
    /// necessarily in order; only the query itself is a hit.
    #[tokio::test]
    async fn candidates_holding_the_trigrams_out_of_order_are_not_hits() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let hit = message(&store, &conv, None, Role::User, "abcd").await;
        message(&store, &conv, None, Role::User, "bcd abc").await;
        assert_eq!(hit_ids(&store, "ABCD").await, [hit.id.as_str()]);
        assert_eq!(trigram_match_query(r#"a"bc"#), r#""""bc" AND "a""b""#);
        assert_eq!(trigram_match_query("aaaa"), r#""aaa""#, "each trigram once");
    }

    #[tokio::test]
    async fn results_are_newest_first_and_limited() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let old = message(&store, &conv, None, Role::User, "apple pie").await;
        let new = message(&store, &conv, None, Role::User, "apple tart").await;
        assert_eq!(
            hit_ids(&store, "apple").await,
            [new.id.as_str(), old.id.as_str()]
        );
        assert_eq!(store.search_messages("apple", 1).await.unwrap().len(), 1);
        assert_eq!(
            hit_ids(&store, "ap").await,
            [new.id.as_str(), old.id.as_str()]
        );
        assert_eq!(store.search_messages("ap", 1).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn chinese_and_japanese_substrings_are_found() {
        let store = memory_store().await;
        let conv = conversation(&store, "多言語").await;
        let zh = message(
            &store,
            &conv,
            None,
            Role::User,
            "我们今天讨论数据库的全文搜索功能",
        )
        .await;
        let ja = message(
            &store,
            &conv,
            None,
            Role::User,
            "東京都で日本語の形態素解析を試す",
        )
        .await;

        // Three or more characters: the trigram index.
        assert_eq!(hit_ids(&store, "全文搜索").await, [zh.id.as_str()]);
        assert_eq!(hit_ids(&store, "数据库").await, [zh.id.as_str()]);
        assert_eq!(hit_ids(&store, "形態素解析").await, [ja.id.as_str()]);
        assert_eq!(hit_ids(&store, "日本語").await, [ja.id.as_str()]);
        // One or two characters: the LIKE fallback.
        assert_eq!(hit_ids(&store, "搜索").await, [zh.id.as_str()]);
        assert_eq!(hit_ids(&store, "東").await, [ja.id.as_str()]);
        assert_eq!(hit_ids(&store, "の").await, [ja.id.as_str()]);
        assert!(hit_ids(&store, "猫").await.is_empty());

        let hits = store.search_messages("全文搜索", 10).await.unwrap();
        assert!(
            hits[0].snippet.contains("\u{2}") && hits[0].snippet.contains("\u{3}"),
            "snippet: {:?}",
            hits[0].snippet
        );
        let hits = store.search_messages("搜索", 10).await.unwrap();
        assert!(
            hits[0].snippet.contains("\u{2}搜索\u{3}"),
            "{:?}",
            hits[0].snippet
        );
    }

    #[tokio::test]
    async fn hostile_queries_never_error_and_match_literally() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let quote = message(&store, &conv, None, Role::User, r#"she said "hi" to me"#).await;
        let star = message(&store, &conv, None, Role::User, "glob a* here").await;
        let and = message(&store, &conv, None, Role::User, "this AND that").await;
        let near = message(&store, &conv, None, Role::User, "call NEAR(a b) now").await;
        let percent = message(&store, &conv, None, Role::User, "100% sure_thing").await;
        message(&store, &conv, None, Role::User, "plain words only").await;

        let hostile = [
            "\"",
            "\"\"",
            "\"hi",
            "*",
            "a*",
            "AND",
            "OR",
            "NOT",
            "a OR",
            "OR b",
            "NEAR(a b)",
            "NEAR(",
            "'",
            "''",
            "%",
            "_",
            "%%",
            "__",
            "\\",
            "a\\b",
            "(",
            ")",
            "-",
            "+",
            ":",
            "^",
            "{a b}",
            "col:val",
            "\u{0}",
            "a\u{0}bc",
            "\u{2}\u{3}",
            "\"\"\"",
        ];
        for query in hostile {
            store
                .search_messages(query, 10)
                .await
                .unwrap_or_else(|err| panic!("query {query:?} failed: {err}"));
        }

        assert_eq!(hit_ids(&store, r#""hi""#).await, [quote.id.as_str()]);
        assert_eq!(hit_ids(&store, "\"").await, [quote.id.as_str()]);
        assert_eq!(hit_ids(&store, "a*").await, [star.id.as_str()]);
        assert_eq!(hit_ids(&store, "a* here").await, [star.id.as_str()]);
        assert_eq!(hit_ids(&store, "AND").await, [and.id.as_str()]);
        assert_eq!(hit_ids(&store, "NEAR(a b)").await, [near.id.as_str()]);
        assert_eq!(
            hit_ids(&store, "%").await,
            [percent.id.as_str()],
            "% is not a wildcard"
        );
        assert_eq!(
            hit_ids(&store, "_").await,
            [percent.id.as_str()],
            "_ is not a wildcard"
        );
        assert_eq!(hit_ids(&store, "0%").await, [percent.id.as_str()]);
        assert!(hit_ids(&store, "'").await.is_empty());
        assert!(
            hit_ids(&store, "a OR").await.is_empty(),
            "OR is literal text"
        );
    }

    #[tokio::test]
    async fn operator_characters_match_as_written_in_live_conversations_only() {
        let store = memory_store().await;
        let live = conversation(&store, "live").await;
        let trashed = conversation(&store, "trashed").await;
        let texts = [
            r#"an "unbalanced quote"#,
            "minus - sign",
            "^caret start",
            "key:value pair",
            "x NEAR y",
            "stars ** here",
        ];
        let mut live_ids = Vec::new();
        for text in texts {
            live_ids.push(message(&store, &live, None, Role::User, text).await.id);
            message(&store, &trashed, None, Role::User, text).await;
        }
        store
            .trash_conversations(std::slice::from_ref(&trashed))
            .await
            .unwrap();
        let queries = [
            r#""unbalanced"#,
            " - ",
            "^caret",
            "key:value",
            "NEAR y",
            "**",
        ];
        for (query, id) in queries.iter().zip(&live_ids) {
            assert_eq!(hit_ids(&store, query).await, [id.as_str()], "{query:?}");
        }
        for query in ["-", "^", ":", "\"", "*"] {
            let hits = store.search_messages(query, 50).await.unwrap();
            assert!(
                hits.iter().all(|hit| hit.conversation_id == live),
                "{query:?}"
            );
        }
    }

    #[tokio::test]
    async fn the_index_follows_inserts_streaming_updates_finish_and_deletes() {
        let store = memory_store().await;
        let conv = conversation(&store, "c").await;
        let question = message(&store, &conv, None, Role::User, "tell me about otters").await;
        assert_eq!(hit_ids(&store, "otters").await, [question.id.as_str()]);

        let reply = store
            .insert_message(&NewMessage {
                conversation_id: conv.clone(),
                parent_id: Some(question.id.clone()),
                role: Role::Assistant,
                content_json: "[]".to_owned(),
                text: String::new(),
                model: None,
                status: MessageStatus::Streaming,
            })
            .await
            .unwrap();
        store
            .update_streaming_content(&reply.id, "[]", "Otters are playful")
            .await
            .unwrap();
        assert!(
            hit_ids(&store, "playful").await.is_empty(),
            "a streaming reply is indexed when it ends, not on every throttled write"
        );
        store
            .update_streaming_content(&reply.id, "[]", "Otters are mustelids")
            .await
            .unwrap();
        assert!(hit_ids(&store, "mustelids").await.is_empty());

        store
            .finish_message(
                &reply.id,
                &MessageFinish {
                    status: MessageStatus::Done,
                    content_json: "[]".to_owned(),
                    text: "Otters hold hands while sleeping".to_owned(),
                    stop_reason: Some("end_turn".to_owned()),
                    stop_sequence: None,
                    usage: StoredUsage::default(),
                    error_kind: None,
                    error_message: None,
                    request_id: None,
                },
            )
            .await
            .unwrap();
        assert!(
            hit_ids(&store, "mustelids").await.is_empty(),
            "only the final text is indexed"
        );
        assert_eq!(hit_ids(&store, "hold hands").await, [reply.id.as_str()]);
        assert_eq!(
            hit_ids(&store, "otters").await,
            [reply.id.as_str(), question.id.as_str()]
        );

        store.delete_conversation(&conv).await.unwrap();
        assert!(
            hit_ids(&store, "otters").await.is_empty(),
            "cascaded deletes remove index entries too"
        );
        // One trigram is one token, which an index without positions
        // answers from the index alone.
        let indexed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'ott'")
                .fetch_one(&store.pool)
                .await
                .unwrap();
        assert_eq!(indexed, 0);
        // FTS5's own consistency check fails if the index and the content
        // table disagree.
        sqlx::query("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
            .execute(&store.pool)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_index_stays_consistent_through_a_mixed_workload() {
        let store = memory_store().await;
        let keep = conversation(&store, "keep").await;
        let drop = conversation(&store, "drop").await;
        for conv in [&keep, &drop] {
            let q = message(&store, conv, None, Role::User, "問題を説明して").await;
            message(&store, conv, Some(&q.id), Role::Assistant, "説明します").await;
        }
        store.delete_conversation(&drop).await.unwrap();
        store.recover_interrupted_streams().await.unwrap();
        sqlx::query("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
            .execute(&store.pool)
            .await
            .unwrap();
        assert_eq!(hit_ids(&store, "説明し").await.len(), 2);
    }
}

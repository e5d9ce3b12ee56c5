//! Finding a query in message text whatever the case of its letters, in every
//! script: the one rule search filters by, cuts snippets by and highlights by.
//!
//! SQLite's own `LIKE`, `lower()` and `instr()` fold only ASCII letters, so
//! "école" would not find "ÉCOLE", nor "привет" "Привет". The store's
//! connections get this module's rule as the SQL function `parley_find`
//! (see [`register`]); the trigram index, which folds case in every script
//! itself, narrows the candidates and `parley_find` confirms them.
//!
//! Characters are compared one by one (two characters match when they are
//! equal, or their lowercase or their uppercase forms are), so a match is
//! exactly as many characters long as the query, and a position found here
//! cuts the same characters in SQL's `substr` as in Rust.

use std::collections::HashMap;
use std::ffi::{c_int, c_void};
use std::ptr::NonNull;
use std::sync::OnceLock;

use libsqlite3_sys as ffi;

/// The SQL function's name: `parley_find(text, query)` is the 1-based
/// character position of the first match of `query` in `text`, 0 when there
/// is none, and NULL when either is NULL. An empty query matches at 1.
pub(crate) const SQL_FUNCTION: &str = "parley_find";

/// Whether `a` and `b` are the same character ignoring case.
fn same_ignoring_case(a: char, b: char) -> bool {
    if a == b {
        return true;
    }
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(&b);
    }
    // Uppercase as well as lowercase: 'ς' (final sigma) and 'σ' differ in
    // lowercase but are both 'Σ' in uppercase.
    a.to_lowercase().eq(b.to_lowercase()) || a.to_uppercase().eq(b.to_uppercase())
}

/// The code points up to which [`case_classes`] looks: past the Supplementary Multilingual
/// Plane (Adlam's letters, the last with case, are at U+1E900-U+1E95F) no character has case.
const LAST_CASED: u32 = 0x1_FFFF;

/// For every character that [`same_ignoring_case`] pairs with another, all the characters it
/// pairs with, itself included ('k' → k, K and the Kelvin sign; 'σ' → σ, Σ and ς). Built once,
/// in a few milliseconds, the first time a query needs it.
fn case_classes() -> &'static HashMap<char, Box<[char]>> {
    static CLASSES: OnceLock<HashMap<char, Box<[char]>>> = OnceLock::new();
    CLASSES.get_or_init(|| {
        // A character whose lowercase and uppercase are itself pairs with no other: any
        // character whose case maps to it has case of its own (the tests check the classes
        // against the plain definition).
        let cased: Vec<char> = (0..=LAST_CASED)
            .filter_map(char::from_u32)
            .filter(|&ch| {
                !ch.to_lowercase().eq(std::iter::once(ch))
                    || !ch.to_uppercase().eq(std::iter::once(ch))
            })
            .collect();
        let mut by_lower: HashMap<String, Vec<char>> = HashMap::new();
        let mut by_upper: HashMap<String, Vec<char>> = HashMap::new();
        for &ch in &cased {
            by_lower
                .entry(ch.to_lowercase().collect())
                .or_default()
                .push(ch);
            by_upper
                .entry(ch.to_uppercase().collect())
                .or_default()
                .push(ch);
        }
        let mut classes = HashMap::new();
        for &ch in &cased {
            let lower: String = ch.to_lowercase().collect();
            let upper: String = ch.to_uppercase().collect();
            let mut class: Vec<char> = by_lower
                .get(&lower)
                .into_iter()
                .chain(by_upper.get(&upper))
                .flatten()
                .copied()
                .collect();
            class.sort_unstable();
            class.dedup();
            if class.len() > 1 {
                classes.insert(ch, class.into_boxed_slice());
            }
        }
        classes
    })
}

/// A query prepared for [`Needle::find`]: each form of its first character (every character
/// [`same_ignoring_case`] pairs it with) as a `memmem` searcher, and the rest.
///
/// A search scans every message for a rare query, megabytes per keystroke, so the first
/// character is looked for with `memmem` (which skips through the bytes), and only where a
/// form of it is found is the rest compared, character by character. The text is never
/// validated or decoded as a whole.
pub(crate) struct Needle {
    first_forms: Vec<memchr::memmem::Finder<'static>>,
    rest: String,
}

impl Needle {
    pub(crate) fn new(needle: &str) -> Needle {
        let mut chars = needle.chars();
        let first_forms = match chars.next() {
            None => Vec::new(),
            Some(first) => {
                let forms: &[char] = match case_classes().get(&first) {
                    Some(class) => class,
                    None => std::slice::from_ref(&first),
                };
                forms
                    .iter()
                    .map(|form| {
                        let mut encoded = [0; 4];
                        memchr::memmem::Finder::new(form.encode_utf8(&mut encoded).as_bytes())
                            .into_owned()
                    })
                    .collect()
            }
        };
        Needle {
            first_forms,
            rest: chars.as_str().to_owned(),
        }
    }

    /// The first match in `haystack` (UTF-8, possibly damaged: SQLite stores whatever bytes
    /// it is given): its 0-based character index and byte range.
    pub(crate) fn find(&self, haystack: &[u8]) -> Option<(usize, usize, usize)> {
        if self.first_forms.is_empty() {
            return Some((0, 0, 0));
        }
        let mut best: Option<(usize, usize)> = None;
        for form in &self.first_forms {
            // UTF-8 resynchronises: a whole character's bytes are only ever found where that
            // character starts.
            for start in form.find_iter(haystack) {
                if best.is_some_and(|(found, _)| start >= found) {
                    break;
                }
                let after_first = start + form.needle().len();
                if let Some(end) = rest_matches_at(haystack, after_first, &self.rest) {
                    best = Some((start, end));
                    break;
                }
            }
        }
        best.map(|(start, end)| (count_chars(&haystack[..start]), start, end))
    }
}

/// Characters in UTF-8 `bytes`: the bytes that are not continuation bytes.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&byte| byte & 0xC0 != 0x80).count()
}

/// The end of `rest` matched (ignoring case) at byte `from` of `haystack`, if it is there.
fn rest_matches_at(haystack: &[u8], from: usize, rest: &str) -> Option<usize> {
    // Only as many bytes as `rest` could span are decoded: up to 4 per character.
    let window = haystack.get(from..)?;
    let window = &window[..window.len().min(rest.chars().count() * 4)];
    let text = match std::str::from_utf8(window) {
        Ok(text) => text,
        // A character cut by the window's end, or damaged bytes: what comes before them.
        Err(err) => std::str::from_utf8(&window[..err.valid_up_to()]).ok()?,
    };
    let mut end = from;
    let mut got = text.chars();
    for wanted in rest.chars() {
        let ch = got.next()?;
        if !same_ignoring_case(ch, wanted) {
            return None;
        }
        end += ch.len_utf8();
    }
    Some(end)
}

/// Whether matching `query` needs more than ASCII case folding: true when it
/// holds a letter outside ASCII that has case (CJK and kana have none). A
/// query without one matches under `LIKE` exactly as under this module's
/// rule, except for the few characters outside ASCII that pair with an ASCII
/// letter (the Kelvin sign 'K' with "k", the long 'ſ' with "s", the dotless
/// 'ı' with "i").
pub(crate) fn needs_unicode_case_folding(query: &str) -> bool {
    query
        .chars()
        .any(|ch| !ch.is_ascii() && (ch.is_lowercase() || ch.is_uppercase()))
}

/// Adds `parley_find` to the connection behind `handle`.
///
/// # Safety
/// `handle` must be an open SQLite connection that no other thread uses
/// during the call (sqlx's `LockedSqliteHandle` guarantees both).
pub(crate) unsafe fn register(handle: NonNull<ffi::sqlite3>) -> Result<(), String> {
    let name = c"parley_find";
    debug_assert_eq!(name.to_str(), Ok(SQL_FUNCTION));
    // SAFETY: the handle is open and ours for the call (the caller's
    // contract); the name is a NUL-terminated constant; the function keeps
    // no user data, so there is nothing to destroy.
    let code = unsafe {
        ffi::sqlite3_create_function_v2(
            handle.as_ptr(),
            name.as_ptr(),
            2,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC | ffi::SQLITE_INNOCUOUS,
            std::ptr::null_mut::<c_void>(),
            Some(parley_find_sql),
            None,
            None,
            None,
        )
    };
    if code == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(format!(
            "SQLite refused the function {SQL_FUNCTION} (code {code})"
        ))
    }
}

/// The bytes of an SQL argument as text, `None` for NULL.
///
/// # Safety
/// `value` must be an argument of the running function call; the bytes live until it returns.
unsafe fn text_argument<'a>(value: *mut ffi::sqlite3_value) -> Option<&'a [u8]> {
    // SAFETY: `value` is a live argument (the caller's contract). The text pointer is read
    // before the length, as SQLite's documentation asks.
    unsafe {
        if ffi::sqlite3_value_type(value) == ffi::SQLITE_NULL {
            return None;
        }
        let text = ffi::sqlite3_value_text(value);
        let len = usize::try_from(ffi::sqlite3_value_bytes(value)).unwrap_or(0);
        if text.is_null() || len == 0 {
            return Some(&[]);
        }
        Some(std::slice::from_raw_parts(text, len))
    }
}

/// Frees a [`Needle`] that SQLite kept for a statement (`sqlite3_set_auxdata`).
unsafe extern "C" fn drop_needle(needle: *mut c_void) {
    // SAFETY: SQLite hands back exactly the pointer `parley_find_sql` gave it, once.
    drop(unsafe { Box::from_raw(needle.cast::<Needle>()) });
}

/// `parley_find(text, query)` as SQLite calls it. The query is the same for every row of a
/// statement, so its [`Needle`] is prepared once and kept with the statement.
unsafe extern "C" fn parley_find_sql(
    context: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite passes `argc` (2, as registered) live arguments and a live context for
    // the duration of the call. A kept needle stays valid until SQLite calls `drop_needle`,
    // which it does not during this call but for the one set below, after its last use.
    unsafe {
        if argc != 2 || argv.is_null() {
            ffi::sqlite3_result_null(context);
            return;
        }
        let (Some(text), Some(query)) = (text_argument(*argv), text_argument(*argv.add(1))) else {
            ffi::sqlite3_result_null(context);
            return;
        };
        let kept = ffi::sqlite3_get_auxdata(context, 1).cast::<Needle>();
        let found = if kept.is_null() {
            let needle = Box::new(Needle::new(&String::from_utf8_lossy(query)));
            let found = needle.find(text);
            ffi::sqlite3_set_auxdata(
                context,
                1,
                Box::into_raw(needle).cast::<c_void>(),
                Some(drop_needle),
            );
            found
        } else {
            (*kept).find(text)
        };
        let position = found
            .and_then(|(index, _, _)| i64::try_from(index + 1).ok())
            .unwrap_or(0);
        ffi::sqlite3_result_int64(context, position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where `needle` first occurs in `haystack` ignoring case: the 0-based character index and
    /// the byte range of the match; an empty needle matches at the start. (The store builds one
    /// [`Needle`] per search and asks it for every hit.)
    fn find_ignoring_case(haystack: &str, needle: &str) -> Option<(usize, usize, usize)> {
        Needle::new(needle).find(haystack.as_bytes())
    }

    #[test]
    fn letters_of_every_script_match_in_any_case() {
        assert_eq!(
            find_ignoring_case("Une ÉCOLE ici", "école"),
            Some((4, 4, 10))
        );
        assert_eq!(
            find_ignoring_case("Привет, мир", "ПРИВЕТ"),
            Some((0, 0, 12))
        );
        assert_eq!(
            find_ignoring_case("ΟΔΟΣ", "οδος"),
            Some((0, 0, 8)),
            "final sigma"
        );
        assert_eq!(find_ignoring_case("say Hi", "hI"), Some((4, 4, 6)));
        assert_eq!(find_ignoring_case("日本語の文", "本語"), Some((1, 3, 9)));
        assert_eq!(find_ignoring_case("abc", ""), Some((0, 0, 0)));
        assert_eq!(find_ignoring_case("ab", "abc"), None);
        assert_eq!(
            find_ignoring_case("ecole", "école"),
            None,
            "accents are not case"
        );
        // A partial match must not hide a later whole one.
        assert_eq!(find_ignoring_case("aab", "ab"), Some((1, 1, 3)));
    }

    /// The plain definition: every start position, every character compared.
    fn find_by_every_position(haystack: &str, needle: &str) -> Option<usize> {
        let hay: Vec<char> = haystack.chars().collect();
        let want: Vec<char> = needle.chars().collect();
        (0..=hay.len().saturating_sub(want.len()))
            .filter(|&at| at + want.len() <= hay.len())
            .find(|&at| {
                want.iter()
                    .zip(&hay[at..])
                    .all(|(w, h)| same_ignoring_case(*h, *w))
            })
    }

    #[test]
    fn the_fast_search_finds_what_comparing_every_position_finds() {
        let texts = [
            "Une ÉCOLE ici, une école là",
            "1 \u{212A}elvin and 3 kelvin",
            "ſtraße STRASSE strasse",
            "ΟΔΟΣ οδος οδοσ",
            "İstanbul ıstanbul istanbul ISTANBUL",
            "日本語の文、にほんご",
            "aaab aab ab",
            "",
        ];
        let needles = [
            "école", "ÉC", "k", "K", "kelvin", "s", "ſ", "ss", "σ", "ς", "Σ", "ος", "i", "ı", "İ",
            "本語", "ab", "aab", "b", "zz", "é",
        ];
        for text in texts {
            for needle in needles {
                let fast = find_ignoring_case(text, needle);
                assert_eq!(
                    fast.map(|(index, _, _)| index),
                    find_by_every_position(text, needle),
                    "{needle:?} in {text:?}"
                );
                if let Some((index, start, end)) = fast {
                    assert_eq!(text[..start].chars().count(), index);
                    assert_eq!(text[start..end].chars().count(), needle.chars().count());
                }
            }
        }
    }

    /// The classes are built from the characters that have case only; no other character may
    /// pair with a letter. Checked against every code point for a sample of letters.
    #[test]
    fn case_classes_are_exactly_the_characters_that_pair() {
        for letter in "aikszKSéÉßẞİıσςΩжÅǅ\u{1E922}".chars() {
            let expected: Vec<char> = (0..=LAST_CASED)
                .filter_map(char::from_u32)
                .filter(|&ch| same_ignoring_case(ch, letter))
                .collect();
            let class = case_classes()
                .get(&letter)
                .map_or_else(|| vec![letter], |class| class.to_vec());
            assert_eq!(class, expected, "{letter:?}");
        }
    }

    #[test]
    fn case_classes_hold_every_form_of_a_letter() {
        let class = |ch| case_classes().get(&ch).map(|class| class.to_vec());
        assert_eq!(class('k'), Some(vec!['K', 'k', '\u{212A}']));
        assert_eq!(class('σ'), Some(vec!['Σ', 'ς', 'σ']));
        assert_eq!(class('本'), None, "no case");
    }

    #[test]
    fn only_cased_letters_outside_ascii_need_unicode_folding() {
        assert!(needs_unicode_case_folding("École"));
        assert!(needs_unicode_case_folding("ü"));
        assert!(!needs_unicode_case_folding("the quarterly report"));
        assert!(!needs_unicode_case_folding("全文搜索"));
        assert!(!needs_unicode_case_folding("の"));
        assert!(!needs_unicode_case_folding("100% → 5€"));
    }
}

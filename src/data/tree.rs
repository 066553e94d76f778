//! `.dir` manifests (spec §2): the JSON list DVC stores for a directory out.
//!
//! Bytes are exactly Python's `json.dumps(entries, sort_keys=True)`:
//!
//! ```text
//! [{"md5": "60b725f10c9c85c70d97880dfe8191b3", "relpath": "a.txt"}, {"md5": "…", "relpath": "\u00fc/\u00fc.bin"}]
//! ```
//!
//! `", "` / `": "` separators, ASCII-only output (`\uXXXX` in lowercase hex, surrogate pairs
//! above the BMP, short escapes for `\" \\ \b \f \n \r \t`), no trailing newline. Entries are
//! sorted by the whole relpath string in byte order (`a-b/x` < `a.b` < `a/b`), which for UTF-8
//! equals Python's code-point order. The oid is `md5(bytes)` + `.dir`.
//!
//! Invariant: a [`Tree`] returned by [`Tree::parse`] holds only safe relative paths (no
//! absolute paths, no `.`/`..` or empty components, no NUL, on Windows no drive or UNC
//! prefixes and no `\`-separated `..`, no
//! duplicates, no path that is both a file and a directory), so callers may join relpaths
//! onto a workspace directory. This module touches no filesystem.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use md5::{Digest, Md5};

pub use crate::data::hash::Md5Digest;

/// One file of a directory out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TreeEntry {
    /// `/`-separated path relative to the directory out.
    pub relpath: String,
    /// The file's md5 (md5-dos2unix for legacy odbs), written as lowercase hex.
    pub md5: Md5Digest,
}

/// A `.dir` manifest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tree {
    /// Entries in manifest order (sorted when built with [`Tree::new`]).
    pub entries: Vec<TreeEntry>,
}

/// Why a `.dir` manifest was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TreeError {
    /// Not JSON at all.
    #[error("invalid .dir manifest: not valid JSON: {0}")]
    Json(String),
    /// JSON, but not a list of objects.
    #[error("invalid .dir manifest: expected a JSON list of objects")]
    NotAList,
    /// An entry lacks `md5` or `relpath`, or has a non-string one.
    #[error("invalid .dir manifest: entry {index} has no string `{key}`")]
    MissingKey {
        /// Position in the list.
        index: usize,
        /// The missing key.
        key: &'static str,
    },
    /// An entry's md5 is not 32 hex digits.
    #[error("invalid .dir manifest: entry {index} ({relpath:?}) has a malformed md5 {md5:?}")]
    BadMd5 {
        /// Position in the list.
        index: usize,
        /// The entry's path.
        relpath: String,
        /// The offending value.
        md5: String,
    },
    /// A path that could escape the directory or is otherwise unusable.
    #[error("unsafe path in .dir manifest: {relpath:?}: {reason}")]
    UnsafePath {
        /// The offending relpath.
        relpath: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The same relpath listed twice.
    #[error("invalid .dir manifest: duplicate path {0:?}")]
    Duplicate(String),
    /// A relpath that is also a parent directory of another entry.
    #[error("invalid .dir manifest: {0:?} is listed both as a file and as a directory")]
    FileDirConflict(String),
}

/// Check that `relpath` is a safe, normalized relative path (see module invariant).
pub fn check_relpath(relpath: &str) -> Result<(), TreeError> {
    let bad = |reason| {
        Err(TreeError::UnsafePath {
            relpath: relpath.to_string(),
            reason,
        })
    };
    if relpath.is_empty() {
        return bad("empty path");
    }
    if relpath.contains('\0') {
        return bad("contains NUL");
    }
    if relpath.starts_with('/') {
        return bad("absolute path");
    }
    // Windows reads `\` as a separator and `C:` as a drive. On Unix they are plain file
    // names, which dvc tracks and checks out: refusing them there would leave data that
    // `add` cached impossible to check out (found by `data::props`).
    #[cfg(windows)]
    {
        if relpath.starts_with('\\') {
            return bad("absolute path");
        }
        let b = relpath.as_bytes();
        if b.len() >= 2
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && matches!(b.get(2), None | Some(b'/' | b'\\'))
        {
            return bad("drive prefix");
        }
    }
    let separators: &[char] = if cfg!(windows) { &['/', '\\'] } else { &['/'] };
    for component in relpath.split('/') {
        if component.is_empty() {
            return bad("empty path component");
        }
        if component
            .split(separators)
            .any(|part| part == "." || part == "..")
        {
            return bad("`.` or `..` component");
        }
    }
    Ok(())
}

fn check_md5(index: usize, relpath: &str, md5: &str) -> Result<Md5Digest, TreeError> {
    Md5Digest::from_hex(md5).ok_or_else(|| TreeError::BadMd5 {
        index,
        relpath: relpath.to_string(),
        md5: md5.to_string(),
    })
}

/// Append `s` as a JSON string the way Python's `json.dumps(ensure_ascii=True)` does
/// (shared with the CLI's `--json` output).
pub fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// The oid dvc gives a `files:` list (`Tree.from_list(...).digest()`): the manifest bytes of
/// its (relpath, md5) pairs sorted by relpath, where an entry without an md5 is written as
/// `{"relpath": …}` alone. Equals [`Tree::oid`] when every entry has one.
pub fn listed_oid<'a>(entries: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> String {
    let mut sorted: Vec<(&str, Option<&str>)> = entries.into_iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::from("[");
    for (i, (relpath, md5)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('{');
        if let Some(m) = md5 {
            out.push_str("\"md5\": ");
            push_json_string(&mut out, m);
            out.push_str(", ");
        }
        out.push_str("\"relpath\": ");
        push_json_string(&mut out, relpath);
        out.push('}');
    }
    out.push(']');
    format!("{}.dir", hex::encode(Md5::digest(out.as_bytes())))
}

/// The oid of the manifest of `(relpath, raw md5)` pairs given in manifest order (sorted
/// by relpath bytes), streamed into the hasher: equals `Tree::new(...).oid()` without the
/// entries in memory.
pub fn oid_of_sorted<'a>(entries: impl Iterator<Item = (&'a str, [u8; 16])>) -> String {
    let mut h = Md5::new();
    let mut buf = String::with_capacity(CHUNK + 512);
    buf.push('[');
    for (i, (relpath, md5)) in entries.enumerate() {
        if i > 0 {
            buf.push_str(", ");
        }
        buf.push_str("{\"md5\": ");
        push_json_string(&mut buf, &Md5Digest(md5).hex());
        buf.push_str(", \"relpath\": ");
        push_json_string(&mut buf, relpath);
        buf.push('}');
        if buf.len() >= CHUNK {
            h.update(buf.as_bytes());
            buf.clear();
        }
    }
    buf.push(']');
    h.update(buf.as_bytes());
    format!("{}.dir", hex::encode(h.finalize()))
}

/// A manifest's entries read straight from JSON: each is checked and converted as it is
/// read (relpath safe, md5 well formed), and any problem is a plain failure for
/// [`Tree::parse`] to explain.
struct Entries(Vec<TreeEntry>);

impl<'de> serde::Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Entries, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw<'a> {
            #[serde(borrow)]
            md5: std::borrow::Cow<'a, str>,
            #[serde(borrow)]
            relpath: std::borrow::Cow<'a, str>,
        }
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of manifest entries")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Entries, A::Error> {
                let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(raw) = seq.next_element::<Raw<'de>>()? {
                    let index = entries.len();
                    check_relpath(&raw.relpath).map_err(serde::de::Error::custom)?;
                    let md5 = check_md5(index, &raw.relpath, &raw.md5)
                        .map_err(serde::de::Error::custom)?;
                    entries.push(TreeEntry {
                        relpath: raw.relpath.into_owned(),
                        md5,
                    });
                }
                entries.shrink_to_fit();
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_seq(Visit)
    }
}

/// Manifest bytes are hashed in pieces of about this size.
const CHUNK: usize = 64 << 10;

impl Tree {
    /// Build a manifest, sorting entries by relpath bytes (DVC's order).
    pub fn new(mut entries: Vec<TreeEntry>) -> Tree {
        entries.sort_by(|a, b| a.relpath.as_bytes().cmp(b.relpath.as_bytes()));
        Tree { entries }
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True for the empty directory manifest `[]`.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The exact bytes DVC writes for this manifest.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(2 + self.entries.len() * 80);
        self.write_json(|chunk| {
            out.push_str(chunk);
        });
        out.into_bytes()
    }

    /// Write [`Tree::to_bytes`] to `out` in pieces of about 64 KiB.
    pub fn write_to(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut result = Ok(());
        self.write_json(|chunk| {
            if result.is_ok() {
                result = out.write_all(chunk.as_bytes());
            }
        });
        result
    }

    /// The manifest's bytes in pieces of up to about 64 KiB, so that the oid of a
    /// million-entry manifest is taken without holding its 80 MB of JSON.
    fn write_json(&self, mut sink: impl FnMut(&str)) {
        let mut buf = String::with_capacity(CHUNK + 512);
        buf.push('[');
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                buf.push_str(", ");
            }
            buf.push_str("{\"md5\": ");
            push_json_string(&mut buf, &entry.md5.hex());
            buf.push_str(", \"relpath\": ");
            push_json_string(&mut buf, &entry.relpath);
            buf.push('}');
            if buf.len() >= CHUNK {
                sink(&buf);
                buf.clear();
            }
        }
        buf.push(']');
        sink(&buf);
    }

    /// The object id: md5 of [`Tree::to_bytes`] plus `.dir`.
    pub fn oid(&self) -> String {
        let mut h = Md5::new();
        self.write_json(|chunk| h.update(chunk.as_bytes()));
        format!("{}.dir", hex::encode(h.finalize()))
    }

    /// Parse and validate a manifest. Entry order is kept as stored; extra keys that older
    /// writers may have added to entries are ignored.
    pub fn parse(bytes: &[u8]) -> Result<Tree, TreeError> {
        // The common case straight into entries, each one checked as it is read: no
        // `serde_json::Value` of the whole list and no list of raw entries beside the result
        // (at a million entries each of those is tens of MB). Anything the fast reader
        // refuses goes through the precise reader below for the exact error.
        if let Ok(Entries(entries)) = serde_json::from_slice::<Entries>(bytes) {
            check_structure(&entries)?;
            return Ok(Tree { entries });
        }
        Self::parse_value(bytes)
    }

    /// [`Tree::parse`] through a `serde_json::Value`, which names what is wrong.
    fn parse_value(bytes: &[u8]) -> Result<Tree, TreeError> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| TreeError::Json(e.to_string()))?;
        let serde_json::Value::Array(items) = value else {
            return Err(TreeError::NotAList);
        };
        let mut entries = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let serde_json::Value::Object(map) = item else {
                return Err(TreeError::NotAList);
            };
            let get = |key: &'static str| {
                map.get(key)
                    .and_then(|v| v.as_str())
                    .ok_or(TreeError::MissingKey { index, key })
            };
            let relpath = get("relpath")?;
            let md5 = get("md5")?;
            check_relpath(relpath)?;
            let md5 = check_md5(index, relpath, md5)?;
            entries.push(TreeEntry {
                relpath: relpath.to_string(),
                md5,
            });
        }
        check_structure(&entries)?;
        Ok(Tree { entries })
    }

    /// Look up a file by relpath (linear; build a map for many lookups).
    pub fn get(&self, relpath: &str) -> Option<&TreeEntry> {
        // Manifests are sorted (dvc writes them so, and `Tree::new` sorts): a binary
        // search, with a scan only for a manifest that is not.
        if let Ok(i) = self
            .entries
            .binary_search_by(|e| e.relpath.as_str().cmp(relpath))
            && self.entries[i].relpath == relpath
        {
            return Some(&self.entries[i]);
        }
        if self.entries.is_sorted_by(|a, b| a.relpath <= b.relpath) {
            return None;
        }
        self.entries.iter().find(|e| e.relpath == relpath)
    }
}

/// No duplicates, and no relpath that is a proper ancestor directory of another.
fn check_structure(entries: &[TreeEntry]) -> Result<(), TreeError> {
    // A sorted manifest (every one dvc or git-dvc writes) is checked in place: duplicates
    // are neighbours, and a parent is found by binary search. No set of a million paths.
    if entries.is_sorted_by(|a, b| a.relpath.as_bytes() <= b.relpath.as_bytes()) {
        for w in entries.windows(2) {
            if w[0].relpath == w[1].relpath {
                return Err(TreeError::Duplicate(w[1].relpath.clone()));
            }
        }
        for entry in entries {
            let path = entry.relpath.as_str();
            for (i, _) in path.match_indices('/') {
                let parent = &path[..i];
                if entries
                    .binary_search_by(|e| e.relpath.as_bytes().cmp(parent.as_bytes()))
                    .is_ok()
                {
                    return Err(TreeError::FileDirConflict(parent.to_string()));
                }
            }
        }
        return Ok(());
    }
    let mut seen: HashSet<&str> = HashSet::with_capacity(entries.len());
    for entry in entries {
        if !seen.insert(entry.relpath.as_str()) {
            return Err(TreeError::Duplicate(entry.relpath.clone()));
        }
    }
    for entry in entries {
        let path = entry.relpath.as_str();
        for (i, _) in path.match_indices('/') {
            let parent = &path[..i];
            if seen.contains(parent) {
                return Err(TreeError::FileDirConflict(parent.to_string()));
            }
        }
    }
    Ok(())
}

/// Three-way merge of manifests for the merge driver.
///
/// For each relpath: equal on both sides → taken; changed (added, removed or modified) on
/// one side only → that side wins; changed differently on both sides → conflict. A merged
/// result in which one side's file is the other side's directory is a conflict too. On
/// conflict the sorted list of conflicting relpaths is returned.
pub fn merge(ancestor: &Tree, ours: &Tree, theirs: &Tree) -> Result<Tree, Vec<String>> {
    fn map(t: &Tree) -> BTreeMap<&str, Md5Digest> {
        t.entries
            .iter()
            .map(|e| (e.relpath.as_str(), e.md5))
            .collect()
    }
    let (a, o, t) = (map(ancestor), map(ours), map(theirs));
    let paths: BTreeSet<&str> = a.keys().chain(o.keys()).chain(t.keys()).copied().collect();
    let mut merged = Vec::new();
    let mut conflicts = Vec::new();
    for path in paths {
        let (av, ov, tv) = (a.get(path), o.get(path), t.get(path));
        let result = if ov == tv {
            ov
        } else if ov == av {
            tv
        } else if tv == av {
            ov
        } else {
            conflicts.push(path.to_string());
            continue;
        };
        if let Some(md5) = result {
            merged.push(TreeEntry {
                relpath: path.to_string(),
                md5: *md5,
            });
        }
    }
    if conflicts.is_empty()
        && let Err(TreeError::FileDirConflict(p) | TreeError::Duplicate(p)) =
            check_structure(&merged)
    {
        conflicts.push(p);
    }
    if conflicts.is_empty() {
        Ok(Tree::new(merged))
    } else {
        conflicts.sort();
        Err(conflicts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(relpath: &str, md5: &str) -> TreeEntry {
        TreeEntry {
            relpath: relpath.into(),
            md5: Md5Digest::from_hex(md5).expect("test md5"),
        }
    }

    /// Observed bytes from dvc 3.67.1 (spec §2).
    const OBSERVED: &str = r#"[{"md5": "60b725f10c9c85c70d97880dfe8191b3", "relpath": "a.txt"}, {"md5": "3e2b31c72181b87149ff995e7202c0e3", "relpath": "run.sh"}, {"md5": "3b5d5c3712955042212316173ccf37be", "relpath": "sub/b.txt"}, {"md5": "fa1f726044eed39debea9998ab700388", "relpath": "with space/c d.txt"}, {"md5": "7b774effe4a349c6dd82ad4f4f21d34c", "relpath": "\u00fc/\u00fc.bin"}]"#;

    #[test]
    fn observed_manifest_round_trips() {
        let tree = Tree::parse(OBSERVED.as_bytes()).expect("valid");
        assert_eq!(tree.entries[4].relpath, "ü/ü.bin");
        assert_eq!(tree.to_bytes(), OBSERVED.as_bytes());
        let resorted = Tree::new(tree.entries.iter().rev().cloned().collect());
        assert_eq!(resorted, tree);
        assert_eq!(
            tree.oid(),
            format!("{}.dir", hex::encode(Md5::digest(OBSERVED.as_bytes())))
        );
    }

    #[test]
    fn empty_dir_oid() {
        let tree = Tree::new(vec![]);
        assert_eq!(tree.to_bytes(), b"[]");
        assert_eq!(tree.oid(), "d751713988987e9331980363e24189ce.dir");
        assert_eq!(Tree::parse(b"[]"), Ok(tree));
    }

    #[test]
    fn sort_is_whole_string_byte_order() {
        let names = [
            "😀", "é", "a/b", "a.b", "a-b/x", "_/q", "A/z", "q\"\\", "tab\tx",
        ];
        let tree = Tree::new(
            names
                .iter()
                .map(|n| e(n, "d41d8cd98f00b204e9800998ecf8427e"))
                .collect(),
        );
        let got: Vec<&str> = tree.entries.iter().map(|e| e.relpath.as_str()).collect();
        assert_eq!(
            got,
            [
                "A/z", "_/q", "a-b/x", "a.b", "a/b", "q\"\\", "tab\tx", "é", "😀"
            ]
        );
    }

    #[test]
    fn escapes_like_python() {
        let tree = Tree::new(vec![e(
            "q\"\\\t\n\r\x08\x0c\x01\x7f/é😀",
            "d41d8cd98f00b204e9800998ecf8427e",
        )]);
        let expected = r#"[{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": "q\"\\\t\n\r\b\f\u0001\u007f/\u00e9\ud83d\ude00"}]"#;
        assert_eq!(String::from_utf8(tree.to_bytes()).expect("ascii"), expected);
        assert_eq!(Tree::parse(expected.as_bytes()).expect("valid"), tree);
    }

    /// Unsafe on Windows only, where `\\` separates and `C:` is a drive.
    const WINDOWS_ONLY: [&str; 7] = [
        "\\\\server\\share",
        "\\x",
        "C:",
        "C:\\x",
        "c:/x",
        "..\\x",
        "a\\..\\..\\x",
    ];

    #[test]
    fn get_finds_entries_of_sorted_and_unsorted_manifests() {
        let e = |p: &str| TreeEntry {
            relpath: p.into(),
            md5: Md5Digest::from_hex("d41d8cd98f00b204e9800998ecf8427e").expect("hex"),
        };
        let sorted = Tree::new(vec![e("b"), e("a/x"), e("c")]);
        let unsorted = Tree {
            entries: vec![e("c"), e("a/x"), e("b")],
        };
        for t in [&sorted, &unsorted] {
            for p in ["a/x", "b", "c"] {
                assert_eq!(t.get(p).map(|x| x.relpath.as_str()), Some(p));
            }
            assert!(t.get("a").is_none());
            assert!(t.get("d").is_none());
        }
    }

    #[test]
    fn rejects_hostile_paths() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/..",
            "./a",
            "a/./b",
            "a//b",
            "a/",
            "a\0b",
            "..",
        ]
        .into_iter()
        .chain(WINDOWS_ONLY.into_iter().filter(|_| cfg!(windows)))
        {
            let json =
                serde_json::json!([{"md5": "d41d8cd98f00b204e9800998ecf8427e", "relpath": bad}]);
            let err = Tree::parse(json.to_string().as_bytes()).expect_err(bad);
            assert!(
                matches!(err, TreeError::UnsafePath { .. }),
                "{bad:?}: {err}"
            );
        }
        for good in ["a:b", "a\\b", "...", "..a", "a..", " lead", "C:x"] {
            assert_eq!(check_relpath(good), Ok(()), "{good:?}");
        }
        // Plain names on Unix, where dvc tracks them too.
        #[cfg(unix)]
        for good in WINDOWS_ONLY {
            assert_eq!(check_relpath(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn rejects_malformed() {
        let m = "d41d8cd98f00b204e9800998ecf8427e";
        assert!(matches!(Tree::parse(b"{}"), Err(TreeError::NotAList)));
        assert!(matches!(Tree::parse(b"[1]"), Err(TreeError::NotAList)));
        assert!(matches!(
            Tree::parse(b"<<<<<<< HEAD"),
            Err(TreeError::Json(_))
        ));
        assert!(matches!(Tree::parse(b""), Err(TreeError::Json(_))));
        assert!(matches!(
            Tree::parse(br#"[{"relpath": "a"}]"#),
            Err(TreeError::MissingKey {
                index: 0,
                key: "md5"
            })
        ));
        assert!(matches!(
            Tree::parse(br#"[{"md5": 5, "relpath": "a"}]"#),
            Err(TreeError::MissingKey {
                index: 0,
                key: "md5"
            })
        ));
        assert!(matches!(
            Tree::parse(br#"[{"md5": "xyz", "relpath": "a"}]"#),
            Err(TreeError::BadMd5 { .. })
        ));
        let dup =
            format!(r#"[{{"md5": "{m}", "relpath": "a"}}, {{"md5": "{m}", "relpath": "a"}}]"#);
        assert_eq!(
            Tree::parse(dup.as_bytes()),
            Err(TreeError::Duplicate("a".into()))
        );
        let fd =
            format!(r#"[{{"md5": "{m}", "relpath": "a"}}, {{"md5": "{m}", "relpath": "a/b"}}]"#);
        assert_eq!(
            Tree::parse(fd.as_bytes()),
            Err(TreeError::FileDirConflict("a".into()))
        );
        // Uppercase hex is accepted and normalized.
        let up = r#"[{"md5": "D41D8CD98F00B204E9800998ECF8427E", "relpath": "a", "size": 0}]"#;
        assert_eq!(Tree::parse(up.as_bytes()).expect("ok").entries[0].md5, m);
    }

    #[test]
    fn oid_of_a_manifest_larger_than_one_chunk_is_the_md5_of_its_bytes() {
        let tree = Tree::new(
            (0..5000)
                .map(|i| e(&format!("d{:03}/f{i:06}.bin", i % 7), &format!("{i:032x}")))
                .collect(),
        );
        let bytes = tree.to_bytes();
        assert!(bytes.len() > 3 * (64 << 10));
        assert_eq!(
            tree.oid(),
            format!("{}.dir", hex::encode(Md5::digest(&bytes)))
        );
        assert_eq!(Tree::parse(&bytes).expect("valid"), tree);
        let streamed = oid_of_sorted(tree.entries.iter().map(|e| (e.relpath.as_str(), e.md5.0)));
        assert_eq!(streamed, tree.oid());
        let observed = Tree::parse(OBSERVED.as_bytes()).expect("valid");
        let streamed = oid_of_sorted(
            observed
                .entries
                .iter()
                .map(|e| (e.relpath.as_str(), e.md5.0)),
        );
        assert_eq!(streamed, observed.oid(), "escapes of non-ASCII relpaths");
        assert_eq!(oid_of_sorted(std::iter::empty()), Tree::new(vec![]).oid());
    }

    #[test]
    fn structure_is_checked_in_sorted_and_unsorted_manifests() {
        let m = "d41d8cd98f00b204e9800998ecf8427e";
        let list = |names: &[&str]| {
            let items: Vec<String> = names
                .iter()
                .map(|n| format!(r#"{{"md5": "{m}", "relpath": "{n}"}}"#))
                .collect();
            format!("[{}]", items.join(", "))
        };
        // Sorted: the parent is not next to its child (`a-b` and `a.c` sort between).
        assert_eq!(
            Tree::parse(list(&["a", "a-b", "a.c", "a/b"]).as_bytes()),
            Err(TreeError::FileDirConflict("a".into()))
        );
        assert_eq!(
            Tree::parse(list(&["x/a/b", "x/a/b/c/d"]).as_bytes()),
            Err(TreeError::FileDirConflict("x/a/b".into()))
        );
        assert_eq!(
            Tree::parse(list(&["a/b", "a"]).as_bytes()),
            Err(TreeError::FileDirConflict("a".into()))
        );
        assert_eq!(
            Tree::parse(list(&["b", "a", "b"]).as_bytes()),
            Err(TreeError::Duplicate("b".into()))
        );
        assert!(Tree::parse(list(&["a-b", "a.c", "a/b", "ab"]).as_bytes()).is_ok());
        assert!(Tree::parse(list(&["ab", "a/b", "a-b"]).as_bytes()).is_ok());
    }

    #[test]
    fn merge_three_way() {
        let (m1, m2, m3) = (
            "11111111111111111111111111111111",
            "22222222222222222222222222222222",
            "33333333333333333333333333333333",
        );
        let base = Tree::new(vec![
            e("keep", m1),
            e("ours-mod", m1),
            e("theirs-del", m1),
            e("both", m1),
        ]);
        let ours = Tree::new(vec![
            e("keep", m1),
            e("ours-mod", m2),
            e("theirs-del", m1),
            e("both", m2),
            e("new-o", m1),
        ]);
        let theirs = Tree::new(vec![
            e("keep", m1),
            e("ours-mod", m1),
            e("both", m2),
            e("new-t", m3),
        ]);
        let merged = merge(&base, &ours, &theirs).expect("clean");
        assert_eq!(
            merged,
            Tree::new(vec![
                e("both", m2),
                e("keep", m1),
                e("new-o", m1),
                e("new-t", m3),
                e("ours-mod", m2)
            ])
        );
        // Same path changed differently on both sides.
        let theirs2 = Tree::new(vec![
            e("keep", m1),
            e("ours-mod", m3),
            e("theirs-del", m1),
            e("both", m1),
        ]);
        assert_eq!(
            merge(&base, &ours, &theirs2),
            Err(vec!["ours-mod".to_string()])
        );
        // Deleted on one side, modified on the other.
        let ours3 = Tree::new(vec![
            e("keep", m1),
            e("ours-mod", m1),
            e("theirs-del", m2),
            e("both", m1),
        ]);
        assert_eq!(
            merge(&base, &ours3, &theirs),
            Err(vec!["theirs-del".to_string()])
        );
        // Added on both sides with different content.
        let a = Tree::new(vec![]);
        assert_eq!(
            merge(
                &a,
                &Tree::new(vec![e("x", m1)]),
                &Tree::new(vec![e("x", m2)])
            ),
            Err(vec!["x".to_string()])
        );
        // File on one side, directory on the other.
        assert_eq!(
            merge(
                &a,
                &Tree::new(vec![e("x", m1)]),
                &Tree::new(vec![e("x/y", m2)])
            ),
            Err(vec!["x".to_string()])
        );
    }
}

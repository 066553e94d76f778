//! Property tests with structured generators for the parsers and writers of untrusted
//! text (issue 15, part 4): the `.dvc` parser and its lossless editor, the YAML scalar
//! emitter (read back by a YAML 1.2 parser), the `.dir` parser and writer, the configobj
//! reader and writer, and the `.dvcignore` matcher.
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default; `scripts/fuzz.sh` runs many
//! more). Failures proptest finds are kept in `fuzz/regressions/` and replayed first on
//! every run; the hand-made hostile inputs in `fuzz/corpus/<target>/` are replayed by
//! [`corpus_replays`].

use crate::data::config::{Item, Table, Value};
use crate::data::config::{parse_configobj, render_level};
use crate::data::dvcfile::{self, Out, OutUpdate};
use crate::data::tree::{Tree, TreeEntry};
use crate::data::yaml;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

/// The runner's settings: regressions live in `fuzz/regressions/<file>.txt`.
fn config(file: &'static str) -> Config {
    Config {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(file))),
        ..Config::default()
    }
}

/// Characters that stress YAML quoting, JSON escaping and path handling.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => proptest::char::range('0', '9'),
        2 => proptest::sample::select(vec![
            ' ', '-', '_', '.', ':', '#', '\'', '"', '\\', '!', '&', '*', '?', '|', '>', '%',
            '@', '`', '{', '}', '[', ']', ',', '=', '~', '\t', 'é', 'ü', 'ß', '日', '本', '🦀',
            '\u{a0}', '\u{feff}', '\u{2028}', '\u{85}', '\r', '\n', '\u{7f}', '\u{1}',
        ]),
    ]
}

fn tricky_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(tricky_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

/// A path component dvc accepts in an out (no `/`, not `.` or `..`, no line breaks or
/// control characters, which git and dvc refuse in paths).
fn component() -> impl Strategy<Value = String> {
    tricky_string(12)
        .prop_map(|s| {
            s.chars()
                .filter(|c| *c != '/' && !c.is_control() && *c != '\u{2028}' && *c != '\u{85}')
                .collect::<String>()
        })
        .prop_filter("a real name", |s| {
            !s.is_empty() && s != "." && s != ".." && s.trim() == s && !s.starts_with('~')
        })
}

fn rel_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(component(), 1..4).prop_map(|v| v.join("/"))
}

fn md5() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(b"0123456789abcdef".to_vec()), 32)
        .prop_map(|v| String::from_utf8(v).unwrap_or_default())
}

fn out() -> impl Strategy<Value = Out> {
    (
        rel_path(),
        md5(),
        any::<bool>(),
        0u64..u64::from(u32::MAX),
        1u64..100_000,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(path, md5, is_dir, size, nfiles, isexec, cache)| Out {
            path,
            md5: Some(if is_dir { format!("{md5}.dir") } else { md5 }),
            size: Some(size),
            nfiles: is_dir.then_some(nfiles),
            isexec: isexec && !is_dir,
            hash: Some("md5".into()),
            cache,
            ..Out::default()
        })
}

/// The meaning of an out that the properties compare.
fn meaning(o: &Out) -> (String, Option<String>, Option<u64>, Option<u64>, bool, bool) {
    (
        o.path.clone(),
        o.md5.clone(),
        o.size,
        o.nfiles,
        o.isexec,
        o.cache,
    )
}

proptest! {
    #![proptest_config(config("fuzz/regressions/dvcfile.txt"))]

    /// What `render_new` writes parses back to the same outs.
    #[test]
    fn dvcfile_render_then_parse(outs in proptest::collection::vec(out(), 1..4)) {
        let text = dvcfile::render_new(&outs);
        let parsed = dvcfile::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let got: Vec<_> = parsed.outs.iter().map(meaning).collect();
        let want: Vec<_> = outs.iter().map(meaning).collect();
        prop_assert_eq!(got, want, "{}", text);
    }

    /// The editor changes what it is asked to and nothing else: no update leaves the
    /// bytes as they were; an update of one out changes its meaning only.
    #[test]
    fn dvcfile_edit_is_lossless(
        outs in proptest::collection::vec(out(), 1..4),
        pick in any::<prop::sample::Index>(),
        new in out(),
        comment in tricky_string(20),
    ) {
        let comment: String = comment.chars().filter(|c| !c.is_control() && *c != '\u{2028}' && *c != '\u{85}' && *c != '\u{feff}').collect();
        let text = format!("# {comment}\n{}", dvcfile::render_new(&outs));
        prop_assert_eq!(dvcfile::rewrite(&text, &[]).map_err(|e| TestCaseError::fail(e.to_string()))?, text.clone());
        let i = pick.index(outs.len());
        let update = OutUpdate::from_out(&Out { path: outs[i].path.clone(), ..new.clone() });
        let edited = dvcfile::rewrite(&text, &[(i, update)]).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert!(edited.starts_with(&format!("# {comment}\n")), "the comment survives:\n{}", edited);
        let parsed = dvcfile::parse(&edited).map_err(|e| TestCaseError::fail(format!("{e}\n{edited}")))?;
        for (j, o) in parsed.outs.iter().enumerate() {
            if j == i {
                let (path, md5, size, nfiles, isexec, _) = meaning(o);
                prop_assert_eq!(path, outs[i].path.clone());
                prop_assert_eq!(md5, new.md5.clone());
                prop_assert_eq!(size, new.size);
                prop_assert_eq!(nfiles, new.nfiles);
                prop_assert_eq!(isexec, new.isexec);
            } else {
                prop_assert_eq!(meaning(o), meaning(&outs[j]));
            }
        }
    }

    /// Any text at all: the parser answers (never panics), and what it accepts the editor
    /// rewrites without change.
    #[test]
    fn dvcfile_parse_anything(text in tricky_string(200)) {
        // An edit writes LF line ends, as dvc's dump does; nothing else changes.
        if dvcfile::parse(&text).is_ok()
            && let Ok(same) = dvcfile::rewrite(&text, &[])
        {
            prop_assert_eq!(same, text.replace("\r\n", "\n").replace('\r', "\n"));
        }
    }
}

proptest! {
    #![proptest_config(config("fuzz/regressions/yaml.txt"))]

    /// The emitter's scalar, as the value of a key, is read back as the same string, at
    /// any column, by the reader git-dvc uses (serde_yaml, libyaml) and by a YAML 1.2
    /// parser (yaml-rust2). The one difference between them: a raw U+2028/U+2029, which
    /// ruamel writes inside quotes, is a line break to YAML 1.1 readers (ruamel's and
    /// libyaml, which keep it) and a plain character to YAML 1.2 (which then keeps the
    /// continuation's indent too); git-dvc keeps ruamel's bytes there.
    #[test]
    fn yaml_scalar_reads_back(value in tricky_string(120), column in 0usize..70) {
        let key = "k";
        let pad = " ".repeat(column);
        let line = yaml::key_value(key, &value, column, column);
        let doc = format!("{pad}{line}\n");
        let ours: serde_yaml::Value = serde_yaml::from_str(&doc)
            .map_err(|e| TestCaseError::fail(format!("{e}: {doc:?}")))?;
        prop_assert_eq!(ours[key].as_str(), Some(value.as_str()), "serde_yaml: {:?}", doc);
        if !value.contains(['\u{2028}', '\u{2029}']) {
            let docs = yaml_rust2::YamlLoader::load_from_str(&doc)
                .map_err(|e| TestCaseError::fail(format!("{e}: {doc:?}")))?;
            let got = docs.first().and_then(|d| d[key].as_str().map(str::to_string));
            prop_assert_eq!(got, Some(value.clone()), "yaml 1.2: {:?}", doc);
        }
    }
}

fn tree_entry() -> impl Strategy<Value = TreeEntry> {
    (rel_path(), md5()).prop_map(|(relpath, md5)| TreeEntry {
        relpath,
        md5: crate::data::hash::Md5Digest::from_hex(&md5).unwrap_or_default(),
    })
}

proptest! {
    #![proptest_config(config("fuzz/regressions/tree.txt"))]

    /// A manifest written by [`Tree::to_bytes`] parses back to the same entries, and its
    /// oid is the md5 of those bytes.
    #[test]
    fn tree_write_then_parse(entries in proptest::collection::vec(tree_entry(), 0..20)) {
        let mut seen = std::collections::HashSet::new();
        let entries: Vec<TreeEntry> = entries.into_iter().filter(|e| seen.insert(e.relpath.clone())).collect();
        // A path that is both a file and a directory is no tree (the parser says so).
        let names: std::collections::HashSet<&str> = entries.iter().map(|e| e.relpath.as_str()).collect();
        let clash = entries.iter().any(|e| {
            e.relpath.match_indices('/').any(|(i, _)| names.contains(&e.relpath[..i]))
        });
        prop_assume!(!clash);
        let tree = Tree::new(entries);
        let bytes = tree.to_bytes();
        let back = Tree::parse(&bytes).map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&bytes))))?;
        prop_assert_eq!(&back, &tree);
        prop_assert_eq!(tree.oid(), format!("{}.dir", crate::data::hash::md5_bytes(&bytes)));
    }

    /// Any bytes: the parser answers, and never accepts a relpath that escapes.
    #[test]
    fn tree_parse_anything(bytes in proptest::collection::vec(any::<u8>(), 0..300), text in tricky_string(100)) {
        for input in [bytes, format!("[{{\"md5\": \"{}\", \"relpath\": \"{}\"}}]", "0".repeat(32), text.replace('\\', "\\\\").replace('"', "\\\"")).into_bytes()] {
            if let Ok(tree) = Tree::parse(&input) {
                for e in &tree.entries {
                    prop_assert!(crate::data::tree::check_relpath(&e.relpath).is_ok(), "{:?}", e.relpath);
                }
            }
        }
    }
}

/// A config key or section name configobj keeps as it is.
fn config_name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,10}"
}

/// A value: any text without line breaks (a config value is one line).
fn config_value() -> impl Strategy<Value = String> {
    tricky_string(30).prop_map(|s| {
        s.chars()
            .filter(|c| {
                !matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{feff}') && !c.is_control()
            })
            .collect()
    })
}

fn config_table() -> impl Strategy<Value = Table> {
    proptest::collection::vec(
        (
            config_name(),
            proptest::collection::vec((config_name(), config_value()), 0..5),
        ),
        0..4,
    )
    .prop_map(|sections| {
        let mut t = Table::new();
        for (name, keys) in sections {
            let section = t.table_mut(&name);
            for (k, v) in keys {
                section.insert(k, Item::Value(Value::Str(v)));
            }
        }
        t
    })
}

proptest! {
    #![proptest_config(config("fuzz/regressions/configobj.txt"))]

    /// What the writer writes the reader reads back, value for value; a value it cannot
    /// write is refused, never written wrong.
    #[test]
    fn configobj_write_then_read(table in config_table()) {
        if let Ok(text) = render_level(&table) {
            let back = parse_configobj(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            for (section, item) in table.iter() {
                let Item::Table(keys) = item else { continue };
                for (k, v) in keys.iter() {
                    let Item::Value(Value::Str(want)) = v else { continue };
                    let got = back.table(section).and_then(|s| s.str(k)).map(str::to_string);
                    prop_assert_eq!(got, Some(want.clone()), "[{}] {} in\n{}", section, k, text);
                }
            }
        }
    }

    /// Any bytes: the reader answers.
    #[test]
    fn configobj_read_anything(bytes in proptest::collection::vec(any::<u8>(), 0..300), text in tricky_string(200)) {
        let _ = parse_configobj(&bytes);
        let _ = parse_configobj(text.as_bytes());
    }
}

proptest! {
    #![proptest_config(Config { cases: 32, ..config("fuzz/regressions/dvcignore.txt") })]

    /// Any `.dvcignore` text and any path: the matcher answers (an invalid pattern file is
    /// an error, never a panic), and a literal name pattern ignores that name.
    #[test]
    fn dvcignore_matches_anything(patterns in proptest::collection::vec(tricky_string(16), 0..6), path in rel_path(), name in "[a-z]{1,8}") {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut text = patterns.join("\n");
        text.push_str(&format!("\n{name}\n"));
        fs_err::write(dir.path().join(".dvcignore"), &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Ok(ignore) = crate::data::ignore::DvcIgnore::for_dir(dir.path(), dir.path()) {
            let _ = ignore.is_ignored(&dir.path().join(&path), false);
            let _ = ignore.is_ignored(&dir.path().join(&path), true);
            prop_assert!(ignore.is_ignored(&dir.path().join(&name), false), "{:?}", text);
        }
    }
}

/// The hand-made hostile inputs of `fuzz/corpus/<target>/`: each parser answers each one
/// without panicking, and what the `.dvc` parser accepts the editor keeps byte for byte.
#[test]
fn corpus_replays() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut seen = 0;
    for target in ["dvcfile", "tree", "configobj"] {
        let dir = root.join(target);
        let Ok(entries) = fs_err::read_dir(&dir) else {
            panic!("the corpus directory {} is missing", dir.display());
        };
        for entry in entries.flatten() {
            let bytes = fs_err::read(entry.path()).expect("read a corpus file");
            seen += 1;
            match target {
                "dvcfile" => {
                    let text = String::from_utf8_lossy(&bytes);
                    if dvcfile::parse(&text).is_ok()
                        && let Ok(same) = dvcfile::rewrite(&text, &[])
                    {
                        assert_eq!(
                            same,
                            text.replace("\r\n", "\n").replace('\r', "\n"),
                            "{}",
                            entry.path().display()
                        );
                    }
                    let _ = dvcfile::parse_lock(&text);
                }
                "tree" => {
                    if let Ok(tree) = Tree::parse(&bytes) {
                        for e in &tree.entries {
                            assert!(
                                crate::data::tree::check_relpath(&e.relpath).is_ok(),
                                "{}: {:?}",
                                entry.path().display(),
                                e.relpath
                            );
                        }
                    }
                }
                _ => {
                    let _ = parse_configobj(&bytes);
                }
            }
        }
    }
    assert!(seen >= 10, "the corpus has only {seen} files");
}

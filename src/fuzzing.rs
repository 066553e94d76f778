//! Fuzz targets (issue 15, part 4): one function per parser or writer of untrusted input,
//! each taking arbitrary bytes and panicking only when a property fails.
//!
//! The coverage-guided driver is `fuzz/` (afl.rs with AFL++; `scripts/afl.sh` builds and
//! runs it). The corpus it keeps, minimized, is checked in under `fuzz/corpus/<target>/`
//! and replayed through these same functions by `cargo test` (see [`TARGETS`]), so a
//! crash once found stays fixed. Structured property tests of the same code are in
//! `src/data/props.rs`.
//!
//! This module is compiled for tests and under the `fuzzing` feature only.

use crate::data::config::{compact, parse_configobj, parse_named, render_level};
use crate::data::dvcfile::{self, OutUpdate};
use crate::data::hash::md5_bytes;
use crate::data::ignore::DvcIgnore;
use crate::data::tree::{Tree, check_relpath};
use crate::data::yaml;
use crate::filter::pktline::{MAX_PAYLOAD, Packet, Reader, Writer};
use std::io::Cursor;

/// A fuzz target: it panics when a property fails for the input.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus directory under `fuzz/corpus/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("dvcfile", dvcfile),
    ("lock", lock),
    ("yaml", yaml_scalar),
    ("tree", tree),
    ("configobj", configobj),
    ("dvcignore", dvcignore),
    ("pktline", pktline),
];

/// The `.dvc` parser and its lossless editor: the parser answers anything; what it
/// accepts the editor rewrites unchanged (line ends aside) when nothing is edited; an
/// edit of one out changes that out's meaning only, and its result parses again.
pub fn dvcfile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        let _ = dvcfile::parse(&String::from_utf8_lossy(data));
        return;
    };
    let _ = dvcfile::stage_md5(text);
    let Ok(parsed) = dvcfile::parse(text) else {
        return;
    };
    if let Ok(same) = dvcfile::rewrite(text, &[]) {
        assert_eq!(
            same,
            text.replace("\r\n", "\n").replace('\r', "\n"),
            "an edit of nothing changed the bytes"
        );
    }
    let Some(first) = parsed.outs.first() else {
        return;
    };
    let mut new = first.clone();
    new.md5 = Some(md5_bytes(data));
    new.size = Some(data.len() as u64);
    new.nfiles = None;
    new.hash = Some("md5".into());
    let Ok(edited) = dvcfile::rewrite(text, &[(0, OutUpdate::from_out(&new))]) else {
        return;
    };
    let again = dvcfile::parse(&edited)
        .unwrap_or_else(|e| panic!("an edited .dvc no longer parses: {e}\n{edited}"));
    assert_eq!(
        again.outs.len(),
        parsed.outs.len(),
        "an edit changed the outs\n{edited}"
    );
    assert_eq!(again.outs[0].md5, new.md5, "the edit was lost\n{edited}");
    assert_eq!(again.outs[0].size, new.size, "the edit was lost\n{edited}");
    assert_eq!(
        again.outs[0].path, first.path,
        "the edited out moved\n{edited}"
    );
    for (was, now) in parsed.outs.iter().zip(&again.outs).skip(1) {
        assert_eq!(was, now, "an out that was not edited changed\n{edited}");
    }
}

/// The `dvc.lock` parser and editor: anything gets an answer; what parses, rewritten
/// with no updates, parses to the same stages.
pub fn lock(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(parsed) = dvcfile::parse_lock(&text) else {
        return;
    };
    for stage in &parsed.stages {
        let Ok(same) = dvcfile::rewrite_lock(&text, &stage.name, &[]) else {
            continue;
        };
        let again = dvcfile::parse_lock(&same)
            .unwrap_or_else(|e| panic!("a rewritten dvc.lock no longer parses: {e}\n{same}"));
        assert_eq!(
            again, parsed,
            "a rewrite of nothing changed the meaning\n{same}"
        );
    }
}

/// The YAML scalar emitter: the first byte picks the column, the rest (as UTF-8) is the
/// value. What is written is read back as the same string by libyaml (serde_yaml, the
/// reader git-dvc uses) and by a YAML 1.2 parser (yaml-rust2), except that a raw
/// U+2028/U+2029, which ruamel writes inside quotes, is a line break to YAML 1.1.
pub fn yaml_scalar(data: &[u8]) {
    let Some((&col, rest)) = data.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(rest) else {
        return;
    };
    let column = usize::from(col % 72);
    let doc = format!(
        "{}{}\n",
        " ".repeat(column),
        yaml::key_value("k", value, column, column)
    );
    let ours = dvcfile::load_yaml(&doc)
        .unwrap_or_else(|e| panic!("git-dvc's reader refuses {doc:?}: {e}"));
    assert_eq!(
        ours["k"].as_str(),
        Some(value),
        "git-dvc's reader reads {doc:?} otherwise"
    );
    if !value.contains(['\u{2028}', '\u{2029}']) {
        let docs = yaml_rust2::YamlLoader::load_from_str(&doc)
            .unwrap_or_else(|e| panic!("YAML 1.2 refuses {doc:?}: {e}"));
        let read = docs.first().map(|d| &d["k"]);
        // yaml-rust2 takes more plain scalars for numbers than YAML 1.2's core schema
        // (`0x-1`, `+-5`, `.3e35555` as infinity); ruamel, dvc's reader, takes them for
        // strings, and so they are written plain, as ruamel writes them.
        let wider = matches!(
            read,
            Some(yaml_rust2::Yaml::Integer(_) | yaml_rust2::Yaml::Real(_))
        ) && !dvcfile::ruamel_number(value);
        if !wider {
            let got = read.and_then(|k| k.as_str());
            assert_eq!(got, Some(value), "YAML 1.2 reads {doc:?} otherwise");
        }
    }
}

/// The `.dir` parser and writer: anything gets an answer; no accepted relpath escapes;
/// what is accepted, written again, parses to the same tree, and its oid is the md5 of
/// the written bytes.
pub fn tree(data: &[u8]) {
    let Ok(tree) = Tree::parse(data) else {
        return;
    };
    for e in &tree.entries {
        assert!(
            check_relpath(&e.relpath).is_ok(),
            "accepted {:?}",
            e.relpath
        );
    }
    let bytes = tree.to_bytes();
    let back = Tree::parse(&bytes).unwrap_or_else(|e| {
        panic!(
            "a written .dir does not parse: {e}\n{}",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(back, tree, "a written .dir reads back otherwise");
    assert_eq!(back.to_bytes(), bytes, "writing is not stable");
    assert_eq!(tree.oid(), format!("{}.dir", md5_bytes(&bytes)));
}

/// The configobj reader and writer: anything gets an answer; what is read and can be
/// written reads back as the same table, less the empty top-level entries the writer
/// drops (dvc's `compact`).
pub fn configobj(data: &[u8]) {
    // As dvc loads a level: configobj's tree, then `remote "x"` sections folded.
    let Ok(table) = parse_configobj(data).map(parse_named) else {
        return;
    };
    let Ok(text) = render_level(&table) else {
        return;
    };
    let back = parse_configobj(text.as_bytes())
        .map(parse_named)
        .unwrap_or_else(|e| panic!("written config does not read back: {e}\n{text}"));
    // The writer drops empty top-level entries, as dvc's `compact` does before saving,
    // and writes each section's values before its subsections, as configobj does.
    assert_eq!(
        values_first(&compact(&back)),
        values_first(&compact(&table)),
        "written config reads back otherwise\n{text}"
    );
}

/// `table` with each section's values before its subsections (otherwise in order).
fn values_first(table: &crate::data::config::Table) -> crate::data::config::Table {
    use crate::data::config::{Item, Table};
    let mut out = Table::new();
    for (k, v) in table.iter().filter(|(_, v)| matches!(v, Item::Value(_))) {
        out.insert(k, v.clone());
    }
    for (k, v) in table.iter() {
        if let Item::Table(t) = v {
            out.insert(k, Item::Table(values_first(t)));
        }
    }
    out
}

/// The `.dvcignore` matcher: the bytes before the first NUL are a `.dvcignore`, the
/// rest paths, one a line. An invalid pattern file is an error, never a panic; a path
/// under an ignored directory is ignored.
pub fn dvcignore(data: &[u8]) {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (patterns, paths) = data.split_at(split);
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let root = dir.path();
    if fs_err::write(root.join(".dvcignore"), patterns).is_err() {
        return;
    }
    let Ok(ignore) = DvcIgnore::for_dir(root, root) else {
        return;
    };
    let paths = String::from_utf8_lossy(paths.get(1..).unwrap_or_default()).into_owned();
    for rel in paths.lines().take(16) {
        let rel = rel.trim_matches('/');
        if rel.is_empty()
            || rel
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            continue;
        }
        let abs = root.join(rel);
        let as_dir = ignore.is_ignored(&abs, true);
        let _ = ignore.is_ignored(&abs, false);
        let _ = ignore.matched_pattern(&abs, false);
        let _ = crate::data::ignore::check_ignore(root, &abs);
        if as_dir
            && ignore
                .matched_pattern(&abs, true)
                .is_some_and(|(ign, _, _)| ign)
        {
            // git's rule, which dvc follows: nothing below an ignored directory comes back.
            let below = crate::data::ignore::check_ignore(root, &abs.join("x"));
            assert!(
                below.map(|c| c.ignored).unwrap_or(true),
                "{rel}/x is not ignored under an ignored {rel}"
            );
        }
    }
}

/// The pkt-line codec: the reader answers anything, in bounded steps, with no payload
/// over the protocol's limit; what it reads, written again, reads back the same.
pub fn pktline(data: &[u8]) {
    let Some((&mode, stream)) = data.split_first() else {
        return;
    };
    let mut r = Reader::new(Cursor::new(stream));
    let mut packets = Vec::new();
    for _ in 0..4096 {
        let step = match mode % 4 {
            0 => r.read_packet().map(|p| p.into_iter().collect::<Vec<_>>()),
            1 => r.read_text_list().map(|l| {
                l.map(|l| {
                    l.into_iter()
                        .map(|t| Packet::Data(format!("{t}\n").into_bytes()))
                        .chain([Packet::Flush])
                        .collect()
                })
                .unwrap_or_default()
            }),
            2 => r
                .read_content()
                .map(|c| vec![Packet::Data(c), Packet::Flush]),
            _ => r.read_line_list().map(|l| {
                l.map(|l| {
                    l.into_iter()
                        .map(Packet::Data)
                        .chain([Packet::Flush])
                        .collect()
                })
                .unwrap_or_default()
            }),
        };
        match step {
            Ok(got) if got.is_empty() => break,
            Ok(got) => packets.extend(got),
            Err(_) => return,
        }
    }
    if mode % 4 != 0 {
        // The list readers reshape what they read; the round trip below is for packets.
        return;
    }
    let mut w = Writer::new(Vec::new());
    for p in &packets {
        match p {
            Packet::Data(d) => {
                assert!(d.len() <= MAX_PAYLOAD, "a payload of {} bytes", d.len());
                if d.is_empty() {
                    // `0004` can be read but git never writes it, nor does the writer.
                    return;
                }
                w.write_data(d).expect("write to memory");
            }
            Packet::Flush => w.write_flush().expect("write to memory"),
            Packet::Delim | Packet::ResponseEnd => return,
        }
    }
    let bytes = w.into_inner();
    let mut r = Reader::new(Cursor::new(bytes));
    for want in &packets {
        assert_eq!(r.read_packet().ok().flatten().as_ref(), Some(want));
    }
    assert!(matches!(r.read_packet(), Ok(None)));
}

#[cfg(test)]
mod tests {
    use super::TARGETS;

    /// Every input of `fuzz/corpus/<target>/` (afl's minimized queue plus the hand-made
    /// hostile cases) runs through its target again.
    #[test]
    fn corpus_replays_through_every_target() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
        for (name, target) in TARGETS {
            let dir = root.join(name);
            let entries = fs_err::read_dir(&dir)
                .unwrap_or_else(|e| panic!("the corpus of {name} is missing: {e}"));
            let mut seen = 0;
            let mut failing = Vec::new();
            for entry in entries.flatten() {
                let bytes = fs_err::read(entry.path()).expect("read a corpus file");
                if std::panic::catch_unwind(|| target(&bytes)).is_err() {
                    failing.push(entry.path().display().to_string());
                }
                seen += 1;
            }
            assert!(
                failing.is_empty(),
                "{name}: these inputs fail: {failing:#?}"
            );
            assert!(seen >= 3, "the corpus of {name} has {seen} inputs");
        }
    }
}

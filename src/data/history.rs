//! Outs recorded in pointer files across revisions, as plain data.
//!
//! The git side (`crate::git::history`) hands over, per revision, the pointer files'
//! paths and indexes into a table of distinct blob texts. This module turns them into
//! [`HistOut`]s: the cached outs (`cache: true`, with a hash) with their paths relative to
//! the DVC root. Each distinct blob is parsed once ([`PointerParser`] memoizes), so a
//! long history of mostly unchanged `.dvc` files costs one parse per version.
//!
//! `dvc.lock` outs take their `cache:` flag from the `dvc.yaml` *of the same revision*
//! (the workspace's `dvc.yaml` may say something else). Where that file is missing or
//! unreadable, the outs count as cached: keeping too much is safe, keeping too little is
//! not. For the same reason a lock stage missing from `dvc.yaml` still counts (dvc would
//! ignore it), and outs of `dvc import` stages count (dvc 3.67.1 skips repo imports in
//! `Output.get_used_objs`; their data still came from somewhere the user may lose).

pub mod diff;

use crate::data::dvcfile::{self, Out};
use crate::data::pipeline::StageFlags;
use crate::data::pointer::{self, PointerKind};
use crate::data::repo::{Stage, join_rel};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

/// A pointer file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("'{file}' validation failed: {reason}")]
pub struct PointerError {
    /// The file, relative to the DVC root.
    pub file: String,
    /// Why.
    pub reason: String,
}

/// A cached out at one revision.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistOut {
    /// Path relative to the DVC root, `/`-separated, lexically normalized.
    pub path: String,
    /// Recorded hash (`.dir` suffix for directories).
    pub md5: String,
    /// Legacy 2.x out (md5-dos2unix, legacy cache layout).
    pub legacy: bool,
    /// The pointer file that records it.
    pub file: String,
    /// The entries' md5s of a `files:` list (empty for other outs): used even when no
    /// cache holds the `.dir`.
    pub listed: Vec<String>,
}

/// The md5s a `files:` list names.
fn listed_md5s(o: &Out) -> Vec<String> {
    o.listed_tree()
        .map(|t| t.entries.into_iter().map(|e| e.md5.to_hex()).collect())
        .unwrap_or_default()
}

impl HistOut {
    /// A directory out.
    pub fn is_dir(&self) -> bool {
        self.md5.ends_with(".dir")
    }
    /// The object key used by gc: (oid, legacy).
    pub fn object(&self) -> (String, bool) {
        (self.md5.clone(), self.legacy)
    }
}

/// The cached outs of workspace stages.
pub fn from_stages(stages: &[Stage]) -> Vec<HistOut> {
    let mut out = Vec::new();
    for st in stages {
        for o in &st.outs {
            if let (true, Some(md5)) = (o.out.cache, o.out.md5.as_deref()) {
                out.push(HistOut {
                    path: o.rel.clone(),
                    md5: md5.to_string(),
                    legacy: o.out.is_legacy(),
                    file: st.file.clone(),
                    listed: listed_md5s(&o.out),
                });
            }
        }
    }
    out
}

/// What `dvc.yaml` text says about out flags and `wdir` (lenient, like
/// [`crate::data::pipeline::read_flags`], which reads a workspace file).
pub fn flags_from_yaml(text: &str) -> HashMap<String, StageFlags> {
    crate::data::pipeline::flags_from_text(text)
}

/// `base/path` folded lexically (`a/../b` -> `b`), `/`-separated.
fn resolve(base: &str, path: &str) -> String {
    let joined = join_rel(base, path);
    let norm = crate::data::pathsafe::normalize(Path::new(&joined));
    norm.to_string_lossy().replace('\\', "/")
}

fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

fn push_out(outs: &mut Vec<HistOut>, file: &str, base: &str, o: Out) {
    if !o.cache {
        return;
    }
    let legacy = o.is_legacy();
    let listed = listed_md5s(&o);
    if let Some(md5) = o.md5 {
        outs.push(HistOut {
            path: resolve(base, &o.path),
            md5,
            legacy,
            file: file.to_string(),
            listed,
        });
    }
}

/// Parse one pointer file. `yaml` is the text of the `dvc.yaml` beside a `dvc.lock`.
pub fn parse_pointer(
    rel: &str,
    text: &str,
    yaml: Option<&str>,
) -> Result<Vec<HistOut>, PointerError> {
    let perr = |e: dvcfile::ParseError| PointerError {
        file: rel.to_string(),
        reason: e.message,
    };
    let base = dir_of(rel);
    let mut outs = Vec::new();
    if pointer::classify(rel) == Some(PointerKind::Lock) {
        let lock = dvcfile::parse_lock(text).map_err(perr)?;
        let flags = yaml.map(flags_from_yaml).unwrap_or_default();
        for st in lock.stages {
            let stage_flags = flags.get(&st.name);
            let wdir = stage_flags.and_then(|f| f.wdir.clone()).unwrap_or_default();
            let stage_base = join_rel(base, &wdir);
            for mut o in st.outs {
                if let Some(f) = stage_flags.and_then(|f| f.outs.get(&o.path)) {
                    o.cache = f.cache;
                }
                push_out(&mut outs, rel, &stage_base, o);
            }
        }
    } else {
        let parsed = dvcfile::parse(text).map_err(perr)?;
        let wdir = parsed.wdir.clone().unwrap_or_default();
        let stage_base = join_rel(base, &wdir);
        for o in parsed.outs {
            push_out(&mut outs, rel, &stage_base, o);
        }
    }
    Ok(outs)
}

/// Parses the pointer files of many revisions, each distinct (blob, dvc.yaml blob) once.
pub struct PointerParser<'b> {
    blobs: &'b [String],
    memo: HashMap<(String, usize, Option<usize>), Rc<Vec<HistOut>>>,
}

impl<'b> PointerParser<'b> {
    /// A parser over a table of blob texts.
    pub fn new(blobs: &'b [String]) -> Self {
        PointerParser {
            blobs,
            memo: HashMap::new(),
        }
    }

    /// The cached outs of one revision, given its files as (path, blob index). `dvc.yaml`
    /// entries only supply flags.
    pub fn outs(&mut self, files: &[(String, usize)]) -> Result<Vec<HistOut>, PointerError> {
        let yaml_by_dir: HashMap<&str, usize> = files
            .iter()
            .filter(|(p, _)| pointer::classify(p) == Some(PointerKind::Pipeline))
            .map(|(p, i)| (dir_of(p), *i))
            .collect();
        let mut all = Vec::new();
        for (path, idx) in files {
            let kind = pointer::classify(path);
            if kind == Some(PointerKind::Pipeline) {
                continue;
            }
            let is_lock = kind == Some(PointerKind::Lock);
            let yaml = if is_lock {
                yaml_by_dir.get(dir_of(path)).copied()
            } else {
                None
            };
            let key = (path.clone(), *idx, yaml);
            let parsed = match self.memo.get(&key) {
                Some(p) => p.clone(),
                None => {
                    let text = self.blobs.get(*idx).map(String::as_str).unwrap_or("");
                    let yaml_text = yaml.and_then(|y| self.blobs.get(y)).map(String::as_str);
                    let p = Rc::new(parse_pointer(path, text, yaml_text)?);
                    self.memo.insert(key, p.clone());
                    p
                }
            };
            all.extend(parsed.iter().cloned());
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dvc_file_and_lock_outs() {
        let dvc = "outs:\n- md5: 3b5d5c3712955042212316173ccf37be\n  size: 2\n  hash: md5\n  path: ../x\n";
        let outs = parse_pointer("sub/x.dvc", dvc, None).unwrap();
        assert_eq!(outs.len(), 1);
        assert_eq!(outs[0].path, "x");
        assert!(!outs[0].legacy);

        let lock = "schema: '2.0'\nstages:\n  s:\n    cmd: c\n    outs:\n    - path: o\n      hash: md5\n      md5: 3b5d5c3712955042212316173ccf37be\n      size: 2\n    - path: n\n      md5: 60b725f10c9c85c70d97880dfe8191b3\n      size: 2\n";
        let yaml = "stages:\n  s:\n    cmd: c\n    wdir: w\n    outs:\n    - o\n    - n:\n        cache: false\n";
        let outs = parse_pointer("p/dvc.lock", lock, Some(yaml)).unwrap();
        assert_eq!(outs.len(), 1, "cache: false outs are not used");
        assert_eq!(outs[0].path, "p/w/o");
        let outs = parse_pointer("p/dvc.lock", lock, None).unwrap();
        assert_eq!(outs.len(), 2, "without dvc.yaml every out counts");
        assert!(outs[1].legacy);
    }

    #[test]
    fn parser_memoizes_and_reports_errors() {
        let blobs = vec![
            "outs:\n- md5: 3b5d5c3712955042212316173ccf37be\n  hash: md5\n  path: a\n".to_string(),
            "<<<<<<< ours\n".to_string(),
        ];
        let mut p = PointerParser::new(&blobs);
        let a = p
            .outs(&[("a.dvc".into(), 0), ("d/a.dvc".into(), 0)])
            .unwrap();
        assert_eq!(
            a.iter().map(|o| o.path.as_str()).collect::<Vec<_>>(),
            ["a", "d/a"]
        );
        assert!(p.outs(&[("b.dvc".into(), 1)]).is_err());
    }
}

//! `diff` between two snapshots of the outs (a revision, or the workspace), with dvc's
//! semantics (dvc 3.67.1 `dvc/repo/diff.py` over `dvc_data.index.diff`):
//!
//! - The roots are the paths of cached outs on either side. Each root is compared, and
//!   the files inside a directory out are compared one by one from the `.dir` manifests.
//! - An entry is *modified* when its hash or its kind (file vs directory) differs.
//! - When a side's manifest cannot be read (missing from the cache), the files below that
//!   root are *unknown* and not reported; the directory itself still is.
//! - An addition and a deletion with the same hash are a *rename*, matched in path order.
//! - Against the workspace, every old entry (changed or not) whose object is missing from
//!   the cache is listed as *not in cache*.
//!
//! Paths of directories carry a trailing `/`. Lists are sorted by path (old path for
//! renames), as `dvc diff` prints them.

use crate::data::history::HistOut;
use crate::data::odb::Odb;
use crate::data::tree::Tree;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

/// One entry of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The hash (`.dir` suffix for directory outs).
    pub md5: String,
    /// Legacy hash name (md5-dos2unix).
    pub legacy: bool,
    /// A directory out.
    pub isdir: bool,
}

/// The outs of one side, with directory contents expanded where the manifest is known.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// Out roots and files inside directory outs, by path.
    pub entries: BTreeMap<String, Entry>,
    /// Out root paths.
    pub roots: BTreeSet<String>,
    /// Directory roots whose contents are unknown (manifest missing or unreadable).
    pub unknown: BTreeSet<String>,
}

impl Snapshot {
    /// Add an out root.
    pub fn add_root(&mut self, path: &str, md5: &str, legacy: bool) {
        self.roots.insert(path.to_string());
        self.entries.insert(
            path.to_string(),
            Entry {
                md5: md5.to_string(),
                legacy,
                isdir: md5.ends_with(".dir"),
            },
        );
    }

    /// Add the files of a directory out from its manifest.
    pub fn add_tree(&mut self, root: &str, tree: &Tree, legacy: bool) {
        for e in &tree.entries {
            self.entries.insert(
                format!("{root}/{}", e.relpath),
                Entry {
                    md5: e.md5.to_hex(),
                    legacy,
                    isdir: false,
                },
            );
        }
    }

    /// A snapshot of recorded outs, reading `.dir` manifests from `odb`.
    pub fn from_outs(outs: &[HistOut], odb: &Odb) -> Snapshot {
        let mut s = Snapshot::default();
        for o in outs {
            s.add_root(&o.path, &o.md5, o.legacy);
            if o.is_dir() {
                let tree = odb
                    .read(&o.md5, o.legacy)
                    .ok()
                    .and_then(|b| Tree::parse(&b).ok());
                match tree {
                    Some(t) => s.add_tree(&o.path, &t, o.legacy),
                    None => {
                        s.unknown.insert(o.path.clone());
                    }
                }
            }
        }
        s
    }

    /// Children (files at any depth) below `key`.
    fn children(&self, key: &str) -> BTreeMap<String, Entry> {
        let prefix = format!("{key}/");
        self.entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Whether `key` is a directory here: a directory out, or a path with files below.
    fn is_directory(&self, key: &str) -> bool {
        self.entries.get(key).is_some_and(|e| e.isdir) || !self.children(key).is_empty()
    }

    /// Whether the contents of `key` cannot be listed.
    fn is_unknown(&self, key: &str) -> bool {
        self.unknown
            .iter()
            .any(|u| key == u || key.starts_with(&format!("{u}/")))
    }
}

/// Change kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Delete,
    Modify,
    Rename,
    Unchanged,
    Unknown,
}

#[derive(Debug, Clone)]
struct Change {
    kind: Kind,
    old: Option<(String, Entry)>,
    new: Option<(String, Entry)>,
}

fn diff_entry(old: Option<&Entry>, new: Option<&Entry>) -> Kind {
    match (old, new) {
        (None, Some(_)) => Kind::Add,
        (Some(_), None) => Kind::Delete,
        (Some(o), Some(n)) => {
            if o.isdir != n.isdir || o.md5 != n.md5 || o.legacy != n.legacy {
                Kind::Modify
            } else {
                Kind::Unchanged
            }
        }
        (None, None) => Kind::Unchanged,
    }
}

/// The result, in dvc's categories.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DiffResult {
    /// Added paths.
    pub added: Vec<String>,
    /// Deleted paths.
    pub deleted: Vec<String>,
    /// Modified paths.
    pub modified: Vec<String>,
    /// Renames: (old, new).
    pub renamed: Vec<(String, String)>,
    /// Old paths whose objects are not in the cache (workspace diffs only).
    pub not_in_cache: Vec<String>,
}

impl DiffResult {
    /// Nothing at all changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.deleted.is_empty()
            && self.modified.is_empty()
            && self.renamed.is_empty()
            && self.not_in_cache.is_empty()
    }
}

fn display(path: &str, e: &Entry) -> String {
    if e.isdir {
        format!("{path}/")
    } else {
        path.to_string()
    }
}

/// Compare `old` with `new`. `roots` limits the comparison (targets); None means every
/// out root of either side. `in_cache` answers "is this old object in the cache" and is
/// only consulted when `with_missing` (a workspace diff).
pub fn diff(
    old: &Snapshot,
    new: &Snapshot,
    roots: Option<&BTreeSet<String>>,
    with_missing: bool,
    in_cache: &(dyn Fn(&Entry) -> bool + Sync),
) -> DiffResult {
    diff_detailed(old, new, roots, false, with_missing, in_cache).result
}

/// [`diff`] plus what `data status` also needs: the unchanged and unknown paths, and a
/// `shallow` mode that compares out roots only (dvc's non-`--granular` view).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Detailed {
    /// The changes.
    pub result: DiffResult,
    /// Paths equal on both sides.
    pub unchanged: Vec<String>,
    /// Files below a directory whose manifest is not available (new side present).
    pub unknown: Vec<String>,
}

/// See [`Detailed`].
pub fn diff_detailed(
    old: &Snapshot,
    new: &Snapshot,
    roots: Option<&BTreeSet<String>>,
    shallow: bool,
    with_missing: bool,
    in_cache: &(dyn Fn(&Entry) -> bool + Sync),
) -> Detailed {
    let changes = collect_changes(old, new, roots, shallow);
    let mut unchanged = Vec::new();
    let mut unknown = Vec::new();
    for c in &changes {
        match c.kind {
            Kind::Unchanged => {
                if let Some((p, e)) = c.old.as_ref().or(c.new.as_ref()) {
                    unchanged.push(display(p, e));
                }
            }
            Kind::Unknown => {
                if let Some((p, e)) = &c.new {
                    unknown.push(display(p, e));
                }
            }
            _ => {}
        }
    }
    unchanged.sort();
    unknown.sort();
    Detailed {
        result: summarize(&changes, with_missing, in_cache),
        unchanged,
        unknown,
    }
}

fn collect_changes(
    old: &Snapshot,
    new: &Snapshot,
    roots: Option<&BTreeSet<String>>,
    shallow: bool,
) -> Vec<Change> {
    let all_roots: BTreeSet<String> = match roots {
        Some(r) => r.clone(),
        None => old.roots.union(&new.roots).cloned().collect(),
    };
    let mut changes: Vec<Change> = Vec::new();
    for root in &all_roots {
        let o = old.entries.get(root);
        let n = new.entries.get(root);
        if o.is_some() || n.is_some() {
            changes.push(Change {
                kind: diff_entry(o, n),
                old: o.map(|e| (root.clone(), e.clone())),
                new: n.map(|e| (root.clone(), e.clone())),
            });
        }
        if !shallow && (old.is_directory(root) || new.is_directory(root)) {
            let unknown = old.is_unknown(root) || new.is_unknown(root);
            let oc = old.children(root);
            let nc = new.children(root);
            let keys: BTreeSet<&String> = oc.keys().chain(nc.keys()).collect();
            for k in keys {
                let (o, n) = (oc.get(k), nc.get(k));
                let kind = if unknown {
                    Kind::Unknown
                } else {
                    diff_entry(o, n)
                };
                changes.push(Change {
                    kind,
                    old: o.map(|e| (k.clone(), e.clone())),
                    new: n.map(|e| (k.clone(), e.clone())),
                });
            }
        }
    }
    detect_renames(changes)
}

fn summarize(
    changes: &[Change],
    with_missing: bool,
    in_cache: &(dyn Fn(&Entry) -> bool + Sync),
) -> DiffResult {
    let mut r = DiffResult::default();
    for c in changes {
        match c.kind {
            Kind::Add => {
                if let Some((p, e)) = &c.new {
                    r.added.push(display(p, e));
                }
            }
            Kind::Delete => {
                if let Some((p, e)) = &c.old {
                    r.deleted.push(display(p, e));
                }
            }
            Kind::Modify => {
                if let Some((p, e)) = &c.old {
                    r.modified.push(display(p, e));
                }
            }
            Kind::Rename => {
                if let (Some((op, oe)), Some((np, ne))) = (&c.old, &c.new) {
                    r.renamed.push((display(op, oe), display(np, ne)));
                }
            }
            Kind::Unchanged | Kind::Unknown => {}
        }
        if with_missing
            && let Some((p, e)) = &c.old
            && !in_cache(e)
        {
            r.not_in_cache.push(display(p, e));
        }
    }
    r.added.sort();
    r.deleted.sort();
    r.modified.sort();
    r.renamed.sort_by(|a, b| a.0.cmp(&b.0));
    r.not_in_cache.sort();
    r
}

/// dvc_data's `_detect_renames`: an addition whose hash equals a deletion's is a rename;
/// both lists are taken in path order, deletions first-in first-out per hash.
fn detect_renames(changes: Vec<Change>) -> Vec<Change> {
    let mut out = Vec::new();
    let mut added = Vec::new();
    let mut deleted = Vec::new();
    for c in changes {
        match c.kind {
            Kind::Add => added.push(c),
            Kind::Delete => deleted.push(c),
            _ => out.push(c),
        }
    }
    let key = |c: &Change| {
        c.new
            .as_ref()
            .or(c.old.as_ref())
            .map(|(p, _)| p.clone())
            .unwrap_or_default()
    };
    added.sort_by_key(key);
    deleted.sort_by_key(key);
    let mut by_hash: HashMap<(String, bool), VecDeque<Change>> = HashMap::new();
    let mut order: Vec<(String, bool)> = Vec::new();
    for d in deleted {
        let Some((_, e)) = &d.old else { continue };
        let h = (e.md5.clone(), e.legacy);
        if !by_hash.contains_key(&h) {
            order.push(h.clone());
        }
        by_hash.entry(h).or_default().push_back(d);
    }
    for a in added {
        let matched = a
            .new
            .as_ref()
            .and_then(|(_, e)| by_hash.get_mut(&(e.md5.clone(), e.legacy)))
            .and_then(VecDeque::pop_front);
        match matched {
            Some(d) => out.push(Change {
                kind: Kind::Rename,
                old: d.old,
                new: a.new,
            }),
            None => out.push(a),
        }
    }
    for h in order {
        if let Some(q) = by_hash.remove(&h) {
            out.extend(q);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(c: char) -> String {
        std::iter::repeat_n(c, 32).collect()
    }

    #[test]
    fn files_dirs_renames_and_unknown() {
        let mut old = Snapshot::default();
        old.add_root("f", &m('1'), false);
        old.add_root("g", &m('2'), false);
        old.add_root("d", &format!("{}.dir", m('a')), false);
        old.entries.insert(
            "d/x".into(),
            Entry {
                md5: m('3'),
                legacy: false,
                isdir: false,
            },
        );
        old.entries.insert(
            "d/y".into(),
            Entry {
                md5: m('4'),
                legacy: false,
                isdir: false,
            },
        );
        let mut new = Snapshot::default();
        new.add_root("f", &m('5'), false);
        new.add_root("h", &m('2'), false);
        new.add_root("d", &format!("{}.dir", m('b')), false);
        new.entries.insert(
            "d/x".into(),
            Entry {
                md5: m('3'),
                legacy: false,
                isdir: false,
            },
        );
        new.entries.insert(
            "d/z".into(),
            Entry {
                md5: m('6'),
                legacy: false,
                isdir: false,
            },
        );
        let r = diff(&old, &new, None, true, &|e: &Entry| e.md5 != m('3'));
        assert_eq!(r.added, vec!["d/z"]);
        assert_eq!(r.deleted, vec!["d/y"]);
        assert_eq!(r.modified, vec!["d/", "f"]);
        assert_eq!(r.renamed, vec![("g".to_string(), "h".to_string())]);
        assert_eq!(r.not_in_cache, vec!["d/x"]);

        let mut unknown_new = new.clone();
        unknown_new.entries.retain(|k, _| !k.starts_with("d/"));
        unknown_new.unknown.insert("d".into());
        let r = diff(&old, &unknown_new, None, false, &|_: &Entry| true);
        assert_eq!(r.modified, vec!["d/", "f"]);
        assert!(r.added.is_empty() && r.deleted.is_empty());
    }
}

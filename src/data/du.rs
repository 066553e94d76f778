//! `du`: disk usage of what dvc's repository filesystem shows (dvc 3.67.1 `Repo.du` over
//! `DVCFileSystem`), for the workspace or for a git revision.
//!
//! The view is the union of plain files and the recorded outs:
//! - workspace: files on disk (symlinks followed), minus `.dvcignore`d paths, `.git`,
//!   `.dvc`, and the files dvc hides from listings (`*.dvc`, `.dvcignore`, `dvc.yaml`,
//!   `dvc.lock`; a hidden file named directly is still measured). An out missing from the
//!   workspace still shows with its recorded `size`; the files of a missing directory out
//!   come from its cached `.dir`, which records no sizes, so they count 0 (as in dvc).
//! - a revision: the blobs of its git tree (from the caller) and the outs its pointer
//!   files record, measured the same way.
//!
//! Sizes print as dvc's `naturalsize` (tqdm's `format_sizeof`, base 1024).

use crate::data::ignore::{self, DvcIgnore};
use crate::data::repo::{Repo, Stage};
use crate::data::tree::Tree;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// `du` errors, worded like the `OSError` dvc lets escape.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path is not in the view.
    #[error("[Errno 2] No such file or directory: '{0}'")]
    NotFound(String),
    /// Reading `.dvcignore` failed.
    #[error(transparent)]
    Ignore(#[from] ignore::Error),
}

/// A recorded out: its size and, for a directory, the files of its manifest.
#[derive(Debug, Clone)]
struct RecordedOut {
    size: u64,
    files: Option<BTreeSet<String>>,
}

/// What the filesystem part of the view is.
#[derive(Debug)]
enum Files {
    /// The workspace at the root.
    Workspace,
    /// Blob sizes of a git tree, by path relative to the root.
    Tree(BTreeMap<String, u64>),
}

/// The view `du` measures.
#[derive(Debug)]
pub struct View<'a> {
    root: &'a Path,
    files: Files,
    outs: BTreeMap<String, RecordedOut>,
}

/// One kind of node.
enum Node {
    File(u64),
    Dir,
    /// A recorded out missing from the files (its recorded size).
    Recorded(u64),
}

/// Names dvc hides from a listing.
fn hidden(name: &str) -> bool {
    crate::data::pointer::classify(name).is_some() || name == ignore::DVCIGNORE
}

fn outs_of(repo: &Repo, stages: &[Stage]) -> BTreeMap<String, RecordedOut> {
    let mut outs = BTreeMap::new();
    for st in stages {
        for o in st.outs.iter() {
            let files = match o.out.md5.as_deref() {
                Some(md5) if md5.ends_with(".dir") => repo
                    .odb
                    .read(md5, o.out.is_legacy())
                    .ok()
                    .and_then(|b| Tree::parse(&b).ok())
                    .map(|t| t.entries.iter().map(|e| e.relpath.clone()).collect()),
                _ => None,
            };
            let files = match (files, o.out.is_dir()) {
                (None, true) => Some(BTreeSet::new()),
                (f, _) => f,
            };
            outs.insert(
                o.rel.clone(),
                RecordedOut {
                    size: o.out.size.unwrap_or(0),
                    files,
                },
            );
        }
    }
    outs
}

impl<'a> View<'a> {
    /// The workspace of `repo` with the outs of its `stages`.
    pub fn workspace(repo: &'a Repo, stages: &[Stage]) -> View<'a> {
        View {
            root: &repo.root,
            files: Files::Workspace,
            outs: outs_of(repo, stages),
        }
    }

    /// A revision: `blobs` (path relative to the root, size) and the `stages` its pointer
    /// files record.
    pub fn revision(repo: &'a Repo, blobs: Vec<(String, u64)>, stages: &[Stage]) -> View<'a> {
        View {
            root: &repo.root,
            files: Files::Tree(blobs.into_iter().collect()),
            outs: outs_of(repo, stages),
        }
    }

    fn excluded(&self, rel: &str) -> Result<bool, Error> {
        if ignore::fixed_exclusion(rel, || true).is_some() {
            return Ok(true);
        }
        if !matches!(self.files, Files::Workspace) {
            return Ok(false);
        }
        let abs = self.root.join(rel);
        let parent = abs.parent().unwrap_or(self.root);
        let ig = DvcIgnore::for_dir(self.root, parent)?;
        if ig.is_empty() {
            return Ok(false);
        }
        // A path is out when it or any directory above it is ignored.
        let parts: Vec<&str> = rel.split('/').collect();
        for i in 1..=parts.len() {
            let p = self.root.join(parts[..i].join("/"));
            let is_dir = i < parts.len() || p.is_dir();
            if ig.is_ignored(&p, is_dir) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The recorded out `rel` is, or lies inside (with the path below it).
    fn recorded(&self, rel: &str) -> Option<(&RecordedOut, Option<String>)> {
        if let Some(o) = self.outs.get(rel) {
            return Some((o, None));
        }
        self.outs.iter().find_map(|(root, o)| {
            rel.strip_prefix(&format!("{root}/"))
                .map(|sub| (o, Some(sub.to_string())))
        })
    }

    fn node(&self, rel: &str) -> Result<Option<Node>, Error> {
        if rel.is_empty() {
            return Ok(Some(Node::Dir));
        }
        if self.excluded(rel)? {
            return Ok(None);
        }
        match &self.files {
            Files::Workspace => {
                if let Ok(m) = fs_err::metadata(self.root.join(rel)) {
                    return Ok(Some(if m.is_dir() {
                        Node::Dir
                    } else {
                        Node::File(m.len())
                    }));
                }
            }
            Files::Tree(blobs) => {
                if let Some(size) = blobs.get(rel) {
                    return Ok(Some(Node::File(*size)));
                }
                let prefix = format!("{rel}/");
                if blobs
                    .range(prefix.clone()..)
                    .next()
                    .is_some_and(|(k, _)| k.starts_with(&prefix))
                {
                    return Ok(Some(Node::Dir));
                }
            }
        }
        Ok(match self.recorded(rel) {
            Some((o, None)) => Some(Node::Recorded(o.size)),
            Some((o, Some(sub))) => {
                let files = o.files.as_ref();
                if files.is_some_and(|f| f.contains(&sub)) {
                    Some(Node::File(0))
                } else if files.is_some_and(|f| f.iter().any(|p| p.starts_with(&format!("{sub}/"))))
                {
                    Some(Node::Dir)
                } else {
                    None
                }
            }
            None => {
                // A directory that only holds missing outs.
                let prefix = format!("{rel}/");
                self.outs
                    .keys()
                    .any(|k| k.starts_with(&prefix))
                    .then_some(Node::Dir)
            }
        })
    }

    /// The names listed in directory `rel` (sorted).
    fn children(&self, rel: &str) -> Result<Vec<String>, Error> {
        let mut names = BTreeSet::new();
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        match &self.files {
            Files::Workspace => {
                if let Ok(rd) = fs_err::read_dir(self.root.join(rel)) {
                    for e in rd.flatten() {
                        names.insert(e.file_name().to_string_lossy().into_owned());
                    }
                }
            }
            Files::Tree(blobs) => {
                for k in blobs.keys().filter_map(|k| k.strip_prefix(&prefix)) {
                    names.insert(k.split('/').next().unwrap_or(k).to_string());
                }
            }
        }
        for k in self.outs.keys().filter_map(|k| k.strip_prefix(&prefix)) {
            names.insert(k.split('/').next().unwrap_or(k).to_string());
        }
        if let Some((o, sub)) = self.recorded(rel) {
            let inner = match sub {
                Some(s) => format!("{s}/"),
                None => String::new(),
            };
            for f in o.files.iter().flatten() {
                if let Some(rest) = f.strip_prefix(&inner) {
                    names.insert(rest.split('/').next().unwrap_or(rest).to_string());
                }
            }
        }
        let mut out = Vec::new();
        for n in names {
            let child = format!("{prefix}{n}");
            if hidden(&n) || self.excluded(&child)? {
                continue;
            }
            out.push(n);
        }
        Ok(out)
    }

    fn total(&self, rel: &str) -> Result<u64, Error> {
        Ok(match self.node(rel)? {
            Some(Node::File(s)) | Some(Node::Recorded(s)) => s,
            Some(Node::Dir) => {
                let prefix = if rel.is_empty() {
                    String::new()
                } else {
                    format!("{rel}/")
                };
                let mut sum = 0;
                for c in self.children(rel)? {
                    sum += self.total(&format!("{prefix}{c}"))?;
                }
                sum
            }
            None => 0,
        })
    }

    /// dvc's `Repo.du`: `(path, size)` rows for `path` (root-relative, `""` for the
    /// root): the entries of a directory and then the directory's total, or one row with
    /// `summarize` or for a file.
    pub fn du(&self, path: &str, summarize: bool) -> Result<Vec<(String, u64)>, Error> {
        let rel = path.trim_end_matches('/');
        // dvc names an excluded path as given, a missing one absolutely.
        if !rel.is_empty() && self.excluded(rel)? {
            return Err(Error::NotFound(path.to_string()));
        }
        let node = self
            .node(rel)?
            .ok_or_else(|| Error::NotFound(self.root.join(rel).display().to_string()))?;
        let is_dir = matches!(node, Node::Dir)
            || matches!(node, Node::Recorded(_))
                && self.outs.get(rel).is_some_and(|o| o.files.is_some());
        if summarize || !is_dir {
            return Ok(vec![(path.to_string(), self.total(rel)?)]);
        }
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        let mut rows = Vec::new();
        for c in self.children(rel)? {
            let child = format!("{prefix}{c}");
            let size = self.total(&child)?;
            rows.push((child, size));
        }
        let sum = rows.iter().map(|(_, s)| s).sum();
        rows.push((path.to_string(), sum));
        Ok(rows)
    }
}

/// dvc's `naturalsize`: bytes below 1024 as an integer, then tqdm's `format_sizeof`
/// with divisor 1024 (`1.00k`, `12.3M`, `123G`).
pub fn naturalsize(value: u64) -> String {
    if value < 1024 {
        return value.to_string();
    }
    let mut num = value as f64;
    for unit in ["", "k", "M", "G", "T", "P", "E", "Z"] {
        if num.abs() < 999.5 {
            if num.abs() < 99.95 {
                if num.abs() < 9.995 {
                    return format!("{num:1.2}{unit}");
                }
                return format!("{num:2.1}{unit}");
            }
            return format!("{num:3.0}{unit}");
        }
        num /= 1024.0;
    }
    format!("{num:3.1}Y")
}

#[cfg(test)]
mod tests {
    use super::naturalsize;

    #[test]
    fn sizes_as_dvc_prints_them() {
        assert_eq!(naturalsize(0), "0");
        assert_eq!(naturalsize(1023), "1023");
        assert_eq!(naturalsize(1024), "1.00k");
        assert_eq!(naturalsize(3000), "2.93k");
        assert_eq!(naturalsize(2_000_000), "1.91M");
        assert_eq!(naturalsize(1_000_000), "977k");
        assert_eq!(naturalsize(100 * 1024), "100k");
        assert_eq!(naturalsize(1023 * 1024), "1.00M");
    }
}

//! The registry commands' view of a source repository at one commit (dvc's
//! `DVCFileSystem` over a git revision): the files git tracks, merged with the outs its
//! `.dvc` and `dvc.lock` files record, directory outs expanded through their `.dir`
//! manifests. `ls` lists it, `get` and `import` resolve a path in it to what must be
//! downloaded.
//!
//! The caller (`worktree::registry`) reads the git tree and the pointer blobs and hands
//! them in; this module only decides. Every path that comes from the source (tree
//! entries, pointer paths, manifest entries) is untrusted: a path that is absolute,
//! contains `..` or leaves its directory is dropped from the view, and a requested path is
//! checked with [`check_source_path`] before anything is looked up.

use crate::data::dvcfile::{self, ImportSource, Out};
use crate::data::pathsafe;
use crate::data::tree::Tree;
use std::collections::{BTreeMap, BTreeSet};

/// Errors resolving a path in the view.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path is not in the source (dvc: `unexpected error - ['<path>']`).
    #[error("unexpected error - ['{0}']")]
    NotFound(String),
    /// The path is absolute or leaves the source's workspace.
    #[error("path '{0}' is outside of the source repository: it must be relative and without '..'")]
    Outside(String),
    /// A directory out's manifest is not available.
    #[error("the manifest of '{path}' ({md5}) is not available")]
    NoManifest {
        /// The out.
        path: String,
        /// Its `.dir` md5.
        md5: String,
    },
}

/// A file or directory of git's tree.
#[derive(Debug, Clone)]
pub struct GitEntry {
    /// Directory.
    pub is_dir: bool,
    /// Mode 100755.
    pub is_exec: bool,
    /// A symbolic link (never followed: dvc's git filesystem lists it as a file).
    pub is_link: bool,
    /// Blob or tree object id.
    pub oid: String,
    /// Object size.
    pub size: u64,
}

/// An out recorded by a pointer file of the source.
#[derive(Debug, Clone)]
pub struct SourceOut {
    /// The out.
    pub out: Out,
    /// The import the out's `.dvc` records, when it is itself an import (chained).
    pub import: Option<ImportSource>,
    /// The out's path relative to its pointer file's directory (what the import's dep
    /// path resolves against: the pointer's directory).
    pub dvcfile_dir: String,
}

/// Where the content of one file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A git blob.
    Git {
        /// Blob id.
        oid: String,
        /// Mode 100755.
        exec: bool,
    },
    /// A DVC object.
    Object {
        /// md5.
        md5: String,
        /// Executable.
        exec: bool,
    },
}

/// One item of a listing, as `dvc ls --json` names its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Path relative to the listed directory (or the file's name).
    pub path: String,
    /// Tracked by DVC (an out, or inside one).
    pub isout: bool,
    /// A directory.
    pub isdir: bool,
    /// Executable.
    pub isexec: bool,
    /// Size, when known.
    pub size: Option<u64>,
    /// md5 (`.dir` for a directory out), for what DVC tracks.
    pub md5: Option<String>,
}

/// A node of the view.
#[derive(Debug, Clone)]
enum Node<'a> {
    Git(&'a GitEntry),
    Out(&'a SourceOut),
    /// A file inside a directory out: the out and the entry's md5.
    InOut(String),
    /// A directory inside a directory out (or an out's parent with nothing in git).
    Dir {
        isout: bool,
    },
}

/// The view of a source at one commit.
#[derive(Debug, Default)]
pub struct View {
    git: BTreeMap<String, GitEntry>,
    outs: BTreeMap<String, SourceOut>,
    manifests: BTreeMap<String, Tree>,
}

/// Check a path given for the source: relative, no `..` (after `.` and `//` are folded),
/// not into `.git` or `.dvc`. Returns it normalized (`""` for the root).
pub fn check_source_path(path: &str) -> Result<String, Error> {
    let outside = || Error::Outside(path.to_string());
    if path.starts_with('/') || path.starts_with('\\') {
        return Err(outside());
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(outside()),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

fn parent_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// `rel` of `path` below `dir` (`""` when equal), `None` when not below.
fn below<'p>(path: &'p str, dir: &str) -> Option<&'p str> {
    if dir.is_empty() {
        return Some(path);
    }
    if path == dir {
        return Some("");
    }
    path.strip_prefix(dir)?.strip_prefix('/')
}

impl View {
    /// A view of git's `entries` (path → entry) and the pointer files' `(path, text)`.
    /// Pointer files that do not parse are left out, as dvc skips what it cannot load;
    /// outs with unsafe paths too.
    pub fn new(entries: Vec<(String, GitEntry)>, pointers: &[(String, String)]) -> View {
        let mut git = BTreeMap::new();
        for (path, e) in entries {
            if pathsafe::check_relpath(&path).is_err()
                || path == ".dvc"
                || path.starts_with(".dvc/")
                || path.split('/').any(|p| p == ".git")
            {
                continue;
            }
            git.insert(path, e);
        }
        let mut outs = BTreeMap::new();
        for (rel, text) in pointers {
            let dir = parent_of(rel).to_string();
            let mut found: Vec<(Out, Option<ImportSource>, String)> = Vec::new();
            match crate::data::pointer::classify(rel) {
                Some(crate::data::pointer::PointerKind::Lock) => {
                    let Ok(lock) = dvcfile::parse_lock(text) else {
                        continue;
                    };
                    for st in lock.stages {
                        for o in st.outs {
                            found.push((o, None, dir.clone()));
                        }
                    }
                }
                Some(_) => {
                    let Ok(file) = dvcfile::parse(text) else {
                        continue;
                    };
                    let base = match &file.wdir {
                        Some(w) => crate::data::repo::join_rel(&dir, w),
                        None => dir.clone(),
                    };
                    for o in file.outs {
                        found.push((o, file.import.clone(), base.clone()));
                    }
                }
                None => continue,
            }
            for (out, import, base) in found {
                let joined = crate::data::repo::join_rel(&base, &out.path);
                let Ok(path) = check_source_path(&joined) else {
                    continue;
                };
                if path.is_empty() || pathsafe::check_relpath(&path).is_err() {
                    continue;
                }
                outs.insert(
                    path,
                    SourceOut {
                        out,
                        import,
                        dvcfile_dir: dir.clone(),
                    },
                );
            }
        }
        View {
            git,
            outs,
            manifests: BTreeMap::new(),
        }
    }

    /// The directory outs whose manifests are not loaded yet: (out path, `.dir` md5).
    pub fn dir_outs(&self) -> Vec<(String, String)> {
        self.outs
            .iter()
            .filter(|(p, o)| o.out.is_dir() && !self.manifests.contains_key(*p))
            .filter_map(|(p, o)| o.out.md5.clone().map(|m| (p.clone(), m)))
            .collect()
    }

    /// Give the view the manifest of the directory out at `path`.
    pub fn set_manifest(&mut self, path: &str, tree: Tree) {
        self.manifests.insert(path.to_string(), tree);
    }

    /// The out at `path` or holding it: (out path, out).
    pub fn out_of(&self, path: &str) -> Option<(&str, &SourceOut)> {
        let mut p = path;
        loop {
            if let Some((k, o)) = self.outs.get_key_value(p) {
                return Some((k.as_str(), o));
            }
            if p.is_empty() {
                return None;
            }
            p = parent_of(p);
        }
    }

    fn node(&self, path: &str) -> Option<Node<'_>> {
        if path.is_empty() {
            return Some(Node::Dir { isout: false });
        }
        if let Some((out_path, out)) = self.out_of(path) {
            if out_path == path {
                return Some(Node::Out(out));
            }
            let rel = below(path, out_path)?;
            let tree = self.manifests.get(out_path)?;
            if let Some(e) = tree.get(rel) {
                return Some(Node::InOut(e.md5.to_hex()));
            }
            let prefix = format!("{rel}/");
            return tree
                .entries
                .iter()
                .any(|e| e.relpath.starts_with(&prefix))
                .then_some(Node::Dir { isout: true });
        }
        if let Some(e) = self.git.get(path) {
            return Some(Node::Git(e));
        }
        // A parent of an out that git does not hold (a `dvc.lock` out deep below).
        let prefix = format!("{path}/");
        self.outs
            .keys()
            .any(|k| k.starts_with(&prefix))
            .then_some(Node::Dir { isout: false })
    }

    fn is_dir(&self, node: &Node<'_>) -> bool {
        match node {
            Node::Git(e) => e.is_dir,
            Node::Out(o) => o.out.is_dir(),
            Node::InOut(..) => false,
            Node::Dir { .. } => true,
        }
    }

    /// The names directly below the directory `path`.
    fn children(&self, path: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        if let Some((out_path, _)) = self.out_of(path) {
            let Some(tree) = self.manifests.get(out_path) else {
                return names;
            };
            let rel = below(path, out_path).unwrap_or("");
            for e in &tree.entries {
                if let Some(rest) = below(&e.relpath, rel)
                    && !rest.is_empty()
                {
                    names.insert(rest.split('/').next().unwrap_or(rest).to_string());
                }
            }
            return names;
        }
        for k in self.git.keys().chain(self.outs.keys()) {
            if let Some(rest) = below(k, path)
                && !rest.is_empty()
            {
                names.insert(rest.split('/').next().unwrap_or(rest).to_string());
            }
        }
        names
    }

    fn item(&self, path: &str, shown: String, node: &Node<'_>, sizes: &dyn Sizes) -> Item {
        let isdir = self.is_dir(node);
        let (isout, isexec, size, md5) = match node {
            Node::Git(e) => (false, e.is_exec, Some(e.size), None),
            Node::Out(o) => (true, o.out.isexec, o.out.size, o.out.md5.clone()),
            Node::InOut(md5) => (true, false, sizes.object(md5), Some(md5.clone())),
            Node::Dir { isout } => (*isout, false, None, None),
        };
        Item {
            path: shown,
            isout,
            isdir,
            isexec,
            size: sizes.workspace(path).or(size),
            md5,
        }
    }

    /// `dvc ls`: the items at `path` (a directory's entries, or the file itself), below it
    /// too with `recursive` (files only, directories where `depth` stops the descent).
    pub fn list(
        &self,
        path: &str,
        recursive: bool,
        depth: Option<usize>,
        dvc_only: bool,
        sizes: &dyn Sizes,
    ) -> Result<Vec<Item>, Error> {
        let path = check_source_path(path)?;
        let node = self
            .node(&path)
            .ok_or_else(|| Error::NotFound(path.clone()))?;
        if !self.is_dir(&node) {
            let name = path.rsplit('/').next().unwrap_or(&path).to_string();
            let item = self.item(&path, name, &node, sizes);
            return Ok(if dvc_only && !item.isout {
                Vec::new()
            } else {
                vec![item]
            });
        }
        let mut items = Vec::new();
        self.walk(&path, "", 1, recursive, depth, dvc_only, sizes, &mut items);
        items.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(items)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one recursive walk with its settings"
    )]
    fn walk(
        &self,
        dir: &str,
        shown_dir: &str,
        level: usize,
        recursive: bool,
        depth: Option<usize>,
        dvc_only: bool,
        sizes: &dyn Sizes,
        items: &mut Vec<Item>,
    ) {
        for name in self.children(dir) {
            let path = join(dir, &name);
            let shown = join(shown_dir, &name);
            let Some(node) = self.node(&path) else {
                continue;
            };
            let descend = recursive && self.is_dir(&node) && depth.is_none_or(|d| level < d);
            if descend {
                self.walk(
                    &path,
                    &shown,
                    level + 1,
                    recursive,
                    depth,
                    dvc_only,
                    sizes,
                    items,
                );
                continue;
            }
            let item = self.item(&path, shown, &node, sizes);
            if dvc_only && !item.isout {
                continue;
            }
            items.push(item);
        }
    }

    /// `dvc ls -T`: the tree below `path` as (depth, item) in pre-order, the root first.
    pub fn tree(
        &self,
        path: &str,
        depth: Option<usize>,
        dvc_only: bool,
        sizes: &dyn Sizes,
    ) -> Result<Vec<(Vec<bool>, Item)>, Error> {
        let path = check_source_path(path)?;
        let node = self
            .node(&path)
            .ok_or_else(|| Error::NotFound(path.clone()))?;
        let root_name = if path.is_empty() {
            ".".to_string()
        } else {
            path.clone()
        };
        let mut out = vec![(Vec::new(), self.item(&path, root_name, &node, sizes))];
        if self.is_dir(&node) {
            self.tree_walk(&path, &mut Vec::new(), depth, dvc_only, sizes, &mut out);
        }
        Ok(out)
    }

    fn tree_walk(
        &self,
        dir: &str,
        lasts: &mut Vec<bool>,
        depth: Option<usize>,
        dvc_only: bool,
        sizes: &dyn Sizes,
        out: &mut Vec<(Vec<bool>, Item)>,
    ) {
        let kids: Vec<(String, Node<'_>)> = self
            .children(dir)
            .into_iter()
            .filter_map(|n| {
                let p = join(dir, &n);
                self.node(&p).map(|node| (n, node))
            })
            .filter(|(_, node)| !dvc_only || self.is_dir(node) || !matches!(node, Node::Git(_)))
            .collect();
        let count = kids.len();
        for (i, (name, node)) in kids.into_iter().enumerate() {
            let path = join(dir, &name);
            lasts.push(i + 1 == count);
            out.push((lasts.clone(), self.item(&path, name, &node, sizes)));
            if self.is_dir(&node) && depth.is_none_or(|d| lasts.len() < d) {
                self.tree_walk(&path, lasts, depth, dvc_only, sizes, out);
            }
            lasts.pop();
        }
    }

    /// What `get`/`import` of `path` downloads: every file below it (or the file), as
    /// (path relative to `path`, content); `""` for a file target. Also whether the target
    /// is a directory, and the out that holds it.
    pub fn resolve(&self, path: &str) -> Result<Target<'_>, Error> {
        let path = check_source_path(path)?;
        let node = self
            .node(&path)
            .ok_or_else(|| Error::NotFound(path.clone()))?;
        let is_dir = self.is_dir(&node);
        let mut files = Vec::new();
        let out = self.out_of(&path).map(|(p, o)| (p.to_string(), o));
        if let Some((out_path, o)) = &out
            && o.out.is_dir()
            && !self.manifests.contains_key(out_path)
        {
            return Err(Error::NoManifest {
                path: out_path.clone(),
                md5: o.out.md5.clone().unwrap_or_default(),
            });
        }
        self.collect(&path, "", &node, &mut files)?;
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Target {
            path,
            is_dir,
            files,
            out,
        })
    }

    fn collect(
        &self,
        path: &str,
        rel: &str,
        node: &Node<'_>,
        files: &mut Vec<(String, Content)>,
    ) -> Result<(), Error> {
        match node {
            Node::Git(e) if !e.is_dir => files.push((
                rel.to_string(),
                Content::Git {
                    oid: e.oid.clone(),
                    exec: e.is_exec,
                },
            )),
            Node::Out(o) if !o.out.is_dir() => {
                if let Some(md5) = &o.out.md5 {
                    files.push((
                        rel.to_string(),
                        Content::Object {
                            md5: md5.clone(),
                            exec: o.out.isexec,
                        },
                    ));
                }
            }
            Node::InOut(md5) => files.push((
                rel.to_string(),
                Content::Object {
                    md5: md5.clone(),
                    exec: false,
                },
            )),
            _ => {
                if let Node::Out(o) = node
                    && !self.manifests.contains_key(path)
                {
                    return Err(Error::NoManifest {
                        path: path.to_string(),
                        md5: o.out.md5.clone().unwrap_or_default(),
                    });
                }
                for name in self.children(path) {
                    let p = join(path, &name);
                    if let Some(n) = self.node(&p) {
                        self.collect(&p, &join(rel, &name), &n, files)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// What a path of the source resolves to.
#[derive(Debug)]
pub struct Target<'a> {
    /// The normalized path.
    pub path: String,
    /// A directory.
    pub is_dir: bool,
    /// Every file: (path relative to the target, `""` for a file target; content).
    pub files: Vec<(String, Content)>,
    /// The out at or above the target: (its path, the out).
    pub out: Option<(String, &'a SourceOut)>,
}

/// Sizes the view cannot know by itself.
pub trait Sizes {
    /// The size of a cached object, when the source's cache holds it.
    fn object(&self, _md5: &str) -> Option<u64> {
        None
    }
    /// The size of `path` in the source's workspace, when the view is of the workspace
    /// (dvc lists a local repository without `--rev` from its workspace).
    fn workspace(&self, _path: &str) -> Option<u64> {
        None
    }
}

/// No extra sizes.
pub struct NoSizes;
impl Sizes for NoSizes {}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        let g = |dir: bool, size: u64| GitEntry {
            is_dir: dir,
            is_exec: false,
            is_link: false,
            oid: format!("oid{size}"),
            size,
        };
        let mut v = View::new(
            vec![
                ("data.dvc".into(), g(false, 97)),
                ("gdir".into(), g(true, 33)),
                ("gdir/x.txt".into(), g(false, 2)),
                ("../evil".into(), g(false, 1)),
            ],
            &[(
                "data.dvc".into(),
                "outs:\n- md5: 3ccabac68ff12f7672d6f8e3bb43c241.dir\n  size: 5\n  nfiles: 2\n  hash: md5\n  path: data\n".into(),
            )],
        );
        v.set_manifest(
            "data",
            Tree::new(vec![
                crate::data::tree::TreeEntry {
                    relpath: "a.txt".into(),
                    md5: "60b725f10c9c85c70d97880dfe8191b3".parse().expect("hex"),
                },
                crate::data::tree::TreeEntry {
                    relpath: "sub/b.txt".into(),
                    md5: "bfcc9da4f2e1d313c63cd0a4ee7604e9".parse().expect("hex"),
                },
            ]),
        );
        v
    }

    #[test]
    fn lists_git_and_outs() {
        let v = view();
        let names: Vec<String> = v
            .list("", false, None, false, &NoSizes)
            .expect("lists")
            .into_iter()
            .map(|i| i.path)
            .collect();
        assert_eq!(names, ["data", "data.dvc", "gdir"]);
        let all: Vec<String> = v
            .list("", true, None, true, &NoSizes)
            .expect("lists")
            .into_iter()
            .map(|i| i.path)
            .collect();
        assert_eq!(all, ["data/a.txt", "data/sub/b.txt"]);
    }

    #[test]
    fn refuses_paths_out_of_the_source() {
        let v = view();
        assert!(matches!(v.resolve("../x"), Err(Error::Outside(_))));
        assert!(matches!(v.resolve("/etc/passwd"), Err(Error::Outside(_))));
        assert!(matches!(v.resolve("nope"), Err(Error::NotFound(_))));
        let t = v.resolve("data/sub").expect("resolves");
        assert!(t.is_dir);
        assert_eq!(t.files.len(), 1);
        assert_eq!(t.files[0].0, "b.txt");
    }
}

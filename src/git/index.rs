//! In-process reads of the index a commit is made from and of `HEAD`, through gix: what
//! the pre-commit hook needs without spawning `git diff-index`, `ls-files` and
//! `cat-file` (three processes on every commit).
//!
//! The index read is the one `GIT_INDEX_FILE` names (relative to the worktree top, where
//! hooks run), else the repository's own: the real index (`git commit`), the locked
//! index `-a`/`-i` staged into, or the temporary index of a partial commit. An index
//! this code does not read like git does (split or sparse, or with intent-to-add
//! pointers) is refused with [`IndexError::Unsupported`]; the caller then asks git.

use crate::git::Oid;
use gix::bstr::ByteSlice;
use std::path::{Path, PathBuf};

/// Why the index cannot be read here (the caller falls back to git's CLI).
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// gix could not open the repository.
    #[error("cannot open the repository with gix: {0}")]
    Open(String),
    /// The index file could not be read.
    #[error("cannot read the index `{path}`: {message}")]
    Read {
        /// The index file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An object (HEAD's tree, a pointer blob) could not be read.
    #[error("cannot read {what}: {message}")]
    Object {
        /// Which object.
        what: String,
        /// What went wrong.
        message: String,
    },
    /// An index shape that git would read otherwise than this code.
    #[error("index not read in-process: {0}")]
    Unsupported(&'static str),
}

/// A repository opened through gix, for reads.
pub struct GixRepo {
    repo: gix::Repository,
}

impl GixRepo {
    /// Open the repository of the worktree `top`, or the git dir `git_dir` (`GIT_DIR`)
    /// when git gave one.
    pub fn open(top: &Path, git_dir: Option<&Path>) -> Result<GixRepo, IndexError> {
        let repo = match git_dir {
            Some(dir) => gix::open(top.join(dir)).map_err(|e| IndexError::Open(e.to_string()))?,
            None => gix::discover(top).map_err(|e| IndexError::Open(e.to_string()))?,
        };
        Ok(GixRepo { repo })
    }

    /// A git config boolean as git reads it (`None`: unset or not a boolean).
    pub fn config_bool(&self, key: &str) -> Option<bool> {
        self.repo.config_snapshot().boolean(key)
    }

    /// The git dir (`.git`, or `.git/worktrees/<name>` in a linked worktree).
    pub fn git_dir(&self) -> &Path {
        self.repo.git_dir()
    }

    /// Read the index at `index_file` (relative to `top`), else the repository's own.
    pub fn index(&self, top: &Path, index_file: Option<&Path>) -> Result<Index, IndexError> {
        let path = match index_file {
            Some(p) => top.join(p),
            None => self.repo.index_path(),
        };
        let file = gix::index::File::at(
            &path,
            self.repo.object_hash(),
            false,
            gix::index::decode::Options::default(),
        )
        .map_err(|e| IndexError::Read {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if file.link().is_some() {
            return Err(IndexError::Unsupported("a split index"));
        }
        if file.is_sparse() {
            return Err(IndexError::Unsupported("a sparse index"));
        }
        Ok(Index { file })
    }

    /// `HEAD`'s tree; `None` on an unborn branch.
    pub fn head_tree(&self) -> Result<Option<HeadTree<'_>>, IndexError> {
        let head = self
            .repo
            .head()
            .map_err(|e| IndexError::Open(e.to_string()))?;
        if head.is_unborn() {
            return Ok(None);
        }
        let tree = self.repo.head_tree().map_err(|e| IndexError::Object {
            what: "HEAD's tree".into(),
            message: e.to_string(),
        })?;
        Ok(Some(HeadTree { tree }))
    }

    /// A blob's content.
    pub fn blob(&self, id: &gix::ObjectId) -> Result<Vec<u8>, IndexError> {
        let object = self.repo.find_object(*id).map_err(|e| IndexError::Object {
            what: format!("blob {id}"),
            message: e.to_string(),
        })?;
        Ok(object.detach().data)
    }
}

/// `HEAD`'s tree.
pub struct HeadTree<'r> {
    tree: gix::Tree<'r>,
}

impl HeadTree<'_> {
    /// The (mode bits, id) of `path` in the tree.
    fn entry(&self, path: &str) -> Result<Option<(u32, gix::ObjectId)>, IndexError> {
        let entry = self
            .tree
            .lookup_entry_by_path(path)
            .map_err(|e| IndexError::Object {
                what: format!("`{path}` in HEAD"),
                message: e.to_string(),
            })?;
        Ok(entry.map(|e| {
            (
                gix::index::entry::Mode::from(e.mode()).bits(),
                e.object_id(),
            )
        }))
    }
}

/// One merged (stage 0) entry of the index.
#[derive(Debug, Clone)]
pub struct IndexEntry {
    /// The path, `/`-separated.
    pub path: String,
    /// The blob.
    pub id: gix::ObjectId,
    /// Differs from `HEAD` (absent there, another blob or mode), as `git diff-index
    /// --cached HEAD` would list it.
    pub staged: bool,
}

/// An index, read.
pub struct Index {
    file: gix::index::File,
}

impl Index {
    fn differs(
        head: Option<&HeadTree<'_>>,
        e: &gix::index::Entry,
        path: &str,
    ) -> Result<bool, IndexError> {
        let Some(head) = head else {
            return Ok(true);
        };
        Ok(match head.entry(path)? {
            Some((mode, id)) => id != e.id || mode != e.mode.bits(),
            None => true,
        })
    }

    /// The merged entries whose path `keep` accepts, each with whether it is staged
    /// against `head`. Unmerged paths are left out (git has no `:<path>` blob for them),
    /// as `git cat-file` on `:<path>` would. Refused when one of them is intent-to-add.
    pub fn entries(
        &self,
        head: Option<&HeadTree<'_>>,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Vec<IndexEntry>, IndexError> {
        let mut out = Vec::new();
        for e in self.file.entries() {
            let Ok(path) = e.path(&self.file).to_str() else {
                continue;
            };
            if !keep(path) || e.stage_raw() != 0 {
                continue;
            }
            if e.flags.contains(gix::index::entry::Flags::INTENT_TO_ADD) {
                return Err(IndexError::Unsupported("an intent-to-add entry"));
            }
            out.push(IndexEntry {
                path: path.to_owned(),
                id: e.id,
                staged: Self::differs(head, e, path)?,
            });
        }
        Ok(out)
    }

    /// Paths at or below `prefix` that differ from `head` (unmerged ones included), as
    /// `git diff-index --cached HEAD` would list them, deletions aside.
    pub fn staged_under(
        &self,
        head: Option<&HeadTree<'_>>,
        prefix: &str,
    ) -> Result<Vec<String>, IndexError> {
        let Some(entries) = self.file.prefixed_entries(prefix.as_bytes().as_bstr()) else {
            return Ok(Vec::new());
        };
        let mut out: Vec<String> = Vec::new();
        for e in entries {
            let Ok(path) = e.path(&self.file).to_str() else {
                continue;
            };
            let rest = &path[prefix.len().min(path.len())..];
            if !(rest.is_empty() || rest.starts_with('/')) {
                continue;
            }
            if out.last().is_some_and(|p| p == path) {
                continue;
            }
            if e.stage_raw() != 0 || Self::differs(head, e, path)? {
                out.push(path.to_owned());
            }
        }
        Ok(out)
    }

    /// `git ls-files -s -t` of the paths `keep` accepts: (path, tag `H`/`S`, mode, id,
    /// stage), in index order.
    pub fn listing(&self, keep: impl Fn(&str) -> bool) -> Vec<(String, char, u32, Oid, u8)> {
        let mut out = Vec::new();
        for e in self.file.entries() {
            let Ok(path) = e.path(&self.file).to_str() else {
                continue;
            };
            if !keep(path) {
                continue;
            }
            let tag = if e.flags.contains(gix::index::entry::Flags::SKIP_WORKTREE) {
                'S'
            } else {
                'H'
            };
            let Ok(id) = Oid::parse(&e.id.to_string()) else {
                continue;
            };
            out.push((path.to_owned(), tag, e.mode.bits(), id, e.stage_raw() as u8));
        }
        out
    }
}

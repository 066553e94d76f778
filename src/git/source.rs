//! Source repositories of the registry commands (`ls`, `get`, `import`, `update`): anything
//! `git clone` takes.
//!
//! A local path to a git repository is read in place (dvc opens a local repository
//! directly too). Any other URL (`file://`, ssh, https) is kept as a bare clone in a cache
//! directory the caller names (`.dvc/tmp/git-dvc/sources/` of the project), keyed by the
//! md5 of the URL, and fetched on the next use instead of cloned again (dvc clones
//! afresh each time, dvc#9738). Blobs are fetched lazily where the server allows a
//! partial clone.
//!
//! Everything read here is untrusted input for the caller: paths from the tree listing are
//! checked in `data::registry` before anything is written.

use super::{Error, Git, Oid, Result, split_z};
use std::path::{Path, PathBuf};

/// One opened source repository.
#[derive(Debug)]
pub struct Source {
    git: Git,
    /// The workspace of a local source (its top level), where its DVC cache may be.
    pub local_root: Option<PathBuf>,
}

/// What an entry of a git tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A regular file (`exec`: mode 100755).
    Blob {
        /// Mode 100755.
        exec: bool,
    },
    /// A symbolic link (mode 120000).
    Link,
    /// A directory.
    Tree,
    /// A submodule (a commit entry).
    Commit,
}

/// One entry of a recursive tree listing.
#[derive(Debug, Clone)]
pub struct TreeItem {
    /// `/`-separated path from the root of the tree.
    pub path: String,
    /// What it is.
    pub kind: ItemKind,
    /// Object id.
    pub oid: String,
    /// Size of the object (for a tree: the size of the tree object, as dvc shows it).
    pub size: u64,
}

/// A `git` for a source repository: the variables git sets for a hook or the filter
/// (`GIT_DIR`, `GIT_INDEX_FILE`, …) name the project's repository, never the source's.
fn source_git(dir: &Path) -> Git {
    let mut git = Git::new(dir);
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_COMMON_DIR",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_PREFIX",
        "GIT_NAMESPACE",
    ] {
        git = git.without_env(var);
    }
    git
}

/// Whether `url` names a local directory (relative to `cwd`), the way dvc decides to open a
/// repository in place.
pub fn local_dir(url: &str, cwd: &Path) -> Option<PathBuf> {
    if url.contains("://") {
        return None;
    }
    let p = cwd.join(url);
    p.is_dir().then_some(p)
}

/// The cache slot of `url` below `cache_dir`.
pub fn clone_slot(cache_dir: &Path, url: &str) -> PathBuf {
    use md5::{Digest, Md5};
    let digest = Md5::digest(url.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    cache_dir.join(format!("{hex}.git"))
}

/// Open the source `url`: in place when it is a local directory, else a cached bare clone
/// under `cache_dir`, created or fetched now.
pub fn open(url: &str, cwd: &Path, cache_dir: &Path) -> Result<Source> {
    if let Some(dir) = local_dir(url, cwd) {
        let git = source_git(&dir);
        let top = git.show_toplevel().ok();
        return Ok(Source {
            local_root: top.or(Some(dir)),
            git,
        });
    }
    let slot = clone_slot(cache_dir, url);
    if slot.join("HEAD").is_file() {
        let git = source_git(&slot);
        git.run(&[
            "fetch",
            "--quiet",
            "--prune",
            "--force",
            "origin",
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
        ])?;
        // The source's default branch may have moved to another name.
        let _ = git.run(&["remote", "set-head", "origin", "--auto"]);
        return Ok(Source {
            git,
            local_root: None,
        });
    }
    fs_err::create_dir_all(cache_dir).map_err(|source| Error::Spawn {
        args: format!("clone into {}", cache_dir.display()),
        source,
    })?;
    let tmp = cache_dir.join(format!(
        ".{}.tmp{}",
        slot.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = fs_err::remove_dir_all(&tmp);
    let parent = source_git(cache_dir);
    let tmp_s = tmp.to_string_lossy().into_owned();
    let cloned = parent.run(&[
        "clone",
        "--quiet",
        "--bare",
        "--filter=blob:none",
        "--",
        url,
        tmp_s.as_str(),
    ]);
    if let Err(e) = cloned {
        let _ = fs_err::remove_dir_all(&tmp);
        return Err(redact(e, url));
    }
    fs_err::rename(&tmp, &slot).map_err(|source| Error::Spawn {
        args: format!("clone into {}", slot.display()),
        source,
    })?;
    Ok(Source {
        git: source_git(&slot),
        local_root: None,
    })
}

/// A git error whose message might carry the URL's credentials, with them masked.
fn redact(e: Error, url: &str) -> Error {
    let Some(masked) = mask_credentials(url) else {
        return e;
    };
    match e {
        Error::Failed {
            args,
            status,
            stderr,
        } => Error::Failed {
            args: args.replace(url, &masked),
            status,
            stderr: stderr.replace(url, &masked),
        },
        other => other,
    }
}

/// `scheme://user:secret@host/…` with the secret replaced by `***`; `None` when the URL
/// carries no password.
pub fn mask_credentials(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (auth, host) = rest.split_once('@')?;
    if auth.contains('/') {
        return None;
    }
    let (user, _) = auth.split_once(':')?;
    Some(format!("{scheme}://{user}:***@{host}"))
}

impl Source {
    /// The commit `rev` names (the source's `HEAD` when `None`); `None` when it names none.
    pub fn resolve(&self, rev: Option<&str>) -> Result<Option<Oid>> {
        let spec = format!("{}^{{commit}}", rev.unwrap_or("HEAD"));
        self.git.resolve(&spec)
    }

    /// Every entry of `commit`'s tree (directories too), with sizes.
    pub fn tree(&self, commit: &Oid) -> Result<Vec<TreeItem>> {
        let args = ["ls-tree", "-r", "-t", "-l", "-z", commit.as_str()];
        let stdout = self.git.run(&args)?;
        let mut items = Vec::new();
        let mut trees = Vec::new();
        for entry in split_z(&stdout, &args)? {
            let Some((meta, path)) = entry.split_once('\t') else {
                continue;
            };
            let mut fields = meta.split_whitespace();
            let (Some(mode), Some(_), Some(oid), size) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            let kind = match mode {
                "100755" => ItemKind::Blob { exec: true },
                "120000" => ItemKind::Link,
                "040000" => ItemKind::Tree,
                "160000" => ItemKind::Commit,
                _ => ItemKind::Blob { exec: false },
            };
            if kind == ItemKind::Tree {
                trees.push(items.len());
            }
            items.push(TreeItem {
                path: path.to_string(),
                kind,
                oid: oid.to_string(),
                size: size.and_then(|s| s.parse().ok()).unwrap_or(0),
            });
        }
        if !trees.is_empty() {
            let mut input = Vec::new();
            for &i in &trees {
                input.extend_from_slice(items[i].oid.as_bytes());
                input.push(b'\n');
            }
            let out = self
                .git
                .run_with_stdin(&["cat-file", "--batch-check"], &input)?;
            for (line, &i) in out.split(|&b| b == b'\n').zip(&trees) {
                let line = String::from_utf8_lossy(line);
                if let Some(size) = line.rsplit(' ').next().and_then(|s| s.parse().ok()) {
                    items[i].size = size;
                }
            }
        }
        Ok(items)
    }

    /// The contents of `paths` at `commit` (`None` for a path that is not a blob there).
    pub fn read(&self, commit: &Oid, paths: &[String]) -> Result<Vec<Option<Vec<u8>>>> {
        let names: Vec<String> = paths
            .iter()
            .map(|p| format!("{}:{p}", commit.as_str()))
            .collect();
        self.git.cat_file_batch(&names)
    }

    /// The contents of blobs by object id.
    pub fn read_blobs(&self, oids: &[String]) -> Result<Vec<Option<Vec<u8>>>> {
        self.git.cat_file_batch(oids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_masked() {
        assert_eq!(
            mask_credentials("https://me:s3cret@example.com/r.git").as_deref(),
            Some("https://me:***@example.com/r.git")
        );
        assert_eq!(mask_credentials("https://example.com/r.git"), None);
        assert_eq!(mask_credentials("https://me@example.com/r.git"), None);
    }
}

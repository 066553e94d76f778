//! The pending journal (`$GIT_DIR/dvc/pending`): pointers whose data could not be brought
//! in yet. The filter appends; the post-checkout, post-merge and post-rewrite hooks retry
//! and rewrite it.

use crate::git::Git;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `$GIT_DIR/dvc/pending`: pointer files whose data could not be brought in (missing
/// objects, a busy lock, errors), one top-relative path per line. The filter appends; the
/// post-checkout, post-merge and post-rewrite hooks retry and rewrite it. It lives in the
/// per-worktree git dir, because it names files of one worktree.
#[derive(Debug, Clone)]
pub struct Pending {
    path: PathBuf,
}

impl Pending {
    /// The journal of the worktree whose git dir is `git_dir`.
    pub fn at(git_dir: &Path) -> Pending {
        Pending {
            path: git_dir.join("dvc").join("pending"),
        }
    }

    /// The journal of the worktree git runs in (`git rev-parse --git-dir`).
    pub fn for_git(git: &Git) -> Result<Pending, crate::git::Error> {
        Ok(Pending::at(&git.git_dir()?))
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Cheap check before doing any work.
    pub fn exists(&self) -> bool {
        self.path.is_file()
    }

    /// Append pathnames (one `write` of whole lines in append mode).
    pub fn add(&self, pathnames: &[String]) -> std::io::Result<()> {
        if pathnames.is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            fs_err::create_dir_all(dir)?;
        }
        let mut text = String::new();
        for p in pathnames {
            if !p.contains('\n') {
                text.push_str(p);
                text.push('\n');
            }
        }
        let mut file = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(text.as_bytes())
    }

    /// The recorded pathnames, deduplicated and sorted.
    pub fn read(&self) -> Vec<String> {
        let Ok(text) = fs_err::read_to_string(&self.path) else {
            return Vec::new();
        };
        let set: BTreeSet<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect();
        set.into_iter().collect()
    }

    /// Replace the journal with `pathnames` (removing it when empty).
    pub fn replace(&self, pathnames: &[String]) -> std::io::Result<()> {
        if pathnames.is_empty() {
            return match fs_err::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs_err::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        for p in pathnames {
            writeln!(tmp, "{p}")?;
        }
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_journal_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = Pending::at(dir.path());
        assert!(!p.exists());
        assert!(p.read().is_empty());
        p.add(&["b.dvc".into(), "a b.dvc".into()]).unwrap();
        p.add(&["b.dvc".into(), "bad\nname".into()]).unwrap();
        assert!(p.exists());
        assert_eq!(p.read(), vec!["a b.dvc".to_owned(), "b.dvc".to_owned()]);
        p.replace(&["c.dvc".into()]).unwrap();
        assert_eq!(p.read(), vec!["c.dvc".to_owned()]);
        p.replace(&[]).unwrap();
        assert!(!p.exists());
        p.replace(&[]).unwrap();
    }
}

//! `.dvcignore`: gitignore-syntax patterns anchored at the directory of each file
//! (spec §5.2), plus DVC's fixed exclusions (`.git`, `.hg`, `.dvc` at any depth).
//!
//! Matching uses the `ignore` crate's gitignore engine (ripgrep's), one matcher per
//! `.dvcignore` file; deeper files take precedence, as in git.

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::path::{Path, PathBuf};

/// The file name.
pub const DVCIGNORE: &str = ".dvcignore";

/// Names DVC never walks into.
pub fn is_always_excluded(name: &str) -> bool {
    matches!(name, ".git" | ".hg" | ".dvc")
}

/// Which of dvc's fixed patterns (`DvcIgnoreFilter`'s defaults `.hg/`, `.git/`, `.git`,
/// `.dvc/`, unanchored, so they match at any depth) ignores the `/`-separated path `rel`,
/// as dvc names it in `Path '…' is ignored by :.git`. `is_dir` is asked only when the
/// last component could match a directory-only pattern.
///
/// A later pattern wins, as in dvc: `.dvc/` over `.git` over `.git/` over `.hg/`
/// (`.git/.dvc/x` is ignored by `:.dvc/`). Case-sensitive, like dvc's pathspec matching.
pub fn fixed_exclusion(rel: &str, is_dir: impl FnOnce() -> bool) -> Option<&'static str> {
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
    let (last, parents) = parts.split_last()?;
    let last_is_dir = matches!(*last, ".dvc" | ".hg") && is_dir();
    let dir_named = |name: &str| parents.contains(&name) || (*last == name && last_is_dir);
    if dir_named(".dvc") {
        return Some(":.dvc/");
    }
    if parts.contains(&".git") {
        return Some(":.git");
    }
    if dir_named(".hg") {
        return Some(":.hg/");
    }
    None
}

/// Errors reading `.dvcignore` files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pattern file could not be parsed.
    #[error("invalid .dvcignore '{path}': {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The set of `.dvcignore` matchers that apply below some directory.
#[derive(Debug, Clone, Default)]
pub struct DvcIgnore {
    /// (directory, matcher), shallowest first.
    matchers: Vec<(PathBuf, Gitignore)>,
}

impl DvcIgnore {
    /// Load every `.dvcignore` from `root` down to `dir` (inclusive).
    pub fn for_dir(root: &Path, dir: &Path) -> Result<DvcIgnore, Error> {
        let mut me = DvcIgnore::default();
        me.add_dir(root)?;
        if let Ok(rel) = dir.strip_prefix(root) {
            let mut cur = root.to_path_buf();
            for comp in rel.components() {
                cur.push(comp);
                me.add_dir(&cur)?;
            }
        }
        Ok(me)
    }

    /// Add the `.dvcignore` of `dir`, if it has one.
    pub fn add_dir(&mut self, dir: &Path) -> Result<bool, Error> {
        let file = dir.join(DVCIGNORE);
        if !file.is_file() {
            return Ok(false);
        }
        let mut b = GitignoreBuilder::new(dir);
        if let Some(e) = b.add(&file) {
            return Err(Error::Invalid {
                path: file,
                message: e.to_string(),
            });
        }
        let gi = b.build().map_err(|e| Error::Invalid {
            path: file.clone(),
            message: e.to_string(),
        })?;
        self.matchers.push((dir.to_path_buf(), gi));
        Ok(true)
    }

    /// A copy with `dir`'s `.dvcignore` added (for walking into subdirectories).
    pub fn with_dir(&self, dir: &Path) -> Result<DvcIgnore, Error> {
        let mut me = self.clone();
        me.add_dir(dir)?;
        Ok(me)
    }

    /// No patterns at all (the common case: skip matching entirely).
    pub fn is_empty(&self) -> bool {
        self.matchers.iter().all(|(_, g)| g.is_empty())
    }

    /// Whether `path` (absolute) is ignored.
    pub fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        for (dir, gi) in self.matchers.iter().rev() {
            if !path.starts_with(dir) {
                continue;
            }
            match gi.matched(path, is_dir) {
                Match::Ignore(_) => return true,
                Match::Whitelist(_) => return false,
                Match::None => {}
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negation_and_anchoring() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs_err::write(root.join(DVCIGNORE), "*.log\n!d/s/c.log\n/d/t/\n").unwrap();
        let ig = DvcIgnore::for_dir(root, &root.join("d")).unwrap();
        assert!(ig.is_ignored(&root.join("d/a.log"), false));
        assert!(!ig.is_ignored(&root.join("d/s/c.log"), false));
        assert!(ig.is_ignored(&root.join("d/t"), true));
        assert!(!ig.is_ignored(&root.join("d/b.txt"), false));
    }

    #[test]
    fn fixed_exclusions_are_named_like_dvc() {
        let file = || false;
        let dir = || true;
        assert_eq!(fixed_exclusion(".git", dir), Some(":.git"));
        assert_eq!(fixed_exclusion(".git", file), Some(":.git"));
        assert_eq!(fixed_exclusion("sub/.git/config", file), Some(":.git"));
        assert_eq!(fixed_exclusion(".dvc/config", file), Some(":.dvc/"));
        assert_eq!(fixed_exclusion(".git/.dvc/x", file), Some(":.dvc/"));
        assert_eq!(fixed_exclusion(".hg/x", file), Some(":.hg/"));
        assert_eq!(fixed_exclusion(".hg", dir), Some(":.hg/"));
        // Directory-only patterns do not match a file of that name.
        assert_eq!(fixed_exclusion(".hg", file), None);
        assert_eq!(fixed_exclusion("a/.dvc", file), None);
        for fine in ["x", "a.git", ".gitignore", "x.dvc", "a.dvc/b", ".GIT", ""] {
            assert_eq!(fixed_exclusion(fine, dir), None, "{fine:?}");
        }
    }
}

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

    /// The pattern that decides `path` (absolute), deepest `.dvcignore` first: whether it
    /// ignores (false for a `!negation`), the `.dvcignore` file and the pattern as written.
    pub fn matched_pattern(&self, path: &Path, is_dir: bool) -> Option<(bool, PathBuf, String)> {
        for (dir, gi) in self.matchers.iter().rev() {
            if !path.starts_with(dir) {
                continue;
            }
            match gi.matched(path, is_dir) {
                Match::Ignore(g) => {
                    return Some((true, dir.join(DVCIGNORE), g.original().to_string()));
                }
                Match::Whitelist(g) => {
                    return Some((false, dir.join(DVCIGNORE), g.original().to_string()));
                }
                Match::None => {}
            }
        }
        None
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

/// What `check-ignore` reports for one path: whether it is ignored and the pattern that
/// decided it (dvc's `PatternInfo`: `<.dvcignore path>:<line>:<pattern>`, or `:<pattern>`
/// for the fixed exclusions), which may be a `!negation` that un-ignores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIgnore {
    /// The path is ignored.
    pub ignored: bool,
    /// The deciding pattern, if any matched.
    pub pattern: Option<String>,
}

/// dvc's `DvcIgnoreFilter.check_ignore` for `abs` (lexically normalized, absolute): each
/// leading directory is matched in turn; a directory that is ignored decides for
/// everything below it, and otherwise the last component decides.
pub fn check_ignore(root: &Path, abs: &Path) -> Result<CheckIgnore, Error> {
    let none = CheckIgnore {
        ignored: false,
        pattern: None,
    };
    let Ok(rel) = abs.strip_prefix(root) else {
        return Ok(none);
    };
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        return Ok(none);
    }
    let parent = abs.parent().unwrap_or(root);
    let ig = DvcIgnore::for_dir(root, parent)?;
    let mut result = none;
    for i in 1..=parts.len() {
        let prefix_rel = parts[..i].join("/");
        let prefix = root.join(&prefix_rel);
        let is_dir = i < parts.len() || prefix.is_dir();
        let decided = match ig.matched_pattern(&prefix, is_dir) {
            Some((ignored, file, pattern)) => Some((ignored, pattern_info(root, &file, &pattern))),
            None => fixed_exclusion(&prefix_rel, || is_dir).map(|p| (true, p.to_string())),
        };
        let ignored = decided.as_ref().is_some_and(|(ig, _)| *ig);
        if i < parts.len() && !ignored {
            continue;
        }
        result = CheckIgnore {
            ignored,
            pattern: decided.map(|(_, p)| p),
        };
        if ignored {
            break;
        }
    }
    Ok(result)
}

/// `<file>:<line>:<pattern>`; the line is the last one of the file that reads `pattern`
/// (the matcher reports the last matching glob, and dvc numbers stripped lines from 1).
fn pattern_info(root: &Path, file: &Path, pattern: &str) -> String {
    let name = file
        .strip_prefix(root)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| file.display().to_string());
    let line = fs_err::read_to_string(file)
        .ok()
        .and_then(|text| {
            text.lines()
                .enumerate()
                .filter(|(_, l)| l.trim() == pattern.trim())
                .map(|(i, _)| i + 1)
                .last()
        })
        .unwrap_or(0);
    format!("{name}:{line}:{}", pattern.trim())
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

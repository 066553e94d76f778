//! What `add`, `commit`, `move` and `remove` do on the git side: `.gitignore` entries
//! (spec §5.1) and auto-staging of the files they wrote (as `core.autostage` would).

use crate::data::gitignore;
use crate::git::Git;
use std::path::{Path, PathBuf};

/// The git side of one repository (None outside git or with `core.no_scm`).
pub struct Scm {
    git: Git,
    root: PathBuf,
    to_stage: Vec<PathBuf>,
    /// git-dvc stages what it writes unless `core.autostage` is explicitly false.
    autostage: bool,
}

impl crate::data::commit::GitIndex for Scm {
    fn tracks(&self, rel: &str) -> bool {
        self.is_tracked(rel)
    }
}

impl Scm {
    /// Open when `root` is inside a git work tree and `core.no_scm` is not set.
    pub fn open(root: &Path, config: &crate::data::config::Config) -> Option<Scm> {
        if config.core_no_scm() {
            return None;
        }
        let git = Git::new(root);
        git.is_inside_work_tree().then(|| Scm {
            git,
            root: root.to_path_buf(),
            to_stage: Vec::new(),
            autostage: config.core_autostage_set() != Some(false),
        })
    }

    /// Whether git tracks `rel` (a file, or anything under a dir), as dvc's `is_tracked`:
    /// a `.gitignore` or pointer counts too. (`data::commit::add` asks only once the
    /// target does not overlap other outs, so a directory holding another out's pointer
    /// gets dvc's overlap error first.)
    pub fn is_tracked(&self, rel: &str) -> bool {
        self.git.ls_files(&[], &[rel]).is_ok_and(|v| !v.is_empty())
    }

    /// Add `/<name>` to `<dir>/.gitignore` unless git already ignores the path.
    pub fn ignore(&mut self, dir: &Path, name: &str) -> std::io::Result<()> {
        let full = dir.join(name);
        let rel =
            crate::data::pathsafe::rel_to(&self.root, &full).unwrap_or_else(|| name.to_string());
        if self
            .git
            .check_ignore(&[rel.as_str()], true)
            .is_ok_and(|v| !v.is_empty())
        {
            return Ok(());
        }
        let file = dir.join(".gitignore");
        let existing = fs_err::read_to_string(&file).unwrap_or_default();
        let entry = gitignore::escape_entry(name);
        crate::data::atomic::write(&file, gitignore::append_entry(&existing, &entry))?;
        self.to_stage.push(file);
        Ok(())
    }

    /// Remove `/<name>` from `<dir>/.gitignore` (deleting the file if it becomes empty).
    pub fn unignore(&mut self, dir: &Path, name: &str) -> std::io::Result<()> {
        let file = dir.join(".gitignore");
        let Ok(existing) = fs_err::read_to_string(&file) else {
            return Ok(());
        };
        match gitignore::remove_entry(&existing, name) {
            Some(text) if text != existing => crate::data::atomic::write(&file, text)?,
            Some(_) => return Ok(()),
            None => fs_err::remove_file(&file)?,
        }
        self.to_stage.push(file);
        Ok(())
    }

    /// Queue a file for `git add`.
    pub fn stage(&mut self, path: PathBuf) {
        self.to_stage.push(path);
    }

    /// `git add` everything queued (deleted files are staged as removals). With
    /// `core.autostage = false` nothing is staged, and the result is dvc's hint naming the
    /// files to add (which `add` and `move` print, as dvc does).
    pub fn flush(&mut self) -> Result<Option<String>, crate::git::Error> {
        let mut paths: Vec<PathBuf> = std::mem::take(&mut self.to_stage);
        paths.sort();
        paths.dedup();
        if !self.autostage {
            if paths.is_empty() {
                return Ok(None);
            }
            let mut names: Vec<String> = paths
                .iter()
                .map(|p| crate::data::pathsafe::rel_to(&self.root, p).unwrap_or_default())
                .collect();
            names.sort();
            return Ok(Some(format!(
                "\nTo track the changes with git, run:\n\n\tgit add {}\n\nTo enable auto staging, run:\n\n\tgit dvc config core.autostage true",
                names.join(" ")
            )));
        }
        let (present, gone): (Vec<PathBuf>, Vec<PathBuf>) =
            paths.into_iter().partition(|p| p.exists());
        self.git.add(&present)?;
        let gone: Vec<PathBuf> = gone
            .into_iter()
            .filter(|p| {
                let rel = crate::data::pathsafe::rel_to(&self.root, p).unwrap_or_default();
                self.git
                    .ls_files(&[], &[rel.as_str()])
                    .is_ok_and(|v| !v.is_empty())
            })
            .collect();
        self.git.rm_cached(&gone)?;
        Ok(None)
    }
}

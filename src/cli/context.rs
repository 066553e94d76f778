//! Per-invocation context: global flags, the rayon pool size, and opening the repo with
//! the settings that come from the environment (the engine never reads env vars).

use super::error::{CommandError, ErrorKind};
use crate::data::lock::RepoLock;
use crate::data::repo::{Repo, RepoError, RepoOptions};
use std::path::{Path, PathBuf};

/// Set by the global `--rehash` flag: ignore the state DB.
pub static REHASH: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Global options shared by every command.
#[derive(Debug, Clone)]
pub struct Context {
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
    /// `-j`, or the core count.
    pub jobs: usize,
}

impl Context {
    /// Build the context and size the global rayon pool.
    pub fn new(quiet: bool, verbose: u8, jobs: Option<usize>) -> Self {
        let jobs = jobs.filter(|j| *j > 0).unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        });
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global();
        Context {
            quiet,
            verbose,
            jobs,
        }
    }

    /// The working directory.
    pub fn cwd(&self) -> Result<PathBuf, CommandError> {
        std::env::current_dir()
            .map_err(|e| CommandError::failed(format!("cannot read the current directory: {e}")))
    }

    /// Config locations from the environment, as dvc finds them.
    pub fn repo_options() -> RepoOptions {
        // One definition, shared with the hooks and the filter (which cannot import cli).
        let mut options = crate::hooks::sync::repo_options();
        options.rehash |= REHASH.load(std::sync::atomic::Ordering::Relaxed);
        options
    }

    /// Open the repo containing the working directory.
    pub fn open_repo(&self) -> Result<Repo, CommandError> {
        let cwd = self.cwd()?;
        let root = Repo::find_root(&cwd)
            .ok_or_else(|| CommandError::new(ErrorKind::NotARepo, RepoError::NotARepo))?;
        self.open_repo_at(&root)
    }

    /// Open the repo at `root`.
    pub fn open_repo_at(&self, root: &Path) -> Result<Repo, CommandError> {
        let repo = Repo::open(root, &Self::repo_options()).map_err(repo_error)?;
        if let Some(w) = &repo.state_error {
            tracing::warn!("state DB unavailable, hashing everything: {w}");
        }
        Ok(repo)
    }

    /// Take DVC's repo lock.
    pub fn lock(&self, repo: &Repo) -> Result<RepoLock, CommandError> {
        RepoLock::acquire(&repo.dvc_dir)
            .map_err(|e| CommandError::from_error(ErrorKind::Unhandled, &e))
    }

    /// Open the repo, resolve user targets to stages, and take the locks for writing
    /// their outs (what `checkout` and `commit` both start with).
    #[allow(clippy::type_complexity)]
    pub fn open_targets_for_write(
        &self,
        targets: &[String],
    ) -> Result<(Repo, PathBuf, Vec<crate::data::repo::Stage>, RepoLock), CommandError> {
        let repo = self.open_repo()?;
        let cwd = self.cwd()?;
        let stages = repo
            .stages_for_targets(&abs_targets(&cwd, targets))
            .map_err(super::status::target_error)?;
        let out_paths: Vec<PathBuf> = stages
            .iter()
            .flat_map(|s| s.outs.iter().map(|o| o.abs.clone()))
            .collect();
        let lock = self.lock_for_write(&repo, &out_paths)?;
        Ok((repo, cwd, stages, lock))
    }

    /// Take DVC's repo lock and make sure no running `dvc repro` holds the paths we are
    /// about to write in `.dvc/tmp/rwlock` (spec §8.3).
    pub fn lock_for_write(&self, repo: &Repo, paths: &[PathBuf]) -> Result<RepoLock, CommandError> {
        let lock = self.lock(repo)?;
        crate::data::lock::check_rwlock(&repo.dvc_dir, &[], paths)
            .map_err(|e| CommandError::from_error(ErrorKind::Unhandled, &e))?;
        Ok(lock)
    }

    /// Print a line to stdout unless `-q`.
    pub fn out(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            println!("{line}");
        }
    }
}

/// Map repo errors to DVC's exit classes.
pub fn repo_error(e: RepoError) -> CommandError {
    match &e {
        RepoError::NotARepo => CommandError::new(ErrorKind::NotARepo, &e),
        RepoError::Config(c) => super::config::config_error(c),
        _ => CommandError::from_error(ErrorKind::Failed, &e),
    }
}

/// Turn user-given paths into absolute, lexically normalized paths.
pub fn abs_targets(cwd: &Path, targets: &[String]) -> Vec<PathBuf> {
    targets
        .iter()
        .map(|t| crate::data::pathsafe::normalize(&cwd.join(t)))
        .collect()
}

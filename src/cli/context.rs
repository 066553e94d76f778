//! Per-invocation context: global flags, the rayon pool size, the captured environment,
//! and opening the repo with the settings that come from it (the engine reads no env).

use super::error::{CommandError, ErrorKind};
use crate::data::lock::RepoLock;
use crate::data::repo::{Repo, RepoError, TargetError};
use crate::env::ProcessEnv;
use std::path::{Path, PathBuf};

/// Global options shared by every command, and the environment `main` captured.
#[derive(Debug, Clone)]
pub struct Context {
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
    /// Threads for CPU work: `-j`, or the core count (the size of the rayon pool).
    pub jobs: usize,
    /// `-j` as given on the command line: transfers use it, and otherwise each remote's
    /// `jobs` or 4 × cores, as dvc does.
    pub jobs_flag: Option<usize>,
    /// The process environment (with `--rehash` folded in).
    pub env: ProcessEnv,
}

impl Context {
    /// Build the context and size the global rayon pool. When the pool already exists
    /// (a second context in one process), `jobs` reports the pool's real size.
    pub fn new(quiet: bool, verbose: u8, jobs_flag: Option<usize>, env: ProcessEnv) -> Self {
        let jobs_flag = jobs_flag.filter(|j| *j > 0);
        let wanted = jobs_flag.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        });
        let wanted = wanted.min(crate::data::MAX_THREADS);
        let jobs = match rayon::ThreadPoolBuilder::new()
            .num_threads(wanted)
            .build_global()
        {
            Ok(()) => wanted,
            Err(e) => {
                let actual = rayon::current_num_threads();
                if actual != wanted {
                    tracing::warn!(
                        "cannot size the thread pool to {wanted} threads ({e}); using {actual}"
                    );
                }
                actual
            }
        };
        Context {
            quiet,
            verbose,
            jobs,
            jobs_flag,
            env,
        }
    }

    /// The working directory.
    pub fn cwd(&self) -> Result<PathBuf, CommandError> {
        self.env.cwd().map(Path::to_path_buf).map_err(|e| {
            CommandError::context(ErrorKind::Failed, "cannot read the current directory", e)
        })
    }

    /// Open the repo containing the working directory.
    pub fn open_repo(&self) -> Result<Repo, CommandError> {
        let cwd = self.cwd()?;
        let root = Repo::find_root(&cwd).ok_or(RepoError::NotARepo)?;
        self.open_repo_at(&root)
    }

    /// Open the repo at `root`.
    pub fn open_repo_at(&self, root: &Path) -> Result<Repo, CommandError> {
        let repo = Repo::open(root, &self.env.repo_options())?;
        if let Some(w) = &repo.state_error {
            tracing::warn!("state DB unavailable, hashing everything: {w}");
        }
        Ok(repo)
    }

    /// Take DVC's repo lock.
    pub fn lock(&self, repo: &Repo) -> Result<RepoLock, CommandError> {
        Ok(RepoLock::acquire(&repo.dvc_dir)?)
    }

    /// Open the repo, resolve user targets to stages (their errors worded by
    /// `target_error`), and take the locks for writing their outs (what `checkout` and
    /// `commit` both start with).
    #[allow(clippy::type_complexity)]
    pub fn open_targets_for_write(
        &self,
        targets: &[String],
        target_error: impl FnOnce(TargetError) -> CommandError,
    ) -> Result<(Repo, PathBuf, Vec<crate::data::repo::Stage>, RepoLock), CommandError> {
        let repo = self.open_repo()?;
        let cwd = self.cwd()?;
        let stages = repo
            .stages_for_targets(&abs_targets(&cwd, targets))
            .map_err(target_error)?;
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
        crate::data::lock::check_rwlock(&repo.dvc_dir, &[], paths)?;
        Ok(lock)
    }

    /// Print a line to stdout unless `-q`.
    pub fn out(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            println!("{line}");
        }
    }
}

/// Turn user-given paths into absolute, lexically normalized paths.
pub fn abs_targets(cwd: &Path, targets: &[String]) -> Vec<PathBuf> {
    targets
        .iter()
        .map(|t| crate::data::pathsafe::normalize(&cwd.join(t)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (architecture issue): a second context used to claim the `-j` it was
    /// given while the global pool kept its first size.
    #[test]
    fn jobs_is_the_real_pool_size() {
        let first = Context::new(true, 0, Some(3), ProcessEnv::default());
        let second = Context::new(true, 0, Some(7), ProcessEnv::default());
        assert_eq!(first.jobs, rayon::current_num_threads());
        assert_eq!(second.jobs, rayon::current_num_threads());
        assert_eq!(
            second.jobs_flag,
            Some(7),
            "transfers still get the -j asked for"
        );
    }
}

//! What the filter and the hooks share: open the DVC repository of a git worktree, bring
//! pointers' data into the workspace ([`materialize`]), reconcile the workspace after git
//! rewrote it ([`reconcile`]), and the pending journal ([`pending`]).
//!
//! Layering: `filter` and `hooks` call this module; it calls `data` (the engine) and `git`.
//! It never imports `cli`, `hooks` or `filter`.
//!
//! Invariants (DESIGN.md 2, 3, 7):
//! - checkouts run with [`OnUnsaved::Keep`](crate::data::checkout::OnUnsaved): workspace
//!   content that is not in the cache is never overwritten or deleted; it is reported and
//!   left alone;
//! - orphaned outs are deleted only when every byte of them is in the cache;
//! - writes happen under DVC's repo lock, taken with a short wait; a busy lock defers the
//!   work to the pending journal instead of failing git;
//! - nothing here fails a git command: problems come back as values for the caller to
//!   warn about (and, for hooks, to turn into an exit status under `gitdvc.strict`).

pub mod fs_cache;
pub mod materialize;
pub mod pending;
pub mod reconcile;
pub mod registry;
pub mod watchman;

pub use materialize::{PointerOutcome, fetch_and_retry, materialize, warn_outcomes};
pub use pending::Pending;
pub use reconcile::{
    ChangedPointers, ReconcileRequest, Reconciled, filter_is_active, index_pointers, reconcile,
    remove_vanished,
};

use crate::data::lock::{LockError, LockOptions, RepoLock};
use crate::data::repo::{Repo, RepoError};
use crate::env::ProcessEnv;
use crate::git::{Git, GitDvcSettings};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a worktree's repository could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The working directory is unreadable.
    #[error("cannot read the current directory")]
    Cwd(#[source] std::io::Error),
    /// The DVC repository is broken (config, state, ...).
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Open the DVC repository whose root is the worktree top `top`; `Ok(None)` when `top`
/// holds no `.dvc/` (not a DVC repository: nothing to do). In a linked worktree with no
/// cache of its own configured, it is first pointed at the main worktree's cache.
pub fn open_repo(top: &Path, env: &ProcessEnv) -> Result<Option<Repo>, RepoError> {
    if !top.join(".dvc").is_dir() {
        return Ok(None);
    }
    let options = env.repo_options();
    let mut repo = Repo::open(top, &options)?;
    if share_main_cache(top, &mut repo, env) {
        repo = Repo::open(top, &options)?;
    }
    if let Some(w) = &repo.state_error {
        tracing::warn!("git-dvc: state DB unavailable, hashing everything: {w}");
    }
    Ok(Some(repo))
}

/// In a linked worktree (`git worktree add`) whose DVC config names no cache, point
/// `cache.dir` in its `.dvc/config.local` at the main worktree's cache, so that the data
/// committed there is available (dvc itself would use an empty per-worktree cache).
/// Returns true when the config was changed.
fn share_main_cache(top: &Path, repo: &mut Repo, env: &ProcessEnv) -> bool {
    if !top.join(".git").is_file() || repo.config.cache_dir().is_some() {
        return false;
    }
    let git = Git::new(top);
    let (Ok(git_dir), Ok(common_dir)) = (git.git_dir(), git.common_dir()) else {
        return false;
    };
    let same = |a: &Path, b: &Path| match (fs_err::canonicalize(a), fs_err::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    // A submodule also has a `.git` file, but its git dir is its common dir.
    if same(&git_dir, &common_dir) || common_dir.file_name() != Some(".git".as_ref()) {
        return false;
    }
    let Some(main_top) = common_dir.parent() else {
        return false;
    };
    if !main_top.join(".dvc").is_dir() {
        return false;
    }
    let Ok(main) = Repo::open(main_top, &env.repo_options()) else {
        return false;
    };
    let cache = main.odb.root().to_path_buf();
    if same(&cache, repo.odb.root()) || !cache.is_dir() {
        return false;
    }
    let value = cache.to_string_lossy().into_owned();
    match repo
        .config
        .set(crate::data::config::Level::Local, "cache.dir", &value, top)
    {
        Ok(()) => {
            tracing::info!(
                "git-dvc: this worktree now uses the main worktree's DVC cache ({value})"
            );
            true
        }
        Err(e) => {
            tracing::warn!("git-dvc: cannot point this worktree at the main cache: {e}");
            false
        }
    }
}

/// DVC's repo lock with a short wait (about one second): hooks and the filter run inside
/// a git command and must not stall it for long.
pub fn lock(repo: &Repo) -> Result<RepoLock, LockError> {
    RepoLock::acquire_with(
        &repo.dvc_dir,
        LockOptions {
            retries: 4,
            delay: Duration::from_millis(250),
        },
    )
}

/// A git worktree with its DVC repository: what a hook works on.
pub struct Worktree {
    /// git, run in the worktree top.
    pub git: Git,
    /// The worktree top (the hook's working directory).
    pub top: PathBuf,
    /// The DVC repository rooted at `top`.
    pub repo: Repo,
    /// The process environment.
    pub env: ProcessEnv,
    /// `gitdvc.*`, read from git config on first use (most hook runs never need it).
    settings: std::sync::OnceLock<GitDvcSettings>,
}

impl Worktree {
    /// Open the repository of the working directory (hooks run at the worktree top).
    /// `Ok(None)`: not a DVC repository, nothing to do.
    pub fn open_current(env: &ProcessEnv) -> Result<Option<Worktree>, Error> {
        let top = env.cwd().map_err(Error::Cwd)?.to_path_buf();
        let Some(repo) = open_repo(&top, env)? else {
            return Ok(None);
        };
        Ok(Some(Worktree {
            git: Git::new(&top),
            top,
            repo,
            env: env.clone(),
            settings: std::sync::OnceLock::new(),
        }))
    }

    /// The pending journal of this worktree.
    pub fn pending(&self) -> Option<Pending> {
        match Pending::for_git(&self.git) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::debug!("git-dvc: no git dir: {e}");
                None
            }
        }
    }

    /// git-dvc's `gitdvc.*` settings, read once per hook run.
    pub fn settings(&self) -> &GitDvcSettings {
        self.settings.get_or_init(|| self.git.gitdvc_settings())
    }
}

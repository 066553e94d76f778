//! Engine glue shared by `git-dvc-filter` and the hooks: open the DVC repository of a
//! worktree, bring pointers' data into the workspace, delete outs whose pointers vanished,
//! and the pending journal (`$GIT_DIR/dvc/pending`).
//!
//! Invariants (DESIGN.md 2, 3, 7):
//! - checkouts run with [`OnUnsaved::Keep`]: workspace content that is not in the cache is
//!   never overwritten or deleted; it is reported and left alone;
//! - orphaned outs are deleted only when every byte of them is in the cache;
//! - writes happen under DVC's repo lock, taken with a short wait; a busy lock defers the
//!   work to the pending journal instead of failing git;
//! - nothing here fails a git command: problems come back as values for the caller to
//!   warn about (and, for hooks, to turn into an exit status under `gitdvc.strict`).

use crate::data::checkout::{self, CheckoutOptions, OnUnsaved};
use crate::data::lock::{LockError, LockOptions, RepoLock};
use crate::data::repo::{Repo, RepoError, RepoOptions, ResolvedOut};
use crate::git::{DiffSide, Git, RawChange};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Pathspecs that select pointer files (`*` matches `/` in git's default pathspecs);
/// [`is_pointer_path`] filters the `*dvc.lock` false positives.
pub const POINTER_PATHSPECS: [&str; 2] = ["*.dvc", "*dvc.lock"];

/// True for `x.dvc` and `dvc.lock` paths (top-relative, `/`-separated).
pub fn is_pointer_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "dvc.lock" || (name.ends_with(".dvc") && name.len() > ".dvc".len())
}

/// Config locations from the environment, as dvc finds them (the same rules as the CLI's
/// `Context::repo_options`; the engine never reads the environment itself).
pub fn repo_options() -> RepoOptions {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let system = std::env::var_os("DVC_SYSTEM_CONFIG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/xdg/dvc"));
    let global = std::env::var_os("DVC_GLOBAL_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            let base = std::env::var_os("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".config")))?;
            Some(base.join("dvc"))
        });
    RepoOptions {
        system_config_dir: Some(system),
        global_config_dir: global,
        home_dir: home,
        rehash: std::env::var_os("GIT_DVC_REHASH").is_some(),
    }
}

/// `GIT_DVC_SKIP_SMUDGE=1` (or `true`): no data side effects at all.
pub fn skip_smudge_from_env() -> bool {
    std::env::var_os(crate::filter::SKIP_SMUDGE_ENV).is_some_and(|v| v == "1" || v == "true")
}

/// Open the DVC repository whose root is the worktree top `top`; `Ok(None)` when `top`
/// holds no `.dvc/` (not a DVC repository: nothing to do).
pub fn open_repo(top: &Path) -> Result<Option<Repo>, RepoError> {
    if !top.join(".dvc").is_dir() {
        return Ok(None);
    }
    let options = repo_options();
    let mut repo = Repo::open(top, &options)?;
    if share_main_cache(top, &mut repo) {
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
fn share_main_cache(top: &Path, repo: &mut Repo) -> bool {
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
    let main = match open_repo_plain(main_top) {
        Some(main) => main,
        None => return false,
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

fn open_repo_plain(top: &Path) -> Option<Repo> {
    if !top.join(".dvc").is_dir() {
        return None;
    }
    Repo::open(top, &repo_options()).ok()
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

/// What bringing one pointer's data into the workspace did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PointerOutcome {
    /// The pointer file, top-relative.
    pub pathname: String,
    /// Outs written or updated.
    pub changed: Vec<String>,
    /// Outs left alone because they hold changes that are not in the cache.
    pub kept: Vec<String>,
    /// Outs whose data is not in the cache.
    pub missing: Vec<String>,
    /// Other failures (one line each).
    pub errors: Vec<String>,
    /// The pointer could not be parsed: nothing was done.
    pub unparseable: Option<String>,
}

impl PointerOutcome {
    /// Whether a later retry could do more (missing data or an error).
    pub fn needs_retry(&self) -> bool {
        !self.missing.is_empty() || !self.errors.is_empty()
    }

    /// Whether anything is worth a warning.
    pub fn has_problems(&self) -> bool {
        self.needs_retry() || !self.kept.is_empty()
    }

    /// One user-facing line per problem.
    pub fn problem_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for out in &self.kept {
            lines.push(format!(
                "`{out}` has changes that are not in the DVC cache and does not match `{}`; left as it is (run `git dvc commit {}` to keep them, or `git dvc checkout -f {}` to drop them)",
                self.pathname, self.pathname, self.pathname
            ));
        }
        for out in &self.missing {
            lines.push(format!(
                "data of `{out}` (`{}`) is not in the cache; run `git dvc pull {}`",
                self.pathname, self.pathname
            ));
        }
        for e in &self.errors {
            lines.push(format!("`{}`: {e}", self.pathname));
        }
        lines
    }
}

/// Check out the data of `pointers` (top-relative path, pointer text) in parallel, never
/// touching unsaved workspace content. The caller holds the repo lock.
pub fn materialize(repo: &Repo, pointers: &[(String, String)]) -> Vec<PointerOutcome> {
    pointers
        .par_iter()
        .map(|(pathname, text)| materialize_one(repo, pathname, text))
        .collect()
}

fn materialize_one(repo: &Repo, pathname: &str, text: &str) -> PointerOutcome {
    let mut outcome = PointerOutcome {
        pathname: pathname.to_owned(),
        ..PointerOutcome::default()
    };
    let stages = match repo.stages_from_text(pathname, text) {
        Ok(stages) => stages,
        Err(e @ RepoError::UnsafePath { .. }) => {
            // A hostile path is an error to show, never something to write (invariant 4).
            outcome.errors.push(e.to_string());
            return outcome;
        }
        Err(e) => {
            tracing::debug!("git-dvc: `{pathname}` is not a usable pointer ({e}); skipped");
            outcome.unparseable = Some(e.to_string());
            return outcome;
        }
    };
    let options = CheckoutOptions {
        on_unsaved: OnUnsaved::Keep,
        relink: false,
    };
    match checkout::checkout(repo, &stages, options) {
        Ok(report) => {
            outcome.changed = report.changes.into_iter().map(|(rel, _, _)| rel).collect();
            outcome.kept = report.kept;
            outcome.missing = report.missing;
            outcome.errors = report.errors;
        }
        Err(e) => outcome.errors.push(e.to_string()),
    }
    outcome
}

/// Fetch the objects of the outs that `outcomes` report missing from their DVC remotes
/// (the out's `remote:`, else DVC's default remote), then materialize those pointers again,
/// replacing their outcomes. The caller holds the repo lock and is not on a rayon worker
/// (the transfer enters the async runtime).
///
/// Failures only leave the outcomes as they were (with a note).
pub fn fetch_and_retry(
    repo: &Repo,
    pointers: &[(String, String)],
    outcomes: &mut [PointerOutcome],
) {
    use crate::data::remote::{OpenOptions, Remote};
    use crate::data::transfer::{self, TransferOptions};
    let mut outs = Vec::new();
    let mut retry: Vec<(String, String)> = Vec::new();
    let by_path: HashMap<&str, &str> = pointers
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    for o in outcomes.iter().filter(|o| !o.missing.is_empty()) {
        let Some((path, text)) = by_path.get_key_value(o.pathname.as_str()) else {
            continue;
        };
        let (path, text) = (path.to_string(), text.to_string());
        let Ok(stages) = repo.stages_from_text(&path, &text) else {
            continue;
        };
        outs.extend(
            stages
                .into_iter()
                .flat_map(|s| s.outs)
                .filter(|r| o.missing.contains(&r.rel))
                .map(|r| r.out),
        );
        retry.push((path, text));
    }
    if outs.is_empty() {
        return;
    }
    let default = repo.config.core_remote();
    let plan = transfer::plan(
        outs.iter(),
        transfer::Direction::Fetch,
        None,
        default.as_deref(),
    );
    let mut fetched = 0;
    for (name, objects) in &plan.by_remote {
        let remote = match repo
            .config
            .remote(name)
            .map_err(|e| e.to_string())
            .and_then(|c| {
                Remote::open(
                    &c,
                    &OpenOptions {
                        home_dir: repo_options().home_dir,
                    },
                )
                .map_err(|e| e.to_string())
            }) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("git-dvc: cannot fetch from DVC remote `{name}`: {e}");
                continue;
            }
        };
        let options = TransferOptions {
            jobs: TransferOptions::default_jobs(&remote),
        };
        match transfer::fetch_objects(&repo.odb, &remote, objects, &options, &transfer::NoProgress)
        {
            Ok(summary) => {
                fetched += summary.transferred;
                for f in &summary.failed {
                    tracing::warn!(
                        "git-dvc: fetching `{}` from `{name}` failed: {}",
                        f.object.oid,
                        f.error
                    );
                }
            }
            Err(e) => tracing::warn!("git-dvc: fetching from DVC remote `{name}` failed: {e}"),
        }
    }
    if fetched == 0 {
        return;
    }
    tracing::info!("git-dvc: fetched {fetched} object(s)");
    let mut fresh: HashMap<String, PointerOutcome> = materialize(repo, &retry)
        .into_iter()
        .map(|o| (o.pathname.clone(), o))
        .collect();
    for slot in outcomes.iter_mut() {
        if let Some(new) = fresh.remove(&slot.pathname) {
            *slot = new;
        }
    }
}

/// Warn about every problem of `outcomes` on stderr.
pub fn warn_outcomes(outcomes: &[PointerOutcome]) {
    for o in outcomes {
        for line in o.problem_lines() {
            tracing::warn!("git-dvc: {line}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The pending journal.
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Reconciling the workspace after git moved HEAD.
// ---------------------------------------------------------------------------------------------

/// What a reconciliation did, for messages and the exit status.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Outs deleted because their pointer vanished and their data is in the cache.
    pub removed: Vec<String>,
    /// Outs whose pointer vanished but which hold unsaved changes: kept.
    pub kept_orphans: Vec<String>,
    /// Outcomes of materialized pointers (the pending journal and, when the filter did
    /// not run, the changed pointers).
    pub materialized: Vec<PointerOutcome>,
    /// Other failures.
    pub errors: Vec<String>,
}

impl Reconciled {
    /// Whether anything went wrong (for `gitdvc.strict`).
    pub fn has_problems(&self) -> bool {
        !self.kept_orphans.is_empty()
            || !self.errors.is_empty()
            || self.materialized.iter().any(PointerOutcome::has_problems)
    }

    /// Print warnings and notes on stderr.
    pub fn report(&self) {
        for out in &self.removed {
            tracing::info!(
                "git-dvc: removed `{out}`: no pointer tracks it any more (its data is in the cache)"
            );
        }
        for out in &self.kept_orphans {
            tracing::warn!(
                "git-dvc: `{out}` is no longer tracked by DVC on this commit but holds changes that are not in the cache; left in place (it is now untracked)"
            );
        }
        warn_outcomes(&self.materialized);
        for e in &self.errors {
            tracing::warn!("git-dvc: {e}");
        }
    }
}

/// A hook's view of the repository: git in the worktree top, and the DVC repo there.
pub struct HookRepo {
    /// git, run in the worktree top.
    pub git: Git,
    /// The worktree top (the hook's working directory).
    pub top: PathBuf,
    /// The DVC repository rooted at `top`.
    pub repo: Repo,
}

impl HookRepo {
    /// Open the repository of the current directory (hooks run at the worktree top).
    /// `Ok(None)`: not a DVC repository, nothing to do.
    pub fn open_current() -> Result<Option<HookRepo>, String> {
        let top = std::env::current_dir()
            .map_err(|e| format!("cannot read the current directory: {e}"))?;
        let repo = match open_repo(&top) {
            Ok(Some(repo)) => repo,
            Ok(None) => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        Ok(Some(HookRepo {
            git: Git::new(&top),
            top,
            repo,
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

    /// Read `git config --get-regexp ^gitdvc\.` once: (lowercased key, value) pairs.
    pub fn settings(&self) -> Settings {
        let pairs = self
            .git
            .run(&["config", "-z", "--get-regexp", "^gitdvc\\."])
            .map(|bytes| {
                String::from_utf8_lossy(&bytes)
                    .split('\0')
                    .filter(|e| !e.is_empty())
                    .map(|e| match e.split_once('\n') {
                        Some((k, v)) => (k.to_ascii_lowercase(), v.to_owned()),
                        None => (e.to_ascii_lowercase(), "true".to_owned()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Settings { pairs }
    }
}

/// git-dvc's own settings (`gitdvc.*` in git config).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pairs: Vec<(String, String)>,
}

impl Settings {
    /// A raw value (last one wins, as in git). `key` is lowercase, e.g. `gitdvc.strict`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean with git's spellings; `default` when unset or unreadable.
    pub fn bool(&self, key: &str, default: bool) -> bool {
        match self.get(key).map(|v| v.trim().to_ascii_lowercase()) {
            Some(v) if ["true", "yes", "on", "1", ""].contains(&v.as_str()) => true,
            Some(v) if ["false", "no", "off", "0"].contains(&v.as_str()) => false,
            _ => default,
        }
    }
}

/// True when the process filter ran for this git command's worktree writes: it is
/// configured and reachable, and `GIT_DVC_SKIP_SMUDGE` is unset. Then the hooks leave the
/// changed pointers to it and only handle removals and the journal.
pub fn filter_is_active(git: &Git) -> bool {
    if skip_smudge_from_env() {
        return false;
    }
    let Ok(Some(command)) = git.config_get_effective("filter.dvc.process") else {
        return false;
    };
    let program = command.split_whitespace().next().unwrap_or("");
    !program.is_empty() && on_path(program)
}

fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// The pointer side of one changed path: its text before and after (None when absent or
/// not UTF-8).
struct PointerChange {
    path: String,
    old: Option<String>,
    new: Option<String>,
}

fn changed_pointers(
    git: &Git,
    old: &str,
    new: DiffSide<'_>,
) -> Result<Vec<PointerChange>, crate::git::Error> {
    let changed: Vec<RawChange> = git
        .diff_raw(old, new, &POINTER_PATHSPECS)?
        .into_iter()
        .filter(|c| is_pointer_path(&c.path))
        .collect();
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    // By blob id: `<rev>:<path>` would walk (and inflate) the trees once per path.
    let mut names = Vec::with_capacity(changed.len() * 2);
    for c in &changed {
        names.push(c.old.to_string());
        names.push(c.new.to_string());
    }
    let blobs = git.cat_file_batch(&names)?;
    let text = |b: &Option<Vec<u8>>| b.as_ref().and_then(|b| String::from_utf8(b.clone()).ok());
    Ok(changed
        .iter()
        .zip(blobs.chunks(2))
        .map(|(c, pair)| PointerChange {
            path: c.path.clone(),
            old: if c.old.is_null() {
                None
            } else {
                pair.first().and_then(text)
            },
            new: if c.new.is_null() {
                None
            } else {
                pair.get(1).and_then(text)
            },
        })
        .collect())
}

/// How [`reconcile`] treats the pointers that changed between the two commits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChangedPointers {
    /// Leave them (nothing moved, or only the journal matters).
    #[default]
    Ignore,
    /// The filter ran and materialized them: check that quietly, and bring in what it did
    /// not (a filter process that died mid-request, which git replaces and never retries).
    /// What the filter already reported (unsaved changes, missing data) is not repeated.
    Verify,
    /// The filter did not run: check their data out, reporting everything.
    Materialize,
}

impl ChangedPointers {
    /// `Verify` when the process filter served this git command, else `Materialize`.
    pub fn after_filter(git: &Git) -> ChangedPointers {
        if filter_is_active(git) {
            ChangedPointers::Verify
        } else {
            ChangedPointers::Materialize
        }
    }
}

/// What [`reconcile`] should look at.
#[derive(Debug, Clone, Default)]
pub struct ReconcileRequest<'a> {
    /// The move git made: (old commit, new commit or the index). `None`: no diff (a file
    /// checkout, `checkout -b`, an amend): only the journal and `extra` are handled.
    pub diff: Option<(&'a str, DiffSide<'a>)>,
    /// What to do with the data of the pointers that changed.
    pub changed: ChangedPointers,
    /// Further pointers to materialize (path, text), e.g. every pointer of a new worktree.
    pub extra: Vec<(String, String)>,
}

/// Reconcile the workspace after git moved from `old` to `new`:
/// - outs of pointers that vanished (or of outs dropped from a changed pointer) are
///   deleted when unmodified, kept with a warning otherwise;
/// - the changed pointers' data is checked out or verified, as `request.changed` says;
/// - the pending journal is retried and rewritten with what still fails.
///
/// `GIT_DVC_SKIP_SMUDGE=1` turns every data write off.
pub fn reconcile(hr: &HookRepo, request: ReconcileRequest<'_>) -> Reconciled {
    let mut result = Reconciled::default();
    if skip_smudge_from_env() {
        tracing::debug!("git-dvc: GIT_DVC_SKIP_SMUDGE is set; the workspace is left as it is");
        return result;
    }
    let changes = match request.diff {
        Some((old, new)) => match changed_pointers(&hr.git, old, new) {
            Ok(c) => c,
            Err(e) => {
                result.errors.push(format!(
                    "cannot compare the pointers of the two commits: {e}"
                ));
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let mut to_materialize = request.extra;
    let orphans = orphaned_outs(hr, &changes);
    let mut queued: HashSet<String> = to_materialize.iter().map(|(p, _)| p.clone()).collect();
    // Pointers the filter handled: verified here, their known problems not repeated.
    let mut verify_only: HashSet<String> = HashSet::new();
    if request.changed != ChangedPointers::Ignore {
        for c in &changes {
            // The worktree file is what git wrote; it equals the new blob unless the user
            // kept local changes to it.
            if c.new.is_some()
                && !queued.contains(&c.path)
                && let Ok(text) = fs_err::read_to_string(hr.top.join(&c.path))
            {
                queued.insert(c.path.clone());
                if request.changed == ChangedPointers::Verify {
                    verify_only.insert(c.path.clone());
                }
                to_materialize.push((c.path.clone(), text));
            }
        }
    }
    let pending = hr.pending();
    let journal: Vec<String> = pending
        .as_ref()
        .filter(|p| p.exists())
        .map(Pending::read)
        .unwrap_or_default();
    for path in &journal {
        // A journaled pointer is retried in full, even when it also changed.
        verify_only.remove(path);
        if !queued.insert(path.clone()) {
            continue;
        }
        if let Ok(text) = fs_err::read_to_string(hr.top.join(path)) {
            to_materialize.push((path.clone(), text));
        }
    }
    if orphans.is_empty() && to_materialize.is_empty() {
        if !journal.is_empty()
            && let Some(p) = &pending
            && let Err(e) = p.replace(&[])
        {
            tracing::debug!("git-dvc: cannot clear {}: {e}", p.path().display());
        }
        return result;
    }
    let _lock = match lock(&hr.repo) {
        Ok(l) => l,
        Err(e) => {
            result.errors.push(format!(
                "the workspace was not updated: {e} (it will be retried by the next checkout)"
            ));
            if let Some(p) = &pending {
                let paths: Vec<String> = to_materialize.into_iter().map(|(p, _)| p).collect();
                let _ = p.add(&paths);
            }
            return result;
        }
    };
    remove_orphans(hr, orphans, &mut result);
    let mut outcomes = materialize(&hr.repo, &to_materialize);
    for o in outcomes
        .iter_mut()
        .filter(|o| verify_only.contains(&o.pathname))
    {
        o.kept.clear();
        o.missing.clear();
    }
    if outcomes.iter().any(|o| !o.missing.is_empty())
        && hr.settings().bool("gitdvc.autofetch", true)
    {
        fetch_and_retry(&hr.repo, &to_materialize, &mut outcomes);
    }
    if let Some(p) = &pending {
        let retry: Vec<String> = outcomes
            .iter()
            .filter(|o| o.needs_retry())
            .map(|o| o.pathname.clone())
            .collect();
        if (!journal.is_empty() || !retry.is_empty())
            && let Err(e) = p.replace(&retry)
        {
            tracing::debug!("git-dvc: cannot write {}: {e}", p.path().display());
        }
    }
    result.materialized = outcomes;
    result
}

/// Delete each orphaned out whose data is in the cache; keep (and list) the others.
fn remove_orphans(hr: &HookRepo, orphans: Vec<ResolvedOut>, result: &mut Reconciled) {
    for o in orphans {
        if std::fs::symlink_metadata(&o.abs).is_err() {
            continue;
        }
        match checkout::remove_out_if_saved(&hr.repo, &o) {
            Ok(true) => result.removed.push(o.rel),
            Ok(false) => result.kept_orphans.push(o.rel),
            Err(e) => result
                .errors
                .push(format!("cannot remove `{}`: {e}", o.rel)),
        }
    }
}

/// Remove the outs orphaned by pointer changes git made to the index without a
/// post-checkout (`reset --hard`, `stash`, `sparse-checkout`, ...): each change is (path,
/// text before, text after), `None` for an absent pointer. Takes the repository lock only
/// when there is something to delete.
pub fn remove_vanished(
    hr: &HookRepo,
    changes: Vec<(String, Option<String>, Option<String>)>,
) -> Reconciled {
    let mut result = Reconciled::default();
    if skip_smudge_from_env() {
        return result;
    }
    let changes: Vec<PointerChange> = changes
        .into_iter()
        .map(|(path, old, new)| PointerChange { path, old, new })
        .collect();
    let orphans: Vec<ResolvedOut> = orphaned_outs(hr, &changes)
        .into_iter()
        .filter(|o| std::fs::symlink_metadata(&o.abs).is_ok())
        .collect();
    if orphans.is_empty() {
        return result;
    }
    let _lock = match lock(&hr.repo) {
        Ok(l) => l,
        Err(e) => {
            result
                .errors
                .push(format!("outs whose pointer is gone were not removed: {e}"));
            return result;
        }
    };
    remove_orphans(hr, orphans, &mut result);
    result
}

/// Outs present before and absent after: in a deleted pointer, or dropped from a changed
/// one, and not tracked by any changed pointer afterwards nor by git itself.
fn orphaned_outs(hr: &HookRepo, changes: &[PointerChange]) -> Vec<ResolvedOut> {
    let mut after: HashSet<String> = HashSet::new();
    let mut unknown_after = false;
    for c in changes {
        if let Some(text) = &c.new {
            match hr.repo.stages_from_text(&c.path, text) {
                Ok(stages) => after.extend(stages.into_iter().flat_map(|s| s.outs).map(|o| o.rel)),
                Err(_) => {
                    // Conflict markers or garbage: we cannot tell what it tracks; keep
                    // everything this pointer tracked before.
                    unknown_after = true;
                    tracing::debug!("git-dvc: `{}` is not parseable; its outs are kept", c.path);
                }
            }
        }
    }
    // Every proper ancestor of a path that is tracked afterwards: an old out there
    // overlaps it (it became a parent of a tracked out).
    let after_ancestors: HashSet<&str> = after.iter().flat_map(|a| ancestors(a)).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut candidates: Vec<ResolvedOut> = Vec::new();
    for c in changes {
        let Some(old) = &c.old else { continue };
        if unknown_after && c.new.is_some() {
            continue;
        }
        let Ok(stages) = hr.repo.stages_from_text(&c.path, old) else {
            continue;
        };
        for o in stages.into_iter().flat_map(|s| s.outs) {
            let overlaps = after.contains(&o.rel)
                || after_ancestors.contains(o.rel.as_str())
                || ancestors(&o.rel).any(|a| after.contains(a));
            if !overlaps && seen.insert(o.rel.clone()) {
                candidates.push(o);
            }
        }
    }
    if candidates.is_empty() {
        return candidates;
    }
    // A path git tracks now (edge case 34: a DVC out on one branch, a git file on the
    // other) belongs to git: never delete it. Few candidates: ask git about them; many
    // (thousands of pointers deleted at once): list the index once instead of matching
    // thousands of pathspecs.
    let mut args = vec!["ls-files", "-z", "--"];
    if candidates.len() <= 64 {
        args.extend(candidates.iter().map(|o| o.rel.as_str()));
    }
    let protected: HashSet<String> = match hr.git.run(&args) {
        Ok(bytes) => {
            let mut protected = HashSet::new();
            for t in bytes.split(|&b| b == 0).filter(|s| !s.is_empty()) {
                let t = String::from_utf8_lossy(t);
                for p in std::iter::once(t.as_ref()).chain(ancestors(&t)) {
                    if seen.contains(p) {
                        protected.insert(p.to_owned());
                    }
                }
            }
            protected
        }
        Err(e) => {
            tracing::debug!("git-dvc: ls-files failed ({e}); keeping every orphan");
            return Vec::new();
        }
    };
    candidates
        .into_iter()
        .filter(|o| !protected.contains(&o.rel))
        .collect()
}

/// The proper ancestors of a `/`-separated relative path (`a/b/c` → `a/b`, `a`).
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = path;
    std::iter::from_fn(move || {
        let cut = rest.rfind('/')?;
        rest = &rest[..cut];
        Some(rest)
    })
}

/// Every pointer in the index that is not skip-worktree (sparse checkout), with its
/// worktree text: what a fresh worktree (clone, `worktree add`) must materialize.
pub fn index_pointers(hr: &HookRepo) -> Vec<(String, String)> {
    let mut args = vec!["ls-files", "-z", "-t", "--"];
    args.extend_from_slice(&POINTER_PATHSPECS);
    let Ok(bytes) = hr.git.run(&args) else {
        return Vec::new();
    };
    bytes
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8(entry.to_vec()).ok()?;
            let (tag, path) = entry.split_once(' ')?;
            // `S`: skip-worktree; everything else (`H`, `C`, ...) is in the worktree.
            if tag == "S" || !is_pointer_path(path) {
                return None;
            }
            let text = fs_err::read_to_string(hr.top.join(path)).ok()?;
            Some((path.to_owned(), text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_paths() {
        assert!(is_pointer_path("a.dvc"));
        assert!(is_pointer_path("d/e f.dvc"));
        assert!(is_pointer_path("dvc.lock"));
        assert!(is_pointer_path("sub/dvc.lock"));
        assert!(!is_pointer_path("xdvc.lock"));
        assert!(!is_pointer_path(".dvc"));
        assert!(!is_pointer_path("a.dvc/x"));
    }

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

    #[test]
    fn settings_parse_git_booleans() {
        let s = Settings {
            pairs: vec![
                ("gitdvc.strict".into(), "yes".into()),
                ("gitdvc.autostage".into(), "true".into()),
                ("gitdvc.autostage".into(), "off".into()),
            ],
        };
        assert!(s.bool("gitdvc.strict", false));
        assert!(!s.bool("gitdvc.autostage", true));
        assert!(s.bool("gitdvc.missing", true));
    }
}

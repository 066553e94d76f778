//! The one transfer use case. `push`, `pull` and `fetch`, the pre-push hook, the filter's
//! fetch of missing objects and gc's manifest fetch all come through [`run`] (or, for gc,
//! [`fetch_manifests`]): which objects go to which remote (spec §7.5), opening each remote
//! once through [`Repo::open_remote`], moving the objects, and one [`Outcome`] for the
//! caller to render. Callers choose words and exit codes; they make no transfer decision.

use super::{
    Direction, NoProgress, Object, Plan, Progress, Summary, TransferError, TransferOptions,
    download_each, plan,
};
use crate::data::dvcfile::Out;
use crate::data::repo::Repo;

/// Which remote the outs go to.
#[derive(Debug, Clone, Default)]
pub struct RemoteChoice {
    /// `-r NAME`: every out goes to this remote; outs whose own `remote:` names another
    /// remote are skipped. Checked to exist before anything moves.
    pub flag: Option<String>,
    /// The remote for outs that name none: `core.remote`, or pre-push's
    /// `gitdvc.remote.<git remote>` mapping.
    pub default: Option<String>,
}

impl RemoteChoice {
    /// `-r flag` (lowercased, as dvc does) over the repository's `core.remote`.
    pub fn of_repo(repo: &Repo, flag: Option<&str>) -> RemoteChoice {
        RemoteChoice {
            flag: flag.map(str::to_lowercase),
            default: repo.config.core_remote(),
        }
    }
}

/// What to do with objects that need the default remote when none is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithoutRemote {
    /// Fail before anything moves (`push`).
    Fail,
    /// Fail before anything moves when any of them is missing from the cache
    /// (`fetch`, `pull`: dvc only warns, but then nothing could be checked out).
    FailIfNotCached,
    /// Report them in the [`Outcome`] and move the rest (hooks, the filter).
    Report,
}

/// Options of [`run`].
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// Parallel transfers when given (`-j`); else each remote's `jobs`, or 4 × cores.
    pub jobs: Option<usize>,
    /// Objects that need a default remote that is not configured.
    pub without_remote: WithoutRemote,
    /// Stop at the first remote that cannot be opened or fails as a whole (the CLI); else
    /// record the failure and go on with the other remotes (hooks, the filter).
    pub stop_on_remote_error: bool,
    /// Push: a `.dir` the repository saw on the remote, and that is still there, stands
    /// for its files ([`super::RemoteIndex`]); off, every file is asked about.
    pub trust_remote_dirs: bool,
}

/// What happened with one remote.
#[derive(Debug)]
pub struct RemoteOutcome {
    /// The remote's name.
    pub name: String,
    /// Its summary, or why it could not be used at all.
    pub result: Result<Summary, TransferError>,
}

/// What [`run`] did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Objects that needed a default remote when none is configured (moved nowhere).
    pub without_remote: Vec<Object>,
    /// One entry per remote, in name order.
    pub remotes: Vec<RemoteOutcome>,
}

impl Outcome {
    /// Objects moved, over every remote.
    pub fn transferred(&self) -> usize {
        self.remotes
            .iter()
            .filter_map(|r| r.result.as_ref().ok())
            .map(|s| s.transferred)
            .sum()
    }

    /// Every remote's summary merged; the first remote-wide error instead, if any.
    pub fn into_summary(self) -> Result<Summary, TransferError> {
        let mut summary = Summary::default();
        for r in self.remotes {
            summary.merge(r.result?);
        }
        Ok(summary)
    }
}

/// The transfer options for `remote`: the explicit `jobs`, else the remote's default.
pub fn transfer_options(
    remote: &crate::data::remote::Remote,
    jobs: Option<usize>,
) -> TransferOptions {
    TransferOptions {
        jobs: jobs.unwrap_or_else(|| TransferOptions::default_jobs(remote)),
    }
}

/// Move the objects of `outs` between the cache and their remotes. `Err` only for what
/// stops the whole run before anything moves (an unknown `-r` remote, a missing default
/// remote under [`WithoutRemote::Fail`]), or a remote failure under
/// `stop_on_remote_error`.
///
/// Must not be called from a rayon worker or inside an async runtime (it enters the
/// shared runtime for network remotes).
pub fn run<'a>(
    repo: &Repo,
    outs: impl IntoIterator<Item = &'a Out>,
    direction: Direction,
    choice: &RemoteChoice,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<Outcome, TransferError> {
    if let Some(name) = &choice.flag {
        repo.config.remote(name)?;
    }
    let outs: Vec<&Out> = outs.into_iter().collect();
    // The `.dir`s of `files:` lists: their entries are known without them, so one
    // missing from the remote too is reported as missing, as dvc does, not as a failure.
    let listed: std::collections::HashSet<Object> = outs
        .iter()
        .filter(|o| o.is_listed())
        .filter_map(|o| super::out_object(o))
        .collect();
    let plan: Plan = plan(
        outs.iter().copied(),
        direction,
        choice.flag.as_deref(),
        choice.default.as_deref(),
    );
    if !plan.without_remote.is_empty() {
        let stop = match options.without_remote {
            WithoutRemote::Fail => true,
            WithoutRemote::FailIfNotCached => plan
                .without_remote
                .iter()
                .any(|o| !repo.odb.exists_verified(&o.oid(), o.legacy)),
            WithoutRemote::Report => false,
        };
        if stop {
            return Err(TransferError::NoRemote(repo.root.display().to_string()));
        }
    }
    let mut outcome = Outcome {
        without_remote: plan.without_remote,
        remotes: Vec::with_capacity(plan.by_remote.len()),
    };
    for (name, objects) in &plan.by_remote {
        let result = repo.open_remote(Some(name)).and_then(|remote| {
            let transfer = transfer_options(&remote, options.jobs);
            let result = match direction {
                Direction::Push => {
                    let index = repo.state.as_ref().filter(|_| options.trust_remote_dirs);
                    let index = index.and_then(|state| {
                        let cfg = repo.config.remote(name).ok()?;
                        Some(StateIndex {
                            state,
                            name: format!("remote-dirs:{}:{}", cfg.name, cfg.url),
                        })
                    });
                    super::push_objects_indexed(
                        &repo.odb,
                        &remote,
                        objects,
                        &transfer,
                        progress,
                        index.as_ref().map(|i| i as &dyn super::RemoteIndex),
                    )
                }
                Direction::Fetch => super::fetch_objects(
                    &repo.odb, &remote, objects, &transfer, progress,
                )
                .map(|mut s| {
                    let (gone, failed) = std::mem::take(&mut s.failed)
                        .into_iter()
                        .partition(|f| listed.contains(&f.object) && f.error.is_not_found());
                    s.failed = failed;
                    s.missing
                        .extend(gone.into_iter().map(|f: super::Failure| f.object));
                    s
                }),
            };
            progress.finish();
            result
        });
        match result {
            Err(e) if options.stop_on_remote_error => return Err(e),
            result => outcome.remotes.push(RemoteOutcome {
                name: name.clone(),
                result,
            }),
        }
    }
    Ok(outcome)
}

/// Download only the `.dir` manifests among `objects` that the cache lacks (not their
/// files), each verified (md5 and JSON) before it enters the cache. gc uses it, as dvc's
/// `Output.get_dir_cache` does, to count the files of used directories.
pub fn fetch_manifests(
    repo: &Repo,
    remote: &crate::data::remote::Remote,
    objects: &[Object],
) -> Result<Summary, TransferError> {
    let missing: Vec<&Object> = objects
        .iter()
        .filter(|o| o.is_dir() && !repo.odb.exists(&o.oid(), o.legacy))
        .collect();
    let mut summary = Summary::default();
    let jobs = TransferOptions::default_jobs(remote).max(1);
    for (o, r) in download_each(&repo.odb, remote, missing, jobs, &NoProgress)? {
        match r {
            Ok(()) => summary.transferred += 1,
            Err(error) => summary.failed.push(super::Failure {
                object: *o,
                error: *error,
            }),
        }
    }
    Ok(summary)
}

/// [`fetch_manifests`] at its most forgiving, for readers that only want to show more
/// (diff, textconv, gc's counts): the `.dir`s among `objects` that the cache lacks come
/// from `remote` (a name) or the default remote when one is configured; nothing
/// configured, unreachable or corrupt leaves the cache as it was. Returns how many
/// manifests entered the cache.
pub fn fetch_manifests_quietly(repo: &Repo, remote: Option<&str>, objects: &[Object]) -> usize {
    if !objects
        .iter()
        .any(|o| o.is_dir() && !repo.odb.exists(&o.oid(), o.legacy))
    {
        return 0;
    }
    if remote.is_none() && !matches!(repo.config.default_remote(), Ok(Some(_))) {
        return 0;
    }
    let opened = match repo.open_remote(remote) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!("no remote to fetch manifests from: {e}");
            return 0;
        }
    };
    fetch_manifests_forgiving(repo, &opened, objects)
}

/// [`fetch_manifests`] from `remote`, logging what failed instead of returning it
/// (a corrupt manifest is a warning); the number that entered the cache.
pub fn fetch_manifests_forgiving(
    repo: &Repo,
    remote: &crate::data::remote::Remote,
    objects: &[Object],
) -> usize {
    match fetch_manifests(repo, remote, objects) {
        Ok(summary) => {
            for f in &summary.failed {
                match &f.error {
                    TransferError::Corrupt { .. } | TransferError::BadTree { .. } => {
                        tracing::warn!("{}; ignored", f.error)
                    }
                    e => tracing::debug!("could not fetch '{}': {e}", f.object.oid()),
                }
            }
            summary.transferred
        }
        Err(e) => {
            tracing::debug!("could not fetch manifests from '{}': {e}", remote.name());
            0
        }
    }
}

/// The `.dir`s a repository saw on one remote, in its state DB (newest first, at most
/// [`REMEMBERED_DIRS`]). Losing it costs one full existence check on the next push.
struct StateIndex<'a> {
    state: &'a crate::data::state::State,
    name: String,
}

const REMEMBERED_DIRS: usize = 16;

impl super::RemoteIndex for StateIndex<'_> {
    fn dirs(&self) -> Vec<Object> {
        let Some(raw) = self.state.get_raw(&self.name) else {
            return Vec::new();
        };
        String::from_utf8_lossy(&raw)
            .lines()
            .filter_map(|l| {
                let (layout, oid) = l.split_once(' ')?;
                Object::parse(oid, layout == "l").filter(Object::is_dir)
            })
            .collect()
    }

    fn record_dirs(&self, dirs: &[Object]) {
        let mut all: Vec<Object> = dirs.to_vec();
        for old in self.dirs() {
            if !all.contains(&old) {
                all.push(old);
            }
        }
        all.truncate(REMEMBERED_DIRS);
        let text: String = all
            .iter()
            .map(|o| format!("{} {}\n", if o.legacy { "l" } else { "m" }, o.oid()))
            .collect();
        let _ = self.state.put_raw(&self.name, text.as_bytes());
    }
}

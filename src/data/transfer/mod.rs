//! Moving objects between the cache and a remote: push, fetch, and the cloud status
//! comparison (spec §7).
//!
//! Push (spec §7.2, trap 19): every file object goes up before any `.dir`, and a `.dir` is
//! uploaded only when every one of its entries is on the remote afterwards. A `.dir`
//! whose entries failed, or were missing locally, is never pushed, because a `.dir` on a
//! remote tells dvc that all its files are there. Only what the remote lacks moves, so an
//! interrupted push resumes where it stopped.
//!
//! Fetch: `.dir` manifests first, then their entries and the loose files. Every
//! downloaded object lands under a temp name in its cache directory, is md5-checked, and
//! only then chmodded 0444 and renamed into place (DESIGN invariant 5): a corrupt object
//! is an error naming the object and the remote, and never enters the cache.
//!
//! Per-object failures do not stop the run; they are collected in the [`Summary`].
//! Transient errors are retried with backoff ([`RemoteError::is_retriable`]).
//!
//! Concurrency: cache checks run on rayon. A local directory remote is driven entirely
//! on rayon too (its operations are blocking file IO, and thousands of small files cost
//! less there than as async tasks). Other remotes run on the shared tokio runtime,
//! entered with [`remote::block_on`] from the synchronous entry points here, which must
//! therefore not be called from a rayon worker or from inside a runtime.
#![expect(
    clippy::disallowed_methods,
    reason = "hot path: std::fs without a path copy per call; every io::Error is mapped into an error that names its path"
)]

use crate::data::config::ConfigError;
use crate::data::dvcfile::Out;
use crate::data::hash;
use crate::data::io::IoError;
use crate::data::odb::{self, Odb};
use crate::data::remote::{self, Remote, RemoteError};
use crate::data::tree::{Tree, TreeError};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod run;
pub use run::{
    Outcome, RemoteChoice, RemoteOutcome, RunOptions, WithoutRemote, fetch_manifests,
    fetch_manifests_forgiving, fetch_manifests_quietly, run, transfer_options,
};

/// A cache object: its oid (`.dir` suffix for manifests) and layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Object {
    /// Lowercase md5 hex, with `.dir` for directory manifests.
    pub oid: String,
    /// Legacy 2.x layout (`ab/cd…` instead of `files/md5/ab/cd…`).
    pub legacy: bool,
}

impl Object {
    /// A new object.
    pub fn new(oid: impl Into<String>, legacy: bool) -> Object {
        Object {
            oid: oid.into(),
            legacy,
        }
    }
    /// Its key relative to a cache or remote root.
    pub fn key(&self) -> String {
        Odb::key(&self.oid, self.legacy)
    }
    /// A `.dir` manifest.
    pub fn is_dir(&self) -> bool {
        self.oid.ends_with(".dir")
    }
}

/// Errors of a transfer.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The remote failed.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// Downloaded content does not match its name.
    #[error(
        "object '{oid}' from remote '{remote}' is corrupt: its md5 is {actual}; it was not added to the cache"
    )]
    Corrupt {
        /// The object.
        oid: String,
        /// The remote.
        remote: String,
        /// The md5 of what the remote sent.
        actual: String,
    },
    /// A downloaded `.dir` is not a valid manifest.
    #[error("'.dir' object '{oid}' from remote '{remote}' is invalid: {source}")]
    BadTree {
        /// The object.
        oid: String,
        /// The remote.
        remote: String,
        /// Why.
        #[source]
        source: TreeError,
    },
    /// The cache failed.
    #[error(transparent)]
    Odb(#[from] odb::Error),
    /// Local IO.
    #[error(transparent)]
    Io(#[from] IoError),
    /// Config (the remote's section).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No remote given and no default remote configured.
    #[error(
        "no remote specified in {0}. Create a default remote with\n    git dvc remote add -d <remote name> <remote url>"
    )]
    NoRemote(String),
    /// A `version_aware` or `worktree` remote keeps files under their workspace paths
    /// (cloud versioning), a layout git-dvc does not read or write.
    #[error(
        "remote '{0}' is `version_aware` or `worktree` (cloud versioning), which git-dvc does not support: use dvc with this remote, or a remote without these options"
    )]
    Versioned(String),
}

impl TransferError {
    /// Worth retrying.
    pub fn is_retriable(&self) -> bool {
        matches!(self, TransferError::Remote(e) if e.is_retriable())
    }
    /// The object is missing on the remote.
    pub fn is_not_found(&self) -> bool {
        matches!(self, TransferError::Remote(e) if e.is_not_found())
    }
}

/// One object that could not be moved.
#[derive(Debug)]
pub struct Failure {
    /// The object.
    pub object: Object,
    /// Why.
    pub error: TransferError,
}

/// What a push or fetch did.
#[derive(Debug, Default)]
pub struct Summary {
    /// Objects moved (files and `.dir`s).
    pub transferred: usize,
    /// Objects that failed.
    pub failed: Vec<Failure>,
    /// Push: objects in neither the cache nor the remote (a `.dir` listed here was not
    /// pushed because of them).
    pub missing: Vec<Object>,
    /// `.dir`s not moved, or incomplete, because entries failed.
    pub incomplete_dirs: Vec<Object>,
    /// Push: the objects uploaded by this run (what `push --verify` checks).
    pub uploaded: Vec<Object>,
}

impl Summary {
    /// Failures as dvc counts them (a `.dir` with failed entries counts too).
    pub fn failed_count(&self) -> usize {
        self.failed.len() + self.incomplete_dirs.len()
    }
    /// Add another summary's numbers.
    pub fn merge(&mut self, other: Summary) {
        self.transferred += other.transferred;
        self.failed.extend(other.failed);
        self.missing.extend(other.missing);
        self.incomplete_dirs.extend(other.incomplete_dirs);
        self.uploaded.extend(other.uploaded);
    }
}

/// Progress reporting, implemented by the CLI (indicatif on a tty) or nobody.
pub trait Progress: Sync {
    /// A phase with `total` objects begins.
    fn start(&self, _label: &str, _total: u64) {}
    /// `n` more objects are done.
    fn advance(&self, _n: u64) {}
    /// The phase ended.
    fn finish(&self) {}
}

/// No progress output.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// Options of a transfer.
#[derive(Debug, Clone, Copy)]
pub struct TransferOptions {
    /// Parallel transfers.
    pub jobs: usize,
}

impl TransferOptions {
    /// dvc's default: `4 × cores`, or the remote's `jobs`.
    pub fn default_jobs(remote: &Remote) -> usize {
        remote
            .jobs()
            .or(remote.preferred_jobs())
            .unwrap_or_else(|| {
                4 * std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(2)
            })
    }
}

const ATTEMPTS: u32 = 3;

/// How long to wait before attempt `attempt + 1`: the backoff (250 ms, 500 ms, …), or
/// longer when the store asked for it (`Retry-After`).
fn retry_wait(e: &TransferError, attempt: u32) -> Duration {
    let backoff = Duration::from_millis(250 << attempt);
    match e {
        TransferError::Remote(r) => r.retry_after().map_or(backoff, |w| w.max(backoff)),
        _ => backoff,
    }
}

/// Run `op` again on retriable errors, backing off 250 ms, 500 ms, … (or as long as the
/// store asked).
async fn with_retry<T, F, Fut>(mut op: F) -> Result<T, TransferError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, TransferError>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Err(e) if e.is_retriable() && attempt + 1 < ATTEMPTS => {
                tracing::debug!("retrying after a transient error: {e}");
                tokio::time::sleep(retry_wait(&e, attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn dedup(objects: &[Object]) -> Vec<Object> {
    objects
        .iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Read and parse a `.dir` from the cache; `None` when it is absent or unusable.
pub fn read_tree(odb: &Odb, dir: &Object) -> Option<Tree> {
    let bytes = odb.read(&dir.oid, dir.legacy).ok()?;
    Tree::parse(&bytes).ok()
}

fn tree_objects(tree: &Tree, legacy: bool) -> Vec<Object> {
    tree.entries
        .iter()
        .map(|e| Object::new(e.md5.to_hex(), legacy))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Per-object operations, on rayon for a local remote and on the runtime otherwise
// ---------------------------------------------------------------------------------------------

/// Which keys the remote has.
fn exists_each(remote: &Remote, keys: &[String], jobs: usize) -> Result<Vec<bool>, TransferError> {
    match remote.as_local() {
        Some(local) => Ok(keys.par_iter().map(|k| local.exists_sync(k)).collect()),
        // The checks are retried like transfers: one 503 must not fail a whole push.
        None => remote::block_on(with_retry(|| async {
            Ok(remote.exists_many(keys, jobs).await?)
        }))?,
    }
}

/// A blocking retry loop for the local backend (same policy as [`with_retry`]).
fn with_retry_sync<T>(
    mut op: impl FnMut() -> Result<T, TransferError>,
) -> Result<T, TransferError> {
    let mut attempt = 0;
    loop {
        match op() {
            Err(e) if e.is_retriable() && attempt + 1 < ATTEMPTS => {
                std::thread::sleep(retry_wait(&e, attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}

type ObjectResult<'a> = (&'a Object, Result<(), TransferError>);

/// Run `f` on a rayon pool of `jobs` threads: local transfers are bound by file creation
/// in the kernel, where more threads than cores overlap the waits (`jobs` defaults to
/// 4 x cores, as dvc's). Falls back to the current pool if a pool cannot be built.
fn on_pool<T: Send>(jobs: usize, f: impl FnOnce() -> T + Send) -> T {
    let jobs = jobs.min(crate::data::MAX_THREADS);
    if jobs <= rayon::current_num_threads() {
        return f();
    }
    match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// Upload each object from the cache.
fn upload_each<'a>(
    odb: &Odb,
    remote: &Remote,
    objects: Vec<&'a Object>,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<Vec<ObjectResult<'a>>, TransferError> {
    if let Some(local) = remote.as_local() {
        return Ok(on_pool(jobs, || {
            objects
                .into_par_iter()
                .map(|o| {
                    let src = odb.path(&o.oid, o.legacy);
                    let key = o.key();
                    let r = with_retry_sync(|| Ok(local.upload_sync(&src, &key)?));
                    progress.advance(1);
                    (o, r)
                })
                .collect()
        }));
    }
    Ok(remote::block_on(remote::concurrent(
        objects,
        jobs,
        |o| async move {
            let src = odb.path(&o.oid, o.legacy);
            let key = o.key();
            let r = with_retry(|| async { Ok(remote.upload(&src, &key).await?) }).await;
            progress.advance(1);
            (o, r)
        },
    ))?)
}

/// Download each object into the cache, verified.
fn download_each<'a>(
    odb: &Odb,
    remote: &Remote,
    objects: Vec<&'a Object>,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<Vec<ObjectResult<'a>>, TransferError> {
    if let Some(local) = remote.as_local() {
        // Downloads stay on the core-sized pool: unlike uploads, more threads renaming
        // into the same cache directories measured slower (20,000 objects: 1.2 s on 2
        // threads, 1.4 to 2.3 s on 8).
        return Ok(objects
            .into_par_iter()
            .map(|o| {
                let r = with_retry_sync(|| fetch_local(odb, local, remote.name(), o));
                progress.advance(1);
                (o, r)
            })
            .collect());
    }
    Ok(remote::block_on(remote::concurrent(
        objects,
        jobs,
        |o| async move {
            let r = fetch_one(odb, remote, o).await;
            progress.advance(1);
            (o, r)
        },
    ))?)
}

// ---------------------------------------------------------------------------------------------
// Push
// ---------------------------------------------------------------------------------------------

/// Upload `objects` (and the entries of `.dir`s among them) that `remote` lacks.
///
/// The returned error is for the whole run (the remote cannot be listed); per-object
/// failures are in the [`Summary`].
/// What a repository remembers of a remote between pushes: the `.dir` manifests it saw
/// there. A manifest on a remote stands for its files (every writer uploads a `.dir` after
/// all of its files, and gc deletes `.dir`s before files: spec §7.3, as dvc relies on), so
/// a push of a directory that changed in one file asks the remote about that file, the
/// new `.dir`, and whether the old `.dir` is still there: three requests, not a million.
/// The record only chooses which `.dir` to ask about; what it names is checked on the
/// remote each time.
pub trait RemoteIndex: Sync {
    /// `.dir`s recorded for this remote, newest first.
    fn dirs(&self) -> Vec<Object>;
    /// Remember `.dir`s that are on the remote now.
    fn record_dirs(&self, dirs: &[Object]);
}

/// Raw md5s, sorted, for binary search.
type SortedMd5s = Vec<[u8; 16]>;

/// How many recorded `.dir`s a push asks the remote about.
const INDEX_CANDIDATES: usize = 4;

/// Files taken to be on the remote because a `.dir` that lists them is there: raw md5s,
/// sorted, per layout.
fn files_behind_remote_dirs(
    odb: &Odb,
    remote: &Remote,
    index: &dyn RemoteIndex,
    pushing: &[(Object, Option<Vec<Object>>)],
    jobs: usize,
) -> Result<(SortedMd5s, SortedMd5s), TransferError> {
    let candidates: Vec<Object> = index
        .dirs()
        .into_iter()
        .filter(|c| !pushing.iter().any(|(d, _)| d == c))
        .filter(|c| odb.exists_verified(&c.oid, c.legacy))
        .take(INDEX_CANDIDATES)
        .collect();
    let (mut repo_md5s, mut legacy_md5s) = (Vec::new(), Vec::new());
    if candidates.is_empty() {
        return Ok((repo_md5s, legacy_md5s));
    }
    let keys: Vec<String> = candidates.iter().map(Object::key).collect();
    let there = exists_each(remote, &keys, jobs)?;
    for (c, there) in candidates.iter().zip(there) {
        if !there {
            continue;
        }
        let Some(tree) = read_tree(odb, c) else {
            continue;
        };
        let into = if c.legacy {
            &mut legacy_md5s
        } else {
            &mut repo_md5s
        };
        into.extend(tree.entries.iter().map(|e| e.md5.0));
    }
    for v in [&mut repo_md5s, &mut legacy_md5s] {
        v.sort_unstable();
        v.dedup();
    }
    Ok((repo_md5s, legacy_md5s))
}

/// Upload `objects` (files, and `.dir`s with their files) that the remote lacks.
pub fn push_objects(
    odb: &Odb,
    remote: &Remote,
    objects: &[Object],
    options: &TransferOptions,
    progress: &dyn Progress,
) -> Result<Summary, TransferError> {
    push_objects_indexed(odb, remote, objects, options, progress, None)
}

/// [`push_objects`], with what the repository remembers of the remote.
pub fn push_objects_indexed(
    odb: &Odb,
    remote: &Remote,
    objects: &[Object],
    options: &TransferOptions,
    progress: &dyn Progress,
    index: Option<&dyn RemoteIndex>,
) -> Result<Summary, TransferError> {
    let objects = dedup(objects);
    // Expand directories (from the cache; a missing .dir cannot be pushed).
    let mut dirs: Vec<(Object, Option<Vec<Object>>)> = Vec::new();
    let mut files: BTreeSet<Object> = BTreeSet::new();
    for o in &objects {
        if o.is_dir() {
            let entries = read_tree(odb, o).map(|t| tree_objects(&t, o.legacy));
            if let Some(e) = &entries {
                files.extend(e.iter().cloned());
            }
            dirs.push((o.clone(), entries));
        } else {
            files.insert(o.clone());
        }
    }
    let files: Vec<Object> = files.into_iter().collect();
    let jobs = options.jobs.max(1);
    let (behind_repo, behind_legacy) = match index {
        Some(index) if !dirs.is_empty() => {
            files_behind_remote_dirs(odb, remote, index, &dirs, jobs)?
        }
        _ => (Vec::new(), Vec::new()),
    };
    let assumed: Vec<bool> = files
        .iter()
        .map(|o| {
            let behind = if o.legacy {
                &behind_legacy
            } else {
                &behind_repo
            };
            let mut raw = [0u8; 16];
            !behind.is_empty()
                && hex::decode_to_slice(&o.oid, &mut raw).is_ok()
                && behind.binary_search(&raw).is_ok()
        })
        .collect();
    drop((behind_repo, behind_legacy));
    let mut keys: Vec<String> = files
        .iter()
        .zip(&assumed)
        .filter(|(_, a)| !**a)
        .map(|(o, _)| o.key())
        .collect();
    let asked_files = keys.len();
    keys.extend(dirs.iter().map(|(o, _)| o.key()));
    let answers = exists_each(remote, &keys, jobs)?;
    drop(keys);
    let (answered_files, remote_dirs) = answers.split_at(asked_files);
    let mut answered = answered_files.iter();
    let remote_files: Vec<bool> = assumed
        .iter()
        .map(|&a| a || answered.next().copied().unwrap_or(false))
        .collect();
    let remote_files = remote_files.as_slice();
    // Local checks (0444 trusted, else re-hashed) only for what has to move.
    let local_files: Vec<bool> = files
        .par_iter()
        .zip(remote_files.par_iter())
        .map(|(o, &there)| !there && odb.exists_verified(&o.oid, o.legacy))
        .collect();
    let mut summary = Summary::default();
    // Files that are up there after this run (present, or uploaded now).
    let mut up: HashSet<&Object> = HashSet::new();
    let mut todo: Vec<&Object> = Vec::new();
    for ((o, &local), &there) in files.iter().zip(&local_files).zip(remote_files) {
        if there {
            up.insert(o);
        } else if local {
            todo.push(o);
        } else {
            summary.missing.push(o.clone());
        }
    }
    let dir_todo: Vec<usize> = (0..dirs.len()).filter(|&i| !remote_dirs[i]).collect();
    progress.start("Pushing", (todo.len() + dir_todo.len()) as u64);
    for (o, r) in upload_each(odb, remote, todo, jobs, progress)? {
        match r {
            Ok(()) => {
                summary.transferred += 1;
                summary.uploaded.push(o.clone());
                up.insert(o);
            }
            Err(error) => summary.failed.push(Failure {
                object: o.clone(),
                error,
            }),
        }
    }
    // Then the .dirs whose every entry is now on the remote.
    let missing: HashSet<Object> = summary.missing.iter().cloned().collect();
    let mut ready = Vec::new();
    for i in dir_todo {
        let (dir, entries) = &dirs[i];
        let local_dir = entries.is_some() && odb.exists_verified(&dir.oid, dir.legacy);
        let Some(entries) = entries.as_ref().filter(|_| local_dir) else {
            summary.missing.push(dir.clone());
            progress.advance(1);
            continue;
        };
        if entries.iter().all(|e| up.contains(e)) {
            ready.push(dir);
        } else {
            if entries
                .iter()
                .any(|e| !up.contains(e) && !missing.contains(e))
            {
                summary.incomplete_dirs.push(dir.clone());
            }
            progress.advance(1);
        }
    }
    for (o, r) in upload_each(odb, remote, ready, jobs, progress)? {
        match r {
            Ok(()) => {
                summary.transferred += 1;
                summary.uploaded.push(o.clone());
            }
            Err(error) => summary.failed.push(Failure {
                object: o.clone(),
                error,
            }),
        }
    }
    if let Some(index) = index {
        let mut now: Vec<Object> = dirs
            .iter()
            .zip(remote_dirs)
            .filter(|(_, there)| **there)
            .map(|((o, _), _)| o.clone())
            .collect();
        now.extend(summary.uploaded.iter().filter(|o| o.is_dir()).cloned());
        if !now.is_empty() {
            index.record_dirs(&now);
        }
    }
    progress.finish();
    Ok(summary)
}

// ---------------------------------------------------------------------------------------------
// Fetch
// ---------------------------------------------------------------------------------------------

/// Download `dirs` (`.dir` manifests) into the cache as plain objects, verified, without
/// their entries (what listing a directory needs). Failures are left out silently: the
/// caller checks the cache afterwards.
pub fn fetch_manifests_only(
    odb: &Odb,
    remote: &Remote,
    dirs: &[Object],
) -> Result<(), TransferError> {
    let dirs = dedup(dirs);
    download_each(odb, remote, dirs.iter().collect(), 4, &NoProgress)?;
    Ok(())
}

/// Download into the cache whichever of `objects` (and of the entries of `.dir`s among
/// them) the cache lacks, verifying each before it enters the cache.
pub fn fetch_objects(
    odb: &Odb,
    remote: &Remote,
    objects: &[Object],
    options: &TransferOptions,
    progress: &dyn Progress,
) -> Result<Summary, TransferError> {
    let objects = dedup(objects);
    let jobs = options.jobs.max(1);
    let present = odb.exists_verified_each(&objects, |o| (&o.oid, o.legacy));
    let mut summary = Summary::default();
    // Phase 1: manifests.
    let missing_dirs: Vec<&Object> = objects
        .iter()
        .zip(&present)
        .filter(|(o, p)| o.is_dir() && !**p)
        .map(|(o, _)| o)
        .collect();
    let mut failed_dirs: HashSet<Object> = HashSet::new();
    for (o, r) in download_each(odb, remote, missing_dirs, jobs, &NoProgress)? {
        match r {
            Ok(()) => summary.transferred += 1,
            Err(error) => {
                failed_dirs.insert(o.clone());
                summary.failed.push(Failure {
                    object: o.clone(),
                    error,
                });
            }
        }
    }
    // Phase 2: entries and loose files.
    let mut wanted: BTreeSet<Object> = BTreeSet::new();
    let mut dir_entries: Vec<(Object, Vec<Object>)> = Vec::new();
    for (o, p) in objects.iter().zip(&present) {
        if o.is_dir() {
            if failed_dirs.contains(o) {
                continue;
            }
            match read_tree(odb, o) {
                Some(t) => {
                    let entries = tree_objects(&t, o.legacy);
                    wanted.extend(entries.iter().cloned());
                    dir_entries.push((o.clone(), entries));
                }
                None => summary.failed.push(Failure {
                    object: o.clone(),
                    error: TransferError::Odb(odb::Error::Missing(o.oid.clone())),
                }),
            }
        } else if !p {
            wanted.insert(o.clone());
        }
    }
    let wanted: Vec<Object> = wanted.into_iter().collect();
    let have = odb.exists_verified_each(&wanted, |o| (&o.oid, o.legacy));
    let todo: Vec<&Object> = wanted
        .iter()
        .zip(&have)
        .filter(|(_, h)| !**h)
        .map(|(o, _)| o)
        .collect();
    let mut failed_files: HashSet<Object> = HashSet::new();
    // The manifests fetched first count too, so the bar ends where the summary does.
    let manifests = summary.transferred + summary.failed.len();
    progress.start("Fetching", (manifests + todo.len()) as u64);
    progress.advance(manifests as u64);
    for (o, r) in download_each(odb, remote, todo, jobs, progress)? {
        match r {
            Ok(()) => summary.transferred += 1,
            Err(error) => {
                failed_files.insert(o.clone());
                summary.failed.push(Failure {
                    object: o.clone(),
                    error,
                });
            }
        }
    }
    progress.finish();
    for (dir, entries) in dir_entries {
        if entries.iter().any(|e| failed_files.contains(e)) {
            summary.incomplete_dirs.push(dir);
        }
    }
    Ok(summary)
}

/// Copy one object from a local remote into the cache: into a temp name beside its
/// final path, verified, then renamed into place. Other processes sharing the cache
/// (clones with one cache dir, dvc, a pre-push that takes no lock) only ever see a
/// complete, verified object at the final name.
fn fetch_local(
    odb: &Odb,
    local: &remote::local::LocalRemote,
    remote_name: &str,
    o: &Object,
) -> Result<(), TransferError> {
    let dest = odb.path(&o.oid, o.legacy);
    let tmp = odb::temp_name(dest.parent().unwrap_or(odb.root()));
    let result = local
        .download_sync(&o.key(), &tmp)
        .map_err(TransferError::from)
        .and_then(|(got, file)| {
            verify_download(remote_name, o, &got, &tmp)?;
            drop(file);
            // Created 0444 less the umask: only a umask that takes read bits needs a chmod.
            publish(&tmp, &dest, odb::umask() & 0o444 != 0)
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The cache directory an object goes to (created) and its final path.
fn prepare_dir(odb: &Odb, o: &Object) -> Result<(PathBuf, PathBuf), TransferError> {
    let dest = odb.path(&o.oid, o.legacy);
    let dir = dest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| odb.root().to_path_buf());
    if !dir.is_dir() {
        odb.make_dir(&dir).map_err(|source| {
            TransferError::Io(IoError {
                op: "create directory",
                path: dir.clone(),
                source,
            })
        })?;
    }
    Ok((dir, dest))
}

/// Download one object to a temp name next to its cache path, verify, publish.
async fn fetch_one(odb: &Odb, remote: &Remote, o: &Object) -> Result<(), TransferError> {
    let (dir, dest) = prepare_dir(odb, o)?;
    let key = o.key();
    with_retry(|| async {
        let tmp = odb::temp_name(&dir);
        let result = match remote.download(&key, &tmp).await {
            Ok(got) => {
                // Verification may re-hash (legacy objects): keep it off the async threads.
                let (name, obj, tmp2, dest2) = (
                    remote.name().to_string(),
                    o.clone(),
                    tmp.clone(),
                    dest.clone(),
                );
                tokio::task::spawn_blocking(move || {
                    finish_download(&name, &obj, &got, &tmp2, &dest2)
                })
                .await
                .map_err(|e| TransferError::Remote(RemoteError::Runtime(e.to_string())))
                .and_then(|r| r)
            }
            Err(e) => Err(e.into()),
        };
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    })
    .await
}

/// Verify a downloaded temp file against its object name, then chmod 0444 and rename it
/// into the cache. Blocking.
fn finish_download(
    remote_name: &str,
    o: &Object,
    got: &remote::Downloaded,
    tmp: &Path,
    dest: &Path,
) -> Result<(), TransferError> {
    verify_download(remote_name, o, got, tmp)?;
    publish(tmp, dest, true)
}

/// Check a downloaded temp file against its object name (and a `.dir`'s JSON).
fn verify_download(
    remote_name: &str,
    o: &Object,
    got: &remote::Downloaded,
    tmp: &Path,
) -> Result<(), TransferError> {
    let expected = o.oid.strip_suffix(".dir").unwrap_or(&o.oid);
    let actual = if o.legacy && !o.is_dir() {
        // Legacy names are md5-dos2unix of the raw bytes: re-hash the file.
        hash::hash_file(tmp, true)
            .map_err(|source| {
                TransferError::Io(IoError {
                    op: "read",
                    path: tmp.to_path_buf(),
                    source,
                })
            })?
            .0
    } else {
        got.md5.clone()
    };
    if actual != expected {
        return Err(TransferError::Corrupt {
            oid: o.oid.clone(),
            remote: remote_name.to_string(),
            actual,
        });
    }
    if o.is_dir() {
        let bytes = std::fs::read(tmp).map_err(|source| {
            TransferError::Io(IoError {
                op: "read",
                path: tmp.to_path_buf(),
                source,
            })
        })?;
        Tree::parse(&bytes).map_err(|source| TransferError::BadTree {
            oid: o.oid.clone(),
            remote: remote_name.to_string(),
            source,
        })?;
    }
    Ok(())
}

/// Make a verified temp file read-only (unless it was created so) and rename it into
/// the cache.
fn publish(tmp: &Path, dest: &Path, chmod: bool) -> Result<(), TransferError> {
    if chmod {
        std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(0o444)).map_err(
            |source| {
                TransferError::Io(IoError {
                    op: "chmod",
                    path: tmp.to_path_buf(),
                    source,
                })
            },
        )?;
    }
    fn io<'a>(
        op: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> TransferError + 'a {
        move |source| {
            TransferError::Io(IoError {
                op,
                path: path.to_path_buf(),
                source,
            })
        }
    }
    crate::data::durability::object_path(tmp).map_err(io("fsync", tmp))?;
    std::fs::rename(tmp, dest).map_err(io("rename into", dest))?;
    match dest.parent() {
        Some(dir) => crate::data::durability::object_dir(dir).map_err(io("fsync", dir)),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Cloud status
// ---------------------------------------------------------------------------------------------

/// Where an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudState {
    /// In both.
    InSync,
    /// Only in the cache (dvc: `new`).
    New,
    /// Only on the remote (dvc: `deleted`).
    Deleted,
    /// In neither (dvc: `missing`).
    Missing,
}

impl CloudState {
    /// dvc's word.
    pub fn word(self) -> &'static str {
        match self {
            CloudState::InSync => "in sync",
            CloudState::New => "new",
            CloudState::Deleted => "deleted",
            CloudState::Missing => "missing",
        }
    }
}

/// Compare the cache and the remote for `objects` (not expanded), in order.
pub fn compare(
    odb: &Odb,
    remote: &Remote,
    objects: &[Object],
    options: &TransferOptions,
) -> Result<Vec<CloudState>, TransferError> {
    let local: Vec<bool> = objects
        .par_iter()
        .map(|o| odb.exists_verified(&o.oid, o.legacy))
        .collect();
    let keys: Vec<String> = objects.iter().map(Object::key).collect();
    let there = exists_each(remote, &keys, options.jobs.max(1))?;
    Ok(local
        .into_iter()
        .zip(there)
        .map(|(l, r)| match (l, r) {
            (true, true) => CloudState::InSync,
            (true, false) => CloudState::New,
            (false, true) => CloudState::Deleted,
            (false, false) => CloudState::Missing,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Which objects go to which remote
// ---------------------------------------------------------------------------------------------

/// Which way objects move (for out selection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Upload: `push: false` outs are skipped.
    Push,
    /// Download.
    Fetch,
}

/// Objects grouped by the remote they belong to (spec §7.5).
#[derive(Debug, Default)]
pub struct Plan {
    /// Remote name → objects.
    pub by_remote: BTreeMap<String, Vec<Object>>,
    /// Objects that need the default remote, which is not configured.
    pub without_remote: Vec<Object>,
}

/// The object of an out, when it has one worth moving.
pub fn out_object(out: &Out) -> Option<Object> {
    if !out.cache {
        return None;
    }
    let md5 = out.md5.as_deref()?;
    hash::is_valid_oid(md5).then(|| Object::new(md5, out.is_legacy()))
}

/// Group outs by remote: an out's own `remote:` wins over the default; with
/// `remote_flag` (`-r X`), outs whose `remote:` names another remote are skipped.
pub fn plan<'a>(
    outs: impl IntoIterator<Item = &'a Out>,
    direction: Direction,
    remote_flag: Option<&str>,
    default_remote: Option<&str>,
) -> Plan {
    let mut by_remote: BTreeMap<String, BTreeSet<Object>> = BTreeMap::new();
    let mut without: BTreeSet<Object> = BTreeSet::new();
    for out in outs {
        if direction == Direction::Push && !out.push {
            continue;
        }
        let Some(obj) = out_object(out) else { continue };
        // A `files:` list names the entries even when no cache holds its `.dir`.
        let listed: Vec<Object> = out
            .listed_tree()
            .map(|t| tree_objects(&t, obj.legacy))
            .unwrap_or_default();
        let own = out.remote.as_deref().map(str::to_lowercase);
        let target = match (remote_flag, own) {
            (Some(flag), Some(own)) if own != flag => continue,
            (Some(flag), _) => Some(flag.to_string()),
            (None, Some(own)) => Some(own),
            (None, None) => default_remote.map(str::to_string),
        };
        let set = match target {
            Some(name) => by_remote.entry(name).or_default(),
            None => &mut without,
        };
        set.insert(obj);
        set.extend(listed);
    }
    Plan {
        by_remote: by_remote
            .into_iter()
            .map(|(k, v)| (k, v.into_iter().collect()))
            .collect(),
        without_remote: without.into_iter().collect(),
    }
}

/// Names of every object for display: out path for outs, `out/relpath` for entries of
/// directories whose `.dir` is in the cache.
pub fn object_names<'a>(
    odb: &Odb,
    outs: impl IntoIterator<Item = (&'a str, &'a Out)>,
) -> HashMap<Object, String> {
    let mut names = HashMap::new();
    for (rel, out) in outs {
        let Some(obj) = out_object(out) else { continue };
        if out.is_listed() {
            // dvc names neither the entries nor the `.dir` of a `files:` list.
            continue;
        }
        if obj.is_dir()
            && let Some(tree) = read_tree(odb, &obj)
        {
            for e in &tree.entries {
                names
                    .entry(Object::new(e.md5.to_hex(), obj.legacy))
                    .or_insert_with(|| format!("{rel}/{}", e.relpath));
            }
        }
        names.entry(obj).or_insert_with(|| rel.to_string());
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::odb::LinkType;
    use std::fs;
    use std::os::unix::fs::MetadataExt;

    fn setup() -> (tempfile::TempDir, Odb, Remote) {
        let dir = tempfile::tempdir().unwrap();
        let odb = Odb::new(dir.path().join("cache"), vec![LinkType::Copy]);
        let remote = Remote::local("r", dir.path().join("store"));
        (dir, odb, remote)
    }

    fn add_dir(odb: &Odb, files: &[(&str, &[u8])]) -> (Object, Vec<Object>) {
        let mut entries = Vec::new();
        let mut objs = Vec::new();
        for (rel, bytes) in files {
            let md5 = hash::md5_bytes(bytes);
            odb.put_bytes(&md5, false, bytes).unwrap();
            entries.push(crate::data::tree::TreeEntry {
                relpath: rel.to_string(),
                md5: md5.parse().expect("hex"),
            });
            objs.push(Object::new(md5, false));
        }
        let tree = Tree::new(entries);
        let oid = tree.oid();
        odb.put_bytes(&oid, false, &tree.to_bytes()).unwrap();
        (Object::new(oid, false), objs)
    }

    fn opts() -> TransferOptions {
        TransferOptions { jobs: 4 }
    }

    fn push_dir(odb: &Odb, remote: &Remote, d: &Object) -> Summary {
        push_objects(odb, remote, std::slice::from_ref(d), &opts(), &NoProgress).unwrap()
    }

    fn fetch_dir(odb: &Odb, remote: &Remote, d: &Object) -> Summary {
        fetch_objects(odb, remote, std::slice::from_ref(d), &opts(), &NoProgress).unwrap()
    }

    #[test]
    fn push_then_fetch_round_trip() {
        let (dir, odb, remote) = setup();
        let (d, files) = add_dir(&odb, &[("a", b"one"), ("b/c", b"two")]);
        let s = push_dir(&odb, &remote, &d);
        assert_eq!(s.transferred, 3);
        assert!(s.failed.is_empty() && s.missing.is_empty());
        let obj = dir.path().join("store").join(d.key());
        assert_eq!(fs::metadata(&obj).unwrap().mode() & 0o7777, 0o444);
        // Nothing moves the second time.
        let s = push_dir(&odb, &remote, &d);
        assert_eq!(s.transferred, 0);
        // Fetch into an empty cache.
        let odb2 = Odb::new(dir.path().join("cache2"), vec![LinkType::Copy]);
        let s = fetch_dir(&odb2, &remote, &d);
        assert_eq!(s.transferred, 3);
        for f in &files {
            assert!(odb::is_trusted(&odb2.path(&f.oid, false)));
        }
        let s = fetch_objects(&odb2, &remote, &[d], &opts(), &NoProgress).unwrap();
        assert_eq!(s.transferred, 0);
    }

    #[test]
    fn dir_is_not_pushed_when_an_entry_is_missing_locally() {
        let (dir, odb, remote) = setup();
        let (d, files) = add_dir(&odb, &[("a", b"one"), ("b", b"two")]);
        fs::remove_file(odb.path(&files[0].oid, false)).unwrap();
        let s = push_dir(&odb, &remote, &d);
        assert_eq!(s.transferred, 1);
        assert!(s.missing.contains(&files[0]));
        assert!(!dir.path().join("store").join(d.key()).exists());
    }

    #[test]
    fn corrupt_remote_object_never_enters_the_cache() {
        let (dir, odb, remote) = setup();
        let (d, files) = add_dir(&odb, &[("a", b"one"), ("b", b"two")]);
        push_dir(&odb, &remote, &d);
        let bad = dir.path().join("store").join(files[1].key());
        fs::set_permissions(&bad, fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(&bad, b"evil").unwrap();
        let odb2 = Odb::new(dir.path().join("cache2"), vec![LinkType::Copy]);
        let s = fetch_dir(&odb2, &remote, &d);
        assert_eq!(s.failed.len(), 1);
        assert!(matches!(s.failed[0].error, TransferError::Corrupt { .. }));
        assert_eq!(s.incomplete_dirs, vec![d]);
        assert!(!odb2.path(&files[1].oid, false).exists());
        // No temp files are left behind.
        let leftovers: Vec<_> = fs::read_dir(odb2.path(&files[1].oid, false).parent().unwrap())
            .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_copy_cut_short_is_replaced_not_trusted() {
        let (dir, odb, remote) = setup();
        let (d, files) = add_dir(&odb, &[("a", b"one"), ("b", b"two")]);
        push_dir(&odb, &remote, &d);
        let odb2 = Odb::new(dir.path().join("cache2"), vec![LinkType::Copy]);
        // What an interrupted fetch leaves: a short copy at the object's name, not 0444.
        let short = odb2.path(&files[0].oid, false);
        fs::create_dir_all(short.parent().unwrap()).unwrap();
        fs::write(&short, b"on").unwrap();
        let s = fetch_dir(&odb2, &remote, &d);
        assert!(s.failed.is_empty(), "{:?}", s.failed);
        assert_eq!(fs::read(&short).unwrap(), b"one");
        assert!(odb::is_trusted(&short));
        // Something at the name that the existence check kept (here a stale copy made
        // while the fetch ran) is replaced in one rename, with no temp file left.
        let other = odb2.path(&files[1].oid, false);
        fs::set_permissions(&other, fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(&other, b"stale").unwrap();
        let Some(local) = remote.as_local() else {
            panic!("a local remote")
        };
        fetch_local(&odb2, local, "r", &files[1]).unwrap();
        assert_eq!(fs::read(&other).unwrap(), b"two");
        assert!(odb::is_trusted(&other));
        let names: Vec<_> = fs::read_dir(other.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn plan_honours_push_flag_and_remotes() {
        let out = |md5: &str, remote: Option<&str>, push: bool| Out {
            path: "x".into(),
            md5: Some(md5.into()),
            hash: Some("md5".into()),
            remote: remote.map(str::to_string),
            push,
            ..Out::default()
        };
        let a = "b1946ac92492d2347c6235b4d2611184";
        let b = "d41d8cd98f00b204e9800998ecf8427e";
        let c = "60b725f10c9c85c70d97880dfe8191b3";
        let outs = [
            out(a, None, true),
            out(b, Some("other"), true),
            out(c, None, false),
        ];
        let p = plan(outs.iter(), Direction::Push, None, Some("main"));
        assert_eq!(p.by_remote["main"], vec![Object::new(a, false)]);
        assert_eq!(p.by_remote["other"], vec![Object::new(b, false)]);
        let p = plan(outs.iter(), Direction::Push, Some("main"), None);
        assert_eq!(p.by_remote.len(), 1);
        let p = plan(outs.iter(), Direction::Fetch, None, None);
        assert_eq!(p.without_remote.len(), 2);
    }
}

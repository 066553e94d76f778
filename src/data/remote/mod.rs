//! Remotes: where pushed objects live (spec §7).
//!
//! A [`Remote`] stores objects under keys relative to its root, in DVC's layout
//! (`files/md5/ab/cdef…[.dir]`, legacy 2.x objects at `ab/cdef…`; see
//! [`crate::data::odb::Odb::key`]). The backends:
//!
//! - [`local::LocalRemote`]: a directory, written like the cache (temp name in the
//!   destination directory, chmod 0444, rename).
//! - [`s3::S3Remote`]: S3 and S3-compatible stores through aws-sdk-s3.
//! - `http::HttpRemote` (feature `http`): HTTP(S) servers through reqwest, as dvc-http.
//! - `webdav::WebdavRemote` (feature `webdav`): WebDAV servers through OpenDAL.
//!
//! The backend methods are `async`: tokio lives only here and in
//! [`crate::data::transfer`] (STYLE 12). Callers outside those two modules use the
//! synchronous entry points, which enter the one lazily built runtime with [`block_on`]
//! and refuse to do so from inside a runtime.
//!
//! Invariant: no error or `Debug` output of this module contains a secret option value
//! (`secret_access_key`, `session_token`, …).

#[cfg(feature = "azure")]
pub mod azure;
#[cfg(any(feature = "webdav", feature = "gs", feature = "azure"))]
pub mod dal;
#[cfg(feature = "gs")]
pub mod gs;
#[cfg(any(feature = "http", feature = "dal"))]
pub mod http;
pub mod insecure_tls;
pub mod local;
pub mod s3;
#[cfg(feature = "ssh")]
pub mod ssh;
pub mod url;
#[cfg(feature = "webdav")]
pub mod webdav;

use crate::data::config::{RemoteConfig, RemoteLocation};
use crate::data::io::IoError;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::Poll;

/// The class of a failed request, decided by the backend from the store's status, error
/// code or the client's typed error (never from message text downstream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// The credentials are missing, wrong or lack permission (401, 403,
    /// `InvalidAccessKeyId`, `SignatureDoesNotMatch`, no credentials found).
    Auth,
    /// The request timed out.
    Timeout,
    /// A retry may succeed: connection resets, 5xx, throttling.
    Transient,
    /// The store asked to wait (429 or 503 with `Retry-After`): retry after that long.
    Throttled(std::time::Duration),
    /// Anything else: retrying will not help.
    Permanent,
}

#[cfg(any(feature = "http", feature = "dal"))]
/// The longest `Retry-After` honoured (a store asking for more gets a failure sooner).
const MAX_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

#[cfg(any(feature = "http", feature = "dal"))]
/// How long a 429 or 503 answer asks to wait, from its `Retry-After` header in seconds
/// (capped at [`MAX_RETRY_AFTER`]; the HTTP-date form is not used by object stores and
/// is ignored). `None` for other statuses and for no or a malformed header.
pub(crate) fn retry_after(status: u16, header: Option<&str>) -> Option<std::time::Duration> {
    if !matches!(status, 429 | 503) {
        return None;
    }
    let secs = header?.trim().parse::<u64>().ok()?;
    Some(std::time::Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// Errors of remote operations.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The key does not exist on the remote.
    #[error("'{key}' does not exist on remote '{remote}'")]
    NotFound {
        /// Remote name.
        remote: String,
        /// The key (relative to the remote root).
        key: String,
    },
    /// Local filesystem IO (a local remote, or the local side of a transfer).
    #[error(transparent)]
    Io(#[from] IoError),
    /// A request to an object store failed.
    #[error("remote '{remote}': {op} '{key}' failed: {message}")]
    Request {
        /// Remote name.
        remote: String,
        /// Operation (`upload`, `download`, `list`, …).
        op: &'static str,
        /// Key or prefix.
        key: String,
        /// The store's message (never contains credentials).
        message: String,
        /// What kind of failure it is, decided where the store's error is read.
        kind: RequestKind,
    },
    /// The remote's configuration cannot work.
    #[error("remote '{remote}': {message}")]
    Config {
        /// Remote name.
        remote: String,
        /// Why.
        message: String,
    },
    /// A scheme git-dvc does not implement.
    #[error(
        "remote '{remote}' uses '{scheme}://', which git-dvc does not support (local, s3, gs, azure, ssh, http(s) and webdav(s) remotes are supported)"
    )]
    Unsupported {
        /// Remote name.
        remote: String,
        /// URL scheme.
        scheme: String,
    },
    /// The async runtime could not be used.
    #[error("cannot start the transfer runtime: {0}")]
    Runtime(String),
}

impl RemoteError {
    /// A failed request of `op` on `key` at remote `remote` (what each backend builds).
    pub(crate) fn request(
        remote: &str,
        op: &'static str,
        key: &str,
        message: String,
        kind: RequestKind,
    ) -> RemoteError {
        RemoteError::Request {
            remote: remote.to_string(),
            op,
            key: key.to_string(),
            message,
            kind,
        }
    }

    /// Transient: a retry may succeed (git-lfs' classification).
    pub fn is_retriable(&self) -> bool {
        match self {
            RemoteError::Request { kind, .. } => {
                matches!(
                    kind,
                    RequestKind::Timeout | RequestKind::Transient | RequestKind::Throttled(_)
                )
            }
            RemoteError::Io(IoError { source, .. }) => matches!(
                source.kind(),
                std::io::ErrorKind::Interrupted
                    | std::io::ErrorKind::TimedOut
                    | std::io::ErrorKind::WouldBlock
            ),
            _ => false,
        }
    }

    /// How long the store asked to wait before a retry (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            RemoteError::Request {
                kind: RequestKind::Throttled(d),
                ..
            } => Some(*d),
            _ => None,
        }
    }

    /// The store refused the credentials, or none were found.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            RemoteError::Request {
                kind: RequestKind::Auth,
                ..
            }
        )
    }

    /// The request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            RemoteError::Request {
                kind: RequestKind::Timeout,
                ..
            }
        )
    }

    /// The remote cannot be used at all as configured (bad settings, unknown scheme):
    /// found when it is opened, before any request.
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            RemoteError::Config { .. } | RemoteError::Unsupported { .. }
        )
    }

    /// The object is not there.
    pub fn is_not_found(&self) -> bool {
        match self {
            RemoteError::NotFound { .. } => true,
            RemoteError::Io(IoError { source, .. }) => {
                source.kind() == std::io::ErrorKind::NotFound
            }
            _ => false,
        }
    }

    pub(crate) fn io<'a>(
        op: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> RemoteError + 'a {
        move |source| {
            RemoteError::Io(IoError {
                op,
                path: path.to_path_buf(),
                source,
            })
        }
    }
}

/// Result alias.
pub type Result<T, E = RemoteError> = std::result::Result<T, E>;

/// What a download wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// md5 of the raw bytes written (plain md5, computed while streaming).
    pub md5: String,
    /// Bytes written.
    pub size: u64,
}

/// Environment variables a backend falls back to (name → value). Their values may be
/// secrets: `Debug` shows only the names.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvVars(std::collections::BTreeMap<String, String>);

impl EnvVars {
    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl From<std::collections::BTreeMap<String, String>> for EnvVars {
    fn from(map: std::collections::BTreeMap<String, String>) -> EnvVars {
        EnvVars(map)
    }
}

impl std::fmt::Debug for EnvVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

/// Settings that come from outside the remote's config section.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// `$HOME`, to expand `~` in `credentialpath` / `configpath`.
    pub home_dir: Option<PathBuf>,
    /// S3: a lower multipart threshold in bytes, raw (checked at upload time).
    pub s3_multipart_threshold: Option<String>,
    /// The login name (`$USER`, else `$LOGNAME`), the SSH user of last resort.
    pub user_name: Option<String>,
    /// The `AZURE_*` variables dvc-azure falls back to (name → value).
    pub azure_env: EnvVars,
    /// `SSH_AUTH_SOCK`: the ssh-agent SSH remotes may log in with (`allow_agent`).
    pub ssh_auth_sock: Option<PathBuf>,
    /// How to ask the user for a password or passphrase (`ask_password`,
    /// `ask_passphrase`); `None` where nobody can be asked (the filter).
    pub ask_secret: Option<SecretPrompt>,
}

/// Asks the user for a secret: given dvc's prompt text, the answer, or `None` when there
/// is no terminal or the user gave up. The command line supplies it; the engine has no
/// terminal.
#[derive(Clone)]
pub struct SecretPrompt(std::sync::Arc<AskFn>);

/// The function behind a [`SecretPrompt`]: dvc's prompt text in, the answer out.
type AskFn = dyn Fn(&str) -> Option<String> + Send + Sync;

impl SecretPrompt {
    /// A prompt that calls `ask`.
    pub fn new(ask: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> SecretPrompt {
        SecretPrompt(std::sync::Arc::new(ask))
    }
}

impl std::fmt::Debug for SecretPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretPrompt")
    }
}

/// The answer to `ask_<secret>` (for example `ask_password`) of remote `config`, asked
/// with `prompt` through [`OpenOptions::ask_secret`]. No answer is an error saying what to
/// configure instead.
pub(crate) fn ask_secret(
    config: &RemoteConfig,
    options: &OpenOptions,
    secret: &str,
    prompt: &str,
) -> Result<s3::Secret> {
    match options.ask_secret.as_ref().and_then(|ask| (ask.0)(prompt)) {
        Some(answer) => Ok(s3::Secret::new(&answer)),
        None => Err(RemoteError::Config {
            remote: config.name.clone(),
            message: format!(
                "`ask_{secret}` is set, but there is no terminal to ask on: set `{secret}` with `git dvc remote modify --local {} {secret} …`",
                config.name
            ),
        }),
    }
}

/// What a store keeps about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreChecksum {
    /// The store's md5 of the content (lowercase hex), where it keeps one.
    pub md5: Option<String>,
}

/// Whether `s` is 32 lowercase hex digits.
pub(crate) fn is_md5_hex(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// An opened remote.
#[derive(Debug)]
pub struct Remote {
    name: String,
    backend: Backend,
    jobs: Option<usize>,
}

#[derive(Debug)]
enum Backend {
    Local(local::LocalRemote),
    S3(Box<s3::S3Remote>),
    #[cfg(feature = "http")]
    Http(Box<http::HttpRemote>),
    #[cfg(feature = "webdav")]
    Webdav(Box<webdav::WebdavRemote>),
    #[cfg(feature = "ssh")]
    Ssh(Box<ssh::SshRemote>),
    /// GCS and Azure: OpenDAL operators like WebDAV's.
    #[cfg(any(feature = "gs", feature = "azure"))]
    Dal(Box<dal::DalRemote>),
}

impl Remote {
    /// Open the remote described by `config`. Nothing is contacted yet.
    pub fn open(config: &RemoteConfig, options: &OpenOptions) -> Result<Remote> {
        let backend = match &config.location {
            RemoteLocation::Local(path) => {
                Backend::Local(local::LocalRemote::new(&config.name, path.clone()))
            }
            RemoteLocation::S3 { bucket, prefix } => Backend::S3(Box::new(s3::S3Remote::new(
                &config.name,
                bucket,
                prefix,
                s3::S3Settings::from_config(config, options)?,
            )?)),
            RemoteLocation::Other { scheme } => match scheme.as_str() {
                #[cfg(feature = "http")]
                "http" | "https" => {
                    Backend::Http(Box::new(http::HttpRemote::new(config, options)?))
                }
                #[cfg(feature = "webdav")]
                "webdav" | "webdavs" => Backend::Webdav(Box::new(webdav::open(config, options)?)),
                #[cfg(feature = "ssh")]
                "ssh" => Backend::Ssh(Box::new(ssh::SshRemote::new(config, options)?)),
                #[cfg(feature = "gs")]
                "gs" => Backend::Dal(Box::new(gs::open(config, options)?)),
                #[cfg(feature = "azure")]
                "azure" => Backend::Dal(Box::new(azure::open(config, options)?)),
                _ => {
                    return Err(RemoteError::Unsupported {
                        remote: config.name.clone(),
                        scheme: scheme.clone(),
                    });
                }
            },
        };
        Ok(Remote {
            name: config.name.clone(),
            backend,
            jobs: config.jobs().filter(|j| *j > 0),
        })
    }

    /// A local directory remote (tests, tools).
    pub fn local(name: &str, root: PathBuf) -> Remote {
        Remote {
            name: name.to_string(),
            backend: Backend::Local(local::LocalRemote::new(name, root)),
            jobs: None,
        }
    }

    /// The remote's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The remote's `jobs` option.
    pub fn jobs(&self) -> Option<usize> {
        self.jobs
    }

    /// Requests in flight when `jobs` is not set, where the backend knows better than
    /// the general default: SSH multiplexes requests over its SFTP channels and is bound
    /// by round trips, so four per channel (40 with the default `max_sessions`).
    pub fn preferred_jobs(&self) -> Option<usize> {
        match &self.backend {
            #[cfg(feature = "ssh")]
            Backend::Ssh(x) => Some(4 * x.sessions()),
            _ => None,
        }
    }

    /// The directory backend, whose blocking operations callers may run on rayon
    /// instead of the async runtime (cheaper for many small local files).
    pub fn as_local(&self) -> Option<&local::LocalRemote> {
        match &self.backend {
            Backend::Local(l) => Some(l),
            _ => None,
        }
    }

    /// Which of `keys` exist, in order. Batched: one listing or many parallel checks,
    /// whatever is cheaper for the backend (spec §7.3). `jobs` bounds concurrency.
    pub async fn exists_many(&self, keys: &[String], jobs: usize) -> Result<Vec<bool>> {
        match &self.backend {
            Backend::Local(l) => l.exists_many(keys, jobs).await,
            Backend::S3(s) => s.exists_many(keys, jobs).await,
            #[cfg(feature = "http")]
            Backend::Http(h) => h.exists_many(keys, jobs).await,
            #[cfg(feature = "webdav")]
            Backend::Webdav(w) => w.exists_many(keys, jobs).await,
            #[cfg(feature = "ssh")]
            Backend::Ssh(x) => x.exists_many(keys, jobs).await,
            #[cfg(any(feature = "gs", feature = "azure"))]
            Backend::Dal(x) => x.exists_many(keys, jobs).await,
        }
    }

    /// Upload the local file `src` to `key`. The object is complete or absent: never
    /// partial under its final name.
    pub async fn upload(&self, src: &Path, key: &str) -> Result<()> {
        match &self.backend {
            Backend::Local(l) => l.upload(src, key).await,
            Backend::S3(s) => s.upload(src, key).await,
            #[cfg(feature = "http")]
            Backend::Http(h) => h.upload(src, key).await,
            #[cfg(feature = "webdav")]
            Backend::Webdav(w) => w.upload(src, key).await,
            #[cfg(feature = "ssh")]
            Backend::Ssh(x) => x.upload(src, key).await,
            #[cfg(any(feature = "gs", feature = "azure"))]
            Backend::Dal(x) => x.upload(src, key).await,
        }
    }

    /// Download `key` into the new file `dest` (a temp path chosen by the caller) and
    /// return the md5 of what was written. The caller verifies and renames it.
    pub async fn download(&self, key: &str, dest: &Path) -> Result<Downloaded> {
        match &self.backend {
            Backend::Local(l) => l.download(key, dest).await,
            Backend::S3(s) => s.download(key, dest).await,
            #[cfg(feature = "http")]
            Backend::Http(h) => h.download(key, dest).await,
            #[cfg(feature = "webdav")]
            Backend::Webdav(w) => w.download(key, dest).await,
            #[cfg(feature = "ssh")]
            Backend::Ssh(x) => x.download(key, dest).await,
            #[cfg(any(feature = "gs", feature = "azure"))]
            Backend::Dal(x) => x.download(key, dest).await,
        }
    }

    /// What the store says of `key` without sending its bytes: `None` when it is missing,
    /// else its own md5 of the content where it keeps one (S3's ETag of a single-part
    /// upload, GCS's `md5Hash`, Azure's `Content-MD5`).
    pub async fn checksum(&self, key: &str) -> Result<Option<StoreChecksum>> {
        let present = |exists: Vec<bool>| exists.first().copied().unwrap_or(false);
        let keys = [key.to_string()];
        let none = |p: bool| p.then_some(StoreChecksum { md5: None });
        match &self.backend {
            Backend::S3(s) => s.checksum(key).await,
            #[cfg(any(feature = "gs", feature = "azure"))]
            Backend::Dal(x) => x.checksum(key).await,
            #[cfg(feature = "webdav")]
            Backend::Webdav(w) => w.checksum(key).await,
            Backend::Local(l) => Ok(none(present(l.exists_many(&keys, 1).await?))),
            #[cfg(feature = "http")]
            Backend::Http(h) => Ok(none(present(h.exists_many(&keys, 1).await?))),
            #[cfg(feature = "ssh")]
            Backend::Ssh(x) => Ok(none(present(x.exists_many(&keys, 1).await?))),
        }
    }

    /// Every object key on the remote (modern and legacy layouts), for gc.
    pub async fn list(&self, jobs: usize) -> Result<Vec<String>> {
        match &self.backend {
            Backend::Local(l) => l.list().await,
            Backend::S3(s) => s.list(jobs).await,
            #[cfg(feature = "http")]
            Backend::Http(h) => h.list(),
            #[cfg(feature = "webdav")]
            Backend::Webdav(w) => w.list().await,
            #[cfg(feature = "ssh")]
            Backend::Ssh(x) => x.list(jobs).await,
            #[cfg(any(feature = "gs", feature = "azure"))]
            Backend::Dal(x) => x.list().await,
        }
    }

    /// Delete `keys`; keys already absent are not an error.
    pub async fn delete(&self, keys: &[String], jobs: usize) -> Result<()> {
        match &self.backend {
            Backend::Local(l) => l.delete(keys).await,
            Backend::S3(s) => s.delete(keys, jobs).await,
            #[cfg(feature = "http")]
            Backend::Http(h) => h.delete(),
            #[cfg(feature = "webdav")]
            Backend::Webdav(w) => w.delete(keys, jobs).await,
            #[cfg(feature = "ssh")]
            Backend::Ssh(x) => x.delete(keys, jobs).await,
            #[cfg(any(feature = "gs", feature = "azure"))]
            Backend::Dal(x) => x.delete(keys, jobs).await,
        }
    }

    /// Synchronous [`Remote::list`] for callers outside async code (gc).
    pub fn list_blocking(&self, jobs: usize) -> Result<Vec<String>> {
        block_on(self.list(jobs))?
    }

    /// Synchronous [`Remote::delete`] for callers outside async code (gc).
    pub fn delete_blocking(&self, keys: &[String], jobs: usize) -> Result<()> {
        block_on(self.delete(keys, jobs))?
    }
}

/// Write a downloaded byte stream into the new file `dest` (created 0644, never
/// replacing anything) and return the md5 and size of what was written.
#[cfg(any(feature = "http", feature = "dal"))]
pub(crate) async fn write_stream<S, B>(mut stream: S, dest: &Path) -> Result<Downloaded>
where
    S: futures_util::Stream<Item = Result<B>> + Unpin,
    B: AsRef<[u8]>,
{
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(dest)
        .await
        .map_err(RemoteError::io("create", dest))?;
    let mut hasher = crate::data::hash::Hasher::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        hasher.update(chunk.as_ref());
        file.write_all(chunk.as_ref())
            .await
            .map_err(RemoteError::io("write", dest))?;
    }
    file.flush().await.map_err(RemoteError::io("write", dest))?;
    let (md5, size) = hasher.finish();
    Ok(Downloaded { md5, size })
}

/// The oid a key names, and whether it is in the legacy layout; `None` for foreign keys.
pub fn oid_of_key(key: &str) -> Option<(String, bool)> {
    let (rest, legacy) = match key.strip_prefix("files/md5/") {
        Some(r) => (r, false),
        None => (key, true),
    };
    let (head, tail) = rest.split_once('/')?;
    if head.len() != 2 || tail.contains('/') {
        return None;
    }
    let oid = format!("{head}{tail}");
    crate::data::hash::is_valid_oid(&oid).then_some((oid, legacy))
}

/// The process-wide runtime, built on first use.
fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(256)
            .thread_name("git-dvc-transfer")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| RemoteError::Runtime(e.clone()))
}

/// Run `future` to completion on the shared runtime. This is the only place the
/// synchronous world enters async code; calling it from inside a runtime (which would
/// deadlock or panic) is refused with an error.
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(RemoteError::Runtime(
            "block_on called from inside the async runtime".into(),
        ));
    }
    Ok(runtime()?.block_on(future))
}

/// Run `f` over `items` with at most `jobs` futures in flight, on the current task, and
/// return every result in input order. Backends do their blocking work on tokio's
/// blocking pool and their network IO in hyper's tasks, so one polling task suffices.
pub(crate) async fn concurrent<'a, T, R, F, Fut>(items: Vec<T>, jobs: usize, f: F) -> Vec<R>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = R> + 'a,
{
    type Job<'b, R> = Pin<Box<dyn Future<Output = (usize, R)> + 'b>>;
    let jobs = jobs.max(1);
    let mut pending: Vec<Job<'a, R>> = Vec::new();
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let mut iter = items.into_iter().enumerate();
    loop {
        while pending.len() < jobs {
            let Some((i, item)) = iter.next() else { break };
            let fut = f(item);
            pending.push(Box::pin(async move { (i, fut.await) }));
        }
        if pending.is_empty() {
            break;
        }
        let (i, result) = std::future::poll_fn(|cx| {
            for k in 0..pending.len() {
                if let Poll::Ready(v) = pending[k].as_mut().poll(cx) {
                    drop(pending.swap_remove(k));
                    return Poll::Ready(v);
                }
            }
            Poll::Pending
        })
        .await;
        results[i] = Some(result);
    }
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_back_to_oids() {
        assert_eq!(
            oid_of_key("files/md5/b1/946ac92492d2347c6235b4d2611184"),
            Some(("b1946ac92492d2347c6235b4d2611184".into(), false))
        );
        assert_eq!(
            oid_of_key("ed/c8016d2a2c2b1b8c1b8d1b8c1b8d1b.dir"),
            Some(("edc8016d2a2c2b1b8c1b8d1b8c1b8d1b.dir".into(), true))
        );
        assert_eq!(oid_of_key("files/md5/zz/x"), None);
        assert_eq!(oid_of_key("runs/ab/cd"), None);
    }

    #[test]
    fn block_on_refuses_nesting() {
        let inner = block_on(async { block_on(async { 1 }).is_err() }).unwrap();
        assert!(inner);
    }
}

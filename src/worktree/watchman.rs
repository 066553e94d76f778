//! Asking watchman what changed, the way git's fsmonitor hook does, so that status and
//! the pre-commit check walk only the outs under which something changed.
//!
//! One `watchman -j` process per run in the steady state: a `query` on the watched root
//! with `since` the oldest clock of git-dvc's records (`data::watch`, in the state DB),
//! whose answer carries the clock new records are stamped with. On first use (or when
//! the query fails: the root is no longer watched) the root is `watch-project`ed and its
//! `clock` taken, both before anything is walked.
//!
//! Everything falls back silently to the full walk: watchman missing from PATH,
//! `gitdvc.watchman=false`, an error, a timeout, a fresh instance, a record of another
//! instance. A cache that hardlinks (`cache.type` with `hardlink`) is not watched: its
//! workspace files are also cache files, changeable through a path the watch does not
//! cover. Neither is a root whose `.watchmanconfig` sets `ignore_dirs`.

use crate::data::odb::LinkType;
use crate::data::repo::Repo;
use crate::data::watch::{self, Clock, Watch};
use crate::env::ProcessEnv;
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// State DB name of the watched project: `<repo root>\t<watch root>\t<relative path>`.
const PROJECT: &str = "watchman:project";

/// How long a watchman command may take before the run walks instead. Its own
/// `sync_timeout` (waiting until it has seen every change made before the query) is
/// shorter, so a slow crawl answers with an error rather than being killed.
const TIMEOUT: Duration = Duration::from_secs(3);
const SYNC_TIMEOUT_MS: u64 = 2000;

/// Why watchman's answer cannot be used (logged at debug level; the run walks).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Starting it, or talking to it, failed.
    #[error("cannot run watchman: {0}")]
    Io(#[from] std::io::Error),
    /// It did not answer in time.
    #[error("watchman did not answer within {0:?}")]
    Timeout(Duration),
    /// Its answer is not what the protocol says.
    #[error("unexpected answer from watchman: {0}")]
    Protocol(String),
    /// It answered with an error.
    #[error("watchman: {0}")]
    Watchman(String),
}

/// Ask watchman for this run's answer and keep it in `repo.watch`, unless `setting`
/// (`gitdvc.watchman`) is false. Silent on every failure.
pub fn attach(repo: &mut Repo, env: &ProcessEnv, setting: Option<bool>) {
    if setting == Some(false) || repo.watch.is_some() || repo.state.is_none() {
        return;
    }
    let Some(program) = env.find_on_path("watchman") else {
        if setting == Some(true) {
            tracing::debug!("git-dvc: gitdvc.watchman is true but watchman is not on PATH");
        }
        return;
    };
    if repo.odb.link_types().contains(&LinkType::Hardlink) {
        tracing::debug!("git-dvc: the cache hardlinks: not using watchman");
        return;
    }
    if ignores_dirs(&repo.root) {
        tracing::debug!("git-dvc: .watchmanconfig sets ignore_dirs: not using watchman");
        return;
    }
    match ask(&program, repo) {
        Ok(w) => repo.watch = Some(w),
        Err(e) => tracing::debug!("git-dvc: walking without watchman: {e}"),
    }
}

fn ignores_dirs(root: &Path) -> bool {
    let Ok(text) = fs_err::read_to_string(root.join(".watchmanconfig")) else {
        return false;
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(v) => v
            .get("ignore_dirs")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty()),
        // Unreadable: watchman may read it otherwise than we do.
        Err(_) => true,
    }
}

fn ask(program: &Path, repo: &Repo) -> Result<Watch, Error> {
    let state = repo
        .state
        .as_ref()
        .ok_or_else(|| Error::Protocol("no state DB".into()))?;
    let root = fs_err::canonicalize(&repo.root)?;
    let root = root
        .to_str()
        .ok_or_else(|| Error::Protocol("the repository path is not UTF-8".into()))?
        .to_owned();
    let project = state
        .get_raw(PROJECT)
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| {
            let mut it = v.split('\t');
            let (for_root, watch, relative) = (it.next()?, it.next()?, it.next()?);
            (for_root == root).then(|| (watch.to_owned(), relative.to_owned()))
        });
    let base = Clock::oldest(watch::record_clocks(state).iter());
    if let (Some((watch_root, relative)), Some(base)) = (&project, base) {
        let mut query = json!({
            "since": base.0,
            "fields": ["name"],
            "empty_on_fresh_instance": true,
            "sync_timeout": SYNC_TIMEOUT_MS,
            // git-dvc's own writes (`.dvc/tmp`: the state DB, the lock): no out is in
            // there (they are refused), so they would only lengthen the answer.
            "expression": ["not", ["dirname", ".dvc"]],
        });
        if !relative.is_empty() {
            query["relative_root"] = json!(relative);
        }
        match run(program, &json!(["query", watch_root, query])) {
            Ok(answer) => {
                let clock = clock_of(&answer)?;
                if answer.get("is_fresh_instance").and_then(Value::as_bool) == Some(true) {
                    tracing::debug!("git-dvc: watchman answered a fresh instance: walking");
                    return Ok(Watch::fresh(clock));
                }
                let files = answer
                    .get("files")
                    .and_then(Value::as_array)
                    .ok_or_else(|| Error::Protocol("no `files` in the query's answer".into()))?;
                let changed = files
                    .iter()
                    .map(|f| {
                        f.as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| Error::Protocol("a file name is not a string".into()))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                tracing::debug!(
                    "git-dvc: watchman: {} paths changed since {}",
                    changed.len(),
                    base.0
                );
                return Ok(Watch::since(clock, base, changed));
            }
            Err(e) => tracing::debug!("git-dvc: watchman query failed ({e}); watching again"),
        }
    }
    let answer = run(program, &json!(["watch-project", root]))?;
    let watch_root = answer
        .get("watch")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Protocol("no `watch` in watch-project's answer".into()))?
        .to_owned();
    let relative = answer
        .get("relative_path")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let _ = state.put_raw(
        PROJECT,
        format!("{root}\t{watch_root}\t{relative}").as_bytes(),
    );
    let answer = run(
        program,
        &json!(["clock", watch_root, {"sync_timeout": SYNC_TIMEOUT_MS}]),
    )?;
    Ok(Watch::fresh(clock_of(&answer)?))
}

fn clock_of(answer: &Value) -> Result<Clock, Error> {
    answer
        .get("clock")
        .and_then(Value::as_str)
        .map(|c| Clock(c.to_owned()))
        .ok_or_else(|| Error::Protocol("no `clock` in the answer".into()))
}

/// Run one command through `watchman -j` (JSON on stdin, JSON on stdout), killed after
/// [`TIMEOUT`].
fn run(program: &Path, command: &Value) -> Result<Value, Error> {
    let mut child = Command::new(program)
        .args(["-j", "--no-pretty"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(command.to_string().as_bytes())?;
    }
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::Protocol("no stdout".into()))?;
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let result = stdout.read_to_end(&mut bytes).map(|_| bytes);
        let _ = send.send(result);
    });
    let bytes = match receive.recv_timeout(TIMEOUT) {
        Ok(result) => result?,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::Timeout(TIMEOUT));
        }
    };
    let _ = child.wait();
    let answer: Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::Protocol(format!("not JSON ({e})")))?;
    if let Some(error) = answer.get("error") {
        return Err(Error::Watchman(
            error
                .as_str()
                .map_or_else(|| error.to_string(), str::to_owned),
        ));
    }
    Ok(answer)
}

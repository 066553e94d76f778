//! DVC's repository locks, shared with a concurrently running dvc (spec §8.2, §8.3).
//!
//! - **Repo lock** (`.dvc/tmp/lock`): `flock(LOCK_EX|LOCK_NB)` on the file (created if
//!   absent, never deleted), then the content ` <pid>\n` is written and the file truncated
//!   after it, like zc.lockfile. Busy: 6 retries 0.5 s apart, then dvc's message.
//! - **rwlock** (`.dvc/tmp/rwlock`): JSON of the paths `dvc repro` is reading and writing
//!   while it has released the repo lock. Under an flock on `.dvc/tmp/rwlock.lock` we read it
//!   and refuse to touch paths that overlap a live process's entries.
//!
//! Why std's `File::try_lock` (stable since Rust 1.89) rather than `fd-lock`: on Linux it is
//! exactly `flock(LOCK_EX|LOCK_NB)` (the call dvc makes, so the two interoperate), and the
//! lock is owned by the `File` itself, so the guard is a plain owned struct with no borrow of a
//! separate `RwLock<File>` (fd-lock's guard borrows its lock, which makes a self-referential
//! guard type). flock locks belong to the open file description: two `File`s opened on the same
//! path conflict even inside one process, which the tests below rely on.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// dvc's message when the repo lock is busy (`dvc/lock.py`, `FAILED_TO_LOCK_MESSAGE`).
pub const FAILED_TO_LOCK_MESSAGE: &str = "Unable to acquire lock. Most likely another DVC process is running or was terminated abruptly. Check the page <https://dvc.org/doc/user-guide/troubleshooting#lock-issue> for other possible reasons and to learn how to resolve this.";

/// Lock failures.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock (after all retries).
    #[error("{FAILED_TO_LOCK_MESSAGE}")]
    Busy {
        /// The lock file.
        path: PathBuf,
    },
    /// A path we are about to write is in use by another process (rwlock).
    #[error(
        "'{}' is busy, it is being blocked by:\n{}\n\nIf there are no processes with such PIDs, you can manually remove '{}' and try again.",
        path.display(),
        blockers.iter().map(|b| format!("  (PID {}): {}", b.pid, b.cmd)).collect::<Vec<_>>().join("\n"),
        rwlock_file.display()
    )]
    PathBusy {
        /// The path we wanted.
        path: PathBuf,
        /// Live processes holding overlapping entries.
        blockers: Vec<RwlockEntry>,
        /// The rwlock file (`.dvc/tmp/rwlock`).
        rwlock_file: PathBuf,
    },
    /// `.dvc/tmp/rwlock` is not JSON.
    #[error("Unable to read RWLock-file '{}'. JSON structure is corrupted", path.display())]
    RwlockCorrupted {
        /// The rwlock file.
        path: PathBuf,
    },
    /// `.dvc/tmp/rwlock` is JSON of the wrong shape.
    #[error("RWLock-file '{}' format error.", path.display())]
    RwlockFormat {
        /// The rwlock file.
        path: PathBuf,
    },
    /// Opening, locking or writing the lock file failed.
    #[error("cannot lock '{}': {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl LockError {
    /// True when another process holds something we need (retrying later may help).
    pub fn is_busy(&self) -> bool {
        matches!(self, LockError::Busy { .. } | LockError::PathBusy { .. })
    }
}

/// How long to keep trying a busy lock.
#[derive(Debug, Clone, Copy)]
pub struct LockOptions {
    /// Retries after the first attempt (dvc: 6).
    pub retries: u32,
    /// Sleep between attempts (dvc: 0.5 s).
    pub delay: Duration,
}

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions {
            retries: 6,
            delay: Duration::from_millis(500),
        }
    }
}

/// An exclusive flock held on a file; released when dropped (the file is closed, never
/// unlinked).
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// One non-blocking attempt: `Ok(None)` when another open file holds the lock.
    pub fn try_acquire(path: &Path) -> Result<Option<FileLock>, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).map_err(io)?;
        }
        // zc.lockfile opens `r+` (or `a+` when missing): read-write, no truncation.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(None),
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // ` <pid>\n`, then truncate after it (a longer old pid must not leave a tail).
        let content = format!(" {}\n", std::process::id());
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        file.write_all(content.as_bytes()).map_err(io)?;
        file.set_len(content.len() as u64).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(Some(FileLock {
            file,
            path: path.to_path_buf(),
        }))
    }

    /// Acquire with retries, then [`LockError::Busy`].
    pub fn acquire(path: &Path, options: LockOptions) -> Result<FileLock, LockError> {
        let mut attempts = 0;
        loop {
            if let Some(lock) = FileLock::try_acquire(path)? {
                return Ok(lock);
            }
            attempts += 1;
            if attempts > options.retries {
                return Err(LockError::Busy {
                    path: path.to_path_buf(),
                });
            }
            std::thread::sleep(options.delay);
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file releases the flock anyway; unlocking first is explicit and cheap.
        let _ = self.file.unlock();
    }
}

/// DVC's repo lock, `.dvc/tmp/lock`.
#[derive(Debug)]
pub struct RepoLock {
    lock: FileLock,
}

impl RepoLock {
    /// Take the repo lock of the repository whose `.dvc` directory is `dvc_dir`, like dvc:
    /// 6 retries 0.5 s apart, then dvc's "Unable to acquire lock" error.
    pub fn acquire(dvc_dir: &Path) -> Result<RepoLock, LockError> {
        RepoLock::acquire_with(dvc_dir, LockOptions::default())
    }

    /// Same with explicit retry options.
    pub fn acquire_with(dvc_dir: &Path, options: LockOptions) -> Result<RepoLock, LockError> {
        let lock = FileLock::acquire(&dvc_dir.join("tmp").join("lock"), options)?;
        Ok(RepoLock { lock })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        self.lock.path()
    }
}

/// One process entry of `.dvc/tmp/rwlock`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RwlockEntry {
    /// Process id.
    pub pid: i64,
    /// Its command line.
    pub cmd: String,
}

/// The parsed `.dvc/tmp/rwlock`: `{"read": {path: [entry…]}, "write": {path: entry}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rwlock {
    /// Paths being read, with their readers.
    pub read: Vec<(String, Vec<RwlockEntry>)>,
    /// Paths being written, with their writer.
    pub write: Vec<(String, RwlockEntry)>,
}

fn parse_entry(v: &serde_json::Value) -> Option<RwlockEntry> {
    let obj = v.as_object()?;
    if obj.len() != 2 {
        return None;
    }
    Some(RwlockEntry {
        pid: obj.get("pid")?.as_i64()?,
        cmd: obj.get("cmd")?.as_str()?.to_string(),
    })
}

impl Rwlock {
    /// Parse the file's bytes with dvc's schema. `Err(true)` = not JSON, `Err(false)` = bad shape.
    pub fn parse(bytes: &[u8]) -> Result<Rwlock, bool> {
        let v: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| true)?;
        let obj = v.as_object().ok_or(false)?;
        let mut out = Rwlock::default();
        for (k, val) in obj {
            let map = val.as_object().ok_or(false)?;
            match k.as_str() {
                "read" => {
                    for (path, list) in map {
                        let list = list.as_array().ok_or(false)?;
                        let entries: Option<Vec<_>> = list.iter().map(parse_entry).collect();
                        out.read.push((path.clone(), entries.ok_or(false)?));
                    }
                }
                "write" => {
                    for (path, e) in map {
                        out.write.push((path.clone(), parse_entry(e).ok_or(false)?));
                    }
                }
                _ => return Err(false),
            }
        }
        Ok(out)
    }
}

/// psutil's `pid_exists` on POSIX.
fn pid_alive(pid: i64) -> bool {
    if pid == 0 {
        return true;
    }
    let Ok(p) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if p < 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks for existence and permission.
    let r = unsafe { libc::kill(p, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// dvc's `localfs.overlaps`: equal, or one inside the other (lexically, by components).
pub fn paths_overlap(a: &Path, b: &Path) -> bool {
    fn norm(p: &Path) -> Vec<Component<'_>> {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect()
    }
    let (a, b) = (norm(a), norm(b));
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Check `.dvc/tmp/rwlock` before writing `write` and reading `read` (absolute paths): a live
/// process writing an overlapping path, or reading a path we write, makes it busy. Entries of
/// dead processes are ignored. The file is only read (we add no entries of our own).
pub fn check_rwlock(dvc_dir: &Path, read: &[PathBuf], write: &[PathBuf]) -> Result<(), LockError> {
    let tmp = dvc_dir.join("tmp");
    let file = tmp.join("rwlock");
    let _guard = FileLock::acquire(&tmp.join("rwlock.lock"), LockOptions::default())?;
    let lock = match fs_err::read(&file) {
        Ok(bytes) => Rwlock::parse(&bytes).map_err(|not_json| {
            if not_json {
                LockError::RwlockCorrupted { path: file.clone() }
            } else {
                LockError::RwlockFormat { path: file.clone() }
            }
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Rwlock::default(),
        Err(e) => {
            return Err(LockError::Io {
                path: file.clone(),
                source: e,
            });
        }
    };
    let me = i64::from(std::process::id());
    let busy = |waiters: &[&PathBuf],
                held: &mut dyn Iterator<Item = (&String, &RwlockEntry)>|
     -> Result<(), LockError> {
        let mut blockers: Vec<RwlockEntry> = Vec::new();
        let mut blocked: Option<PathBuf> = None;
        for (path, entry) in held {
            let Some(w) = waiters.iter().find(|w| paths_overlap(w, Path::new(path))) else {
                continue;
            };
            if entry.pid == me || !pid_alive(entry.pid) {
                continue;
            }
            blocked.get_or_insert_with(|| (*w).clone());
            if !blockers.contains(entry) {
                blockers.push(entry.clone());
            }
        }
        match blocked {
            Some(path) => Err(LockError::PathBusy {
                path,
                blockers,
                rwlock_file: file.clone(),
            }),
            None => Ok(()),
        }
    };
    let all: Vec<&PathBuf> = read.iter().chain(write.iter()).collect();
    busy(&all, &mut lock.write.iter().map(|(p, e)| (p, e)))?;
    let writes: Vec<&PathBuf> = write.iter().collect();
    busy(
        &writes,
        &mut lock
            .read
            .iter()
            .flat_map(|(p, es)| es.iter().map(move |e| (p, e))),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> LockOptions {
        LockOptions {
            retries: 2,
            delay: Duration::from_millis(10),
        }
    }

    #[test]
    fn repo_lock_writes_pid_and_conflicts_within_one_process() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dvc = tmp.path().join(".dvc");
        fs_err::create_dir_all(dvc.join("tmp")).expect("mkdir");
        // A longer stale content must be truncated.
        fs_err::write(dvc.join("tmp/lock"), " 99999999999\n").expect("write");
        let first = RepoLock::acquire_with(&dvc, fast()).expect("first lock");
        let content = fs_err::read_to_string(dvc.join("tmp/lock")).expect("read");
        assert_eq!(content, format!(" {}\n", std::process::id()));
        let second = RepoLock::acquire_with(&dvc, fast());
        let err = second.expect_err("second open file description must conflict");
        assert!(err.is_busy());
        assert_eq!(err.to_string(), FAILED_TO_LOCK_MESSAGE);
        drop(first);
        let third = RepoLock::acquire_with(&dvc, fast()).expect("released on drop");
        drop(third);
        assert!(
            dvc.join("tmp/lock").exists(),
            "the lock file is never unlinked"
        );
    }

    #[test]
    fn repo_lock_creates_tmp_dir() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dvc = tmp.path().join(".dvc");
        let lock = RepoLock::acquire_with(&dvc, fast()).expect("lock");
        assert_eq!(lock.path(), dvc.join("tmp/lock"));
    }

    #[test]
    fn rwlock_reports_live_overlapping_writers_only() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dvc = tmp.path().join(".dvc");
        fs_err::create_dir_all(dvc.join("tmp")).expect("mkdir");
        // pid 1 is alive (init); a huge pid is not.
        let json = r#"{"read": {"/w/in.txt": [{"pid": 1, "cmd": "dvc repro -q"}]}, "write": {"/w/out": {"pid": 1, "cmd": "dvc repro -q"}, "/w/dead": {"pid": 2147483000, "cmd": "gone"}}}"#;
        fs_err::write(dvc.join("tmp/rwlock"), json).expect("write");
        let p = |s: &str| PathBuf::from(s);
        let err = check_rwlock(&dvc, &[], &[p("/w/out/sub/f")]).expect_err("busy");
        let rw = dvc.join("tmp/rwlock");
        assert_eq!(
            err.to_string(),
            format!(
                "'/w/out/sub/f' is busy, it is being blocked by:\n  (PID 1): dvc repro -q\n\nIf there are no processes with such PIDs, you can manually remove '{}' and try again.",
                rw.display()
            )
        );
        assert!(
            check_rwlock(&dvc, &[p("/w/in.txt")], &[]).is_ok(),
            "readers don't block readers"
        );
        assert!(
            check_rwlock(&dvc, &[], &[p("/w/in.txt")]).is_err(),
            "readers block writers"
        );
        assert!(
            check_rwlock(&dvc, &[], &[p("/w/dead")]).is_ok(),
            "dead pids are ignored"
        );
        assert!(
            check_rwlock(&dvc, &[p("/w")], &[]).is_err(),
            "a parent of a written path overlaps"
        );
        assert!(check_rwlock(&dvc, &[], &[p("/w/outx")]).is_ok());
    }

    #[test]
    fn rwlock_bad_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dvc = tmp.path().join(".dvc");
        fs_err::create_dir_all(dvc.join("tmp")).expect("mkdir");
        assert!(
            check_rwlock(&dvc, &[], &[PathBuf::from("/x")]).is_ok(),
            "missing file is empty"
        );
        fs_err::write(dvc.join("tmp/rwlock"), "{not json").expect("write");
        assert!(matches!(
            check_rwlock(&dvc, &[], &[]),
            Err(LockError::RwlockCorrupted { .. })
        ));
        fs_err::write(dvc.join("tmp/rwlock"), r#"{"write": {"/x": {"pid": "1"}}}"#).expect("write");
        assert!(matches!(
            check_rwlock(&dvc, &[], &[]),
            Err(LockError::RwlockFormat { .. })
        ));
        fs_err::write(dvc.join("tmp/rwlock"), "{}").expect("write");
        assert!(check_rwlock(&dvc, &[], &[]).is_ok());
    }

    #[test]
    fn overlap_rules() {
        assert!(paths_overlap(Path::new("/a/b"), Path::new("/a/b")));
        assert!(paths_overlap(Path::new("/a/b/c"), Path::new("/a/b")));
        assert!(paths_overlap(Path::new("/a"), Path::new("/a/b")));
        assert!(!paths_overlap(Path::new("/a/bc"), Path::new("/a/b")));
    }
}

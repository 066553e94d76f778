//! Progress of long operations, in files and bytes, reported to whatever the binary
//! installed (a terminal bar, see `crate::progress`); nothing when none is installed.
//!
//! The engine only says what it is doing: `let p = progress::phase("Checking out", n, bytes);`
//! then `p.advance(1, size)` per file, from any thread. A phase ends when it is dropped.
//! One phase is shown at a time; a newer phase replaces an older one.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where progress goes.
pub trait Reporter: Send + Sync {
    /// A phase `id` begins: `files` files (and `bytes` bytes, 0 when unknown) to go.
    fn start(&self, id: u64, label: &str, files: u64, bytes: u64);
    /// `files` more files and `bytes` more bytes of phase `id` are done.
    fn advance(&self, id: u64, files: u64, bytes: u64);
    /// Phase `id` ended.
    fn finish(&self, id: u64);
}

static REPORTER: OnceLock<Box<dyn Reporter>> = OnceLock::new();
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Install the process's reporter (once; later calls are ignored).
pub fn install(reporter: Box<dyn Reporter>) {
    let _ = REPORTER.set(reporter);
}

/// One phase of work. Cheap when nothing is installed: every call is a branch.
#[must_use = "a phase ends when it is dropped"]
pub struct Phase {
    id: u64,
    /// With debug logging on: what to log when the phase ends (`-vv` shows timings).
    timing: Option<(String, u64, u64, std::time::Instant)>,
}

/// Begin a phase of `files` files and `bytes` bytes (0 when unknown).
pub fn phase(label: &str, files: u64, bytes: u64) -> Phase {
    let timing = (files > 0 && tracing::enabled!(tracing::Level::DEBUG))
        .then(|| (label.to_string(), files, bytes, std::time::Instant::now()));
    match REPORTER.get() {
        Some(r) if files > 0 => {
            let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            r.start(id, label, files, bytes);
            Phase { id, timing }
        }
        _ => Phase { id: 0, timing },
    }
}

impl Phase {
    /// `files` more files (of `bytes` bytes) are done.
    #[inline]
    pub fn advance(&self, files: u64, bytes: u64) {
        if self.id != 0
            && let Some(r) = REPORTER.get()
        {
            r.advance(self.id, files, bytes);
        }
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some((label, files, bytes, started)) = &self.timing {
            tracing::debug!(
                "{label}: {files} files, {bytes} bytes in {:.3} s",
                started.elapsed().as_secs_f64()
            );
        }
        if self.id != 0
            && let Some(r) = REPORTER.get()
        {
            r.finish(self.id);
        }
    }
}

//! The default [`Materializer`] of `git-dvc-filter`: collects the pointers git writes
//! during a checkout and, when git asks for them, checks their data out in parallel.
//!
//! The engine (`crate::data::checkout`) is not wired in yet: [`materialize_one`] is the
//! single place where it will be called, once per pointer, from a rayon worker. Until
//! then it only logs at debug level, so the filter stays a pure identity transform.

use super::process::{Materialized, Materializer, QueueOutcome};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Materializes pointers of the repository whose worktree top is `root`.
#[derive(Debug)]
pub struct EngineMaterializer {
    root: PathBuf,
    /// Whether `root` holds a DVC repository (`.dvc/`), checked on first use.
    is_dvc_repo: Option<bool>,
    queue: Vec<(String, Vec<u8>)>,
}

impl EngineMaterializer {
    /// A materializer for the worktree at `root` (git starts the filter there).
    pub fn new(root: PathBuf) -> Self {
        EngineMaterializer {
            root,
            is_dvc_repo: None,
            queue: Vec::new(),
        }
    }

    /// The worktree top.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn is_dvc_repo(&mut self) -> bool {
        *self
            .is_dvc_repo
            .get_or_insert_with(|| self.root.join(".dvc").is_dir())
    }
}

impl Materializer for EngineMaterializer {
    fn queue(&mut self, pathname: &str, pointer: &[u8]) -> QueueOutcome {
        if !self.is_dvc_repo() {
            // A pointer outside a DVC repository (or before `.dvc/` is checked out, as in
            // a clone): the post-checkout hook reconciles later.
            tracing::debug!(
                "git-dvc-filter: `{pathname}`: no .dvc/ in {}, nothing to do",
                self.root.display()
            );
            return QueueOutcome::Done;
        }
        self.queue.push((pathname.to_owned(), pointer.to_vec()));
        QueueOutcome::Queued
    }

    fn finish(&mut self) -> Vec<Materialized> {
        let queue = std::mem::take(&mut self.queue);
        let root = self.root.as_path();
        queue
            .into_par_iter()
            .map(|(pathname, pointer)| {
                let result = materialize_one(root, &pathname, &pointer);
                Materialized { pathname, result }
            })
            .collect()
    }

    fn discard(&mut self) {
        self.queue.clear();
    }
}

/// Check out the data of one pointer (`pathname` is top-relative, `/`-separated).
///
/// Engine integration point: this becomes a call such as
/// `crate::data::checkout::checkout_pointer(&repo, &root.join(pathname), pointer, &options)`
/// that skips outs already matching (state DB), never overwrites modified outs, and
/// fetches missing objects unless `gitdvc.autofetch=false`.
fn materialize_one(root: &Path, pathname: &str, pointer: &[u8]) -> Result<(), String> {
    tracing::debug!(
        "git-dvc-filter: would check out data of `{pathname}` ({} bytes) in {} (engine not wired yet)",
        pointer.len(),
        root.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_dvc_repo_nothing_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = EngineMaterializer::new(dir.path().to_owned());
        assert_eq!(m.queue("a.dvc", b"outs: []\n"), QueueOutcome::Done);
        assert!(m.finish().is_empty());
    }

    #[test]
    fn queued_pointers_are_all_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir(dir.path().join(".dvc")).unwrap();
        let mut m = EngineMaterializer::new(dir.path().to_owned());
        for i in 0..50 {
            assert_eq!(
                m.queue(&format!("d/{i}.dvc"), b"outs: []\n"),
                QueueOutcome::Queued
            );
        }
        let mut done: Vec<String> = m.finish().into_iter().map(|r| r.pathname).collect();
        done.sort();
        assert_eq!(done.len(), 50);
        assert!(m.finish().is_empty());
        m.queue("x.dvc", b"outs: []\n");
        m.discard();
        assert!(m.finish().is_empty());
    }
}

//! The default [`Materializer`] of `git-dvc-filter`: collects the pointers git writes
//! during a checkout and, when git asks for them, checks their data out in parallel.
//!
//! - The DVC repository is opened once per filter process, lazily, when the first pointer
//!   with work arrives (clean-only sessions, `git status`, never open it).
//! - Each pointer's bytes are parsed with `Repo::stages_from_text` (the file is not on disk
//!   yet); unparseable content has no side effect.
//! - Checkout runs with `OnUnsaved::Keep`: locally modified data is never overwritten; it
//!   is reported on stderr and left alone. Outs that already match are skipped by the
//!   engine through the state DB.
//! - Writes happen under DVC's repo lock, taken with a short wait. A busy lock, missing
//!   cache objects or errors never fail git: they are reported and the pointer goes to
//!   `$GIT_DIR/dvc/pending`, which the post-checkout/post-merge/post-rewrite hooks retry.

use super::process::{Materialized, Materializer, QueueOutcome};
use crate::data::repo::Repo;
use crate::env::ProcessEnv;
use crate::worktree::{self, Pending, PointerOutcome};
use std::path::{Path, PathBuf};

/// Materializes pointers of the repository whose worktree top is `root`.
#[derive(Debug)]
pub struct EngineMaterializer {
    root: PathBuf,
    env: ProcessEnv,
    /// Whether `root` holds a DVC repository (`.dvc/`), checked on first use.
    is_dvc_repo: Option<bool>,
    /// The repository, opened on the first `finish` with work (or why it could not be).
    repo: Option<Result<Repo, String>>,
    queue: Vec<(String, Vec<u8>)>,
}

impl EngineMaterializer {
    /// A materializer for the worktree at `root` (git starts the filter there).
    pub fn new(root: PathBuf, env: ProcessEnv) -> Self {
        EngineMaterializer {
            root,
            env,
            is_dvc_repo: None,
            repo: None,
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

    fn repo(&mut self) -> Result<&Repo, String> {
        let (root, env) = (&self.root, &self.env);
        let slot = self
            .repo
            .get_or_insert_with(|| match worktree::open_repo(root, env) {
                Ok(Some(repo)) => Ok(repo),
                Ok(None) => Err(format!("no DVC repository at {}", root.display())),
                Err(e) => Err(format!("cannot open the DVC repository: {e}")),
            });
        slot.as_ref().map_err(Clone::clone)
    }

    /// Record pointers for the hooks to retry. A failure to record is only logged.
    fn defer(&self, pathnames: &[String]) {
        if pathnames.is_empty() {
            return;
        }
        let git = crate::git::Git::new(&self.root);
        let pending = match Pending::for_git(&git) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("git-dvc: cannot record pending work: {e}");
                return;
            }
        };
        if let Err(e) = pending.add(pathnames) {
            tracing::warn!(
                "git-dvc: cannot record pending work in `{}`: {e}",
                pending.path().display()
            );
        }
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
        if queue.is_empty() {
            return Vec::new();
        }
        let all_failed = |queue: Vec<(String, Vec<u8>)>, message: &str| -> Vec<Materialized> {
            queue
                .into_iter()
                .map(|(pathname, _)| Materialized {
                    pathname,
                    result: Err(message.to_owned()),
                })
                .collect()
        };
        let pointers: Vec<(String, String)> = queue
            .iter()
            .filter_map(|(p, bytes)| Some((p.clone(), String::from_utf8(bytes.clone()).ok()?)))
            .collect();
        let root = self.root.clone();
        let repo = match self.repo() {
            Ok(repo) => repo,
            Err(message) => {
                let message = format!("{message} (will retry after the checkout)");
                let paths: Vec<String> = queue.iter().map(|(p, _)| p.clone()).collect();
                self.defer(&paths);
                return all_failed(queue, &message);
            }
        };
        let lock = match worktree::lock(repo) {
            Ok(lock) => lock,
            Err(e) => {
                let message = format!(
                    "the DVC repository is busy ({e}); the data will be checked out by the next git checkout, or run `git dvc checkout`"
                );
                let paths: Vec<String> = queue.iter().map(|(p, _)| p.clone()).collect();
                self.defer(&paths);
                return all_failed(queue, &message);
            }
        };
        let mut outcomes = worktree::materialize(repo, &pointers);
        // Missing objects: fetch them from the DVC remote unless `gitdvc.autofetch=false`
        // (GIT_DVC_SKIP_SMUDGE never gets here: the process loop does identity only).
        if outcomes.iter().any(|o| !o.missing.is_empty())
            && crate::git::Git::new(&root).gitdvc_settings().autofetch
        {
            worktree::fetch_and_retry(repo, &pointers, &mut outcomes);
        }
        drop(lock);
        let retry: Vec<String> = outcomes
            .iter()
            .filter(|o| o.needs_retry())
            .map(|o| o.pathname.clone())
            .collect();
        self.defer(&retry);
        // Pointers that were not UTF-8 never reached the engine: no side effect.
        let parsed: std::collections::HashSet<&str> =
            pointers.iter().map(|(p, _)| p.as_str()).collect();
        for (p, _) in &queue {
            if !parsed.contains(p.as_str()) {
                outcomes.push(PointerOutcome {
                    pathname: p.clone(),
                    unparseable: Some("not UTF-8".to_owned()),
                    ..PointerOutcome::default()
                });
            }
        }
        outcomes.into_iter().map(to_materialized).collect()
    }

    fn discard(&mut self) {
        self.queue.clear();
    }
}

/// Kept outs are warned about here (the pointer itself is fine); missing data and errors
/// become an `Err` that the process loop reports.
fn to_materialized(outcome: PointerOutcome) -> Materialized {
    for out in &outcome.kept {
        tracing::warn!(
            "git-dvc: `{out}` has changes that are not in the DVC cache and does not match `{}`; left as it is (run `git dvc commit {}` to keep them, or `git dvc checkout -f {}` to drop them)",
            outcome.pathname,
            outcome.pathname,
            outcome.pathname
        );
    }
    let mut problems = Vec::new();
    if !outcome.missing.is_empty() {
        problems.push(format!(
            "not in the cache: {} (run `git dvc pull {}`)",
            outcome
                .missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            outcome.pathname
        ));
    }
    problems.extend(outcome.errors.iter().cloned());
    Materialized {
        pathname: outcome.pathname,
        result: if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_a_dvc_repo_nothing_is_queued() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = EngineMaterializer::new(dir.path().to_owned(), ProcessEnv::default());
        assert_eq!(m.queue("a.dvc", b"outs: []\n"), QueueOutcome::Done);
        assert!(m.finish().is_empty());
    }

    #[test]
    fn queued_pointers_are_all_reported() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir(dir.path().join(".dvc")).unwrap();
        let mut m = EngineMaterializer::new(dir.path().to_owned(), ProcessEnv::default());
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

    #[test]
    fn outcome_mapping() {
        let ok = to_materialized(PointerOutcome {
            pathname: "a.dvc".into(),
            kept: vec!["a".into()],
            ..PointerOutcome::default()
        });
        assert_eq!(ok.result, Ok(()));
        let missing = to_materialized(PointerOutcome {
            pathname: "b.dvc".into(),
            missing: vec!["b".into()],
            errors: vec!["boom".into()],
            ..PointerOutcome::default()
        });
        let message = missing.result.unwrap_err();
        assert!(
            message.contains("`b`") && message.contains("boom"),
            "{message}"
        );
    }
}

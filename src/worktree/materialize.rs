//! Bringing pointers' data into the workspace: check out the outs of pointer texts in
//! parallel with [`OnUnsaved::Keep`] (never touching unsaved content), and fetch what the
//! cache lacks through the one transfer use case.

use crate::data::checkout::{self, CheckoutOptions, OnUnsaved};
use crate::data::repo::{Repo, RepoError};
use rayon::prelude::*;
use std::collections::HashMap;

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
    let progress = crate::data::progress::phase("Checking out", pointers.len() as u64, 0);
    pointers
        .par_iter()
        .map(|(pathname, text)| {
            let outcome = materialize_one(repo, pathname, text);
            progress.advance(1, 0);
            outcome
        })
        .collect()
}

fn materialize_one(repo: &Repo, pathname: &str, text: &str) -> PointerOutcome {
    let mut outcome = PointerOutcome {
        pathname: pathname.to_owned(),
        ..PointerOutcome::default()
    };
    let stages = match repo.stages_from_text(pathname, text) {
        Ok(stages) => stages,
        Err(e @ (RepoError::UnsafePath { .. } | RepoError::InvalidOut { .. })) => {
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
    // Imports with no hash yet: from dvc's fs cache, where a pull left their data.
    let stages = super::fs_cache::resolve_for_checkout(repo, &stages);
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

/// Fetch the data of an import stage from its source (relative URLs from the worktree
/// top). The user's global and system config are not read here: the engine is given no
/// process environment beyond the repository's.
fn fetch_imports(repo: &Repo, stages: &[crate::data::repo::Stage], text: &str) {
    for st in stages {
        let Some(o) = st.outs.first() else { continue };
        let Some(md5) = o.out.md5.as_deref() else {
            continue;
        };
        let options = super::registry::ImportFetch {
            cwd: &repo.root,
            repo_options: crate::data::repo::RepoOptions {
                home_dir: repo.remote_options.home_dir.clone(),
                user_name: repo.remote_options.user_name.clone(),
                azure_env: repo.remote_options.azure_env.clone(),
                ..Default::default()
            },
            jobs: None,
        };
        if let Err(e) = super::registry::fetch_import(repo, text, md5, o.out.is_dir(), &options) {
            tracing::warn!(
                "git-dvc: cannot fetch the data of `{}` from its source: {e}",
                st.file
            );
        }
    }
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
    use crate::data::transfer::{self, RemoteChoice, RunOptions, WithoutRemote};
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
        // An import's data comes from its source, not from the project's remote.
        if stages.iter().any(|s| s.repo_import) {
            fetch_imports(repo, &stages, &text);
            retry.push((path, text));
            continue;
        }
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
        retry_materialize(repo, &retry, outcomes);
        return;
    }
    let options = RunOptions {
        jobs: None,
        without_remote: WithoutRemote::Report,
        stop_on_remote_error: false,
        trust_remote_dirs: true,
    };
    let outcome = match transfer::run(
        repo,
        outs.iter(),
        transfer::Direction::Fetch,
        &RemoteChoice::of_repo(repo, None),
        &options,
        &transfer::NoProgress,
    ) {
        Ok(outcome) => outcome,
        Err(e) => {
            tracing::warn!("git-dvc: cannot fetch the missing data: {e}");
            return;
        }
    };
    for r in &outcome.remotes {
        match &r.result {
            Ok(summary) => {
                for f in &summary.failed {
                    tracing::warn!(
                        "git-dvc: fetching `{}` from `{}` failed: {}",
                        f.object.oid(),
                        r.name,
                        f.error
                    );
                }
            }
            Err(e) => tracing::warn!("git-dvc: fetching from DVC remote `{}` failed: {e}", r.name),
        }
    }
    let fetched = outcome.transferred();
    if fetched == 0 {
        return;
    }
    tracing::info!("git-dvc: fetched {fetched} object(s)");
    retry_materialize(repo, &retry, outcomes);
}

/// Materialize `retry` again and replace their outcomes.
fn retry_materialize(repo: &Repo, retry: &[(String, String)], outcomes: &mut [PointerOutcome]) {
    if retry.is_empty() {
        return;
    }
    let mut fresh: HashMap<String, PointerOutcome> = materialize(repo, retry)
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

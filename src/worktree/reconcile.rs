//! Reconciling the workspace after git rewrote it (checkout, merge, rewrite, reset,
//! stash, sparse checkout): delete outs whose pointer vanished when their data is in the
//! cache, bring in the data of changed pointers, retry the pending journal.

use super::materialize::{PointerOutcome, fetch_and_retry, materialize};
use super::pending::Pending;
use super::{Worktree, lock};
use crate::data::checkout;
use crate::data::pointer::{POINTER_PATHSPECS, is_pointer_path};
use crate::data::repo::ResolvedOut;
use crate::env::ProcessEnv;
use crate::git::{DiffSide, Git, RawChange};
use std::collections::HashSet;

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

    /// The problems, one line each (without the `WARNING:` prefix).
    pub fn warnings(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for out in &self.kept_orphans {
            lines.push(format!(
                "git-dvc: `{out}` is no longer tracked by DVC on this commit but holds changes that are not in the cache; left in place (it is now untracked)"
            ));
        }
        for o in &self.materialized {
            lines.extend(
                o.problem_lines()
                    .into_iter()
                    .map(|l| format!("git-dvc: {l}")),
            );
        }
        for e in &self.errors {
            lines.push(format!("git-dvc: {e}"));
        }
        lines
    }

    /// Print warnings and notes on stderr, each problem once per git command: one git
    /// command can fire two hooks (a checkout runs post-index-change, then
    /// post-checkout), and the second finds what the first already reported. The last
    /// report is kept in `tmp_dir`; the same lines within a few seconds are not repeated.
    pub fn report(&self, tmp_dir: &std::path::Path) {
        for out in &self.removed {
            tracing::info!(
                "git-dvc: removed `{out}`: no pointer tracks it any more (its data is in the cache)"
            );
        }
        let lines = self.warnings();
        if lines.is_empty() {
            return;
        }
        let text = lines.join("\n");
        let file = tmp_dir.join("git-dvc-last-report");
        let recent = fs_err::metadata(&file)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < std::time::Duration::from_secs(5));
        if recent && fs_err::read_to_string(&file).is_ok_and(|old| old == text) {
            return;
        }
        for l in &lines {
            tracing::warn!("{l}");
        }
        let _ = fs_err::create_dir_all(tmp_dir);
        let _ = crate::data::atomic::write(&file, text);
    }
}

/// configured and reachable, and `GIT_DVC_SKIP_SMUDGE` is unset. Then the hooks leave the
/// changed pointers to it and only handle removals and the journal.
pub fn filter_is_active(git: &Git, env: &ProcessEnv) -> bool {
    if env.skip_smudge {
        return false;
    }
    let Ok(Some(command)) = git.config_get_effective("filter.dvc.process") else {
        return false;
    };
    let program = command.split_whitespace().next().unwrap_or("");
    !program.is_empty() && env.on_path(program)
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
    pub fn after_filter(git: &Git, env: &ProcessEnv) -> ChangedPointers {
        if filter_is_active(git, env) {
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
pub fn reconcile(wt: &Worktree, request: ReconcileRequest<'_>) -> Reconciled {
    let mut result = Reconciled::default();
    if wt.env.skip_smudge {
        tracing::debug!("git-dvc: GIT_DVC_SKIP_SMUDGE is set; the workspace is left as it is");
        return result;
    }
    let changes = match request.diff {
        Some((old, new)) => match changed_pointers(&wt.git, old, new) {
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
    let orphans = orphaned_outs(wt, &changes);
    let mut queued: HashSet<String> = to_materialize.iter().map(|(p, _)| p.clone()).collect();
    // Pointers the filter handled: verified here, their known problems not repeated.
    let mut verify_only: HashSet<String> = HashSet::new();
    if request.changed != ChangedPointers::Ignore {
        for c in &changes {
            // The worktree file is what git wrote; it equals the new blob unless the user
            // kept local changes to it.
            if c.new.is_some()
                && !queued.contains(&c.path)
                && let Ok(text) = fs_err::read_to_string(wt.top.join(&c.path))
            {
                queued.insert(c.path.clone());
                if request.changed == ChangedPointers::Verify {
                    verify_only.insert(c.path.clone());
                }
                to_materialize.push((c.path.clone(), text));
            }
        }
    }
    let pending = wt.pending();
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
        if let Ok(text) = fs_err::read_to_string(wt.top.join(path)) {
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
    let _lock = match lock(&wt.repo) {
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
    remove_orphans(wt, orphans, &mut result);
    let mut outcomes = materialize(&wt.repo, &to_materialize);
    for o in outcomes
        .iter_mut()
        .filter(|o| verify_only.contains(&o.pathname))
    {
        o.kept.clear();
        o.missing.clear();
    }
    if outcomes.iter().any(|o| !o.missing.is_empty()) && wt.settings().autofetch {
        fetch_and_retry(&wt.repo, &to_materialize, &mut outcomes);
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
fn remove_orphans(wt: &Worktree, orphans: Vec<ResolvedOut>, result: &mut Reconciled) {
    for o in orphans {
        if fs_err::symlink_metadata(&o.abs).is_err() {
            continue;
        }
        match checkout::remove_out_if_saved(&wt.repo, &o) {
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
    wt: &Worktree,
    changes: Vec<(String, Option<String>, Option<String>)>,
) -> Reconciled {
    let mut result = Reconciled::default();
    if wt.env.skip_smudge {
        return result;
    }
    let changes: Vec<PointerChange> = changes
        .into_iter()
        .map(|(path, old, new)| PointerChange { path, old, new })
        .collect();
    let orphans: Vec<ResolvedOut> = orphaned_outs(wt, &changes)
        .into_iter()
        .filter(|o| fs_err::symlink_metadata(&o.abs).is_ok())
        .collect();
    if orphans.is_empty() {
        return result;
    }
    let _lock = match lock(&wt.repo) {
        Ok(l) => l,
        Err(e) => {
            result
                .errors
                .push(format!("outs whose pointer is gone were not removed: {e}"));
            return result;
        }
    };
    remove_orphans(wt, orphans, &mut result);
    result
}

/// Outs present before and absent after: in a deleted pointer, or dropped from a changed
/// one, and not tracked by any changed pointer afterwards nor by git itself.
fn orphaned_outs(wt: &Worktree, changes: &[PointerChange]) -> Vec<ResolvedOut> {
    let mut after: HashSet<String> = HashSet::new();
    let mut unknown_after = false;
    for c in changes {
        if let Some(text) = &c.new {
            match wt.repo.stages_from_text(&c.path, text) {
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
        let Ok(stages) = wt.repo.stages_from_text(&c.path, old) else {
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
    let pathspecs: Vec<&str> = if candidates.len() <= 64 {
        candidates.iter().map(|o| o.rel.as_str()).collect()
    } else {
        Vec::new()
    };
    let protected: HashSet<String> = match wt.git.ls_files_lossy(&[], &pathspecs) {
        Ok(tracked) => {
            let mut protected = HashSet::new();
            for t in &tracked {
                for p in std::iter::once(t.as_str()).chain(ancestors(t)) {
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
pub fn index_pointers(wt: &Worktree) -> Vec<(String, String)> {
    let Ok(entries) = wt.git.ls_files_lossy(&["-t"], &POINTER_PATHSPECS) else {
        return Vec::new();
    };
    entries
        .into_iter()
        .filter_map(|entry| {
            let (tag, path) = entry.split_once(' ')?;
            // `S`: skip-worktree; everything else (`H`, `C`, ...) is in the worktree.
            if tag == "S" || !is_pointer_path(path) {
                return None;
            }
            let text = fs_err::read_to_string(wt.top.join(path)).ok()?;
            Some((path.to_owned(), text))
        })
        .collect()
}

//! Comparing outs with the workspace and the cache (`status`), with DVC's words and
//! precedence: `not in cache` > `deleted` > `modified` > `new` (spec §10.1).

use crate::data::repo::{ExternalOut, Repo, ResolvedOut, Stage};
use crate::data::state::Entry;
use crate::data::tree::Tree;
use crate::data::walk::{self, DirHash};
use rayon::prelude::*;
use std::os::unix::fs::PermissionsExt;

/// Errors computing status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Listing or hashing failed.
    #[error(transparent)]
    Walk(#[from] walk::Error),
}

/// The state of one out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutState {
    /// Workspace matches the pointer and the cache has the data.
    Unchanged,
    /// Workspace differs.
    Modified,
    /// Workspace path missing.
    Deleted,
    /// The out has no recorded hash.
    New,
    /// The recorded object (or part of a directory) is missing from the cache.
    NotInCache,
    /// An import's source revision resolves to another commit than its `rev_lock`.
    UpdateAvailable,
}

impl OutState {
    /// DVC's word.
    pub fn word(self) -> &'static str {
        match self {
            OutState::Unchanged => "unchanged",
            OutState::Modified => "modified",
            OutState::Deleted => "deleted",
            OutState::New => "new",
            OutState::NotInCache => "not in cache",
            OutState::UpdateAvailable => "update available",
        }
    }
}

/// The workspace's current version of an out.
#[derive(Debug)]
pub struct Current {
    /// md5 (with `.dir` for directories).
    pub md5: String,
    /// Total size.
    pub size: u64,
    /// File count for directories.
    pub nfiles: Option<u64>,
    /// Executable bit of a single file.
    pub isexec: bool,
    /// The directory hash, for directories.
    pub dir: Option<DirHash>,
    /// State entry for a single file.
    pub file_state: Option<Entry>,
}

/// A changed stage: its name, the state of each of its changed outs, and whether its
/// stage md5 no longer matches (`changed checksum`).
#[derive(Debug, Clone)]
pub struct StageReport {
    /// DVC's name for the stage.
    pub name: String,
    /// Changed deps (root-relative path) and their states (`changed deps`).
    pub deps: Vec<(String, OutState)>,
    /// Changed outs (root-relative path, or an external location) and their states.
    pub outs: Vec<(String, OutState)>,
    /// dvc's `changed checksum`.
    pub changed_checksum: bool,
}

/// Hash the workspace version of an out (None when it does not exist). With `cache`,
/// also put every file into the cache (add/commit).
pub fn current(repo: &Repo, o: &ResolvedOut, cache: bool) -> Result<Option<Current>, Error> {
    let legacy = o.out.is_legacy();
    let meta = match fs_err::metadata(&o.abs) {
        Ok(m) => m,
        Err(_) => return Ok(None),
    };
    let odb = if cache { Some(&repo.odb) } else { None };
    if meta.is_dir() {
        let dh = walk::hash_dir(&repo.root, &o.abs, &o.rel, legacy, repo.state.as_ref(), odb)?;
        let md5 = dh.tree.oid();
        Ok(Some(Current {
            md5,
            size: dh.size,
            nfiles: Some(dh.tree.entries.len() as u64),
            isexec: false,
            dir: Some(dh),
            file_state: None,
        }))
    } else {
        let known = repo.state.as_ref().and_then(|s| s.get(legacy, &o.rel));
        let h = walk::hash_one(&o.abs, &meta, legacy, known.as_ref(), odb)?;
        let isexec = meta.permissions().mode() & 0o111 != 0;
        Ok(Some(Current {
            md5: h.md5,
            size: h.size,
            nfiles: None,
            isexec,
            dir: None,
            file_state: h.new_state,
        }))
    }
}

/// Record what `current` learned in the state DB.
pub fn record(repo: &Repo, o: &ResolvedOut, cur: &Current) {
    let Some(state) = repo.state.as_ref() else {
        return;
    };
    let legacy = o.out.is_legacy();
    if let Some(dh) = &cur.dir {
        walk::record_dir_state(Some(state), legacy, &o.rel, &dh.new_state);
    } else if let Some(e) = cur.file_state {
        let _ = state.put_many(legacy, [(o.rel.as_str(), e)]);
    }
}

/// The workspace's oid of `o` and a file's exec bit (`None` when it is missing), by the
/// cheapest way that is exact: a watcher's answer, else the oid of a 3.x directory
/// taken without its manifest, else a hash through the state DB. What it learns goes
/// to the state DB and the watcher records.
pub fn workspace_oid(repo: &Repo, o: &ResolvedOut) -> Result<Option<(String, bool)>, Error> {
    if let Some(w) = watched(repo, o) {
        return Ok(Some((w.oid, w.isexec)));
    }
    if !o.out.is_legacy() && fs_err::metadata(&o.abs).is_ok_and(|m| m.is_dir()) {
        let d = walk::dir_oid(&repo.root, &o.abs, &o.rel, false, repo.state.as_ref())?;
        walk::record_dir_state(repo.state.as_ref(), false, &o.rel, &d.new_state);
        remember(repo, o, &d.oid, false, d.has_symlinks);
        return Ok(Some((d.oid, false)));
    }
    let Some(cur) = current(repo, o, false)? else {
        forget(repo, o);
        return Ok(None);
    };
    record(repo, o, &cur);
    remember_current(repo, o, &cur);
    Ok(Some((cur.md5, cur.isexec)))
}

/// The workspace's oid of `o` as the last walk found it, when the run's watcher answer
/// shows nothing at or below it changed since (`data::watch`). 3.x outs only.
pub fn watched(repo: &Repo, o: &ResolvedOut) -> Option<crate::data::watch::Record> {
    let (watch, state) = (repo.watch.as_ref()?, repo.state.as_ref()?);
    if o.out.is_legacy() {
        return None;
    }
    watch.unchanged(state, false, &o.rel)
}

/// Keep what a walk of this run found at `o` for the next run's watcher answer: only
/// for an out the watcher sees whole (no symlink inside it or on its path).
pub fn remember(repo: &Repo, o: &ResolvedOut, oid: &str, isexec: bool, has_symlinks: bool) {
    let (Some(watch), Some(state)) = (repo.watch.as_ref(), repo.state.as_ref()) else {
        return;
    };
    if o.out.is_legacy() {
        return;
    }
    if has_symlinks || !path_is_real(&repo.root, o) {
        watch.forget(state, false, &o.rel);
        return;
    }
    watch.store(state, false, &o.rel, oid, isexec);
}

/// [`remember`] from what [`current`] found.
pub fn remember_current(repo: &Repo, o: &ResolvedOut, cur: &Current) {
    if repo.watch.is_none() {
        return;
    }
    let has_symlinks = match &cur.dir {
        Some(dh) => !dh.symlinks.is_empty(),
        None => fs_err::symlink_metadata(&o.abs).map_or(true, |m| m.file_type().is_symlink()),
    };
    remember(repo, o, &cur.md5, cur.isexec, has_symlinks);
}

/// Drop what was kept of `o` (it is missing).
pub fn forget(repo: &Repo, o: &ResolvedOut) {
    if let (Some(watch), Some(state)) = (repo.watch.as_ref(), repo.state.as_ref()) {
        watch.forget(state, o.out.is_legacy(), &o.rel);
    }
}

/// The out's path resolves to itself: no component of it is a symlink, so every change
/// to what it holds happens under the path the watcher reports.
fn path_is_real(root: &std::path::Path, o: &ResolvedOut) -> bool {
    match (fs_err::canonicalize(root), fs_err::canonicalize(&o.abs)) {
        (Ok(root), Ok(abs)) => abs == root.join(&o.rel),
        _ => false,
    }
}

/// Whether the recorded version of `o` is entirely in the cache.
pub fn in_cache(repo: &Repo, o: &ResolvedOut) -> bool {
    let Some(md5) = o.out.md5.as_deref() else {
        return false;
    };
    let legacy = o.out.is_legacy();
    if !repo.odb.exists_verified(md5, legacy) {
        return false;
    }
    if !o.out.is_dir() {
        return true;
    }
    let marker = format!("complete:{}:{md5}", if legacy { "l" } else { "m" });
    let fingerprint = repo.odb.fingerprint(legacy);
    if let Some(state) = repo.state.as_ref()
        && state.get_raw(&marker).as_deref() == Some(fingerprint.as_bytes())
    {
        return true;
    }
    let Ok(bytes) = repo.odb.read(md5, legacy) else {
        return false;
    };
    let Ok(tree) = Tree::parse(&bytes) else {
        return false;
    };
    let complete = tree
        .entries
        .par_iter()
        .all(|e| repo.odb.exists(&e.md5.hex(), legacy));
    if complete {
        mark_complete(repo, md5, legacy);
    }
    complete
}

/// Remember that every object of the directory `md5` is in the cache right now.
pub fn mark_complete(repo: &Repo, md5: &str, legacy: bool) {
    if let Some(state) = repo.state.as_ref() {
        let marker = format!("complete:{}:{md5}", if legacy { "l" } else { "m" });
        let _ = state.put_raw(&marker, repo.odb.fingerprint(legacy).as_bytes());
    }
}

/// The status of one out.
pub fn out_status(repo: &Repo, o: &ResolvedOut) -> Result<OutState, Error> {
    if o.out.md5.is_some() && o.out.cache && !in_cache(repo, o) {
        return Ok(OutState::NotInCache);
    }
    workspace_status(repo, o)
}

/// dvc's `Output.workspace_status`: the workspace against the pointer, cache aside
/// (`deleted` > `modified` > `new`). What `commit` without `--force` checks.
pub fn workspace_status(repo: &Repo, o: &ResolvedOut) -> Result<OutState, Error> {
    let Some(recorded) = o.out.md5.as_deref() else {
        // dvc 3.67.1 reports an out without a hash as `modified` when the path exists.
        return Ok(if fs_err::symlink_metadata(&o.abs).is_ok() {
            OutState::Modified
        } else {
            OutState::Deleted
        });
    };
    // What a watcher shows unchanged since the last walk keeps that walk's oid.
    if let Some(w) = watched(repo, o) {
        return Ok(if w.oid != recorded {
            OutState::Modified
        } else {
            OutState::Unchanged
        });
    }
    // A 3.x directory out needs only its manifest's oid: taken without the manifest.
    if !o.out.is_legacy() && fs_err::metadata(&o.abs).is_ok_and(|m| m.is_dir()) {
        let d = walk::dir_oid(&repo.root, &o.abs, &o.rel, false, repo.state.as_ref())?;
        walk::record_dir_state(repo.state.as_ref(), false, &o.rel, &d.new_state);
        remember(repo, o, &d.oid, false, d.has_symlinks);
        return Ok(if d.oid != recorded {
            OutState::Modified
        } else {
            OutState::Unchanged
        });
    }
    let Some(cur) = current(repo, o, false)? else {
        forget(repo, o);
        return Ok(OutState::Deleted);
    };
    record(repo, o, &cur);
    remember_current(repo, o, &cur);
    // dvc's `changed_checksum` builds a 2.x directory out into the legacy cache, which
    // keeps the `.dir` of what it hashed (best effort: status reads, it is no failure).
    if let (Some(dh), true) = (&cur.dir, o.out.is_legacy() && o.out.cache) {
        let _ = repo.odb.put_tree(&cur.md5, true, &dh.tree);
    }
    // The exec bit alone does not make dvc 3.67.1 report a change (observed).
    let changed = cur.md5 != recorded;
    Ok(if changed {
        OutState::Modified
    } else {
        OutState::Unchanged
    })
}

/// Status of every out of the given stages: (stage, [(out rel, state)]) for changed ones.
pub fn status(repo: &Repo, stages: &[Stage]) -> Result<Vec<StageReport>, Error> {
    let mut report = Vec::new();
    for st in stages {
        let mut changed = Vec::new();
        for o in &st.outs {
            let s = out_status(repo, o)?;
            if s != OutState::Unchanged {
                changed.push((o.rel.clone(), s));
            }
        }
        for e in &st.external {
            if let Some(s) = external_status(repo, e)?
                && s != OutState::Unchanged
            {
                changed.push((e.location.clone(), s));
            }
        }
        let deps = dep_changes(repo, st)?;
        if !changed.is_empty() || !deps.is_empty() || st.changed_checksum {
            report.push(StageReport {
                name: st.display_name(),
                deps,
                outs: changed,
                changed_checksum: st.changed_checksum,
            });
        }
    }
    Ok(report)
}

/// dvc's `changed deps` of a stage: each path dep whose workspace differs from the lock.
pub fn dep_changes(repo: &Repo, st: &Stage) -> Result<Vec<(String, OutState)>, Error> {
    let mut changed = Vec::new();
    for d in &st.deps {
        let s = workspace_status(repo, d)?;
        if s != OutState::Unchanged {
            changed.push((d.rel.clone(), s));
        }
    }
    Ok(changed)
}

/// The status of an out outside the workspace, read-only and without the state DB:
/// a local path is compared like any out (dvc shows it by its absolute path); a URL is
/// not checked (`None`: dvc would ask the storage; git-dvc reports it as skipped).
pub fn external_status(repo: &Repo, e: &ExternalOut) -> Result<Option<OutState>, Error> {
    let Some(abs) = &e.local else {
        return Ok(None);
    };
    let o = ResolvedOut {
        out: e.out.clone(),
        index: e.index,
        abs: abs.clone(),
        rel: e.location.clone(),
    };
    if o.out.md5.is_some() && o.out.cache && !in_cache(repo, &o) {
        return Ok(Some(OutState::NotInCache));
    }
    let meta = fs_err::metadata(abs);
    let Some(recorded) = o.out.md5.as_deref() else {
        return Ok(Some(if meta.is_ok() {
            OutState::Modified
        } else {
            OutState::Deleted
        }));
    };
    let Ok(meta) = meta else {
        return Ok(Some(OutState::Deleted));
    };
    let legacy = o.out.is_legacy();
    let md5 = if meta.is_dir() {
        // Its own parent as the root: no workspace `.dvcignore` applies outside it.
        let parent = abs.parent().unwrap_or(abs);
        walk::hash_dir(parent, abs, &e.location, legacy, None, None)?
            .tree
            .oid()
    } else {
        walk::hash_one(abs, &meta, legacy, None, None)?.md5
    };
    Ok(Some(if md5 == recorded {
        OutState::Unchanged
    } else {
        OutState::Modified
    }))
}

//! `checkout`: make the workspace match the recorded outs, from the cache.
//!
//! Two phases: plan every out (what to write, what to delete), then apply. Content that
//! would be overwritten or deleted and is not in the cache is "unsaved": with
//! `OnUnsaved::Fail` (the `checkout` command) the whole run stops before touching anything
//! (spec §10.2, DVC's `--force` prompt); with `OnUnsaved::Keep` (git hooks and the filter)
//! that out is left as it is and reported. Files are written to a temp name and renamed.
#![expect(
    clippy::disallowed_methods,
    reason = "hot path: std::fs without a path copy per call; every io::Error is mapped into an error that names its path"
)]

use crate::data::hash;
use crate::data::io::IoError;
use crate::data::odb;
use crate::data::repo::{Repo, ResolvedOut, Stage};
use crate::data::state::{Entry, State};
use crate::data::tree::Tree;
use crate::data::walk::{self, DirFile};
use rayon::prelude::*;
use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Errors of checkout.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Listing or hashing.
    #[error(transparent)]
    Walk(#[from] walk::Error),
    /// Cache.
    #[error(transparent)]
    Odb(#[from] odb::Error),
    /// Unsaved workspace content would be lost.
    #[error("Can't remove the following unsaved files without confirmation. Use `--force` to force.\n{}", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("\n"))]
    Unsaved(Vec<PathBuf>),
    /// IO.
    #[error(transparent)]
    Io(#[from] IoError),
}

/// What to do with workspace content that is not in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnUnsaved {
    /// Refuse the whole checkout (no changes made).
    Fail,
    /// Leave that out untouched and report it.
    Keep,
    /// Overwrite it (`--force`).
    Overwrite,
}

/// Options.
#[derive(Debug, Clone, Copy)]
pub struct CheckoutOptions {
    /// Unsaved-content policy.
    pub on_unsaved: OnUnsaved,
    /// Re-create links even for unchanged files.
    pub relink: bool,
}

/// How an out changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Created.
    Added,
    /// Updated.
    Modified,
    /// Removed.
    Deleted,
}

impl Change {
    /// DVC's letter.
    pub fn letter(self) -> char {
        match self {
            Change::Added => 'A',
            Change::Modified => 'M',
            Change::Deleted => 'D',
        }
    }
}

/// What a checkout did.
#[derive(Debug, Default)]
pub struct Report {
    /// (out rel path, is dir, change).
    pub changes: Vec<(String, bool, Change)>,
    /// Outs whose data is missing from the cache.
    pub missing: Vec<String>,
    /// Outs left alone because they hold unsaved changes (`OnUnsaved::Keep`).
    pub kept: Vec<String>,
    /// Outs reported as modified only because of exec bits inside a directory.
    pub touched: Vec<String>,
    /// Other per-out failures (the rest still ran).
    pub errors: Vec<String>,
    /// Files changed, counted one by one inside directories (dvc's checkout `stats`,
    /// which `checkout --summary` and `pull` print).
    pub stats: Stats,
}

/// dvc's checkout `stats`: files modified, added and deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Files whose content was replaced.
    pub modified: usize,
    /// Files created.
    pub added: usize,
    /// Files removed.
    pub deleted: usize,
}

enum Plan {
    Nothing,
    /// Report the dir as modified without changing anything (see the exec-bit note).
    Touch {
        o: ResolvedOut,
    },
    File {
        o: ResolvedOut,
        md5: String,
        exec: bool,
        change: Change,
        /// Relink only; not reported.
        silent: bool,
    },
    Dir {
        o: ResolvedOut,
        tree: Tree,
        writes: Vec<usize>,
        /// How many of `writes` create a file that was not there.
        added: usize,
        deletes: Vec<PathBuf>,
        replace_file: bool,
        change: Change,
        keep_exec: HashSet<usize>,
    },
}

/// `files` without the temp files an interrupted checkout left in a directory out (our
/// own names, see [`odb::is_temp_name`]), which are deleted: they are no one's data, and
/// the repository lock is held, so no other checkout is writing them.
fn without_own_temps(dir: &Path, files: Vec<DirFile>) -> Vec<DirFile> {
    files
        .into_iter()
        .filter(|f| {
            let name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
            if odb::is_temp_name(name) && !f.symlink {
                let _ = std::fs::remove_file(f.abs(dir));
                false
            } else {
                true
            }
        })
        .collect()
}

/// Check out the outs of `stages`.
pub fn checkout(repo: &Repo, stages: &[Stage], opts: CheckoutOptions) -> Result<Report, Error> {
    let mut report = Report::default();
    let mut plans = Vec::new();
    let mut unsaved = Vec::new();
    for st in stages {
        for o in &st.outs {
            if !o.out.cache {
                continue;
            }
            if o.out.md5.is_none() {
                // No hash yet (`import --no-download`): nothing to check out, as dvc
                // reports it.
                report.missing.push(o.rel.clone());
                continue;
            }
            let mut out_unsaved = Vec::new();
            match plan_out(repo, o, opts, &mut out_unsaved) {
                Ok(Some(p)) => {
                    if !out_unsaved.is_empty() {
                        match opts.on_unsaved {
                            OnUnsaved::Keep => {
                                report.kept.push(o.rel.clone());
                                continue;
                            }
                            OnUnsaved::Fail => unsaved.extend(out_unsaved),
                            OnUnsaved::Overwrite => {}
                        }
                    }
                    plans.push(p);
                }
                Ok(None) => report.missing.push(o.rel.clone()),
                Err(e) => report.errors.push(format!("{}: {e}", o.rel)),
            }
        }
    }
    if !unsaved.is_empty() {
        unsaved.sort();
        return Err(Error::Unsaved(unsaved));
    }
    for p in plans {
        let rel = p.rel().map(str::to_string);
        if let Plan::Touch { o } = &p {
            report.touched.push(o.rel.clone());
        }
        let stats = p.stats();
        match apply(repo, p) {
            Ok(Some(c)) => {
                report.stats.modified += stats.modified;
                report.stats.added += stats.added;
                report.stats.deleted += stats.deleted;
                report.changes.push(c);
            }
            Ok(None) => {}
            Err(Error::Odb(odb::Error::Missing(_))) => report.missing.extend(rel),
            Err(e) => report
                .errors
                .push(format!("{}: {e}", rel.unwrap_or_default())),
        }
    }
    Ok(report)
}

/// Whether the content at `path` is safe to drop: it is in the cache already.
fn is_saved(repo: &Repo, path: &std::path::Path, legacy: bool, known: Option<&Entry>) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return true;
    };
    if meta.is_dir() {
        return false;
    }
    match walk::hash_one(path, &meta, legacy, known, None) {
        Ok(h) => repo.odb.exists_verified(&h.md5, legacy),
        Err(_) => false,
    }
}

/// The md5s the state knows for the files of the directory out `out_rel` (sorted, as
/// `walk::list_dir` returns them), where they still match the file.
fn known_for(repo: &Repo, legacy: bool, out_rel: &str, files: &[DirFile]) -> Vec<Option<[u8; 16]>> {
    match repo.state.as_ref() {
        Some(s) => s.known_md5s(
            legacy,
            &format!("{out_rel}/"),
            files,
            |f| &f.rel,
            |f| f.stat,
        ),
        None => vec![None; files.len()],
    }
}

/// The state entry of a file whose md5 the state knows (17 bytes a file are kept, not 56).
fn entry_of(f: &DirFile, known: Option<[u8; 16]>) -> Option<Entry> {
    known.map(|m| Entry::from_stat(&f.stat, m))
}

/// Plan one out. `Ok(None)` = its data is missing from the cache.
fn plan_out(
    repo: &Repo,
    o: &ResolvedOut,
    opts: CheckoutOptions,
    unsaved: &mut Vec<PathBuf>,
) -> Result<Option<Plan>, Error> {
    let md5 = o.out.md5.clone().unwrap_or_default();
    let legacy = o.out.is_legacy();
    let meta = std::fs::symlink_metadata(&o.abs).ok();
    if !o.out.is_dir() {
        if !repo.odb.exists_verified(&md5, legacy) {
            // Nothing to do when the workspace already has it (dvc does not complain then).
            let known = repo.state.as_ref().and_then(|s| s.get(legacy, &o.rel));
            let same = std::fs::metadata(&o.abs)
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| walk::hash_one(&o.abs, &m, legacy, known.as_ref(), None).ok())
                .is_some_and(|h| h.md5 == md5);
            return Ok(if same { Some(Plan::Nothing) } else { None });
        }
        let Some(meta) = meta else {
            return Ok(Some(Plan::File {
                o: o.clone(),
                md5,
                exec: o.out.isexec,
                change: Change::Added,
                silent: false,
            }));
        };
        if meta.is_dir() {
            // A directory where a file belongs: everything in it must be saved.
            for f in walk::list_dir(&repo.root, &o.abs).unwrap_or_default() {
                let abs = f.abs(&o.abs);
                if !is_saved(repo, &abs, legacy, None) {
                    unsaved.push(abs);
                }
            }
            return Ok(Some(Plan::File {
                o: o.clone(),
                md5,
                exec: o.out.isexec,
                change: Change::Modified,
                silent: false,
            }));
        }
        let known = repo.state.as_ref().and_then(|s| s.get(legacy, &o.rel));
        let full = std::fs::metadata(&o.abs).ok();
        let same = full
            .as_ref()
            .and_then(|m| walk::hash_one(&o.abs, m, legacy, known.as_ref(), None).ok())
            .map(|h| h.md5 == md5)
            .unwrap_or(false);
        let exec_now = full
            .as_ref()
            .is_some_and(|m| m.permissions().mode() & 0o111 != 0);
        let relink = opts.relink && repo.odb.effective_link_type() != odb::LinkType::Copy;
        // Note: same content under another link type (a copy after switching `cache.type`
        // to hardlink) is left alone, as dvc does; `--relink` converts it.
        if same && exec_now == o.out.isexec && !relink {
            return Ok(Some(Plan::Nothing));
        }
        if !same && !is_saved(repo, &o.abs, legacy, known.as_ref()) {
            unsaved.push(o.abs.clone());
        }
        return Ok(Some(Plan::File {
            o: o.clone(),
            md5,
            exec: o.out.isexec,
            change: Change::Modified,
            silent: false,
        }));
    }
    // Directory out. A `files:` list is its manifest, whether or not the cache holds the
    // `.dir` (dvc's `Output.get_obj`).
    let listed = o.out.listed_tree();
    if listed.is_none() && !repo.odb.exists_verified(&md5, legacy) {
        return Ok(None);
    }
    let read = match listed {
        Some(t) => Ok(Ok(t)),
        None => repo.odb.read(&md5, legacy).map(|b| Tree::parse(&b)),
    };
    let tree = match read {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            return Err(Error::Io(IoError {
                op: "parse manifest",
                path: repo.odb.path(&md5, legacy),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
            }));
        }
        Err(e) => return Err(e.into()),
    };
    // Refuse the whole out before anything is written when an entry would go into
    // `.git`, `.dvc` or `.hg` (a hostile manifest; dvc never writes such entries).
    if let Some(err) = tree
        .entries
        .iter()
        .find_map(|e| crate::data::pathsafe::check_relpath(&e.relpath).err())
    {
        return Err(Error::Io(IoError {
            op: "check manifest",
            path: repo.odb.path(&md5, legacy),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, err.to_string()),
        }));
    }
    // Entry objects are not stat'ed up front (20k stats on a big dir): a missing one
    // surfaces as `odb::Error::Missing` while applying and is reported as missing data.
    let Some(meta) = meta else {
        return Ok(Some(Plan::Dir {
            writes: (0..tree.entries.len()).collect(),
            added: tree.entries.len(),
            o: o.clone(),
            tree,
            deletes: Vec::new(),
            replace_file: false,
            change: Change::Added,
            keep_exec: HashSet::new(),
        }));
    };
    if !meta.is_dir() {
        if !is_saved(repo, &o.abs, legacy, None) {
            unsaved.push(o.abs.clone());
        }
        return Ok(Some(Plan::Dir {
            writes: (0..tree.entries.len()).collect(),
            added: tree.entries.len(),
            o: o.clone(),
            tree,
            deletes: Vec::new(),
            replace_file: true,
            change: Change::Modified,
            keep_exec: HashSet::new(),
        }));
    }
    let files = without_own_temps(&o.abs, walk::list_dir(&repo.root, &o.abs)?);
    // `files` is sorted by relpath: the state's records come aligned with it, and a
    // manifest entry finds its file by binary search (no maps of a million paths).
    let known = known_for(repo, legacy, &o.rel, &files);
    let find = |rel: &str| files.binary_search_by(|f| f.rel.as_str().cmp(rel)).ok();
    // Which manifest entries need writing, and is what they replace saved?
    // A plain copy is never re-copied by `--relink` (dvc: "already a copy").
    let relink = opts.relink && repo.odb.effective_link_type() != odb::LinkType::Copy;
    let exec_seen = std::sync::atomic::AtomicBool::new(false);
    // Only the entries to write come back (index, saved, exec): after a change of ten
    // files that is ten, not one record per file.
    let checks: Vec<(usize, bool, bool)> = tree
        .entries
        .par_iter()
        .enumerate()
        .filter_map(|(i, e)| match find(&e.relpath) {
            None => Some((i, true, false)),
            Some(j) => {
                let f = &files[j];
                let exec = f.stat.is_exec();
                if relink {
                    return Some((i, true, exec));
                }
                let known = entry_of(f, known[j]);
                match walk::hash_one(&f.abs(&o.abs), &f.stat, legacy, known.as_ref(), None) {
                    Ok(h) if e.md5 == h.md5 && !f.symlink => {
                        if exec {
                            exec_seen.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        None
                    }
                    Ok(h) => Some((i, repo.odb.exists_verified(&h.md5, legacy), false)),
                    Err(_) => Some((i, false, false)),
                }
            }
        })
        .collect();
    let mut writes = Vec::with_capacity(checks.len());
    let mut keep_exec = HashSet::new();
    for (i, saved, exec) in checks {
        writes.push(i);
        if exec {
            // Relinking keeps the exec bit the file had (dvc does).
            keep_exec.insert(i);
        }
        if !saved {
            unsaved.push(o.abs.join(&tree.entries[i].relpath));
        }
    }
    let extras: Vec<usize> = (0..files.len())
        .filter(|&j| tree.get(&files[j].rel).is_none())
        .collect();
    let extra_unsaved: Vec<PathBuf> = extras
        .par_iter()
        .map(|&j| (files[j].abs(&o.abs), entry_of(&files[j], known[j])))
        .filter(|(abs, k)| !is_saved(repo, abs, legacy, k.as_ref()))
        .map(|(abs, _)| abs)
        .collect();
    unsaved.extend(extra_unsaved);
    let deletes: Vec<PathBuf> = extras.iter().map(|&j| files[j].abs(&o.abs)).collect();
    if writes.is_empty() && deletes.is_empty() {
        // dvc 3.67.1 reports `M dir/` when a file inside has an exec bit the manifest cannot
        // record, and then leaves it as it is (observed); so do we.
        if exec_seen.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(Some(Plan::Touch { o: o.clone() }));
        }
        return Ok(Some(Plan::Nothing));
    }
    let added = writes
        .iter()
        .filter(|&&i| find(&tree.entries[i].relpath).is_none())
        .count();
    Ok(Some(Plan::Dir {
        o: o.clone(),
        tree,
        writes,
        added,
        deletes,
        replace_file: false,
        change: Change::Modified,
        keep_exec,
    }))
}

impl Plan {
    /// The files this plan changes, as dvc counts them.
    fn stats(&self) -> Stats {
        match self {
            Plan::Nothing | Plan::Touch { .. } => Stats::default(),
            Plan::File { change, silent, .. } => match (change, silent) {
                (_, true) => Stats::default(),
                (Change::Added, _) => Stats {
                    added: 1,
                    ..Stats::default()
                },
                (Change::Modified, _) => Stats {
                    modified: 1,
                    ..Stats::default()
                },
                (Change::Deleted, _) => Stats {
                    deleted: 1,
                    ..Stats::default()
                },
            },
            Plan::Dir {
                writes,
                added,
                deletes,
                ..
            } => Stats {
                modified: writes.len() - added,
                added: *added,
                deleted: deletes.len(),
            },
        }
    }

    fn rel(&self) -> Option<&str> {
        match self {
            Plan::Nothing => None,
            Plan::File { o, .. } | Plan::Dir { o, .. } | Plan::Touch { o } => Some(&o.rel),
        }
    }
}

fn apply(repo: &Repo, plan: Plan) -> Result<Option<(String, bool, Change)>, Error> {
    match plan {
        Plan::Nothing => Ok(None),
        Plan::Touch { o } => Ok(Some((o.rel, true, Change::Modified))),
        Plan::File {
            o,
            md5,
            exec,
            change,
            silent,
        } => {
            let legacy = o.out.is_legacy();
            crate::data::pathsafe::join_checked(&repo.root, &o.rel).map_err(|e| {
                Error::Io(IoError {
                    op: "check path",
                    path: o.abs.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()),
                })
            })?;
            repo.odb.link(&md5, legacy, &o.abs, exec)?;
            record_file(repo.state.as_ref(), legacy, &o.rel, &o.abs, &md5);
            if silent {
                return Ok(None);
            }
            Ok(Some((o.rel, false, change)))
        }
        Plan::Dir {
            o,
            tree,
            writes,
            added: _,
            deletes,
            replace_file,
            change,
            keep_exec,
        } => {
            let legacy = o.out.is_legacy();
            if replace_file {
                std::fs::remove_file(&o.abs).map_err(|source| {
                    Error::Io(IoError {
                        op: "remove",
                        path: o.abs.clone(),
                        source,
                    })
                })?;
            }
            for d in &deletes {
                let _ = std::fs::remove_file(d);
            }
            remove_empty_parents(&o.abs, &deletes);
            std::fs::create_dir_all(&o.abs).map_err(|source| {
                Error::Io(IoError {
                    op: "create directory",
                    path: o.abs.clone(),
                    source,
                })
            })?;
            // Each directory is checked for symlinks once, not once per file in it.
            crate::data::pathsafe::check_parents(
                &o.abs,
                writes.iter().map(|&i| tree.entries[i].relpath.as_str()),
            )
            .map_err(|err| {
                Error::Io(IoError {
                    op: "check path",
                    path: o.abs.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidInput, err.to_string()),
                })
            })?;
            let progress = crate::data::progress::phase("Checking out", writes.len() as u64, 0);
            let results: Vec<Result<(usize, Entry), Error>> = writes
                .par_iter()
                .map(|&i| {
                    let e = &tree.entries[i];
                    progress.advance(1, 0);
                    let dest =
                        crate::data::pathsafe::join_lexical(&o.abs, &e.relpath).map_err(|err| {
                            Error::Io(IoError {
                                op: "check path",
                                path: o.abs.join(&e.relpath),
                                source: std::io::Error::new(
                                    std::io::ErrorKind::InvalidInput,
                                    err.to_string(),
                                ),
                            })
                        })?;
                    // A directory in the way is handled by the slow link path.
                    let (_, meta) =
                        repo.odb
                            .link_meta(&e.md5.hex(), legacy, &dest, keep_exec.contains(&i))?;
                    let meta = match meta {
                        Some(m) => m,
                        None => std::fs::metadata(&dest).map_err(|source| {
                            Error::Io(IoError {
                                op: "stat",
                                path: dest.clone(),
                                source,
                            })
                        })?,
                    };
                    let entry = Entry::new(&meta, &e.md5.hex()).ok_or_else(|| {
                        Error::Io(IoError {
                            op: "record",
                            path: dest.clone(),
                            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "bad md5"),
                        })
                    })?;
                    Ok((i, entry))
                })
                .collect();
            let mut entries = Vec::with_capacity(results.len());
            let mut first_err = None;
            for r in results {
                match r {
                    Ok(e) => entries.push(e),
                    Err(e) => {
                        if matches!(e, Error::Odb(odb::Error::Missing(_))) || first_err.is_none() {
                            first_err = Some(e);
                        }
                    }
                }
            }
            if let Some(state) = repo.state.as_ref() {
                let _ = state.put_many_under(
                    legacy,
                    &format!("{}/", o.rel),
                    entries
                        .iter()
                        .map(|&(i, st)| (tree.entries[i].relpath.as_str(), st)),
                );
            }
            if let Some(e) = first_err {
                return Err(e);
            }
            Ok(Some((o.rel, true, change)))
        }
    }
}

fn record_file(state: Option<&State>, legacy: bool, rel: &str, abs: &std::path::Path, md5: &str) {
    if let (Some(state), Ok(meta)) = (state, std::fs::metadata(abs))
        && let Some(e) = Entry::new(&meta, md5)
    {
        let _ = state.put_many(legacy, [(rel, e)]);
    }
}

fn remove_empty_parents(top: &std::path::Path, deleted: &[PathBuf]) {
    let mut dirs: Vec<PathBuf> = deleted
        .iter()
        .filter_map(|p| p.parent().map(PathBuf::from))
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for mut d in dirs {
        while d.starts_with(top) && d != top {
            if std::fs::remove_dir(&d).is_err() {
                break;
            }
            if !d.pop() {
                break;
            }
        }
    }
}

/// Delete an out that no longer exists in the pointers, if its content is saved in the
/// cache (used when git removes a `.dvc`). Returns false when it was kept.
pub fn remove_out_if_saved(repo: &Repo, o: &ResolvedOut) -> Result<bool, Error> {
    let legacy = o.out.is_legacy();
    let Ok(meta) = std::fs::symlink_metadata(&o.abs) else {
        return Ok(true);
    };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| {
            Error::Io(IoError {
                op: "remove",
                path,
                source,
            })
        }
    };
    if !meta.is_dir() {
        let known = repo.state.as_ref().and_then(|s| s.get(legacy, &o.rel));
        if !is_saved(repo, &o.abs, legacy, known.as_ref()) {
            return Ok(false);
        }
        std::fs::remove_file(&o.abs).map_err(io(&o.abs))?;
        return Ok(true);
    }
    let files = without_own_temps(&o.abs, walk::list_dir(&repo.root, &o.abs)?);
    let known = known_for(repo, legacy, &o.rel, &files);
    if !files
        .par_iter()
        .zip(known.par_iter())
        .all(|(f, k)| is_saved(repo, &f.abs(&o.abs), legacy, entry_of(f, *k).as_ref()))
    {
        return Ok(false);
    }
    // Only the files just checked go; whatever the listing skipped (`.dvcignore`d files,
    // nested repositories, special files) stays, with the directories that hold it.
    for f in &files {
        let abs = f.abs(&o.abs);
        std::fs::remove_file(&abs).map_err(io(&abs))?;
    }
    remove_empty_dirs(&o.abs);
    Ok(true)
}

/// Remove `dir` and the directories below it that are (or become) empty; anything else
/// stays. Errors only mean something stayed.
fn remove_empty_dirs(dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_dirs(&e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(dir);
}

/// Used by the empty-file fast path in tests.
pub fn is_empty_oid(md5: &str) -> bool {
    md5 == hash::EMPTY_MD5
}

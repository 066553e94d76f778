//! `add` and `commit`: hash outs, put their data in the cache, and record the result in
//! the `.dvc` / `dvc.lock` file (fresh or rewritten losslessly, spec §1.4, §10.3, §10.4).

use crate::data::dvcfile::{self, Out, OutUpdate};
use crate::data::io::IoError;
use crate::data::odb;
use crate::data::pathsafe;
use crate::data::repo::{self, OutPathError, Repo, RepoError, ResolvedOut, Stage, StageKind};
use crate::data::state::Entry;
use crate::data::status::{self, Current};
use crate::data::tree::{Md5Digest, Tree, TreeEntry};
use crate::data::walk;
use std::path::{Path, PathBuf};

/// Errors of add/commit.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Hashing/listing.
    #[error(transparent)]
    Status(#[from] status::Error),
    /// Walking.
    #[error(transparent)]
    Walk(#[from] walk::Error),
    /// Cache.
    #[error(transparent)]
    Odb(#[from] odb::Error),
    /// Repo/stage loading.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// A `.dvc` could not be rewritten.
    #[error("failed to update '{file}': {reason}")]
    Rewrite {
        /// File.
        file: String,
        /// Why.
        reason: String,
    },
    /// The target does not exist.
    #[error("output '{rel}' does not exist: [Errno 2] No such file or directory: '{abs}'")]
    Missing {
        /// As given.
        rel: String,
        /// Absolute.
        abs: String,
    },
    /// Target contains other outs.
    #[error(
        "Cannot add '{target}', because it is overlapping with other DVC tracked output: '{other}'.\nTo include '{other}' in '{target}', run 'git dvc remove {other_file}' and then 'git dvc add {target}'"
    )]
    Overlap {
        /// Target.
        target: String,
        /// The overlapping out.
        other: String,
        /// Its stage file.
        other_file: String,
    },
    /// Target is a pipeline out.
    #[error(
        "cannot update '{target}': overlaps with an output of stage: '{stage}' in 'dvc.yaml'.\nRun the pipeline or use 'git dvc commit' to force update it."
    )]
    PipelineOut {
        /// Target.
        target: String,
        /// Stage name.
        stage: String,
    },
    /// Outside the repo.
    #[error(
        "Cached output(s) outside of DVC project: {0}. See <https://dvc.org/doc/user-guide/data-management/importing-external-data> for more info."
    )]
    Outside(String),
    /// dvc refuses the path as an out (a stage file, inside `.git` or `.dvc`, …).
    #[error(transparent)]
    InvalidOut(#[from] OutPathError),
    /// The target is below a symlinked directory, or is a symlink to one.
    #[error(
        "Cannot add files inside symlinked directories to DVC. See <https://dvc.org/doc/user-guide/troubleshooting#add-symlink> for more information."
    )]
    InSymlinkedDir(PathBuf),
    /// git tracks the out (the path relative to the root); the caller words it, with the
    /// path as the user gave it.
    #[error("output '{0}' is already tracked by SCM (e.g. Git)")]
    TrackedByScm(String),
    /// A `.gitignore` git does not track, which would have to list itself (git-dvc's
    /// rule; dvc 3.67.1 adds it, and caches the bytes with the new entry under the hash
    /// of the old ones).
    #[error("Git ignore file '{0}' cannot be an output.")]
    GitIgnoreOut(String),
    /// IO.
    #[error(transparent)]
    Io(#[from] IoError),
}

/// The hash state an out should get after committing its workspace data.
#[derive(Debug, Clone)]
pub struct Committed {
    /// The new fields.
    pub update: OutUpdate,
    /// Whether anything differs from what was recorded.
    pub changed: bool,
}

/// Hash the workspace version of `o`, cache it (unless `no_commit`), relink per
/// `cache.type`, record state, and return the new out fields.
pub fn commit_out(repo: &Repo, o: &ResolvedOut, no_commit: bool) -> Result<Committed, Error> {
    commit_impl(repo, o, no_commit, false, true)
}

/// [`commit_out`]; with `relink` false (dvc's `--no-relink`) the workspace is left as it
/// is: no link to the cache, no mode change.
pub fn commit_out_with(
    repo: &Repo,
    o: &ResolvedOut,
    no_commit: bool,
    relink: bool,
) -> Result<Committed, Error> {
    commit_impl(repo, o, no_commit, false, relink)
}

/// `commit` without `--force` of an out whose workspace data is as recorded: dvc does
/// not save the stage then, so the out keeps what its file records (exec bit, `cloud:`)
/// and is relinked with it (unless `relink` is false); the data still goes into the cache.
pub fn commit_out_as_recorded(
    repo: &Repo,
    o: &ResolvedOut,
    relink: bool,
) -> Result<Committed, Error> {
    commit_impl(repo, o, false, true, relink)
}

fn commit_impl(
    repo: &Repo,
    o: &ResolvedOut,
    no_commit: bool,
    as_recorded: bool,
    relink: bool,
) -> Result<Committed, Error> {
    let cache = o.out.cache && !no_commit;
    // Legacy outs stay legacy while their data is unchanged (spec §1.5).
    let mut target = o.clone();
    let mut cur = None;
    if o.out.is_legacy() && o.out.md5.is_some() {
        let c = status::current(repo, o, false)?;
        if let Some(c) = c {
            if Some(c.md5.as_str()) == o.out.md5.as_deref() {
                cur = Some(c);
            } else if let (Some(dh), true) = (&c.dir, cache) {
                // dvc's `changed_checksum` builds the legacy tree into the legacy cache
                // before the out moves to md5: its `.dir` stays there.
                repo.odb.put_tree(&c.md5, true, &dh.tree)?;
            }
        }
        if cur.is_none() {
            target.out.hash = Some("md5".into());
        } else if cache {
            cur = status::current(repo, o, true)?;
        }
    } else if o.out.is_legacy() {
        target.out.hash = Some("md5".into());
    }
    let cur = match cur {
        Some(c) => c,
        None => status::current(repo, &target, cache)?.ok_or_else(|| Error::Missing {
            rel: o.rel.clone(),
            abs: o.abs.display().to_string(),
        })?,
    };
    let legacy = target.out.is_legacy();
    let same_hash = legacy == o.out.is_legacy() && o.out.md5.as_deref() == Some(cur.md5.as_str());
    // dvc's `merge_version_meta`: an unchanged file out with a recorded `version_id`
    // keeps its recorded meta (size, exec bit, `cloud:`), and is checked out with it.
    let keep_meta = same_hash && (as_recorded || (o.out.versioned && cur.dir.is_none()));
    let isexec = if keep_meta {
        o.out.isexec
    } else {
        cur.dir.is_none() && cur.isexec
    };
    // The state of what was hashed; a relink below records the linked files over it.
    status::record(repo, &target, &cur);
    if cache {
        finish_cache(repo, &target, &cur, legacy, isexec, relink)?;
    }
    let update = if keep_meta {
        OutUpdate::from_out(&o.out)
    } else {
        OutUpdate {
            md5: Some(cur.md5.clone()),
            size: Some(cur.size),
            nfiles: cur.nfiles,
            isexec,
            hash: target.out.hash.clone(),
            files: match (&cur.dir, o.out.is_listed()) {
                (Some(dh), true) => Some(listed_files(&o.out, &target.out, &o.abs, dh)),
                _ => None,
            },
            drop_cloud: true,
        }
    };
    let fields = OutUpdate {
        drop_cloud: false,
        ..update.clone()
    };
    let changed =
        fields != OutUpdate::from_out(&o.out) || (update.drop_cloud && o.out.has_cloud_meta());
    Ok(Committed { update, changed })
}

/// The new `files:` list of a cloud-versioned directory out (dvc's `update_meta`): an
/// entry whose path and hash are as recorded keeps its recorded meta; the others are
/// written as hashed, with their size and exec bit.
fn listed_files(
    old: &Out,
    target: &Out,
    abs: &Path,
    dh: &walk::DirHash,
) -> Vec<dvcfile::FileUpdate> {
    // dvc compares hash names too: an out that moves from md5-dos2unix to md5 keeps none.
    let same_name = old.is_legacy() == target.is_legacy();
    let recorded: std::collections::HashMap<&str, &dvcfile::FileEntry> = old
        .files
        .iter()
        .flatten()
        .map(|f| (f.relpath.as_str(), f))
        .collect();
    dh.tree
        .entries
        .iter()
        .map(|e| match recorded.get(e.relpath.as_str()) {
            Some(f) if same_name && f.md5.as_deref() == Some(e.md5.hex().as_str()) => {
                dvcfile::FileUpdate {
                    relpath: e.relpath.clone(),
                    md5: e.md5.to_hex(),
                    size: f.size,
                    isexec: f.isexec,
                    keep: true,
                    cloud: f.cloud.clone(),
                }
            }
            _ => dvcfile::FileUpdate {
                relpath: e.relpath.clone(),
                md5: e.md5.to_hex(),
                size: fs_err::metadata(abs.join(&e.relpath)).ok().map(|m| m.len()),
                isexec: dh.exec.contains(&e.relpath),
                keep: false,
                cloud: None,
            },
        })
        .collect()
}

/// Store the `.dir` manifest and relink the workspace per `cache.type`.
fn finish_cache(
    repo: &Repo,
    o: &ResolvedOut,
    cur: &Current,
    legacy: bool,
    isexec: bool,
    relink: bool,
) -> Result<(), Error> {
    if let Some(dh) = &cur.dir {
        repo.odb.put_tree(&cur.md5, legacy, &dh.tree)?;
        // Every entry was just hashed into the cache.
        status::mark_complete(repo, &cur.md5, legacy);
        if !relink {
            return Ok(());
        }
        let lt = repo.odb.effective_link_type();
        let relink_all = matches!(lt, odb::LinkType::Hardlink | odb::LinkType::Symlink);
        use rayon::prelude::*;
        let symlinks: std::collections::HashSet<&PathBuf> = dh.symlinks.iter().collect();
        // Each relinked file is recorded as it is now (a hardlink's inode is the cache
        // file's; a symlink is followed, as the walk does), so the next status need not
        // hash it again.
        let results: Vec<Result<Option<(&str, Entry)>, odb::Error>> = dh
            .tree
            .entries
            .par_iter()
            .filter_map(|e| {
                let path = o.abs.join(&e.relpath);
                if relink_all || symlinks.contains(&path) {
                    Some(
                        repo.odb
                            .link(&e.md5.hex(), legacy, &path, dh.exec.contains(&e.relpath))
                            .map(|_| {
                                fs_err::metadata(&path)
                                    .ok()
                                    .map(|m| {
                                        Entry::from_stat(
                                            &crate::data::state::Stat::from(&m),
                                            e.md5.0,
                                        )
                                    })
                                    .map(|st| (e.relpath.as_str(), st))
                            }),
                    )
                } else {
                    None
                }
            })
            .collect();
        let mut linked = Vec::with_capacity(results.len());
        for r in results {
            linked.extend(r?);
        }
        if let Some(state) = repo.state.as_ref() {
            let _ = state.put_many_under(legacy, &format!("{}/", o.rel), linked);
        }
    } else if relink {
        let was_symlink =
            fs_err::symlink_metadata(&o.abs).is_ok_and(|m| m.file_type().is_symlink());
        if was_symlink {
            repo.odb.link(&cur.md5, legacy, &o.abs, isexec)?;
        } else {
            repo.odb
                .relink_after_add(&cur.md5, legacy, &o.abs, isexec, true)?;
        }
        if let (Some(state), Ok(m)) = (repo.state.as_ref(), fs_err::metadata(&o.abs))
            && let Some(st) = Entry::new(&m, &cur.md5)
        {
            let _ = state.put_many(legacy, [(o.rel.as_str(), st)]);
        }
    }
    Ok(())
}

/// Write updates into a stage's file (lossless rewrite, with LF line ends as dvc's dump
/// gives even when `updates` is empty). Returns whether the file's bytes changed.
pub fn write_updates(
    repo: &Repo,
    stage: &Stage,
    updates: &[(usize, OutUpdate)],
) -> Result<bool, Error> {
    write_stage(repo, stage, &[], updates)
}

/// [`write_updates`] with updates of a pipeline stage's deps too (indices into the lock
/// entry's `deps`; ignored for a `.dvc` file).
pub fn write_stage(
    repo: &Repo,
    stage: &Stage,
    dep_updates: &[(usize, OutUpdate)],
    updates: &[(usize, OutUpdate)],
) -> Result<bool, Error> {
    let abs = repo.root.join(&stage.file);
    #[expect(
        clippy::disallowed_methods,
        reason = "the error variant names the operation and path itself"
    )]
    let text = std::fs::read_to_string(&abs).map_err(|source| {
        Error::Io(IoError {
            op: "read",
            path: abs.clone(),
            source,
        })
    })?;
    let new = match &stage.kind {
        // dvc's dump also recomputes an import stage's md5 from what it writes.
        StageKind::DvcFile => dvcfile::rewrite(&text, updates)
            .and_then(|t| dvcfile::add_dep_hashes(&t))
            .and_then(|t| dvcfile::refresh_stage_md5(&t)),
        StageKind::Lock { name } => {
            dvcfile::rewrite_lock_entries(&text, name, dep_updates, updates)
        }
    }
    .map_err(|e| Error::Rewrite {
        file: stage.file.clone(),
        reason: e.to_string(),
    })?;
    if new == text {
        return Ok(false);
    }
    crate::data::atomic::write(&abs, new).map_err(|source| {
        Error::Io(IoError {
            op: "write",
            path: abs,
            source,
        })
    })?;
    Ok(true)
}

/// What `add` asks git (the caller runs it; `data` does not).
pub trait GitIndex {
    /// Whether git tracks `rel` (relative to the root), or anything below it.
    fn tracks(&self, rel: &str) -> bool;
}

/// What `add` did for one target.
#[derive(Debug, Clone)]
pub struct AddOutcome {
    /// The `.dvc` file written, relative to the root.
    pub dvcfile: String,
    /// The out's path relative to the root.
    pub out_rel: String,
    /// When a new `.gitignore` entry is due: (directory of the `.gitignore`, out name).
    pub ignore: Option<(PathBuf, String)>,
}

/// dvc's checks of an `add` target (absolute, normalized), made for every target before
/// anything is written (`resolve_paths`, then `Output._validate_output_path` for a new
/// out): outside the repo, inside a symlinked directory, then, unless the target is an
/// existing out, a stage file or a path dvc ignores (`.git`, `.dvc/`, …). Returns the
/// target's path relative to the root.
///
/// `git` is `None` without git or with `core.no_scm` (nothing is written to `.gitignore`
/// files then).
///
/// Stricter than dvc in two cases: a path inside a tracked directory (a granular update)
/// must not go into `.git`, `.dvc` or `.hg` either, because the manifest would then name
/// it and checkout refuses such manifests (dvc adds it); and an untracked `.gitignore`
/// is refused, because its own entry would change it (git-tracked ones get dvc's error
/// from [`add`]).
pub fn check_add_target(
    repo: &Repo,
    abs: &Path,
    stages: &[Stage],
    git: Option<&dyn GitIndex>,
) -> Result<String, Error> {
    let rel = repo
        .rel(abs)
        .ok_or_else(|| Error::Outside(abs.display().to_string()))?;
    if rel.is_empty() {
        return Err(Error::Outside(abs.display().to_string()));
    }
    let is_symlink = |p: &Path| fs_err::symlink_metadata(p).is_ok_and(|m| m.is_symlink());
    let through_symlink = abs
        .ancestors()
        .skip(1)
        .take_while(|p| *p != repo.root)
        .any(is_symlink);
    if through_symlink || (is_symlink(abs) && abs.is_dir()) {
        return Err(Error::InSymlinkedDir(abs.to_path_buf()));
    }
    let outs = || stages.iter().flat_map(|st| &st.outs);
    if outs().any(|o| o.rel == rel) {
        return Ok(rel);
    }
    if let Some(o) = outs().find(|o| rel.starts_with(&format!("{}/", o.rel))) {
        let sub = &rel[o.rel.len() + 1..];
        if let Some(pattern) = crate::data::ignore::fixed_exclusion(sub, || abs.is_dir()) {
            return Err(Error::InvalidOut(OutPathError::Ignored {
                path: abs.display().to_string(),
                by: pattern.to_string(),
            }));
        }
        return Ok(rel);
    }
    let name = rel.rsplit('/').next().unwrap_or(&rel);
    repo::validate_out_path(&repo.root, &rel, name, abs)?;
    if let Some(tracked) = git
        && name == ".gitignore"
        && fs_err::symlink_metadata(abs).is_ok()
        && !tracked.tracks(&rel)
    {
        return Err(Error::GitIgnoreOut(rel));
    }
    Ok(rel)
}

/// `add` one target (absolute, normalized path) given all current stages. `git` is as
/// for [`check_add_target`]; dvc asks whether git tracks the out once the target is known
/// to exist and not to overlap other outs, before caching.
pub fn add(
    repo: &Repo,
    abs: &Path,
    stages: &[Stage],
    no_commit: bool,
    relink: bool,
    git: Option<&dyn GitIndex>,
) -> Result<AddOutcome, Error> {
    let rel = check_add_target(repo, abs, stages, git)?;
    let tracked_by_scm = |rel: &str| git.is_some_and(|g| g.tracks(rel));
    pathsafe::check_relpath(&rel).map_err(|e| Error::Rewrite {
        file: rel.clone(),
        reason: e.to_string(),
    })?;
    // Already an out (re-add), or inside a tracked directory (granular update)?
    for st in stages {
        for o in &st.outs {
            if o.rel == rel || rel.starts_with(&format!("{}/", o.rel)) {
                if let StageKind::Lock { name } = &st.kind {
                    return Err(Error::PipelineOut {
                        target: rel.clone(),
                        stage: name.clone(),
                    });
                }
                if tracked_by_scm(&o.rel) {
                    return Err(Error::TrackedByScm(o.rel.clone()));
                }
                if o.rel == rel {
                    let c = commit_out_with(repo, o, no_commit, relink)?;
                    write_updates(repo, st, &[(o.index, c.update)])?;
                } else {
                    granular(repo, st, o, &rel, no_commit)?;
                }
                return Ok(AddOutcome {
                    dvcfile: st.file.clone(),
                    out_rel: o.rel.clone(),
                    ignore: None,
                });
            }
            if o.rel.starts_with(&format!("{rel}/")) {
                return Err(Error::Overlap {
                    target: rel.clone(),
                    other: o.rel.clone(),
                    other_file: st.file.clone(),
                });
            }
        }
    }
    if fs_err::symlink_metadata(abs).is_err() {
        return Err(Error::Missing {
            rel: rel.clone(),
            abs: abs.display().to_string(),
        });
    }
    if tracked_by_scm(&rel) {
        return Err(Error::TrackedByScm(rel));
    }
    let (parent_rel, name) = match rel.rsplit_once('/') {
        Some((p, n)) => (p.to_string(), n.to_string()),
        None => (String::new(), rel.clone()),
    };
    let dvcfile_rel = crate::data::repo::join_rel(&parent_rel, &format!("{name}.dvc"));
    let fresh = Out {
        path: name.clone(),
        hash: Some("md5".into()),
        cache: true,
        push: true,
        ..Out::default()
    };
    let o = ResolvedOut {
        out: fresh.clone(),
        index: 0,
        abs: abs.to_path_buf(),
        rel: rel.clone(),
    };
    let c = commit_out_with(repo, &o, no_commit, relink)?;
    let mut out = fresh;
    out.md5 = c.update.md5;
    out.size = c.update.size;
    out.nfiles = c.update.nfiles;
    out.isexec = c.update.isexec;
    let text = dvcfile::render_new(&[out]);
    let dvc_abs = repo.root.join(&dvcfile_rel);
    crate::data::atomic::write(&dvc_abs, text).map_err(|source| {
        Error::Io(IoError {
            op: "write",
            path: dvc_abs,
            source,
        })
    })?;
    let parent_abs = abs.parent().unwrap_or(&repo.root).to_path_buf();
    Ok(AddOutcome {
        dvcfile: dvcfile_rel,
        out_rel: rel,
        ignore: Some((parent_abs, name)),
    })
}

/// `add dir/file` where `dir` is tracked: replace that part of the manifest only.
fn granular(
    repo: &Repo,
    st: &Stage,
    o: &ResolvedOut,
    rel: &str,
    no_commit: bool,
) -> Result<(), Error> {
    let legacy = o.out.is_legacy();
    let sub = &rel[o.rel.len() + 1..];
    let mut entries: Vec<TreeEntry> = match o.out.md5.as_deref() {
        Some(m) if m.ends_with(".dir") => match repo.odb.read(m, legacy) {
            Ok(bytes) => Tree::parse(&bytes).map(|t| t.entries).unwrap_or_default(),
            Err(_) => Vec::new(),
        },
        _ => Vec::new(),
    };
    entries.retain(|e| e.relpath != sub && !e.relpath.starts_with(&format!("{sub}/")));
    let abs = o.abs.join(sub);
    let odb = if no_commit { None } else { Some(&repo.odb) };
    let meta = fs_err::metadata(&abs).map_err(|_| Error::Missing {
        rel: rel.to_string(),
        abs: abs.display().to_string(),
    })?;
    if meta.is_dir() {
        let dh = walk::hash_dir(&repo.root, &abs, rel, legacy, repo.state.as_ref(), odb)?;
        walk::record_dir_state(repo.state.as_ref(), legacy, rel, &dh.new_state);
        for e in dh.tree.entries {
            entries.push(TreeEntry {
                relpath: format!("{sub}/{}", e.relpath),
                md5: e.md5,
            });
        }
    } else {
        let h = walk::hash_one(&abs, &meta, legacy, None, odb)?;
        entries.push(TreeEntry {
            relpath: sub.to_string(),
            md5: Md5Digest::from_computed(&h.md5),
        });
    }
    let tree = Tree::new(entries);
    let oid = tree.oid();
    if !no_commit {
        repo.odb.put_tree(&oid, legacy, &tree)?;
    }
    let size = tree
        .entries
        .iter()
        .map(|e| {
            fs_err::metadata(o.abs.join(&e.relpath))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum();
    let update = OutUpdate {
        md5: Some(oid),
        size: Some(size),
        nfiles: Some(tree.entries.len() as u64),
        isexec: false,
        hash: o.out.hash.clone(),
        ..OutUpdate::default()
    };
    write_updates(repo, st, &[(o.index, update)]).map(|_| ())
}

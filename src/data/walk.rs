//! Listing and hashing workspace outs.
//!
//! A directory out is listed in parallel (one rayon task per subdirectory), honouring
//! `.dvcignore` and DVC's exclusions; then each file is hashed, or its hash is taken from
//! the state DB when (inode, mtime, size) still match. With an `Odb`, hashing also puts
//! each file into the cache in the same read (`add`/`commit`).
#![expect(
    clippy::disallowed_methods,
    reason = "hot path: std::fs without a path copy per call; every io::Error is mapped into an error that names its path"
)]

use crate::data::hash;
use crate::data::ignore::{self, DvcIgnore};
use crate::data::io::IoError;
use crate::data::odb::{self, Odb};
use crate::data::state::{AsStat, Entry, Stat, State};
use crate::data::tree::{Tree, TreeEntry};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Errors while listing or hashing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// IO.
    #[error(transparent)]
    Io(#[from] IoError),
    /// `.dvcignore` inside a tracked directory (DVC refuses the same).
    #[error(".dvcignore file should not be in collected dir path: '{0}'")]
    NestedDvcIgnore(PathBuf),
    /// Broken symlink.
    #[error("[Errno 2] No such file or directory: '{0}'")]
    BrokenSymlink(PathBuf),
    /// A file name that is not UTF-8.
    #[error("file name is not valid UTF-8: '{0}'")]
    NonUtf8(PathBuf),
    /// Ignore-file problem.
    #[error(transparent)]
    Ignore(#[from] ignore::Error),
    /// Cache problem.
    #[error(transparent)]
    Odb(#[from] odb::Error),
}

/// One file of a directory out. Kept small (a relpath and a 32-byte stat), because a walk
/// holds one per file: at a million files the walk's list is the largest thing a no-op
/// status keeps.
#[derive(Debug, Clone)]
pub struct DirFile {
    /// Path relative to the out, `/`-separated.
    pub rel: String,
    /// What the state DB compares, and the mode (of the target, for followed symlinks).
    pub stat: Stat,
    /// The entry is a symlink to a file.
    pub symlink: bool,
}

impl DirFile {
    /// The file's path, under the directory `dir` that was listed.
    pub fn abs(&self, dir: &Path) -> PathBuf {
        dir.join(&self.rel)
    }
}

/// List the files of a directory out.
pub fn list_dir(root: &Path, dir: &Path) -> Result<Vec<DirFile>, Error> {
    let parent = dir.parent().unwrap_or(root);
    let ig = DvcIgnore::for_dir(root, parent)?;
    let files = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    rayon::scope(|s| list_into(s, dir, String::new(), &ig, &files, &errors));
    if let Some(e) = errors.into_inner().unwrap_or_default().into_iter().next() {
        return Err(e);
    }
    let mut files = files.into_inner().unwrap_or_default();
    files.sort_unstable_by(|a: &DirFile, b: &DirFile| a.rel.cmp(&b.rel));
    Ok(files)
}

fn list_into<'s>(
    s: &rayon::Scope<'s>,
    dir: &Path,
    prefix: String,
    ig: &'s DvcIgnore,
    files: &'s Mutex<Vec<DirFile>>,
    errors: &'s Mutex<Vec<Error>>,
) {
    let push_err = |e: Error| {
        if let Ok(mut v) = errors.lock() {
            v.push(e);
        }
    };
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(source) => {
            return push_err(Error::Io(IoError {
                op: "read directory",
                path: dir.to_path_buf(),
                source,
            }));
        }
    };
    let mut local = Vec::new();
    for entry in rd {
        let entry = match entry {
            Ok(e) => e,
            Err(source) => {
                return push_err(Error::Io(IoError {
                    op: "read directory",
                    path: dir.to_path_buf(),
                    source,
                }));
            }
        };
        let name = entry.file_name();
        let path = entry.path();
        let Some(name) = name.to_str() else {
            push_err(Error::NonUtf8(path));
            continue;
        };
        if name == ignore::DVCIGNORE {
            push_err(Error::NestedDvcIgnore(dir.to_path_buf()));
            continue;
        }
        // dvc's `.git` pattern is not directory-only: a submodule's or linked worktree's
        // `.git` file is left out too.
        if name == ".git" {
            continue;
        }
        let Ok(ft) = entry.file_type() else { continue };
        let rel = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        };
        if ft.is_dir() {
            if ignore::is_always_excluded(name) || (!ig.is_empty() && ig.is_ignored(&path, true)) {
                continue;
            }
            if path.join(".dvc").is_dir() {
                continue; // subrepo
            }
            s.spawn(move |s| list_into(s, &path, rel, ig, files, errors));
            continue;
        }
        if !ig.is_empty() && ig.is_ignored(&path, false) {
            continue;
        }
        if ft.is_symlink() {
            match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => continue, // DVC skips symlinks to directories
                Ok(m) => local.push(DirFile {
                    rel,
                    stat: Stat::from(&m),
                    symlink: true,
                }),
                Err(_) => push_err(Error::BrokenSymlink(path)),
            }
            continue;
        }
        if ft.is_file() {
            match entry.metadata() {
                Ok(meta) => local.push(DirFile {
                    rel,
                    stat: Stat::from(&meta),
                    symlink: false,
                }),
                Err(source) => push_err(Error::Io(IoError {
                    op: "stat",
                    path,
                    source,
                })),
            }
        }
    }
    if !local.is_empty()
        && let Ok(mut v) = files.lock()
    {
        v.extend(local);
    }
}

/// A hashed file.
#[derive(Debug, Clone)]
pub struct Hashed {
    /// md5 hex.
    pub md5: String,
    /// size.
    pub size: u64,
    /// State entry to record (None when unchanged in the state already).
    pub new_state: Option<Entry>,
}

/// Hash one file, using `known` state when it still matches; with `odb`, also make sure the
/// content is cached (in the same read).
pub fn hash_one<S: AsStat + ?Sized>(
    abs: &Path,
    meta: &S,
    legacy: bool,
    known: Option<&Entry>,
    odb: Option<&Odb>,
) -> Result<Hashed, Error> {
    if let Some(e) = known.filter(|e| e.matches(meta)) {
        let md5 = e.md5_hex();
        if let Some(odb) = odb
            && !odb.exists_verified(&md5, legacy)
        {
            odb.insert_copy(abs, &md5, legacy)?;
        }
        return Ok(Hashed {
            md5,
            size: meta.as_stat().size,
            new_state: None,
        });
    }
    let (md5, size, after) = match odb {
        Some(odb) => {
            let a = odb.add_file(abs, legacy)?;
            (a.md5, a.size, a.meta)
        }
        None => {
            let (m, s) = hash::hash_file(abs, legacy).map_err(|source| {
                Error::Io(IoError {
                    op: "read",
                    path: abs.to_path_buf(),
                    source,
                })
            })?;
            (m, s, None)
        }
    };
    // Record only a stat taken after reading, so a file changed meanwhile is not trusted.
    let after = after.or_else(|| std::fs::metadata(abs).ok());
    let new_state = after
        .filter(|m| m.len() == size)
        .and_then(|m| Entry::new(&m, &md5));
    Ok(Hashed {
        md5,
        size,
        new_state,
    })
}

/// The result of hashing a directory out.
#[derive(Debug)]
pub struct DirHash {
    /// The manifest.
    pub tree: Tree,
    /// Total size.
    pub size: u64,
    /// State entries to record: (relpath within out, entry).
    pub new_state: Vec<(String, Entry)>,
    /// Files that were symlinks (DVC replaces them with regular files after add).
    pub symlinks: Vec<PathBuf>,
    /// Relpaths of files with an exec bit (not recorded in `.dir`, but dvc keeps it on links).
    pub exec: std::collections::HashSet<String>,
}

/// A directory out's files with their md5s, before a manifest is made of them.
struct HashedDir {
    /// Sorted by relpath.
    files: Vec<DirFile>,
    /// Raw md5s, indexed like `files`.
    md5s: Vec<[u8; 16]>,
    /// State entries to record.
    new_state: Vec<(String, Entry)>,
    size: u64,
}

/// Hash (and with `odb`, cache) every file of a directory out.
pub fn hash_dir(
    root: &Path,
    dir: &Path,
    out_rel: &str,
    legacy: bool,
    state: Option<&State>,
    odb: Option<&Odb>,
) -> Result<DirHash, Error> {
    let h = hash_files(root, dir, out_rel, legacy, state, odb)?;
    let mut symlinks = Vec::new();
    let mut exec = std::collections::HashSet::new();
    // Collected in place: each relpath moves into its entry and the entries reuse the
    // walk's allocation (a `TreeEntry` is smaller than a `DirFile`), so the walk's list
    // and the manifest are never both held.
    let entries: Vec<TreeEntry> = h
        .files
        .into_iter()
        .zip(h.md5s)
        .map(|(f, md5)| {
            if f.symlink {
                symlinks.push(f.abs(dir));
            }
            if f.stat.is_exec() {
                exec.insert(f.rel.clone());
            }
            TreeEntry {
                relpath: f.rel,
                md5: md5.into(),
            }
        })
        .collect();
    Ok(DirHash {
        tree: Tree::new(entries),
        size: h.size,
        new_state: h.new_state,
        symlinks,
        exec,
    })
}

/// What status needs of a directory out and no more: its manifest's oid (taken without
/// building the manifest), its file count and size, and the state entries to record.
pub struct DirOid {
    /// `<md5>.dir`.
    pub oid: String,
    /// Number of files.
    pub nfiles: u64,
    /// Total size.
    pub size: u64,
    /// State entries to record: (relpath within out, entry).
    pub new_state: Vec<(String, Entry)>,
    /// Some file was reached through a symlink (its target may lie anywhere).
    pub has_symlinks: bool,
}

/// [`hash_dir`] without a cache and without the manifest: 96 bytes a file fewer at the
/// peak, which at a million files is most of what a no-op status holds.
pub fn dir_oid(
    root: &Path,
    dir: &Path,
    out_rel: &str,
    legacy: bool,
    state: Option<&State>,
) -> Result<DirOid, Error> {
    let h = hash_files(root, dir, out_rel, legacy, state, None)?;
    let oid = crate::data::tree::oid_of_sorted(
        h.files
            .iter()
            .zip(&h.md5s)
            .map(|(f, m)| (f.rel.as_str(), *m)),
    );
    Ok(DirOid {
        oid,
        nfiles: h.files.len() as u64,
        size: h.size,
        new_state: h.new_state,
        has_symlinks: h.files.iter().any(|f| f.symlink),
    })
}

fn hash_files(
    root: &Path,
    dir: &Path,
    out_rel: &str,
    legacy: bool,
    state: Option<&State>,
    odb: Option<&Odb>,
) -> Result<HashedDir, Error> {
    let files = list_dir(root, dir)?;
    // `files` is sorted by relpath, as the state's keys are.
    let known: Vec<Option<[u8; 16]>> = match state {
        Some(s) => s.known_md5s(
            legacy,
            &format!("{out_rel}/"),
            &files,
            |f| &f.rel,
            |f| f.stat,
        ),
        None => vec![None; files.len()],
    };
    if tracing::enabled!(tracing::Level::DEBUG) {
        let hits = known.iter().filter(|k| k.is_some()).count();
        tracing::debug!(
            "state DB for '{out_rel}': {hits} of {} files known, {} to check or hash",
            files.len(),
            files.len() - hits
        );
    }
    let total: u64 = files.iter().map(|f| f.stat.size).sum();
    let label = if odb.is_some() { "Adding" } else { "Hashing" };
    let progress = crate::data::progress::phase(label, files.len() as u64, total);
    // Hash in parallel into 16 bytes a file, indexed like `files`; the few state entries
    // to record and the first error go aside. Then each relpath moves into its tree entry:
    // no relpath is copied, so the walk's memory is not held twice.
    let new_state = Mutex::new(Vec::new());
    let failed = Mutex::new(None);
    let size = std::sync::atomic::AtomicU64::new(0);
    let md5s: Vec<[u8; 16]> = files
        .par_iter()
        .zip(known.par_iter())
        .enumerate()
        .map(|(i, (f, known))| {
            let known = known.map(|md5| Entry::from_stat(&f.stat, md5));
            let mut raw = [0u8; 16];
            match hash_one(&f.abs(dir), &f.stat, legacy, known.as_ref(), odb) {
                Ok(h) => {
                    progress.advance(1, f.stat.size);
                    if let Some(st) = h.new_state
                        && let Ok(mut v) = new_state.lock()
                    {
                        v.push((i, st));
                    }
                    size.fetch_add(h.size, std::sync::atomic::Ordering::Relaxed);
                    // Our own hasher's lowercase hex: it always decodes.
                    let decoded = hex::decode_to_slice(&h.md5, &mut raw);
                    debug_assert!(decoded.is_ok(), "md5 {:?}", h.md5);
                }
                Err(err) => {
                    if let Ok(mut e) = failed.lock() {
                        e.get_or_insert(err);
                    }
                }
            }
            raw
        })
        .collect();
    drop(known);
    if let Some(err) = failed.into_inner().ok().flatten() {
        return Err(err);
    }
    let mut new_state = new_state.into_inner().unwrap_or_default();
    new_state.sort_unstable_by_key(|&(i, _)| i);
    let new_state: Vec<(String, Entry)> = new_state
        .into_iter()
        .map(|(i, st)| (files[i].rel.clone(), st))
        .collect();
    Ok(HashedDir {
        files,
        md5s,
        new_state,
        size: size.into_inner(),
    })
}

/// Record state entries of a directory out (`rel` relative to the out).
pub fn record_dir_state(
    state: Option<&State>,
    legacy: bool,
    out_rel: &str,
    entries: &[(String, Entry)],
) {
    if let Some(state) = state {
        if entries.is_empty() {
            return;
        }
        let _ = state.put_many_under(
            legacy,
            &format!("{out_rel}/"),
            entries.iter().map(|(r, e)| (r.as_str(), *e)),
        );
    }
}

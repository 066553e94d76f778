//! The local cache (object database): layout, inserts and links into the workspace.
//!
//! Layout (spec §4.1): 3.x objects at `<root>/files/md5/ab/cdef…[.dir]`, legacy 2.x
//! objects at `<root>/ab/cdef…`. Every object is mode 0444 once complete (spec §4.2).
//!
//! Invariant: an object whose mode is not exactly 0444 is unverified. Small objects are
//! therefore written straight to their final name and chmodded 0444 last: an interrupted
//! write leaves a non-0444 file that is re-hashed (and replaced) before it is trusted.
//! Large objects stream through a temp file in the destination directory and are
//! renamed into place.
#![expect(
    clippy::disallowed_methods,
    reason = "hot path: std::fs without a path copy per call; every io::Error is mapped into an error that names its path"
)]

use crate::data::durability;
use crate::data::hash;
use crate::data::io::IoError;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// How workspace files relate to cache objects (`cache.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkType {
    /// Copy-on-write clone (FICLONE); falls through when unsupported.
    Reflink,
    /// Hard link: the workspace file becomes the read-only cache inode.
    Hardlink,
    /// Absolute symlink to the cache object.
    Symlink,
    /// Plain copy.
    Copy,
}

impl LinkType {
    /// Parse one `cache.type` name, exactly as dvc compares them (no trimming: the config
    /// splits and trims a `reflink, copy` string itself, and a quoted `' copy'` list item is
    /// an unsupported type).
    pub fn parse(word: &str) -> Option<LinkType> {
        match word {
            "reflink" => Some(LinkType::Reflink),
            "hardlink" => Some(LinkType::Hardlink),
            "symlink" => Some(LinkType::Symlink),
            "copy" => Some(LinkType::Copy),
            _ => None,
        }
    }
    /// DVC's name for it.
    pub fn name(self) -> &'static str {
        match self {
            LinkType::Reflink => "reflink",
            LinkType::Hardlink => "hardlink",
            LinkType::Symlink => "symlink",
            LinkType::Copy => "copy",
        }
    }
}

/// DVC's default `cache.type`.
pub const DEFAULT_LINK_TYPES: [LinkType; 2] = [LinkType::Reflink, LinkType::Copy];

/// Errors of the object database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// IO on an object or workspace path.
    #[error(transparent)]
    Io(#[from] IoError),
    /// An object is not in the cache.
    #[error("object '{0}' is missing from the cache")]
    Missing(String),
    /// An object's content does not match its name.
    #[error("cache object '{path}' is corrupt: expected md5 {expected}, found {actual}")]
    Corrupt {
        /// Path of the object.
        path: PathBuf,
        /// The md5 its name promises.
        expected: String,
        /// The md5 of its content.
        actual: String,
    },
    /// No configured link type works here.
    #[error("no link type of '{0}' works for '{1}'")]
    NoLinkType(String, PathBuf),
}

impl Error {
    pub(crate) fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> Error + 'a {
        move |source| {
            Error::Io(IoError {
                op,
                path: path.to_path_buf(),
                source,
            })
        }
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The result of inserting a workspace file.
#[derive(Debug, Clone)]
pub struct Added {
    /// Content md5 (legacy md5-dos2unix when asked for).
    pub md5: String,
    /// Byte size.
    pub size: u64,
    /// Whether a new object was written.
    pub written: bool,
    /// The source file's metadata taken (by fstat) after reading it, for the state DB.
    pub meta: Option<fs::Metadata>,
}

/// The cache.
#[derive(Debug)]
pub struct Odb {
    root: PathBuf,
    types: Vec<LinkType>,
    reflink_works: OnceLock<bool>,
    shared_group: bool,
}

impl Odb {
    /// A cache rooted at `root` using `types` (in preference order).
    pub fn new(root: PathBuf, types: Vec<LinkType>) -> Odb {
        let types = if types.is_empty() {
            DEFAULT_LINK_TYPES.to_vec()
        } else {
            types
        };
        // Read the umask now, while this thread is the only one creating files (reading
        // it means setting it for a moment).
        umask();
        Odb {
            root,
            types,
            reflink_works: OnceLock::new(),
            shared_group: false,
        }
    }

    /// `cache.shared = group`: directories this cache creates (the root included) get
    /// mode 2775, as dvc makes them, so that every user of the group can add objects
    /// beside another user's. Objects stay 0444.
    pub fn with_shared_group(mut self, on: bool) -> Odb {
        self.shared_group = on;
        self
    }

    /// Create `dir` (a directory inside the cache) and its missing parents. With
    /// `cache.shared = group`, each one created at or below the cache root gets mode 2775
    /// before it appears under its name: it is made under a temp name, chmodded (mkdir's
    /// mode is cut by the umask) and renamed into place without replacing anything, so
    /// another user adding an object at the same moment never finds it 0755 (and is
    /// refused), nor has it replaced under them (a plain rename replaces an empty
    /// directory, and a file being created in the old one fails with ENOENT: seen in
    /// tests/git/concurrency.rs). Directories that already exist are left alone:
    /// another user's cannot be chmodded, and dvc failing on that is dvc#10057.
    pub fn make_dir(&self, dir: &Path) -> io::Result<()> {
        if !self.shared_group {
            return fs::create_dir_all(dir);
        }
        let mut missing = Vec::new();
        let mut at = Some(dir);
        while let Some(p) = at {
            if p.as_os_str().is_empty() || p.is_dir() {
                break;
            }
            missing.push(p);
            at = p.parent();
        }
        for p in missing.into_iter().rev() {
            let parent = p.parent().unwrap_or(Path::new("."));
            if !p.starts_with(&self.root) {
                match fs::create_dir(p) {
                    Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
                    _ => continue,
                }
            }
            let tmp = temp_name(parent);
            fs::create_dir(&tmp)?;
            let placed = fs::set_permissions(&tmp, fs::Permissions::from_mode(0o2775))
                .and_then(|()| rename_noreplace(&tmp, p));
            if let Err(e) = placed {
                let _ = fs::remove_dir(&tmp);
                if !p.is_dir() {
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn make_parent(&self, path: &Path) -> Result<()> {
        if let Some(p) = path.parent() {
            self.make_dir(p).map_err(Error::io("create directory", p))?;
        }
        Ok(())
    }

    /// The cache root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The configured link types.
    pub fn link_types(&self) -> &[LinkType] {
        &self.types
    }

    /// The key of an object relative to a cache or remote root.
    pub fn key(oid: &str, legacy: bool) -> String {
        let (head, tail) = oid.split_at(2.min(oid.len()));
        if legacy {
            format!("{head}/{tail}")
        } else {
            format!("files/md5/{head}/{tail}")
        }
    }

    /// Where an object lives.
    pub fn path(&self, oid: &str, legacy: bool) -> PathBuf {
        self.root.join(Self::key(oid, legacy))
    }

    /// The object exists (whatever its state).
    pub fn exists(&self, oid: &str, legacy: bool) -> bool {
        fs::symlink_metadata(self.path(oid, legacy)).is_ok_and(|m| m.is_file())
    }

    /// The object exists and is trusted (mode 0444), or it was re-hashed and is good.
    /// A corrupt object of another mode is deleted, as dvc does.
    pub fn exists_verified(&self, oid: &str, legacy: bool) -> bool {
        let path = self.path(oid, legacy);
        let Ok(meta) = fs::symlink_metadata(&path) else {
            return false;
        };
        if !meta.is_file() {
            return false;
        }
        if meta.mode() & 0o7777 == 0o444 {
            return true;
        }
        match self.check(oid, legacy) {
            Ok(()) => {
                let _ = fs::set_permissions(&path, fs::Permissions::from_mode(0o444));
                true
            }
            Err(Error::Corrupt { .. }) => {
                let _ = fs::remove_file(&path);
                false
            }
            Err(_) => false,
        }
    }

    /// [`Odb::exists_verified`] for many objects, in order and in parallel. A cache
    /// directory that does not exist is looked at once rather than once per object
    /// (an empty cache costs ~256 stats, not one per object).
    pub fn exists_verified_each<T: Sync, S: AsRef<str>>(
        &self,
        items: &[T],
        id: impl Fn(&T) -> (S, bool) + Sync,
    ) -> Vec<bool> {
        use rayon::prelude::*;
        // The directory an object's key lies in (`files/md5/ab` or `ab`) follows from
        // its layout and first two digits: few distinct values, each looked at once.
        // The two leading bytes and the layout, with no allocation per object.
        let bucket_of = |oid: &str, legacy: bool| {
            let b = oid.as_bytes();
            (legacy, [b.first().copied(), b.get(1).copied()])
        };
        let mut buckets = std::collections::HashSet::new();
        for t in items {
            let (oid, legacy) = id(t);
            buckets.insert(bucket_of(oid.as_ref(), legacy));
        }
        let present: std::collections::HashSet<(bool, [Option<u8>; 2])> = buckets
            .into_iter()
            .filter(|(legacy, head)| {
                let head: String = head.iter().flatten().map(|&b| char::from(b)).collect();
                let key = Self::key(&format!("{head}xx"), *legacy);
                let dir = key.rsplit_once('/').map_or("", |(d, _)| d);
                self.root.join(dir).is_dir()
            })
            .collect();
        items
            .par_iter()
            .map(|t| {
                let (oid, legacy) = id(t);
                let oid = oid.as_ref();
                present.contains(&bucket_of(oid, legacy)) && self.exists_verified(oid, legacy)
            })
            .collect()
    }

    /// Re-hash an object and compare with its name.
    pub fn check(&self, oid: &str, legacy: bool) -> Result<()> {
        let path = self.path(oid, legacy);
        let expected = oid.strip_suffix(".dir").unwrap_or(oid);
        // Objects are stored raw; legacy names are md5-dos2unix of the raw bytes.
        let (actual, _) =
            hash::hash_file(&path, legacy && !oid.ends_with(".dir")).map_err(|e| {
                if e.kind() == io::ErrorKind::NotFound {
                    Error::Missing(oid.to_string())
                } else {
                    Error::Io(IoError {
                        op: "read",
                        path: path.clone(),
                        source: e,
                    })
                }
            })?;
        if actual != expected {
            return Err(Error::Corrupt {
                path,
                expected: expected.to_string(),
                actual,
            });
        }
        Ok(())
    }

    /// Read a whole object (used for `.dir` manifests and `cat`).
    pub fn read(&self, oid: &str, legacy: bool) -> Result<Vec<u8>> {
        let path = self.path(oid, legacy);
        fs::read(&path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                Error::Missing(oid.to_string())
            } else {
                Error::Io(IoError {
                    op: "read",
                    path,
                    source: e,
                })
            }
        })
    }

    /// Store bytes whose md5 is `oid` (e.g. a `.dir` manifest).
    pub fn put_bytes(&self, oid: &str, legacy: bool, bytes: &[u8]) -> Result<bool> {
        let path = self.path(oid, legacy);
        if is_trusted(&path) {
            return Ok(false);
        }
        write_object(self, &path, bytes)?;
        Ok(true)
    }

    /// Store the `.dir` manifest `tree` under `oid` like [`Odb::put_bytes`], its JSON
    /// written in pieces: a million-entry manifest's 80 MB of bytes are never held.
    pub fn put_tree(
        &self,
        oid: &str,
        legacy: bool,
        tree: &crate::data::tree::Tree,
    ) -> Result<bool> {
        let path = self.path(oid, legacy);
        if is_trusted(&path) {
            return Ok(false);
        }
        write_object_with(self, &path, |f| tree.write_to(f))?;
        Ok(true)
    }

    /// Hash a workspace file and make sure its content is in the cache, reading it once.
    pub fn add_file(&self, src: &Path, legacy: bool) -> Result<Added> {
        let mut file = File::open(src).map_err(Error::io("open", src))?;
        let len = file.metadata().map_err(Error::io("stat", src))?.len();
        if len <= hash::SMALL_FILE && !legacy {
            // Exactly the size fstat gave: one read, no probe for the end.
            let mut buf = Vec::with_capacity(len as usize);
            Read::by_ref(&mut file)
                .take(len)
                .read_to_end(&mut buf)
                .map_err(Error::io("read", src))?;
            // A file that changed size meanwhile is not recorded in the state DB.
            let meta = file.metadata().ok().filter(|m| m.len() == buf.len() as u64);
            let md5 = hash::md5_bytes(&buf);
            let path = self.path(&md5, false);
            let existing = fs::symlink_metadata(&path).ok();
            let trusted = existing
                .as_ref()
                .is_some_and(|m| m.is_file() && m.mode() & 0o7777 == 0o444);
            if !trusted {
                write_object(self, &path, &buf)?;
            }
            return Ok(Added {
                md5,
                size: buf.len() as u64,
                written: !trusted,
                meta,
            });
        }
        if legacy {
            let (md5, size) = hash::md5_dos2unix_file(src).map_err(Error::io("read", src))?;
            let written = self.insert_copy(src, &md5, true)?;
            return Ok(Added {
                md5,
                size,
                written,
                meta: None,
            });
        }
        self.add_large(file, src)
    }

    /// A large file: hash it on this thread while another thread copies it into a temp
    /// file with the kernel's `copy_file_range` (no user-space buffers). Both read the
    /// same page cache, so the file is read from disk once and the wall time is about
    /// that of hashing alone. The copy is only accepted if the file's (inode, size,
    /// mtime) did not change while both ran.
    fn add_large(&self, mut file: File, src: &Path) -> Result<Added> {
        use std::os::unix::fs::MetadataExt as _;
        let tmp_dir = self.root.join("files").join("md5");
        self.make_dir(&tmp_dir)
            .map_err(Error::io("create directory", &tmp_dir))?;
        let before = file.metadata().map_err(Error::io("stat", src))?;
        let reflink = self.types.first() == Some(&LinkType::Reflink) && self.reflink_supported();
        if reflink {
            let (md5, size) = hash::md5_reader(&mut file).map_err(Error::io("read", src))?;
            let written = self.insert_copy(src, &md5, false)?;
            return Ok(Added {
                md5,
                size,
                written,
                meta: None,
            });
        }
        let tmp = tempfile::Builder::new()
            .prefix(".")
            .suffix(".tmp")
            .tempfile_in(&tmp_dir)
            .map_err(Error::io("create temp file in", &tmp_dir))?;
        let mut out = tmp.reopen().map_err(Error::io("open", tmp.path()))?;
        let mut copy_src = File::open(src).map_err(Error::io("open", src))?;
        let (hashed, copied) = std::thread::scope(|scope| {
            let copier = scope.spawn(move || io::copy(&mut copy_src, &mut out));
            let hashed = hash::md5_reader(&mut file);
            let copied = copier
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("copy thread panicked")));
            (hashed, copied)
        });
        let (md5, size) = hashed.map_err(Error::io("read", src))?;
        let copied = copied.map_err(Error::io("copy into cache", src))?;
        let after = fs::metadata(src).map_err(Error::io("stat", src))?;
        let stable = before.ino() == after.ino()
            && before.len() == after.len()
            && before.mtime() == after.mtime()
            && before.mtime_nsec() == after.mtime_nsec()
            && copied == size;
        if !stable {
            return Err(Error::Io(IoError {
                op: "read",
                path: src.to_path_buf(),
                source: io::Error::other("the file changed while it was being added; try again"),
            }));
        }
        let dest = self.path(&md5, false);
        if is_trusted(&dest) {
            return Ok(Added {
                md5,
                size,
                written: false,
                meta: Some(after),
            });
        }
        self.make_parent(&dest)?;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o444))
            .map_err(Error::io("chmod", tmp.path()))?;
        durability::object_file(tmp.as_file()).map_err(Error::io("fsync", tmp.path()))?;
        tmp.persist(&dest).map_err(|e| {
            Error::Io(IoError {
                op: "rename into",
                path: dest.clone(),
                source: e.error,
            })
        })?;
        sync_parent(&dest)?;
        Ok(Added {
            md5,
            size,
            written: true,
            meta: Some(after),
        })
    }

    /// Copy (or reflink / hardlink when configured first) `src` into the cache as `oid`.
    pub fn insert_copy(&self, src: &Path, oid: &str, legacy: bool) -> Result<bool> {
        let dest = self.path(oid, legacy);
        if is_trusted(&dest) {
            return Ok(false);
        }
        self.make_parent(&dest)?;
        let dir = dest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        let tmp = temp_name(&dir);
        let linked = match self.types.first() {
            Some(LinkType::Reflink) if self.reflink_supported() => {
                reflink_copy::reflink(src, &tmp).is_ok()
            }
            Some(LinkType::Hardlink) => fs::hard_link(src, &tmp).is_ok(),
            _ => false,
        };
        if !linked {
            fs::copy(src, &tmp).map_err(Error::io("copy into cache", src))?;
        }
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o444))
            .map_err(Error::io("chmod", &tmp))?;
        durability::object_path(&tmp).map_err(Error::io("fsync", &tmp))?;
        fs::rename(&tmp, &dest).map_err(Error::io("rename into", &dest))?;
        sync_parent(&dest)?;
        Ok(true)
    }

    /// Whether FICLONE works between the cache and the workspace filesystem (probed once).
    pub fn reflink_supported(&self) -> bool {
        *self.reflink_works.get_or_init(|| {
            // Probe in the cache root itself: creating `files/` here would change the
            // cache listing of a legacy-only cache.
            let probe_dir = self.root.clone();
            if !probe_dir.is_dir() {
                return false;
            }
            let a = probe_dir.join(format!(".reflink-probe-{}", std::process::id()));
            let b = probe_dir.join(format!(".reflink-probe-{}-b", std::process::id()));
            let ok = fs::write(&a, b"x").is_ok() && reflink_copy::reflink(&a, &b).is_ok();
            let _ = fs::remove_file(&a);
            let _ = fs::remove_file(&b);
            ok
        })
    }

    /// The link type that will be used for workspace files.
    pub fn effective_link_type(&self) -> LinkType {
        for t in &self.types {
            match t {
                LinkType::Reflink if !self.reflink_supported() => continue,
                other => return *other,
            }
        }
        LinkType::Copy
    }

    /// Materialize an object at `dest` (replacing whatever is there) with the first link
    /// type that works. `exec` ORs 0o100 into the mode (spec §3.3).
    pub fn link(&self, oid: &str, legacy: bool, dest: &Path, exec: bool) -> Result<LinkType> {
        self.link_meta(oid, legacy, dest, exec).map(|(t, _)| t)
    }

    /// [`Odb::link`], also returning the new file's metadata when it is known for free.
    /// Every link type goes to a temp name in `dest`'s directory first and is renamed into
    /// place, so an interrupted checkout leaves no partial file at `dest`.
    pub fn link_meta(
        &self,
        oid: &str,
        legacy: bool,
        dest: &Path,
        exec: bool,
    ) -> Result<(LinkType, Option<fs::Metadata>)> {
        if self.effective_link_type() == LinkType::Copy {
            let obj = self.path(oid, legacy);
            let mut from = match File::open(&obj) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(Error::Missing(oid.to_string()));
                }
                Err(e) => {
                    return Err(Error::Io(IoError {
                        op: "open",
                        path: obj,
                        source: e,
                    }));
                }
            };
            // The copy goes to a temp name beside `dest` and is renamed into place, as
            // dvc's copy does: a kill mid-copy leaves a temp file, never a partial file
            // at `dest` that the rerun would have to call unsaved (tests/git/crash.rs).
            let dir = dest.parent().map(Path::to_path_buf).unwrap_or_default();
            let tmp = temp_name(&dir);
            let create = || {
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o666)
                    .open(&tmp)
            };
            let created = match create() {
                Ok(f) => Some(f),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
                    Some(create().map_err(Error::io("create", dest))?)
                }
                Err(e) => {
                    return Err(Error::Io(IoError {
                        op: "create",
                        path: dest.to_path_buf(),
                        source: e,
                    }));
                }
            };
            let from_meta = created.as_ref().and_then(|_| from.metadata().ok());
            // An object that is not 0444 is unverified: it takes the slow path, which
            // checks it (a corrupt one is deleted, as dvc does, and reported) and then
            // copies what it checked. The file opened above may no longer be the one at
            // the object's name by the time a check ends.
            let trusted = from_meta
                .as_ref()
                .is_some_and(|m| m.mode() & 0o7777 == 0o444);
            if created.is_some() && !trusted {
                drop(created);
                let _ = fs::remove_file(&tmp);
                return self.link_slow(oid, legacy, dest, exec).map(|t| (t, None));
            }
            if let Some(mut to) = created {
                // Small objects (the common case): one read and one write, without
                // io::copy's probing of both files before copy_file_range.
                let len = from_meta.as_ref().map_or(u64::MAX, |m| m.len());
                let copied = if len <= hash::SMALL_FILE {
                    // Exactly the size fstat gave: one read, no probe for the end.
                    let mut buf = Vec::with_capacity(len as usize);
                    Read::by_ref(&mut from)
                        .take(len)
                        .read_to_end(&mut buf)
                        .and_then(|_| to.write_all(&buf))
                } else {
                    io::copy(&mut from, &mut to).map(|_| ())
                };
                let written = copied.and_then(|()| {
                    if exec {
                        let mode = to.metadata()?.mode();
                        to.set_permissions(fs::Permissions::from_mode((mode & 0o777) | 0o100))?;
                    }
                    let meta = to.metadata()?;
                    fs::rename(&tmp, dest)?;
                    Ok(meta)
                });
                return match written {
                    Ok(meta) => Ok((LinkType::Copy, Some(meta))),
                    Err(e) => {
                        let _ = fs::remove_file(&tmp);
                        Err(Error::Io(IoError {
                            op: "write",
                            path: dest.to_path_buf(),
                            source: e,
                        }))
                    }
                };
            }
        }
        self.link_slow(oid, legacy, dest, exec).map(|t| (t, None))
    }

    fn link_slow(&self, oid: &str, legacy: bool, dest: &Path, exec: bool) -> Result<LinkType> {
        let obj = self.path(oid, legacy);
        if !is_trusted(&obj) && obj.is_file() {
            if let Err(e) = self.check(oid, legacy) {
                if matches!(e, Error::Corrupt { .. }) {
                    let _ = fs::remove_file(&obj);
                }
                return Err(e);
            }
            let _ = fs::set_permissions(&obj, fs::Permissions::from_mode(0o444));
        }
        if !obj.is_file() {
            return Err(Error::Missing(oid.to_string()));
        }
        let dir = dest.parent().map(Path::to_path_buf).unwrap_or_default();
        fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
        let tmp = temp_name(&dir);
        let empty = oid == hash::EMPTY_MD5;
        let mut used = None;
        let mut last_error = None;
        for t in &self.types {
            let result = match t {
                LinkType::Reflink if !self.reflink_supported() => Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "reflinks are not supported between the cache and the workspace",
                )),
                LinkType::Reflink => reflink_copy::reflink(&obj, &tmp),
                LinkType::Hardlink if empty => Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "empty files are not hardlinked",
                )),
                LinkType::Hardlink => fs::hard_link(&obj, &tmp),
                LinkType::Symlink => {
                    let target = fs::canonicalize(&obj).unwrap_or(obj.clone());
                    std::os::unix::fs::symlink(target, &tmp)
                }
                LinkType::Copy => copy_fresh(&obj, &tmp),
            };
            match result {
                Ok(()) => {
                    used = Some(*t);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let Some(used) = used else {
            // An empty file is always copied (dvc links no empty file). Otherwise, when
            // none of the configured `cache.type`s works (hardlink alone with the cache on
            // another file system), the checkout fails as dvc's does: silently copying
            // would spend the space the user chose links to save.
            if !empty {
                let _ = fs::remove_file(&tmp);
                return Err(Error::Io(IoError {
                    op: "link from the cache (no configured cache.type works) to",
                    path: dest.to_path_buf(),
                    source: last_error.unwrap_or_else(|| io::Error::other("no cache.type")),
                }));
            }
            copy_fresh(&obj, &tmp).map_err(Error::io("copy", &tmp))?;
            return self.finish_link(&tmp, dest, exec, LinkType::Copy);
        };
        self.finish_link(&tmp, dest, exec, used)
    }

    fn finish_link(&self, tmp: &Path, dest: &Path, exec: bool, used: LinkType) -> Result<LinkType> {
        if matches!(used, LinkType::Copy | LinkType::Reflink) {
            set_workspace_mode(tmp, exec).map_err(Error::io("chmod", tmp))?;
        }
        if let Ok(meta) = fs::symlink_metadata(dest)
            && meta.is_dir()
        {
            fs::remove_dir_all(dest).map_err(Error::io("remove", dest))?;
        }
        fs::rename(tmp, dest).map_err(|e| {
            let _ = fs::remove_file(tmp);
            Error::Io(IoError {
                op: "rename into",
                path: dest.to_path_buf(),
                source: e,
            })
        })?;
        // rename(2) between two links of the same inode succeeds and leaves `tmp`.
        let _ = fs::remove_file(tmp);
        if matches!(used, LinkType::Hardlink | LinkType::Symlink) && exec {
            // dvc sets the exec bit on the shared inode (the object becomes 0544).
            let _ = fs::set_permissions(dest, fs::Permissions::from_mode(0o544));
        }
        Ok(used)
    }

    /// After `add`/`commit`, make the workspace file relate to the cache per `cache.type`:
    /// a copy stays in place (only its mode is set for single-file outs), a hardlink or
    /// symlink replaces it.
    pub fn relink_after_add(
        &self,
        oid: &str,
        legacy: bool,
        dest: &Path,
        exec: bool,
        set_mode: bool,
    ) -> Result<()> {
        match self.effective_link_type() {
            LinkType::Copy | LinkType::Reflink => {
                if set_mode {
                    set_workspace_mode(dest, exec).map_err(Error::io("chmod", dest))?;
                }
                Ok(())
            }
            LinkType::Hardlink => {
                if fs::symlink_metadata(dest)
                    .is_ok_and(|m| m.nlink() > 1 && m.mode() & 0o777 == 0o444)
                {
                    let obj = self.path(oid, legacy);
                    if fs::metadata(&obj)
                        .is_ok_and(|o| fs::metadata(dest).is_ok_and(|d| d.ino() == o.ino()))
                    {
                        return Ok(());
                    }
                }
                self.link_or_keep(oid, legacy, dest, exec)
            }
            LinkType::Symlink => self.link_or_keep(oid, legacy, dest, exec),
        }
    }

    /// After `add`, a workspace file that none of the configured link types can link (the
    /// cache on another file system with `cache.type = hardlink`) stays as it is, with
    /// dvc's warning, and the add succeeds, as dvc's does.
    fn link_or_keep(&self, oid: &str, legacy: bool, dest: &Path, exec: bool) -> Result<()> {
        match self.link(oid, legacy, dest, exec) {
            Err(Error::Io(IoError { op, .. })) if op.starts_with("link from the cache") => {
                tracing::warn!(
                    "Some targets could not be linked from cache to workspace. See <https://dvc.org/doc/user-guide/troubleshooting#cache-types> for more information. ('{}')",
                    dest.display()
                );
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }

    /// A fingerprint of the cache's object directories (their mtimes). Adding or
    /// removing any object changes it, so "all objects of X were present at fingerprint F"
    /// stays true while the fingerprint is unchanged.
    pub fn fingerprint(&self, legacy: bool) -> String {
        use std::os::unix::fs::MetadataExt as _;
        let base = if legacy {
            self.root.clone()
        } else {
            self.root.join("files").join("md5")
        };
        let mut h = hash::Hasher::new();
        let Ok(rd) = fs::read_dir(&base) else {
            return String::new();
        };
        let mut parts: Vec<(String, i64, i64)> = rd
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let m = e.metadata().ok()?;
                m.is_dir().then(|| (name, m.mtime(), m.mtime_nsec()))
            })
            .collect();
        parts.sort();
        for (n, s, ns) in parts {
            h.update(format!("{n}:{s}.{ns};").as_bytes());
        }
        if let Ok(m) = fs::metadata(&base) {
            h.update(format!("{}.{}", m.mtime(), m.mtime_nsec()).as_bytes());
        }
        h.finish().0
    }

    /// All object keys below `files/md5` and the legacy root: (oid, legacy).
    pub fn list(&self) -> Result<Vec<(String, bool)>> {
        let mut out = Vec::new();
        let modern = self.root.join("files").join("md5");
        collect_two_level(&modern, false, &mut out)?;
        collect_two_level(&self.root, true, &mut out)?;
        Ok(out)
    }
}

fn collect_two_level(root: &Path, legacy: bool, out: &mut Vec<(String, bool)>) -> Result<()> {
    let Ok(rd) = fs::read_dir(root) else {
        return Ok(());
    };
    for prefix in rd.flatten() {
        let name = prefix.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.len() != 2 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let Ok(inner) = fs::read_dir(prefix.path()) else {
            continue;
        };
        for obj in inner.flatten() {
            if let Some(rest) = obj.file_name().to_str() {
                if rest.starts_with('.') {
                    continue;
                }
                let oid = format!("{name}{rest}");
                if hash::is_valid_oid(&oid) {
                    out.push((oid, legacy));
                }
            }
        }
    }
    Ok(())
}

/// Mode is exactly 0444 and it is a regular file.
pub fn is_trusted(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.mode() & 0o7777 == 0o444)
}

/// With `gitdvc.fsync` taking objects: fsync the directory an object was renamed into.
fn sync_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) => durability::object_dir(dir).map_err(Error::io("fsync", dir)),
        None => Ok(()),
    }
}

/// Write a small object: into a temp name beside its final path, read-only, then renamed
/// into place. Another process sharing the cache (clones with one cache dir, dvc, a
/// pre-push that takes no lock) never sees a partial object at the final name.
/// Whatever is at the final name (a stale, unverified object: callers skip trusted ones)
/// is replaced by the rename.
fn write_object(odb: &Odb, path: &Path, bytes: &[u8]) -> Result<()> {
    write_object_with(odb, path, |f| f.write_all(bytes))
}

/// [`write_object`] with the bytes written by `fill` (which may write in pieces).
fn write_object_with(
    odb: &Odb,
    path: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = temp_name(dir);
    let create = || {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(&tmp)
    };
    let written = (|| {
        // The prefix directory is made on demand: no stat per object.
        let mut f = match create() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                odb.make_parent(path)?;
                create()
            }
            other => other,
        }
        .map_err(Error::io("create", &tmp))?;
        fill(&mut f).map_err(Error::io("write", &tmp))?;
        // Created 0444 less the umask: only a umask that takes read bits needs a chmod.
        if umask() & 0o444 != 0 {
            f.set_permissions(fs::Permissions::from_mode(0o444))
                .map_err(Error::io("chmod", &tmp))?;
        }
        durability::object_file(&f).map_err(Error::io("fsync", &tmp))?;
        drop(f);
        fs::rename(&tmp, path).map_err(Error::io("rename into", path))?;
        sync_parent(path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// `rename(from, to)` that fails with `AlreadyExists` rather than replace what is at `to`
/// (`renameat2(RENAME_NOREPLACE)`; where the file system lacks it, a check first, which
/// leaves a short window).
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    };
    let (f, t) = (c(from)?, c(to)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            f.as_ptr(),
            libc::AT_FDCWD,
            t.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EINVAL) {
        if fs::symlink_metadata(to).is_ok() {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        return fs::rename(from, to);
    }
    Err(e)
}

/// A temp name in `dir` in DVC's style: `.<22 url-safe chars>.tmp`.
pub fn temp_name(dir: &Path) -> PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let pid = *PID.get_or_init(std::process::id);
    let seed = format!("{pid}-{n}-{nanos}");
    let token = hash::md5_bytes(seed.as_bytes());
    dir.join(format!(".{}.tmp", &token[..22]))
}

/// Whether `name` is a temp name of [`temp_name`]'s form (`.<22 hex>.tmp`): what an
/// interrupted link, copy or download leaves behind.
pub fn is_temp_name(name: &str) -> bool {
    name.len() == 27
        && name.starts_with('.')
        && name.ends_with(".tmp")
        && name[1..23].bytes().all(|b| b.is_ascii_hexdigit())
}

/// Copy into a new file created with `0o666 & ~umask` (the kernel applies the umask).
fn copy_fresh(src: &Path, dest: &Path) -> io::Result<()> {
    let mut from = File::open(src)?;
    let mut to = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o666)
        .open(dest)?;
    io::copy(&mut from, &mut to)?;
    Ok(())
}

/// `0666 & ~umask`, plus 0o100 when executable (spec §3.3).
fn set_workspace_mode(path: &Path, exec: bool) -> io::Result<()> {
    let mode = 0o666 & !umask();
    let mode = if exec { mode | 0o100 } else { mode };
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

/// The process umask, read once.
pub fn umask() -> u32 {
    static UMASK: OnceLock<u32> = OnceLock::new();
    *UMASK.get_or_init(|| {
        // SAFETY: umask is always safe to call; we restore the value at once. It runs once,
        // before any worker thread creates files.
        let old = unsafe { libc::umask(0o022) };
        unsafe { libc::umask(old) };
        old as u32
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_then_link_copy() {
        let dir = tempfile::tempdir().unwrap();
        let odb = Odb::new(dir.path().join("cache"), vec![LinkType::Copy]);
        let src = dir.path().join("f");
        fs::write(&src, b"hello\n").unwrap();
        let added = odb.add_file(&src, false).unwrap();
        assert_eq!(added.md5, "b1946ac92492d2347c6235b4d2611184");
        assert!(added.written);
        let obj = odb.path(&added.md5, false);
        assert_eq!(fs::metadata(&obj).unwrap().mode() & 0o777, 0o444);
        assert!(obj.ends_with("files/md5/b1/946ac92492d2347c6235b4d2611184"));
        assert!(!odb.add_file(&src, false).unwrap().written);
        let dest = dir.path().join("out/g");
        odb.link(&added.md5, false, &dest, true).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"hello\n");
        assert_eq!(fs::metadata(&dest).unwrap().mode() & 0o100, 0o100);
    }

    #[test]
    fn corrupt_unprotected_object_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let odb = Odb::new(dir.path().join("cache"), vec![LinkType::Copy]);
        let oid = "b1946ac92492d2347c6235b4d2611184";
        let p = odb.path(oid, false);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, b"garbage").unwrap();
        assert!(!odb.exists_verified(oid, false));
        assert!(!p.exists(), "corrupt unverified object is deleted");
    }

    #[test]
    fn large_file_streams() {
        let dir = tempfile::tempdir().unwrap();
        let odb = Odb::new(dir.path().join("cache"), vec![LinkType::Copy]);
        let src = dir.path().join("big");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        fs::write(&src, &data).unwrap();
        let added = odb.add_file(&src, false).unwrap();
        assert_eq!(added.md5, hash::md5_bytes(&data));
        assert_eq!(fs::read(odb.path(&added.md5, false)).unwrap(), data);
    }
}

//! The state DB: workspace path -> (inode, mtime, size) -> md5, in LMDB through heed.
//!
//! Invariant: it is an optimisation only. An entry is used only when inode, mtime (ns)
//! and size all match the file on disk; anything unreadable is treated as absent; a DB
//! that cannot be opened degrades to full hashing (the caller warns).
//!
//! Keys are `m:<relpath>` (3.x md5) or `l:<relpath>` (legacy md5-dos2unix), relpath
//! being relative to the repo root with `/`. Values are fixed 44-byte records.
//! Reads load a whole prefix with one cursor scan (so parallel workers consult a
//! `HashMap` instead of sharing a transaction); writes are batched in one transaction.

use heed::types::Bytes;
use heed::{Database, Env, EnvFlags, EnvOpenOptions};
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// What the state DB compares of a file, and its mode: 32 bytes where a `Metadata` takes
/// about 170, so a walk of a million files holds only this much per file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Inode number.
    pub ino: u64,
    /// mtime seconds.
    pub mtime: i64,
    /// Size in bytes.
    pub size: u64,
    /// mtime nanoseconds.
    pub mtime_nsec: u32,
    /// `st_mode`.
    pub mode: u32,
}

impl Stat {
    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.size
    }
    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }
    /// Any exec bit is set.
    pub fn is_exec(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

impl From<&Metadata> for Stat {
    fn from(meta: &Metadata) -> Stat {
        Stat {
            ino: meta.ino(),
            mtime: meta.mtime(),
            size: meta.len(),
            mtime_nsec: meta.mtime_nsec() as u32,
            mode: meta.mode(),
        }
    }
}

/// Anything a [`Stat`] can be taken from (a `Metadata`, or a `Stat` itself).
pub trait AsStat {
    /// The compact stat.
    fn as_stat(&self) -> Stat;
}

impl AsStat for Stat {
    fn as_stat(&self) -> Stat {
        *self
    }
}

impl AsStat for Metadata {
    fn as_stat(&self) -> Stat {
        Stat::from(self)
    }
}

/// One state record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Inode number.
    pub ino: u64,
    /// mtime seconds.
    pub mtime: i64,
    /// mtime nanoseconds.
    pub mtime_nsec: u32,
    /// Size in bytes.
    pub size: u64,
    /// Raw md5.
    pub md5: [u8; 16],
}

impl Entry {
    /// Build from file metadata and a hex md5.
    pub fn new<S: AsStat + ?Sized>(meta: &S, md5_hex: &str) -> Option<Entry> {
        let mut md5 = [0u8; 16];
        hex::decode_to_slice(md5_hex, &mut md5).ok()?;
        let s = meta.as_stat();
        Some(Entry {
            ino: s.ino,
            mtime: s.mtime,
            mtime_nsec: s.mtime_nsec,
            size: s.size,
            md5,
        })
    }
    /// The entry still describes this file.
    pub fn matches<S: AsStat + ?Sized>(&self, meta: &S) -> bool {
        let s = meta.as_stat();
        self.ino == s.ino
            && self.mtime == s.mtime
            && self.mtime_nsec == s.mtime_nsec
            && self.size == s.size
    }
    /// The entry for a file whose stat is `stat` and whose md5 is known.
    pub fn from_stat(stat: &Stat, md5: [u8; 16]) -> Entry {
        Entry {
            ino: stat.ino,
            mtime: stat.mtime,
            mtime_nsec: stat.mtime_nsec,
            size: stat.size,
            md5,
        }
    }
    /// Hex md5.
    pub fn md5_hex(&self) -> String {
        hex::encode(self.md5)
    }
    fn encode(&self) -> [u8; 44] {
        let mut out = [0u8; 44];
        out[0..8].copy_from_slice(&self.ino.to_le_bytes());
        out[8..16].copy_from_slice(&self.mtime.to_le_bytes());
        out[16..20].copy_from_slice(&self.mtime_nsec.to_le_bytes());
        out[20..28].copy_from_slice(&self.size.to_le_bytes());
        out[28..44].copy_from_slice(&self.md5);
        out
    }
    fn decode(b: &[u8]) -> Option<Entry> {
        if b.len() != 44 {
            return None;
        }
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        let mut md5 = [0u8; 16];
        md5.copy_from_slice(&b[28..44]);
        Some(Entry {
            ino: u64_at(0),
            mtime: u64_at(8) as i64,
            mtime_nsec: u32::from_le_bytes(b[16..20].try_into().unwrap_or([0; 4])),
            size: u64_at(20),
            md5,
        })
    }
}

/// Errors opening or using the state DB.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// LMDB error.
    #[error("state DB: {0}")]
    Heed(#[from] heed::Error),
    /// IO error.
    #[error("state DB: {0}")]
    Io(#[from] std::io::Error),
}

/// The span of LMDB's memory map that a read transaction's scan has read, so that its
/// pages can be dropped from this process's resident set as the scan goes: a scan of a
/// million records touches the whole file (about 150 bytes a record), which the kernel
/// would otherwise count against the process until it exits. Dropping is only advice:
/// the pages stay in the page cache, and a later read faults them back in unchanged.
///
/// Only for values read in a read transaction: without `MDB_WRITEMAP` LMDB maps its file
/// read-only and shared, and such values point into that map (in a write transaction
/// they may point into LMDB's own heap pages, which must not be touched).
#[derive(Default)]
struct MappedSpan {
    low: usize,
    high: usize,
    noted: usize,
}

impl MappedSpan {
    /// Records between two releases.
    const EVERY: usize = 4096;

    fn note(&mut self, value: &[u8]) {
        let start = value.as_ptr() as usize;
        let end = start + value.len();
        if self.noted == 0 {
            (self.low, self.high) = (start, end);
        } else {
            self.low = self.low.min(start);
            self.high = self.high.max(end);
        }
        self.noted += 1;
        if self.noted >= Self::EVERY {
            self.release();
        }
    }

    /// Tell the kernel the pages noted so far are not needed (Linux only).
    fn release(&mut self) {
        if self.noted == 0 {
            return;
        }
        self.noted = 0;
        #[cfg(target_os = "linux")]
        {
            // SAFETY: sysconf only reads a constant of the running system.
            let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) })
                .ok()
                .filter(|p| p.is_power_of_two())
                .unwrap_or(4096);
            let low = self.low & !(page - 1);
            let high = self.high.div_ceil(page) * page;
            // SAFETY: `low..high` lies inside LMDB's read-only shared file mapping (it is
            // spanned by values read from it, page-aligned outward, and the map is one
            // contiguous mapping of whole pages). MADV_DONTNEED on a shared file mapping
            // only drops this process's page-table entries; every later access reads the
            // file's current bytes again, so no pointer into the map is invalidated.
            let r =
                unsafe { libc::madvise(low as *mut libc::c_void, high - low, libc::MADV_DONTNEED) };
            if r != 0 {
                tracing::debug!(
                    "state DB: madvise failed: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
    }
}

/// The state DB handle.
pub struct State {
    env: Env,
    db: Database<Bytes, Bytes>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("State")
    }
}

fn key(legacy: bool, rel: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(rel.len() + 2);
    k.extend_from_slice(if legacy { b"l:" } else { b"m:" });
    k.extend_from_slice(rel.as_bytes());
    k
}

impl State {
    /// Open (creating) the DB in `dir` (`.dvc/tmp/git-dvc/state`).
    pub fn open(dir: &Path) -> Result<State, Error> {
        fs_err::create_dir_all(dir)?;
        let mut opts = EnvOpenOptions::new();
        opts.map_size(4 << 30).max_dbs(4).max_readers(256);
        // SAFETY: NO_SYNC/NO_META_SYNC may lose the last transactions on a crash; the state
        // is an optimisation (a lost or damaged entry only causes a re-hash), and open errors
        // are handled by the caller. The file is not opened twice in this process.
        let env = unsafe {
            opts.flags(EnvFlags::NO_SYNC | EnvFlags::NO_META_SYNC);
            opts.open(dir)?
        };
        let mut wtxn = env.write_txn()?;
        let db: Database<Bytes, Bytes> = env.create_database(&mut wtxn, Some("hashes"))?;
        wtxn.commit()?;
        Ok(State { env, db })
    }

    /// Look up one path.
    pub fn get(&self, legacy: bool, rel: &str) -> Option<Entry> {
        let rtxn = self.env.read_txn().ok()?;
        let v = self.db.get(&rtxn, &key(legacy, rel)).ok()??;
        Entry::decode(v)
    }

    /// For each of `items` (sorted bytewise by `rel`, as a directory listing sorted by path
    /// is), the md5 the state records for `prefix` + its relpath when the record still
    /// matches its stat: one ordered scan of the prefix merged with the list, 17 bytes
    /// a file.
    pub fn known_md5s<T>(
        &self,
        legacy: bool,
        prefix: &str,
        items: &[T],
        rel: impl Fn(&T) -> &str,
        stat: impl Fn(&T) -> Stat,
    ) -> Vec<Option<[u8; 16]>> {
        let mut out = vec![None; items.len()];
        let Ok(rtxn) = self.env.read_txn() else {
            return out;
        };
        let k = key(legacy, prefix);
        let Ok(iter) = self.db.prefix_iter(&rtxn, &k) else {
            return out;
        };
        let mut i = 0;
        let mut seen = MappedSpan::default();
        for item in iter {
            let Ok((kk, v)) = item else { break };
            seen.note(v);
            let suffix = &kk[k.len()..];
            while i < items.len() && rel(&items[i]).as_bytes() < suffix {
                i += 1;
            }
            if i == items.len() {
                break;
            }
            if rel(&items[i]).as_bytes() == suffix {
                out[i] = Entry::decode(v)
                    .filter(|e| e.matches(&stat(&items[i])))
                    .map(|e| e.md5);
                i += 1;
            }
        }
        seen.release();
        out
    }

    /// Store many entries in one transaction.
    pub fn put_many<'a>(
        &self,
        legacy: bool,
        entries: impl IntoIterator<Item = (&'a str, Entry)>,
    ) -> Result<(), Error> {
        // LMDB keeps a transaction's dirty pages in memory until it commits: a commit every
        // few thousand entries bounds that (about 160 bytes an entry otherwise, 160 MB at a
        // million files). The state is an optimisation; a batch that does not make it in
        // only means those files are hashed again.
        const BATCH: usize = 8192;
        let mut wtxn = self.env.write_txn()?;
        let mut n = 0;
        let mut k = Vec::new();
        for (rel, e) in entries {
            k.clear();
            k.extend_from_slice(if legacy { b"l:" } else { b"m:" });
            k.extend_from_slice(rel.as_bytes());
            self.db.put(&mut wtxn, &k, &e.encode())?;
            n += 1;
            if n % BATCH == 0 {
                wtxn.commit()?;
                wtxn = self.env.write_txn()?;
            }
        }
        wtxn.commit()?;
        Ok(())
    }

    /// Store entries of the files `rels` below `prefix` (`data/`), without building their
    /// full keys first.
    pub fn put_many_under<'a>(
        &self,
        legacy: bool,
        prefix: &str,
        entries: impl IntoIterator<Item = (&'a str, Entry)>,
    ) -> Result<(), Error> {
        let mut full = String::with_capacity(prefix.len() + 64);
        let mut keyed = entries.into_iter().map(|(rel, e)| {
            full.clear();
            full.push_str(prefix);
            full.push_str(rel);
            (full.clone(), e)
        });
        // Batches of owned keys: the iterator above cannot lend `full` across items.
        loop {
            let batch: Vec<(String, Entry)> = keyed.by_ref().take(8192).collect();
            if batch.is_empty() {
                return Ok(());
            }
            self.put_many(legacy, batch.iter().map(|(k, e)| (k.as_str(), *e)))?;
        }
    }

    /// Drop entries (e.g. for removed outs).
    pub fn remove_many<'a>(
        &self,
        legacy: bool,
        rels: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), Error> {
        let mut wtxn = self.env.write_txn()?;
        for rel in rels {
            self.db.delete(&mut wtxn, &key(legacy, rel))?;
        }
        wtxn.commit()?;
        Ok(())
    }

    /// Read a small named value (e.g. a cache-completeness marker).
    pub fn get_raw(&self, name: &str) -> Option<Vec<u8>> {
        let rtxn = self.env.read_txn().ok()?;
        let v = self.db.get(&rtxn, &key_raw(name)).ok()??;
        Some(v.to_vec())
    }

    /// Store a small named value.
    pub fn put_raw(&self, name: &str, value: &[u8]) -> Result<(), Error> {
        let mut wtxn = self.env.write_txn()?;
        self.db.put(&mut wtxn, &key_raw(name), value)?;
        wtxn.commit()?;
        Ok(())
    }

    /// Remove a small named value.
    pub fn delete_raw(&self, name: &str) -> Result<(), Error> {
        let mut wtxn = self.env.write_txn()?;
        self.db.delete(&mut wtxn, &key_raw(name))?;
        wtxn.commit()?;
        Ok(())
    }

    /// Every small named value whose name starts with `prefix`: (name, value).
    pub fn raw_with_prefix(&self, prefix: &str) -> Vec<(String, Vec<u8>)> {
        let Ok(rtxn) = self.env.read_txn() else {
            return Vec::new();
        };
        let k = key_raw(prefix);
        let Ok(iter) = self.db.prefix_iter(&rtxn, &k) else {
            return Vec::new();
        };
        iter.filter_map(Result::ok)
            .map(|(key, v)| {
                let name = String::from_utf8_lossy(&key[2..]).into_owned();
                (name, v.to_vec())
            })
            .collect()
    }
}

fn key_raw(name: &str) -> Vec<u8> {
    let mut k = b"x:".to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state DB in a temp dir, a file `f` in it, and an entry for that file.
    fn fixture() -> (tempfile::TempDir, std::path::PathBuf, State, Entry) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        fs_err::write(&f, b"x").unwrap();
        let meta = fs_err::metadata(&f).unwrap();
        let st = State::open(&dir.path().join("state")).unwrap();
        let e = Entry::new(&meta, "9dd4e461268c8034f5c8564e155c67a6").unwrap();
        (dir, f, st, e)
    }

    /// Resident bytes of this process's mapping of the LMDB file in `dir` (`/proc/self/smaps`).
    #[cfg(target_os = "linux")]
    fn resident_map_bytes(dir: &Path) -> u64 {
        let file = dir.join("data.mdb");
        let smaps = fs_err::read_to_string("/proc/self/smaps").unwrap();
        let mut in_map = false;
        let mut total = 0;
        for line in smaps.lines() {
            if let Some(kb) = line.strip_prefix("Rss:") {
                if in_map {
                    let kb = kb.trim().trim_end_matches("kB").trim();
                    total += kb.parse::<u64>().unwrap() * 1024;
                }
            } else if line
                .split_whitespace()
                .nth(1)
                .is_some_and(|p| p.contains('-'))
            {
                // A mapping's header: `start-end perms offset dev inode path`.
                in_map = line.ends_with(file.to_str().unwrap());
            }
        }
        total
    }

    /// Issue 16: a scan of the whole state (what status, commit and checkout do for a
    /// directory out) must not leave the DB's pages counted against the process: at a
    /// million files that is about 150 MB.
    #[cfg(target_os = "linux")]
    #[test]
    fn issue_16_a_full_scan_leaves_little_of_the_map_resident() {
        let (dir, f, st, e) = fixture();
        let stat = Stat::from(&fs_err::metadata(&f).unwrap());
        let rels: Vec<String> = (0..100_000).map(|i| format!("f{i:06}")).collect();
        st.put_many_under(false, "data/", rels.iter().map(|r| (r.as_str(), e)))
            .unwrap();
        let known = st.known_md5s(false, "data/", &rels, |r| r, |_| stat);
        assert!(known.iter().all(|k| *k == Some(e.md5)));
        let db = dir.path().join("state");
        let file = fs_err::metadata(db.join("data.mdb")).unwrap().len();
        let resident = resident_map_bytes(&db);
        assert!(
            file > 3 << 20,
            "the DB is large enough to tell ({file} bytes)"
        );
        assert!(
            resident < file / 4,
            "{resident} bytes of the {file}-byte DB stay resident after the scan"
        );
    }

    #[test]
    fn roundtrip_and_known_md5s() {
        let (_dir, f, st, e) = fixture();
        st.put_many(false, [("data/f", e), ("data/g", e), ("other", e)])
            .unwrap();
        assert_eq!(st.get(false, "data/f"), Some(e));
        assert_eq!(st.get(true, "data/f"), None);
        let stat = Stat::from(&fs_err::metadata(&f).unwrap());
        let known = st.known_md5s(false, "data/", &["f", "g"], |r| r, |_| stat);
        assert_eq!(known, [Some(e.md5), Some(e.md5)]);
        fs_err::write(&f, b"xy").unwrap();
        let changed = Stat::from(&fs_err::metadata(&f).unwrap());
        let known = st.known_md5s(false, "data/", &["f"], |r| r, |_| changed);
        assert_eq!(
            known,
            [None],
            "a record whose stat no longer matches is not used"
        );
    }

    #[test]
    fn known_md5s_merges_with_the_prefix_scan() {
        let (_dir, f, st, e) = fixture();
        let stat = Stat::from(&fs_err::metadata(&f).unwrap());
        st.put_many(
            false,
            [("d/a", e), ("d/b/c", e), ("d/z", e), ("d!", e), ("e/a", e)],
        )
        .unwrap();
        let rels = ["0", "a", "b", "b/c", "y", "z", "zz"];
        let got = st.known_md5s(false, "d/", &rels, |r| r, |_| stat);
        let hits: Vec<bool> = got.iter().map(Option::is_some).collect();
        assert_eq!(hits, [false, true, false, true, false, true, false]);
        assert!(st.known_md5s(true, "d/", &["a"], |r| r, |_| stat)[0].is_none());
        assert!(
            st.known_md5s::<&str>(false, "d/", &[], |r| r, |_| stat)
                .is_empty()
        );
    }
}

//! Garbage collection of the cache (spec §10.7): which objects are used, which go, and
//! removing them in a safe order. Pure apart from reading `.dir` manifests from the odb and
//! deleting objects; the revision walk that finds the used outs lives elsewhere.
//!
//! "Used", as in dvc 3.67.1 (`dvc/repo/gc.py`, `dvc_data/hashfile/gc.py`): the hash of
//! every cached out at the chosen revisions, plus every entry of each used `.dir`. The
//! 3.x cache and the legacy cache are collected separately: an object is identified by
//! (oid, legacy), as dvc compares `HashInfo.name` before the value.
//!
//! Unused `.dir` objects are removed before files, so an interrupted gc never leaves a
//! manifest naming files that are gone (a `.dir` is taken to imply its files, spec §7.3).
//!
//! **A used `.dir` missing from the cache.** Its entries cannot be listed, so any file
//! object might be one of them. dvc (with `-f`) carries on and deletes them; git-dvc does
//! not: by default such a gc keeps *every* file object and removes only unused `.dir`
//! manifests, and reports the missing manifests so the user can fetch them and run again
//! ([`Expansion::missing_dirs`]). Passing `drop_unexpandable` restores dvc's behaviour.
//! A manifest that exists but does not parse is treated the same way.
//!
//! **A cloud-versioned out** (a `files:` list) names its entries itself: they are used
//! whether or not the cache holds the list's `.dir`, and that `.dir` is not reported
//! missing (dvc 3.67.1 drops the entries when the `.dir` is missing; the pointer still
//! names them, so git-dvc keeps them). The CLI adds them to the roots.

use crate::data::odb::Odb;
use crate::data::remote::{Remote, RemoteError};
use crate::data::transfer::TransferOptions;
use rayon::prelude::*;
use std::collections::HashSet;
use std::path::PathBuf;

/// An object key: (oid, legacy layout).
pub type ObjectKey = (String, bool);

/// Errors of gc.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Listing the cache failed.
    #[error(transparent)]
    Odb(#[from] crate::data::odb::Error),
    /// Removing an object failed.
    #[error("cannot remove '{path}': {source}")]
    Remove {
        /// The object path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// The used set after expanding `.dir` manifests.
#[derive(Debug, Default)]
pub struct Expansion {
    /// Every used object.
    pub used: HashSet<ObjectKey>,
    /// Used `.dir` objects that are missing or unreadable, so their files are unknown.
    pub missing_dirs: Vec<ObjectKey>,
}

/// Expand the `.dir` objects among `roots` into their entries, reading manifests from
/// `odb` in parallel (each distinct manifest once).
pub fn expand(odb: &Odb, roots: impl IntoIterator<Item = ObjectKey>) -> Expansion {
    let mut used: HashSet<ObjectKey> = roots.into_iter().collect();
    let dirs: Vec<&ObjectKey> = used.iter().filter(|(o, _)| o.ends_with(".dir")).collect();
    let results: Vec<(ObjectKey, Option<Vec<String>>)> = dirs
        .par_iter()
        .map(|(oid, legacy)| {
            let entries = odb
                .read(oid, *legacy)
                .ok()
                .and_then(|bytes| manifest_md5s(&bytes));
            ((oid.clone(), *legacy), entries)
        })
        .collect();
    let mut missing_dirs = Vec::new();
    for (key, entries) in results {
        match entries {
            Some(md5s) => {
                for m in md5s {
                    used.insert((m, key.1));
                }
            }
            None => missing_dirs.push(key),
        }
    }
    missing_dirs.sort();
    Expansion { used, missing_dirs }
}

/// One manifest entry, reduced to what gc needs. Borrowed, so an md5 (never escaped in
/// JSON) costs no allocation while parsing.
#[derive(serde::Deserialize)]
struct Md5Only<'a> {
    #[serde(borrow)]
    md5: std::borrow::Cow<'a, str>,
}

/// The md5 of every entry of a manifest, or None when it is not a JSON list of entries
/// with well-formed md5s. Relpaths are not validated here: gc only needs the hashes, and
/// counting the entries of an odd manifest as used errs on the safe side.
pub fn manifest_md5s(bytes: &[u8]) -> Option<Vec<String>> {
    let entries: Vec<Md5Only<'_>> = serde_json::from_slice(bytes).ok()?;
    entries
        .into_iter()
        .map(|e| {
            let m = e.md5.to_ascii_lowercase();
            (m.len() == 32 && m.bytes().all(|b| b.is_ascii_hexdigit())).then_some(m)
        })
        .collect()
}

/// What a gc removes, per odb (3.x first, then legacy), `.dir` objects first.
#[derive(Debug, Default, Clone)]
pub struct Plan {
    /// 3.x objects to remove (`.dir` first).
    pub repo: Vec<ObjectKey>,
    /// Legacy objects to remove (`.dir` first).
    pub legacy: Vec<ObjectKey>,
}

/// Decide what goes. With `keep_files`, only `.dir` objects may go (see the module doc).
pub fn plan(listing: Vec<ObjectKey>, used: &HashSet<ObjectKey>, keep_files: bool) -> Plan {
    let mut plan = Plan::default();
    let (mut dirs, mut files): (Vec<ObjectKey>, Vec<ObjectKey>) = listing
        .into_iter()
        .filter(|k| !used.contains(k))
        .partition(|(o, _)| o.ends_with(".dir"));
    if keep_files {
        files.clear();
    }
    dirs.sort();
    files.sort();
    for k in dirs.into_iter().chain(files) {
        if k.1 {
            plan.legacy.push(k);
        } else {
            plan.repo.push(k);
        }
    }
    plan
}

/// What a remote gc would remove: the same used set applied to the remote's listing,
/// both layouts, `.dir`s first within each (as remote keys).
pub fn plan_remote(
    remote: &Remote,
    used: &HashSet<ObjectKey>,
    keep_files: bool,
) -> Result<[Vec<String>; 2], RemoteError> {
    let jobs = TransferOptions::default_jobs(remote);
    let listing: Vec<ObjectKey> = remote
        .list_blocking(jobs)?
        .iter()
        .filter_map(|k| crate::data::remote::oid_of_key(k))
        .collect();
    let plan = plan(listing, used, keep_files);
    let keys = |group: &[ObjectKey]| group.iter().map(|(o, l)| Odb::key(o, *l)).collect();
    Ok([keys(&plan.repo), keys(&plan.legacy)])
}

/// Delete planned remote keys (one layout's group, `.dir`s first as [`plan_remote`]
/// orders them). Every manifest goes before any file: a `.dir` on a remote tells dvc its
/// files are there (spec §7.3), so a gc interrupted half way must never leave a `.dir`
/// whose files were deleted.
pub fn remove_remote(remote: &Remote, keys: &[String]) -> Result<(), RemoteError> {
    let jobs = TransferOptions::default_jobs(remote);
    let split = keys.partition_point(|k| k.ends_with(".dir"));
    remote.delete_blocking(&keys[..split], jobs)?;
    remote.delete_blocking(&keys[split..], jobs)
}

/// Remove the planned objects of one odb in order (`.dir`s first). Returns how many
/// were removed; objects already gone count as removed.
pub fn remove(odb: &Odb, keys: &[ObjectKey]) -> Result<usize, Error> {
    let split = keys.partition_point(|(o, _)| o.ends_with(".dir"));
    let (dirs, files) = keys.split_at(split);
    let mut n = 0;
    let progress = crate::data::progress::phase("Removing", keys.len() as u64, 0);
    for group in [dirs, files] {
        let results: Vec<Result<(), Error>> = group
            .par_iter()
            .map(|(oid, legacy)| {
                progress.advance(1, 0);
                let path = odb.path(oid, *legacy);
                match fs_err::remove_file(&path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(source) => Err(Error::Remove { path, source }),
                }
            })
            .collect();
        for r in results {
            r?;
            n += 1;
        }
    }
    Ok(n)
}

/// Per-out version retention (`--keep N`, `--older-than`): which versions of each out
/// to keep along history.
pub mod retention {
    use super::ObjectKey;
    use crate::data::history::HistOut;
    use std::collections::{HashMap, HashSet};

    /// One revision's cached outs, newest revisions first in the input slice.
    #[derive(Debug, Clone)]
    pub struct RevOuts {
        /// Committer time (seconds since the epoch).
        pub time: i64,
        /// HEAD or a branch tip: always kept.
        pub is_tip: bool,
        /// Its cached outs.
        pub outs: Vec<HistOut>,
    }

    /// Retention policy.
    #[derive(Debug, Clone, Default)]
    pub struct Policy {
        /// Keep the N newest versions of each out (by the newest commit that records them).
        pub keep: Option<usize>,
        /// Keep versions recorded by a commit at or after this time.
        pub newer_than: Option<i64>,
        /// Only outs at or below these paths are pruned; others keep every version seen.
        pub targets: Vec<String>,
    }

    fn targeted(targets: &[String], path: &str) -> bool {
        targets.is_empty()
            || targets.iter().any(|t| {
                t.is_empty()
                    || path == t
                    || path.starts_with(&format!("{t}/"))
                    || t.starts_with(&format!("{path}/"))
            })
    }

    /// The out versions (objects) to keep. `revisions` must be newest first; tips are
    /// always kept, and so is whatever the caller adds (the workspace).
    pub fn kept(revisions: &[RevOuts], policy: &Policy) -> HashSet<ObjectKey> {
        let mut keep: HashSet<ObjectKey> = HashSet::new();
        // Per out path: versions in order of first appearance (newest first).
        let mut versions: HashMap<&str, Vec<ObjectKey>> = HashMap::new();
        let mut seen: HashSet<(&str, ObjectKey)> = HashSet::new();
        for rev in revisions {
            let recent = policy.newer_than.is_some_and(|cut| rev.time >= cut);
            for o in &rev.outs {
                let key = o.object();
                if rev.is_tip || recent || !targeted(&policy.targets, &o.path) {
                    keep.insert(key.clone());
                }
                if seen.insert((o.path.as_str(), key.clone())) {
                    versions.entry(o.path.as_str()).or_default().push(key);
                }
            }
        }
        if let Some(n) = policy.keep {
            for list in versions.values() {
                keep.extend(list.iter().take(n).cloned());
            }
        }
        if policy.keep.is_none() && policy.newer_than.is_none() {
            // No policy: every version seen is kept.
            for list in versions.into_values() {
                keep.extend(list);
            }
        }
        keep
    }
}

#[cfg(test)]
mod tests {
    use super::retention::{Policy, RevOuts, kept};
    use super::*;
    use crate::data::history::HistOut;
    use crate::data::odb::LinkType;
    use crate::data::tree::Tree;

    fn out(path: &str, md5: &str) -> HistOut {
        HistOut {
            path: path.into(),
            md5: md5.into(),
            legacy: false,
            file: format!("{path}.dvc"),
            listed: Vec::new(),
        }
    }

    #[test]
    fn plan_orders_dirs_first_and_respects_keep_files() {
        let listing = vec![
            ("aa".repeat(16), false),
            (format!("{}.dir", "bb".repeat(16)), false),
            ("cc".repeat(16), true),
            ("dd".repeat(16), false),
        ];
        let used: HashSet<ObjectKey> = [("dd".repeat(16), false)].into_iter().collect();
        let p = plan(listing.clone(), &used, false);
        assert_eq!(
            p.repo,
            vec![
                (format!("{}.dir", "bb".repeat(16)), false),
                ("aa".repeat(16), false)
            ]
        );
        assert_eq!(p.legacy, vec![("cc".repeat(16), true)]);
        let p = plan(listing, &used, true);
        assert_eq!(p.repo, vec![(format!("{}.dir", "bb".repeat(16)), false)]);
        assert!(p.legacy.is_empty());
    }

    #[test]
    fn expand_reads_manifests_and_reports_missing() {
        let dir = tempfile::tempdir().unwrap();
        let odb = Odb::new(dir.path().join("cache"), vec![LinkType::Copy]);
        let tree = Tree::new(vec![crate::data::tree::TreeEntry {
            relpath: "a".into(),
            md5: "60b725f10c9c85c70d97880dfe8191b3".parse().expect("hex"),
        }]);
        odb.put_bytes(&tree.oid(), false, &tree.to_bytes()).unwrap();
        let missing = format!("{}.dir", "ab".repeat(16));
        let e = expand(&odb, [(tree.oid(), false), (missing.clone(), false)]);
        assert!(
            e.used
                .contains(&("60b725f10c9c85c70d97880dfe8191b3".to_string(), false))
        );
        assert_eq!(e.missing_dirs, vec![(missing, false)]);
    }

    #[test]
    fn retention_keeps_newest_versions_and_tips() {
        let v = |i: u8| format!("{i:02x}").repeat(16);
        let revs = vec![
            RevOuts {
                time: 50,
                is_tip: true,
                outs: vec![out("d", &v(5)), out("e", &v(15))],
            },
            RevOuts {
                time: 40,
                is_tip: false,
                outs: vec![out("d", &v(4)), out("e", &v(14))],
            },
            RevOuts {
                time: 30,
                is_tip: false,
                outs: vec![out("d", &v(3)), out("e", &v(13))],
            },
            RevOuts {
                time: 20,
                is_tip: true,
                outs: vec![out("d", &v(2))],
            },
            RevOuts {
                time: 10,
                is_tip: false,
                outs: vec![out("d", &v(1))],
            },
        ];
        let k = kept(
            &revs,
            &Policy {
                keep: Some(2),
                ..Policy::default()
            },
        );
        let has = |i: u8| k.contains(&(v(i), false));
        assert!(has(5) && has(4) && !has(3) && has(2) && !has(1));
        assert!(has(15) && has(14) && !has(13));

        let k = kept(
            &revs,
            &Policy {
                newer_than: Some(35),
                targets: vec!["d".into()],
                ..Policy::default()
            },
        );
        let has = |i: u8| k.contains(&(v(i), false));
        assert!(has(5) && has(4) && !has(3) && has(2) && !has(1));
        assert!(has(13), "untargeted outs keep every version");
    }
}

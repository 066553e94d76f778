//! `data status`: dvc 3.67.1's `repo.data_status`, over the snapshots of
//! [`crate::data::history::diff`]:
//!
//! - *uncommitted*: the recorded outs (the workspace's `.dvc` and `dvc.lock` files, with
//!   directory contents from the cached `.dir`) against the workspace as hashed now, plus
//!   the recorded entries whose objects are not in the cache;
//! - *committed*: HEAD's recorded outs against the workspace's recorded outs;
//! - *unchanged*: what is unchanged in both.
//!
//! Without `granular`, only out roots are compared (a directory is one entry, `d/`); with
//! it, the files inside directories too. Renames are detected (an addition and a
//! deletion with the same hash). The caller supplies HEAD's snapshot (git is not this
//! module's business) and renders; lists come back sorted.

use crate::data::history::diff::{self, Detailed, Entry, Snapshot};
use crate::data::repo::{Repo, Stage};
use crate::data::status;
use std::collections::BTreeSet;

/// The changes of one comparison, in dvc's categories.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Modified paths.
    pub modified: Vec<String>,
    /// Added paths.
    pub added: Vec<String>,
    /// Deleted paths.
    pub deleted: Vec<String>,
    /// Renames (old, new).
    pub renamed: Vec<(String, String)>,
    /// Files whose state cannot be known (their directory's manifest is missing).
    pub unknown: Vec<String>,
}

impl Changes {
    /// Nothing in any category.
    pub fn is_empty(&self) -> bool {
        self.modified.is_empty()
            && self.added.is_empty()
            && self.deleted.is_empty()
            && self.renamed.is_empty()
            && self.unknown.is_empty()
    }

    fn from(d: &Detailed) -> Changes {
        Changes {
            modified: d.result.modified.clone(),
            added: d.result.added.clone(),
            deleted: d.result.deleted.clone(),
            renamed: d.result.renamed.clone(),
            unknown: d.unknown.clone(),
        }
    }
}

/// The data part of `data status` (git's untracked files are the caller's).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Recorded entries whose objects are missing from the cache.
    pub not_in_cache: Vec<String>,
    /// HEAD against the recorded outs.
    pub committed: Changes,
    /// Recorded outs against the workspace.
    pub uncommitted: Changes,
    /// Unchanged in both comparisons.
    pub unchanged: Vec<String>,
}

/// Options.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Compare files inside directory outs too.
    pub granular: bool,
    /// Root-relative paths the report is limited to (an entry at or below one of them).
    pub filter: Vec<String>,
}

/// The recorded outs of `stages` (cached outs with a hash), directory contents read from
/// the cache where available.
pub fn recorded_snapshot(repo: &Repo, stages: &[Stage]) -> Snapshot {
    let outs = crate::data::history::from_stages(stages);
    Snapshot::from_outs(&outs, &repo.odb)
}

/// The workspace version of the cached outs of `stages`, hashed (through the state DB).
pub fn workspace_snapshot(repo: &Repo, stages: &[Stage]) -> Result<Snapshot, status::Error> {
    let mut snap = Snapshot::default();
    for st in stages {
        for o in st
            .outs
            .iter()
            .filter(|o| o.out.cache && o.out.md5.is_some())
        {
            let Some(cur) = status::current(repo, o, false)? else {
                continue;
            };
            status::record(repo, o, &cur);
            let legacy = o.out.is_legacy();
            snap.add_root(&o.rel, &cur.md5, legacy);
            if let Some(dh) = &cur.dir {
                snap.add_tree(&o.rel, &dh.tree, legacy);
            }
        }
    }
    Ok(snap)
}

fn keep(filter: &[String], shown: &str) -> bool {
    let path = shown.trim_end_matches('/');
    filter.is_empty()
        || filter
            .iter()
            .any(|f| f.is_empty() || path == f || path.starts_with(&format!("{f}/")))
}

fn filtered(mut c: Changes, filter: &[String]) -> Changes {
    c.modified.retain(|p| keep(filter, p));
    c.added.retain(|p| keep(filter, p));
    c.deleted.retain(|p| keep(filter, p));
    c.renamed.retain(|(_, n)| keep(filter, n));
    c.unknown.retain(|p| keep(filter, p));
    c
}

/// Compute the report from the three snapshots.
pub fn report(
    repo: &Repo,
    head: &Snapshot,
    recorded: &Snapshot,
    workspace: &Snapshot,
    options: &Options,
) -> Report {
    let filter = &options.filter;
    // A target inside a directory out is compared file by file even when not granular.
    let shallow = !options.granular
        && !filter.iter().any(|f| {
            recorded
                .roots
                .iter()
                .chain(&head.roots)
                .any(|r| f.starts_with(&format!("{r}/")))
        });
    let odb = &repo.odb;
    let in_cache = |e: &Entry| odb.exists(&e.md5, e.legacy);
    let uncommitted = diff::diff_detailed(recorded, workspace, None, shallow, true, &in_cache);
    let committed = diff::diff_detailed(head, recorded, None, shallow, false, &|_: &Entry| true);
    let both: BTreeSet<&String> = committed.unchanged.iter().collect();
    let unchanged = uncommitted
        .unchanged
        .iter()
        .filter(|p| both.contains(p) && keep(filter, p))
        .cloned()
        .collect();
    Report {
        not_in_cache: uncommitted
            .result
            .not_in_cache
            .iter()
            .filter(|p| keep(filter, p))
            .cloned()
            .collect(),
        committed: filtered(Changes::from(&committed), filter),
        uncommitted: filtered(Changes::from(&uncommitted), filter),
        unchanged,
    }
}

/// `--not-in-remote`: the recorded, pushable outs (and with `granular` the files inside
/// directory outs) whose objects `remote` lacks. A directory out counts as present when
/// its `.dir` and every file it lists are there.
pub fn not_in_remote(
    repo: &Repo,
    stages: &[Stage],
    remote: &crate::data::remote::Remote,
    options: &Options,
    jobs: Option<usize>,
) -> Result<Vec<String>, crate::data::transfer::TransferError> {
    use crate::data::transfer::{self, CloudState, Object};
    // (shown path, objects that must all be on the remote)
    let mut entries: Vec<(String, Vec<Object>)> = Vec::new();
    for st in stages {
        for o in st.outs.iter().filter(|o| o.out.cache && o.out.push) {
            let Some(md5) = o.out.md5.as_deref() else {
                continue;
            };
            let legacy = o.out.is_legacy();
            let root = Object::new(md5, legacy);
            if !root.is_dir() {
                entries.push((o.rel.clone(), vec![root]));
                continue;
            }
            let tree = transfer::read_tree(&repo.odb, &root);
            let files: Vec<(String, Object)> = tree
                .iter()
                .flat_map(|t| t.entries.iter())
                .map(|e| {
                    (
                        format!("{}/{}", o.rel, e.relpath),
                        Object::new(e.md5.to_hex(), legacy),
                    )
                })
                .collect();
            let mut all = vec![root];
            all.extend(files.iter().map(|(_, obj)| obj.clone()));
            entries.push((format!("{}/", o.rel), all));
            if options.granular {
                entries.extend(files.into_iter().map(|(p, obj)| (p, vec![obj])));
            }
        }
    }
    entries.retain(|(p, _)| keep(&options.filter, p));
    let mut objects: Vec<Object> = entries
        .iter()
        .flat_map(|(_, o)| o.iter().cloned())
        .collect();
    objects.sort();
    objects.dedup();
    let options = transfer::transfer_options(remote, jobs);
    let states = transfer::compare(&repo.odb, remote, &objects, &options)?;
    let there: BTreeSet<&Object> = objects
        .iter()
        .zip(states)
        .filter(|(_, s)| matches!(s, CloudState::InSync | CloudState::Deleted))
        .map(|(o, _)| o)
        .collect();
    let mut missing: Vec<String> = entries
        .into_iter()
        .filter(|(_, objs)| !objs.iter().all(|o| there.contains(o)))
        .map(|(p, _)| p)
        .collect();
    missing.sort();
    missing.dedup();
    Ok(missing)
}

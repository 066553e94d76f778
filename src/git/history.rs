//! One pass over git history collecting DVC pointer files (`*.dvc`, `dvc.lock`, and the
//! `dvc.yaml` next to each lock, which holds its outs' `cache:` flags).
//!
//! Reads go through gix, in process: a rev walk over every commit in scope, then a
//! traversal of each commit's tree. Trees are memoized by object id, so a subtree that
//! did not change between commits is listed once for the whole walk (a 200-commit history
//! whose commits touch one `.dvc` file costs about one full tree listing plus 200 small
//! ones). Blobs are deduplicated by object id and read once.
//!
//! Scopes mirror dvc's `brancher` (dvc 3.67.1 `dvc/scm.py` `iter_revs`):
//! - `all_branches`: the tips of `refs/heads/*`;
//! - `all_tags`: every `refs/tags/*`, peeled to its commit;
//! - `all_commits`: every commit reachable from `HEAD`, `refs/heads/*`, `refs/remotes/*`
//!   and `refs/tags/*` (scmrepo's `list_all_commits`);
//! - `revs`: each named revision and, with `num > 1`, its first `num - 1` first-parent
//!   ancestors (`rev~1`, `rev~2`, …);
//! - `history`: every commit reachable from the selected tips (used by retention), not
//!   only the tips themselves.
//!
//! The DVC root may be a subdirectory of the git work tree; paths are then taken relative
//! to it, and commits that lack that directory contribute nothing (dvc skips them too).
//! Nested DVC repositories (a directory holding its own `.dvc/`) are skipped, as dvc does.

use gix::ObjectId;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

/// Errors reading history.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The directory is not in a git repository.
    #[error("'{path}' is not inside a git repository: {reason}")]
    NotARepo {
        /// The directory.
        path: String,
        /// Why gix could not open it.
        reason: String,
    },
    /// A revision could not be resolved.
    #[error("unknown revision '{0}'")]
    UnknownRevision(String),
    /// Reading refs, commits, trees or blobs failed.
    #[error("reading git history: {0}")]
    Read(String),
}

fn read_err(e: impl std::fmt::Display) -> HistoryError {
    HistoryError::Read(e.to_string())
}

/// Which commits to visit.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Tips of all local branches (`-a`).
    pub all_branches: bool,
    /// All tags (`-T`).
    pub all_tags: bool,
    /// All commits reachable from any branch, remote branch, tag or HEAD (`-A`).
    pub all_commits: bool,
    /// Named revisions (`--rev`), each with `num - 1` ancestors.
    pub revs: Vec<String>,
    /// Commits per named revision (and per branch with `all_branches`), at least 1.
    pub num: usize,
    /// Walk every ancestor of the selected tips instead of the tips alone.
    pub history: bool,
    /// The tips of dvc's experiments (refs under `refs/exps/`, gc's `--all-experiments`).
    pub experiments: bool,
    /// Every commit with a committer time at or after this (seconds since the epoch;
    /// gc's `--date`).
    pub since: Option<i64>,
}

/// One commit in scope.
#[derive(Debug, Clone)]
pub struct Revision {
    /// Full hex id.
    pub id: String,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// The commit is `HEAD` or the tip of a local branch.
    pub is_tip: bool,
    /// Pointer files: (path relative to the DVC root, index into [`History::blobs`]).
    pub files: Vec<(String, usize)>,
}

/// The pointer files of every commit in scope.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Commits, newest first (by committer time; ties keep walk order).
    pub revisions: Vec<Revision>,
    /// Distinct blob texts (lossy UTF-8).
    pub blobs: Vec<String>,
}

/// Whether a file name is one git-dvc reads from history.
fn wanted(name: &str) -> bool {
    crate::data::pointer::is_stage_file(name)
}

/// Open the git repository containing `dvc_root` and return it with the DVC root's path
/// relative to the work tree (`""` when they are the same).
fn open(dvc_root: &Path) -> Result<(gix::Repository, Vec<String>), HistoryError> {
    let mut repo = gix::discover(dvc_root).map_err(|e| HistoryError::NotARepo {
        path: dvc_root.display().to_string(),
        reason: e.to_string(),
    })?;
    repo.object_cache_size_if_unset(32 * 1024 * 1024);
    let prefix = match repo.workdir() {
        Some(wd) => {
            let wd = wd.canonicalize().unwrap_or_else(|_| wd.to_path_buf());
            let root = dvc_root
                .canonicalize()
                .unwrap_or_else(|_| dvc_root.to_path_buf());
            match root.strip_prefix(&wd) {
                Ok(rel) => rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect(),
                Err(_) => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    Ok((repo, prefix))
}

/// Resolve a revision to a commit id.
fn resolve(repo: &gix::Repository, spec: &str) -> Result<ObjectId, HistoryError> {
    let id = repo
        .rev_parse_single(spec)
        .map_err(|_| HistoryError::UnknownRevision(spec.to_string()))?;
    let commit = id
        .object()
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| HistoryError::UnknownRevision(spec.to_string()))?;
    Ok(commit.id)
}

/// Resolve a revision to a full commit id (for messages and for comparing revisions).
pub fn resolve_commit(dvc_root: &Path, spec: &str) -> Result<String, HistoryError> {
    let (repo, _) = open(dvc_root)?;
    Ok(resolve(&repo, spec)?.to_string())
}

/// Whether HEAD points at a commit (false in a fresh repository).
pub fn has_commits(dvc_root: &Path) -> Result<bool, HistoryError> {
    let (repo, _) = open(dvc_root)?;
    Ok(repo.head_id().is_ok())
}

/// Commit ids of the refs under `prefix`, peeled to commits (tags pointing at trees or
/// blobs are skipped).
fn ref_commits(repo: &gix::Repository, prefix: &str) -> Result<Vec<ObjectId>, HistoryError> {
    let platform = repo.references().map_err(read_err)?;
    let iter = platform.prefixed(prefix).map_err(read_err)?;
    let mut out = Vec::new();
    for r in iter {
        let mut r = r.map_err(read_err)?;
        if let Ok(c) = r.peel_to_commit() {
            out.push(c.id);
        }
    }
    Ok(out)
}

/// dvc's `exp_commits`: for each experiment ref (`refs/exps/<baseline[:2]>/<baseline[2:]>/
/// <name>`), its commits back along first parents, stopping before the baseline.
fn experiment_commits(repo: &gix::Repository) -> Result<Vec<ObjectId>, HistoryError> {
    let platform = repo.references().map_err(read_err)?;
    let iter = platform.prefixed("refs/exps/").map_err(read_err)?;
    let mut out = Vec::new();
    for r in iter {
        let mut r = r.map_err(read_err)?;
        let name = r.name().as_bstr().to_string();
        let parts: Vec<&str> = name.split('/').collect();
        // refs, exps, ab, cdef…, name
        let baseline = (parts.len() == 5).then(|| format!("{}{}", parts[2], parts[3]));
        let Ok(tip) = r.peel_to_commit() else {
            continue;
        };
        for id in first_parents(repo, tip.id, usize::MAX)? {
            if baseline.as_deref() == Some(id.to_string().as_str()) {
                break;
            }
            out.push(id);
        }
    }
    Ok(out)
}

/// The commits in scope, with their time and whether they are tips.
fn select(
    repo: &gix::Repository,
    scope: &Scope,
) -> Result<Vec<(ObjectId, i64, bool)>, HistoryError> {
    let head = repo.head_id().ok().map(|id| id.detach());
    let branches = ref_commits(repo, "refs/heads/")?;
    let tips: HashSet<ObjectId> = head
        .iter()
        .copied()
        .chain(branches.iter().copied())
        .collect();
    let num = scope.num.max(1);

    let mut starts: Vec<ObjectId> = Vec::new();
    for rev in &scope.revs {
        starts.extend(first_parents(repo, resolve(repo, rev)?, num)?);
    }
    if scope.experiments {
        starts.extend(experiment_commits(repo)?);
    }
    let mut dated: Vec<ObjectId> = Vec::new();
    if scope.since.is_some() && !scope.all_commits {
        dated.extend(head);
        dated.extend(branches.iter().copied());
        dated.extend(ref_commits(repo, "refs/remotes/")?);
        dated.extend(ref_commits(repo, "refs/tags/")?);
    }
    if scope.all_commits {
        starts.extend(head);
        starts.extend(branches.iter().copied());
        starts.extend(ref_commits(repo, "refs/remotes/")?);
        starts.extend(ref_commits(repo, "refs/tags/")?);
    } else {
        if scope.all_branches {
            for b in &branches {
                starts.extend(first_parents(repo, *b, num)?);
            }
        }
        if scope.all_tags {
            starts.extend(ref_commits(repo, "refs/tags/")?);
        }
    }
    let mut seen = HashSet::new();
    starts.retain(|id| seen.insert(*id));
    let mut out = Vec::new();
    if let (Some(since), false) = (scope.since, dated.is_empty()) {
        let walk = repo
            .rev_walk(dated)
            .sorting(gix::revision::walk::Sorting::ByCommitTime(
                gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
            ))
            .all()
            .map_err(read_err)?;
        for info in walk {
            let info = info.map_err(read_err)?;
            let time = match info.commit_time {
                Some(t) => t,
                None => commit_time(repo, info.id)?,
            };
            if time >= since && seen.insert(info.id) {
                out.push((info.id, time, tips.contains(&info.id)));
            }
        }
    }
    if starts.is_empty() {
        out.sort_by_key(|c| std::cmp::Reverse(c.1));
        return Ok(out);
    }

    if scope.all_commits || scope.history {
        let walk = repo
            .rev_walk(starts)
            .sorting(gix::revision::walk::Sorting::ByCommitTime(
                gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
            ))
            .all()
            .map_err(read_err)?;
        for info in walk {
            let info = info.map_err(read_err)?;
            let time = match info.commit_time {
                Some(t) => t,
                None => commit_time(repo, info.id)?,
            };
            out.push((info.id, time, tips.contains(&info.id)));
        }
    } else {
        for id in starts {
            out.push((id, commit_time(repo, id)?, tips.contains(&id)));
        }
        // Newest first; stable, so equal times keep the selection order.
        out.sort_by_key(|c| std::cmp::Reverse(c.1));
    }
    if scope.since.is_some() {
        out.sort_by_key(|c| std::cmp::Reverse(c.1));
        let mut unique = HashSet::new();
        out.retain(|c| unique.insert(c.0));
    }
    Ok(out)
}

fn commit_time(repo: &gix::Repository, id: ObjectId) -> Result<i64, HistoryError> {
    let commit = repo.find_commit(id).map_err(read_err)?;
    Ok(commit.time().map_err(read_err)?.seconds)
}

/// `id`, `id~1`, … `id~(num-1)` (fewer when the history is shorter).
fn first_parents(
    repo: &gix::Repository,
    id: ObjectId,
    num: usize,
) -> Result<Vec<ObjectId>, HistoryError> {
    let mut out = vec![id];
    let mut cur = id;
    while out.len() < num {
        let commit = repo.find_commit(cur).map_err(read_err)?;
        let Some(parent) = commit.parent_ids().next() else {
            break;
        };
        cur = parent.detach();
        out.push(cur);
    }
    Ok(out)
}

/// Memoized listing of pointer files below a tree: (relative path, blob id).
type Listing = Rc<Vec<(String, ObjectId)>>;

struct TreeLister<'r> {
    repo: &'r gix::Repository,
    memo: HashMap<ObjectId, Listing>,
}

impl TreeLister<'_> {
    /// Pointer files below tree `id`. `is_root` keeps the root's own `.dvc/` directory
    /// from marking it as a nested repository.
    fn list(&mut self, id: ObjectId, is_root: bool) -> Result<Listing, HistoryError> {
        if let Some(l) = self.memo.get(&id) {
            return Ok(l.clone());
        }
        let tree = self.repo.find_tree(id).map_err(read_err)?;
        let decoded = tree.decode().map_err(read_err)?;
        let mut files = Vec::new();
        let mut subtrees = Vec::new();
        for entry in &decoded.entries {
            let name = String::from_utf8_lossy(entry.filename).into_owned();
            if entry.mode.is_tree() {
                if name == ".dvc" {
                    if !is_root {
                        // A nested DVC repository: not part of this one.
                        let empty: Listing = Rc::new(Vec::new());
                        self.memo.insert(id, empty.clone());
                        return Ok(empty);
                    }
                    continue;
                }
                if name == ".git" {
                    continue;
                }
                subtrees.push((name, entry.oid.to_owned()));
            } else if (entry.mode.is_blob() || entry.mode.is_executable()) && wanted(&name) {
                files.push((name, entry.oid.to_owned()));
            }
        }
        drop(decoded);
        drop(tree);
        for (name, sub) in subtrees {
            let listing = self.list(sub, false)?;
            for (rel, blob) in listing.iter() {
                files.push((format!("{name}/{rel}"), *blob));
            }
        }
        let listing: Listing = Rc::new(files);
        self.memo.insert(id, listing.clone());
        Ok(listing)
    }
}

/// Collect the pointer files of every commit in `scope`.
pub fn collect(dvc_root: &Path, scope: &Scope) -> Result<History, HistoryError> {
    let (repo, prefix) = open(dvc_root)?;
    let commits = select(&repo, scope)?;
    let mut lister = TreeLister {
        repo: &repo,
        memo: HashMap::new(),
    };
    let mut blob_index: HashMap<ObjectId, usize> = HashMap::new();
    let mut blob_ids: Vec<ObjectId> = Vec::new();
    let mut revisions = Vec::with_capacity(commits.len());
    for (id, time, is_tip) in commits {
        let commit = repo.find_commit(id).map_err(read_err)?;
        let mut tree_id = commit.tree_id().map_err(read_err)?.detach();
        drop(commit);
        let mut present = true;
        for part in &prefix {
            let tree = repo.find_tree(tree_id).map_err(read_err)?;
            let found = tree
                .decode()
                .map_err(read_err)?
                .entries
                .iter()
                .find(|e| e.mode.is_tree() && e.filename == part.as_bytes())
                .map(|e| e.oid.to_owned());
            match found {
                Some(sub) => tree_id = sub,
                None => {
                    present = false;
                    break;
                }
            }
        }
        let mut files = Vec::new();
        if present {
            for (path, blob) in lister.list(tree_id, true)?.iter() {
                let idx = *blob_index.entry(*blob).or_insert_with(|| {
                    blob_ids.push(*blob);
                    blob_ids.len() - 1
                });
                files.push((path.clone(), idx));
            }
        }
        revisions.push(Revision {
            id: id.to_string(),
            time,
            is_tip,
            files,
        });
    }
    let mut blobs = Vec::with_capacity(blob_ids.len());
    for id in blob_ids {
        let blob = repo.find_blob(id).map_err(read_err)?;
        blobs.push(String::from_utf8_lossy(&blob.data).into_owned());
    }
    Ok(History { revisions, blobs })
}

/// Pointer files of one revision: path relative to the DVC root -> text.
pub fn files_at(dvc_root: &Path, rev: &str) -> Result<BTreeMap<String, String>, HistoryError> {
    let history = collect(
        dvc_root,
        &Scope {
            revs: vec![rev.to_string()],
            num: 1,
            ..Scope::default()
        },
    )?;
    let mut out = BTreeMap::new();
    if let Some(r) = history.revisions.first() {
        for (path, idx) in &r.files {
            if let Some(text) = history.blobs.get(*idx) {
                out.insert(path.clone(), text.clone());
            }
        }
    }
    Ok(out)
}

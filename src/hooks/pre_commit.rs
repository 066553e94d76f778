//! `pre-commit` (no arguments). What the commit is made from depends on how `git commit`
//! was called, which git tells only through `GIT_INDEX_FILE` (spec/git-integration.md §2):
//!
//! | invocation | `GIT_INDEX_FILE` | [`IndexMode`] |
//! |---|---|---|
//! | `git commit` | `.git/index` (relative) | `Plain` |
//! | `git commit -a`, `-i p` | `<abs>/.git/index.lock` | `Full` |
//! | `git commit p`, `--only p` | `<abs>/.git/next-index-<pid>.lock` | `Partial` |
//!
//! A `git add` from the hook lands in the commit in all three modes; in `Partial` mode
//! the real index misses it (a staged revert shows as `MM`), so auto-staging is off there.

use super::{Error, HookName, ProcessEnv};
use crate::data::commit;
use crate::data::pointer;
use crate::data::repo::{Repo, Stage, StageKind};
use crate::data::status;
use crate::git::{ChangedPath, DiffSide};
use crate::worktree::{self, Worktree};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// How the commit's index relates to the real index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexMode {
    /// The real index (`git commit`).
    Plain,
    /// The locked real index after `-a`/`-i` staged into it.
    Full,
    /// A temporary index of HEAD plus the named paths (`git commit <paths>`, `--only`).
    Partial,
}

impl IndexMode {
    /// Classify `GIT_INDEX_FILE`. Unset or unrecognised (a user's own index file) is `Plain`.
    pub fn from_index_file(index_file: Option<&Path>) -> Self {
        let Some(name) = index_file
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
        else {
            return IndexMode::Plain;
        };
        if name == "index.lock" {
            IndexMode::Full
        } else if name.starts_with("next-index-") && name.ends_with(".lock") {
            IndexMode::Partial
        } else {
            IndexMode::Plain
        }
    }

    /// True when staging from the hook keeps the real index consistent.
    pub fn allows_autostage(self) -> bool {
        !matches!(self, IndexMode::Partial)
    }
}

/// Typed input of `pre-commit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreCommitInput {
    /// Which index the commit is built from.
    pub index_mode: IndexMode,
}

/// Parse argv (git passes none) and the environment.
pub fn parse(args: &[String], env: &ProcessEnv) -> Result<PreCommitInput, Error> {
    if !args.is_empty() {
        return Err(Error::bad_input(
            HookName::PreCommit,
            format!("expected no arguments, got {}", args.len()),
        ));
    }
    Ok(PreCommitInput {
        index_mode: IndexMode::from_index_file(env.git_index_file.as_deref()),
    })
}

/// Run the hook.
///
/// 1. Refuse (exit 1) when a path inside a DVC out is staged into git (`git add -f`), or a
///    staged pointer references data that is in neither the cache nor the workspace.
///    Data that is only in the workspace is saved to the cache.
/// 2. Outs whose workspace data changed while their pointer is not staged: unless
///    `gitdvc.autostage=false` or in a partial commit (only a warning there), hash and
///    cache the data, rewrite the `.dvc` byte-exactly and `git add` it. When nothing else
///    was staged, git will still say "nothing to commit": say that the pointer is staged
///    and the commit must be run again.
/// 3. A staged pointer whose workspace data differs (a resolved merge conflict): check
///    the staged version out when the workspace content is saved in the cache.
pub fn run(input: &PreCommitInput, env: &ProcessEnv) -> Result<i32, Error> {
    if !Path::new(".dvc").is_dir() {
        return Ok(0);
    }
    let mut hr = match Worktree::open_current(env) {
        Ok(Some(hr)) => hr,
        Ok(None) => return Ok(0),
        Err(e) => {
            tracing::warn!("git-dvc: pre-commit: {e}; DVC data was not checked");
            return Ok(0);
        }
    };
    let gix = crate::git::index::GixRepo::open(&hr.top, env.git_dir.as_deref());
    if let Ok(gix) = &gix {
        crate::worktree::watchman::attach(&mut hr.repo, env, gix.config_bool("gitdvc.watchman"));
    }
    let read = match &gix {
        Ok(gix) => read_in_process(&hr, gix, env),
        Err(e) => Err(e.to_string()),
    };
    let (pointers, staged) = match read {
        Ok(read) => read,
        Err(why) => {
            tracing::debug!("git-dvc: pre-commit: {why}; asking git");
            read_with_git(&hr)?
        }
    };
    if pointers.is_empty() {
        return Ok(0);
    }

    // 1a. Out paths staged into git.
    let outs: HashMap<&str, &str> = pointers
        .iter()
        .flat_map(|p| {
            p.stages
                .iter()
                .flat_map(|s| s.outs.iter())
                .map(move |o| (o.rel.as_str(), p.path.as_str()))
        })
        .collect();
    let mut refusals = Vec::new();
    let staged_in_outs: Vec<&str> = match &staged {
        Staged::Listed(staged) => staged
            .iter()
            .filter(|c| c.status != 'D')
            .map(|c| c.path.as_str())
            .collect(),
        Staged::UnderOuts(paths) => paths.iter().map(String::as_str).collect(),
    };
    for path in staged_in_outs {
        if let Some((out, pointer)) = owning_out(&outs, path) {
            refusals.push(format!(
                "`{path}` is inside `{out}`, which DVC tracks through `{pointer}`; it must not be committed to git (run `git rm --cached -r -- '{path}'`)"
            ));
        }
    }

    // Workspace state of every out, in parallel (the state DB makes unchanged outs cheap).
    let checks: Vec<OutCheck> = pointers
        .par_iter()
        .enumerate()
        .flat_map_iter(|(pi, p)| {
            p.stages
                .iter()
                .enumerate()
                .flat_map(move |(si, s)| s.outs.iter().enumerate().map(move |(oi, _)| (pi, si, oi)))
        })
        .collect::<Vec<_>>()
        .into_par_iter()
        .filter_map(|(pi, si, oi)| check_out(&hr.repo, &pointers, pi, si, oi))
        .collect();

    // 1b. Staged pointers whose data exists nowhere; save data found only in the workspace.
    let mut to_save: Vec<&OutCheck> = Vec::new();
    for c in &checks {
        let p = &pointers[c.pointer];
        if !p.staged || c.in_cache {
            continue;
        }
        if c.workspace == Workspace::Matches {
            to_save.push(c);
        } else {
            refusals.push(format!(
                "`{}` references data of `{}` that is neither in the DVC cache nor in the workspace (run `git dvc pull {}`, or `git dvc add {}` to record the data you have)",
                p.path, c.rel, p.path, c.rel
            ));
        }
    }
    if !refusals.is_empty() {
        for r in &refusals {
            tracing::error!("git-dvc: {r}");
        }
        tracing::error!("git-dvc: commit refused (use `git commit --no-verify` to bypass)");
        return Ok(1);
    }

    let mut stale: Vec<&OutCheck> = Vec::new();
    let mut reconcile_pointers: Vec<usize> = Vec::new();
    for c in &checks {
        let p = &pointers[c.pointer];
        match c.workspace {
            Workspace::Matches => {}
            Workspace::Missing => tracing::warn!(
                "git-dvc: `{}` (tracked by `{}`) is missing from the workspace (run `git dvc checkout {}`)",
                c.rel,
                p.path,
                p.path
            ),
            // The staged pointer names another version that the cache has, and the
            // workspace holds one the cache has too (a resolved merge conflict, a pointer
            // taken from another commit): follow the pointer. Unsaved workspace changes
            // are new data: record them (below).
            Workspace::Differs if p.staged && c.workspace_saved => {
                if reconcile_pointers.last() != Some(&c.pointer) {
                    reconcile_pointers.push(c.pointer);
                }
            }
            Workspace::Differs => stale.push(c),
        }
    }
    if to_save.is_empty() && stale.is_empty() && reconcile_pointers.is_empty() {
        return Ok(0);
    }
    let autostage = hr.settings().autostage;
    let _lock = match worktree::lock(&hr.repo) {
        Ok(lock) => lock,
        Err(e) => {
            tracing::warn!("git-dvc: DVC data was not checked: {e}");
            return Ok(0);
        }
    };
    for c in &to_save {
        let o = &pointers[c.pointer].stages[c.stage].outs[c.out];
        match commit::commit_out(&hr.repo, o, false) {
            Ok(_) => tracing::info!("git-dvc: saved `{}` to the DVC cache", c.rel),
            Err(e) => {
                tracing::error!("git-dvc: cannot save `{}` to the DVC cache: {e}", c.rel);
                return Ok(1);
            }
        }
    }
    // 3. Resolved conflicts: bring the workspace to the staged pointer when that loses
    // nothing (OnUnsaved::Keep).
    if !reconcile_pointers.is_empty() {
        let texts: Vec<(String, String)> = reconcile_pointers
            .iter()
            .map(|&i| (pointers[i].path.clone(), pointers[i].text.clone()))
            .collect();
        worktree::warn_outcomes(&worktree::materialize(&hr.repo, &texts));
    }
    // 2. Stale pointers.
    let staged_something_else = match &staged {
        Staged::Listed(staged) => !staged.is_empty(),
        // Only asked when a pointer is to be staged: a rare path, worth one git process.
        Staged::UnderOuts(_) => hr.git.anything_staged()?,
    };
    autostage_stale(
        &hr,
        &pointers,
        &stale,
        autostage && input.index_mode.allows_autostage(),
        input.index_mode,
        staged_something_else,
    )
}

/// What the commit stages, as far as the checks need it.
enum Staged {
    /// Every staged path (from `git diff-index`).
    Listed(Vec<ChangedPath>),
    /// The staged paths at or below an out (read in-process).
    UnderOuts(Vec<String>),
}

/// Parse the pointers of the index (skipping those that do not parse, with a warning).
fn parse_pointers(hr: &Worktree, blobs: Vec<(String, Option<Vec<u8>>, bool)>) -> Vec<IndexPointer> {
    let mut pointers = Vec::new();
    for (path, blob, staged) in blobs {
        let Some(text) = blob.and_then(|b| String::from_utf8(b).ok()) else {
            continue;
        };
        match hr.repo.stages_from_text(&path, &text) {
            Ok(stages) => pointers.push(IndexPointer {
                staged,
                path,
                text,
                stages,
            }),
            Err(e) => tracing::warn!("git-dvc: `{path}` is not a valid DVC pointer: {e}"),
        }
    }
    pointers
}

/// The index's pointers and the staged paths inside their outs, read through gix: no
/// git process. `Err` (why) when this index is one to ask git about.
fn read_in_process(
    hr: &Worktree,
    gix: &crate::git::index::GixRepo,
    env: &ProcessEnv,
) -> Result<(Vec<IndexPointer>, Staged), String> {
    let index = gix
        .index(&hr.top, env.git_index_file.as_deref())
        .map_err(|e| e.to_string())?;
    let head = gix.head_tree().map_err(|e| e.to_string())?;
    let entries = index
        .entries(head.as_ref(), pointer::is_pointer_path)
        .map_err(|e| e.to_string())?;
    let mut blobs = Vec::with_capacity(entries.len());
    for e in entries {
        blobs.push((e.path, gix.blob(&e.id).ok(), e.staged));
    }
    let pointers = parse_pointers(hr, blobs);
    let mut under_outs = Vec::new();
    for p in &pointers {
        for o in p.stages.iter().flat_map(|s| s.outs.iter()) {
            under_outs.extend(
                index
                    .staged_under(head.as_ref(), &o.rel)
                    .map_err(|e| e.to_string())?,
            );
        }
    }
    Ok((pointers, Staged::UnderOuts(under_outs)))
}

/// [`read_in_process`] through git's CLI: `diff-index`, `ls-files` and `cat-file`.
fn read_with_git(hr: &Worktree) -> Result<(Vec<IndexPointer>, Staged), Error> {
    let git = &hr.git;
    // Against HEAD; on an unborn branch (first commit) everything in the index is new.
    let staged: Vec<ChangedPath> = match git.diff_names("HEAD", DiffSide::Index, &[]) {
        Ok(staged) => staged,
        Err(e) if git.resolve("HEAD")?.is_none() => {
            tracing::debug!("pre-commit: no HEAD yet ({e})");
            git.ls_files(&["--cached"], &[])?
                .into_iter()
                .map(|path| ChangedPath { status: 'A', path })
                .collect()
        }
        Err(e) => return Err(e.into()),
    };
    let staged_pointers: HashSet<&str> = staged
        .iter()
        .filter(|c| c.status != 'D' && pointer::is_pointer_path(&c.path))
        .map(|c| c.path.as_str())
        .collect();
    let index_pointers: Vec<String> = git
        .ls_files(&["--cached"], &pointer::POINTER_PATHSPECS)?
        .into_iter()
        .filter(|p| pointer::is_pointer_path(p))
        .collect();
    if index_pointers.is_empty() {
        return Ok((Vec::new(), Staged::Listed(staged)));
    }
    let names: Vec<String> = index_pointers.iter().map(|p| format!(":{p}")).collect();
    let blobs = git.cat_file_batch(&names)?;
    let blobs = index_pointers
        .into_iter()
        .zip(blobs)
        .map(|(path, blob)| {
            let staged = staged_pointers.contains(path.as_str());
            (path, blob, staged)
        })
        .collect();
    let pointers = parse_pointers(hr, blobs);
    Ok((pointers, Staged::Listed(staged)))
}

/// Bring the worktree pointer file of `p` up to date with the workspace data: hash and
/// cache every out that differs, and rewrite the file byte-exactly. The worktree file is
/// the base: when it already differs from the staged text (a `dvc commit` without
/// `git add`, or an earlier attempt of this hook whose staging git rolled back), its
/// records are the ones compared.
/// Why a pointer could not be brought up to date (the commit goes on; this is a warning).
#[derive(Debug, thiserror::Error)]
enum UpdateError {
    #[error(transparent)]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Pointer(#[from] crate::data::repo::RepoError),
    #[error(transparent)]
    Status(#[from] status::Error),
    #[error(transparent)]
    Commit(#[from] commit::Error),
}

fn update_pointer(hr: &Worktree, p: &IndexPointer) -> Result<(), UpdateError> {
    let worktree = fs_err::read_to_string(hr.top.join(&p.path))?;
    let stages = if worktree == p.text {
        p.stages.clone()
    } else {
        hr.repo.stages_from_text(&p.path, &worktree)?
    };
    for stage in &stages {
        let mut updates = Vec::new();
        for o in &stage.outs {
            let Some(recorded) = o.out.md5.as_deref() else {
                continue;
            };
            let differs = match status::current(&hr.repo, o, false) {
                Ok(Some(cur)) => {
                    cur.md5 != recorded || (!o.out.is_dir() && cur.isexec != o.out.isexec)
                }
                Ok(None) => false,
                Err(e) => return Err(e.into()),
            };
            if !differs {
                continue;
            }
            let c = commit::commit_out(&hr.repo, o, false)?;
            if c.changed {
                updates.push((o.index, c.update));
            }
        }
        if !updates.is_empty() {
            commit::write_updates(&hr.repo, stage, &updates)?;
        }
    }
    Ok(())
}

/// A pointer in the commit's index.
struct IndexPointer {
    path: String,
    /// Its staged text.
    text: String,
    stages: Vec<Stage>,
    /// Changed in this commit (relative to HEAD).
    staged: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workspace {
    Matches,
    Differs,
    Missing,
}

struct OutCheck {
    pointer: usize,
    stage: usize,
    out: usize,
    rel: String,
    workspace: Workspace,
    /// Only computed for staged pointers (true otherwise).
    in_cache: bool,
    /// The workspace version of a differing out is in the cache.
    workspace_saved: bool,
}

fn check_out(
    repo: &Repo,
    pointers: &[IndexPointer],
    pi: usize,
    si: usize,
    oi: usize,
) -> Option<OutCheck> {
    let p = &pointers[pi];
    let o = &p.stages[si].outs[oi];
    let recorded = o.out.md5.as_deref()?;
    if !o.out.cache {
        return None;
    }
    let in_cache = !p.staged || status::in_cache(repo, o);
    let mut workspace_saved = false;
    let workspace = match status::workspace_oid(repo, o) {
        Ok(Some((oid, isexec))) => {
            let same = oid == recorded && (o.out.is_dir() || isexec == o.out.isexec);
            if same {
                Workspace::Matches
            } else {
                workspace_saved = repo.odb.exists_verified(&oid, o.out.is_legacy());
                Workspace::Differs
            }
        }
        Ok(None) => Workspace::Missing,
        Err(e) => {
            tracing::warn!("git-dvc: cannot hash `{}`: {e}", o.rel);
            return None;
        }
    };
    Some(OutCheck {
        pointer: pi,
        stage: si,
        out: oi,
        rel: o.rel.clone(),
        workspace,
        in_cache,
        workspace_saved,
    })
}

/// The out that `path` is, or lies inside, if any: (out, its pointer).
fn owning_out<'a>(outs: &HashMap<&'a str, &'a str>, path: &str) -> Option<(&'a str, &'a str)> {
    let mut candidate = path;
    loop {
        if let Some((out, pointer)) = outs.get_key_value(candidate) {
            return Some((out, pointer));
        }
        candidate = &candidate[..candidate.rfind('/')?];
    }
}

/// Bring stale `.dvc` pointers up to date and stage them, or warn.
fn autostage_stale(
    hr: &Worktree,
    pointers: &[IndexPointer],
    stale: &[&OutCheck],
    autostage: bool,
    mode: IndexMode,
    staged_something_else: bool,
) -> Result<i32, Error> {
    if stale.is_empty() {
        return Ok(0);
    }
    // Group by (pointer, stage).
    let mut groups: std::collections::BTreeMap<(usize, usize), Vec<usize>> =
        std::collections::BTreeMap::new();
    for c in stale {
        groups.entry((c.pointer, c.stage)).or_default().push(c.out);
    }
    let mut to_add: Vec<String> = Vec::new();
    let mut done_pointers: HashSet<usize> = HashSet::new();
    for ((pi, si), outs) in groups {
        let p = &pointers[pi];
        let stage = &p.stages[si];
        let listed = outs
            .iter()
            .map(|&oi| format!("`{}`", stage.outs[oi].rel))
            .collect::<Vec<_>>()
            .join(", ");
        let why_not = if !matches!(stage.kind, StageKind::DvcFile) {
            Some(format!(
                "it is a pipeline output; run `git dvc commit` to record it (or `dvc repro`: pipelines stay with dvc) for `{}`",
                p.path
            ))
        } else if mode == IndexMode::Partial {
            Some(format!(
                "this is a partial commit; run `git dvc commit {}` and `git add {}` first, or commit without paths",
                p.path, p.path
            ))
        } else if !autostage {
            Some(format!(
                "gitdvc.autostage is false; run `git dvc commit {}` and `git add {}`",
                p.path, p.path
            ))
        } else {
            None
        };
        if let Some(why_not) = why_not {
            tracing::warn!(
                "git-dvc: {listed} changed in the workspace but `{}` was not updated: {why_not}",
                p.path
            );
            continue;
        }
        if !done_pointers.insert(pi) {
            continue;
        }
        match update_pointer(hr, p) {
            Ok(()) => to_add.push(p.path.clone()),
            Err(e) => tracing::warn!("git-dvc: cannot update `{}`: {e}", p.path),
        }
    }
    if to_add.is_empty() {
        return Ok(0);
    }
    hr.git.add(&to_add)?;
    let listed = to_add
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if staged_something_else {
        eprintln!("git-dvc: data changed: updated and staged {listed} with this commit");
    } else {
        // git decides that there is nothing to commit before the hook runs, and then
        // drops what the hook staged (with `-a` the whole temporary index): the pointer is
        // rewritten on disk, and the same command run again commits it.
        tracing::warn!(
            "git-dvc: data changed: {listed} updated for it, but git commits nothing that a hook stages when nothing else was staged, so git will stop with \"nothing to commit\": run the same `git commit` again to commit {listed}"
        );
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn index_modes() {
        let mode = |p: Option<&str>| IndexMode::from_index_file(p.map(PathBuf::from).as_deref());
        assert_eq!(mode(None), IndexMode::Plain);
        assert_eq!(mode(Some(".git/index")), IndexMode::Plain);
        assert_eq!(mode(Some("/r/.git/index.lock")), IndexMode::Full);
        assert_eq!(
            mode(Some("/r/.git/next-index-4242.lock")),
            IndexMode::Partial
        );
        assert_eq!(
            mode(Some("/r/.git/worktrees/w/index.lock")),
            IndexMode::Full
        );
        assert_eq!(mode(Some("/tmp/my-index")), IndexMode::Plain);
        assert!(!IndexMode::Partial.allows_autostage());
        assert!(IndexMode::Full.allows_autostage());
    }

    #[test]
    fn parse_input() {
        let env = ProcessEnv {
            git_index_file: Some(PathBuf::from("/r/.git/index.lock")),
            ..ProcessEnv::default()
        };
        let input = parse(&[], &env).unwrap();
        assert_eq!(input.index_mode, IndexMode::Full);
        assert!(parse(&["x".to_owned()], &env).is_err());
    }
}

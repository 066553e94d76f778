//! `push`, `pull`, `fetch` and `status -c`: which outs move to which remote, DVC's
//! messages and exit codes, and the progress bar (stderr, on a tty only).
//!
//! The engine work is in [`crate::data::transfer`]; this file picks the outs (workspace
//! stages, plus other revisions with `-a`/`-T`/`-A`), groups them by remote (spec §7.5),
//! and renders the outcome like dvc (spec §7.6):
//! `N files pushed`, `N files fetched`, `N files fetched and N files added`,
//! `Everything is up to date.`, `ERROR: failed to transfer '<oid>' - <why>`, and
//! `ERROR: failed to push data to the cloud - N files failed to upload` (exit 1).

use super::context::{Context, abs_targets};
use super::error::{ErrorKind, remote_unusable, targets_failed, transfer_failed};
use super::ui::python_json;
use super::{CommandError, CommandResult};
use crate::data::checkout::{self, CheckoutOptions, OnUnsaved};
use crate::data::dvcfile::Out;
use crate::data::repo::{Repo, RepoError, Stage, TargetError};
use crate::data::transfer::{
    self, CloudState, Object, Progress, RemoteChoice, RunOptions, Summary, TransferError,
    WithoutRemote,
};
use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

/// Which way data moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Upload.
    Push,
    /// Download and checkout.
    Pull,
    /// Download.
    Fetch,
}

impl Direction {
    fn verb(self) -> &'static str {
        match self {
            Direction::Push => "push",
            Direction::Pull => "pull",
            Direction::Fetch => "fetch",
        }
    }
}

/// Arguments of push/pull/fetch (`-j` is the global option).
#[derive(Debug, clap::Args)]
pub struct TransferArgs {
    /// Limit to these `.dvc` files, `dvc.yaml`/`dvc.lock` files or out paths.
    pub targets: Vec<String>,
    /// The remote to use (default: `core.remote`, or each out's own `remote:`).
    #[arg(short = 'r', long = "remote")]
    pub remote: Option<String>,
    /// Also the data of every local branch.
    #[arg(short = 'a', long = "all-branches")]
    pub all_branches: bool,
    /// Also the data of every tag.
    #[arg(short = 'T', long = "all-tags")]
    pub all_tags: bool,
    /// Also the data of every commit.
    #[arg(short = 'A', long = "all-commits")]
    pub all_commits: bool,
    /// `pull`: overwrite or delete unsaved workspace data without asking.
    #[arg(short = 'f', long = "force")]
    pub force: bool,
}

/// Transfer progress, shown by the process's progress reporter (`crate::progress`).
#[derive(Default)]
struct Bar {
    phase: Mutex<Option<crate::data::progress::Phase>>,
}

impl Progress for Bar {
    fn start(&self, label: &str, total: u64) {
        if let Ok(mut slot) = self.phase.lock() {
            *slot = Some(crate::data::progress::phase(label, total, 0));
        }
    }
    fn advance(&self, n: u64) {
        if let Ok(slot) = self.phase.lock()
            && let Some(p) = slot.as_ref()
        {
            p.advance(n, 0);
        }
    }
    fn finish(&self) {
        if let Ok(mut slot) = self.phase.lock() {
            slot.take();
        }
    }
}

/// An out with the name of the stage file that records it.
type NamedOut = (String, Out);

fn plural(n: usize) -> &'static str {
    if n == 1 { "file" } else { "files" }
}

/// dvc's `humanize.get_summary`: `1 file fetched`, `4 files fetched and 3 files added`.
fn summary_line(parts: &[(usize, &str)]) -> Option<String> {
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {} {what}", plural(*n)))
        .collect();
    match words.len() {
        0 => None,
        1 => Some(words[0].clone()),
        n => Some(format!(
            "{} and {}",
            words[..n - 1].join(", "),
            words[n - 1]
        )),
    }
}

/// Stages for the targets, plus the outs of other revisions when asked.
fn collect_outs(
    ctx: &Context,
    repo: &Repo,
    args: &TransferArgs,
    verb: &str,
) -> Result<(Vec<Stage>, Vec<NamedOut>), CommandError> {
    let cwd = ctx.cwd()?;
    let targets = abs_targets(&cwd, &args.targets);
    let stages = repo.stages_for_targets(&targets).map_err(|e| {
        let direction = if verb == "push" { "to" } else { "from" };
        if matches!(e, TargetError::Repo(RepoError::InvalidOut { .. })) {
            // dvc skips the workspace it cannot collect, then fails on it.
            eprintln!("WARNING: failed to collect 'workspace', skipping");
        }
        targets_failed(
            &format!("failed to {verb} data {direction} the cloud - "),
            e,
        )
    })?;
    let mut outs: Vec<(String, Out)> = stages
        .iter()
        .flat_map(|s| s.outs.iter().map(|o| (o.rel.clone(), o.out.clone())))
        .collect();
    if args.all_branches || args.all_tags || args.all_commits {
        let target_rels: Vec<String> = targets.iter().filter_map(|t| repo.rel(t)).collect();
        outs.extend(revision_outs(repo, args, &target_rels)?);
    }
    Ok((stages, outs))
}

/// The outs recorded in other revisions (`-a`, `-T`, `-A`), read from git history.
fn revision_outs(
    repo: &Repo,
    args: &TransferArgs,
    target_rels: &[String],
) -> Result<Vec<(String, Out)>, CommandError> {
    use crate::git::history::{self, Scope};
    let scope = Scope {
        all_branches: args.all_branches,
        all_tags: args.all_tags,
        all_commits: args.all_commits,
        num: 1,
        ..Scope::default()
    };
    let hist = history::collect(&repo.root, &scope)
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    let mut seen: HashSet<(String, usize)> = HashSet::new();
    let mut outs = Vec::new();
    for rev in &hist.revisions {
        for (path, idx) in &rev.files {
            if !crate::data::pointer::is_pointer_path(path) {
                continue;
            }
            if !seen.insert((path.clone(), *idx)) {
                continue;
            }
            let Some(text) = hist.blobs.get(*idx) else {
                continue;
            };
            let stages = match repo.stages_from_text(path, text) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("skipping '{path}' in revision {}: {e}", rev.id);
                    continue;
                }
            };
            for st in stages {
                for o in st.outs {
                    let wanted = target_rels.is_empty()
                        || target_rels.iter().any(|t| {
                            t.is_empty()
                                || *t == o.rel
                                || o.rel.starts_with(&format!("{t}/"))
                                || t.starts_with(&format!("{}/", o.rel))
                                || *t == st.file
                        });
                    if wanted {
                        outs.push((o.rel, o.out));
                    }
                }
            }
        }
    }
    Ok(outs)
}

/// Run a transfer.
pub fn run(ctx: &Context, dir: Direction, args: TransferArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo)?;
    let (stages, outs) = collect_outs(ctx, &repo, &args, dir.verb())?;
    let direction = match dir {
        Direction::Push => transfer::Direction::Push,
        _ => transfer::Direction::Fetch,
    };
    let options = RunOptions {
        jobs: ctx.jobs_flag,
        without_remote: match dir {
            Direction::Push => WithoutRemote::Fail,
            _ => WithoutRemote::FailIfNotCached,
        },
        stop_on_remote_error: true,
    };
    let choice = RemoteChoice::of_repo(&repo, args.remote.as_deref());
    match (&choice.flag, &choice.default) {
        (Some(r), _) => tracing::debug!("remote '{r}': given with -r"),
        (None, Some(r)) => tracing::debug!("remote '{r}': the default (core.remote)"),
        (None, None) => tracing::debug!("no remote given and no default remote"),
    }
    tracing::debug!("{} outs to {}", outs.len(), direction.verb());
    let bar = Bar::default();
    let result = transfer::run(
        &repo,
        outs.iter().map(|(_, o)| o),
        direction,
        &choice,
        &options,
        &bar,
    );
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e @ TransferError::NoRemote(_)) if dir != Direction::Push && choice.flag.is_none() => {
            eprintln!("No remote provided and no default remote set.");
            return Err(transfer_failed(dir.verb(), e));
        }
        Err(e) => return Err(transfer_failed(dir.verb(), e)),
    };
    if !outcome.without_remote.is_empty() {
        // dvc only warns; everything that needed the remote is in the cache already.
        eprintln!("No remote provided and no default remote set.");
    }
    let summary = outcome
        .into_summary()
        .map_err(|e| transfer_failed(dir.verb(), e))?;
    let remote = choice.flag.clone().or(choice.default.clone());
    report(
        ctx,
        &repo,
        dir,
        &outs,
        &summary,
        &PullCheckout {
            stages: &stages,
            force: args.force,
            remote: remote.as_deref(),
        },
    )
}

/// What pull's checkout step needs.
struct PullCheckout<'a> {
    stages: &'a [Stage],
    force: bool,
    /// The remote the data was fetched from, for the hints of a failed checkout.
    remote: Option<&'a str>,
}

fn report(
    ctx: &Context,
    repo: &Repo,
    dir: Direction,
    outs: &[(String, Out)],
    summary: &Summary,
    pull: &PullCheckout<'_>,
) -> CommandResult {
    for f in &summary.failed {
        eprintln!("ERROR: failed to transfer '{}' - {}", f.object.oid, f.error);
    }
    if !summary.missing.is_empty() {
        let names = transfer::object_names(&repo.odb, outs.iter().map(|(r, o)| (r.as_str(), o)));
        let mut text = String::from(
            "WARNING: Some of the cache files do not exist neither locally nor on remote. Missing cache files:\n",
        );
        for o in &summary.missing {
            match names.get(o) {
                Some(n) => text.push_str(&format!("name: {n}, md5: {}\n", o.oid)),
                None => text.push_str(&format!("md5: {}\n", o.oid)),
            }
        }
        eprint!("{text}");
    }
    let failed = summary.failed_count();
    if failed > 0 {
        let what = if dir == Direction::Push {
            "upload"
        } else {
            "download"
        };
        let from = if dir == Direction::Push { "to" } else { "from" };
        return Err(CommandError::failed(format!(
            "failed to {} data {from} the cloud - {failed} {} failed to {what}",
            dir.verb(),
            plural(failed)
        )));
    }
    match dir {
        Direction::Push => ctx.out(
            summary_line(&[(summary.transferred, "pushed")])
                .unwrap_or_else(|| "Everything is up to date.".into()),
        ),
        Direction::Fetch => ctx.out(
            summary_line(&[(summary.transferred, "fetched")])
                .unwrap_or_else(|| "Everything is up to date.".into()),
        ),
        Direction::Pull => {
            return pull_checkout(ctx, repo, pull.stages, summary, pull.force, pull.remote);
        }
    }
    Ok(())
}

fn pull_checkout(
    ctx: &Context,
    repo: &Repo,
    stages: &[Stage],
    summary: &Summary,
    force: bool,
    remote: Option<&str>,
) -> CommandResult {
    let opts = CheckoutOptions {
        on_unsaved: if force {
            OnUnsaved::Overwrite
        } else {
            OnUnsaved::Fail
        },
        relink: false,
    };
    let report = checkout::checkout(repo, stages, opts)
        .map_err(|e| CommandError::with_source(ErrorKind::Unhandled, e))?;
    let nfiles: BTreeMap<&str, u64> = stages
        .iter()
        .flat_map(|s| s.outs.iter())
        .map(|o| (o.rel.as_str(), o.out.nfiles.unwrap_or(1)))
        .collect();
    let (mut added, mut modified, mut deleted) = (0usize, 0usize, 0usize);
    let mut text = String::new();
    for (rel, is_dir, change) in &report.changes {
        text.push_str(&format!(
            "{}       {}{}\n",
            change.letter(),
            rel,
            if *is_dir { "/" } else { "" }
        ));
        let n = if *is_dir {
            nfiles.get(rel.as_str()).copied().unwrap_or(1) as usize
        } else {
            1
        };
        match change {
            checkout::Change::Added => added += n,
            checkout::Change::Modified => modified += 1,
            checkout::Change::Deleted => deleted += n,
        }
    }
    if !ctx.quiet {
        print!("{text}");
    }
    for e in &report.errors {
        eprintln!("ERROR: {e}");
    }
    if !report.missing.is_empty() {
        let mut e = CommandError::unhandled(format!(
            "Checkout failed for following targets:\n{}\nIs your cache up to date?\n<https://error.dvc.org/missing-files>",
            report.missing.join("\n")
        ));
        if let Ok(cwd) = ctx.cwd() {
            e.hints = super::checkout::missing_hints(repo, &cwd, &report.missing, remote);
        }
        return Err(e);
    }
    if !report.errors.is_empty() {
        return Err(CommandError::silent(255));
    }
    ctx.out(
        summary_line(&[
            (summary.transferred, "fetched"),
            (added, "added"),
            (deleted, "deleted"),
            (modified, "modified"),
        ])
        .unwrap_or_else(|| "Everything is up to date.".into()),
    );
    Ok(())
}

/// `status -c`: compare the cache with a remote (spec §10.1).
pub fn cloud_status(
    ctx: &Context,
    targets: &[String],
    remote_flag: Option<&str>,
    json: bool,
) -> CommandResult {
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo)?;
    let cwd = ctx.cwd()?;
    let stages = repo.stages_for_targets(&abs_targets(&cwd, targets))?;
    let outs: Vec<(String, Out)> = stages
        .iter()
        .flat_map(|s| s.outs.iter().map(|o| (o.rel.clone(), o.out.clone())))
        .collect();
    let flag = remote_flag.map(str::to_lowercase);
    let shown_name = match &flag {
        Some(n) => {
            repo.config
                .remote(n)
                .map_err(|e| remote_unusable(TransferError::Config(e)))?;
            n.clone()
        }
        None => repo.config.core_remote().ok_or_else(|| {
            remote_unusable(TransferError::NoRemote(repo.root.display().to_string()))
        })?,
    };
    let plan = transfer::plan(
        outs.iter().map(|(_, o)| o),
        transfer::Direction::Fetch,
        flag.as_deref(),
        Some(&shown_name),
    );
    let names = transfer::object_names(&repo.odb, outs.iter().map(|(r, o)| (r.as_str(), o)));
    let mut changes: BTreeMap<String, &'static str> = BTreeMap::new();
    for (name, objects) in &plan.by_remote {
        let remote = repo.open_remote(Some(name)).map_err(remote_unusable)?;
        let mut all: Vec<Object> = objects.clone();
        for o in objects.iter().filter(|o| o.is_dir()) {
            if let Some(tree) = transfer::read_tree(&repo.odb, o) {
                all.extend(
                    tree.entries
                        .iter()
                        .map(|e| Object::new(e.md5.clone(), o.legacy)),
                );
            }
        }
        all.sort();
        all.dedup();
        let options = transfer::transfer_options(&remote, ctx.jobs_flag);
        // A `files:` list whose `.dir` neither the cache nor the remote holds: dvc
        // collects nothing for the out and only warns (`name: None`).
        let listed: Vec<(Object, Vec<Object>)> = outs
            .iter()
            .filter(|(_, o)| o.is_listed())
            .filter_map(|(_, o)| {
                let dir = transfer::out_object(o)?;
                let entries = o.listed_tree().map(|t| {
                    t.entries
                        .iter()
                        .map(|e| Object::new(e.md5.clone(), dir.legacy))
                        .collect()
                });
                (objects.contains(&dir) && !repo.odb.exists_verified(&dir.oid, dir.legacy))
                    .then(|| (dir, entries.unwrap_or_default()))
            })
            .collect();
        if !listed.is_empty() {
            let dirs: Vec<Object> = listed.iter().map(|(d, _)| d.clone()).collect();
            let states = transfer::compare(&repo.odb, &remote, &dirs, &options)
                .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
            let mut text = String::new();
            for ((dir, entries), st) in listed.iter().zip(states) {
                if st == CloudState::Missing {
                    all.retain(|o| o != dir && !entries.contains(o));
                    text.push_str(&format!("name: None, md5: {}\n", dir.oid));
                }
            }
            if !text.is_empty() {
                eprint!(
                    "WARNING: Some of the cache files do not exist neither locally nor on remote. Missing cache files:\n{text}"
                );
            }
        }
        let states = transfer::compare(&repo.odb, &remote, &all, &options)
            .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
        for (o, st) in all.iter().zip(states) {
            if st == CloudState::InSync {
                continue;
            }
            let label = names.get(o).cloned().unwrap_or_else(|| o.oid.clone());
            changes.insert(label, st.word());
        }
    }
    if json {
        let map: serde_json::Map<String, serde_json::Value> = changes
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String((*v).to_string())))
            .collect();
        println!("{}", python_json(&serde_json::Value::Object(map)));
        return Ok(());
    }
    if changes.is_empty() {
        ctx.out(format!("Cache and remote '{shown_name}' are in sync."));
        return Ok(());
    }
    let mut text = String::new();
    for (name, word) in &changes {
        text.push_str(&format!("\t{:<20}{name}\n", format!("{word}:")));
    }
    if !ctx.quiet {
        print!("{text}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lines_match_dvc() {
        assert_eq!(summary_line(&[(1, "pushed")]).unwrap(), "1 file pushed");
        assert_eq!(
            summary_line(&[(4, "fetched"), (3, "added")]).unwrap(),
            "4 files fetched and 3 files added"
        );
        assert_eq!(
            summary_line(&[(0, "fetched"), (1, "added")]).unwrap(),
            "1 file added"
        );
        assert_eq!(
            summary_line(&[(2, "fetched"), (1, "added"), (3, "deleted")]).unwrap(),
            "2 files fetched, 1 file added and 3 files deleted"
        );
        assert!(summary_line(&[(0, "pushed")]).is_none());
    }
}

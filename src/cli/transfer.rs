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
use crate::data::repo::{Repo, RepoError, Stage, StageKind, TargetError, TargetOptions};
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

/// Arguments push, pull and fetch share (`-j` is the global option).
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
    /// Also the stages that produce the target stages' dependencies.
    #[arg(short = 'd', long = "with-deps")]
    pub with_deps: bool,
    /// A directory target means every stage file inside it.
    #[arg(short = 'R', long = "recursive")]
    pub recursive: bool,
    /// Transfer dvc's run history too: out of scope in git-dvc (refused).
    #[arg(long = "run-cache", overrides_with = "no_run_cache")]
    pub run_cache: bool,
    /// Leave dvc's run history alone (the default).
    #[arg(long = "no-run-cache")]
    pub no_run_cache: bool,
}

/// Arguments of `push`.
#[derive(Debug, clap::Args)]
pub struct PushArgs {
    #[command(flatten)]
    pub common: TransferArgs,
    /// Targets may contain shell-style wildcards.
    #[arg(long = "glob")]
    pub glob: bool,
    /// Ask the remote about every file (a `.dir` already there is not taken to stand for
    /// its files), and check each uploaded object on the remote before reporting success:
    /// against the store's own md5 where it keeps one (S3 ETag, GCS md5Hash, Azure
    /// Content-MD5), else by downloading and hashing it.
    #[arg(long = "verify")]
    pub verify: bool,
}

/// Arguments of `pull`.
#[derive(Debug, clap::Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub common: TransferArgs,
    /// Overwrite or delete unsaved workspace data without asking.
    #[arg(short = 'f', long = "force")]
    pub force: bool,
    /// Do not fail when some files or directories are missing.
    #[arg(long = "allow-missing")]
    pub allow_missing: bool,
}

/// Arguments of `fetch`.
#[derive(Debug, clap::Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub common: TransferArgs,
    /// Only outs each smaller than this many bytes.
    #[arg(long = "max-size", value_name = "max_size")]
    pub max_size: Option<u64>,
    /// Only outs of this kind (declared under `metrics:` or `plots:` in `dvc.yaml`).
    #[arg(long = "type", value_parser = ["metrics", "plots"])]
    pub types: Vec<String>,
}

/// What each of push, pull and fetch adds to [`TransferArgs`].
#[derive(Debug, Default)]
pub struct Extra {
    /// `push --glob`.
    pub glob: bool,
    /// `push --verify`.
    pub verify: bool,
    /// `pull -f`.
    pub force: bool,
    /// `pull --allow-missing`.
    pub allow_missing: bool,
    /// `fetch --max-size`.
    pub max_size: Option<u64>,
    /// `fetch --type`.
    pub types: Vec<String>,
    /// The remote the data goes to or comes from (for the hints of a failed checkout).
    pub remote: Option<String>,
}

impl PushArgs {
    /// The shared arguments and this command's own.
    pub fn split(self) -> (TransferArgs, Extra) {
        let extra = Extra {
            glob: self.glob,
            verify: self.verify,
            ..Extra::default()
        };
        (self.common, extra)
    }
}

impl PullArgs {
    /// The shared arguments and this command's own.
    pub fn split(self) -> (TransferArgs, Extra) {
        let extra = Extra {
            force: self.force,
            allow_missing: self.allow_missing,
            ..Extra::default()
        };
        (self.common, extra)
    }
}

impl FetchArgs {
    /// The shared arguments and this command's own.
    pub fn split(self) -> (TransferArgs, Extra) {
        let extra = Extra {
            max_size: self.max_size,
            types: self.types,
            ..Extra::default()
        };
        (self.common, extra)
    }
}

/// Which other revisions' data is in scope (`-a`, `-T`, `-A`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Revisions {
    /// `-a`.
    pub all_branches: bool,
    /// `-T`.
    pub all_tags: bool,
    /// `-A`.
    pub all_commits: bool,
}

impl Revisions {
    fn any(self) -> bool {
        self.all_branches || self.all_tags || self.all_commits
    }
}

/// dvc's run cache is dvc's pipeline history: git-dvc runs no pipelines.
fn refuse_run_cache(verb: &str) -> CommandError {
    CommandError::new(
        ErrorKind::Usage,
        "`--run-cache` is out of scope in git-dvc: the run cache is dvc's pipeline run history, and git-dvc runs no pipelines",
    )
    .hint(format!("use `dvc {verb} --run-cache` for it"))
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

use super::ui::summary_line;

/// Stages for the targets, plus the outs of other revisions when asked.
fn collect_outs(
    ctx: &Context,
    repo: &Repo,
    args: &TransferArgs,
    extra: &Extra,
    verb: &str,
) -> Result<(Vec<Stage>, Vec<NamedOut>), CommandError> {
    let cwd = ctx.cwd()?;
    let direction = if verb == "push" { "to" } else { "from" };
    let given = super::context::glob_targets(&cwd, &args.targets, extra.glob).map_err(|e| {
        CommandError::failed(format!(
            "failed to {verb} data {direction} the cloud - {}",
            e.message()
        ))
    })?;
    let targets = abs_targets(&cwd, &given);
    let options = TargetOptions {
        recursive: args.recursive,
        with_deps: args.with_deps,
    };
    let stages = repo
        .stages_for_targets_with(&targets, options)
        .map_err(|e| {
            if matches!(e, TargetError::Repo(RepoError::InvalidOut { .. })) {
                // dvc skips the workspace it cannot collect, then fails on it.
                eprintln!("WARNING: failed to collect 'workspace', skipping");
            }
            targets_failed(
                &format!("failed to {verb} data {direction} the cloud - "),
                e,
            )
        })?;
    // The data of `dvc import` stages comes from their sources: dvc neither pushes it
    // nor fetches it from the project's remote (see `fetch_imports`).
    // So does the data of `import-url --version-aware` stages (`push: false`): it comes
    // from the URL at the recorded versions (see `super::import_url::fetch_versioned`).
    let mut outs: Vec<(String, Out)> = stages
        .iter()
        .filter(|s| !s.repo_import && !super::import_url::is_versioned_import(repo, s))
        .flat_map(|s| s.outs.iter().map(|o| (o.rel.clone(), o.out.clone())))
        .collect();
    let revisions = Revisions {
        all_branches: args.all_branches,
        all_tags: args.all_tags,
        all_commits: args.all_commits,
    };
    if revisions.any() {
        let target_rels: Vec<String> = targets.iter().filter_map(|t| repo.rel(t)).collect();
        outs.extend(revision_outs(repo, revisions, &target_rels)?);
    }
    if extra.max_size.is_some() || !extra.types.is_empty() {
        let kinds = out_kinds(repo, &stages);
        outs.retain(|(rel, o)| {
            // dvc's `_outs_filter`: an out of known size at or over the limit is left.
            let small = match (extra.max_size, o.size) {
                (Some(max), Some(size)) if size > 0 => size < max,
                _ => true,
            };
            let typed = extra.types.is_empty()
                || kinds
                    .get(rel.as_str())
                    .is_some_and(|k| extra.types.iter().any(|t| t == k));
            small && typed
        });
    }
    Ok((stages, outs))
}

/// The outs recorded in other revisions (`-a`, `-T`, `-A`), read from git history.
fn revision_outs(
    repo: &Repo,
    args: Revisions,
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
            for st in stages.into_iter().filter(|s| !s.repo_import) {
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

/// `metrics` or `plots` for each workspace out `dvc.yaml` declares under that key.
fn out_kinds(repo: &Repo, stages: &[Stage]) -> BTreeMap<String, &'static str> {
    use crate::data::pipeline::OutKind;
    let mut kinds = BTreeMap::new();
    let mut files: BTreeMap<&str, _> = BTreeMap::new();
    for st in stages {
        let StageKind::Lock { name } = &st.kind else {
            continue;
        };
        let flags = files.entry(st.file.as_str()).or_insert_with(|| {
            let yaml = st.file.strip_suffix("dvc.lock").unwrap_or("").to_string() + "dvc.yaml";
            crate::data::pipeline::read_flags(&repo.root.join(yaml))
        });
        let Some(stage) = flags.get(name) else {
            continue;
        };
        for o in &st.outs {
            let kind = match stage.outs.get(&o.out.path).map(|f| f.kind) {
                Some(OutKind::Metric) => "metrics",
                Some(OutKind::Plot) => "plots",
                _ => continue,
            };
            kinds.insert(o.rel.clone(), kind);
        }
    }
    kinds
}

/// Run a transfer.
pub fn run(ctx: &Context, dir: Direction, args: TransferArgs, extra: Extra) -> CommandResult {
    if args.run_cache {
        return Err(refuse_run_cache(dir.verb()));
    }
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo).map_err(|e| {
        let direction = if dir.verb() == "push" { "to" } else { "from" };
        e.lock_prefix(format!(
            "failed to {} data {direction} the cloud - ",
            dir.verb()
        ))
    })?;
    let (stages, outs) = collect_outs(ctx, &repo, &args, &extra, dir.verb())?;
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
        // `push --verify` takes nothing on trust: every file is asked about.
        trust_remote_dirs: !extra.verify,
    };
    let choice = RemoteChoice::of_repo(&repo, args.remote.as_deref());
    match (&choice.flag, &choice.default) {
        (Some(r), _) => tracing::debug!("remote '{r}': given with -r"),
        (None, Some(r)) => tracing::debug!("remote '{r}': the default (core.remote)"),
        (None, None) => tracing::debug!("no remote given and no default remote"),
    }
    tracing::debug!("{} outs to transfer ({direction:?})", outs.len());
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
    let outcome_warned_no_remote = (!outcome.without_remote.is_empty()).then(|| {
        // dvc only warns; everything that needed the remote is in the cache already.
        eprintln!("No remote provided and no default remote set.");
    });
    if extra.verify && dir == Direction::Push {
        verify_uploads(&repo, &outcome)?;
    }
    let mut summary = outcome
        .into_summary()
        .map_err(|e| transfer_failed(dir.verb(), e))?;
    if dir != Direction::Push {
        let mut imported = fetch_imports(ctx, &repo, &stages);
        let versioned = super::import_url::fetch_versioned(ctx, &repo, &stages);
        if versioned.0 > 0
            && outcome_warned_no_remote.is_none()
            && choice.flag.is_none()
            && choice.default.is_none()
        {
            // dvc warns of the missing remote before it reads the versions from the URL.
            eprintln!("No remote provided and no default remote set.");
        }
        imported.fetched += versioned.0;
        imported.failed.extend(versioned.1);
        let hashless = super::fs_cache::fetch(ctx, &repo, &stages);
        imported.fetched += hashless.0;
        imported.failed.extend(hashless.1);
        summary.transferred += imported.fetched;
        for (file, e) in imported.failed {
            let error = TransferError::Io(crate::data::io::IoError {
                op: "fetch the import",
                path: repo.root.join(&file),
                source: std::io::Error::other(e),
            });
            summary.failed_named.push((file, error));
        }
    }
    if extra.allow_missing {
        // `pull --allow-missing`: what the remote lacks is reported as missing (a
        // warning), not as a failed download, as dvc does.
        let (missing, failed): (Vec<_>, Vec<_>) = std::mem::take(&mut summary.failed)
            .into_iter()
            .partition(|f| f.error.is_not_found());
        summary.failed = failed;
        summary
            .missing
            .extend(missing.into_iter().map(|f| f.object));
    }
    let remote = choice.flag.clone().or(choice.default.clone());
    let extra = Extra { remote, ..extra };
    report(ctx, &repo, dir, &outs, &summary, &stages, &extra)
}

/// `push --verify`: each object this push uploaded, checked on its remote the way
/// `verify -r --fast` checks it. A problem fails the push, naming the object and the
/// paths that use it.
fn verify_uploads(repo: &Repo, outcome: &transfer::Outcome) -> CommandResult {
    let mut bad = 0;
    for r in &outcome.remotes {
        let Ok(summary) = &r.result else { continue };
        if summary.uploaded.is_empty() {
            continue;
        }
        let remote = repo
            .open_remote(Some(&r.name))
            .map_err(|e| transfer_failed("push", e))?;
        let users: super::verify::Users = summary
            .uploaded
            .iter()
            .map(|o| ((o.oid().to_string(), o.legacy), Vec::new()))
            .collect();
        let checked = super::verify::check_remote(repo, &remote, &users, true)?;
        bad += super::verify::report(
            "remote",
            &repo.odb,
            &users,
            &checked.problems,
            Some(&remote),
        );
    }
    if bad > 0 {
        return Err(CommandError::failed(format!(
            "failed to push data to the cloud - {bad} uploaded {} failed verification on the remote",
            if bad == 1 { "object" } else { "objects" }
        )));
    }
    Ok(())
}

/// What fetching the data of imports from their sources did.
#[derive(Default)]
struct Imported {
    /// Files downloaded.
    fetched: usize,
    /// (stage file, why) for imports whose data could not be fetched.
    failed: Vec<(String, String)>,
}

/// `fetch`/`pull` of `dvc import` stages: data missing from the cache comes from the
/// import's source at its `rev_lock` (its cache, remote, or its own source for a chained
/// import), verified by md5, as dvc does.
fn fetch_imports(ctx: &Context, repo: &Repo, stages: &[Stage]) -> Imported {
    let mut done = Imported::default();
    for st in stages.iter().filter(|s| s.repo_import) {
        let Some(o) = st.outs.first() else { continue };
        let Some(md5) = o.out.md5.clone() else {
            continue;
        };
        let complete = repo.odb.exists_verified(&md5, false)
            && (!o.out.is_dir()
                || transfer::Object::parse(&md5, false)
                    .and_then(|d| transfer::read_tree(&repo.odb, &d))
                    .is_some_and(|t| {
                        t.entries
                            .iter()
                            .all(|e| repo.odb.exists(&e.md5.hex(), false))
                    }));
        if complete {
            continue;
        }
        let text = match fs_err::read_to_string(repo.root.join(&st.file)) {
            Ok(t) => t,
            Err(e) => {
                done.failed.push((st.file.clone(), e.to_string()));
                continue;
            }
        };
        let cwd = ctx.cwd().unwrap_or_else(|_| repo.root.clone());
        let options = crate::worktree::registry::ImportFetch {
            cwd: &cwd,
            repo_options: ctx.env.repo_options(),
            jobs: ctx.jobs_flag,
        };
        match crate::worktree::registry::fetch_import(repo, &text, &md5, o.out.is_dir(), &options) {
            Ok(n) => done.fetched += n,
            Err(e) => done.failed.push((st.file.clone(), e)),
        }
    }
    done
}

fn report(
    ctx: &Context,
    repo: &Repo,
    dir: Direction,
    outs: &[(String, Out)],
    summary: &Summary,
    stages: &[Stage],
    extra: &Extra,
) -> CommandResult {
    for f in &summary.failed {
        eprintln!(
            "ERROR: failed to transfer '{}' - {}",
            f.object.oid(),
            f.error
        );
    }
    for (name, error) in &summary.failed_named {
        eprintln!("ERROR: failed to transfer '{name}' - {error}");
    }
    if !summary.missing.is_empty() {
        // dvc names the outs of missing objects when pushing only.
        let names = if dir == Direction::Push {
            transfer::object_names(&repo.odb, outs.iter().map(|(r, o)| (r.as_str(), o)))
        } else {
            Default::default()
        };
        let mut text = String::from(
            "WARNING: Some of the cache files do not exist neither locally nor on remote. Missing cache files:\n",
        );
        for o in &summary.missing {
            match names.get(o) {
                Some(n) => text.push_str(&format!("name: {n}, md5: {}\n", o.oid())),
                None => text.push_str(&format!("md5: {}\n", o.oid())),
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
            super::ui::plural(failed)
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
        Direction::Pull => return pull_checkout(ctx, repo, stages, summary, extra),
    }
    Ok(())
}

fn pull_checkout(
    ctx: &Context,
    repo: &Repo,
    stages: &[Stage],
    summary: &Summary,
    extra: &Extra,
) -> CommandResult {
    let opts = CheckoutOptions {
        on_unsaved: if extra.force {
            OnUnsaved::Overwrite
        } else {
            OnUnsaved::Fail
        },
        relink: false,
    };
    let stages = crate::worktree::fs_cache::resolve_for_checkout(repo, stages);
    let report = checkout::checkout(repo, &stages, opts)
        .map_err(|e| CommandError::with_source(ErrorKind::Unhandled, e))?;
    let mut text = String::new();
    for (rel, is_dir, change) in &report.changes {
        text.push_str(&format!(
            "{}       {}{}\n",
            change.letter(),
            rel,
            if *is_dir { "/" } else { "" }
        ));
    }
    let checkout::Stats {
        added,
        modified,
        deleted,
    } = report.stats;
    if !ctx.quiet {
        print!("{text}");
    }
    for e in &report.errors {
        eprintln!("ERROR: {e}");
    }
    if !report.missing.is_empty() && !extra.allow_missing {
        let mut e = CommandError::unhandled(format!(
            "Checkout failed for following targets:\n{}\nIs your cache up to date?\n<https://error.dvc.org/missing-files>",
            report.missing.join("\n")
        ));
        if let Ok(cwd) = ctx.cwd() {
            e.hints = super::checkout::missing_hints(
                repo,
                &cwd,
                &report.missing,
                extra.remote.as_deref(),
            );
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
    revisions: Revisions,
    target_options: TargetOptions,
) -> CommandResult {
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo)?;
    let cwd = ctx.cwd()?;
    let abs = abs_targets(&cwd, targets);
    let stages = repo.stages_for_targets_with(&abs, target_options)?;
    let mut outs: Vec<(String, Out)> = stages
        .iter()
        .filter(|s| !s.repo_import)
        .flat_map(|s| s.outs.iter().map(|o| (o.rel.clone(), o.out.clone())))
        .collect();
    // dvc's `used_objs` over the workspace and every revision in scope.
    if revisions.any() {
        let target_rels: Vec<String> = abs.iter().filter_map(|t| repo.rel(t)).collect();
        outs.extend(revision_outs(&repo, revisions, &target_rels)?);
    }
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
                all.extend(tree.entries.iter().map(|e| Object::file(e.md5, o.legacy)));
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
                        .map(|e| Object::file(e.md5, dir.legacy))
                        .collect()
                });
                (objects.contains(&dir) && !repo.odb.exists_verified(&dir.oid(), dir.legacy))
                    .then(|| (dir, entries.unwrap_or_default()))
            })
            .collect();
        if !listed.is_empty() {
            let dirs: Vec<Object> = listed.iter().map(|(d, _)| *d).collect();
            let states = transfer::compare(&repo.odb, &remote, &dirs, &options)
                .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
            let mut text = String::new();
            for ((dir, entries), st) in listed.iter().zip(states) {
                if st == CloudState::Missing {
                    all.retain(|o| o != dir && !entries.contains(o));
                    text.push_str(&format!("name: None, md5: {}\n", dir.oid()));
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
            let label = names.get(o).cloned().unwrap_or_else(|| o.oid().to_string());
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

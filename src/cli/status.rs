//! `status`: which outs differ from their pointers or are missing from the cache.

use super::context::abs_targets;
use super::{CommandError, CommandResult, Context};
use crate::data::repo::TargetOptions;
use crate::data::status;

/// Arguments of `status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Limit to these `.dvc` files or out paths.
    pub targets: Vec<String>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// Compare the cache with a remote.
    #[arg(short = 'c', long = "cloud")]
    pub cloud: bool,
    /// Remote for `-c`.
    #[arg(short = 'r', long = "remote")]
    pub remote: Option<String>,
    /// With `-c`: also the data of every local branch.
    #[arg(short = 'a', long = "all-branches")]
    pub all_branches: bool,
    /// With `-c`: also the data of every tag.
    #[arg(short = 'T', long = "all-tags")]
    pub all_tags: bool,
    /// With `-c`: also the data of every commit.
    #[arg(short = 'A', long = "all-commits")]
    pub all_commits: bool,
    /// Also the stages that produce the target stages' dependencies.
    #[arg(short = 'd', long = "with-deps")]
    pub with_deps: bool,
    /// A directory target means every stage file inside it.
    #[arg(short = 'R', long = "recursive")]
    pub recursive: bool,
    /// Ignore updates to imported data.
    #[arg(long = "no-updates")]
    pub no_updates: bool,
}

/// dvc's `update available` for the import stage in `file`: `Some("<path> (<url>)")`
/// when its source revision (`rev`, else the source's `HEAD`) is not its `rev_lock`. A
/// source that cannot be read is reported as no update, with a warning.
fn import_update(ctx: &Context, repo: &crate::data::repo::Repo, file: &str) -> Option<String> {
    let text = fs_err::read_to_string(repo.root.join(file)).ok()?;
    let import = crate::data::dvcfile::parse(&text).ok()?.import?;
    let rev_lock = import.rev_lock.clone()?;
    let (cache, _guard) = super::source::clone_cache(Some(&repo.root)).ok()?;
    let cwd = ctx.cwd().ok()?;
    match crate::worktree::registry::resolve_rev(&import.url, import.rev.as_deref(), &cwd, &cache) {
        Ok(commit) if commit != rev_lock => Some(format!(
            "{} ({})",
            import.path,
            super::source::masked(&import.url)
        )),
        Ok(_) => None,
        Err(e) => {
            if !ctx.quiet {
                eprintln!("WARNING: cannot check '{file}' for updates: {e}");
            }
            None
        }
    }
}

/// Ask watchman what changed since the last status, unless `gitdvc.watchman=false`
/// (read through gix: no git process).
fn attach_watchman(ctx: &Context, repo: &mut crate::data::repo::Repo) {
    let setting = crate::git::index::GixRepo::open(
        &repo.root,
        ctx.env.git_dir.as_deref().filter(|p| p.is_absolute()),
    )
    .ok()
    .and_then(|g| g.config_bool("gitdvc.watchman"));
    crate::worktree::watchman::attach(repo, &ctx.env, setting);
}

/// Run `status`.
pub fn run(ctx: &Context, args: StatusArgs) -> CommandResult {
    let target_options = TargetOptions {
        recursive: args.recursive,
        with_deps: args.with_deps,
    };
    if args.cloud || args.remote.is_some() {
        let revisions = super::transfer::Revisions {
            all_branches: args.all_branches,
            all_tags: args.all_tags,
            all_commits: args.all_commits,
        };
        return super::transfer::cloud_status(
            ctx,
            &args.targets,
            args.remote.as_deref(),
            args.json,
            revisions,
            target_options,
        );
    }
    let mut repo = ctx.open_repo()?;
    attach_watchman(ctx, &mut repo);
    // dvc's `status`: these only mean something against a remote.
    let meaningless: Vec<&str> = [
        ("--all-branches", args.all_branches),
        ("--all-tags", args.all_tags),
        ("--all-commits", args.all_commits),
        ("--jobs", ctx.jobs_flag.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, given)| given.then_some(name))
    .collect();
    if !meaningless.is_empty() {
        return Err(CommandError::failed(format!(
            "The following options are meaningless for local status: {}",
            meaningless.join(", ")
        )));
    }
    let _lock = ctx.lock(&repo)?;
    let cwd = ctx.cwd()?;
    let stages = repo.stages_for_targets_with(&abs_targets(&cwd, &args.targets), target_options)?;
    let report = status::status(&repo, &stages)
        .map_err(|e| CommandError::with_source(super::error::ErrorKind::Failed, e))?;
    // Outs outside the workspace (URLs) are not checked: say so, as dvc would have asked
    // the storage.
    for st in &stages {
        for e in st
            .external
            .iter()
            .filter(|e| e.local.is_none() && !ctx.quiet)
        {
            eprintln!(
                "WARNING: skipping external output '{}' of '{}': git-dvc does not check outputs outside the workspace",
                e.location,
                st.display_name()
            );
        }
    }
    // dvc shows stage files and outs relative to the working directory, and an out
    // outside the workspace by its absolute path.
    let shown = |rel: &str| {
        if rel.starts_with('/') || rel.contains("://") {
            rel.to_string()
        } else {
            super::ui::relative_to_cwd(&repo.root.join(rel), &cwd)
        }
    };
    let shown_stage = |stage: &str| {
        if crate::data::pointer::classify(stage) == Some(crate::data::pointer::PointerKind::DvcFile)
        {
            shown(stage)
        } else {
            stage.to_string()
        }
    };
    // dvc's `_joint_status`: a frozen stage other than a `dvc import` hides its deps.
    for st in stages.iter().filter(|s| {
        s.frozen
            && !s.repo_import
            && !ctx.quiet
            && !super::import_url::is_version_aware_import(&repo, s)
    }) {
        eprintln!(
            "WARNING: stage: '{}' is frozen. Its dependencies are not going to be shown in the status output.",
            shown_stage(&st.display_name())
        );
    }
    let mut report: Vec<status::StageReport> = report
        .into_iter()
        .map(|r| status::StageReport {
            name: shown_stage(&r.name),
            deps: r.deps.into_iter().map(|(p, s)| (shown(&p), s)).collect(),
            outs: r.outs.into_iter().map(|(p, s)| (shown(&p), s)).collect(),
            changed_checksum: r.changed_checksum,
        })
        .collect();
    if !args.no_updates {
        for st in stages.iter().filter(|s| s.frozen) {
            let update = if st.repo_import {
                import_update(ctx, &repo, &st.file).map(|d| (d, status::OutState::UpdateAvailable))
            } else {
                super::import_url::versioned_dep_status(ctx, &repo, st)
            };
            let Some((dep, state)) = update else {
                continue;
            };
            let name = shown_stage(&st.display_name());
            match report.iter_mut().find(|r| r.name == name) {
                Some(r) => r.deps.insert(0, (dep, state)),
                None => {
                    // dvc lists stages in its own order; a stage reported only for its
                    // update goes where its name sorts.
                    let at = report.partition_point(|r| r.name < name);
                    report.insert(
                        at,
                        status::StageReport {
                            name,
                            deps: vec![(dep, state)],
                            outs: Vec::new(),
                            changed_checksum: false,
                        },
                    );
                }
            }
        }
    }
    if ctx.quiet {
        // dvc: `-q` prints nothing; exit 1 when something changed, except with `--json`.
        return if report.is_empty() || args.json {
            Ok(())
        } else {
            Err(CommandError::silent(1))
        };
    }
    if args.json {
        let mut obj = serde_json::Map::new();
        for r in &report {
            let mut entry = Vec::new();
            if !r.deps.is_empty() {
                let mut m = serde_json::Map::new();
                for (p, s) in &r.deps {
                    m.insert(p.clone(), serde_json::Value::String(s.word().into()));
                }
                entry.push(serde_json::json!({ "changed deps": m }));
            }
            if !r.outs.is_empty() {
                let mut m = serde_json::Map::new();
                for (p, s) in &r.outs {
                    m.insert(p.clone(), serde_json::Value::String(s.word().into()));
                }
                entry.push(serde_json::json!({ "changed outs": m }));
            }
            if r.changed_checksum {
                entry.push(serde_json::Value::String("changed checksum".into()));
            }
            obj.insert(r.name.clone(), serde_json::Value::Array(entry));
        }
        // dvc prints json.dumps default separators.
        println!(
            "{}",
            super::ui::python_json(&serde_json::Value::Object(obj))
        );
        return Ok(());
    }
    if report.is_empty() {
        if stages.is_empty() && args.targets.is_empty() {
            println!(
                "There are no data or pipelines tracked in this project yet.\nSee <https://dvc.org/doc/start> to get started!"
            );
        } else {
            println!("Data and pipelines are up to date.");
        }
        return Ok(());
    }
    let mut text = String::new();
    for r in &report {
        text.push_str(&format!("{}:\n", r.name));
        if !r.deps.is_empty() {
            text.push_str("\tchanged deps:\n");
        }
        for (p, s) in &r.deps {
            text.push_str(&format!("\t\t{:<20}{p}\n", format!("{}:", s.word())));
        }
        if !r.outs.is_empty() {
            text.push_str("\tchanged outs:\n");
        }
        for (p, s) in &r.outs {
            text.push_str(&format!("\t\t{:<20}{p}\n", format!("{}:", s.word())));
        }
        if r.changed_checksum {
            text.push_str("\tchanged checksum\n");
        }
    }
    print!("{text}");
    Ok(())
}

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
    /// Ignore updates to imported data (git-dvc never checks the sources of imports, so
    /// this is what it always does).
    #[arg(long = "no-updates")]
    pub no_updates: bool,
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
    let repo = ctx.open_repo()?;
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
    for st in stages
        .iter()
        .filter(|s| s.frozen && !s.repo_import && !ctx.quiet)
    {
        eprintln!(
            "WARNING: stage: '{}' is frozen. Its dependencies are not going to be shown in the status output.",
            shown_stage(&st.display_name())
        );
    }
    let report: Vec<status::StageReport> = report
        .into_iter()
        .map(|r| status::StageReport {
            name: shown_stage(&r.name),
            deps: r.deps.into_iter().map(|(p, s)| (shown(&p), s)).collect(),
            outs: r.outs.into_iter().map(|(p, s)| (shown(&p), s)).collect(),
            changed_checksum: r.changed_checksum,
        })
        .collect();
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

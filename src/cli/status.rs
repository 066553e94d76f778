//! `status`: which outs differ from their pointers or are missing from the cache.

use super::context::abs_targets;
use super::{CommandError, CommandResult, Context};
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
}

/// Run `status`.
pub fn run(ctx: &Context, args: StatusArgs) -> CommandResult {
    if args.cloud || args.remote.is_some() {
        return super::transfer::cloud_status(
            ctx,
            &args.targets,
            args.remote.as_deref(),
            args.json,
        );
    }
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo)?;
    let cwd = ctx.cwd()?;
    let stages = repo.stages_for_targets(&abs_targets(&cwd, &args.targets))?;
    let report = status::status(&repo, &stages)
        .map_err(|e| CommandError::with_source(super::error::ErrorKind::Failed, e))?;
    // Outs outside the workspace (URLs) are not checked: say so, as dvc would have asked
    // the storage.
    for st in &stages {
        for e in st.external.iter().filter(|e| e.local.is_none()) {
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
    let report: Vec<(String, Vec<(String, status::OutState)>)> = report
        .into_iter()
        .map(|(stage, outs)| {
            let stage = if crate::data::pointer::classify(&stage)
                == Some(crate::data::pointer::PointerKind::DvcFile)
            {
                shown(&stage)
            } else {
                stage
            };
            (
                stage,
                outs.into_iter().map(|(p, s)| (shown(&p), s)).collect(),
            )
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
        for (stage, outs) in &report {
            let mut m = serde_json::Map::new();
            for (p, s) in outs {
                m.insert(p.clone(), serde_json::Value::String(s.word().into()));
            }
            let entry = serde_json::json!([{ "changed outs": m }]);
            obj.insert(stage.clone(), entry);
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
    for (stage, outs) in &report {
        text.push_str(&format!("{stage}:\n\tchanged outs:\n"));
        for (p, s) in outs {
            text.push_str(&format!("\t\t{:<20}{p}\n", format!("{}:", s.word())));
        }
    }
    print!("{text}");
    Ok(())
}

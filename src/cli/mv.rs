//! `move`: rename tracked data and its `.dvc` ([`crate::data::mv`]), then move the
//! `.gitignore` entry and stage both pointers in git (spec §10.6).

use super::context::abs_targets;
use super::error::ErrorKind;
use super::scm::Scm;
use super::{CommandError, CommandResult, Context};
use crate::data::mv;

/// Arguments of `move`.
#[derive(Debug, clap::Args)]
pub struct MoveArgs {
    /// The tracked file or directory.
    pub src: String,
    /// The new path (an existing directory means "into it").
    pub dst: String,
}

/// Run `move`.
pub fn run(ctx: &Context, args: MoveArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo).map_err(|e| {
        e.lock_prefix(format!(
            "failed to move '{}' -> '{}' - ",
            args.src, args.dst
        ))
    })?;
    let cwd = ctx.cwd()?;
    let targets = abs_targets(&cwd, &[args.src.clone(), args.dst.clone()]);
    let src = targets[0].clone();
    let dst = mv::destination(&src, &targets[1]);
    if repo.rel(&dst).is_none() {
        return Err(CommandError::failed(format!(
            "'{}' is outside of the DVC repository",
            args.dst
        )));
    }
    let src_rel = repo.rel(&src).unwrap_or_default();
    let stages = repo.collect_stages()?;
    let Some(stage) = mv::find_stage(&stages, &src_rel) else {
        return Err(CommandError::failed(format!(
            "failed to move '{}' -> '{}' - Unable to find DVC file with output '{}'",
            args.src, args.dst, args.src
        )));
    };
    let moved = mv::move_out(&repo, stage, &src, &dst).map_err(|e| match e {
        mv::Error::UnsafePath(p) => CommandError::failed(p),
        other => CommandError::with_source(ErrorKind::Failed, other),
    })?;
    if let Some(mut scm) = Scm::open(&repo.root, &repo.config) {
        let old_name = src.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let gitignore = |e| CommandError::context(ErrorKind::Failed, "cannot update .gitignore", e);
        scm.unignore(src.parent().unwrap_or(&repo.root), old_name)
            .map_err(gitignore)?;
        scm.ignore(moved.dst.parent().unwrap_or(&repo.root), &moved.name)
            .map_err(gitignore)?;
        scm.stage(moved.old_dvc);
        scm.stage(moved.new_dvc);
        if let Some(hint) = scm.flush()? {
            ctx.out(hint);
        }
    }
    Ok(())
}

//! `move`: rename tracked data and its `.dvc` (written fresh, as dvc does: comments are
//! not kept), and move the `.gitignore` entry (spec §10.6).

use super::context::{abs_targets, repo_error};
use super::scm::Scm;
use super::{CommandError, CommandResult, Context};
use crate::data::dvcfile;

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
    let _lock = ctx.lock(&repo)?;
    let cwd = ctx.cwd()?;
    let targets = abs_targets(&cwd, &[args.src.clone(), args.dst.clone()]);
    let (src, mut dst) = (targets[0].clone(), targets[1].clone());
    if dst.is_dir() {
        if let Some(name) = src.file_name() {
            dst = dst.join(name);
        }
    }
    let src_rel = repo.rel(&src).unwrap_or_default();
    let dst_rel = repo.rel(&dst).ok_or_else(|| CommandError::failed(format!("'{}' is outside of the DVC repository", args.dst)))?;
    crate::data::pathsafe::check_relpath(&dst_rel).map_err(CommandError::failed)?;
    let stages = repo.collect_stages().map_err(repo_error)?;
    let found = stages.iter().find(|st| matches!(st.kind, crate::data::repo::StageKind::DvcFile) && st.outs.len() == 1 && st.outs[0].rel == src_rel);
    let Some(stage) = found else {
        return Err(CommandError::failed(format!("failed to move '{}' -> '{}' - Unable to find DVC file with output '{}'", args.src, args.dst, args.src)));
    };
    let old_dvc = repo.root.join(&stage.file);
    let mut out = stage.outs[0].out.clone();
    let (dst_parent_rel, name) = match dst_rel.rsplit_once('/') {
        Some((p, n)) => (p.to_string(), n.to_string()),
        None => (String::new(), dst_rel.clone()),
    };
    out.path = name.clone();
    let new_dvc_rel = crate::data::repo::join_rel(&dst_parent_rel, &format!("{name}.dvc"));
    let new_dvc = repo.root.join(&new_dvc_rel);
    if let Some(p) = dst.parent() {
        std::fs::create_dir_all(p).map_err(|e| CommandError::failed(format!("cannot create '{}': {e}", p.display())))?;
    }
    std::fs::rename(&src, &dst).map_err(|e| CommandError::failed(format!("cannot move '{}': {e}", args.src)))?;
    std::fs::write(&new_dvc, dvcfile::render_new(&[out])).map_err(|e| CommandError::failed(format!("cannot write '{new_dvc_rel}': {e}")))?;
    if old_dvc != new_dvc {
        std::fs::remove_file(&old_dvc).map_err(|e| CommandError::failed(format!("cannot remove '{}': {e}", stage.file)))?;
    }
    if let Some(mut scm) = Scm::open(&repo.root, repo.config.core_no_scm()) {
        let old_name = src.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        scm.unignore(src.parent().unwrap_or(&repo.root), old_name).map_err(|e| CommandError::failed(format!("cannot update .gitignore: {e}")))?;
        scm.ignore(dst.parent().unwrap_or(&repo.root), &name).map_err(|e| CommandError::failed(format!("cannot update .gitignore: {e}")))?;
        scm.stage(old_dvc);
        scm.stage(new_dvc);
        scm.flush().map_err(|e| CommandError::failed(format!("git failed: {e}")))?;
    }
    Ok(())
}

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
    if dst.is_dir()
        && let Some(name) = src.file_name()
    {
        dst = dst.join(name);
    }
    let src_rel = repo.rel(&src).unwrap_or_default();
    let dst_rel = repo.rel(&dst).ok_or_else(|| {
        CommandError::failed(format!("'{}' is outside of the DVC repository", args.dst))
    })?;
    crate::data::pathsafe::check_relpath(&dst_rel).map_err(CommandError::failed)?;
    let stages = repo.collect_stages().map_err(repo_error)?;
    let found = stages.iter().find(|st| {
        matches!(st.kind, crate::data::repo::StageKind::DvcFile)
            && st.outs.len() == 1
            && st.outs[0].rel == src_rel
    });
    let Some(stage) = found else {
        return Err(CommandError::failed(format!(
            "failed to move '{}' -> '{}' - Unable to find DVC file with output '{}'",
            args.src, args.dst, args.src
        )));
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
        std::fs::create_dir_all(p)
            .map_err(|e| CommandError::failed(format!("cannot create '{}': {e}", p.display())))?;
    }
    std::fs::rename(&src, &dst)
        .map_err(|e| CommandError::failed(format!("cannot move '{}': {e}", args.src)))?;
    let old_text = std::fs::read_to_string(&old_dvc).unwrap_or_default();
    let text = moved_text(&old_text, &name).unwrap_or_else(|| dvcfile::render_new(&[out]));
    std::fs::write(&new_dvc, text)
        .map_err(|e| CommandError::failed(format!("cannot write '{new_dvc_rel}': {e}")))?;
    if old_dvc != new_dvc {
        std::fs::remove_file(&old_dvc)
            .map_err(|e| CommandError::failed(format!("cannot remove '{}': {e}", stage.file)))?;
    }
    if let Some(mut scm) = Scm::open(&repo.root, repo.config.core_no_scm()) {
        let old_name = src.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        scm.unignore(src.parent().unwrap_or(&repo.root), old_name)
            .map_err(|e| CommandError::failed(format!("cannot update .gitignore: {e}")))?;
        scm.ignore(dst.parent().unwrap_or(&repo.root), &name)
            .map_err(|e| CommandError::failed(format!("cannot update .gitignore: {e}")))?;
        scm.stage(old_dvc);
        scm.stage(new_dvc);
        scm.flush()
            .map_err(|e| CommandError::failed(format!("git failed: {e}")))?;
    }
    Ok(())
}

/// dvc writes the moved `.dvc` fresh: comments are lost, everything else (desc, meta, ...)
/// is kept, and `path` gets the new name. For the block style dvc writes, that is the old
/// text without comment lines and inline comments, with the `path` value replaced.
fn moved_text(text: &str, new_path: &str) -> Option<String> {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    let mut replaced = false;
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let line = match line.find(" #") {
            Some(i) if !line.contains('\'') && !line.contains('"') => line[..i].trim_end(),
            _ => line,
        };
        let path_prefix = ["  path:", "- path:"]
            .into_iter()
            .find(|p| line == *p || line.starts_with(&format!("{p} ")));
        if let Some(prefix) = path_prefix {
            // Skip folded continuation lines of the old value.
            while lines.peek().is_some_and(|n| n.starts_with("    ")) {
                lines.next();
            }
            out.push_str(&prefix[..2]);
            out.push_str(&crate::data::yaml::key_value("path", new_path, 2, 2));
            out.push('\n');
            replaced = true;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // Only when the result is still a valid pointer with one out.
    let ok = replaced
        && dvcfile::parse(&out).is_ok_and(|f| f.outs.len() == 1 && f.outs[0].path == new_path);
    ok.then_some(out)
}

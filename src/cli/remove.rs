//! `remove`: stop tracking (delete the `.dvc` and its `.gitignore` entries), optionally
//! deleting the data too (`--outs`).

use super::context::abs_targets;
use super::error::ErrorKind;
use super::scm::Scm;
use super::{CommandError, CommandResult, Context};

/// Arguments of `remove`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// `.dvc` files to remove.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// Also delete the outs' data from the workspace.
    #[arg(long)]
    pub outs: bool,
}

/// Run `remove`.
pub fn run(ctx: &Context, args: RemoveArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo)?;
    let cwd = ctx.cwd()?;
    let mut scm = Scm::open(&repo.root, &repo.config);
    for (abs, given) in abs_targets(&cwd, &args.targets).iter().zip(&args.targets) {
        let rel = repo.rel(abs).unwrap_or_default();
        if crate::data::pointer::classify(&rel) != Some(crate::data::pointer::PointerKind::DvcFile)
        {
            return Err(CommandError::failed(format!(
                "'{given}' is not a .dvc file. Do you mean '{given}.dvc'?: 'dvc.yaml' does not exist"
            )));
        }
        if !abs.is_file() {
            return Err(CommandError::failed(format!(
                "'{}' does not exist",
                abs.display()
            )));
        }
        let stages = repo.load_stage_file(&rel)?;
        for st in &stages {
            for o in &st.outs {
                if let Some(scm) = scm.as_mut()
                    && o.out.cache
                {
                    let (dir, name) = o.gitignore_slot(&repo.root);
                    scm.unignore(dir, name).map_err(|e| {
                        CommandError::context(ErrorKind::Failed, "cannot update .gitignore", e)
                    })?;
                }
                if args.outs {
                    let r = if o.abs.is_dir() {
                        fs_err::remove_dir_all(&o.abs)
                    } else {
                        fs_err::remove_file(&o.abs)
                    };
                    if let Err(e) = r
                        && e.kind() != std::io::ErrorKind::NotFound
                    {
                        return Err(CommandError::failed(format!(
                            "cannot remove '{}': {e}",
                            o.rel
                        )));
                    }
                }
            }
        }
        fs_err::remove_file(abs).map_err(|e| {
            CommandError::context(ErrorKind::Failed, format!("cannot remove '{given}'"), e)
        })?;
        if let Some(scm) = scm.as_mut() {
            scm.stage(abs.clone());
        }
    }
    if let Some(scm) = scm.as_mut() {
        scm.flush()
            .map_err(|e| CommandError::context(ErrorKind::Failed, "git failed", e))?;
    }
    Ok(())
}

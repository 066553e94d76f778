//! `add`: start tracking files or directories (or update them), then ignore and stage.

use super::context::abs_targets;
use super::error::ErrorKind;
use super::scm::Scm;
use super::{CommandError, CommandResult, Context};
use crate::data::commit;

/// Arguments of `add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Files or directories to track.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// Write the `.dvc` file without putting the data into the cache.
    #[arg(long = "no-commit")]
    pub no_commit: bool,
}

/// Run `add`.
pub fn run(ctx: &Context, args: AddArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let cwd = ctx.cwd()?;
    let targets = abs_targets(&cwd, &args.targets);
    let _lock = ctx.lock_for_write(&repo, &targets)?;
    let mut scm = Scm::open(&repo.root, repo.config.core_no_scm());
    let stages = repo.collect_stages()?;
    for (t, given) in targets.iter().zip(&args.targets) {
        let rel = repo.rel(t).unwrap_or_default();
        if rel == ".dvc" || rel.starts_with(".dvc/") {
            return Err(CommandError::failed(commit::Error::InDvcDir(
                t.display().to_string(),
            )));
        }
        if crate::data::pointer::classify(&rel) == Some(crate::data::pointer::PointerKind::DvcFile)
        {
            // dvc's `OutputIsStageFileError` names the file only.
            let name = rel.rsplit('/').next().unwrap_or(&rel);
            return Err(CommandError::failed(format!(
                "DVC file '{name}' cannot be an output."
            )));
        }
        if let Some(scm) = &scm
            && !rel.is_empty()
            && scm.is_tracked(&rel)
        {
            return Err(CommandError::failed(format!(
                " output '{given}' is already tracked by SCM (e.g. Git).\n    You can remove it from Git, then add to DVC.\n        To stop tracking from Git:\n            git rm -r --cached '{given}'\n            git commit -m \"stop tracking {given}\" "
            )));
        }
        let outcome =
            commit::add(&repo, t, &stages, args.no_commit).map_err(|e| add_error(e, given))?;
        if let Some(scm) = scm.as_mut() {
            if let Some((dir, name)) = &outcome.ignore {
                scm.ignore(dir, name).map_err(|e| {
                    CommandError::context(ErrorKind::Failed, "cannot update .gitignore", e)
                })?;
            }
            scm.stage(repo.root.join(&outcome.dvcfile));
        }
    }
    if let Some(scm) = scm.as_mut() {
        scm.flush()
            .map_err(|e| CommandError::context(ErrorKind::Failed, "git add failed", e))?;
    }
    Ok(())
}

fn add_error(e: commit::Error, given: &str) -> CommandError {
    match e {
        commit::Error::Missing { abs, .. } => CommandError::failed(format!(
            "output '{given}' does not exist: [Errno 2] No such file or directory: '{abs}'"
        )),
        commit::Error::Repo(r) => CommandError::from(r),
        // dvc treats this one as an unhandled error (exit 255).
        commit::Error::Status(crate::data::status::Error::Walk(
            w @ crate::data::walk::Error::NestedDvcIgnore(_),
        ))
        | commit::Error::Walk(w @ crate::data::walk::Error::NestedDvcIgnore(_)) => {
            CommandError::new(ErrorKind::Unhandled, w)
        }
        other => CommandError::with_source(ErrorKind::Failed, other),
    }
}

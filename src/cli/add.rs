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
    let mut scm = Scm::open(&repo.root, &repo.config);
    let stages = repo.collect_stages()?;
    // dvc checks every target before it writes anything.
    for (t, given) in targets.iter().zip(&args.targets) {
        commit::check_add_target(&repo, t, &stages, git_index(&scm))
            .map_err(|e| add_error(e, given))?;
    }
    for (t, given) in targets.iter().zip(&args.targets) {
        let outcome = commit::add(&repo, t, &stages, args.no_commit, git_index(&scm))
            .map_err(|e| add_error(e, given))?;
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
        let hint = scm
            .flush()
            .map_err(|e| CommandError::context(ErrorKind::Failed, "git add failed", e))?;
        if let Some(hint) = hint {
            ctx.out(hint);
        }
    }
    Ok(())
}

fn git_index(scm: &Option<Scm>) -> Option<&dyn commit::GitIndex> {
    scm.as_ref().map(|s| s as &dyn commit::GitIndex)
}

fn add_error(e: commit::Error, given: &str) -> CommandError {
    match e {
        commit::Error::TrackedByScm(_) => CommandError::failed(format!(
            " output '{given}' is already tracked by SCM (e.g. Git).\n    You can remove it from Git, then add to DVC.\n        To stop tracking from Git:\n            git rm -r --cached '{given}'\n            git commit -m \"stop tracking {given}\" "
        )),
        commit::Error::GitIgnoreOut(ref rel) => {
            let hint = format!("track it with git instead: `git add {rel}`");
            CommandError::with_source(ErrorKind::Failed, e).hint(hint)
        }
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

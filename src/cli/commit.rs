//! `commit`: record workspace changes of tracked outs in their pointers and the cache.

use super::error::ErrorKind;
use super::scm::Scm;
use super::{CommandError, CommandResult, Context};
use crate::data::commit;
use crate::data::status::{self, OutState};

/// Arguments of `commit`.
#[derive(Debug, clap::Args)]
pub struct CommitArgs {
    /// Limit to these `.dvc` files or outs.
    pub targets: Vec<String>,
    /// Commit even if the data changed (no prompt).
    #[arg(short, long)]
    pub force: bool,
}

/// Run `commit`.
pub fn run(ctx: &Context, args: CommitArgs) -> CommandResult {
    let (repo, _cwd, stages, _lock) = ctx.open_targets_for_write(&args.targets, |e| {
        super::error::targets_failed("failed to commit - ", e)
    })?;
    let fail = |e: &dyn std::error::Error| {
        CommandError::new(ErrorKind::Failed, format!("failed to commit - {e}"))
    };
    if !args.force {
        for st in &stages {
            for o in &st.outs {
                let s = status::out_status(&repo, o).map_err(|e| fail(&e))?;
                if matches!(s, OutState::Modified | OutState::New) {
                    let what = if args.targets.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", args.targets.join(" "))
                    };
                    return Err(CommandError::failed(format!(
                        "failed to commit{what} - unable to commit changed stage: '{}'. Use `-f|--force` to force.",
                        st.display_name()
                    )));
                }
            }
        }
    }
    let mut scm = Scm::open(&repo.root, repo.config.core_no_scm());
    for st in &stages {
        let mut updates = Vec::new();
        for o in &st.outs {
            if fs_err::symlink_metadata(&o.abs).is_err() {
                continue;
            }
            let c = commit::commit_out(&repo, o, false).map_err(|e| fail(&e))?;
            // dvc re-applies the `.gitignore` entry on commit (nothing is written when git
            // already ignores the path).
            if let (Some(scm), true) = (scm.as_mut(), o.out.cache) {
                let (dir, name) = o.gitignore_slot(&repo.root);
                scm.ignore(dir, name).map_err(|e| {
                    CommandError::context(ErrorKind::Failed, "cannot update .gitignore", e)
                })?;
            }
            if c.changed {
                updates.push((o.index, c.update));
            }
        }
        if !updates.is_empty() {
            commit::write_updates(&repo, st, &updates).map_err(|e| fail(&e))?;
            if let Some(scm) = scm.as_mut() {
                scm.stage(repo.root.join(&st.file));
            }
        }
    }
    if let Some(scm) = scm.as_mut() {
        scm.flush()
            .map_err(|e| CommandError::context(ErrorKind::Failed, "git add failed", e))?;
    }
    Ok(())
}

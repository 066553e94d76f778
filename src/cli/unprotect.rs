//! `unprotect targets...`: turn linked workspace files into writable copies
//! ([`crate::data::unprotect`]), as `dvc unprotect` does.

use super::context::abs_targets;
use super::{CommandError, CommandResult, Context};
use crate::data::unprotect;

/// Arguments of `unprotect`.
#[derive(Debug, clap::Args)]
pub struct UnprotectArgs {
    /// Data files/directories to unprotect.
    #[arg(required = true)]
    pub targets: Vec<String>,
}

/// Run `unprotect`.
pub fn run(ctx: &Context, args: UnprotectArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let cwd = ctx.cwd()?;
    let paths = abs_targets(&cwd, &args.targets);
    let _lock = ctx.lock_for_write(&repo, &paths)?;
    let mode = unprotect::workspace_file_mode(&repo);
    for (given, abs) in args.targets.iter().zip(&paths) {
        unprotect::unprotect(abs, given, mode).map_err(|e| {
            // dvc lets its ObjectDBError escape: "unexpected error", exit 255.
            CommandError::unhandled(format!("unexpected error - {e}\n\n{}", super::ui::SUPPORT))
        })?;
    }
    Ok(())
}

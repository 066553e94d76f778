//! `destroy [-f]`: remove DVC from the repository ([`crate::data::unprotect::destroy`]),
//! after dvc's confirmation prompt unless `-f`. Like dvc, the prompt is asked on stdout and
//! answered on stdin whether or not it is a terminal, so a closed stdin refuses.

use super::{CommandError, CommandResult, Context};
use crate::data::unprotect;

/// Arguments of `destroy`.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// Force destruction.
    #[arg(short = 'f', long)]
    pub force: bool,
}

/// dvc's statement, wrapped as rich wraps it at 80 columns.
const STATEMENT: &str = "This will destroy all information about your pipelines, all data files, as well \nas cache in .dvc/cache.\nAre you sure you want to continue?";

/// Run `destroy`.
pub fn run(ctx: &Context, args: DestroyArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    if !args.force && !super::ui::confirm(STATEMENT) {
        return Err(CommandError::failed(
            "failed to destroy DVC - cannot destroy without a confirmation from the user. Use `-f` to force.",
        ));
    }
    let lock = ctx
        .lock(&repo)
        .map_err(|e| e.lock_prefix("failed to destroy DVC - "))?;
    unprotect::destroy(&repo, || drop(lock)).map_err(|e| {
        CommandError::context(super::error::ErrorKind::Failed, "failed to destroy DVC", e)
    })
}

//! `freeze` / `unfreeze`: mark stages or `.dvc` files frozen, as `dvc freeze` does (the
//! edit itself is [`crate::data::freeze`]). Each failing target is reported and the rest
//! still run; the exit code is 1 when any failed.

use super::{CommandError, CommandResult, Context};
use crate::data::freeze;

/// Arguments of `freeze` and `unfreeze`.
#[derive(Debug, clap::Args)]
pub struct FreezeArgs {
    /// Stages or .dvc files to freeze.
    #[arg(required = true)]
    pub targets: Vec<String>,
}

/// Run `freeze` (`frozen` true) or `unfreeze`.
pub fn run(ctx: &Context, args: FreezeArgs, frozen: bool) -> CommandResult {
    let repo = ctx.open_repo()?;
    let verb = if frozen { "freeze" } else { "unfreeze" };
    // dvc takes the lock for each target in turn: the first one is named.
    let _lock = ctx
        .lock(&repo)
        .map_err(|e| e.lock_prefix(format!("failed to {verb} '{}' - ", args.targets[0])))?;
    let cwd = ctx.cwd()?;
    let mut failed = false;
    for t in &args.targets {
        match freeze::set_frozen(&cwd, t, frozen) {
            Ok(outcome) => {
                if let Some((name, file)) = outcome.stage {
                    ctx.out(format!("Modifying stage '{name}' in '{file}'"));
                }
            }
            Err(e) => {
                if !ctx.quiet {
                    eprintln!("ERROR: failed to {verb} '{t}' - {e}");
                }
                failed = true;
            }
        }
    }
    if failed {
        return Err(CommandError::silent(1));
    }
    Ok(())
}

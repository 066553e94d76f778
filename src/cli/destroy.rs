//! `destroy [-f]`: remove DVC from the repository ([`crate::data::unprotect::destroy`]),
//! after dvc's confirmation prompt unless `-f`. Like dvc, the prompt is asked on stdout and
//! answered on stdin whether or not it is a terminal, so a closed stdin refuses.

use super::{CommandError, CommandResult, Context};
use crate::data::unprotect;
use std::io::{BufRead, Write};

/// Arguments of `destroy`.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// Force destruction.
    #[arg(short = 'f', long)]
    pub force: bool,
}

/// dvc's statement, wrapped as rich wraps it at 80 columns.
const STATEMENT: &str = "This will destroy all information about your pipelines, all data files, as well \nas cache in .dvc/cache.\nAre you sure you want to continue?";

/// dvc's `ui.confirm`: `<statement> [y/n]: ` on stdout, one line from stdin; EOF refuses,
/// an unknown answer asks again.
pub fn confirm(statement: &str) -> bool {
    let mut stdout = std::io::stdout();
    let stdin = std::io::stdin();
    loop {
        let _ = write!(stdout, "{statement} [y/n]: ");
        let _ = stdout.flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        match line.trim_end_matches(['\n', '\r']).to_lowercase().as_str() {
            "y" | "yes" => return true,
            "n" | "no" => return false,
            _ => {
                let _ = writeln!(
                    stdout,
                    "Your response must be one of: ['yes', 'no', 'y', 'n']. Please try again."
                );
            }
        }
    }
}

/// Run `destroy`.
pub fn run(ctx: &Context, args: DestroyArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    if !args.force && !confirm(STATEMENT) {
        return Err(CommandError::failed(
            "failed to destroy DVC - cannot destroy without a confirmation from the user. Use `-f` to force.",
        ));
    }
    let lock = ctx.lock(&repo)?;
    unprotect::destroy(&repo, || drop(lock)).map_err(|e| {
        CommandError::context(super::error::ErrorKind::Failed, "failed to destroy DVC", e)
    })
}

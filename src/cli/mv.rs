//! `mv` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `mv`.
#[derive(Debug, clap::Args)]
pub struct MoveArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `mv`.
pub fn run(_ctx: &Context, _args: MoveArgs) -> CommandResult {
    Err(CommandError::failed("`mv` is not implemented yet"))
}

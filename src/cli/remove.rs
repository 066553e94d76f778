//! `remove` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `remove`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `remove`.
pub fn run(_ctx: &Context, _args: RemoveArgs) -> CommandResult {
    Err(CommandError::failed("`remove` is not implemented yet"))
}

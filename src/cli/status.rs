//! `status` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `status`.
pub fn run(_ctx: &Context, _args: StatusArgs) -> CommandResult {
    Err(CommandError::failed("`status` is not implemented yet"))
}

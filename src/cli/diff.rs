//! `diff` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `diff`.
pub fn run(_ctx: &Context, _args: DiffArgs) -> CommandResult {
    Err(CommandError::failed("`diff` is not implemented yet"))
}

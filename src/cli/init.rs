//! `init` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `init`.
pub fn run(_ctx: &Context, _args: InitArgs) -> CommandResult {
    Err(CommandError::failed("`init` is not implemented yet"))
}

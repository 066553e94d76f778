//! `add` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `add`.
pub fn run(_ctx: &Context, _args: AddArgs) -> CommandResult {
    Err(CommandError::failed("`add` is not implemented yet"))
}

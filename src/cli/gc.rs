//! `gc` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `gc`.
#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `gc`.
pub fn run(_ctx: &Context, _args: GcArgs) -> CommandResult {
    Err(CommandError::failed("`gc` is not implemented yet"))
}

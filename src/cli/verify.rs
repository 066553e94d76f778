//! `verify` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `verify`.
pub fn run(_ctx: &Context, _args: VerifyArgs) -> CommandResult {
    Err(CommandError::failed("`verify` is not implemented yet"))
}

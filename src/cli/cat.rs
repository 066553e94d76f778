//! `cat` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `cat`.
#[derive(Debug, clap::Args)]
pub struct CatArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `cat`.
pub fn run(_ctx: &Context, _args: CatArgs) -> CommandResult {
    Err(CommandError::failed("`cat` is not implemented yet"))
}

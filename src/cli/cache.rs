//! `cache` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `cache`.
#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `cache`.
pub fn run(_ctx: &Context, _args: CacheArgs) -> CommandResult {
    Err(CommandError::failed("`cache` is not implemented yet"))
}

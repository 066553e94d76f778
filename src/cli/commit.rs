//! `commit` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `commit`.
#[derive(Debug, clap::Args)]
pub struct CommitArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `commit`.
pub fn run(_ctx: &Context, _args: CommitArgs) -> CommandResult {
    Err(CommandError::failed("`commit` is not implemented yet"))
}

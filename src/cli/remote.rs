//! `remote` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `remote`.
#[derive(Debug, clap::Args)]
pub struct RemoteArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `remote`.
pub fn run(_ctx: &Context, _args: RemoteArgs) -> CommandResult {
    Err(CommandError::failed("`remote` is not implemented yet"))
}

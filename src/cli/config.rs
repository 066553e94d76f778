//! `config` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `config`.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `config`.
pub fn run(_ctx: &Context, _args: ConfigArgs) -> CommandResult {
    Err(CommandError::failed("`config` is not implemented yet"))
}

//! `doctor` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `doctor`.
pub fn run(_ctx: &Context, _args: DoctorArgs) -> CommandResult {
    Err(CommandError::failed("`doctor` is not implemented yet"))
}

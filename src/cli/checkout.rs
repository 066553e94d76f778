//! `checkout` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `checkout`.
#[derive(Debug, clap::Args)]
pub struct CheckoutArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run `checkout`.
pub fn run(_ctx: &Context, _args: CheckoutArgs) -> CommandResult {
    Err(CommandError::failed("`checkout` is not implemented yet"))
}

//! `push`, `pull`, `fetch` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Which way data moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Upload.
    Push,
    /// Download and checkout.
    Pull,
    /// Download.
    Fetch,
}

/// Arguments of push/pull/fetch.
#[derive(Debug, clap::Args)]
pub struct TransferArgs {
    /// Arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Run a transfer.
pub fn run(_ctx: &Context, _dir: Direction, _args: TransferArgs) -> CommandResult {
    Err(CommandError::failed("transfers are not implemented yet"))
}

/// `status -c`: compare the cache with a remote.
pub fn cloud_status(
    _ctx: &Context,
    _targets: &[String],
    _remote: Option<&str>,
    _json: bool,
) -> CommandResult {
    Err(CommandError::failed("`status -c` is not implemented yet"))
}

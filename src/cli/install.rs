//! `install` / `uninstall` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// Arguments of `install`.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Install into the global git config instead of this repository.
    #[arg(long)]
    pub global: bool,
    /// Overwrite foreign configuration.
    #[arg(long, short)]
    pub force: bool,
}

/// Arguments of `uninstall`.
#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    /// Remove the global install.
    #[arg(long)]
    pub global: bool,
}

/// Run `install`.
pub fn run_install(_ctx: &Context, _args: InstallArgs) -> CommandResult {
    Err(CommandError::failed("`install` is not implemented yet"))
}

/// Run `uninstall`.
pub fn run_uninstall(_ctx: &Context, _args: UninstallArgs) -> CommandResult {
    Err(CommandError::failed("`uninstall` is not implemented yet"))
}

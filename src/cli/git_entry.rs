//! Hidden entry points called by git: `hook`, `merge-driver`, `textconv` (not implemented yet).
use super::{CommandError, CommandResult, Context};

/// `git dvc hook <name> [args]`.
#[derive(Debug, clap::Args)]
pub struct HookArgs {
    /// Hook name.
    pub name: String,
    /// Hook arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// `git dvc merge-driver --ancestor %O --our %A --their %B`.
#[derive(Debug, clap::Args)]
pub struct MergeDriverArgs {
    /// Ancestor version.
    #[arg(long)]
    pub ancestor: String,
    /// Our version (the result is written here).
    #[arg(long)]
    pub our: String,
    /// Their version.
    #[arg(long)]
    pub their: String,
}

/// `git dvc textconv <file>`.
#[derive(Debug, clap::Args)]
pub struct TextconvArgs {
    /// File to render.
    pub path: String,
}

/// Run a hook.
pub fn hook(_ctx: &Context, _args: HookArgs) -> CommandResult {
    Ok(())
}

/// Run the merge driver.
pub fn merge_driver(_ctx: &Context, _args: MergeDriverArgs) -> CommandResult {
    Err(CommandError::failed("merge driver not implemented yet"))
}

/// Run textconv.
pub fn textconv(_ctx: &Context, _args: TextconvArgs) -> CommandResult {
    Err(CommandError::failed("textconv not implemented yet"))
}

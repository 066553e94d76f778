//! `root`: the path from the working directory to the root of the DVC repository, as dvc
//! prints it (`.`, `../..`).

use super::{CommandResult, Context};
use crate::data::repo::{Repo, RepoError};

/// Arguments of `root` (none besides the global ones).
#[derive(Debug, clap::Args)]
pub struct RootArgs {}

/// Run `root`.
pub fn run(ctx: &Context, _args: RootArgs) -> CommandResult {
    let cwd = ctx.cwd()?;
    let root = Repo::find_root(&cwd).ok_or(RepoError::NotARepo)?;
    ctx.out(super::ui::relative_to_cwd(&root, &cwd));
    Ok(())
}

//! `cat`: print the cached content of a tracked file (also a file inside a tracked dir).

use super::cache::locate;
use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use std::io::Write;

/// Arguments of `cat`.
#[derive(Debug, clap::Args)]
pub struct CatArgs {
    /// A tracked file, or a file inside a tracked directory.
    pub path: String,
}

/// Run `cat`.
pub fn run(ctx: &Context, args: CatArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let found = locate(ctx, &repo, &args.path)?;
    if found.md5.ends_with(".dir") {
        return Err(CommandError::failed(format!(
            "'{}' is a directory",
            args.path
        )));
    }
    let path = repo.odb.path(&found.md5, found.legacy);
    let mut file = fs_err::File::open(&path).map_err(|_| {
        CommandError::failed(format!(
            "'{}' is not in the cache (object {})",
            args.path, found.md5
        ))
        .hint("run `git dvc fetch` to download it")
    })?;
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    match std::io::copy(&mut file, &mut lock).and_then(|_| lock.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CommandError::context(
            ErrorKind::Failed,
            "cannot write output",
            e,
        )),
    }
}

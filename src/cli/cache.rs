//! `cache path <p>` and `cache md5 <p>`: where a tracked file's object lives and its hash,
//! for outs and for files inside tracked directories.

use super::context::abs_targets;
use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::data::repo::Repo;
use crate::data::tree::Tree;

/// Arguments of `cache`.
#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    command: CacheCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CacheCommand {
    /// Print the cache path of a tracked file.
    Path {
        /// The file.
        path: String,
    },
    /// Print the md5 of a tracked file.
    Md5 {
        /// The file.
        path: String,
    },
}

/// A tracked path resolved to its object.
pub struct Located {
    /// Object id.
    pub md5: String,
    /// Legacy layout.
    pub legacy: bool,
}

/// Resolve a user path to the object recorded for it.
pub fn locate(ctx: &Context, repo: &Repo, given: &str) -> Result<Located, CommandError> {
    let cwd = ctx.cwd()?;
    let abs = abs_targets(&cwd, &[given.to_string()]).remove(0);
    let rel = repo.rel(&abs).ok_or_else(|| {
        CommandError::failed(format!("'{given}' is outside of the DVC repository"))
    })?;
    let stages = repo.collect_stages()?;
    for st in &stages {
        for o in &st.outs {
            let Some(md5) = o.out.md5.clone() else {
                continue;
            };
            let legacy = o.out.is_legacy();
            if o.rel == rel {
                return Ok(Located { md5, legacy });
            }
            if let Some(sub) = rel.strip_prefix(&format!("{}/", o.rel)) {
                let bytes = repo.odb.read(&md5, legacy).map_err(|e| {
                    CommandError::context(
                        ErrorKind::Failed,
                        format!("cannot read the manifest of '{}'", o.rel),
                        e,
                    )
                    .hint("run `git dvc fetch` to download it")
                })?;
                let tree = Tree::parse(&bytes).map_err(|e| {
                    CommandError::context(
                        ErrorKind::Failed,
                        format!("corrupt manifest of '{}'", o.rel),
                        e,
                    )
                })?;
                if let Some(e) = tree.get(sub) {
                    return Ok(Located {
                        md5: e.md5.clone(),
                        legacy,
                    });
                }
                return Err(CommandError::failed(format!(
                    "'{given}' is not tracked in '{}'",
                    o.rel
                )));
            }
        }
    }
    Err(CommandError::failed(format!(
        "'{given}' is not tracked by DVC"
    )))
}

/// Run `cache`.
pub fn run(ctx: &Context, args: CacheArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    match args.command {
        CacheCommand::Path { path } => {
            let l = locate(ctx, &repo, &path)?;
            println!("{}", repo.odb.path(&l.md5, l.legacy).display());
        }
        CacheCommand::Md5 { path } => {
            let l = locate(ctx, &repo, &path)?;
            println!("{}", l.md5);
        }
    }
    Ok(())
}

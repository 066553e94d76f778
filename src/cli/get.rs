//! `get URL PATH [-o OUT]`: download a file or directory of a repository (DVC-tracked or
//! git-tracked) without tracking it. Objects are fetched into a temporary cache, verified
//! by md5, and copied to the destination under a temporary name, then renamed.

use super::error::ErrorKind;
use super::source::{self, SourceFlags};
use super::{CommandError, CommandResult, Context};
use crate::worktree::registry;
use std::path::{Path, PathBuf};

/// Arguments of `get`.
#[derive(Debug, clap::Args)]
pub struct GetArgs {
    /// Location of DVC or Git repository to download from
    pub url: String,
    /// Path to a file or directory within the repository
    pub path: String,
    /// Destination path to download files to
    #[arg(short = 'o', long = "out", value_name = "path", num_args = 0..=1)]
    pub out: Option<String>,
    /// Git revision (e.g. SHA, branch, tag)
    #[arg(long, value_name = "commit", num_args = 0..=1, default_missing_value = "HEAD")]
    pub rev: Option<String>,
    /// Print the storage location (URL) the target data would be downloaded from, and exit.
    #[arg(long = "show-url")]
    pub show_url: bool,
    /// Override local file or folder if exists.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Path to a config file that will be merged with the config in the target repository.
    #[arg(long, value_name = "config")]
    pub config: Option<String>,
    /// Remote name to set as a default in the target repository.
    #[arg(long, value_name = "remote")]
    pub remote: Option<String>,
    /// Remote config options to merge with a remote's config (default or one specified by '--remote') in the target repository.
    #[arg(long = "remote-config", value_name = "<name>=<value>", num_args = 0..)]
    pub remote_config: Vec<String>,
}

/// dvc's `resolve_output`: the destination (inside `out` when it is a directory), and
/// the refusal when something is there without `--force`.
pub fn resolve_output(
    cwd: &Path,
    path: &str,
    out: Option<&str>,
    force: bool,
) -> Result<(String, PathBuf), String> {
    let name = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_string();
    let shown = match out {
        None | Some("") => name.clone(),
        Some(o) if cwd.join(o).is_dir() => format!("{}/{name}", o.trim_end_matches('/')),
        Some(o) => o.to_string(),
    };
    let abs = crate::data::pathsafe::normalize(&cwd.join(&shown));
    if fs_err::symlink_metadata(&abs).is_ok() && !force {
        let kind = if abs.is_dir() { "directory" } else { "file" };
        return Err(format!(
            "The {kind} '{shown}' already exists locally. \nTo override it, re-run with '--force'."
        ));
    }
    Ok((shown, abs))
}

/// Run `get`.
pub fn run(ctx: &Context, args: GetArgs) -> CommandResult {
    let cwd = ctx.cwd()?;
    let project = crate::data::repo::Repo::find_root(&cwd).and_then(|r| ctx.open_repo_at(&r).ok());
    let fail = |m: String| {
        CommandError::failed(format!(
            "failed to get '{}' from '{}' - {m}",
            args.path,
            crate::git::source::mask_credentials(&args.url).unwrap_or_else(|| args.url.clone())
        ))
    };
    let (_, dest) = if args.show_url {
        (String::new(), PathBuf::new())
    } else {
        resolve_output(&cwd, &args.path, args.out.as_deref(), args.force).map_err(fail)?
    };
    let (mut src, _guard) = source::open(
        ctx,
        project.as_ref(),
        SourceFlags {
            url: &args.url,
            rev: args.rev.as_deref(),
            config: args.config.as_deref(),
            remote: args.remote.as_deref(),
            remote_config: &args.remote_config,
            failure: format!(
                "failed to get '{}' from '{}'",
                args.path,
                source::masked(&args.url)
            ),
        },
    )?;
    let wanted = crate::data::registry::check_source_path(&args.path)
        .map_err(|e| source::source_error(e.into()))?;
    let (odb, _tmp) = source::scratch_odb()?;
    src.load_manifests(&odb, Some(&wanted));
    let target = src
        .view
        .resolve(&wanted)
        .map_err(|e| source::source_error(e.into()))?;
    if args.show_url {
        for url in src.urls(&target.files) {
            ctx.out(url);
        }
        return Ok(());
    }
    let files = src
        .download(&odb, &target.files, &target.path)
        .map_err(source::source_error)?;
    registry::write_copy(&odb, &files, &dest, target.is_dir)
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    Ok(())
}

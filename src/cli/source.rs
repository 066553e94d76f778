//! What `ls`, `get`, `import`, `import-url` and `update` share: opening a source repository with the
//! flags dvc gives them (`--rev`, `--remote`, `--remote-config`), the clone cache, and the
//! engine's errors in dvc's words.

use super::error::ErrorKind;
use super::{CommandError, Context};
use crate::data::repo::Repo;
use crate::worktree::registry::{self, OpenedSource, SourceOptions};
use std::path::PathBuf;

/// Where clones of sources are kept: the project's `.dvc/tmp/git-dvc/sources`, or a
/// temporary directory outside a project (held by the returned guard).
pub fn clone_cache(
    root: Option<&PathBuf>,
) -> Result<(PathBuf, Option<tempfile::TempDir>), CommandError> {
    if let Some(root) = root {
        return Ok((root.join(".dvc/tmp/git-dvc/sources"), None));
    }
    let tmp = tempfile::tempdir().map_err(|e| {
        CommandError::context(ErrorKind::Failed, "cannot create a temporary directory", e)
    })?;
    Ok((tmp.path().to_path_buf(), Some(tmp)))
}

/// `--remote-config k=v ...` as pairs (dvc's `DictAction`).
pub fn parse_remote_config(items: &[String]) -> Result<Vec<(String, String)>, CommandError> {
    items
        .iter()
        .map(|i| {
            i.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| {
                    CommandError::new(
                        ErrorKind::Usage,
                        format!(
                            "argument --remote-config: invalid value '{i}': expected <name>=<value>"
                        ),
                    )
                })
        })
        .collect()
}

/// The flags every source-reading command takes.
pub struct SourceFlags<'a> {
    /// URL.
    pub url: &'a str,
    /// `--rev`.
    pub rev: Option<&'a str>,
    /// `--config FILE`, merged over the source's config (relative to the working directory).
    pub config: Option<&'a str>,
    /// `--remote`.
    pub remote: Option<&'a str>,
    /// `--remote-config`.
    pub remote_config: &'a [String],
    /// dvc's words before a failure to open the source (`failed to list 'URL'`).
    pub failure: String,
}

/// Open the source. `project` is the DVC project the command runs in, if any.
pub fn open(
    ctx: &Context,
    project: Option<&Repo>,
    flags: SourceFlags<'_>,
) -> Result<(OpenedSource, Option<tempfile::TempDir>), CommandError> {
    let root = project.map(|r| r.root.clone());
    let (clone_cache, guard) = clone_cache(root.as_ref())?;
    let options = SourceOptions {
        url: flags.url.to_string(),
        rev: flags.rev.map(str::to_string),
        cwd: ctx.cwd()?,
        clone_cache,
        repo_options: ctx.env.repo_options(),
        remote: flags.remote.map(str::to_string),
        remote_config: parse_remote_config(flags.remote_config)?,
        config_file: flags
            .config
            .map(|c| ctx.cwd().map(|cwd| cwd.join(c)))
            .transpose()?,
        jobs: ctx.jobs_flag,
    };
    let opened = OpenedSource::open(options).map_err(|e| match e {
        registry::Error::UnknownRev(rev) => {
            CommandError::failed(format!("{} - unknown Git revision '{rev}'", flags.failure))
        }
        registry::Error::NotARepo(_) | registry::Error::Git { .. } => CommandError::context(
            ErrorKind::Failed,
            format!(
                "{} - SCM error: no git repository was found at '{}'",
                flags.failure,
                masked(flags.url)
            ),
            e,
        ),
        other => source_error(other),
    })?;
    Ok((opened, guard))
}

/// `url` with any password masked.
pub fn masked(url: &str) -> String {
    crate::git::source::mask_credentials(url).unwrap_or_else(|| url.to_string())
}

/// An engine error in dvc's words.
pub fn source_error(e: registry::Error) -> CommandError {
    match e {
        registry::Error::View(crate::data::registry::Error::NotFound(p)) => {
            CommandError::unhandled(format!(
                "unexpected error - ['{p}']\n\n{}",
                super::ui::SUPPORT
            ))
        }
        registry::Error::UnknownRev(_)
        | registry::Error::NotARepo(_)
        | registry::Error::Git { .. } => CommandError::with_source(ErrorKind::Failed, e),
        other => CommandError::with_source(ErrorKind::Failed, other),
    }
}

/// The odb a command downloads into when it tracks nothing (`get`, `ls` manifests): a
/// temporary cache, held by the guard.
pub fn scratch_odb() -> Result<(crate::data::odb::Odb, tempfile::TempDir), CommandError> {
    let tmp = tempfile::tempdir().map_err(|e| {
        CommandError::context(ErrorKind::Failed, "cannot create a temporary directory", e)
    })?;
    let odb = crate::data::odb::Odb::new(
        tmp.path().join("cache"),
        vec![crate::data::odb::LinkType::Copy],
    );
    Ok((odb, tmp))
}

/// Check out the outs of the stage file `dvcfile` just written (`import`, `import-url`):
/// unsaved data at the outputs is refused unless `force`.
pub fn checkout_written(
    repo: &crate::data::repo::Repo,
    dvcfile: &std::path::Path,
    force: bool,
) -> Result<(), CommandError> {
    use crate::data::checkout::{self, CheckoutOptions, OnUnsaved};
    let rel = repo
        .rel(dvcfile)
        .ok_or_else(|| CommandError::failed("the .dvc file is outside of the repository"))?;
    let stages = repo.load_stage_file(&rel)?;
    let report = checkout::checkout(
        repo,
        &stages,
        CheckoutOptions {
            on_unsaved: if force {
                OnUnsaved::Overwrite
            } else {
                OnUnsaved::Fail
            },
            relink: false,
        },
    )
    .map_err(|e| CommandError::with_source(super::error::ErrorKind::Failed, e))?;
    match report.errors.first() {
        Some(e) => Err(CommandError::failed(e)),
        None => Ok(()),
    }
}

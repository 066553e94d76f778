//! `import URL PATH [-o OUT]`: download a file or directory of a repository and track it
//! with an import `.dvc` (`frozen: true`, the stage md5, `deps` with `repo: {url, rev,
//! rev_lock}`) whose bytes equal dvc's. [`import_stage`] is shared with `update`.

use super::error::ErrorKind;
use super::scm::Scm;
use super::source::{self, SourceFlags};
use super::{CommandError, CommandResult, Context};
use crate::data::dvcfile::{self, ImportSource, Out};
use crate::data::repo::Repo;
use crate::worktree::registry::{self, OpenedSource};
use std::path::{Path, PathBuf};

/// Arguments of `import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Location of DVC or Git repository to download from
    pub url: String,
    /// Path to a file or directory within the repository
    pub path: String,
    /// Destination path to download files to
    #[arg(short = 'o', long = "out", value_name = "path", num_args = 0..=1)]
    pub out: Option<String>,
    /// Override destination file or folder if exists.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Git revision (e.g. SHA, branch, tag)
    #[arg(long, value_name = "commit", num_args = 0..=1, default_missing_value = "HEAD")]
    pub rev: Option<String>,
    /// Only create .dvc file without actually importing target data.
    #[arg(long = "no-exec", conflicts_with = "no_download")]
    pub no_exec: bool,
    /// Create .dvc file including target data hash value(s) but do not actually download the file(s).
    #[arg(long = "no-download")]
    pub no_download: bool,
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

/// How much of the import to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Resolve, download, track.
    Full,
    /// `--no-download`: resolve the revision, write the `.dvc` without hashes.
    NoDownload,
    /// `--no-exec`: write the `.dvc` without a `rev_lock` or hashes.
    NoExec,
}

/// Write the import stage of `path` from `src` to `dvcfile` (out `out_name` beside it),
/// fetch its data into the cache and check it out (unless `mode` says otherwise). Returns
/// the written `.dvc` text.
#[expect(clippy::too_many_arguments, reason = "the import's whole description")]
pub fn import_stage(
    repo: &Repo,
    src: &mut OpenedSource,
    path: &str,
    url: &str,
    rev: Option<&str>,
    settings: &dvcfile::SourceSettings,
    dvcfile_abs: &Path,
    out_name: &str,
    mode: Mode,
    force: bool,
) -> Result<String, CommandError> {
    let wanted = crate::data::registry::check_source_path(path)
        .map_err(|e| source::source_error(e.into()))?;
    let mut out = Out {
        path: out_name.to_string(),
        hash: Some("md5".into()),
        ..Out::default()
    };
    if mode == Mode::Full {
        src.load_manifests(&repo.odb, Some(&wanted));
        let target = src
            .view
            .resolve(&wanted)
            .map_err(|e| source::source_error(e.into()))?;
        let whole = target
            .out
            .as_ref()
            .filter(|(p, _)| *p == target.path)
            .map(|(_, o)| o.out.clone());
        let files = src
            .download(&repo.odb, &target.files, &target.path)
            .map_err(source::source_error)?;
        let size_of = |md5: &str| {
            fs_err::metadata(repo.odb.path(md5, false))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        if target.is_dir {
            let tree = registry::tree_of(&files).ok_or_else(|| {
                CommandError::failed(format!(
                    "the source's pointers for '{}' name an md5 that is not one",
                    target.path
                ))
            })?;
            let oid = tree.oid();
            repo.odb
                .put_bytes(&oid, false, &tree.to_bytes())
                .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
            out.md5 = Some(oid);
            out.size = Some(files.iter().map(|(_, m, _)| size_of(m)).sum());
            out.nfiles = Some(files.len() as u64);
        } else if let Some((_, md5, exec)) = files.first() {
            out.md5 = Some(md5.clone());
            out.size = Some(size_of(md5));
            out.isexec = *exec;
        }
        if let Some(w) = whole
            && w.md5 == out.md5
        {
            out.size = w.size.or(out.size);
            out.nfiles = w.nfiles.or(out.nfiles);
        }
    }
    let source = ImportSource {
        path: path.to_string(),
        url: url.to_string(),
        rev: rev.map(str::to_string),
        rev_lock: (mode != Mode::NoExec).then(|| src.commit.as_str().to_string()),
        settings: settings.clone(),
    };
    let text = dvcfile::render_import(&source, &out)
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    crate::data::atomic::write(dvcfile_abs, &text).map_err(|e| {
        CommandError::context(
            ErrorKind::Failed,
            format!("cannot write '{}'", dvcfile_abs.display()),
            e,
        )
    })?;
    if mode == Mode::Full {
        super::source::checkout_written(repo, dvcfile_abs, force)?;
    }
    Ok(text)
}

/// Run `import`.
pub fn run(ctx: &Context, args: ImportArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let cwd = ctx.cwd()?;
    let shown_url =
        crate::git::source::mask_credentials(&args.url).unwrap_or_else(|| args.url.clone());
    let fail = |m: String| {
        CommandError::failed(format!(
            "failed to import '{}' from '{shown_url}'. - {m}",
            args.path
        ))
    };
    let (shown, dest) =
        super::get::resolve_output(&cwd, &args.path, args.out.as_deref(), args.force)
            .map_err(fail)?;
    let Some(rel) = repo.rel(&dest).filter(|r| !r.is_empty()) else {
        return Err(fail(format!(
            "the destination '{shown}' is outside of the repository"
        )));
    };
    // Stage files, `.git` and `.dvc` are refused as outs, as for every out.
    crate::data::repo::validate_out_path(&repo.root, &rel, &shown, &dest)
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    let _lock = ctx.lock_for_write(&repo, std::slice::from_ref(&dest))?;
    let mode = if args.no_exec {
        Mode::NoExec
    } else if args.no_download {
        Mode::NoDownload
    } else {
        Mode::Full
    };
    if args.config.is_some() && args.remote.is_some() && !args.remote_config.is_empty() {
        // dvc raises a bare ValueError here: its "unexpected error", exit 255.
        return Err(CommandError::unhandled(format!(
            "unexpected error - Can't specify config path together with both remote and remote_config\n\n{}",
            super::ui::SUPPORT
        )));
    }
    let settings = dvcfile::SourceSettings {
        config_file: args.config.clone(),
        remote: args.remote.clone(),
        remote_config: source::parse_remote_config(&args.remote_config)?,
    };
    let (mut src, _guard) = source::open(
        ctx,
        Some(&repo),
        SourceFlags {
            url: &args.url,
            rev: args.rev.as_deref(),
            config: args.config.as_deref(),
            remote: args.remote.as_deref(),
            remote_config: &args.remote_config,
            failure: format!("failed to import '{}' from '{shown_url}'.", args.path),
        },
    )?;
    let out_name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dvcfile_abs = PathBuf::from(format!("{}.dvc", dest.display()));
    if mode != Mode::NoExec {
        ctx.out(format!(
            "Importing '{} ({shown_url})' -> '{shown}'",
            args.path
        ));
    }
    import_stage(
        &repo,
        &mut src,
        &args.path,
        &args.url,
        args.rev.as_deref(),
        &settings,
        &dvcfile_abs,
        &out_name,
        mode,
        args.force,
    )?;
    let mut scm = Scm::open(&repo.root, &repo.config);
    if let Some(scm) = scm.as_mut() {
        let dir = dest.parent().unwrap_or(&repo.root);
        scm.ignore(dir, &out_name)
            .map_err(|e| CommandError::context(ErrorKind::Failed, "cannot update .gitignore", e))?;
        scm.stage(dvcfile_abs);
        let hint = scm
            .flush()
            .map_err(|e| CommandError::context(ErrorKind::Failed, "git add failed", e))?;
        if let Some(hint) = hint {
            ctx.out(hint);
        }
    }
    Ok(())
}

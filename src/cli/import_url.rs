//! `import-url URL [OUT]` and `get-url URL [OUT]` for local paths (a file or a directory):
//! the data is hashed and cached, and `import-url` writes dvc's stage (`frozen: true`,
//! the stage md5, a dep with the source's `md5`, `size`, `nfiles` and its path as given)
//! byte for byte. Remote URLs (`http(s)://`, `s3://`, …) are refused as not yet supported.

use super::error::ErrorKind;
use super::scm::Scm;
use super::{CommandError, CommandResult, Context};
use crate::data::dvcfile::Out;
use crate::data::odb::Odb;
use crate::data::repo::Repo;
use std::path::{Path, PathBuf};

/// Arguments of `import-url`.
#[derive(Debug, clap::Args)]
pub struct ImportUrlArgs {
    /// Location of the data to download.
    pub url: String,
    /// Destination path to put files to.
    pub out: Option<String>,
    /// Download it directly to the remote (refused: not supported yet).
    #[arg(long = "to-remote")]
    pub to_remote: bool,
    /// Remote storage to download to
    #[arg(short = 'r', long = "remote", value_name = "name")]
    pub remote: Option<String>,
    /// Only create .dvc file without actually importing target data.
    #[arg(long = "no-exec", conflicts_with = "no_download")]
    pub no_exec: bool,
    /// Create .dvc file including target data hash value(s) but do not actually download the file(s).
    #[arg(long = "no-download")]
    pub no_download: bool,
    /// Override destination file or folder if exists.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Import using cloud versioning (refused: not supported yet).
    #[arg(long = "version-aware")]
    pub version_aware: bool,
    /// Config options for the target url.
    #[arg(long = "fs-config", value_name = "<name>=<value>", num_args = 0..)]
    pub fs_config: Vec<String>,
}

/// Arguments of `get-url`.
#[derive(Debug, clap::Args)]
pub struct GetUrlArgs {
    /// Location of the data to download.
    pub url: String,
    /// Destination path to put data to.
    pub out: Option<String>,
    /// Override local file or folder if exists.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Config options for the target url.
    #[arg(long = "fs-config", value_name = "<name>=<value>", num_args = 0..)]
    pub fs_config: Vec<String>,
}

fn only_local(url: &str) -> Result<(), CommandError> {
    if url.contains("://") {
        return Err(CommandError::new(
            ErrorKind::Usage,
            format!(
                "'{}': URLs other than local paths are out of scope in git-dvc for now",
                super::source::masked(url)
            ),
        )
        .hint("use `dvc import-url` / `dvc get-url` for them"));
    }
    Ok(())
}

/// Hash `src` (a file or a directory, symlinks followed) into `odb`: the out's md5, size
/// and (for a directory) file count.
pub fn hash_into(odb: &Odb, src: &Path) -> std::io::Result<(String, u64, Option<u64>)> {
    if !fs_err::metadata(src)?.is_dir() {
        let (md5, size) = crate::data::hash::md5_file(src)?;
        odb.insert_copy(src, &md5, false)
            .map_err(std::io::Error::other)?;
        return Ok((md5, size, None));
    }
    let mut files = Vec::new();
    walk(src, "", &mut files)?;
    let mut entries = Vec::with_capacity(files.len());
    let mut total = 0;
    for (rel, path) in &files {
        let (md5, size) = crate::data::hash::md5_file(path)?;
        odb.insert_copy(path, &md5, false)
            .map_err(std::io::Error::other)?;
        total += size;
        entries.push(crate::data::tree::TreeEntry {
            relpath: rel.clone(),
            md5,
        });
    }
    let tree = crate::data::tree::Tree::new(entries);
    let oid = tree.oid();
    odb.put_bytes(&oid, false, &tree.to_bytes())
        .map_err(std::io::Error::other)?;
    Ok((oid, total, Some(files.len() as u64)))
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let path = entry.path();
        if fs_err::metadata(&path)?.is_dir() {
            walk(&path, &r, out)?;
        } else {
            out.push((r, path));
        }
    }
    Ok(())
}

/// The stage text of an import-url of `url` (its hash, size, file count) into `out_name`.
/// `--no-download` records the dep's hashes, not the out's (`out_hashed` false).
fn render(
    url: &str,
    hashed: Option<(&str, u64, Option<u64>)>,
    out_hashed: bool,
    out_name: &str,
) -> Result<String, CommandError> {
    let with = |path: &str, hashed: Option<(&str, u64, Option<u64>)>| Out {
        path: path.to_string(),
        md5: hashed.map(|h| h.0.to_string()),
        size: hashed.map(|h| h.1),
        nfiles: hashed.and_then(|h| h.2),
        hash: Some("md5".into()),
        ..Out::default()
    };
    let dep = crate::data::dvcfile::render_new(&[with(url, hashed)]);
    let out = crate::data::dvcfile::render_new(&[with(out_name, hashed.filter(|_| out_hashed))]);
    let text = format!(
        "frozen: true\ndeps:\n{}{out}",
        dep.strip_prefix("outs:\n").unwrap_or(&dep)
    );
    if hashed.is_none() {
        return Ok(text);
    }
    crate::data::dvcfile::refresh_stage_md5(&text)
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))
}

/// Write the import-url stage of `url` to `dvcfile` and check its out out; `None` hashes
/// means `--no-exec`/`--no-download`. Shared with `update`.
pub fn write_stage(
    repo: &Repo,
    url: &str,
    src: &Path,
    dvcfile: &Path,
    out_name: &str,
    mode: super::import::Mode,
    force: bool,
) -> Result<(), CommandError> {
    use super::import::Mode;
    let download = mode == Mode::Full;
    let read_err = |e| {
        CommandError::context(
            ErrorKind::Failed,
            format!("cannot read '{}'", src.display()),
            e,
        )
    };
    let hashed = match mode {
        Mode::Full => Some(hash_into(&repo.odb, src).map_err(read_err)?),
        // The hashes only: the data stays out of the project's cache.
        Mode::NoDownload => {
            let (scratch, _tmp) = super::source::scratch_odb()?;
            Some(hash_into(&scratch, src).map_err(read_err)?)
        }
        Mode::NoExec => None,
    };
    let text = render(
        url,
        hashed.as_ref().map(|(m, s, n)| (m.as_str(), *s, *n)),
        download,
        out_name,
    )?;
    crate::data::atomic::write(dvcfile, &text).map_err(|e| {
        CommandError::context(
            ErrorKind::Failed,
            format!("cannot write '{}'", dvcfile.display()),
            e,
        )
    })?;
    if download {
        super::source::checkout_written(repo, dvcfile, force)?;
    }
    Ok(())
}

/// Run `import-url`.
pub fn run_import(ctx: &Context, args: ImportUrlArgs) -> CommandResult {
    if args.to_remote || args.version_aware {
        let flag = if args.to_remote {
            "--to-remote"
        } else {
            "--version-aware"
        };
        return Err(CommandError::new(
            ErrorKind::Usage,
            format!("`import-url {flag}` is out of scope in git-dvc for now"),
        )
        .hint("use `dvc import-url` for it"));
    }
    if !args.fs_config.is_empty() {
        return Err(CommandError::new(
            ErrorKind::Usage,
            "`--fs-config` is out of scope in git-dvc for now: only local paths are imported",
        ));
    }
    only_local(&args.url)?;
    let repo = ctx.open_repo()?;
    let cwd = ctx.cwd()?;
    let src = crate::data::pathsafe::normalize(&cwd.join(&args.url));
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out_given = args.out.clone().unwrap_or(name);
    let (shown, dest) = super::get::resolve_output(&cwd, &out_given, Some(&out_given), args.force)
        .map_err(|m| {
            CommandError::failed(format!(
                "failed to import {}. You could also try downloading it manually, and adding it with `dvc add`. - {m}",
                args.url
            ))
        })?;
    let Some(rel) = repo.rel(&dest).filter(|r| !r.is_empty()) else {
        return Err(CommandError::failed(format!(
            "the destination '{shown}' is outside of the repository"
        )));
    };
    crate::data::repo::validate_out_path(&repo.root, &rel, &shown, &dest)
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    let _lock = ctx.lock_for_write(&repo, std::slice::from_ref(&dest))?;
    if !args.no_exec {
        ctx.out(format!("Importing '{}' -> '{shown}'", src.display()));
    }
    if fs_err::metadata(&src).is_err() {
        return Err(CommandError::failed(format!(
            "failed to import {}. You could also try downloading it manually, and adding it with `dvc add`. - dependency '{}' does not exist",
            args.url,
            src.display()
        )));
    }
    let out_name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dvcfile = PathBuf::from(format!("{}.dvc", dest.display()));
    let mode = if args.no_exec {
        super::import::Mode::NoExec
    } else if args.no_download {
        super::import::Mode::NoDownload
    } else {
        super::import::Mode::Full
    };
    write_stage(
        &repo, &args.url, &src, &dvcfile, &out_name, mode, args.force,
    )?;
    let mut scm = Scm::open(&repo.root, &repo.config);
    if let Some(scm) = scm.as_mut() {
        let dir = dest.parent().unwrap_or(&repo.root);
        scm.ignore(dir, &out_name)
            .map_err(|e| CommandError::context(ErrorKind::Failed, "cannot update .gitignore", e))?;
        scm.stage(dvcfile);
        if let Some(hint) = scm
            .flush()
            .map_err(|e| CommandError::context(ErrorKind::Failed, "git add failed", e))?
        {
            ctx.out(hint);
        }
    }
    Ok(())
}

/// Run `get-url`.
pub fn run_get(ctx: &Context, args: GetUrlArgs) -> CommandResult {
    if !args.fs_config.is_empty() {
        return Err(CommandError::new(
            ErrorKind::Usage,
            "`--fs-config` is out of scope in git-dvc for now: only local paths are copied",
        ));
    }
    only_local(&args.url)?;
    let cwd = ctx.cwd()?;
    let src = crate::data::pathsafe::normalize(&cwd.join(&args.url));
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (_, dest) = super::get::resolve_output(&cwd, &name, args.out.as_deref(), args.force)
        .map_err(|m| CommandError::failed(format!("failed to get '{}' - {m}", args.url)))?;
    let (odb, _tmp) = super::source::scratch_odb()?;
    let (md5, _, nfiles) = hash_into(&odb, &src)
        .map_err(|e| CommandError::failed(format!("failed to get '{}' - {e}", args.url)))?;
    let files: Vec<(String, String, bool)> = if nfiles.is_some() {
        let tree = crate::data::tree::Tree::parse(
            &odb.read(&md5, false)
                .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?,
        )
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
        tree.entries
            .into_iter()
            .map(|e| (e.relpath, e.md5, false))
            .collect()
    } else {
        vec![(String::new(), md5, false)]
    };
    crate::worktree::registry::write_copy(&odb, &files, &dest, nfiles.is_some())
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))
}

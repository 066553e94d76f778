//! `ls-url URL` (alias `list-url`) for local paths: a directory's entries in the order the
//! file system lists them (dvc does not sort them), `-R` files below it top-down (a
//! directory's files before its subdirectories, as `os.walk`), `-T` a sorted tree, and
//! `--size` columns laid out like `ls`. An `s3://`, `gs://`, `azure://`, `ssh://` or `http(s)://` URL is listed from the
//! store ([`crate::data::remote::url`]): a directory's files (sorted) before its
//! subdirectories, which show no size, and a file by its path without the scheme on S3,
//! as dvc's `s3fs` and `fsspec` list them. Other URLs are refused as not yet supported.

use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::data::du::naturalsize;
use std::path::PathBuf;

/// Arguments of `ls-url`.
#[derive(Debug, clap::Args)]
pub struct LsUrlArgs {
    /// See `dvc import-url -h` for full list of supported URLs.
    pub url: String,
    /// Recursively list files.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Recurse into directories as a tree.
    #[arg(short = 'T', long)]
    pub tree: bool,
    /// Limit the depth of recursion.
    #[arg(short = 'L', long = "level", value_name = "depth")]
    pub level: Option<usize>,
    /// Show sizes.
    #[arg(long)]
    pub size: bool,
    /// Config options for the target url.
    #[arg(long = "fs-config", value_name = "<name>=<value>", num_args = 0..)]
    pub fs_config: Vec<String>,
}

/// (shown name, size) rows.
type Rows = Vec<(String, Option<u64>)>;

/// Where the listed directory is: the file system, or the files a store listed below the
/// URL (`relpath`, size), from which its directories are derived, with the sizes the
/// store gives directories (by relpath; SSH only).
enum Lister {
    Local(PathBuf),
    Listed(
        Vec<(String, Option<u64>)>,
        std::collections::HashMap<String, u64>,
    ),
}

impl Lister {
    /// The entries of the directory `rel` (`""`: the top): name, is a directory, size.
    fn entries(&self, rel: &str) -> std::io::Result<Vec<(String, bool, Option<u64>)>> {
        match self {
            Lister::Local(root) => {
                let mut out = Vec::new();
                for e in fs_err::read_dir(root.join(rel))? {
                    let e = e?;
                    let meta = fs_err::metadata(e.path())?;
                    out.push((
                        e.file_name().to_string_lossy().into_owned(),
                        meta.is_dir(),
                        Some(meta.len()),
                    ));
                }
                Ok(out)
            }
            Lister::Listed(files, dir_sizes) => {
                let prefix = if rel.is_empty() {
                    String::new()
                } else {
                    format!("{rel}/")
                };
                let mut names = Vec::new();
                let mut dirs = std::collections::BTreeSet::new();
                for (path, size) in files {
                    let Some(rest) = path.strip_prefix(&prefix) else {
                        continue;
                    };
                    match rest.split_once('/') {
                        Some((dir, _)) => {
                            dirs.insert(dir.to_string());
                        }
                        None => names.push((rest.to_string(), false, *size)),
                    }
                }
                names.sort();
                names.extend(dirs.into_iter().map(|d| {
                    let size = dir_sizes.get(&format!("{prefix}{d}")).copied();
                    (d, true, size)
                }));
                Ok(names)
            }
        }
    }
}

fn walk(
    lister: &Lister,
    rel: &str,
    level: usize,
    max: Option<usize>,
    rows: &mut Rows,
) -> std::io::Result<()> {
    let list = lister.entries(rel)?;
    let join = |n: &str| {
        if rel.is_empty() {
            n.to_string()
        } else {
            format!("{rel}/{n}")
        }
    };
    let mut subdirs = Vec::new();
    for (name, is_dir, size) in &list {
        if *is_dir && max.is_none_or(|m| level < m) {
            subdirs.push(name.clone());
        } else {
            rows.push((join(name), *size));
        }
    }
    for name in subdirs {
        walk(lister, &join(&name), level + 1, max, rows)?;
    }
    Ok(())
}

fn tree(
    lister: &Lister,
    rel: &str,
    lasts: &mut Vec<bool>,
    max: Option<usize>,
    rows: &mut Rows,
) -> std::io::Result<()> {
    let mut list = lister.entries(rel)?;
    list.sort_by(|a, b| a.0.cmp(&b.0));
    let count = list.len();
    for (i, (name, is_dir, size)) in list.into_iter().enumerate() {
        lasts.push(i + 1 == count);
        let mut shown = String::new();
        for (d, last) in lasts.iter().enumerate() {
            shown.push_str(match (d + 1 == lasts.len(), *last) {
                (true, true) => "└── ",
                (true, false) => "├── ",
                (false, true) => "    ",
                (false, false) => "│   ",
            });
        }
        shown.push_str(&name);
        rows.push((shown, size));
        if is_dir && max.is_none_or(|m| lasts.len() < m) {
            let sub = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            tree(lister, &sub, lasts, max, rows)?;
        }
        lasts.pop();
    }
    Ok(())
}

/// A URL's path as its file system names it: without the scheme on S3, GCS and Azure, the URL itself
/// on HTTP.
fn fs_path(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    match trimmed.split_once("://") {
        Some((scheme, rest))
            if ["s3", "gs", "azure"]
                .iter()
                .any(|s| scheme.eq_ignore_ascii_case(s)) =>
        {
            rest.to_string()
        }
        // sshfs names a path by its absolute path on the host.
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("ssh") => rest
            .find('/')
            .map(|i| rest[i..].to_string())
            .unwrap_or_else(|| "/".into()),
        _ => super::source::masked(trimmed),
    }
}

/// Run `ls-url`.
pub fn run(ctx: &Context, args: LsUrlArgs) -> CommandResult {
    let fs_config = super::import_url::parse_fs_config(&args.fs_config)?;
    let cwd = ctx.cwd()?;
    let repo = ctx.open_repo().ok();
    let io = |e| {
        CommandError::context(
            ErrorKind::Failed,
            format!("cannot list '{}'", super::source::masked(&args.url)),
            e,
        )
    };
    let mut rows: Rows = Vec::new();
    let (lister, top) =
        match super::import_url::resolve(ctx, repo.as_ref(), &cwd, &args.url, fs_config, false)? {
            super::import_url::Source::Local(path) => {
                let meta = fs_err::metadata(&path).map_err(|_| {
                    CommandError::unhandled(format!(
                        "The path '{}' does not exist: [Errno 2] No such file or directory: '{}'",
                        args.url,
                        cwd.join(&args.url).display()
                    ))
                })?;
                if !meta.is_dir() {
                    // dvc shows a file by its full path, and no size for it.
                    rows.push((path.display().to_string(), None));
                    (None, Some((args.url.clone(), Some(meta.len()))))
                } else {
                    (
                        Some(Lister::Local(path)),
                        Some((args.url.clone(), Some(meta.len()))),
                    )
                }
            }
            super::import_url::Source::Url(t) => {
                let shown = fs_path(&args.url);
                match t.src.stat() {
                    Ok(None) => {
                        // adlfs and sshfs word it as an OS error, s3fs and gcsfs name the path.
                        let why = if args.url.starts_with("azure://") {
                            format!("[Errno 2] No such file or directory: '{shown}'")
                        } else if args.url.starts_with("ssh://") {
                            // asyncssh's SFTP status, as sshfs raises it.
                            "[Errno 2] No such file or directory: No such file".to_string()
                        } else {
                            match t.src.not_found_detail() {
                                Some(detail) => format!("{shown}: {detail}"),
                                None => shown,
                            }
                        };
                        return Err(CommandError::unhandled(format!(
                            "The path '{}' does not exist: {why}",
                            super::source::masked(&args.url)
                        )));
                    }
                    Err(e) => {
                        return Err(CommandError::context(
                            ErrorKind::Failed,
                            format!("failed to list '{}'", super::source::masked(&args.url)),
                            e,
                        ));
                    }
                    Ok(Some(crate::data::remote::url::Found::File(_))) => {
                        rows.push((shown, None));
                        (None, None)
                    }
                    Ok(Some(crate::data::remote::url::Found::Dir(entries))) => {
                        let (top, dir_sizes) = match t.src.dir_sizes() {
                            Ok(Some((top, dirs))) => (Some(top), dirs),
                            Ok(None) => (None, Default::default()),
                            Err(e) => {
                                return Err(CommandError::context(
                                    ErrorKind::Failed,
                                    format!(
                                        "failed to list '{}'",
                                        super::source::masked(&args.url)
                                    ),
                                    e,
                                ));
                            }
                        };
                        (
                            Some(Lister::Listed(
                                entries
                                    .into_iter()
                                    .map(|e| (e.relpath, e.meta.size))
                                    .collect(),
                                dir_sizes,
                            )),
                            Some((shown, top)),
                        )
                    }
                }
            }
        };
    if let Some(lister) = lister {
        if args.tree {
            rows.push(top.unwrap_or_default());
            tree(&lister, "", &mut Vec::new(), args.level, &mut rows).map_err(io)?;
        } else if args.recursive {
            walk(&lister, "", 1, args.level, &mut rows).map_err(io)?;
        } else {
            for (name, _, size) in lister.entries("").map_err(io)? {
                rows.push((name, size));
            }
        }
    }
    let sizes: Vec<String> = rows
        .iter()
        .map(|(_, s)| s.map(naturalsize).unwrap_or_default())
        .collect();
    let width = sizes.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for ((name, _), size) in rows.iter().zip(&sizes) {
        let line = if args.size {
            format!("{size:>width$}  {name}")
        } else {
            name.clone()
        };
        out.push_str(&line);
        out.push('\n');
    }
    super::config::print(&out);
    Ok(())
}

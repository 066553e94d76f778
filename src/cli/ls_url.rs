//! `ls-url URL` (alias `list-url`) for local paths: a directory's entries in the order the
//! file system lists them (dvc does not sort them), `-R` files below it top-down (a
//! directory's files before its subdirectories, as `os.walk`), `-T` a sorted tree, and
//! `--size` columns laid out like `ls`. Other URLs are refused as not yet supported.

use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::data::du::naturalsize;
use std::path::Path;

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

fn entries(dir: &Path) -> std::io::Result<Vec<(String, bool, u64)>> {
    let mut out = Vec::new();
    for e in fs_err::read_dir(dir)? {
        let e = e?;
        let meta = fs_err::metadata(e.path())?;
        out.push((
            e.file_name().to_string_lossy().into_owned(),
            meta.is_dir(),
            meta.len(),
        ));
    }
    Ok(out)
}

fn walk(
    dir: &Path,
    rel: &str,
    level: usize,
    max: Option<usize>,
    rows: &mut Rows,
) -> std::io::Result<()> {
    let list = entries(dir)?;
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
            rows.push((join(name), Some(*size)));
        }
    }
    for name in subdirs {
        walk(&dir.join(&name), &join(&name), level + 1, max, rows)?;
    }
    Ok(())
}

fn tree(
    dir: &Path,
    lasts: &mut Vec<bool>,
    max: Option<usize>,
    rows: &mut Rows,
) -> std::io::Result<()> {
    let mut list = entries(dir)?;
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
        rows.push((shown, Some(size)));
        if is_dir && max.is_none_or(|m| lasts.len() < m) {
            tree(&dir.join(&name), lasts, max, rows)?;
        }
        lasts.pop();
    }
    Ok(())
}

/// Run `ls-url`.
pub fn run(ctx: &Context, args: LsUrlArgs) -> CommandResult {
    if args.url.contains("://") || !args.fs_config.is_empty() {
        return Err(CommandError::new(
            ErrorKind::Usage,
            "`ls-url` of URLs other than local paths (and `--fs-config`) is out of scope in git-dvc for now",
        )
        .hint("use `dvc ls-url` for them"));
    }
    let cwd = ctx.cwd()?;
    let path = crate::data::pathsafe::normalize(&cwd.join(&args.url));
    let meta = fs_err::metadata(&path).map_err(|_| {
        CommandError::unhandled(format!(
            "The path '{}' does not exist: [Errno 2] No such file or directory: '{}'",
            args.url,
            cwd.join(&args.url).display()
        ))
    })?;
    let io = |e| CommandError::context(ErrorKind::Failed, format!("cannot list '{}'", args.url), e);
    let mut rows: Rows = Vec::new();
    if !meta.is_dir() {
        // dvc shows a file by its full path, and no size for it.
        rows.push((path.display().to_string(), None));
    } else if args.tree {
        rows.push((args.url.clone(), Some(meta.len())));
        tree(&path, &mut Vec::new(), args.level, &mut rows).map_err(io)?;
    } else if args.recursive {
        walk(&path, "", 1, args.level, &mut rows).map_err(io)?;
    } else {
        for (name, _, size) in entries(&path).map_err(io)? {
            rows.push((name, Some(size)));
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

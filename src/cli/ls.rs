//! `ls URL [PATH]` (alias `list`): a repository's files, git-tracked and DVC-tracked, in
//! dvc's words: names, `--size`/`--show-hash` columns, `-T` trees and `--json`. The view
//! is [`crate::data::registry::View`]; the source is opened by [`super::source`].

use super::source::{self, SourceFlags};
use super::{CommandError, CommandResult, Context};
use crate::data::du::naturalsize;
use crate::data::registry::Item;

/// Arguments of `ls`.
#[derive(Debug, clap::Args)]
pub struct LsArgs {
    /// Location of DVC repository to list
    pub url: String,
    /// Path to directory within the repository to list outputs for
    pub path: Option<String>,
    /// Recursively list files.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Recurse into directories as a tree.
    #[arg(short = 'T', long)]
    pub tree: bool,
    /// Limit the depth of recursion.
    #[arg(short = 'L', long = "level", value_name = "depth")]
    pub level: Option<usize>,
    /// Show only DVC outputs.
    #[arg(long = "dvc-only")]
    pub dvc_only: bool,
    /// Show output in JSON format.
    #[arg(long)]
    pub json: bool,
    /// Git revision (e.g. SHA, branch, tag)
    #[arg(long, value_name = "commit", num_args = 0..=1, default_missing_value = "HEAD")]
    pub rev: Option<String>,
    /// Path to a config file that will be merged with the config in the target repository.
    #[arg(long, value_name = "config")]
    pub config: Option<String>,
    /// Remote name to set as a default in the target repository.
    #[arg(long, value_name = "remote")]
    pub remote: Option<String>,
    /// Remote config options to merge with a remote's config (default or one specified by '--remote') in the target repository.
    #[arg(long = "remote-config", value_name = "<name>=<value>", num_args = 0..)]
    pub remote_config: Vec<String>,
    /// Show sizes.
    #[arg(long)]
    pub size: bool,
    /// Display hash value for each item.
    #[arg(long = "show-hash")]
    pub show_hash: bool,
}

/// One item as `dvc ls --json` prints it (Python's `json.dumps` of the entry dict).
fn json_item(i: &Item) -> String {
    let mut s = String::from("{");
    s.push_str(&format!(
        "\"isout\": {}, \"isdir\": {}, \"isexec\": {}, \"size\": {}, \"md5\": ",
        i.isout,
        i.isdir,
        i.isexec,
        i.size.map_or("null".to_string(), |n| n.to_string())
    ));
    match &i.md5 {
        Some(m) => crate::data::tree::push_json_string(&mut s, m),
        None => s.push_str("null"),
    }
    s.push_str(", \"path\": ");
    crate::data::tree::push_json_string(&mut s, &i.path);
    s.push('}');
    s
}

/// Rows of `size  hash  name` as dvc's `ui.table` lays them out: sizes right-aligned,
/// hashes left-aligned, each column as wide as its widest cell.
fn columns(rows: &[(String, &Item)], size: bool, hash: bool) -> String {
    let sizes: Vec<String> = rows
        .iter()
        .map(|(_, i)| i.size.map(naturalsize).unwrap_or_default())
        .collect();
    let hashes: Vec<String> = rows
        .iter()
        .map(|(_, i)| i.md5.clone().unwrap_or_else(|| "-".into()))
        .collect();
    let sw = sizes.iter().map(String::len).max().unwrap_or(0);
    let hw = hashes.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for (k, (name, _)) in rows.iter().enumerate() {
        let mut line = String::new();
        if size {
            line.push_str(&format!("{:>sw$}  ", sizes[k]));
        }
        if hash {
            line.push_str(&format!("{:<hw$}  ", hashes[k]));
        }
        line.push_str(name);
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Run `ls`.
pub fn run(ctx: &Context, args: LsArgs) -> CommandResult {
    let project = ctx
        .cwd()
        .ok()
        .and_then(|c| crate::data::repo::Repo::find_root(&c))
        .and_then(|r| ctx.open_repo_at(&r).ok());
    let (mut src, _guard) = source::open(
        ctx,
        project.as_ref(),
        SourceFlags {
            url: &args.url,
            rev: args.rev.as_deref(),
            config: args.config.as_deref(),
            remote: args.remote.as_deref(),
            remote_config: &args.remote_config,
            failure: format!("failed to list '{}'", source::masked(&args.url)),
        },
    )?;
    let path = args.path.clone().unwrap_or_default();
    let (odb, _tmp) = source::scratch_odb()?;
    let wanted = crate::data::registry::check_source_path(&path)
        .map_err(|e| source::source_error(e.into()))?;
    src.load_manifests(&odb, Some(&wanted));
    let sizes = src.sizes();
    // dvc's words for a path that is not there: the workspace path of a local source
    // read in place, else the path in the revision.
    let not_found = |e: crate::data::registry::Error| match e {
        crate::data::registry::Error::NotFound(p) => {
            CommandError::failed(match src.workspace_root() {
                Some(root) => format!(
                    "[Errno 2] No such file or directory: '{}'",
                    root.join(&p).display()
                ),
                None => format!("[Errno 2] No such file or directory: '/{p}': ('{p}',)"),
            })
        }
        other => source::source_error(other.into()),
    };
    if args.tree {
        let nodes = src
            .view
            .tree(&path, args.level, args.dvc_only, &sizes)
            .map_err(not_found)?;
        let rows: Vec<(String, &Item)> = nodes
            .iter()
            .map(|(lasts, item)| {
                let mut name = String::new();
                for (d, last) in lasts.iter().enumerate() {
                    if d + 1 == lasts.len() {
                        name.push_str(if *last { "└── " } else { "├── " });
                    } else {
                        name.push_str(if *last { "    " } else { "│   " });
                    }
                }
                name.push_str(&item.path);
                (name, item)
            })
            .collect();
        super::config::print(&columns(&rows, args.size, args.show_hash));
        return Ok(());
    }
    let items = src
        .view
        .list(&path, args.recursive, args.level, args.dvc_only, &sizes)
        .map_err(not_found)?;
    if args.json {
        let body: Vec<String> = items.iter().map(json_item).collect();
        super::config::print(&format!("[{}]\n", body.join(", ")));
        return Ok(());
    }
    let rows: Vec<(String, &Item)> = items.iter().map(|i| (i.path.clone(), i)).collect();
    super::config::print(&columns(&rows, args.size, args.show_hash));
    Ok(())
}

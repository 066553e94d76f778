//! `du url [path]`: disk usage as `dvc du` prints it (a plain two-column table, sizes
//! from dvc's `naturalsize`); the measuring is [`crate::data::du`]. `url` must be a local
//! DVC repository: reading a remote git repository belongs to the registry commands.

use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::data::du::{View, naturalsize};
use crate::data::repo::Repo;
use crate::git::history as githistory;

/// Arguments of `du`.
#[derive(Debug, clap::Args)]
pub struct DuArgs {
    /// Location of DVC repository.
    pub url: String,
    /// Path to directory within the repository.
    pub path: Option<String>,
    /// Git revision (e.g. SHA, branch, tag).
    #[arg(long, value_name = "commit", num_args = 0..=1, default_missing_value = "HEAD")]
    pub rev: Option<String>,
    /// Show total disk usage.
    #[arg(short = 's', long)]
    pub summarize: bool,
    /// Path to a config file that will be merged with the config in the target
    /// repository (accepted; `du` of a local repository reads no remote).
    #[arg(long, value_name = "config")]
    pub config: Option<String>,
    /// Remote name to set as a default in the target repository (accepted, as `--config`).
    #[arg(long, value_name = "remote")]
    pub remote: Option<String>,
    /// Remote config options to merge with a remote's config (accepted, as `--config`).
    #[arg(long, value_name = "<name>=<value>", num_args = 0..)]
    pub remote_config: Vec<String>,
}

fn unexpected(e: impl std::fmt::Display) -> CommandError {
    CommandError::unhandled(format!("unexpected error - {e}\n\n{}", super::ui::SUPPORT))
}

/// Run `du`.
pub fn run(ctx: &Context, args: DuArgs) -> CommandResult {
    if args.url.contains("://") || args.url.contains('@') {
        return Err(CommandError::failed(format!(
            "git-dvc du reads local repositories only; '{}' is not one (use `dvc du` for it)",
            args.url
        )));
    }
    let cwd = ctx.cwd()?;
    let dir = crate::data::pathsafe::normalize(&cwd.join(&args.url));
    let root = Repo::find_root(&dir).ok_or_else(|| {
        unexpected(format!(
            "[Errno 2] No such file or directory: '{}'",
            args.url
        ))
    })?;
    let repo = ctx.open_repo_at(&root)?;
    let path = args.path.clone().unwrap_or_default();
    let view;
    let rows = match &args.rev {
        None => {
            let stages = repo.collect_stages()?;
            view = View::workspace(&repo, &stages);
            view.du(&path, args.summarize)
        }
        Some(rev) => {
            let git = crate::git::Git::new(&repo.root);
            let blobs = git
                .ls_tree_sizes(rev)
                .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
            let files = githistory::files_at(&repo.root, rev).map_err(unexpected)?;
            let mut stages = Vec::new();
            for (rel, text) in &files {
                stages.extend(repo.stages_from_text(rel, text)?);
            }
            view = View::revision(&repo, blobs, &stages);
            view.du(&path, args.summarize)
        }
    }
    .map_err(unexpected)?;
    let shown: Vec<(String, &str)> = rows
        .iter()
        .map(|(p, s)| (naturalsize(*s), p.as_str()))
        .collect();
    let width = shown.iter().map(|(s, _)| s.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (size, p) in &shown {
        let line = format!("{size:<width$}  {p}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    // dvc prints the table even with `-q` (`ui.table(force=True)`).
    super::config::print(&out);
    Ok(())
}

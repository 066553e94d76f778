//! `data status`: dvc 3.67.1's `dvc data status`, text and JSON (the comparison is
//! [`crate::data::data_status`]; git's view, HEAD's pointers and untracked files, comes
//! from `crate::git` here). Lists are printed sorted, where dvc's order is arbitrary.

use super::context::abs_targets;
use super::error::ErrorKind;
use super::ui::python_json;
use super::{CommandError, CommandResult, Context};
use crate::data::data_status::{self, Changes, Options, Report};
use crate::data::history::PointerParser;
use crate::data::history::diff::Snapshot;
use crate::git::history as githistory;
use serde_json::{Map, Value, json};

/// Arguments of `data`.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Debug, clap::Subcommand)]
enum DataCommand {
    /// Show changes between the last git commit, the dvcfiles and the workspace.
    Status(DataStatusArgs),
}

/// Arguments of `data status`.
#[derive(Debug, clap::Args)]
struct DataStatusArgs {
    /// Show output in JSON format.
    #[arg(long)]
    json: bool,
    /// Show granular file-level info for DVC-tracked directories.
    #[arg(long)]
    granular: bool,
    /// Show unmodified DVC-tracked files.
    #[arg(long)]
    unchanged: bool,
    /// Show untracked files.
    #[arg(long, num_args = 0..=1, default_missing_value = "all", value_parser = ["no", "all"])]
    untracked_files: Option<String>,
    /// Remote storage to check (only applicable with --not-in-remote).
    #[arg(short = 'r', long, value_name = "name")]
    remote: Option<String>,
    /// Show files not in remote.
    #[arg(long)]
    not_in_remote: bool,
    /// Use cached remote index (don't check remote). git-dvc keeps no remote index, so
    /// the remote is always checked.
    #[arg(long)]
    no_remote_refresh: bool,
    /// Limit command scope to these tracked files/directories, .dvc files and stage names.
    targets: Vec<String>,
}

/// Run `data`.
pub fn run(ctx: &Context, args: DataArgs) -> CommandResult {
    match args.command {
        DataCommand::Status(a) => status(ctx, a),
    }
}

/// What git says, as dvc's `_git_info` has it.
struct GitInfo {
    is_empty: bool,
    is_dirty: bool,
    untracked: Vec<String>,
}

fn failed(e: impl std::fmt::Display) -> CommandError {
    CommandError::failed(e)
}

fn head_snapshot(repo: &crate::data::repo::Repo) -> CommandResult<Snapshot> {
    let files = githistory::files_at(&repo.root, "HEAD").map_err(failed)?;
    let mut blobs = Vec::with_capacity(files.len());
    let mut list = Vec::with_capacity(files.len());
    for (i, (path, text)) in files.into_iter().enumerate() {
        blobs.push(text);
        list.push((path, i));
    }
    let outs = PointerParser::new(&blobs).outs(&list).map_err(failed)?;
    Ok(Snapshot::from_outs(&outs, &repo.odb))
}

fn status(ctx: &Context, args: DataStatusArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    // No repo lock: dvc's `data status` takes none (it runs while another dvc holds
    // it), and it only reads (the state DB is safe to share).
    let cwd = ctx.cwd()?;
    let abs = abs_targets(&cwd, &args.targets);
    let filter: Vec<String> = abs.iter().filter_map(|a| repo.rel(a)).collect();
    let options = Options {
        granular: args.granular,
        filter,
    };
    let stages = repo.collect_stages()?;
    let recorded = data_status::recorded_snapshot(&repo, &stages);
    let workspace = data_status::workspace_snapshot(&repo, &stages)
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    let git = crate::git::Git::new(&repo.root);
    let in_git = git.is_inside_work_tree();
    let has_commits = in_git && githistory::has_commits(&repo.root).unwrap_or(false);
    let head = if has_commits {
        head_snapshot(&repo)?
    } else {
        Snapshot::default()
    };
    let report = data_status::report(&repo, &head, &recorded, &workspace, &options);
    let not_in_remote = if args.not_in_remote {
        let remote = repo
            .open_remote(args.remote.as_deref())
            .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
        data_status::not_in_remote(&repo, &stages, &remote, &options, ctx.jobs_flag)
            .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?
    } else {
        Vec::new()
    };
    let untracked_mode = args.untracked_files.as_deref().unwrap_or("no");
    let git_info = if in_git {
        let (changed, files) = git
            .status_summary(untracked_mode == "all")
            .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
        let top = git.show_toplevel().unwrap_or_else(|_| repo.root.clone());
        let untracked: Vec<String> = files
            .iter()
            .map(|f| top.join(f))
            .filter(|p| abs.is_empty() || abs.iter().any(|t| p == t || p.starts_with(t)))
            .filter(|p| p.starts_with(&repo.root))
            .map(|p| super::ui::relative_to_cwd(&p, &cwd))
            .collect();
        Some(GitInfo {
            is_empty: !has_commits,
            is_dirty: changed || !files.is_empty(),
            untracked,
        })
    } else {
        None
    };
    let untracked = match (&git_info, untracked_mode) {
        (Some(g), "all") => g.untracked.clone(),
        _ => Vec::new(),
    };
    let unchanged = if args.unchanged {
        report.unchanged.clone()
    } else {
        Vec::new()
    };
    let committed = if in_git {
        report.committed.clone()
    } else {
        Changes::default()
    };
    let sections = Sections {
        report: &report,
        not_in_remote,
        committed,
        untracked,
        unchanged,
    };
    if ctx.quiet {
        return Ok(());
    }
    if args.json {
        super::config::print(&format!("{}\n", python_json(&sections.json())));
        return Ok(());
    }
    super::config::print(&sections.text(git_info.as_ref()));
    Ok(())
}

struct Sections<'a> {
    report: &'a Report,
    not_in_remote: Vec<String>,
    committed: Changes,
    untracked: Vec<String>,
    unchanged: Vec<String>,
}

/// (state, item text) of a category map, in the order dvc fills it.
fn change_items(c: &Changes) -> Vec<(&'static str, String)> {
    let mut items = Vec::new();
    items.extend(c.modified.iter().map(|p| ("modified", p.clone())));
    items.extend(c.added.iter().map(|p| ("added", p.clone())));
    items.extend(c.deleted.iter().map(|p| ("deleted", p.clone())));
    items.extend(
        c.renamed
            .iter()
            .map(|(o, n)| ("renamed", format!("{o} -> {n}"))),
    );
    items.extend(c.unknown.iter().map(|p| ("unknown", p.clone())));
    items
}

fn changes_json(c: &Changes) -> Value {
    let mut m = Map::new();
    let list = |v: &[String]| Value::Array(v.iter().map(|p| json!(p)).collect());
    for (k, v) in [
        ("modified", &c.modified),
        ("added", &c.added),
        ("deleted", &c.deleted),
    ] {
        if !v.is_empty() {
            m.insert(k.into(), list(v));
        }
    }
    if !c.renamed.is_empty() {
        m.insert(
            "renamed".into(),
            Value::Array(
                c.renamed
                    .iter()
                    .map(|(o, n)| json!({"old": o, "new": n}))
                    .collect(),
            ),
        );
    }
    if !c.unknown.is_empty() {
        m.insert("unknown".into(), list(&c.unknown));
    }
    Value::Object(m)
}

impl Sections<'_> {
    /// dvc's `compact(status)`: empty categories left out.
    fn json(&self) -> Value {
        let mut m = Map::new();
        let list = |v: &[String]| Value::Array(v.iter().map(|p| json!(p)).collect());
        if !self.report.not_in_cache.is_empty() {
            m.insert("not_in_cache".into(), list(&self.report.not_in_cache));
        }
        if !self.not_in_remote.is_empty() {
            m.insert("not_in_remote".into(), list(&self.not_in_remote));
        }
        if !self.committed.is_empty() {
            m.insert("committed".into(), changes_json(&self.committed));
        }
        if !self.report.uncommitted.is_empty() {
            m.insert("uncommitted".into(), changes_json(&self.report.uncommitted));
        }
        if !self.untracked.is_empty() {
            m.insert("untracked".into(), list(&self.untracked));
        }
        if !self.unchanged.is_empty() {
            m.insert("unchanged".into(), list(&self.unchanged));
        }
        Value::Object(m)
    }

    /// dvc's `CmdDataStatus._show_status`.
    fn text(&self, git: Option<&GitInfo>) -> String {
        let tab = " ".repeat(8);
        let plain = |v: &[String]| v.to_vec();
        let flat = |c: &Changes| {
            change_items(c)
                .into_iter()
                .map(|(s, p)| format!("{s}: {p}"))
                .collect::<Vec<_>>()
        };
        let blocks: Vec<(&str, &[&str], Vec<String>)> = vec![
            (
                "Not in cache",
                &["use \"dvc fetch <file>...\" to download files"],
                plain(&self.report.not_in_cache),
            ),
            (
                "Not in remote",
                &["use \"dvc push <file>...\" to upload files"],
                plain(&self.not_in_remote),
            ),
            (
                "DVC committed changes",
                &["git commit the corresponding dvc files to update the repo"],
                flat(&self.committed),
            ),
            (
                "DVC uncommitted changes",
                &[
                    "use \"dvc commit <file>...\" to track changes",
                    "use \"dvc checkout <file>...\" to discard changes",
                ],
                flat(&self.report.uncommitted),
            ),
            (
                "Untracked files",
                &["use \"git add <file> ...\" or \"dvc add <file>...\" to commit to git or to dvc"],
                plain(&self.untracked),
            ),
            ("DVC unchanged files", &[], plain(&self.unchanged)),
        ];
        let mut out = String::new();
        let mut shown = 0;
        for (label, hints, items) in &blocks {
            if items.is_empty() {
                continue;
            }
            if shown > 0 {
                out.push('\n');
            }
            shown += 1;
            out.push_str(&format!("{label}:\n"));
            for h in *hints {
                out.push_str(&format!("  ({h})\n"));
            }
            for i in items {
                out.push_str(&format!("{tab}{i}\n"));
            }
        }
        if shown == 0 {
            let empty = git.is_some_and(|g| g.is_empty);
            out.push_str(if empty {
                "No changes in an empty git repo.\n"
            } else {
                "No changes.\n"
            });
        }
        if git.is_some_and(|g| g.is_dirty) {
            let other = if shown > 0 { "other " } else { "" };
            out.push_str(&format!(
                "(there are {other}changes not tracked by dvc, use \"git status\" to see)\n"
            ));
        }
        out
    }
}

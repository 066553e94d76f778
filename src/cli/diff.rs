//! `diff [A] [B] [--json] [--targets ...]`: what changed in tracked data between two
//! revisions, or between a revision (default `HEAD`) and the workspace, printed exactly as
//! `dvc diff` prints it (spec §10.8). The comparison is [`crate::data::history::diff`].

use super::context::abs_targets;
use super::error::ErrorKind;
use super::ui::python_json;
use super::{CommandError, CommandResult, Context};
use crate::data::history::PointerParser;
use crate::data::history::diff::{self, DiffResult, Entry, Snapshot};
use crate::data::repo::Repo;
use crate::data::status;
use crate::git::history as githistory;
use std::collections::BTreeSet;

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Old git commit to compare (defaults to HEAD).
    #[arg(default_value = "HEAD")]
    pub a_rev: String,
    /// New git commit to compare (defaults to the current workspace).
    pub b_rev: Option<String>,
    /// Specific DVC-tracked files to compare.
    #[arg(long = "targets", num_args = 0..)]
    pub targets: Vec<String>,
    /// Format the output as JSON.
    #[arg(long)]
    pub json: bool,
    /// Hide the "not in cache" section.
    #[arg(long = "hide-missing")]
    pub hide_missing: bool,
}

fn failed(e: impl std::fmt::Display) -> CommandError {
    CommandError::failed(format!("failed to get diff - {e}"))
}

/// The recorded outs of a revision.
fn rev_snapshot(repo: &Repo, rev: &str) -> CommandResult<Snapshot> {
    let files = githistory::files_at(&repo.root, rev).map_err(|e| match e {
        githistory::HistoryError::UnknownRevision(r) => {
            failed(format!("unknown Git revision '{r}'"))
        }
        other => failed(other),
    })?;
    let mut blobs = Vec::with_capacity(files.len());
    let mut list = Vec::with_capacity(files.len());
    for (i, (path, text)) in files.into_iter().enumerate() {
        blobs.push(text);
        list.push((path, i));
    }
    let outs = PointerParser::new(&blobs).outs(&list).map_err(failed)?;
    // A `.dir` only on the remote (a fresh clone) is not fetched: dvc 3.67.1 does not
    // either, and reports such a directory as a whole (`Modified: d/`).
    Ok(Snapshot::from_outs(&outs, &repo.odb))
}

/// The workspace: every cached out of the workspace pointers, hashed as it is on disk.
fn workspace_snapshot(repo: &Repo) -> CommandResult<Snapshot> {
    let stages = repo.collect_stages()?;
    let mut snap = Snapshot::default();
    for st in &stages {
        for o in &st.outs {
            if !o.out.cache {
                continue;
            }
            let cur = status::current(repo, o, false)
                .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
            let Some(cur) = cur else { continue };
            status::record(repo, o, &cur);
            let legacy = o.out.is_legacy();
            snap.add_root(&o.rel, &cur.md5, legacy);
            if let Some(dh) = &cur.dir {
                snap.add_tree(&o.rel, &dh.tree, legacy);
            }
        }
    }
    Ok(snap)
}

/// Roots selected by targets: outs at or below a target, or the target itself when it
/// lies inside a directory out.
fn target_roots(
    repo: &Repo,
    ctx: &Context,
    targets: &[String],
    sides: [&Snapshot; 2],
) -> CommandResult<Option<BTreeSet<String>>> {
    if targets.is_empty() {
        return Ok(None);
    }
    let cwd = ctx.cwd()?;
    let mut roots = BTreeSet::new();
    for (t, abs) in targets.iter().zip(abs_targets(&cwd, targets)) {
        let rel = repo.rel(&abs).unwrap_or_default();
        let mut matched = false;
        for side in sides {
            for r in &side.roots {
                if rel.is_empty() || *r == rel || r.starts_with(&format!("{rel}/")) {
                    roots.insert(r.clone());
                    matched = true;
                } else if rel.starts_with(&format!("{r}/")) {
                    roots.insert(rel.clone());
                    matched = true;
                }
            }
        }
        if !matched {
            return Err(CommandError::unhandled(format!(
                "unexpected error - [Errno 2] No such file or directory: '{t}'"
            )));
        }
    }
    Ok(Some(roots))
}

/// Run `diff`.
pub fn run(ctx: &Context, args: DiffArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo)?;
    let hide_missing = args.b_rev.is_some() || args.hide_missing;
    let has_commits = githistory::has_commits(&repo.root).unwrap_or(false);
    let result = if !has_commits {
        DiffResult::default()
    } else {
        compute(ctx, &repo, &args)?
    };
    if args.json {
        println!("{}", render_json(&result, hide_missing));
    } else {
        print!("{}", render_text(&result, hide_missing));
    }
    Ok(())
}

fn compute(ctx: &Context, repo: &Repo, args: &DiffArgs) -> CommandResult<DiffResult> {
    let workspace = |r: &str| r == "workspace";
    let old = if workspace(&args.a_rev) {
        workspace_snapshot(repo)?
    } else {
        rev_snapshot(repo, &args.a_rev)?
    };
    let (new, with_missing) = match args.b_rev.as_deref() {
        None => (workspace_snapshot(repo)?, true),
        Some(b) if workspace(b) => (workspace_snapshot(repo)?, false),
        Some(b) => {
            let a_id = githistory::resolve_commit(&repo.root, &args.a_rev).ok();
            let b_id = githistory::resolve_commit(&repo.root, b).ok();
            let snap = rev_snapshot(repo, b)?;
            if a_id.is_some() && a_id == b_id {
                // Both name the same commit: nothing to compare (dvc groups revs by sha).
                return Ok(DiffResult::default());
            }
            (snap, false)
        }
    };
    let roots = target_roots(repo, ctx, &args.targets, [&old, &new])?;
    let odb = &repo.odb;
    let in_cache = |e: &Entry| odb.exists(&e.md5, e.legacy);
    Ok(diff::diff(
        &old,
        &new,
        roots.as_ref(),
        with_missing,
        &in_cache,
    ))
}

/// `{"added": [{"path": …}], …, "not in cache": […]}` (json.dumps separators).
fn render_json(r: &DiffResult, hide_missing: bool) -> String {
    use serde_json::{Map, Value, json};
    if r.is_empty() {
        return "{}".to_string();
    }
    let paths = |v: &[String]| Value::Array(v.iter().map(|p| json!({ "path": p })).collect());
    let mut m = Map::new();
    m.insert("added".into(), paths(&r.added));
    m.insert("deleted".into(), paths(&r.deleted));
    m.insert("modified".into(), paths(&r.modified));
    m.insert(
        "renamed".into(),
        Value::Array(
            r.renamed
                .iter()
                .map(|(o, n)| json!({ "path": { "old": o, "new": n } }))
                .collect(),
        ),
    );
    if !hide_missing {
        m.insert("not in cache".into(), paths(&r.not_in_cache));
    }
    python_json(&Value::Object(m))
}

/// dvc's `CmdDiff._show_diff`.
fn render_text(r: &DiffResult, hide_missing: bool) -> String {
    if r.is_empty() {
        return String::new();
    }
    let renamed: Vec<String> = r
        .renamed
        .iter()
        .map(|(o, n)| format!("{o} -> {n}"))
        .collect();
    let mut states: Vec<(&str, &[String])> = vec![
        ("added", &r.added),
        ("deleted", &r.deleted),
        ("renamed", &renamed),
        ("modified", &r.modified),
    ];
    if !hide_missing {
        states.push(("not in cache", &r.not_in_cache));
    }
    let mut out = String::new();
    let mut summary = Vec::new();
    for (state, entries) in &states {
        if entries.is_empty() {
            continue;
        }
        let mut header = state.to_string();
        header[..1].make_ascii_uppercase();
        out.push_str(&format!("{header}:\n"));
        let mut count = 0;
        for p in entries.iter() {
            out.push_str(&format!("    {p}\n"));
            if !p.ends_with('/') {
                count += 1;
            }
        }
        out.push('\n');
        if count > 0 {
            summary.push(format!("{count} {state}"));
        }
    }
    if !summary.is_empty() {
        out.push_str(&format!("files summary: {}\n", summary.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_matches_dvc_layout() {
        let r = DiffResult {
            added: vec!["d/z".into()],
            deleted: vec!["g".into()],
            modified: vec!["d/".into(), "d/y".into(), "f".into()],
            renamed: vec![],
            not_in_cache: vec![],
        };
        assert_eq!(
            render_text(&r, false),
            "Added:\n    d/z\n\nDeleted:\n    g\n\nModified:\n    d/\n    d/y\n    f\n\nfiles summary: 1 added, 1 deleted, 2 modified\n"
        );
        assert_eq!(
            render_json(&r, false),
            r#"{"added": [{"path": "d/z"}], "deleted": [{"path": "g"}], "modified": [{"path": "d/"}, {"path": "d/y"}, {"path": "f"}], "renamed": [], "not in cache": []}"#
        );
    }
}

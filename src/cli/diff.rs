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
    /// Show each entry's hash.
    #[arg(long = "show-hash")]
    pub show_hash: bool,
    /// Print a Markdown (GFM) table.
    #[arg(long = "md")]
    pub md: bool,
}

/// Each entry's hash, as dvc's `_hash` gives it: the new side's for an addition, the
/// old side's otherwise, both for a modification.
struct Hashes {
    old: Snapshot,
    new: Snapshot,
}

/// A hash as dvc shows it: one, or an old/new pair.
enum Hash {
    One(String),
    Pair(String, String),
}

impl Hashes {
    fn md5(snap: &Snapshot, path: &str) -> String {
        snap.entries
            .get(path.trim_end_matches('/'))
            .map(|e| e.md5.clone())
            .unwrap_or_default()
    }
    fn of(&self, state: &str, path: &str) -> Hash {
        match state {
            "added" => Hash::One(Self::md5(&self.new, path)),
            "modified" => Hash::Pair(Self::md5(&self.old, path), Self::md5(&self.new, path)),
            _ => {
                let old = Self::md5(&self.old, path);
                Hash::One(if old.is_empty() {
                    Self::md5(&self.new, path)
                } else {
                    old
                })
            }
        }
    }
    fn json(&self, state: &str, path: &str) -> serde_json::Value {
        match self.of(state, path) {
            Hash::One(h) => serde_json::Value::String(h),
            Hash::Pair(o, n) => serde_json::json!({ "old": o, "new": n }),
        }
    }
    /// dvc's `_digest`: 8 characters of each.
    fn digest(&self, state: &str, path: &str) -> String {
        let short = |h: &str| h.chars().take(8).collect::<String>();
        match self.of(state, path) {
            Hash::One(h) => short(&h),
            Hash::Pair(o, n) => format!("{}..{}", short(&o), short(&n)),
        }
    }
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
    let _lock = ctx
        .lock(&repo)
        .map_err(|e| e.lock_prefix("failed to get diff - "))?;
    let hide_missing = args.b_rev.is_some() || args.hide_missing;
    let has_commits = githistory::has_commits(&repo.root).unwrap_or(false);
    let (result, hashes) = if !has_commits {
        (DiffResult::default(), None)
    } else {
        let (r, old, new) = compute(ctx, &repo, &args)?;
        (r, Some(Hashes { old, new }))
    };
    let hashes = hashes.filter(|_| args.show_hash);
    if args.json {
        println!("{}", render_json(&result, hide_missing, hashes.as_ref()));
    } else if args.md {
        print!(
            "{}",
            render_markdown(&result, hide_missing, hashes.as_ref())
        );
    } else {
        print!("{}", render_text(&result, hide_missing, hashes.as_ref()));
    }
    Ok(())
}

/// dvc's `_show_markdown`: a GFM table (tabulate's `github` layout: each column as wide
/// as its widest cell, and at least its header plus two), then an empty line.
fn render_markdown(r: &DiffResult, hide_missing: bool, hashes: Option<&Hashes>) -> String {
    let mut headers = vec!["Status"];
    if hashes.is_some() {
        headers.push("Hash");
    }
    headers.push("Path");
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (state, paths) in states(r, hide_missing) {
        for (key, shown) in paths {
            let mut row = vec![state.to_string()];
            if let Some(h) = hashes {
                row.push(h.digest(state, &key));
            }
            row.push(shown);
            rows.push(row);
        }
    }
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
                .max(h.len() + 2)
        })
        .collect();
    let line = |cells: &[String]| {
        let inner: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!(" {c:<w$} "))
            .collect();
        format!("|{}|\n", inner.join("|"))
    };
    let mut out = line(&headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    out.push_str(&format!("|{}|\n", dashes.join("|")));
    for row in &rows {
        out.push_str(&line(row));
    }
    out.push('\n');
    out
}

/// The sections in dvc's order, each entry as (the path hashes are looked up by, what is
/// shown).
fn states(r: &DiffResult, hide_missing: bool) -> Vec<(&'static str, Vec<(String, String)>)> {
    let same = |v: &[String]| v.iter().map(|p| (p.clone(), p.clone())).collect::<Vec<_>>();
    let mut states = vec![
        ("added", same(&r.added)),
        ("deleted", same(&r.deleted)),
        (
            "renamed",
            r.renamed
                .iter()
                .map(|(o, n)| (o.clone(), format!("{o} -> {n}")))
                .collect(),
        ),
        ("modified", same(&r.modified)),
    ];
    if !hide_missing {
        states.push(("not in cache", same(&r.not_in_cache)));
    }
    states
}

fn compute(
    ctx: &Context,
    repo: &Repo,
    args: &DiffArgs,
) -> CommandResult<(DiffResult, Snapshot, Snapshot)> {
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
                return Ok((
                    DiffResult::default(),
                    Snapshot::default(),
                    Snapshot::default(),
                ));
            }
            (snap, false)
        }
    };
    let roots = target_roots(repo, ctx, &args.targets, [&old, &new])?;
    let odb = &repo.odb;
    let in_cache = |e: &Entry| odb.exists(&e.md5, e.legacy);
    let result = diff::diff(&old, &new, roots.as_ref(), with_missing, &in_cache);
    Ok((result, old, new))
}

/// `{"added": [{"path": …}], …, "not in cache": […]}` (json.dumps separators).
fn render_json(r: &DiffResult, hide_missing: bool, hashes: Option<&Hashes>) -> String {
    use serde_json::{Map, Value, json};
    if r.is_empty() {
        return "{}".to_string();
    }
    let entry = |state: &str, path: Value, key: &str| {
        let mut e = Map::new();
        e.insert("path".into(), path);
        if let Some(h) = hashes {
            e.insert("hash".into(), h.json(state, key));
        }
        Value::Object(e)
    };
    let paths = |state: &str, v: &[String]| {
        Value::Array(v.iter().map(|p| entry(state, json!(p), p)).collect())
    };
    let mut m = Map::new();
    m.insert("added".into(), paths("added", &r.added));
    m.insert("deleted".into(), paths("deleted", &r.deleted));
    m.insert("modified".into(), paths("modified", &r.modified));
    m.insert(
        "renamed".into(),
        Value::Array(
            r.renamed
                .iter()
                .map(|(o, n)| entry("renamed", json!({ "old": o, "new": n }), o))
                .collect(),
        ),
    );
    if !hide_missing {
        m.insert(
            "not in cache".into(),
            paths("not in cache", &r.not_in_cache),
        );
    }
    python_json(&Value::Object(m))
}

/// dvc's `CmdDiff._show_diff`.
fn render_text(r: &DiffResult, hide_missing: bool, hashes: Option<&Hashes>) -> String {
    if r.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut summary = Vec::new();
    for (state, entries) in states(r, hide_missing) {
        if entries.is_empty() {
            continue;
        }
        let mut header = state.to_string();
        header[..1].make_ascii_uppercase();
        out.push_str(&format!("{header}:\n"));
        let mut count = 0;
        for (key, p) in entries.iter() {
            match hashes {
                Some(h) => out.push_str(&format!("    {}  {p}\n", h.digest(state, key))),
                None => out.push_str(&format!("    {p}\n")),
            }
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
            render_text(&r, false, None),
            "Added:\n    d/z\n\nDeleted:\n    g\n\nModified:\n    d/\n    d/y\n    f\n\nfiles summary: 1 added, 1 deleted, 2 modified\n"
        );
        assert_eq!(
            render_json(&r, false, None),
            r#"{"added": [{"path": "d/z"}], "deleted": [{"path": "g"}], "modified": [{"path": "d/"}, {"path": "d/y"}, {"path": "f"}], "renamed": [], "not in cache": []}"#
        );
    }
}

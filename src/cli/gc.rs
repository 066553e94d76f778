//! `gc`: remove cache objects that no pointer in scope uses (spec §10.7), with dvc's
//! scopes, messages, prompt and exit codes, plus version retention (`--keep`,
//! `--older-than`) that dvc lacks.
//!
//! The revision walk is one gix pass ([`crate::git::history`]); the decision is
//! [`crate::data::gc`]. The workspace is always in scope, as in dvc's `brancher`.

use super::context::abs_targets;
use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::data::gc::{self, ObjectKey, retention};
use crate::data::history::{self, HistOut, PointerParser};
use crate::data::remote::Remote;
use crate::data::repo::Repo;
use crate::data::transfer::{self, Object, TransferError};
use crate::git::history as githistory;
use std::collections::{HashMap, HashSet};

/// Arguments of `gc`.
#[derive(Debug, clap::Args)]
pub struct GcArgs {
    /// Keep data files used in the current workspace.
    #[arg(short = 'w', long = "workspace")]
    pub workspace: bool,
    /// Keep data files for the tips of all git branches.
    #[arg(short = 'a', long = "all-branches")]
    pub all_branches: bool,
    /// Keep data files for all git tags.
    #[arg(short = 'T', long = "all-tags")]
    pub all_tags: bool,
    /// Keep data files for all git commits.
    #[arg(short = 'A', long = "all-commits")]
    pub all_commits: bool,
    /// Keep data files used in the specified commit.
    #[arg(long = "rev", value_name = "COMMIT")]
    pub rev: Option<String>,
    /// Keep data files used in the last NUM commits from each selected root (with --rev or -a).
    #[arg(short = 'n', long = "num", value_name = "NUM")]
    pub num: Option<usize>,
    /// Collect garbage in remote storage in addition to the local cache.
    #[arg(short = 'c', long = "cloud")]
    pub cloud: bool,
    /// Remote storage to collect garbage in (with -c).
    #[arg(short = 'r', long = "remote", value_name = "NAME")]
    pub remote: Option<String>,
    /// Do not prompt.
    #[arg(short = 'f', long = "force")]
    pub force: bool,
    /// Only print what would be removed.
    #[arg(long = "dry")]
    pub dry: bool,
    /// Retention: keep the N newest versions of each output along history (plus the
    /// workspace and every branch tip). Implies -A unless a scope is given.
    #[arg(long = "keep", value_name = "N")]
    pub keep: Option<usize>,
    /// Retention: drop versions referenced only by commits older than DURATION
    /// (`30d`, `12h`, `2w`, …); the workspace and branch tips are always kept.
    #[arg(long = "older-than", value_name = "DURATION", value_parser = parse_duration)]
    pub older_than: Option<i64>,
    /// With --keep/--older-than: prune only these outputs (others keep every version).
    #[arg(value_name = "TARGETS")]
    pub targets: Vec<String>,
    /// Treat `.dir` manifests missing from the cache as empty, as dvc does: files only
    /// they list may be removed. Without it such a gc removes no file objects.
    #[arg(long = "drop-unexpandable")]
    pub drop_unexpandable: bool,
    /// Keep data files used by commits at or after this date (yyyy-mm-dd, UTC).
    #[arg(long = "date", value_name = "yyyy-mm-dd")]
    pub date: Option<String>,
    /// Keep data files of every dvc experiment (refs under `refs/exps/`).
    #[arg(long = "all-experiments")]
    pub all_experiments: bool,
    /// Keep only used data that the remote lacks: used objects the remote has are
    /// removed from the cache too.
    #[arg(long = "not-in-remote")]
    pub not_in_remote: bool,
    /// Skip revisions whose pointer files cannot be read, instead of failing.
    #[arg(long = "skip-failed")]
    pub skip_failed: bool,
    /// Also keep what these projects (sharing this cache) use, in the same scope.
    #[arg(short = 'p', long = "projects", value_name = "paths", num_args = 0..)]
    pub projects: Vec<std::path::PathBuf>,
}

/// `yyyy-mm-dd` as the UTC midnight starting that day, in seconds since the epoch.
fn parse_date(s: &str) -> Result<i64, String> {
    let bad = || format!("'{s}' is not a date in the extended ISO 8601 format (yyyy-mm-dd)");
    let mut parts = s.splitn(3, '-');
    let mut next = |len: usize| -> Result<i64, String> {
        let p = parts.next().filter(|p| p.len() == len).ok_or_else(bad)?;
        p.parse::<i64>().map_err(|_| bad())
    };
    let (y, m, d) = (next(4)?, next(2)?, next(2)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * 86_400)
}

/// Parse `30d`, `12h`, `90m`, `45s`, `2w`, `1y` into seconds.
fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("'{s}' needs a unit: s, m, h, d, w or y (e.g. 30d)"))?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("'{s}' does not start with a number"))?;
    let mult = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "y" => 365 * 86_400,
        _ => return Err(format!("unknown unit '{unit}' (use s, m, h, d, w or y)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("'{s}' is too large"))
}

fn invalid(msg: &str) -> CommandError {
    CommandError::new(ErrorKind::Unhandled, msg)
}

/// dvc's `_validate_args`.
fn validate(args: &GcArgs, retention: bool) -> CommandResult {
    // dvc 3.67.1 never passes `remote` to `_validate_args`, so `-r` without `-c` is
    // silently ignored; so is it here.
    if args.not_in_remote && args.cloud {
        return Err(invalid(
            "`--not-in-remote` and `--cloud` are mutually exclusive",
        ));
    }
    let any_scope = args.workspace
        || args.all_branches
        || args.all_tags
        || args.all_commits
        || args.all_experiments
        || args.date.is_some()
        || args.rev.is_some();
    if !any_scope && !retention {
        return Err(invalid(
            "Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` \
             `--all-experiments`, `--all-commits`, `--date` or `--rev` needs to be set.",
        ));
    }
    if args.num.is_some() && args.rev.is_none() && !args.all_branches {
        return Err(invalid(
            "`--num` can only be used alongside `--rev` or `--all-branches`",
        ));
    }
    if !retention && !args.targets.is_empty() {
        return Err(CommandError::new(
            ErrorKind::Usage,
            "targets can only be given with `--keep` or `--older-than`",
        ));
    }
    Ok(())
}

/// dvc's warning text (`dvc/commands/gc.py`).
fn warning(args: &GcArgs, num: Option<usize>, projects_abs: &[std::path::PathBuf]) -> String {
    let mut msg = String::from("This will remove all cache except items used in the workspace");
    if args.keep.is_some() || args.older_than.is_some() {
        msg.push_str(", all git branch tips");
        if let Some(n) = args.keep {
            msg.push_str(&format!(" and the {n} newest versions of each output"));
        }
        if args.older_than.is_some() {
            msg.push_str(" and versions recorded by recent commits");
        }
    } else if args.all_commits {
        msg.push_str(" and all git commits");
    } else {
        if args.all_branches && args.all_tags {
            match num {
                Some(n) => msg.push_str(&format!(
                    " and last {n} commits from all git branches and all git tags"
                )),
                None => msg.push_str(" and all git branches and tags"),
            }
        } else if args.all_branches {
            match num {
                Some(n) => msg.push_str(&format!(" and last {n} commits from all git branches")),
                None => msg.push_str(" and all git branches"),
            }
        } else if args.all_tags {
            msg.push_str(" and all git tags");
        }
        if let Some(date) = &args.date {
            msg.push_str(&format!(" and all git commits before date {date}"));
        }
        if let Some(rev) = &args.rev {
            msg.push_str(&format!(
                " and last {} commits from {rev}",
                num.unwrap_or(1)
            ));
        }
    }
    if args.all_experiments {
        msg.push_str(" and all experiments");
    }
    if args.not_in_remote {
        msg.push_str(" that are not present in the DVC remote");
    }
    if args.projects.is_empty() {
        msg.push_str(" of the current repo.");
    } else {
        msg.push_str(" of the current and the following repos:");
        for p in projects_abs {
            msg.push_str(&format!("\n  - {}", p.display()));
        }
    }
    msg
}

/// Where a used `.dir` was seen, for messages.
struct Seen {
    path: String,
    file: String,
    rev: String,
}

/// Run `gc`.
pub fn run(ctx: &Context, args: GcArgs) -> CommandResult {
    let retention_mode = args.keep.is_some() || args.older_than.is_some();
    let repo = ctx.open_repo()?;
    validate(&args, retention_mode)?;
    let num = if args.rev.is_some() {
        Some(args.num.unwrap_or(1))
    } else {
        args.num
    };
    // Resolve the remote before anything is removed (dvc fails here too).
    let remote = if args.cloud {
        Some(open_remote(&repo, args.remote.as_deref())?)
    } else {
        None
    };
    let cwd = ctx.cwd()?;
    let projects_abs: Vec<std::path::PathBuf> = args
        .projects
        .iter()
        .map(|p| crate::data::pathsafe::normalize(&cwd.join(p)))
        .collect();
    // Open the other projects first: a path that is not one fails before anything goes.
    let projects: Vec<Repo> = projects_abs
        .iter()
        .map(|p| ctx.open_repo_at(p))
        .collect::<Result<_, _>>()?;
    let since = args
        .date
        .as_deref()
        .map(parse_date)
        .transpose()
        .map_err(invalid_owned)?;
    // `--not-in-remote` asks the remote (the `-r` one, else the default) what it has.
    let not_in_remote = if args.not_in_remote {
        Some(open_remote(&repo, args.remote.as_deref())?)
    } else {
        None
    };
    eprintln!("WARNING: {}", warning(&args, num, &projects_abs));
    let force = args.force || args.dry;
    if !force && !super::ui::confirm("Are you sure you want to proceed?") {
        return Err(CommandError::silent(1));
    }
    let _lock = ctx.lock(&repo)?;

    // The workspace is always in scope.
    let stages = repo.collect_stages()?;
    let workspace = history::from_stages(&stages);
    let mut seen_dirs: HashMap<ObjectKey, Seen> = HashMap::new();
    let mut roots: HashSet<ObjectKey> = HashSet::new();
    // `.dir`s whose entries a `files:` list names (cloud-versioned outs).
    let mut listed: HashMap<ObjectKey, Vec<String>> = HashMap::new();
    for o in &workspace {
        note_listed(&mut listed, o);
        note_dir(&mut seen_dirs, o, "workspace");
        roots.insert(o.object());
    }

    let history_scope = args.all_branches
        || args.all_tags
        || args.all_commits
        || args.all_experiments
        || since.is_some()
        || args.rev.is_some()
        || retention_mode;
    if history_scope {
        let scope = githistory::Scope {
            all_branches: args.all_branches,
            all_tags: args.all_tags,
            all_commits: args.all_commits
                || (retention_mode && !args.all_branches && !args.all_tags && args.rev.is_none()),
            revs: args.rev.iter().cloned().collect(),
            num: num.unwrap_or(1),
            history: retention_mode,
            experiments: args.all_experiments,
            since,
        };
        let hist = githistory::collect(&repo.root, &scope)?;
        let mut parser = PointerParser::new(&hist.blobs);
        let mut revs = Vec::with_capacity(hist.revisions.len());
        for rev in &hist.revisions {
            let outs = match parser.outs(&rev.files) {
                Ok(outs) => outs,
                Err(e) if args.skip_failed => {
                    eprintln!(
                        "WARNING: failed to collect '{}', skipping: {e}",
                        &rev.id[..rev.id.len().min(7)]
                    );
                    continue;
                }
                Err(e) => {
                    return Err(CommandError::failed(format!(
                        "failed to collect '{}': {e}",
                        &rev.id[..rev.id.len().min(7)]
                    ))
                    .hint(
                        "gc reads every pointer file in scope; fix or narrow the scope, or pass `--skip-failed`",
                    ));
                }
            };
            for o in &outs {
                note_listed(&mut listed, o);
                note_dir(&mut seen_dirs, o, &rev.id);
            }
            revs.push(retention::RevOuts {
                time: rev.time,
                is_tip: rev.is_tip,
                outs,
            });
        }
        if retention_mode {
            let cwd = ctx.cwd()?;
            let targets = abs_targets(&cwd, &args.targets)
                .iter()
                .map(|t| {
                    repo.rel(t).ok_or_else(|| {
                        CommandError::failed(format!(
                            "'{}' is outside of the DVC repository",
                            t.display()
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            let policy = retention::Policy {
                keep: args.keep,
                newer_than: args.older_than.map(|d| now - d),
                targets,
            };
            roots.extend(retention::kept(&revs, &policy));
        } else {
            for r in revs {
                roots.extend(r.outs.iter().map(HistOut::object));
            }
        }
    }

    // Like dvc (`Output.get_dir_cache`), fetch used manifests the cache lacks from the
    // remote (the `-r` one, else the default), so their files can be counted as used.
    // `-p`: what the other projects use in the same scope (their workspace and history).
    for project in &projects {
        let stages = project.collect_stages()?;
        roots.extend(history::from_stages(&stages).iter().map(HistOut::object));
        if history_scope && !retention_mode {
            let scope = githistory::Scope {
                all_branches: args.all_branches,
                all_tags: args.all_tags,
                all_commits: args.all_commits,
                revs: args.rev.iter().cloned().collect(),
                num: num.unwrap_or(1),
                history: false,
                experiments: args.all_experiments,
                since,
            };
            let hist = githistory::collect(&project.root, &scope)?;
            let mut parser = PointerParser::new(&hist.blobs);
            for rev in &hist.revisions {
                match parser.outs(&rev.files) {
                    Ok(outs) => roots.extend(outs.iter().map(HistOut::object)),
                    Err(e) if args.skip_failed => tracing::warn!("skipping {}: {e}", rev.id),
                    Err(e) => {
                        return Err(CommandError::failed(format!(
                            "failed to collect '{}' in '{}': {e}",
                            &rev.id[..rev.id.len().min(7)],
                            project.root.display()
                        )));
                    }
                }
            }
        }
    }
    // A `files:` list is its directory's manifest: its entries are used whether or not
    // the cache holds the `.dir` (dvc 3.67.1 drops them when the `.dir` is missing; the
    // pointer names them, so git-dvc keeps them).
    let listed_entries: Vec<ObjectKey> = roots
        .iter()
        .filter_map(|k| listed.get(k).map(|m| (k.1, m)))
        .flat_map(|(legacy, md5s)| md5s.iter().map(move |m| (m.clone(), legacy)))
        .collect();
    let unlisted: HashSet<ObjectKey> = roots
        .iter()
        .filter(|k| !listed.contains_key(*k))
        .cloned()
        .collect();
    fetch_missing_manifests(&repo, remote.as_ref(), args.remote.as_deref(), &unlisted);
    roots.extend(listed_entries);
    let mut expansion = gc::expand(&repo.odb, roots);
    expansion.missing_dirs.retain(|k| !listed.contains_key(k));
    if let Some(remote) = &not_in_remote {
        drop_what_remote_has(ctx, &repo, remote, &mut expansion.used)?;
    }
    let keep_files = !expansion.missing_dirs.is_empty() && !args.drop_unexpandable;
    for key in &expansion.missing_dirs {
        let (path, where_) = match seen_dirs.get(key) {
            Some(s) if s.rev == "workspace" => (s.path.clone(), format!("'{}'", s.file)),
            Some(s) => (
                s.path.clone(),
                format!("'{}' at {}", s.file, &s.rev[..s.rev.len().min(7)]),
            ),
            None => (key.0.clone(), String::from("history")),
        };
        eprintln!(
            "WARNING: Missing cache for directory '{path}' ({}, recorded in {where_}).",
            key.0
        );
    }
    if keep_files {
        eprintln!(
            "WARNING: the files of missing directories cannot be told apart from unused \
             files, so no file objects will be removed. Fetch the listed directories \
             (`git dvc fetch`) and run gc again, or pass `--drop-unexpandable` to remove \
             them as dvc would."
        );
    }

    let listing = repo
        .odb
        .list()
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    let plan = gc::plan(listing, &expansion.used, keep_files);
    finish(ctx, &repo, "repo", &plan.repo, args.dry)?;
    finish(ctx, &repo, "legacy", &plan.legacy, args.dry)?;
    if let Some(remote) = &remote {
        gc_remote(ctx, remote, &expansion.used, keep_files, args.dry)?;
    }

    Ok(())
}

fn invalid_owned(msg: String) -> CommandError {
    CommandError::new(ErrorKind::Unhandled, msg)
}

/// dvc's `_used_obj_ids_not_in_remote`: of the used objects, keep only those the remote
/// lacks, so a used object that is safe on the remote leaves the cache too.
fn drop_what_remote_has(
    ctx: &Context,
    repo: &Repo,
    remote: &Remote,
    used: &mut HashSet<ObjectKey>,
) -> CommandResult {
    let objects: Vec<Object> = used
        .iter()
        .filter_map(|(oid, legacy)| Object::parse(oid, *legacy))
        .collect();
    let options = transfer::transfer_options(remote, ctx.jobs_flag);
    let states = transfer::compare(&repo.odb, remote, &objects, &options)
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    for (o, st) in objects.iter().zip(states) {
        if matches!(
            st,
            transfer::CloudState::InSync | transfer::CloudState::Deleted
        ) {
            used.remove(&(o.oid().to_string(), o.legacy));
        }
    }
    Ok(())
}

fn open_remote(repo: &Repo, name: Option<&str>) -> CommandResult<Remote> {
    repo.open_remote(name).map_err(|e| match e {
        TransferError::NoRemote(_) => {
            let root = repo.root.display();
            let msg = if repo.config.remote_names().is_empty() {
                format!(
                    "no remote specified in {root}. Create a default remote with\n    git dvc remote add -d <remote name> <remote url>"
                )
            } else {
                format!(
                    "no remote specified in {root}. Setup default remote with\n    git dvc remote default <remote name>\nor use:\n    git dvc gc -c -r <remote name>"
                )
            };
            CommandError::unhandled(msg)
        }
        TransferError::Config(c) => CommandError::failed(format!("config file error: {c}")),
        other => CommandError::with_source(ErrorKind::Failed, other),
    })
}

/// Download used `.dir` manifests missing from the cache (only the manifests), verified,
/// from the `-r` remote or else the default one. Failures are left for the
/// missing-manifest warning.
fn fetch_missing_manifests(
    repo: &Repo,
    remote: Option<&Remote>,
    name: Option<&str>,
    roots: &HashSet<ObjectKey>,
) {
    let missing: Vec<Object> = roots
        .iter()
        .filter(|(o, l)| o.ends_with(".dir") && !repo.odb.exists(o, *l))
        .filter_map(|(o, l)| Object::parse(o, *l))
        .collect();
    if missing.is_empty() {
        return;
    }
    match remote {
        Some(r) => {
            transfer::fetch_manifests_forgiving(repo, r, &missing);
        }
        None if name.is_none() => {
            transfer::fetch_manifests_quietly(repo, None, &missing);
        }
        None => {}
    }
}

/// `gc -c`: the same used set applied to the remote, both layouts, `.dir`s first.
fn gc_remote(
    ctx: &Context,
    remote: &Remote,
    used: &HashSet<ObjectKey>,
    keep_files: bool,
    dry: bool,
) -> CommandResult {
    let remote_err = |e| CommandError::with_source(ErrorKind::Failed, e);
    for names in gc::plan_remote(remote, used, keep_files).map_err(remote_err)? {
        if dry {
            for n in &names {
                ctx.out(format!("Removing {n}"));
            }
        } else {
            gc::remove_remote(remote, &names).map_err(remote_err)?;
        }
        if names.is_empty() {
            ctx.out("No unused cache to remove from remote.");
        } else {
            ctx.out(format!("Removed {} objects from remote.", names.len()));
        }
    }
    Ok(())
}

fn note_listed(listed: &mut HashMap<ObjectKey, Vec<String>>, o: &HistOut) {
    if !o.listed.is_empty() {
        listed.entry(o.object()).or_insert_with(|| o.listed.clone());
    }
}

fn note_dir(seen: &mut HashMap<ObjectKey, Seen>, o: &HistOut, rev: &str) {
    if o.is_dir() {
        seen.entry(o.object()).or_insert_with(|| Seen {
            path: o.path.clone(),
            file: o.file.clone(),
            rev: rev.to_string(),
        });
    }
}

fn finish(
    ctx: &Context,
    repo: &Repo,
    scheme: &str,
    keys: &[ObjectKey],
    dry: bool,
) -> CommandResult {
    let n = if dry {
        for (oid, legacy) in keys {
            ctx.out(format!(
                "Removing {}",
                repo.odb.path(oid, *legacy).display()
            ));
        }
        keys.len()
    } else {
        gc::remove(&repo.odb, keys).map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?
    };
    if n > 0 {
        ctx.out(format!("Removed {n} objects from {scheme} cache."));
    } else {
        ctx.out(format!("No unused '{scheme}' cache to remove."));
    }
    Ok(())
}

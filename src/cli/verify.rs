//! `verify [targets] [-r R] [--fast] [--json]`: re-hash every cache object the
//! workspace's outs reference (and with `-r`, the remote's copies) and name each corrupt
//! or missing object together with the outs that use it. Exit 1 when anything is wrong.
//!
//! Unlike dvc's existence checks, this ignores the "0444 means trusted" shortcut
//! (spec §4.2): every object is read and hashed. Nothing is deleted or repaired.
//!
//! With `--fast`, a remote object is checked against the md5 the store keeps of it where
//! it keeps one (S3's ETag of a single-part upload, GCS's `md5Hash`, Azure's
//! `Content-MD5`), one metadata request instead of a download; the others are downloaded
//! and hashed as without it. Without targets, objects on a listable remote that no out
//! of the workspace references are reported too (they are not an error).

use super::context::abs_targets;
use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::data::hash;
use crate::data::odb::{self, Odb};
use crate::data::remote::{self, Remote};
use crate::data::tree::Tree;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Arguments of `verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Limit to these `.dvc` files or out paths.
    pub targets: Vec<String>,
    /// Also verify the copies on this remote (downloads and re-hashes them).
    #[arg(short = 'r', long = "remote", value_name = "NAME")]
    pub remote: Option<String>,
    /// On the remote, trust the store's own md5 of an object where it keeps one (S3 ETag
    /// of a single-part upload, GCS md5Hash, Azure Content-MD5) instead of downloading it.
    #[arg(long, requires = "remote")]
    pub fast: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// What is wrong with one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Problem {
    Missing,
    Corrupt(String),
    Unreadable(String),
    BadManifest(String),
}

/// Object -> the workspace paths that use it (an out, or `out/relpath` inside a dir).
pub(super) type Users = BTreeMap<(String, bool), Vec<String>>;

/// Run `verify`.
pub fn run(ctx: &Context, args: VerifyArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo)?;
    let cwd = ctx.cwd()?;
    let stages = repo.stages_for_targets(&abs_targets(&cwd, &args.targets))?;

    let mut users: Users = BTreeMap::new();
    let mut problems: BTreeMap<(String, bool), Problem> = BTreeMap::new();
    for st in &stages {
        for o in &st.outs {
            let (true, Some(md5)) = (o.out.cache, o.out.md5.as_deref()) else {
                continue;
            };
            let legacy = o.out.is_legacy();
            let key = (md5.to_string(), legacy);
            users.entry(key.clone()).or_default().push(o.rel.clone());
            if !o.out.is_dir() {
                continue;
            }
            match repo.odb.read(md5, legacy) {
                Ok(bytes) => match Tree::parse(&bytes) {
                    Ok(tree) => {
                        for e in tree.entries {
                            users
                                .entry((e.md5.to_hex(), legacy))
                                .or_default()
                                .push(format!("{}/{}", o.rel, e.relpath));
                        }
                    }
                    Err(e) => {
                        problems.insert(key, Problem::BadManifest(e.to_string()));
                    }
                },
                Err(odb::Error::Missing(_)) => {
                    problems.insert(key, Problem::Missing);
                }
                Err(e) => {
                    problems.insert(key, Problem::Unreadable(e.to_string()));
                }
            }
        }
    }

    let keys: Vec<&(String, bool)> = users
        .keys()
        .filter(|k| !problems.contains_key(*k))
        .collect();
    let progress = crate::data::progress::phase("Verifying", keys.len() as u64, 0);
    let checked: Vec<((String, bool), Option<Problem>)> = keys
        .par_iter()
        .map(|k| {
            progress.advance(1, 0);
            ((*k).clone(), check_local(&repo.odb, &k.0, k.1))
        })
        .collect();
    drop(progress);
    for (k, p) in checked {
        if let Some(p) = p {
            problems.insert(k, p);
        }
    }
    let mut json = serde_json::Map::new();
    let mut bad = problems.len();
    if args.json {
        json.insert(
            "cache".into(),
            serde_json::json!({
                "checked": users.len(),
                "problems": problems_json(&users, &problems),
            }),
        );
    } else {
        report("cache", &repo.odb, &users, &problems, None);
    }

    let mut remote_summary = None;
    if let Some(name) = &args.remote {
        let remote = open_remote(&repo, name)?;
        let checked = check_remote(&repo, &remote, &users, args.fast)?;
        bad += checked.problems.len();
        // Objects no out references: only when the whole workspace is in scope.
        let unreferenced = if args.targets.is_empty() {
            unreferenced(&remote, &users)
        } else {
            None
        };
        if args.json {
            json.insert(
                "remote".into(),
                serde_json::json!({
                    "name": remote.name(),
                    "checked": users.len(),
                    "by_store_checksum": checked.by_checksum,
                    "downloaded": users.len() - checked.by_checksum,
                    "problems": problems_json(&users, &checked.problems),
                    "unreferenced": unreferenced,
                }),
            );
        } else {
            report(
                "remote",
                &repo.odb,
                &users,
                &checked.problems,
                Some(&remote),
            );
            if let Some(keys) = &unreferenced
                && !keys.is_empty()
            {
                ctx.out(format!(
                    "{} object{} on remote '{}' {} not referenced by the workspace (`git dvc gc -c` with the scope you keep removes unused ones).",
                    keys.len(),
                    if keys.len() == 1 { "" } else { "s" },
                    remote.name(),
                    if keys.len() == 1 { "is" } else { "are" },
                ));
            }
            remote_summary = Some((remote.name().to_string(), checked.by_checksum));
        }
    }

    if args.json {
        json.insert("ok".into(), serde_json::Value::Bool(bad == 0));
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::Value::Object(json)).unwrap_or_default()
        );
        if bad > 0 {
            return Err(CommandError::silent(1));
        }
        return Ok(());
    }
    if bad > 0 {
        return Err(CommandError::failed(format!(
            "{bad} object{} failed verification",
            if bad == 1 { "" } else { "s" }
        ))
        .hint("`git dvc fetch` restores missing objects from the remote; remove a corrupt cache object and fetch it again, or re-add the workspace data with `git dvc commit -f`"));
    }
    let how = match remote_summary {
        Some((name, by_checksum)) if args.fast => format!(
            " (on remote '{name}': {by_checksum} by the store's checksum, {} downloaded)",
            users.len() - by_checksum
        ),
        _ => String::new(),
    };
    ctx.out(format!(
        "Verified {} object{}: all good.{how}",
        users.len(),
        if users.len() == 1 { "" } else { "s" }
    ));
    Ok(())
}

/// The problems as JSON objects, with the paths that use each object.
fn problems_json(
    users: &Users,
    problems: &BTreeMap<(String, bool), Problem>,
) -> Vec<serde_json::Value> {
    problems
        .iter()
        .map(|((oid, legacy), p)| {
            let (kind, detail) = match p {
                Problem::Missing => ("missing", None),
                Problem::Corrupt(actual) => ("corrupt", Some(actual.clone())),
                Problem::Unreadable(e) => ("unreadable", Some(e.clone())),
                Problem::BadManifest(e) => ("invalid-manifest", Some(e.clone())),
            };
            serde_json::json!({
                "object": oid,
                "key": Odb::key(oid, *legacy),
                "problem": kind,
                "detail": detail,
                "used_by": users.get(&(oid.clone(), *legacy)).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// Keys on the remote that no referenced object names, sorted; `None` when the remote
/// cannot be listed.
fn unreferenced(remote: &Remote, users: &Users) -> Option<Vec<String>> {
    let jobs = crate::data::transfer::TransferOptions::default_jobs(remote);
    let listed = remote.list_blocking(jobs).ok()?;
    let used: std::collections::HashSet<String> = users
        .keys()
        .map(|(oid, legacy)| Odb::key(oid, *legacy))
        .collect();
    let mut keys: Vec<String> = listed.into_iter().filter(|k| !used.contains(k)).collect();
    keys.sort();
    Some(keys)
}

/// Re-hash one cache object.
fn check_local(odb: &Odb, oid: &str, legacy: bool) -> Option<Problem> {
    match odb.check(oid, legacy) {
        Ok(()) => None,
        Err(odb::Error::Missing(_)) => Some(Problem::Missing),
        Err(odb::Error::Corrupt { actual, .. }) => Some(Problem::Corrupt(actual)),
        Err(e) => Some(Problem::Unreadable(e.to_string())),
    }
}

fn open_remote(repo: &crate::data::repo::Repo, name: &str) -> CommandResult<Remote> {
    repo.open_remote(Some(name)).map_err(|e| match e {
        crate::data::transfer::TransferError::Config(c) => {
            CommandError::failed(format!("config file error: {c}"))
        }
        other => CommandError::with_source(ErrorKind::Failed, other),
    })
}

/// What checking the remote's copies found.
pub(super) struct RemoteCheck {
    pub(super) problems: BTreeMap<(String, bool), Problem>,
    /// Objects whose store checksum settled it (no download).
    by_checksum: usize,
}

/// Check each object on the remote: with `fast`, against the store's md5 where it keeps
/// one; otherwise (and for the rest) download it into a temp file and re-hash it.
pub(super) fn check_remote(
    repo: &crate::data::repo::Repo,
    remote: &Remote,
    users: &Users,
    fast: bool,
) -> CommandResult<RemoteCheck> {
    let tmp_dir = repo.tmp_dir().join("git-dvc").join("verify");
    fs_err::create_dir_all(&tmp_dir)?;
    let jobs = crate::data::transfer::TransferOptions::default_jobs(remote);
    let items: Vec<(String, bool)> = users.keys().cloned().collect();
    let progress = crate::data::progress::phase("Verifying remote", items.len() as u64, 0);
    let results = remote::block_on(remote::concurrent(items, jobs, |(oid, legacy)| {
        let tmp = odb::temp_name(&tmp_dir);
        let progress = &progress;
        async move {
            let key = Odb::key(&oid, legacy);
            let expected = oid.strip_suffix(".dir").unwrap_or(&oid).to_string();
            // A legacy file object is named by the md5 of its dos2unix'd content: the
            // store's md5 of the raw bytes cannot settle it.
            let store_md5_settles = !legacy || oid.ends_with(".dir");
            if fast && store_md5_settles {
                match remote.checksum(&key).await {
                    Ok(None) => {
                        progress.advance(1, 0);
                        return ((oid, legacy), Some(Problem::Missing), true);
                    }
                    Ok(Some(remote::StoreChecksum { md5: Some(md5) })) => {
                        progress.advance(1, 0);
                        let problem = (md5 != expected).then_some(Problem::Corrupt(md5));
                        return ((oid, legacy), problem, true);
                    }
                    Ok(Some(_)) => {}
                    Err(e) => {
                        progress.advance(1, 0);
                        return (
                            (oid, legacy),
                            Some(Problem::Unreadable(e.to_string())),
                            false,
                        );
                    }
                }
            }
            let r = remote.download(&key, &tmp).await;
            let problem = match r {
                Err(e) if e.is_not_found() => Some(Problem::Missing),
                Err(e) => Some(Problem::Unreadable(e.to_string())),
                Ok(d) => {
                    let actual = if legacy && !oid.ends_with(".dir") {
                        hash::hash_file(&tmp, true)
                            .map(|(m, _)| m)
                            .unwrap_or_default()
                    } else {
                        d.md5
                    };
                    (actual != expected).then_some(Problem::Corrupt(actual))
                }
            };
            let _ = fs_err::remove_file(&tmp);
            progress.advance(1, 0);
            ((oid, legacy), problem, false)
        }
    }))
    .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    drop(progress);
    let by_checksum = results.iter().filter(|(_, _, settled)| *settled).count();
    Ok(RemoteCheck {
        problems: results
            .into_iter()
            .filter_map(|(k, p, _)| p.map(|p| (k, p)))
            .collect(),
        by_checksum,
    })
}

/// Print one line per problem (stderr) and return how many there were.
pub(super) fn report(
    place: &str,
    odb: &Odb,
    users: &Users,
    problems: &BTreeMap<(String, bool), Problem>,
    remote: Option<&Remote>,
) -> usize {
    for ((oid, legacy), problem) in problems {
        let location = match remote {
            Some(r) => format!("'{}' on remote '{}'", Odb::key(oid, *legacy), r.name()),
            None => format!("'{}'", odb.path(oid, *legacy).display()),
        };
        let what = match problem {
            Problem::Missing => format!("missing from the {place}: {oid} ({location})"),
            Problem::Corrupt(actual) => {
                format!("corrupt in the {place}: {oid} ({location} hashes to {actual})")
            }
            Problem::Unreadable(e) => format!("unreadable in the {place}: {oid} ({e})"),
            Problem::BadManifest(e) => {
                format!(
                    "invalid directory manifest in the {place}: {oid} ({e}); its files were not checked"
                )
            }
        };
        let used_by = users
            .get(&(oid.clone(), *legacy))
            .cloned()
            .unwrap_or_default();
        let shown: Vec<String> = used_by.iter().take(5).map(|u| format!("'{u}'")).collect();
        let more = used_by.len().saturating_sub(5);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        if shown.is_empty() {
            eprintln!("ERROR: {what}");
        } else {
            eprintln!("ERROR: {what}, used by {}{tail}", shown.join(", "));
        }
        if matches!(problem, Problem::Missing) && oid.ends_with(".dir") && remote.is_none() {
            eprintln!(
                "       (the files of this directory could not be listed, so they were not checked)"
            );
        }
    }
    problems.len()
}

//! `verify [targets] [-r R]`: re-hash every cache object the workspace's outs reference
//! (and with `-r`, the remote's copies) and name each corrupt or missing object together
//! with the outs that use it. Exit 1 when anything is wrong.
//!
//! Unlike dvc's existence checks, this ignores the "0444 means trusted" shortcut
//! (spec §4.2): every object is read and hashed. Nothing is deleted or repaired.

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
}

/// What is wrong with one object.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    Missing,
    Corrupt(String),
    Unreadable(String),
    BadManifest(String),
}

/// Object -> the workspace paths that use it (an out, or `out/relpath` inside a dir).
type Users = BTreeMap<(String, bool), Vec<String>>;

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
                                .entry((e.md5, legacy))
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
    let mut bad = report("cache", &repo.odb, &users, &problems, None);

    if let Some(name) = &args.remote {
        let remote = open_remote(&repo, name)?;
        let remote_problems = check_remote(&repo, &remote, &users)?;
        bad += report("remote", &repo.odb, &users, &remote_problems, Some(&remote));
    }

    if bad > 0 {
        return Err(CommandError::failed(format!(
            "{bad} object{} failed verification",
            if bad == 1 { "" } else { "s" }
        ))
        .hint("`git dvc fetch` restores missing objects from the remote; remove a corrupt cache object and fetch it again, or re-add the workspace data with `git dvc commit -f`"));
    }
    ctx.out(format!(
        "Verified {} object{}: all good.",
        users.len(),
        if users.len() == 1 { "" } else { "s" }
    ));
    Ok(())
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

/// Download each object from the remote into a temp file and re-hash it.
fn check_remote(
    repo: &crate::data::repo::Repo,
    remote: &Remote,
    users: &Users,
) -> CommandResult<BTreeMap<(String, bool), Problem>> {
    let tmp_dir = repo.tmp_dir().join("git-dvc").join("verify");
    fs_err::create_dir_all(&tmp_dir)?;
    let jobs = crate::data::transfer::TransferOptions::default_jobs(remote);
    let items: Vec<(String, bool)> = users.keys().cloned().collect();
    let results = remote::block_on(remote::concurrent(items, jobs, |(oid, legacy)| {
        let tmp = odb::temp_name(&tmp_dir);
        async move {
            let key = Odb::key(&oid, legacy);
            let r = remote.download(&key, &tmp).await;
            let problem = match r {
                Err(e) if e.is_not_found() => Some(Problem::Missing),
                Err(e) => Some(Problem::Unreadable(e.to_string())),
                Ok(d) => {
                    let expected = oid.strip_suffix(".dir").unwrap_or(&oid).to_string();
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
            ((oid, legacy), problem)
        }
    }))
    .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    Ok(results
        .into_iter()
        .filter_map(|(k, p)| p.map(|p| (k, p)))
        .collect())
}

/// Print one line per problem (stderr) and return how many there were.
fn report(
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
        eprintln!("ERROR: {what}, used by {}{tail}", shown.join(", "));
        if matches!(problem, Problem::Missing) && oid.ends_with(".dir") && remote.is_none() {
            eprintln!(
                "       (the files of this directory could not be listed, so they were not checked)"
            );
        }
    }
    problems.len()
}

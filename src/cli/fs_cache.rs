//! Imports whose out has no hash yet (`import --no-download`, `import-url --no-download`,
//! `update --no-download`). dvc's `fetch` and `pull` download their data into its "fs
//! cache", `.dvc/cache/fs/<protocol>/<token>` (a file, or a directory of the files by
//! relpath), keyed by where the data came from; its `checkout` of such an out reads only
//! that place, and fails when it holds nothing. The `.dvc` file keeps no hash, so
//! `status` then calls the out modified. git-dvc does the same, in dvc's layout, so each
//! tool checks out what the other fetched; it also keeps the data in the md5 cache,
//! from which its own checkout links it.

use super::Context;
use super::import_url::{Source, fetch_into, hash_into, is_url, resolve, stat_url};
use crate::data::config::py_repr;
use crate::data::remote::url::{fs_cache_entry, fs_cache_key, meta_dict_token};
use crate::data::repo::{Repo, Stage};
use serde_yaml::Value as Y;
use std::path::PathBuf;

/// Where the data of a hashless import comes from.
enum Origin {
    /// `dvc import`: the stage file's text (its source repository and `rev_lock`).
    Repo(String),
    /// `import-url` of a local file or directory (absolute).
    Local(PathBuf),
    /// `import-url` of a URL, as recorded (relative paths from the stage file's dir).
    Url {
        url: String,
        base: PathBuf,
        fs_config: Vec<(String, String)>,
        version_aware: bool,
        /// What the stage file records of the data (its versions, when version-aware).
        recorded: Option<crate::data::remote::url::Found>,
    },
}

/// One import stage whose single cached out has no hash.
struct Hashless {
    /// Index into the stages.
    stage: usize,
    /// The fs cache entry, absolute.
    entry: PathBuf,
    origin: Origin,
}

fn text_of(v: &Y) -> Option<String> {
    match v {
        Y::String(s) => Some(s.clone()),
        Y::Number(n) => Some(n.to_string()),
        Y::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// dvc_data's `Meta.to_dict()` of a recorded dep, in its key order, as Python reprs.
fn dep_meta_items(dep: &serde_yaml::Mapping) -> Vec<(&'static str, String)> {
    let mut items = Vec::new();
    let num = |k: &str| dep.get(k).and_then(Y::as_u64);
    let text = |k: &str| dep.get(k).and_then(text_of).filter(|v| !v.is_empty());
    if let Some(n) = num("size") {
        items.push(("size", n.to_string()));
    }
    if let Some(n) = num("nfiles") {
        items.push(("nfiles", n.to_string()));
    }
    if dep.get("isexec").and_then(Y::as_bool) == Some(true) {
        items.push(("isexec", "True".to_string()));
    }
    for k in ["version_id", "etag", "checksum", "md5"] {
        if let Some(v) = text(k) {
            items.push((k, py_repr(&v)));
        }
    }
    items
}

/// The meta token of dvc's `_load_storage_from_import`: a directory's dep hash (its
/// `.dir` value), else the token of the dep's meta dict.
fn meta_token(dep: &serde_yaml::Mapping) -> String {
    let dir_hash = ["md5", "etag", "checksum"]
        .into_iter()
        .filter_map(|k| dep.get(k).and_then(text_of))
        .find(|v| v.ends_with(".dir"));
    dir_hash.unwrap_or_else(|| meta_dict_token(&dep_meta_items(dep)))
}

/// The hashless imports among `stages`, with their fs cache entries.
fn hashless(repo: &Repo, stages: &[Stage]) -> Vec<Hashless> {
    let mut found = Vec::new();
    for (i, st) in stages.iter().enumerate() {
        if !st.frozen || st.outs.len() != 1 {
            continue;
        }
        let out = &st.outs[0].out;
        if !out.cache || out.md5.is_some() {
            continue;
        }
        let abs = repo.root.join(&st.file);
        let Ok(text) = fs_err::read_to_string(&abs) else {
            continue;
        };
        let Ok(doc) = serde_yaml::from_str::<Y>(&text) else {
            continue;
        };
        let Some(dep) = doc
            .get("deps")
            .and_then(Y::as_sequence)
            .and_then(|d| d.first())
            .and_then(Y::as_mapping)
        else {
            continue;
        };
        let Some(path) = dep.get("path").and_then(text_of) else {
            continue;
        };
        let base = abs.parent().unwrap_or(&repo.root).to_path_buf();
        let (key, origin) = if st.repo_import {
            // dvc's repository file system: protocol `local`, the path in the source,
            // and a dep with no meta.
            let Ok(fs_path) = crate::data::registry::check_source_path(&path) else {
                continue;
            };
            (
                fs_cache_entry("local", &fs_path, &meta_dict_token(&[])),
                Origin::Repo(text),
            )
        } else if is_url(&path) {
            let mut fs_config = Vec::new();
            let mut version_aware = false;
            if let Some(m) = dep.get("fs_config").and_then(Y::as_mapping) {
                for (k, v) in m {
                    let (Some(k), Some(v)) = (k.as_str(), text_of(v)) else {
                        continue;
                    };
                    if k == "version_aware" {
                        version_aware = crate::data::config::parse_bool(&v).unwrap_or(false);
                    } else {
                        fs_config.push((k.to_string(), v));
                    }
                }
            }
            let Some((scheme, rest)) = path.split_once("://") else {
                continue;
            };
            let key = if dep.get("files").is_some() {
                // A version-aware directory: the token of its recorded version list.
                match super::import_url::recorded_found(&abs).and_then(|f| fs_cache_key(&path, &f))
                {
                    Some(k) => k,
                    None => continue,
                }
            } else {
                let fs_path = if scheme == "s3" {
                    crate::data::remote::url::split_version(rest).0
                } else {
                    rest.to_string()
                };
                fs_cache_entry(scheme, &fs_path, &meta_token(dep))
            };
            (
                key,
                Origin::Url {
                    url: path,
                    base,
                    fs_config,
                    version_aware,
                    recorded: super::import_url::recorded_found(&abs),
                },
            )
        } else {
            let local = crate::data::pathsafe::normalize(&base.join(&path));
            let Some(fs_path) = local.to_str() else {
                continue;
            };
            (
                fs_cache_entry("local", fs_path, &meta_token(dep)),
                Origin::Local(local.clone()),
            )
        };
        found.push(Hashless {
            stage: i,
            entry: repo.odb.root().join(key),
            origin,
        });
    }
    found
}

/// `fetch`/`pull` of hashless imports: the data comes from the import's source as it
/// is now (a repository at its `rev_lock`), into dvc's fs cache entry (and the md5
/// cache). An entry that is there already is kept, as dvc keeps it. Returns the files
/// fetched and the failures (stage file, why).
pub fn fetch(ctx: &Context, repo: &Repo, stages: &[Stage]) -> (usize, Vec<(String, String)>) {
    let mut fetched = 0;
    let mut failed = Vec::new();
    for h in hashless(repo, stages) {
        if fs_err::symlink_metadata(&h.entry).is_ok() {
            continue;
        }
        let st = &stages[h.stage];
        match fetch_one(ctx, repo, &h) {
            Ok(n) => fetched += n,
            Err(e) => failed.push((st.file.clone(), e)),
        }
    }
    (fetched, failed)
}

fn fetch_one(ctx: &Context, repo: &Repo, h: &Hashless) -> Result<usize, String> {
    let (oid, nfiles) = match &h.origin {
        Origin::Repo(text) => {
            let cwd = ctx.cwd().unwrap_or_else(|_| repo.root.clone());
            let options = crate::worktree::registry::ImportFetch {
                cwd: &cwd,
                repo_options: ctx.env.repo_options(),
                jobs: ctx.jobs_flag,
            };
            let got = crate::worktree::registry::fetch_import_data(repo, text, None, &options)?;
            let n = if got.is_dir {
                tree_files(repo, &got.oid).unwrap_or(0)
            } else {
                1
            };
            (got.oid, n)
        }
        Origin::Local(src) => {
            let (oid, _, n) = hash_into(&repo.odb, src)
                .map_err(|e| format!("cannot read '{}': {e}", src.display()))?;
            (oid, n.map_or(1, |n| n as usize))
        }
        Origin::Url {
            url,
            base,
            fs_config,
            version_aware,
            recorded,
        } => {
            let Source::Url(t) = resolve(
                ctx,
                Some(repo),
                base,
                url,
                fs_config.clone(),
                *version_aware,
            )
            .map_err(|e| e.message())?
            else {
                return Err("not a URL".into());
            };
            let failure = "failed to fetch the import";
            // Version-aware: the recorded versions, as dvc reads them; else what is
            // there now.
            let found = match recorded.as_ref().filter(|_| *version_aware) {
                Some(f) => f.clone(),
                None => stat_url(&t, failure, url).map_err(|e| e.message())?,
            };
            let got =
                fetch_into(ctx, repo, &repo.odb, &t, &found, failure).map_err(|e| e.message())?;
            (got.md5, got.nfiles.map_or(1, |n| n as usize))
        }
    };
    super::import_url::write_fs_entry(&repo.odb, &oid, oid.ends_with(".dir"), &h.entry)
        .map_err(|e| e.message())?;
    Ok(nfiles)
}

fn tree_files(repo: &Repo, oid: &str) -> Option<usize> {
    let o = crate::data::transfer::Object::parse(oid, false)?;
    crate::data::transfer::read_tree(&repo.odb, &o).map(|t| t.entries.len())
}

/// `stages` with the hash of each hashless import whose fs cache entry holds data filled
/// in from that data (which goes into the md5 cache), as dvc's checkout takes it from
/// there. Nothing is written to the stage files. A hashless out without an entry stays
/// hashless: checkout reports it missing, as dvc does.
pub fn resolve_for_checkout(repo: &Repo, stages: &[Stage]) -> Vec<Stage> {
    let mut stages = stages.to_vec();
    for h in hashless(repo, &stages) {
        if fs_err::symlink_metadata(&h.entry).is_err() {
            continue;
        }
        match hash_into(&repo.odb, &h.entry) {
            Ok((oid, size, nfiles)) => {
                let out = &mut stages[h.stage].outs[0].out;
                out.md5 = Some(oid);
                out.size = Some(size);
                out.nfiles = nfiles;
            }
            Err(e) => tracing::warn!(
                "git-dvc: cannot read the fetched data of '{}' at '{}': {e}",
                stages[h.stage].file,
                h.entry.display()
            ),
        }
    }
    stages
}

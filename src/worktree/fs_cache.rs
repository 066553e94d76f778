//! Imports whose out has no hash yet (`import --no-download`, `import-url --no-download`,
//! `update --no-download`). dvc's `fetch` and `pull` download their data into its "fs
//! cache", `.dvc/cache/fs/<protocol>/<token>` (a file, or a directory of the files by
//! relpath), keyed by where the data came from; its `checkout` of such an out reads only
//! that place, and fails when it holds nothing. The `.dvc` file keeps no hash, so
//! `status` then calls the out modified. git-dvc does the same, in dvc's layout, so each
//! tool checks out what the other fetched; it also keeps the data in the md5 cache,
//! from which its own checkout links it.

use crate::data::config::py_repr;
use crate::data::remote::url::{
    DirEntry, FileMeta, Found, fs_cache_entry, fs_cache_key, is_url, meta_dict_token,
};
use crate::data::repo::{Repo, Stage};
use serde_yaml::Value as Y;
use std::path::{Path, PathBuf};

/// Where the data of a hashless import comes from.
pub enum Origin {
    /// `dvc import`: the stage file's text (its source repository and `rev_lock`).
    Repo(String),
    /// `import-url` of a local file or directory (absolute).
    Local(PathBuf),
    /// `import-url` of a URL, as recorded (relative paths from the stage file's dir).
    Url {
        /// The URL as recorded.
        url: String,
        /// The stage file's directory.
        base: PathBuf,
        /// The dep's `fs_config`, less `version_aware`.
        fs_config: Vec<(String, String)>,
        /// `version_aware` in the dep's `fs_config`.
        version_aware: bool,
        /// What the stage file records of the data (its versions, when version-aware).
        recorded: Found,
    },
}

/// One import stage whose single cached out has no hash.
pub struct Hashless {
    /// Index into the stages.
    pub stage: usize,
    /// The fs cache entry, absolute.
    pub entry: PathBuf,
    /// Where its data comes from.
    pub origin: Origin,
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
pub fn hashless(repo: &Repo, stages: &[Stage]) -> Vec<Hashless> {
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
            let (fs_config, version_aware) = dep_fs_config(dep);
            let Some((scheme, rest)) = path.split_once("://") else {
                continue;
            };
            let key = if dep.get("files").is_some() {
                // A version-aware directory: the token of its recorded version list.
                match fs_cache_key(&path, &found_of_dep(dep)) {
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
                    recorded: found_of_dep(dep),
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
/// A dep's `fs_config` as pairs, less `version_aware`, and whether that is set.
pub fn dep_fs_config(dep: &serde_yaml::Mapping) -> (Vec<(String, String)>, bool) {
    let mut fs_config = Vec::new();
    let mut version_aware = false;
    for (k, v) in dep
        .get("fs_config")
        .and_then(Y::as_mapping)
        .into_iter()
        .flatten()
    {
        let (Some(k), Some(v)) = (k.as_str(), text_of(v)) else {
            continue;
        };
        if k == "version_aware" {
            version_aware = crate::data::config::parse_bool(&v).unwrap_or(false);
        } else {
            fs_config.push((k.to_string(), v));
        }
    }
    (fs_config, version_aware)
}

/// What a URL dep records of its data: its meta, or a version-aware directory's
/// `files:` (each file's relpath and meta).
pub fn found_of_dep(dep: &serde_yaml::Mapping) -> Found {
    let meta = |m: &serde_yaml::Mapping| FileMeta {
        size: m.get("size").and_then(Y::as_u64),
        etag: m.get("etag").and_then(text_of),
        checksum: m.get("checksum").and_then(text_of),
        version_id: m.get("version_id").and_then(text_of),
    };
    match dep.get("files").and_then(Y::as_sequence) {
        Some(files) => Found::Dir(
            files
                .iter()
                .filter_map(|f| {
                    let f = f.as_mapping()?;
                    Some(DirEntry {
                        relpath: f.get("relpath").and_then(text_of)?,
                        meta: meta(f),
                    })
                })
                .collect(),
        ),
        None => Found::File(meta(dep)),
    }
}

/// Hash `src` (a file or a directory, symlinks followed) into `odb`: the out's md5, size
/// and (for a directory) file count.
pub fn hash_into(
    odb: &crate::data::odb::Odb,
    src: &Path,
) -> std::io::Result<(String, u64, Option<u64>)> {
    if !fs_err::metadata(src)?.is_dir() {
        let (md5, size) = crate::data::hash::md5_file(src)?;
        odb.insert_copy(src, &md5, false)
            .map_err(std::io::Error::other)?;
        return Ok((md5, size, None));
    }
    let mut files = Vec::new();
    walk_files(src, "", &mut files)?;
    let mut entries = Vec::with_capacity(files.len());
    let mut total = 0;
    for (rel, path) in &files {
        let (md5, size) = crate::data::hash::md5_file(path)?;
        odb.insert_copy(path, &md5, false)
            .map_err(std::io::Error::other)?;
        total += size;
        entries.push(crate::data::tree::TreeEntry {
            relpath: rel.clone(),
            md5: crate::data::tree::Md5Digest::from_computed(&md5),
        });
    }
    let tree = crate::data::tree::Tree::new(entries);
    let oid = tree.oid();
    odb.put_bytes(&oid, false, &tree.to_bytes())
        .map_err(std::io::Error::other)?;
    Ok((oid, total, Some(files.len() as u64)))
}

/// Every file below `dir` (symlinks followed), as (relpath from `dir`, path).
pub fn walk_files(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let path = entry.path();
        if fs_err::metadata(&path)?.is_dir() {
            walk_files(&path, &r, out)?;
        } else {
            out.push((r, path));
        }
    }
    Ok(())
}

//! `fetch`/`pull` of imports whose out has no hash yet: see
//! [`crate::worktree::fs_cache`] for dvc's fs cache and the checkout side.

use super::Context;
use super::import_url::{Source, fetch_into, resolve, stat_url};
use crate::data::repo::{Repo, Stage};
use crate::worktree::fs_cache::{Hashless, Origin, hash_into, hashless};

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
            let found = if *version_aware {
                recorded.clone()
            } else {
                stat_url(&t, failure, url).map_err(|e| e.message())?
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

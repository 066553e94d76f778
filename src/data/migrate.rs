//! `cache migrate`: dvc 3.67.1's `migrate_2_to_3` and, with `--dvc-files`, its
//! `commit_2_to_3`.
//!
//! - The cache: every object in the 2.x layout (`<cache>/ab/cdef…`, named by the md5 of
//!   the dos2unix'd text) is hashed again with plain md5 and hardlinked (copied where a
//!   link is impossible) to `files/md5/…` under that name; a `.dir` object keeps its bytes
//!   and gets its new md5 plus `.dir`. Objects already in the 3.x cache are not counted.
//! - The pointer files: each cached out still recorded with the 2.x hash (no
//!   `hash: md5`) is committed again with md5 (hashed from the workspace, cached, and
//!   rewritten losslessly with `hash: md5`). Outs missing from the workspace stay as they
//!   are. Pipeline dependencies are not migrated (git-dvc does not track them).

use crate::data::commit::{self, Committed};
use crate::data::odb::Odb;
use crate::data::repo::{Repo, Stage, StageKind};
use std::path::Path;

/// Errors of the migration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cache.
    #[error(transparent)]
    Odb(#[from] crate::data::odb::Error),
    /// Reading or linking an object.
    #[error("cannot migrate '{path}': {source}")]
    Io {
        /// The object.
        path: std::path::PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Committing an out again.
    #[error(transparent)]
    Commit(#[from] commit::Error),
}

/// The 2.x objects of the cache.
pub fn legacy_objects(odb: &Odb) -> Result<Vec<String>, Error> {
    let mut oids: Vec<String> = odb
        .list()?
        .into_iter()
        .filter(|(_, legacy)| *legacy)
        .map(|(oid, _)| oid)
        .collect();
    oids.sort();
    Ok(oids)
}

/// Migrate the cache; returns how many objects were added to the 3.x layout.
pub fn migrate_cache(odb: &Odb) -> Result<usize, Error> {
    let mut added = 0;
    for oid in legacy_objects(odb)? {
        let src = odb.path(&oid, true);
        let io = |source| Error::Io {
            path: src.clone(),
            source,
        };
        let (md5, _) = crate::data::hash::md5_file(&src).map_err(io)?;
        let new = if oid.ends_with(".dir") {
            format!("{md5}.dir")
        } else {
            md5
        };
        if odb.exists(&new, false) {
            continue;
        }
        let dest = odb.path(&new, false);
        link_or_copy(&src, &dest).map_err(io)?;
        added += 1;
    }
    Ok(added)
}

/// Hardlink `src` to `dest` through a temp name in `dest`'s directory (a copy, made
/// read-only like every cache object, where the link fails).
fn link_or_copy(src: &Path, dest: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = dest.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let tmp = crate::data::odb::temp_name(dir);
    if fs_err::hard_link(src, &tmp).is_err() {
        fs_err::copy(src, &tmp)?;
        fs_err::set_permissions(&tmp, std::fs::Permissions::from_mode(0o444))?;
    }
    fs_err::rename(&tmp, dest).inspect_err(|_| {
        let _ = fs_err::remove_file(&tmp);
    })
}

/// The stages that record a cached out with a 2.x hash.
pub fn legacy_stages(stages: &[Stage]) -> Vec<&Stage> {
    stages
        .iter()
        .filter(|st| {
            st.outs
                .iter()
                .any(|o| o.out.cache && o.out.md5.is_some() && o.out.is_legacy())
        })
        .collect()
}

/// How dvc names a stage file in `--dry`: `x.dvc`, or `dvc.yaml (dvc.lock)`.
pub fn stage_file_label(st: &Stage) -> String {
    match &st.kind {
        StageKind::DvcFile => st.file.clone(),
        StageKind::Lock { .. } => {
            let dir = st.file.strip_suffix("dvc.lock").unwrap_or("");
            format!("{dir}dvc.yaml ({})", st.file)
        }
    }
}

/// Commit the legacy outs of `stage` again with md5 and rewrite its file. Returns the
/// outs that were migrated (root-relative paths).
pub fn migrate_stage(repo: &Repo, stage: &Stage) -> Result<Vec<String>, Error> {
    let mut updates = Vec::new();
    let mut migrated = Vec::new();
    for o in &stage.outs {
        if !(o.out.cache && o.out.md5.is_some() && o.out.is_legacy()) {
            continue;
        }
        if fs_err::symlink_metadata(&o.abs).is_err() {
            continue;
        }
        let mut target = o.clone();
        target.out.hash = Some("md5".into());
        let Committed { update, .. } = commit::commit_out(repo, &target, false)?;
        updates.push((o.index, update));
        migrated.push(o.rel.clone());
    }
    if !updates.is_empty() {
        commit::write_updates(repo, stage, &updates)?;
    }
    Ok(migrated)
}

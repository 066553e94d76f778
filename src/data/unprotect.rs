//! `unprotect` and `destroy`: make linked workspace files private, writable copies, and
//! remove DVC from a repository, as dvc 3.67.1 does.
//!
//! - `unprotect` (dvc-data's `LocalHashFileDB.unprotect`): every file of the target (all
//!   files below a directory) that is a symlink or a hardlink is copied to a temp name
//!   beside it and renamed over it; then every file gets the cache's file mode for
//!   workspace files (`0o666` less the umask, `0o664` with `cache.shared = group`). A
//!   plain copy only gets its mode changed.
//! - `destroy` (dvc's `repo.destroy`): unprotect each stage's outs, remove the stage files
//!   (`.dvc`, and `dvc.yaml` with its `dvc.lock`), the root `.dvcignore`, and `.dvc/`.
//!   Workspace data and `.gitignore` entries stay.

use crate::data::repo::{Repo, StageKind};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Errors of `unprotect` and `destroy`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The target does not exist (dvc's `ObjectDBError` wording).
    #[error("can't unprotect non-existing data '{0}'")]
    Missing(String),
    /// A file operation failed.
    #[error("cannot {op} '{path}': {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Listing stages failed.
    #[error(transparent)]
    Repo(#[from] crate::data::repo::RepoError),
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// The mode dvc gives unprotected workspace files.
pub fn workspace_file_mode(repo: &Repo) -> u32 {
    if repo.config.cache_shared().as_deref() == Some("group") {
        0o664
    } else {
        0o666 & !crate::data::odb::umask()
    }
}

/// Unprotect `path` (absolute); `given` names it in the error.
pub fn unprotect(path: &Path, given: &str, mode: u32) -> Result<(), Error> {
    // dvc's `os.path.exists`: a dangling symlink does not exist.
    let Ok(meta) = fs_err::metadata(path) else {
        return Err(Error::Missing(given.to_string()));
    };
    if meta.is_dir() {
        let mut files = Vec::new();
        find_files(path, &mut files)?;
        for f in files {
            unprotect_file(&f, mode)?;
        }
        Ok(())
    } else {
        unprotect_file(path, mode)
    }
}

/// Every file below `dir` (following neither symlinked directories nor anything else).
fn find_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    for entry in fs_err::read_dir(dir).map_err(io("list", dir))? {
        let entry = entry.map_err(io("list", dir))?;
        let p = entry.path();
        let ft = entry.file_type().map_err(io("stat", &p))?;
        if ft.is_dir() {
            find_files(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn unprotect_file(path: &Path, mode: u32) -> Result<(), Error> {
    let lmeta = fs_err::symlink_metadata(path).map_err(io("stat", path))?;
    if lmeta.file_type().is_symlink() || lmeta.nlink() > 1 {
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = crate::data::odb::temp_name(dir);
        fs_err::copy(path, &tmp).map_err(io("copy", path))?;
        if let Err(e) = fs_err::remove_file(path).and_then(|()| fs_err::rename(&tmp, path)) {
            let _ = fs_err::remove_file(&tmp);
            return Err(io("replace", path)(e));
        }
    }
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io("chmod", path))
}

/// Remove DVC from the repository at `repo.root` (see the module header). The caller
/// holds the repo lock while stages are removed and drops it before `.dvc/` goes; this
/// function does both steps, so pass it a closure that releases the lock.
pub fn destroy(repo: &Repo, release_lock: impl FnOnce()) -> Result<(), Error> {
    let mode = workspace_file_mode(repo);
    let stages = repo.collect_stages()?;
    for st in &stages {
        for o in st.outs.iter().filter(|o| o.out.cache) {
            if o.abs.exists() {
                unprotect(&o.abs, &o.rel, mode)?;
            }
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for st in &stages {
        match &st.kind {
            StageKind::DvcFile => files.push(repo.root.join(&st.file)),
            StageKind::Lock { .. } => {
                let lock = repo.root.join(&st.file);
                files.push(lock.with_file_name("dvc.yaml"));
                files.push(lock);
            }
        }
    }
    // Pipelines with no lock file yet are stages too.
    for f in repo.find_stage_files()? {
        let abs = repo.root.join(&f);
        if f.ends_with(".dvc") {
            files.push(abs);
        } else {
            files.push(abs.with_file_name("dvc.yaml"));
            files.push(abs.with_file_name("dvc.lock"));
        }
    }
    files.sort();
    files.dedup();
    for f in &files {
        match fs_err::remove_file(f) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("remove", f)(e)),
        }
    }
    release_lock();
    let ignore = repo.root.join(crate::data::ignore::DVCIGNORE);
    match fs_err::remove_file(&ignore) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io("remove", &ignore)(e)),
    }
    fs_err::remove_dir_all(&repo.dvc_dir).map_err(io("remove", &repo.dvc_dir))
}

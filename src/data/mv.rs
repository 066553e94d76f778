//! `move`: rename a tracked file or directory and its `.dvc` (spec §10.6). dvc writes the
//! moved `.dvc` fresh: comments are lost, every other field is kept, and `path` gets the
//! new name. The `.gitignore` entry and git staging are the caller's (they need git).
//!
//! Order, so that a failure leaves the user's files as they were: the old `.dvc` is read
//! and its new text built first; only then is the data renamed, the new `.dvc` written
//! atomically and the old one removed.

use crate::data::dvcfile;
use crate::data::pathsafe::{self, PathError};
use crate::data::repo::{Repo, Stage, StageKind, join_rel};
use std::path::{Path, PathBuf};

/// Why a move could not be done.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The destination is not inside the repository.
    #[error("'{0}' is outside of the DVC repository")]
    Outside(String),
    /// The destination is not a usable relative path.
    #[error(transparent)]
    UnsafePath(#[from] PathError),
    /// A file operation failed.
    #[error("cannot {op} '{path}'")]
    Io {
        /// What we were doing.
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// What a move did, for the caller's `.gitignore` and git updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// The data's new path.
    pub dst: PathBuf,
    /// The out's new file name (the `.gitignore` entry).
    pub name: String,
    /// The `.dvc` that recorded the out.
    pub old_dvc: PathBuf,
    /// The `.dvc` that records it now (may equal `old_dvc`).
    pub new_dvc: PathBuf,
}

/// The `.dvc` stage whose single out is `src_rel` (what dvc can move).
pub fn find_stage<'a>(stages: &'a [Stage], src_rel: &str) -> Option<&'a Stage> {
    stages.iter().find(|st| {
        matches!(st.kind, StageKind::DvcFile) && st.outs.len() == 1 && st.outs[0].rel == src_rel
    })
}

/// The destination path: `dst`, or `dst/<name of src>` when `dst` is a directory.
pub fn destination(src: &Path, dst: &Path) -> PathBuf {
    match src.file_name() {
        Some(name) if dst.is_dir() => dst.join(name),
        _ => dst.to_path_buf(),
    }
}

/// Move the out of `stage` (at `src`) to `dst` and rewrite its `.dvc` next to it.
pub fn move_out(repo: &Repo, stage: &Stage, src: &Path, dst: &Path) -> Result<Moved, Error> {
    let dst_rel = repo
        .rel(dst)
        .ok_or_else(|| Error::Outside(dst.display().to_string()))?;
    pathsafe::check_relpath(&dst_rel)?;
    let old_dvc = repo.root.join(&stage.file);
    let (dst_parent_rel, name) = match dst_rel.rsplit_once('/') {
        Some((p, n)) => (p.to_string(), n.to_string()),
        None => (String::new(), dst_rel.clone()),
    };
    let new_dvc = repo
        .root
        .join(join_rel(&dst_parent_rel, &format!("{name}.dvc")));
    // Read before anything moves: a read error must not cost the user their comments
    // and fields (they would be replaced by a fresh pointer).
    let old_text = fs_err::read_to_string(&old_dvc).map_err(io("read", &old_dvc))?;
    let text = moved_text(&old_text, &name).unwrap_or_else(|| {
        let mut out = stage.outs[0].out.clone();
        out.path = name.clone();
        dvcfile::render_new(&[out])
    });
    if let Some(p) = dst.parent() {
        fs_err::create_dir_all(p).map_err(io("create", p))?;
    }
    fs_err::rename(src, dst).map_err(io("move", src))?;
    crate::data::atomic::write(&new_dvc, text).map_err(io("write", &new_dvc))?;
    if old_dvc != new_dvc {
        fs_err::remove_file(&old_dvc).map_err(io("remove", &old_dvc))?;
    }
    Ok(Moved {
        dst: dst.to_path_buf(),
        name,
        old_dvc,
        new_dvc,
    })
}

/// dvc writes the moved `.dvc` fresh: comments are lost, everything else (desc, meta, ...)
/// is kept, and `path` gets the new name. For the block style dvc writes, that is the old
/// text without comment lines and inline comments, with the `path` value replaced.
fn moved_text(text: &str, new_path: &str) -> Option<String> {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    let mut replaced = false;
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let line = match line.find(" #") {
            Some(i) if !line.contains('\'') && !line.contains('"') => line[..i].trim_end(),
            _ => line,
        };
        let path_prefix = ["  path:", "- path:"]
            .into_iter()
            .find(|p| line == *p || line.starts_with(&format!("{p} ")));
        if let Some(prefix) = path_prefix {
            // Skip folded continuation lines of the old value.
            while lines.peek().is_some_and(|n| n.starts_with("    ")) {
                lines.next();
            }
            out.push_str(&prefix[..2]);
            out.push_str(&crate::data::yaml::key_value("path", new_path, 2, 2));
            out.push('\n');
            replaced = true;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // Only when the result is still a valid pointer with one out.
    let ok = replaced
        && dvcfile::parse(&out).is_ok_and(|f| f.outs.len() == 1 && f.outs[0].path == new_path);
    ok.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::repo::RepoOptions;

    const POINTER: &str = "# keep me\nouts:\n- md5: 8d777f385d3dfec8815d20f7496026dc\n  size: 4\n  hash: md5\n  path: a.txt\n  desc: mine\n";

    fn repo_with_pointer() -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join(".dvc")).unwrap();
        fs_err::write(dir.path().join(".dvc/config"), "").unwrap();
        fs_err::write(dir.path().join("a.txt"), "data").unwrap();
        fs_err::write(dir.path().join("a.txt.dvc"), POINTER).unwrap();
        let repo = Repo::open(dir.path(), &RepoOptions::default()).unwrap();
        (dir, repo)
    }

    #[test]
    fn moves_data_and_pointer_keeping_fields() {
        let (dir, repo) = repo_with_pointer();
        let stages = repo.collect_stages().unwrap();
        let stage = find_stage(&stages, "a.txt").unwrap();
        let dst = dir.path().join("b.txt");
        let moved = move_out(&repo, stage, &dir.path().join("a.txt"), &dst).unwrap();
        assert_eq!(moved.name, "b.txt");
        assert_eq!(fs_err::read_to_string(&dst).unwrap(), "data");
        let text = fs_err::read_to_string(dir.path().join("b.txt.dvc")).unwrap();
        assert!(text.contains("  path: b.txt\n") && text.contains("desc: mine"));
        assert!(!text.contains("keep me"), "dvc drops comments on move");
        assert!(!dir.path().join("a.txt.dvc").exists());
    }

    /// Regression (architecture issue): the old `.dvc` was read after the data had been
    /// renamed, and a read error silently wrote a fresh pointer without the user's fields.
    #[test]
    fn unreadable_pointer_moves_nothing() {
        let (dir, repo) = repo_with_pointer();
        let stages = repo.collect_stages().unwrap();
        let stage = find_stage(&stages, "a.txt").unwrap().clone();
        // The pointer becomes unreadable between loading and moving.
        fs_err::remove_file(dir.path().join("a.txt.dvc")).unwrap();
        fs_err::create_dir(dir.path().join("a.txt.dvc")).unwrap();
        let src = dir.path().join("a.txt");
        let err = move_out(&repo, &stage, &src, &dir.path().join("b.txt")).unwrap_err();
        assert!(matches!(err, Error::Io { op: "read", .. }), "{err}");
        assert!(src.is_file(), "the data must stay where it was");
        assert!(!dir.path().join("b.txt").exists());
        assert!(!dir.path().join("b.txt.dvc").exists());
    }
}

//! The crate's path module: untrusted relative paths from `.dvc` files, `.dir` manifests
//! and remotes, and the lexical path arithmetic (normalizing, relative paths) the engine
//! and the config use. Nothing here but the symlink checks touches the filesystem.
//!
//! Invariant: a path accepted by the checks here ([`check_relpath`], [`join_checked`], …)
//! can be joined to its base without leaving it: it is relative, has no `..`, no empty or
//! `.` components and no NUL, does not go into a `.git`, `.dvc` or `.hg` directory (nor
//! name `.git`), and no existing ancestor between the base and the target is a symlink.

use std::path::{Component, Path, PathBuf};

/// Why a path was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    /// Absolute paths are never accepted.
    #[error("unsafe path '{0}': absolute paths are not allowed")]
    Absolute(String),
    /// `..` components could escape.
    #[error("unsafe path '{0}': '..' components are not allowed")]
    ParentDir(String),
    /// Empty, NUL, or otherwise malformed.
    #[error("unsafe path '{0}': malformed path")]
    Malformed(String),
    /// A parent directory in the workspace is a symlink.
    #[error("unsafe path '{0}': it goes through the symlink '{1}'")]
    ThroughSymlink(String, String),
    /// It is or goes into git's, DVC's or Mercurial's own directory.
    #[error("unsafe path '{0}': '{1}' belongs to git, DVC or Mercurial")]
    Reserved(String, String),
}

/// Whether a component (not the last, when `last` is false) is `.git`, or is a `.dvc` or
/// `.hg` directory. dvc never tracks these (its fixed ignore patterns), so no `.dvc`
/// file or `.dir` manifest dvc writes names one; a path that does is hostile, and
/// following it would write into a repository's own metadata (`.git/config`,
/// `.git/hooks/`, `.dvc/config`). Compared case-insensitively, unlike dvc: on a
/// case-insensitive file system `.GIT` is `.git`.
fn is_reserved(component: &str, last: bool) -> bool {
    component.eq_ignore_ascii_case(".git")
        || (!last
            && (component.eq_ignore_ascii_case(".dvc") || component.eq_ignore_ascii_case(".hg")))
}

/// Validate a `/`-separated relative path (a `.dir` relpath or an out path below its base).
pub fn check_relpath(rel: &str) -> Result<(), PathError> {
    if rel.is_empty() || rel.contains('\0') {
        return Err(PathError::Malformed(rel.to_string()));
    }
    if rel.starts_with('/') || Path::new(rel).is_absolute() {
        return Err(PathError::Absolute(rel.to_string()));
    }
    let mut parts = rel.split('/').peekable();
    while let Some(part) = parts.next() {
        match part {
            ".." => return Err(PathError::ParentDir(rel.to_string())),
            "" | "." => return Err(PathError::Malformed(rel.to_string())),
            _ if is_reserved(part, parts.peek().is_none()) => {
                return Err(PathError::Reserved(rel.to_string(), part.to_string()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Validate an out path written in a `.dvc` file (relative to the file's directory).
/// DVC accepts `./x` and `sub/../x` forms rarely; we accept only plain relative paths,
/// but tolerate a leading `./`.
pub fn check_out_path(rel: &str) -> Result<String, PathError> {
    let trimmed = rel.strip_prefix("./").unwrap_or(rel);
    let trimmed = trimmed.trim_end_matches('/');
    check_relpath(trimmed)?;
    Ok(trimmed.to_string())
}

/// Join a checked relpath to `base`, refusing when an existing ancestor below `base` is
/// a symlink (which could point outside the workspace).
pub fn join_checked(base: &Path, rel: &str) -> Result<PathBuf, PathError> {
    check_relpath(rel)?;
    let mut cur = base.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        cur.push(part);
        if i + 1 == parts.len() {
            break;
        }
        if let Ok(meta) = fs_err::symlink_metadata(&cur)
            && meta.file_type().is_symlink()
        {
            return Err(PathError::ThroughSymlink(
                rel.to_string(),
                cur.display().to_string(),
            ));
        }
    }
    Ok(cur)
}

/// [`join_checked`] for many relpaths below one `base`, each directory looked at once:
/// refuse when an existing directory between `base` and any of the files is a symlink.
/// Relpaths that fail [`check_relpath`] are left for [`join_lexical`] to report.
pub fn check_parents<'a>(
    base: &Path,
    rels: impl IntoIterator<Item = &'a str>,
) -> Result<(), PathError> {
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for rel in rels {
        if check_relpath(rel).is_err() {
            continue;
        }
        for (i, _) in rel.match_indices('/') {
            let dir = &rel[..i];
            if !seen.insert(dir) {
                continue;
            }
            let path = base.join(dir);
            if let Ok(meta) = fs_err::symlink_metadata(&path)
                && meta.file_type().is_symlink()
            {
                return Err(PathError::ThroughSymlink(
                    rel.to_string(),
                    path.display().to_string(),
                ));
            }
        }
    }
    Ok(())
}

/// Join a checked relpath to `base` without looking at the filesystem: for paths whose
/// directories [`check_parents`] has vetted.
pub fn join_lexical(base: &Path, rel: &str) -> Result<PathBuf, PathError> {
    check_relpath(rel)?;
    Ok(base.join(rel))
}

/// Normalize a path lexically (no filesystem access): drop `.`, fold `..`.
///
/// Keeps the path's kind: a relative path stays relative and a `..` that has nothing to
/// fold stays (`../../x`, and also `/../x`); an empty path stays empty. See [`normpath`]
/// for Python's `os.path.normpath` of absolute paths, which differs on `..` at the root.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => {
                // Pop only a normal component: `..` above the start must stay `..`
                // (`../../x` is not `x`).
                let last_is_normal =
                    matches!(out.components().next_back(), Some(Component::Normal(_)));
                if last_is_normal {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Lexical `os.path.normpath` of an absolute path (dvc's config path handling).
///
/// Unlike [`normalize`], the result is always absolute: the path is taken from `/`, so a
/// relative input is read as below the root, `..` at the root is dropped as Python does
/// (`/../x` is `/x`, where [`normalize`] keeps `/../x`) and an empty path is `/`. Python
/// keeps a leading `//`; this folds it to `/`.
pub fn normpath(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
        }
    }
    out
}

/// Lexical `os.path.relpath(path, start)` of two absolute, normalized paths (as from
/// [`normpath`]), `/`-separated: `..` for each component of `start` not shared with `path`,
/// `.` when they are equal. Only the normal components of either path are looked at. Unlike
/// [`rel_to`], `path` need not be below `start`.
pub fn relpath(path: &Path, start: &Path) -> String {
    let p: Vec<_> = path
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    let s: Vec<_> = start
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    let common = p.iter().zip(s.iter()).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); s.len() - common];
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// `path` relative to `base` as a `/`-separated string, when `path` is below `base`.
pub fn rel_to(base: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(base).ok()?;
    let s = rel.to_str()?;
    Some(s.replace(std::path::MAIN_SEPARATOR, "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_relpaths() {
        assert!(matches!(
            check_relpath("../x"),
            Err(PathError::ParentDir(_))
        ));
        assert!(matches!(
            check_relpath("a/../../x"),
            Err(PathError::ParentDir(_))
        ));
        assert!(matches!(
            check_relpath("/etc/passwd"),
            Err(PathError::Absolute(_))
        ));
        assert!(matches!(
            check_relpath("a//b"),
            Err(PathError::Malformed(_))
        ));
        assert!(matches!(
            check_relpath("a\0b"),
            Err(PathError::Malformed(_))
        ));
        for reserved in [
            ".git",
            ".git/config",
            "sub/.git/hooks/post-checkout",
            ".GIT/config",
            ".dvc/config",
            "a/.Dvc/x",
            ".hg/hgrc",
        ] {
            assert!(
                matches!(check_relpath(reserved), Err(PathError::Reserved(..))),
                "{reserved:?}"
            );
        }
        // A file named `.dvc` or `.hg` is data (dvc's patterns for them are dir-only).
        for fine in [
            "a/.dvc",
            ".hg",
            "x.git",
            ".gitignore",
            "a.dvc/b",
            ".github/x",
        ] {
            assert!(check_relpath(fine).is_ok(), "{fine:?}");
        }
        assert!(check_relpath("a/b c/ü.bin").is_ok());
        assert!(check_relpath("..a/b..").is_ok());
    }

    #[test]
    fn normalize_keeps_leading_parents() {
        assert_eq!(normalize(Path::new("../../x")), PathBuf::from("../../x"));
        assert_eq!(normalize(Path::new("a/../b")), PathBuf::from("b"));
        assert_eq!(normalize(Path::new("sub/../../y")), PathBuf::from("../y"));
    }

    #[test]
    fn normpath_is_absolute_and_drops_parents_at_the_root() {
        assert_eq!(normpath(Path::new("/a/./b/../c/")), PathBuf::from("/a/c"));
        assert_eq!(normpath(Path::new("/../x")), PathBuf::from("/x"));
        assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/../x"));
        assert_eq!(normpath(Path::new("a/b")), PathBuf::from("/a/b"));
        assert_eq!(normpath(Path::new("")), PathBuf::from("/"));
        assert_eq!(normalize(Path::new("")), PathBuf::new());
    }

    #[test]
    fn relpath_walks_up_from_start() {
        assert_eq!(relpath(Path::new("/r/x"), Path::new("/r/.dvc")), "../x");
        assert_eq!(relpath(Path::new("/r"), Path::new("/r")), ".");
        assert_eq!(relpath(Path::new("/r/a/b"), Path::new("/r")), "a/b");
        assert_eq!(relpath(Path::new("/x"), Path::new("/r/s")), "../../x");
    }

    #[test]
    fn symlinked_parent_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        assert!(matches!(
            join_checked(dir.path(), "link/x"),
            Err(PathError::ThroughSymlink(..))
        ));
        assert!(join_checked(dir.path(), "real/x").is_ok());
    }
}

//! The one way git-dvc replaces a small text file (`.dvc`, `dvc.lock`, `.gitignore`,
//! DVC's config files): write a temp file in the same directory, give it the mode the
//! file would have had, and rename it over the target. A reader (dvc, git, a hook) sees
//! the old bytes or the new ones, never a half-written file, and a crash leaves the old
//! file in place. Cache and remote objects have their own path in `odb` and `transfer`.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Replace `path` with `contents` atomically. An existing file keeps its permission
/// bits; a new one gets `0666` less the umask, as a plain `open(O_CREAT)` would. A
/// symlink is written through (its target is replaced, the link stays), as an in-place
/// write would.
pub fn write(path: &Path, contents: impl AsRef<[u8]>) -> std::io::Result<()> {
    let resolved;
    let path = match fs_err::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            resolved = fs_err::canonicalize(path)?;
            resolved.as_path()
        }
        _ => path,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mode = match fs_err::metadata(path) {
        Ok(m) if m.is_file() => m.permissions().mode() & 0o7777,
        _ => 0o666 & !crate::data::odb::umask(),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".git-dvc-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(contents.as_ref())?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    // Objects this pointer may name reach the disk under their names first.
    crate::data::durability::flush()?;
    crate::data::durability::pointer_file(tmp.as_file())?;
    tmp.persist(path).map_err(|e| e.error)?;
    crate::data::durability::pointer_dir(dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.dvc");
        write(&p, "one\n").unwrap();
        let fresh = fs_err::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(fresh, 0o666 & !crate::data::odb::umask());
        fs_err::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write(&p, "two\n").unwrap();
        assert_eq!(fs_err::read_to_string(&p).unwrap(), "two\n");
        let kept = fs_err::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(kept, 0o640);
        // No temp file is left behind.
        let names: Vec<_> = fs_err::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn writes_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real");
        fs_err::write(&target, "old").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write(&link, "new").unwrap();
        assert!(
            fs_err::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs_err::read_to_string(&target).unwrap(), "new");
    }
}

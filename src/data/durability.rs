//! `gitdvc.fsync`: whether objects and pointer files reach the disk before they become
//! visible under their final names (git's `core.fsync`, for git-dvc's files).
//!
//! Without it (the default, as in dvc) every object, pointer and config file is still
//! written to a temp name and renamed, so a crash of the process never leaves a
//! half-written file at a final name. What a power loss or kernel crash does is up to the
//! file system: on ext4 with `data=ordered` (the default) a rename over an existing file
//! waits for its data, but a new file may come back empty or missing. With it, the temp
//! file is fsynced before the rename and its directory after, so what a command reported
//! written survives a power loss.
//!
//! The setting is read once per process and only when something is about to be written:
//! the binaries register a reader ([`set_reader`]) and read-only commands never run it.

use std::collections::BTreeSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// What is fsynced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fsync {
    /// Cache objects (files and `.dir`s, added or downloaded) and objects written to a
    /// local-directory remote.
    pub objects: bool,
    /// `.dvc`, `dvc.lock`, `.gitignore` and DVC's config files.
    pub pointers: bool,
}

impl Fsync {
    /// Parse `gitdvc.fsync`: a comma-separated list of `objects`, `pointers`, `all` and
    /// `none`, or one of git's booleans (true = all).
    pub fn parse(value: &str) -> Result<Fsync, String> {
        let v = value.trim().to_ascii_lowercase();
        match v.as_str() {
            "true" | "yes" | "on" | "1" | "" => return Ok(Fsync::all()),
            "false" | "no" | "off" | "0" => return Ok(Fsync::default()),
            _ => {}
        }
        let mut out = Fsync::default();
        for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part {
                "objects" => out.objects = true,
                "pointers" => out.pointers = true,
                "all" => out = Fsync::all(),
                "none" => out = Fsync::default(),
                other => {
                    return Err(format!(
                        "bad gitdvc.fsync value '{value}': unknown component '{other}' \
                         (expected objects, pointers, all, none or a boolean)"
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Everything.
    pub fn all() -> Fsync {
        Fsync {
            objects: true,
            pointers: true,
        }
    }
}

type Reader = Box<dyn Fn() -> Fsync + Send + Sync>;

static READER: OnceLock<Reader> = OnceLock::new();
static SETTING: OnceLock<Fsync> = OnceLock::new();

/// Register how this process learns its setting (called once, by a binary's entry point).
pub fn set_reader(reader: impl Fn() -> Fsync + Send + Sync + 'static) {
    let _ = READER.set(Box::new(reader));
}

/// The setting (read on first use; none when no reader is registered).
pub fn setting() -> Fsync {
    *SETTING.get_or_init(|| READER.get().map(|r| r()).unwrap_or_default())
}

/// Fsync `file` when objects are to be made durable.
pub fn object_file(file: &File) -> io::Result<()> {
    if setting().objects {
        file.sync_all()
    } else {
        Ok(())
    }
}

/// Fsync the file at `path` when objects are to be made durable.
pub fn object_path(path: &Path) -> io::Result<()> {
    if setting().objects {
        fs_err::File::open(path)?.sync_all()
    } else {
        Ok(())
    }
}

/// Fsync `file` when pointer files are to be made durable.
pub fn pointer_file(file: &File) -> io::Result<()> {
    if setting().pointers {
        file.sync_all()
    } else {
        Ok(())
    }
}

/// Object directories renamed into and not yet synced.
static PENDING: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// After a rename into `dir`: the directory is synced, so that the new name survives too,
/// by the next [`flush`] (once per directory: a push of 20,000 objects syncs its 256
/// prefix directories, not 20,000 times). Every pointer write flushes first, so no
/// pointer that names an object is durable before the object's name is.
pub fn object_dir(dir: &Path) -> io::Result<()> {
    if setting().objects
        && let Ok(mut p) = PENDING.lock()
        && !p.contains(dir)
    {
        p.insert(dir.to_path_buf());
    }
    Ok(())
}

/// Sync the object directories renamed into since the last flush (before a pointer is
/// written, and before a command reports success).
pub fn flush() -> io::Result<()> {
    let dirs = match PENDING.lock() {
        Ok(mut p) => std::mem::take(&mut *p),
        Err(_) => return Ok(()),
    };
    for d in &dirs {
        sync_dir(d)?;
    }
    Ok(())
}

/// After a rename into `dir` of a pointer file.
pub fn pointer_dir(dir: &Path) -> io::Result<()> {
    if setting().pointers {
        sync_dir(dir)
    } else {
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    fs_err::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_components_and_booleans() {
        assert_eq!(Fsync::parse("true"), Ok(Fsync::all()));
        assert_eq!(Fsync::parse("off"), Ok(Fsync::default()));
        assert_eq!(
            Fsync::parse("objects"),
            Ok(Fsync {
                objects: true,
                pointers: false
            })
        );
        assert_eq!(Fsync::parse(" Pointers , objects"), Ok(Fsync::all()));
        assert_eq!(Fsync::parse("all,none"), Ok(Fsync::default()));
        assert!(Fsync::parse("loose-object").is_err());
    }
}

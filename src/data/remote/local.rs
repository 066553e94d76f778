//! A local directory remote (`url = /srv/store` or a relative path), spec §7.1.
//!
//! Written exactly like the cache: each object is copied to `.<token>.tmp` in its
//! destination directory, chmodded 0444 and renamed into place, so an object under its
//! final name is always complete. Directories get `0777 & ~umask`.
//!
//! Existence follows dvc's local rule: a regular file of mode 0444 is trusted; any other
//! mode is re-hashed and counts as absent when its content does not match its name (it
//! is then simply overwritten by the next upload).
//!
//! Filesystem calls are blocking, so every operation runs on tokio's blocking pool.
#![expect(
    clippy::disallowed_methods,
    reason = "hot path: std::fs without a path copy per call; every io::Error is mapped into an error that names its path"
)]

use super::{Downloaded, RemoteError, Result};
use crate::data::hash::{self, Hasher};
use crate::data::odb;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A directory remote.
#[derive(Debug, Clone)]
pub struct LocalRemote {
    name: String,
    root: Arc<PathBuf>,
}

impl LocalRemote {
    /// A remote rooted at `root` (an absolute path, as config resolves it).
    pub fn new(name: &str, root: PathBuf) -> LocalRemote {
        LocalRemote {
            name: name.to_string(),
            root: Arc::new(root),
        }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether `key` exists (trusted 0444, or re-hashed and good). Blocking.
    pub fn exists_sync(&self, key: &str) -> bool {
        exists_sync(&self.root, key)
    }

    /// Copy `src` to `key` (temp + chmod 0444 + rename). Blocking.
    pub fn upload_sync(&self, src: &Path, key: &str) -> Result<()> {
        upload_sync(&self.root, src, key)
    }

    /// Copy `key` into the new file `dest` (a temp name: created read-only, its directory
    /// made on demand), hashing on the way. Blocking. Returns the still-open file; on
    /// error, the file this call created is removed again.
    pub fn download_sync(&self, key: &str, dest: &Path) -> Result<(Downloaded, File)> {
        download_sync(&self.name, &self.root, key, dest)
    }

    /// Which keys exist (trusted or verified), in order.
    pub async fn exists_many(&self, keys: &[String], jobs: usize) -> Result<Vec<bool>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let chunk = keys.len().div_ceil(jobs.max(1)).max(64);
        let mut handles = Vec::new();
        for part in keys.chunks(chunk) {
            let part = part.to_vec();
            let root = self.root.clone();
            handles.push(tokio::task::spawn_blocking(move || {
                part.iter()
                    .map(|k| exists_sync(&root, k))
                    .collect::<Vec<bool>>()
            }));
        }
        let mut out = Vec::with_capacity(keys.len());
        for h in handles {
            out.extend(h.await.map_err(join_error)?);
        }
        Ok(out)
    }

    /// Copy `src` to `key` (temp + chmod 0444 + rename).
    pub async fn upload(&self, src: &Path, key: &str) -> Result<()> {
        let root = self.root.clone();
        let src = src.to_path_buf();
        let key = key.to_string();
        tokio::task::spawn_blocking(move || upload_sync(&root, &src, &key))
            .await
            .map_err(join_error)?
    }

    /// Copy `key` into the new file `dest`, hashing on the way.
    pub async fn download(&self, key: &str, dest: &Path) -> Result<Downloaded> {
        let root = self.root.clone();
        let dest = dest.to_path_buf();
        let key = key.to_string();
        let name = self.name.clone();
        tokio::task::spawn_blocking(move || {
            download_sync(&name, &root, &key, &dest).map(|(d, _)| d)
        })
        .await
        .map_err(join_error)?
    }

    /// Every object key (modern `files/md5/…` and legacy `ab/…`).
    pub async fn list(&self) -> Result<Vec<String>> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            list_two_level(&root.join("files").join("md5"), "files/md5/", &mut out)?;
            list_two_level(&root, "", &mut out)?;
            Ok(out)
        })
        .await
        .map_err(join_error)?
    }

    /// Remove `keys`; missing ones are fine.
    pub async fn delete(&self, keys: &[String]) -> Result<()> {
        let root = self.root.clone();
        let keys = keys.to_vec();
        tokio::task::spawn_blocking(move || {
            for k in &keys {
                let p = root.join(k);
                match fs::remove_file(&p) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(RemoteError::io("remove", &p)(e)),
                }
            }
            Ok(())
        })
        .await
        .map_err(join_error)?
    }
}

fn join_error(e: tokio::task::JoinError) -> RemoteError {
    RemoteError::Runtime(format!("a transfer task failed: {e}"))
}

fn exists_sync(root: &Path, key: &str) -> bool {
    let path = root.join(key);
    let Ok(meta) = fs::symlink_metadata(&path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    if meta.mode() & 0o7777 == 0o444 {
        return true;
    }
    // Unprotected: maybe a leftover of an interrupted foreign write. Trust only content.
    let Some((oid, legacy)) = super::oid_of_key(key) else {
        return false;
    };
    let expected = oid.strip_suffix(".dir").unwrap_or(&oid);
    match hash::hash_file(&path, legacy && !oid.ends_with(".dir")) {
        Ok((actual, _)) => actual == expected,
        Err(_) => false,
    }
}

fn upload_sync(root: &Path, src: &Path, key: &str) -> Result<()> {
    let dest = root.join(key);
    let dir = dest.parent().unwrap_or(root);
    let tmp = odb::temp_name(dir);
    let mut from = File::open(src).map_err(RemoteError::io("read", src))?;
    // Created read-only at once (the fd stays writable): no chmod and no stat afterwards,
    // unless the umask takes bits away from 0444.
    let create = || {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(&tmp)
    };
    // Most of the 256 prefix directories exist after the first few hundred objects: try
    // first and create the directory only when it is missing.
    let mut to = match create() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(RemoteError::io("create directory", dir))?;
            create()
        }
        other => other,
    }
    .map_err(RemoteError::io("copy to", &dest))?;
    let finish = std::io::copy(&mut from, &mut to)
        .map_err(RemoteError::io("copy to", &dest))
        .and_then(|_| {
            if odb::umask() & 0o444 != 0 {
                to.set_permissions(fs::Permissions::from_mode(0o444))
                    .map_err(RemoteError::io("chmod", &tmp))?;
            }
            crate::data::durability::object_file(&to).map_err(RemoteError::io("fsync", &tmp))?;
            drop(to);
            fs::rename(&tmp, &dest).map_err(RemoteError::io("rename into", &dest))?;
            crate::data::durability::object_dir(dir).map_err(RemoteError::io("fsync", dir))
        });
    if finish.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    finish
}

fn download_sync(name: &str, root: &Path, key: &str, dest: &Path) -> Result<(Downloaded, File)> {
    let src = root.join(key);
    let from = File::open(&src).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            RemoteError::NotFound {
                remote: name.to_string(),
                key: key.to_string(),
            }
        } else {
            RemoteError::io("open", &src)(e)
        }
    })?;
    // Read-only from the start (the fd stays writable): no chmod once it is verified.
    // `dest` is a temp name that no reader looks up. The directory is made on demand.
    let create = || {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(dest)
    };
    let to = match create() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = dest.parent() {
                fs::create_dir_all(dir).map_err(RemoteError::io("create directory", dir))?;
            }
            create()
        }
        other => other,
    }
    .map_err(RemoteError::io("create", dest))?;
    match copy_hashing(&src, from, dest, &to) {
        Ok(got) => Ok((got, to)),
        Err(e) => {
            drop(to);
            let _ = fs::remove_file(dest);
            Err(e)
        }
    }
}

/// Copy `from` into `to`, hashing on the way.
fn copy_hashing(src: &Path, mut from: File, dest: &Path, mut to: &File) -> Result<Downloaded> {
    // Small objects (the common case) in one read of the size fstat gave (no probing
    // read at the end, no large zeroed buffer). A file that changes size meanwhile
    // fails its md5 check.
    let len = from.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
    if len <= hash::SMALL_FILE {
        let mut buf = Vec::with_capacity(len as usize);
        Read::by_ref(&mut from)
            .take(len)
            .read_to_end(&mut buf)
            .map_err(RemoteError::io("read", src))?;
        to.write_all(&buf).map_err(RemoteError::io("write", dest))?;
        return Ok(Downloaded {
            md5: hash::md5_bytes(&buf),
            size: buf.len() as u64,
        });
    }
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; hash::STREAM_CHUNK];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(RemoteError::io("read", src)(e)),
        };
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])
            .map_err(RemoteError::io("write", dest))?;
    }
    let (md5, size) = hasher.finish();
    Ok(Downloaded { md5, size })
}

fn list_two_level(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<()> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(RemoteError::io("list", dir)(e)),
    };
    for entry in rd.flatten() {
        let name = entry.file_name();
        let Some(head) = name.to_str() else { continue };
        if head.len() != 2 || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let Ok(inner) = fs::read_dir(entry.path()) else {
            continue;
        };
        for obj in inner.flatten() {
            let Some(tail) = obj.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if tail.starts_with('.') {
                continue;
            }
            let key = format!("{prefix}{head}/{tail}");
            if super::oid_of_key(&key).is_some() {
                out.push(key);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_download_list_delete() {
        let dir = tempfile::tempdir().unwrap();
        let remote = LocalRemote::new("r", dir.path().join("store"));
        let src = dir.path().join("f");
        fs::write(&src, b"hello\n").unwrap();
        let key = "files/md5/b1/946ac92492d2347c6235b4d2611184".to_string();
        super::super::block_on(async {
            assert_eq!(
                remote
                    .exists_many(std::slice::from_ref(&key), 4)
                    .await
                    .unwrap(),
                [false]
            );
            remote.upload(&src, &key).await.unwrap();
            assert_eq!(
                remote
                    .exists_many(std::slice::from_ref(&key), 4)
                    .await
                    .unwrap(),
                [true]
            );
            let obj = dir.path().join("store").join(&key);
            assert_eq!(fs::metadata(&obj).unwrap().mode() & 0o7777, 0o444);
            let dest = dir.path().join("dl");
            let d = remote.download(&key, &dest).await.unwrap();
            assert_eq!(d.md5, "b1946ac92492d2347c6235b4d2611184");
            assert_eq!(remote.list().await.unwrap(), vec![key.clone()]);
            // A non-0444 corrupt object is not trusted.
            fs::set_permissions(&obj, fs::Permissions::from_mode(0o644)).unwrap();
            fs::write(&obj, b"bad").unwrap();
            assert_eq!(
                remote
                    .exists_many(std::slice::from_ref(&key), 4)
                    .await
                    .unwrap(),
                [false]
            );
            remote.delete(std::slice::from_ref(&key)).await.unwrap();
            assert!(!obj.exists());
            let err = remote
                .download(&key, &dir.path().join("dl2"))
                .await
                .unwrap_err();
            assert!(err.is_not_found());
        })
        .unwrap();
    }
}

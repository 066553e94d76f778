//! The part of the OpenDAL-backed remotes (WebDAV, and later GCS and Azure) that does not
//! depend on the service: an [`opendal::Operator`] rooted at the remote's prefix, used
//! with the remote's keys as paths.
//!
//! - Existence: one `stat` per key, `jobs` at a time.
//! - Upload: where the service can rename (WebDAV's MOVE), the object goes to a temp name
//!   in its directory first and is renamed into place, so no reader ever sees a partial
//!   object under its final name; object stores write atomically and get a plain write.
//!   OpenDAL's one-shot writers send an object as one request, so the object is read into
//!   memory first (the objects of a DVC remote are files of a data set; see the README).
//! - Download: streamed into the destination file, hashed on the way.
//! - Listing: one recursive listing, filtered to object keys.
//!
//! Errors are classified from OpenDAL's kinds and its temporary flag; its messages name
//! the service, the operation and the path, never a credential.

use super::{Downloaded, RemoteError, RequestKind, Result};
use opendal::{ErrorKind, Operator};
use std::path::Path;

/// `op` sending its requests through `client` (git-dvc builds OpenDAL without its global
/// default transport, so every operator gets its client here).
pub fn with_client(op: Operator, client: reqwest::Client) -> Operator {
    let transport = opendal::HttpTransporter::new(HonourRetryAfter(
        opendal_http_transport_reqwest::ReqwestTransport::new(client),
    ));
    op.with_context(opendal::OperationContext::new().with_http_transport(transport))
}

/// How many times one request is sent again after a `Retry-After` answer, before the
/// answer goes back to OpenDAL (whose error the transfer's own retries then see).
const RETRY_AFTER_RESENDS: usize = 3;

/// A transport that waits as long as a 429 or 503 answer's `Retry-After` asks and sends
/// the request again. OpenDAL classifies such answers as temporary but drops the header,
/// so without this the transfer's backoff would retry sooner than the store asked.
struct HonourRetryAfter<T>(T);

impl<T: opendal::HttpTransport> opendal::HttpTransport for HonourRetryAfter<T> {
    async fn fetch(
        &self,
        req: http::Request<opendal::Buffer>,
    ) -> opendal::Result<http::Response<opendal::HttpBody>> {
        let (parts, body) = req.into_parts();
        let mut resends = 0;
        loop {
            let resp = self
                .0
                .fetch(http::Request::from_parts(parts.clone(), body.clone()))
                .await?;
            let header = resp
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok());
            match super::retry_after(resp.status().as_u16(), header) {
                Some(wait) if resends < RETRY_AFTER_RESENDS => {
                    tracing::debug!(status = %resp.status(), ?wait, uri = %parts.uri, "the store asked to wait");
                    drop(resp);
                    tokio::time::sleep(wait).await;
                    resends += 1;
                }
                _ => return Ok(resp),
            }
        }
    }
}

/// One object as the store lists it (`import-url`, `ls-url`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DalObject {
    /// Key relative to the remote root.
    pub key: String,
    /// Bytes.
    pub size: u64,
    /// The ETag as the store gives it.
    pub etag: Option<String>,
    /// The object's version (GCS's generation).
    pub version: Option<String>,
}

/// A remote behind an OpenDAL operator.
#[derive(Debug)]
pub struct DalRemote {
    name: String,
    /// What the messages call the remote's location (its url, without user info).
    location: String,
    op: Operator,
    rename_uploads: bool,
}

/// The part size of multi-part uploads (and the size above which an upload is split).
const UPLOAD_CHUNK: usize = 16 * 1024 * 1024;

/// Whether `e` comes from loading or using a credential: a reqsign error of the
/// credential kinds somewhere in its source chain.
fn signing_failed(e: &opendal::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        if let Some(r) = err.downcast_ref::<reqsign_core::Error>() {
            return matches!(
                r.kind(),
                reqsign_core::ErrorKind::CredentialInvalid
                    | reqsign_core::ErrorKind::PermissionDenied
            );
        }
        source = err.source();
    }
    false
}

impl DalRemote {
    /// A remote named `name` over `op`; `rename_uploads` writes through a temp name.
    pub fn new(name: &str, location: String, op: Operator, rename_uploads: bool) -> DalRemote {
        DalRemote {
            name: name.to_string(),
            location,
            op,
            rename_uploads,
        }
    }

    fn error(&self, op: &'static str, key: &str, e: &opendal::Error) -> RemoteError {
        if e.kind() == ErrorKind::NotFound && op != "list" && op != "upload" {
            return RemoteError::NotFound {
                remote: self.name.clone(),
                key: key.to_string(),
            };
        }
        // No credential to sign with (the chain found none, or the token endpoint refused
        // the one configured): say so, not OpenDAL's "signing http request" chain.
        if e.kind() == ErrorKind::Unexpected && signing_failed(e) {
            return RemoteError::Request {
                remote: self.name.clone(),
                op,
                key: key.to_string(),
                message: "no usable credentials: the configured ones were refused, or none were found (run with -v to see each source tried)".into(),
                kind: RequestKind::Auth,
            };
        }
        let kind = match e.kind() {
            ErrorKind::PermissionDenied => RequestKind::Auth,
            ErrorKind::RateLimited => RequestKind::Transient,
            _ if e.is_temporary() => RequestKind::Transient,
            _ => RequestKind::Permanent,
        };
        let mut message = e.to_string();
        if e.is_temporary() && !message.contains(&self.location) {
            message.push_str(&format!(" ({})", self.location));
        }
        RemoteError::Request {
            remote: self.name.clone(),
            op,
            key: key.to_string(),
            message,
            kind,
        }
    }

    async fn exists(&self, key: &str) -> Result<bool> {
        match self.op.stat(key).await {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.error("check", key, &e)),
        }
    }

    /// Which keys exist: one `stat` each, `jobs` at a time.
    pub async fn exists_many(&self, keys: &[String], jobs: usize) -> Result<Vec<bool>> {
        // As dvc does: a listing of the whole remote when the keys are many against the
        // remote's size (estimated from one of its 256 prefixes), else one metadata
        // request per key. A push of 20,000 new files to an empty remote is then a
        // couple of listing requests, not 20,000 HEADs.
        if keys.len() > 1 {
            let sample = match self.op.list("files/md5/00/").await {
                Ok(entries) => entries.iter().filter(|e| e.metadata().is_file()).count(),
                Err(e) if e.kind() == ErrorKind::NotFound => 0,
                Err(e) => return Err(self.error("list", "files/md5/00/", &e)),
            };
            let estimate = (sample as u64).saturating_mul(256);
            if (keys.len() as u64).saturating_mul(1000) >= estimate {
                let present: std::collections::HashSet<String> =
                    self.list().await?.into_iter().collect();
                return Ok(keys.iter().map(|k| present.contains(k)).collect());
            }
        }
        super::concurrent(
            keys.to_vec(),
            jobs,
            |k| async move { self.exists(&k).await },
        )
        .await
        .into_iter()
        .collect()
    }

    /// Upload `src` to `key`: through a temp name and a rename where the service renames.
    pub async fn upload(&self, src: &Path, key: &str) -> Result<()> {
        let target = if self.rename_uploads {
            temp_key(key)
        } else {
            key.to_string()
        };
        self.write_object(src, &target)
            .await
            .map_err(|e| self.error("upload", key, &e))?;
        if self.rename_uploads
            && let Err(e) = self.op.rename(&target, key).await
        {
            let _ = self.op.delete(&target).await;
            return Err(self.error("upload", key, &e));
        }
        Ok(())
    }

    /// Write the file `src` as object `target`: small files in one request; larger ones,
    /// where the service takes an object in parts (GCS resumable uploads, Azure blocks),
    /// in [`UPLOAD_CHUNK`] parts read one at a time, so memory stays bounded. WebDAV has
    /// no multi-part write in OpenDAL: its objects go up whole, held in memory.
    async fn write_object(&self, src: &Path, target: &str) -> opendal::Result<()> {
        let io = |e: std::io::Error| {
            opendal::Error::new(
                ErrorKind::Unexpected,
                format!("reading {}: {e}", src.display()),
            )
        };
        let mut file = tokio::fs::File::open(src).await.map_err(io)?;
        let size = file.metadata().await.map_err(io)?.len();
        let multi = self.op.info().capability().write_can_multi;
        if size <= UPLOAD_CHUNK as u64 || !multi {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            use tokio::io::AsyncReadExt;
            file.read_to_end(&mut bytes).await.map_err(io)?;
            return self.op.write(target, bytes).await.map(|_| ());
        }
        // `if_not_exists` makes OpenDAL's GCS writer use a resumable upload (the JSON API,
        // which every GCS emulator serves) rather than the XML multipart API. The object is
        // named by its content: one that appeared meanwhile is the same object.
        let mut writer = match self
            .op
            .writer_with(target)
            .chunk(UPLOAD_CHUNK)
            .if_not_exists(true)
            .await
        {
            Ok(w) => w,
            Err(e) if e.kind() == ErrorKind::ConditionNotMatch => return Ok(()),
            Err(e) => return Err(e),
        };
        loop {
            let mut part = Vec::with_capacity(UPLOAD_CHUNK);
            use tokio::io::AsyncReadExt;
            (&mut file)
                .take(UPLOAD_CHUNK as u64)
                .read_to_end(&mut part)
                .await
                .map_err(io)?;
            if part.is_empty() {
                break;
            }
            if let Err(e) = writer.write(part).await {
                let _ = writer.abort().await;
                return Err(e);
            }
        }
        match writer.close().await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::ConditionNotMatch => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The object's md5 as the store keeps it (`Content-MD5` / `md5Hash`, base64), or
    /// `Ok(None)` when it is missing.
    pub async fn checksum(&self, key: &str) -> Result<Option<super::StoreChecksum>> {
        match self.op.stat(key).await {
            Ok(meta) => {
                use base64::Engine;
                let md5 = meta
                    .content_md5()
                    .and_then(|b| {
                        base64::engine::general_purpose::STANDARD
                            .decode(b.trim())
                            .ok()
                    })
                    .filter(|d| d.len() == 16)
                    .map(hex::encode);
                Ok(Some(super::StoreChecksum { md5 }))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error("check", key, &e)),
        }
    }

    /// What the store says of the object `key` (`import-url`): size, ETag as the store
    /// gives it, and version (GCS's generation); `None` when it is missing.
    pub async fn stat_object(&self, key: &str) -> Result<Option<DalObject>> {
        match self.op.stat(key).await {
            Ok(meta) if meta.is_file() => Ok(Some(DalObject {
                key: key.to_string(),
                size: meta.content_length(),
                etag: meta.etag().map(str::to_string),
                version: meta.version().map(str::to_string),
            })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.error("check", key, &e)),
        }
    }

    /// Every object below the directory `prefix` (no trailing `/`), keys relative to
    /// the remote root.
    pub async fn walk_objects(&self, prefix: &str) -> Result<Vec<DalObject>> {
        let dir = format!("{}/", prefix.trim_end_matches('/'));
        let dir = if dir == "/" { String::new() } else { dir };
        let entries = match self.op.list_with(&dir).recursive(true).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.error("list", prefix, &e)),
        };
        Ok(entries
            .into_iter()
            .filter(|e| e.metadata().is_file())
            .map(|e| DalObject {
                key: e.path().trim_start_matches('/').to_string(),
                size: e.metadata().content_length(),
                etag: e.metadata().etag().map(str::to_string),
                version: e.metadata().version().map(str::to_string),
            })
            .collect())
    }

    /// Download `key` into the new file `dest`, hashing on the way.
    pub async fn download(&self, key: &str, dest: &Path) -> Result<Downloaded> {
        self.download_version(key, None, dest).await
    }

    /// [`DalRemote::download`] of the object at `version` (GCS's generation). OpenDAL
    /// 0.59 reads only the live object (a condition on its generation, no `generation`
    /// parameter), so a version that is no longer the live one is an error that says so.
    pub async fn download_version(
        &self,
        key: &str,
        version: Option<&str>,
        dest: &Path,
    ) -> Result<Downloaded> {
        let not_live = |v: &str| RemoteError::Config {
            remote: self.name.clone(),
            message: format!(
                "'{key}' is no longer at version {v}, and git-dvc reads only an object's live version from this store"
            ),
        };
        let mut reader = self.op.reader_with(key);
        if let Some(v) = version {
            match self.op.stat_with(key).if_version_match(v).await {
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConditionNotMatch => return Err(not_live(v)),
                Err(e) => return Err(self.error("download", key, &e)),
            }
            reader = reader.if_version_match(v);
        }
        let reader = reader.await.map_err(|e| match version {
            Some(v) if e.kind() == ErrorKind::ConditionNotMatch => not_live(v),
            _ => self.error("download", key, &e),
        })?;
        let stream = reader
            .into_bytes_stream(..)
            .await
            .map_err(|e| self.error("download", key, &e))?;
        use futures_util::TryStreamExt;
        let name = self.name.clone();
        let stream = stream.map_err(|e| RemoteError::Request {
            remote: name.clone(),
            op: "download",
            key: key.to_string(),
            message: e.to_string(),
            kind: RequestKind::Transient,
        });
        super::write_stream(stream, dest).await
    }

    /// Every object key (modern and legacy layouts); temp names and other files are left out.
    pub async fn list(&self) -> Result<Vec<String>> {
        let entries = match self.op.list_with("").recursive(true).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.error("list", "", &e)),
        };
        Ok(entries
            .into_iter()
            .filter(|e| e.metadata().is_file())
            .map(|e| e.path().trim_start_matches('/').to_string())
            .filter(|k| super::oid_of_key(k).is_some())
            .collect())
    }

    /// Delete `keys`; absent ones are fine.
    pub async fn delete(&self, keys: &[String], jobs: usize) -> Result<()> {
        let results = super::concurrent(keys.to_vec(), jobs, |k| async move {
            match self.op.delete(&k).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                Err(e) => Err(self.error("delete", &k, &e)),
            }
        })
        .await;
        results.into_iter().collect()
    }
}

/// `files/md5/ab/cdef` → `files/md5/ab/.cdef.<random>.tmp` (skipped by listings: not an
/// object key).
fn temp_key(key: &str) -> String {
    let (dir, file) = match key.rsplit_once('/') {
        Some((d, f)) => (format!("{d}/"), f),
        None => (String::new(), key),
    };
    let token: u64 = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write(key.as_bytes());
        h.finish()
    };
    format!("{dir}.{file}.{token:016x}.tmp")
}

#[cfg(test)]
mod tests {
    #[test]
    fn temp_keys_are_not_object_keys() {
        let t = super::temp_key("files/md5/b1/946ac92492d2347c6235b4d2611184");
        assert!(
            t.starts_with("files/md5/b1/.946ac92492d2347c6235b4d2611184."),
            "{t}"
        );
        assert!(t.ends_with(".tmp"));
        assert_eq!(super::super::oid_of_key(&t), None);
    }
}

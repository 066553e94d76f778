//! Data at a URL, for `import-url`, `get-url`, `ls-url` and `update`: one file or
//! directory of an S3 or GCS bucket, an Azure container or an SSH server, or one file of
//! an HTTP(S) server, read through the remote backends with the options of the URL
//! (`--fs-config`, or the remote that `remote://NAME/path` names).
//!
//! What dvc records of the source, and what this module reports for it:
//! - S3: a file's `etag` (its ETag without quotes) and `size`, and with `version_aware`
//!   its `version_id`; a directory's `md5` is the oid of a `.dir`-like list of its files'
//!   ETags (`[{"etag": …, "relpath": …}]`), which dvc keeps in the cache too. A URL
//!   that names a version (`?versionId=`) is one object read at that version, recorded
//!   with its `version_id` (dvc 3.67.1 reads the latest there instead and records a
//!   mismatch it cannot read back; see [`UrlSource::pinned_version`]).
//! - HTTP(S): `checksum`, the server's `ETag` (else `Content-MD5`) verbatim, else
//!   fsspec's token of what the `HEAD` response said (see [`super::http::UrlInfo`]).
//!   HTTP has no directories.
//! - GCS: as S3, with the ETag decoded from base64 to hex and the generation always
//!   recorded as `version_id`, as dvc-gs does. With `version_aware`, objects are read
//!   at their recorded generation, which OpenDAL can do only while it is the live one.
//! - Azure: as S3, with the ETag as the service gives it, quotes included
//!   (`'"0x8DC…"'`), and no version, as dvc-azure records it.
//! - SSH: no store checksum; dvc-ssh records the content's `md5` (a directory's `.dir`
//!   oid), `size` and `nfiles`, as for a local path, so the data is read to hash it
//!   ([`UrlSource::hashes_content`]).

#[cfg(feature = "http")]
use super::http::HttpRemote;
use super::s3::{ObjectInfo, S3Remote, S3Settings};
use super::{Downloaded, OpenOptions, RemoteError, Result};
use crate::data::config::{RemoteConfig, RemoteLocation};
use crate::data::odb::Odb;
use crate::data::tree::{Md5Digest, Tree, TreeEntry};
use std::path::Path;

/// What dvc records of one source file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileMeta {
    /// Bytes, where the store says.
    pub size: Option<u64>,
    /// S3's ETag.
    pub etag: Option<String>,
    /// HTTP's checksum.
    pub checksum: Option<String>,
    /// S3's version id (recorded with `version_aware`).
    pub version_id: Option<String>,
}

/// One file of a source directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Path below the directory, `/`-separated.
    pub relpath: String,
    /// What the store says of it.
    pub meta: FileMeta,
}

/// What a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// One file.
    File(FileMeta),
    /// A directory and every file below it, sorted by relpath.
    Dir(Vec<DirEntry>),
}

impl Found {
    /// The dep's md5 of a directory: the oid of its ETag list, and that list's bytes.
    pub fn dir_etag_tree(entries: &[DirEntry]) -> (String, Vec<u8>) {
        // The same JSON as a `.dir` with `etag` for `md5` (keys sorted either way); an
        // ETag is any string, so this is written here rather than through `TreeEntry`.
        let mut sorted: Vec<&DirEntry> = entries.iter().collect();
        sorted.sort_by(|a, b| a.relpath.as_bytes().cmp(b.relpath.as_bytes()));
        let mut text = String::from("[");
        for (i, e) in sorted.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str("{\"etag\": ");
            crate::data::tree::push_json_string(&mut text, e.meta.etag.as_deref().unwrap_or(""));
            text.push_str(", \"relpath\": ");
            crate::data::tree::push_json_string(&mut text, &e.relpath);
            text.push('}');
        }
        text.push(']');
        let oid = format!("{}.dir", crate::data::hash::md5_bytes(text.as_bytes()));
        (oid, text.into_bytes())
    }
}

/// Whether `url` is a URL rather than a local path (a scheme before `://`).
pub fn is_url(url: &str) -> bool {
    url.split_once("://").is_some_and(|(s, _)| {
        s.len() > 1
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// Where dvc's `fetch`/`pull` keeps the data of a version-aware import-url, relative to
/// the cache dir: `fs/<protocol>/<token>` (a file, or a directory of the files by
/// relpath), dvc's "fs cache" of data it has no md5 for yet. dvc's checkout of such a
/// stage reads only this place, so a pull must fill it for dvc to check the data out.
/// The token is fsspec's `tokenize(dep.fs_path, meta_token)`: the md5 of the Python
/// repr of the tuple, where `fs_path` is the URL without its scheme (and without S3's
/// `?versionId=`, which dvc-s3 splits off), and `meta_token` is a directory's dep md5
/// (the oid of its ETag list) or, for a file, `tokenize(dep.meta.to_dict())`
/// (dvc/repo/index.py, `_load_storage_from_import`; dvc_data's `Meta.to_dict` order).
pub fn fs_cache_key(url: &str, found: &Found) -> Option<String> {
    use crate::data::config::py_repr;
    let (scheme, rest) = url.split_once("://")?;
    let fs_path = if scheme == "s3" {
        split_version(rest).0
    } else {
        rest.to_string()
    };
    let meta_token = match found {
        Found::Dir(entries) => Found::dir_etag_tree(entries).0,
        Found::File(m) => {
            let mut items = Vec::new();
            if let Some(size) = m.size {
                items.push(("size", size.to_string()));
            }
            for (k, v) in [
                ("version_id", &m.version_id),
                ("etag", &m.etag),
                ("checksum", &m.checksum),
            ] {
                if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                    items.push((k, py_repr(v)));
                }
            }
            meta_dict_token(&items)
        }
    };
    Some(fs_cache_entry(scheme, &fs_path, &meta_token))
}

/// fsspec's `tokenize(d)` of a dict `d` (dvc_data's `Meta.to_dict()`), given its items
/// in order as (key, Python repr of the value): the md5 of the repr of the 1-tuple.
pub fn meta_dict_token(items: &[(&str, String)]) -> String {
    let body: Vec<String> = items.iter().map(|(k, v)| format!("'{k}': {v}")).collect();
    crate::data::hash::md5_bytes(format!("({{{}}},)", body.join(", ")).as_bytes())
}

/// dvc's fs cache entry for data at `fs_path` of a file system of `protocol`, relative
/// to the cache dir: `fs/<protocol>/<tokenize(fs_path, meta_token)>`.
pub fn fs_cache_entry(protocol: &str, fs_path: &str, meta_token: &str) -> String {
    use crate::data::config::py_repr;
    let token = crate::data::hash::md5_bytes(
        format!("({}, {})", py_repr(fs_path), py_repr(meta_token)).as_bytes(),
    );
    format!("fs/{protocol}/{token}")
}

/// What a fetch of a URL brought into an odb.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The out's oid (a file's md5, or the `.dir` oid).
    pub md5: String,
    /// Total bytes.
    pub size: u64,
    /// Files of a directory.
    pub nfiles: Option<u64>,
    /// `(relpath, md5)` of each file of a directory, sorted.
    pub files: Vec<(String, String)>,
}

/// Which OpenDAL service a [`Store::Dal`] is: what its metadata means differs.
#[cfg(any(feature = "gs", feature = "azure"))]
#[derive(Debug, Clone, Copy)]
enum DalKind {
    #[cfg(feature = "gs")]
    Gs,
    #[cfg(feature = "azure")]
    Azure,
}

#[derive(Debug)]
enum Store {
    S3(Box<S3Remote>),
    /// GCS (`gs://`) or Azure (`azure://`), through OpenDAL, opened at the bucket or
    /// container.
    #[cfg(any(feature = "gs", feature = "azure"))]
    Dal(Box<super::dal::DalRemote>, DalKind),
    #[cfg(feature = "http")]
    Http(Box<HttpRemote>),
    /// SFTP (`ssh://`), opened at the URL's path.
    #[cfg(feature = "ssh")]
    Ssh(Box<super::ssh::SshRemote>),
}

/// An opened URL. Nothing is contacted until asked.
#[derive(Debug)]
pub struct UrlSource {
    name: String,
    store: Store,
    key: String,
    version_aware: bool,
    /// The version an S3 URL names with `?versionId=` (read instead of the latest).
    pinned: Option<String>,
}

/// An S3 key without the `?versionId=` query that pins one version, and that version
/// (dvc-s3's `split_version`; a `?` not followed by `versionId=` is part of the key).
pub fn split_version(key: &str) -> (String, Option<String>) {
    match key.rsplit_once("?versionId=") {
        Some((key, version)) if !version.is_empty() && !version.contains(['&', '?', '/']) => {
            (key.to_string(), Some(version.to_string()))
        }
        _ => (key.to_string(), None),
    }
}

impl UrlSource {
    /// Open the URL `config.url` with the options of `config` (its `version_aware`
    /// option lists object versions). Schemes other than S3 and HTTP(S) are refused.
    pub fn open(config: &RemoteConfig, options: &OpenOptions) -> Result<UrlSource> {
        let version_aware = config.bool_option("version_aware", false);
        match &config.location {
            RemoteLocation::S3 { bucket, prefix } => {
                let settings = S3Settings::from_config(config, options)?;
                let (key, pinned) = split_version(prefix);
                Ok(UrlSource {
                    name: config.name.clone(),
                    store: Store::S3(Box::new(S3Remote::new(&config.name, bucket, "", settings)?)),
                    key,
                    version_aware,
                    pinned,
                })
            }
            #[cfg(feature = "http")]
            RemoteLocation::Other { scheme } if scheme == "http" || scheme == "https" => {
                Ok(UrlSource {
                    name: config.name.clone(),
                    store: Store::Http(Box::new(HttpRemote::new(config, options)?)),
                    key: String::new(),
                    version_aware,
                    pinned: None,
                })
            }
            #[cfg(any(feature = "gs", feature = "azure"))]
            RemoteLocation::Other { scheme } if scheme == "gs" || scheme == "azure" => {
                // Opened at the bucket (container), so that the URL's key may name a file
                // or a directory.
                let rest = config.url.split_once("://").map(|x| x.1).unwrap_or("");
                let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
                let mut at_bucket = config.clone();
                at_bucket.url = format!("{scheme}://{bucket}");
                let (remote, kind) = match scheme.as_str() {
                    #[cfg(feature = "gs")]
                    "gs" => (super::gs::open(&at_bucket, options)?, DalKind::Gs),
                    #[cfg(feature = "azure")]
                    "azure" => (super::azure::open(&at_bucket, options)?, DalKind::Azure),
                    _ => {
                        return Err(RemoteError::Unsupported {
                            remote: config.name.clone(),
                            scheme: scheme.clone(),
                        });
                    }
                };
                Ok(UrlSource {
                    name: config.name.clone(),
                    store: Store::Dal(Box::new(remote), kind),
                    key: key.trim_matches('/').to_string(),
                    version_aware,
                    pinned: None,
                })
            }
            #[cfg(feature = "ssh")]
            RemoteLocation::Other { scheme } if scheme == "ssh" => Ok(UrlSource {
                name: config.name.clone(),
                store: Store::Ssh(Box::new(super::ssh::SshRemote::new(config, options)?)),
                key: String::new(),
                version_aware,
                pinned: None,
            }),
            RemoteLocation::Other { scheme } => Err(RemoteError::Unsupported {
                remote: config.name.clone(),
                scheme: scheme.clone(),
            }),
            RemoteLocation::Local(_) => Err(RemoteError::Config {
                remote: config.name.clone(),
                message: "a local path is not a URL".into(),
            }),
        }
    }

    /// The version the URL itself names (`s3://b/k?versionId=V`): dvc then records
    /// the `version_id` and `push: false` as for `--version-aware`, without
    /// `version_aware` in the `fs_config`.
    pub fn pinned_version(&self) -> Option<&str> {
        self.pinned.as_deref()
    }

    /// Whether dvc records the source by its content (`md5`, `size`, `nfiles`, as for a
    /// local path) rather than by what the store says (an ETag): SSH, which has none.
    /// Its dep is known only once the data was read ([`UrlSource::fetch`]).
    pub fn hashes_content(&self) -> bool {
        #[cfg(feature = "ssh")]
        if matches!(self.store, Store::Ssh(_)) {
            return true;
        }
        false
    }

    /// The sizes a store gives its directories (`ls-url --size`): the URL's own and
    /// those below it by relpath. Only SSH has them (a directory's `st_size`); object
    /// stores list none (`None`).
    pub fn dir_sizes(&self) -> Result<Option<(u64, std::collections::HashMap<String, u64>)>> {
        #[cfg(feature = "ssh")]
        if let Store::Ssh(r) = &self.store {
            return super::block_on(async {
                let top = r.stat_path("").await?.map_or(0, |(_, size)| size);
                let dirs = r
                    .walk_all("")
                    .await?
                    .into_iter()
                    .filter(|(_, is_dir, _)| *is_dir)
                    .map(|(rel, _, size)| (rel, size))
                    .collect();
                Ok(Some((top, dirs)))
            })?;
        }
        Ok(None)
    }

    /// For a URL that does not exist: what the store's client adds to dvc's "does not
    /// exist" message (aiohttp's status line for HTTP), when it has such words.
    pub fn not_found_detail(&self) -> Option<String> {
        match &self.store {
            #[cfg(feature = "http")]
            Store::Http(h) => super::block_on(h.not_found_detail("")).ok().flatten(),
            _ => None,
        }
    }

    /// What the URL names: a file, a directory (S3), or nothing (`None`).
    pub fn stat(&self) -> Result<Option<Found>> {
        super::block_on(self.stat_async())?
    }

    async fn stat_async(&self) -> Result<Option<Found>> {
        match &self.store {
            Store::S3(s) => {
                if let Some(version) = &self.pinned {
                    // One version of one object: never a directory.
                    return match s.stat_version(&self.key, Some(version)).await? {
                        Some(info) => Ok(Some(Found::File(s3_meta(&info, true)))),
                        None if s.stat(&self.key).await?.is_none() => Ok(None),
                        None => Err(RemoteError::Config {
                            remote: self.name.clone(),
                            message: format!("'{}' has no version '{version}'", self.key),
                        }),
                    };
                }
                if !self.key.is_empty()
                    && let Some(info) = s.stat(&self.key).await?
                {
                    return Ok(Some(Found::File(s3_meta(&info, self.version_aware))));
                }
                let objects = s.walk(&self.key, self.version_aware).await?;
                if objects.is_empty() {
                    return Ok(None);
                }
                let base = if self.key.is_empty() {
                    String::new()
                } else {
                    format!("{}/", self.key.trim_end_matches('/'))
                };
                let mut entries: Vec<DirEntry> = objects
                    .iter()
                    .filter_map(|o| {
                        Some(DirEntry {
                            relpath: o.key.strip_prefix(&base)?.to_string(),
                            meta: s3_meta(o, self.version_aware),
                        })
                    })
                    .collect();
                entries.sort_by(|a, b| a.relpath.cmp(&b.relpath));
                self.checked(entries)
            }
            #[cfg(any(feature = "gs", feature = "azure"))]
            Store::Dal(g, kind) => {
                if !self.key.is_empty()
                    && let Some(o) = g.stat_object(&self.key).await?
                {
                    return Ok(Some(Found::File(dal_meta(*kind, &o))));
                }
                let objects = g.walk_objects(&self.key).await?;
                let base = if self.key.is_empty() {
                    String::new()
                } else {
                    format!("{}/", self.key)
                };
                let mut entries: Vec<DirEntry> = objects
                    .iter()
                    .filter_map(|o| {
                        Some(DirEntry {
                            relpath: o.key.strip_prefix(&base)?.to_string(),
                            meta: dal_meta(*kind, o),
                        })
                    })
                    .collect();
                if entries.is_empty() {
                    return Ok(None);
                }
                entries.sort_by(|a, b| a.relpath.cmp(&b.relpath));
                self.checked(entries)
            }
            #[cfg(feature = "ssh")]
            Store::Ssh(r) => match r.stat_path("").await? {
                None => Ok(None),
                Some((false, size)) => Ok(Some(Found::File(FileMeta {
                    size: Some(size),
                    ..FileMeta::default()
                }))),
                Some((true, _)) => {
                    let mut entries: Vec<DirEntry> = r
                        .walk_files("")
                        .await?
                        .into_iter()
                        .map(|(relpath, size)| DirEntry {
                            relpath,
                            meta: FileMeta {
                                size: Some(size),
                                ..FileMeta::default()
                            },
                        })
                        .collect();
                    entries.sort_by(|a, b| a.relpath.cmp(&b.relpath));
                    self.checked(entries)
                }
            },
            #[cfg(feature = "http")]
            Store::Http(h) => Ok(h.stat("").await?.map(|info| {
                Found::File(FileMeta {
                    size: info.size,
                    checksum: Some(info.checksum),
                    ..FileMeta::default()
                })
            })),
        }
    }

    /// A directory's entries, refused when one would land outside the out: keys are
    /// untrusted (`..`, a leading `/`), and nothing is written before this check.
    fn checked(&self, entries: Vec<DirEntry>) -> Result<Option<Found>> {
        if let Some(bad) = entries
            .iter()
            .find(|e| crate::data::pathsafe::check_relpath(&e.relpath).is_err())
        {
            return Err(RemoteError::Config {
                remote: self.name.clone(),
                message: format!(
                    "the object '{}' below it is not a safe path inside the directory",
                    bad.relpath
                ),
            });
        }
        Ok(Some(Found::Dir(entries)))
    }

    async fn download(
        &self,
        relpath: Option<&str>,
        meta: &FileMeta,
        dest: &Path,
    ) -> Result<Downloaded> {
        let key = match relpath {
            Some(r) if self.key.is_empty() => r.to_string(),
            Some(r) => format!("{}/{r}", self.key.trim_end_matches('/')),
            None => self.key.clone(),
        };
        let version = meta
            .version_id
            .as_deref()
            .filter(|_| self.version_aware || self.pinned.is_some());
        match &self.store {
            Store::S3(s) => s.download_version(&key, version, dest).await,
            #[cfg(any(feature = "gs", feature = "azure"))]
            Store::Dal(g, _) => g.download_version(&key, version, dest).await,
            #[cfg(feature = "http")]
            Store::Http(h) => h.download(&key, dest).await,
            #[cfg(feature = "ssh")]
            Store::Ssh(r) => r.download(&key, dest).await,
        }
    }

    /// Download what `found` lists into `odb` (through temp files in `tmp`), `jobs` at a
    /// time: the out's oid, size and files. A directory's `.dir` is written too, and with
    /// `etag_list` the dep's ETag list (what `import-url` keeps; `pull` does not).
    pub fn fetch(
        &self,
        found: &Found,
        odb: &Odb,
        tmp: &Path,
        jobs: usize,
        etag_list: bool,
    ) -> Result<Fetched> {
        super::block_on(self.fetch_async(found, odb, tmp, jobs, etag_list))?
    }

    async fn fetch_async(
        &self,
        found: &Found,
        odb: &Odb,
        tmp: &Path,
        jobs: usize,
        etag_list: bool,
    ) -> Result<Fetched> {
        let one = |relpath: Option<String>, meta: FileMeta, i: usize| async move {
            let dest = tmp.join(format!("part-{i}"));
            let got = self.download(relpath.as_deref(), &meta, &dest).await?;
            let inserted = odb.insert_copy(&dest, &got.md5, false);
            let _ = fs_err::remove_file(&dest);
            inserted.map_err(|e| RemoteError::Config {
                remote: "cache".into(),
                message: e.to_string(),
            })?;
            Ok::<Downloaded, RemoteError>(got)
        };
        match found {
            Found::File(meta) => {
                let got = one(None, meta.clone(), 0).await?;
                Ok(Fetched {
                    md5: got.md5,
                    size: got.size,
                    nfiles: None,
                    files: Vec::new(),
                })
            }
            Found::Dir(entries) => {
                let items: Vec<(usize, &DirEntry)> = entries.iter().enumerate().collect();
                let results = super::concurrent(items, jobs, |(i, e)| {
                    one(Some(e.relpath.clone()), e.meta.clone(), i)
                })
                .await;
                let mut files = Vec::with_capacity(entries.len());
                let mut size = 0;
                for (e, r) in entries.iter().zip(results) {
                    let got = r?;
                    size += got.size;
                    files.push((e.relpath.clone(), got.md5));
                }
                let tree = Tree::new(
                    files
                        .iter()
                        .map(|(relpath, md5)| TreeEntry {
                            relpath: relpath.clone(),
                            md5: Md5Digest::from_computed(md5),
                        })
                        .collect(),
                );
                let oid = tree.oid();
                let put = |oid: &str, bytes: &[u8]| {
                    odb.put_bytes(oid, false, bytes)
                        .map_err(|e| RemoteError::Config {
                            remote: "cache".into(),
                            message: e.to_string(),
                        })
                };
                put(&oid, &tree.to_bytes())?;
                if etag_list && !self.hashes_content() {
                    // dvc keeps the directory's ETag list in the cache too.
                    let (dep_oid, bytes) = Found::dir_etag_tree(entries);
                    put(&dep_oid, &bytes)?;
                }
                Ok(Fetched {
                    md5: oid,
                    size,
                    nfiles: Some(files.len() as u64),
                    files,
                })
            }
        }
    }
}

/// What dvc's plugin records of an object of an OpenDAL store.
#[cfg(any(feature = "gs", feature = "azure"))]
fn dal_meta(kind: DalKind, o: &super::dal::DalObject) -> FileMeta {
    match kind {
        #[cfg(feature = "gs")]
        DalKind::Gs => gs_meta(o),
        // dvc-azure (adlfs) records the ETag verbatim, quotes included (OpenDAL quotes
        // the listing's bare ETags as the header's are), and no version_id unless
        // version-aware, which git-dvc refuses for Azure.
        #[cfg(feature = "azure")]
        DalKind::Azure => FileMeta {
            size: Some(o.size),
            etag: o.etag.clone(),
            checksum: None,
            version_id: None,
        },
    }
}

/// What dvc-gs records of an object: the ETag decoded from base64 to hex, and the
/// generation as `version_id` (always, versioned bucket or not).
#[cfg(feature = "gs")]
fn gs_meta(o: &super::dal::DalObject) -> FileMeta {
    use base64::Engine;
    let etag = o.etag.as_ref().map(|e| {
        base64::engine::general_purpose::STANDARD
            .decode(e.trim_matches('"'))
            .map(hex::encode)
            .unwrap_or_else(|_| e.clone())
    });
    FileMeta {
        size: Some(o.size),
        etag,
        checksum: None,
        version_id: o.version.clone(),
    }
}

fn s3_meta(info: &ObjectInfo, version_aware: bool) -> FileMeta {
    FileMeta {
        size: Some(info.size),
        etag: info.etag.clone(),
        checksum: None,
        version_id: info.version_id.clone().filter(|_| version_aware),
    }
}

/// One file to upload: where its bytes are (a local source file, or `None`: download it
/// from the URL first), and its relpath in a directory.
struct Upload {
    relpath: Option<String>,
    local: Option<std::path::PathBuf>,
    meta: FileMeta,
}

/// Upload `files` to `remote` under their md5 keys, then (for a directory, `is_dir`) the
/// `.dir` manifest: what `--to-remote` does, without the workspace or the cache. Files
/// are read from their local path, or downloaded from `src` into temp files in `tmp`.
async fn upload_all(
    src: Option<&UrlSource>,
    files: Vec<Upload>,
    is_dir: bool,
    remote: &super::Remote,
    tmp: &Path,
    jobs: usize,
) -> Result<Fetched> {
    let items: Vec<(usize, Upload)> = files.into_iter().enumerate().collect();
    let results = super::concurrent(items, jobs, |(i, up)| async move {
        let (path, md5, size, temp) = match (&up.local, src) {
            (Some(p), _) => {
                let p2 = p.clone();
                let (md5, size) =
                    tokio::task::spawn_blocking(move || crate::data::hash::md5_file(&p2))
                        .await
                        .map_err(|e| RemoteError::Runtime(e.to_string()))?
                        .map_err(RemoteError::io("read", p))?;
                (p.clone(), md5, size, false)
            }
            (None, Some(src)) => {
                let dest = tmp.join(format!("part-{i}"));
                let got = src.download(up.relpath.as_deref(), &up.meta, &dest).await?;
                (dest, got.md5, got.size, true)
            }
            (None, None) => {
                return Err(RemoteError::Runtime("nothing to upload from".into()));
            }
        };
        let uploaded = remote.upload(&path, &Odb::key(&md5, false)).await;
        if temp {
            let _ = fs_err::remove_file(&path);
        }
        uploaded?;
        Ok::<_, RemoteError>((up.relpath, md5, size))
    })
    .await;
    let mut out = Vec::with_capacity(results.len());
    for r in results {
        out.push(r?);
    }
    if !is_dir {
        let (_, md5, size) = out
            .into_iter()
            .next()
            .ok_or_else(|| RemoteError::Runtime("no file".into()))?;
        return Ok(Fetched {
            md5,
            size,
            nfiles: None,
            files: Vec::new(),
        });
    }
    let size = out.iter().map(|(_, _, s)| s).sum();
    let files: Vec<(String, String)> = out
        .into_iter()
        .map(|(r, m, _)| (r.unwrap_or_default(), m))
        .collect();
    let tree = Tree::new(
        files
            .iter()
            .map(|(relpath, md5)| TreeEntry {
                relpath: relpath.clone(),
                md5: Md5Digest::from_computed(md5),
            })
            .collect(),
    );
    let oid = tree.oid();
    let manifest = tmp.join("manifest.dir");
    fs_err::write(&manifest, tree.to_bytes()).map_err(RemoteError::io("write", &manifest))?;
    let uploaded = remote.upload(&manifest, &Odb::key(&oid, false)).await;
    let _ = fs_err::remove_file(&manifest);
    uploaded?;
    Ok(Fetched {
        md5: oid,
        size,
        nfiles: Some(files.len() as u64),
        files,
    })
}

impl UrlSource {
    /// Stream what `found` lists from the URL to `remote` (`--to-remote`): each file
    /// goes through a temp file in `tmp`, never the cache.
    pub fn fetch_to_remote(
        &self,
        found: &Found,
        remote: &super::Remote,
        tmp: &Path,
        jobs: usize,
    ) -> Result<Fetched> {
        let (files, is_dir) = match found {
            Found::File(meta) => (
                vec![Upload {
                    relpath: None,
                    local: None,
                    meta: meta.clone(),
                }],
                false,
            ),
            Found::Dir(entries) => (
                entries
                    .iter()
                    .map(|e| Upload {
                        relpath: Some(e.relpath.clone()),
                        local: None,
                        meta: e.meta.clone(),
                    })
                    .collect(),
                true,
            ),
        };
        super::block_on(upload_all(Some(self), files, is_dir, remote, tmp, jobs))?
    }
}

/// Upload the local file or directory `files` (`(relpath, path)`; one entry with an
/// empty relpath for a file) to `remote` (`import-url --to-remote` of a local path).
pub fn upload_local(
    files: Vec<(String, std::path::PathBuf)>,
    is_dir: bool,
    remote: &super::Remote,
    tmp: &Path,
    jobs: usize,
) -> Result<Fetched> {
    let files = files
        .into_iter()
        .map(|(relpath, path)| Upload {
            relpath: is_dir.then_some(relpath),
            local: Some(path),
            meta: FileMeta::default(),
        })
        .collect();
    super::block_on(upload_all(None, files, is_dir, remote, tmp, jobs))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(size: u64, version: &str, etag: &str) -> Found {
        Found::File(FileMeta {
            size: Some(size),
            etag: Some(etag.into()),
            checksum: None,
            version_id: Some(version.into()),
        })
    }

    /// The names dvc 3.67.1 gave these imports' data in `.dvc/cache/fs/` on a pull
    /// (moto and fake-gcs-server).
    #[test]
    fn fs_cache_keys_are_dvcs() {
        let v = "4d2276b5-6e8c-4954-9caa-3f61fea8b77d";
        assert_eq!(
            fs_cache_key(
                &format!("s3://vbucket/f.txt?versionId={v}"),
                &file(3, v, "e30260020baeb0398ff07b37dd33ed16")
            )
            .unwrap(),
            "fs/s3/59a0832447835cd8884625046b828ae0"
        );
        assert_eq!(
            fs_cache_key(
                "gs://gvb/f.txt",
                &file(2, "1796164005627159", "1b267619c4812cc46ee281747884ca50")
            )
            .unwrap(),
            "fs/gs/7ef9f2247ecc333bddb93c9b60aee47e"
        );
        let entry = |relpath: &str, etag: &str| DirEntry {
            relpath: relpath.into(),
            meta: FileMeta {
                etag: Some(etag.into()),
                ..FileMeta::default()
            },
        };
        let dir = Found::Dir(vec![
            entry("sub/y", "09e2afcf9def6e0ff254283f93c4ed58"),
            entry("x", "334ae6683a317bfe3c48ed17da454afd"),
        ]);
        assert_eq!(
            fs_cache_key("gs://gvb/dir", &dir).unwrap(),
            "fs/gs/fa6ffda1cdd6939e95aff3364da63e39"
        );
    }

    #[test]
    fn a_version_id_query_is_split_off_the_key() {
        assert_eq!(
            split_version("d/f.txt?versionId=abc"),
            ("d/f.txt".to_string(), Some("abc".to_string()))
        );
        assert_eq!(split_version("d/f?x"), ("d/f?x".to_string(), None));
    }
}

//! The git-facing half of the registry commands: open a source repository at a revision
//! (through [`crate::git::source`]), build its [`View`], and bring the data of a path of
//! it into a cache, verified, from wherever dvc would take it:
//! 1. the source's own cache, when the source is a local repository with one;
//! 2. the source's default remote (or `--remote`, with `--remote-config` merged in),
//!    read from its `.dvc/config` with the user's global and system config;
//! 3. for a path that is itself an import in the source (a chained import), its source,
//!    recursively.
//!
//! Git-tracked files are read from git and hashed into the cache like `add` would.

use crate::data::config::Config;
use crate::data::odb::Odb;
use crate::data::registry::{Content, GitEntry, Sizes, View};
use crate::data::remote::Remote;
use crate::data::repo::{Repo, RepoOptions};
use crate::data::transfer::{self, NoProgress, Object, TransferOptions};
use crate::data::tree::{Md5Digest, Tree, TreeEntry};
use crate::git::Oid;
use crate::git::source::{self, ItemKind, Source};
use std::path::{Path, PathBuf};

/// Errors of the registry engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// git failed on the source (clone, fetch, read).
    #[error("failed to read the source repository '{url}'")]
    Git {
        /// The URL, credentials masked.
        url: String,
        /// What git said.
        #[source]
        source: crate::git::Error,
    },
    /// `--rev` names no commit of the source.
    #[error("unknown Git revision '{0}'")]
    UnknownRev(String),
    /// The source is not a DVC or git repository we can read.
    #[error("'{0}' is not a Git repository")]
    NotARepo(String),
    /// A path of the view.
    #[error(transparent)]
    View(#[from] crate::data::registry::Error),
    /// The source's config or repository.
    #[error(transparent)]
    Repo(#[from] crate::data::repo::RepoError),
    /// The source's remote.
    #[error(transparent)]
    Transfer(#[from] transfer::TransferError),
    /// Objects that could be found nowhere.
    #[error("failed to download {count} file(s) of '{path}' from '{url}'{}", first.as_ref().map(|f| format!(": {f}")).unwrap_or_default())]
    Missing {
        /// The path in the source.
        path: String,
        /// The source.
        url: String,
        /// How many.
        count: usize,
        /// The first reason.
        first: Option<String>,
    },
    /// Writing into the cache.
    #[error(transparent)]
    Odb(#[from] crate::data::odb::Error),
    /// Local IO.
    #[error("{context}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// What opening a source needs.
#[derive(Debug, Clone)]
pub struct SourceOptions {
    /// The URL as given.
    pub url: String,
    /// `--rev` (the source's `HEAD` when `None`).
    pub rev: Option<String>,
    /// Where relative URLs start.
    pub cwd: PathBuf,
    /// Where clones of non-local sources are kept.
    pub clone_cache: PathBuf,
    /// The user's config dirs (global/system) and the remote open options.
    pub repo_options: RepoOptions,
    /// `--remote`.
    pub remote: Option<String>,
    /// `--remote-config`: `key=value` pairs merged into the remote's section.
    pub remote_config: Vec<(String, String)>,
    /// `--config FILE`: a config file merged over the source's config.
    pub config_file: Option<PathBuf>,
    /// `-j`.
    pub jobs: Option<usize>,
}

/// The commit `rev` (the source's `HEAD` when `None`) of the source `url` names, without
/// reading its tree (what `status` asks of every import).
pub fn resolve_rev(
    url: &str,
    rev: Option<&str>,
    cwd: &Path,
    clone_cache: &Path,
) -> Result<String, Error> {
    let src = source::open(url, cwd, clone_cache).map_err(git_err(url))?;
    match src.resolve(rev) {
        Ok(Some(c)) => Ok(c.as_str().to_string()),
        _ => Err(Error::UnknownRev(rev.unwrap_or("HEAD").to_string())),
    }
}

/// A source at one commit, with its view.
pub struct OpenedSource {
    /// The options it was opened with.
    pub options: SourceOptions,
    source: Source,
    /// The commit (`rev_lock`).
    pub commit: Oid,
    /// The view (manifests loaded with [`OpenedSource::load_manifests`]).
    pub view: View,
    /// The source as a DVC repository (its config and cache): the workspace of a local
    /// source, else a scratch directory holding the commit's `.dvc/config`.
    dvc: Option<Repo>,
    _scratch: Option<tempfile::TempDir>,
    /// Listing sizes come from the workspace (a local source without `--rev`).
    workspace_sizes: bool,
}

fn git_err(url: &str) -> impl Fn(crate::git::Error) -> Error + '_ {
    move |source| Error::Git {
        url: source::mask_credentials(url).unwrap_or_else(|| url.to_string()),
        source,
    }
}

impl OpenedSource {
    /// Open `options.url` at `options.rev`.
    pub fn open(options: SourceOptions) -> Result<OpenedSource, Error> {
        let url = options.url.clone();
        let src = source::open(&url, &options.cwd, &options.clone_cache).map_err(git_err(&url))?;
        let commit = match src.resolve(options.rev.as_deref()) {
            Ok(Some(c)) => c,
            Ok(None) | Err(_) if options.rev.is_some() => {
                return Err(Error::UnknownRev(options.rev.clone().unwrap_or_default()));
            }
            _ => return Err(Error::NotARepo(url)),
        };
        let items = src.tree(&commit).map_err(git_err(&url))?;
        let mut pointer_oids = Vec::new();
        let mut pointer_paths = Vec::new();
        let mut entries = Vec::with_capacity(items.len());
        let mut config_oid = None;
        for it in items {
            if it.path == ".dvc/config" {
                config_oid = Some(it.oid.clone());
            }
            if matches!(it.kind, ItemKind::Blob { .. })
                && crate::data::pointer::classify(&it.path).is_some()
            {
                pointer_oids.push(it.oid.clone());
                pointer_paths.push(it.path.clone());
            }
            if it.kind == ItemKind::Commit {
                continue;
            }
            entries.push((
                it.path,
                GitEntry {
                    is_dir: it.kind == ItemKind::Tree,
                    is_exec: it.kind == ItemKind::Blob { exec: true },
                    is_link: it.kind == ItemKind::Link,
                    oid: it.oid,
                    size: it.size,
                },
            ));
        }
        let blobs = src.read_blobs(&pointer_oids).map_err(git_err(&url))?;
        let pointers: Vec<(String, String)> = pointer_paths
            .into_iter()
            .zip(blobs)
            .filter_map(|(p, b)| b.map(|b| (p, String::from_utf8_lossy(&b).into_owned())))
            .collect();
        let view = View::new(entries, &pointers);
        let mut repo_options = options.repo_options.clone();
        repo_options.rehash = true;
        let (dvc, scratch) = match &src.local_root {
            Some(root) if root.join(".dvc").is_dir() => {
                (Repo::open(root, &repo_options).ok(), None)
            }
            _ => {
                let scratch = tempfile::tempdir().map_err(|e| Error::Io {
                    context: "cannot create a temporary directory".into(),
                    source: e,
                })?;
                let dvc_dir = scratch.path().join(".dvc");
                let io = |e| Error::Io {
                    context: "cannot write the source's config".into(),
                    source: e,
                };
                fs_err::create_dir_all(&dvc_dir).map_err(io)?;
                if let Some(oid) = config_oid
                    && let Ok(mut b) = src.read_blobs(&[oid])
                    && let Some(Some(bytes)) = b.pop()
                {
                    fs_err::write(dvc_dir.join("config"), bytes).map_err(io)?;
                }
                let repo = Repo::open(scratch.path(), &repo_options).ok();
                (repo, Some(scratch))
            }
        };
        let workspace_sizes = src.local_root.is_some() && options.rev.is_none();
        Ok(OpenedSource {
            options,
            source: src,
            commit,
            view,
            dvc,
            _scratch: scratch,
            workspace_sizes,
        })
    }

    /// The source's cache, when it is a local repository with one.
    fn local_cache(&self) -> Option<PathBuf> {
        self.source.local_root.as_ref()?;
        let dvc = self.dvc.as_ref()?;
        dvc.odb
            .root()
            .is_dir()
            .then(|| dvc.odb.root().to_path_buf())
    }

    /// The places objects come from, in dvc's order: the source's cache, then its remote.
    fn remotes(&self) -> Vec<Remote> {
        let mut out = Vec::new();
        if let Some(cache) = self.local_cache() {
            out.push(Remote::local("cache", cache));
        }
        if let Some(repo) = &self.dvc {
            match self.open_remote(repo, &self.options.repo_options) {
                Ok(Some(r)) => out.push(r),
                Ok(None) => {}
                Err(e) => tracing::debug!("source remote unavailable: {e}"),
            }
        }
        out
    }

    fn open_remote(
        &self,
        repo: &Repo,
        options: &RepoOptions,
    ) -> Result<Option<Remote>, transfer::TransferError> {
        let overlaid;
        let config = match &self.options.config_file {
            Some(file) => {
                overlaid = repo.config.clone().with_overlay(file)?;
                &overlaid
            }
            None => &repo.config,
        };
        let cfg = match &self.options.remote {
            Some(name) => Some(config.remote(&name.to_lowercase())?),
            None => config.default_remote()?,
        };
        let Some(mut cfg) = cfg else {
            return Ok(None);
        };
        for (k, v) in &self.options.remote_config {
            cfg.options.insert(k.clone(), v.clone());
        }
        Ok(Some(Remote::open(&cfg, &options.remote_options())?))
    }

    /// Bring the objects into `odb` from the source's cache or remote; the ones found
    /// nowhere come back.
    pub fn fetch(&self, odb: &Odb, objects: &[Object]) -> Vec<(Object, String)> {
        let mut wanted: Vec<Object> = objects.to_vec();
        let mut last_errors: Vec<(Object, String)> = Vec::new();
        for remote in self.remotes() {
            if wanted.is_empty() {
                break;
            }
            let jobs = self
                .options
                .jobs
                .unwrap_or_else(|| TransferOptions::default_jobs(&remote));
            match transfer::fetch_objects(
                odb,
                &remote,
                &wanted,
                &TransferOptions { jobs },
                &NoProgress,
            ) {
                Ok(summary) => {
                    last_errors = summary
                        .failed
                        .into_iter()
                        .map(|f| (f.object, f.error.to_string()))
                        .collect();
                }
                Err(e) => {
                    last_errors = wanted.iter().map(|o| (*o, e.to_string())).collect();
                }
            }
            wanted = still_missing(odb, &wanted);
        }
        let reasons: std::collections::BTreeMap<Object, String> = last_errors.into_iter().collect();
        wanted
            .into_iter()
            .map(|o| {
                let why = reasons
                    .get(&o)
                    .cloned()
                    .unwrap_or_else(|| "not in the source's cache or remote".into());
                (o, why)
            })
            .collect()
    }

    /// Fetch the manifests of the source's directory outs into `odb` and hand them to the
    /// view. `only` limits it to the outs at, above or below a path.
    pub fn load_manifests(&mut self, odb: &Odb, only: Option<&str>) {
        let mut outs = self.view.dir_outs();
        if let Some(p) = only {
            outs.retain(|(o, _)| {
                p.is_empty()
                    || o == p
                    || o.starts_with(&format!("{p}/"))
                    || p.starts_with(&format!("{o}/"))
            });
        }
        let objects: Vec<Object> = outs
            .iter()
            .filter_map(|(_, m)| Object::parse(m, false))
            .collect();
        let missing: Vec<Object> = objects
            .iter()
            .filter(|o| !odb.exists(&o.oid(), false))
            .cloned()
            .collect();
        if !missing.is_empty() {
            let _ = self.fetch_dirs_only(odb, &missing);
        }
        // A chained import's manifest comes from its own source.
        for (path, md5) in &outs {
            if !odb.exists(md5, false) {
                self.chained_manifest(odb, path, md5);
            }
        }
        for (path, md5) in outs {
            if let Ok(bytes) = odb.read(&md5, false)
                && let Ok(tree) = Tree::parse(&bytes)
            {
                self.view.set_manifest(&path, tree);
            }
        }
    }

    /// Manifests only: each `.dir` object fetched as a plain object (its entries are not).
    fn fetch_dirs_only(&self, odb: &Odb, dirs: &[Object]) -> Vec<(Object, String)> {
        let mut wanted = dirs.to_vec();
        for remote in self.remotes() {
            if wanted.is_empty() {
                break;
            }
            let _ = transfer::fetch_manifests_only(odb, &remote, &wanted);
            wanted = still_missing(odb, &wanted);
        }
        wanted
            .into_iter()
            .map(|o| (o, "not in the source's cache or remote".to_string()))
            .collect()
    }

    /// The workspace a local source without `--rev` is listed from.
    pub fn workspace_root(&self) -> Option<&Path> {
        if self.workspace_sizes {
            self.source.local_root.as_deref()
        } else {
            None
        }
    }

    /// The sizes `ls` shows beside the view's own.
    pub fn sizes(&self) -> SourceSizes<'_> {
        SourceSizes { source: self }
    }

    /// Bring every file of `target` into `odb`: DVC objects from the source (its cache,
    /// its remote, or for a chained import its own source), git blobs hashed in. Returns
    /// (relpath, md5, exec) for each file, sorted by relpath.
    pub fn download(
        &self,
        odb: &Odb,
        files: &[(String, Content)],
        path: &str,
    ) -> Result<Vec<(String, String, bool)>, Error> {
        let mut objects = Vec::new();
        let mut blobs = Vec::new();
        for (_, c) in files {
            match c {
                Content::Object { md5, .. } => {
                    if !crate::data::checkout::is_empty_oid(md5) {
                        objects.extend(Object::parse(md5, false));
                    }
                }
                Content::Git { oid, .. } => blobs.push(oid.clone()),
            }
        }
        objects.sort();
        objects.dedup();
        let mut missing: Vec<Object> = objects
            .into_iter()
            .filter(|o| !odb.exists_verified(&o.oid(), false))
            .collect();
        let mut first_reason = None;
        if !missing.is_empty() {
            let failed = self.fetch(odb, &missing);
            first_reason = failed.first().map(|(_, why)| why.clone());
            missing = failed.into_iter().map(|(o, _)| o).collect();
        }
        if !missing.is_empty() {
            missing = self.fetch_chained(odb, path, &missing)?;
        }
        if !missing.is_empty() {
            return Err(Error::Missing {
                path: path.to_string(),
                url: source::mask_credentials(&self.options.url)
                    .unwrap_or_else(|| self.options.url.clone()),
                count: missing.len(),
                first: first_reason,
            });
        }
        let mut blob_md5 = std::collections::HashMap::new();
        if !blobs.is_empty() {
            blobs.sort();
            blobs.dedup();
            let contents = self
                .source
                .read_blobs(&blobs)
                .map_err(git_err(&self.options.url))?;
            for (oid, bytes) in blobs.iter().zip(contents) {
                let bytes = bytes.unwrap_or_default();
                let md5 = crate::data::hash::md5_bytes(&bytes);
                odb.put_bytes(&md5, false, &bytes)?;
                blob_md5.insert(oid.clone(), md5);
            }
        }
        let mut out = Vec::with_capacity(files.len());
        for (rel, c) in files {
            match c {
                Content::Object { md5, exec } => out.push((rel.clone(), md5.clone(), *exec)),
                Content::Git { oid, .. } => {
                    // dvc writes git-tracked files without their mode (0644 after umask),
                    // and records no `isexec` for them.
                    let md5 = blob_md5.get(oid).cloned().unwrap_or_default();
                    out.push((rel.clone(), md5, false));
                }
            }
        }
        Ok(out)
    }

    /// The source of the import that the out at `out_path` is in this source (a chained
    /// import), opened at its `rev_lock`, and the import's path in it. The nested URL is
    /// resolved from the source's workspace (a local source), or taken as given.
    fn open_chained(&self, out_path: &str) -> Option<(OpenedSource, String)> {
        let out = self.view.out_of(out_path)?.1;
        let import = out.import.as_ref()?;
        let cwd = match &self.source.local_root {
            Some(root) => root.join(&out.dvcfile_dir),
            None => self.options.cwd.clone(),
        };
        let mut options = self.options.clone();
        options.url = import.url.clone();
        options.rev = import.rev_lock.clone().or_else(|| import.rev.clone());
        options.cwd = cwd;
        options.remote = None;
        options.remote_config.clear();
        options.config_file = None;
        let nested = OpenedSource::open(options).ok()?;
        let inner = crate::data::registry::check_source_path(&import.path).ok()?;
        Some((nested, inner))
    }

    /// The manifest `md5` of the directory out at `out_path`, when that out is an import
    /// whose own source has it (or the objects to build it): written into `odb`.
    fn chained_manifest(&self, odb: &Odb, out_path: &str, md5: &str) {
        let Some((mut nested, inner)) = self.open_chained(out_path) else {
            return;
        };
        nested.load_manifests(odb, Some(&inner));
        let Ok(target) = nested.view.resolve(&inner) else {
            return;
        };
        let files: Vec<(String, String, bool)> = target
            .files
            .iter()
            .filter_map(|(rel, c)| match c {
                Content::Object { md5, .. } => Some((rel.clone(), md5.clone(), false)),
                Content::Git { .. } => None,
            })
            .collect();
        if files.len() != target.files.len() {
            return;
        }
        let Some(tree) = tree_of(&files) else {
            return;
        };
        if tree.oid() == md5 {
            let _ = odb.put_bytes(md5, false, &tree.to_bytes());
        }
    }

    /// Objects of a chained import: the out holding `path` is an import in the source;
    /// fetch what is still missing from that import's own source.
    fn fetch_chained(
        &self,
        odb: &Odb,
        path: &str,
        missing: &[Object],
    ) -> Result<Vec<Object>, Error> {
        let Some((out_path, _)) = self.view.out_of(path) else {
            return Ok(missing.to_vec());
        };
        let Some((mut nested, inner)) = self.open_chained(out_path) else {
            return Ok(missing.to_vec());
        };
        let rest = path
            .strip_prefix(out_path)
            .unwrap_or("")
            .trim_start_matches('/');
        let nested_path = if rest.is_empty() {
            inner
        } else {
            format!("{inner}/{rest}")
        };
        nested.load_manifests(odb, Some(&nested_path));
        let left = nested.fetch(odb, missing);
        let left: Vec<Object> = left.into_iter().map(|(o, _)| o).collect();
        if left.is_empty() {
            return Ok(left);
        }
        nested.fetch_chained(odb, &nested_path, &left)
    }

    /// `--show-url` of `get`: where each object of `files` would come from.
    pub fn urls(&self, files: &[(String, Content)]) -> Vec<String> {
        let Some(repo) = &self.dvc else {
            return Vec::new();
        };
        let cfg = match &self.options.remote {
            Some(name) => repo.config.remote(&name.to_lowercase()).ok(),
            None => repo.config.default_remote().ok().flatten(),
        };
        let Some(cfg) = cfg else {
            return Vec::new();
        };
        let base = match &cfg.location {
            crate::data::config::RemoteLocation::Local(p) => p.to_string_lossy().into_owned(),
            _ => cfg.url.clone(),
        };
        let base = source::mask_credentials(&base).unwrap_or(base);
        files
            .iter()
            .filter_map(|(_, c)| match c {
                Content::Object { md5, .. } => Some(format!(
                    "{}/{}",
                    base.trim_end_matches('/'),
                    Odb::key(md5, false)
                )),
                Content::Git { .. } => None,
            })
            .collect()
    }
}

fn still_missing(odb: &Odb, objects: &[Object]) -> Vec<Object> {
    let present = odb.exists_verified_each(objects, |o| (o.oid(), o.legacy));
    let mut left = Vec::new();
    for (o, p) in objects.iter().zip(present) {
        if !p {
            left.push(*o);
            continue;
        }
        // A manifest is complete only with its entries.
        if o.is_dir()
            && let Some(tree) = transfer::read_tree(odb, o)
            && tree.entries.iter().any(|e| {
                let md5 = e.md5.hex();
                !crate::data::checkout::is_empty_oid(&md5) && !odb.exists(&md5, false)
            })
        {
            left.push(*o);
        }
    }
    left
}

/// Sizes from the source's cache and (a local source without `--rev`) its workspace.
pub struct SourceSizes<'a> {
    source: &'a OpenedSource,
}

impl Sizes for SourceSizes<'_> {
    fn object(&self, md5: &str) -> Option<u64> {
        let dvc = self.source.dvc.as_ref()?;
        self.source.source.local_root.as_ref()?;
        fs_err::metadata(dvc.odb.path(md5, false))
            .ok()
            .map(|m| m.len())
    }
    fn workspace(&self, path: &str) -> Option<u64> {
        if !self.source.workspace_sizes {
            return None;
        }
        let root = self.source.source.local_root.as_ref()?;
        fs_err::metadata(root.join(path)).ok().map(|m| m.len())
    }
}

/// What [`fetch_import`] says when the source's pointers hold an md5 that is not one.
fn bad_md5_in(path: &impl std::fmt::Display) -> String {
    format!("the source's pointers for '{path}' name an md5 that is not one")
}

/// The manifest of a directory of `files` (relpath, md5), as dvc builds it; `None` when
/// an md5 (read from the source's pointers) is not one.
pub fn tree_of(files: &[(String, String, bool)]) -> Option<Tree> {
    let mut entries = Vec::with_capacity(files.len());
    for (rel, md5, _) in files {
        entries.push(TreeEntry {
            relpath: rel.clone(),
            md5: Md5Digest::from_hex(md5)?,
        });
    }
    Some(Tree::new(entries))
}

/// Write `files` (from `odb`) at `dest`: a file target when the only relpath is `""`,
/// else a directory. Written under a temporary name next to `dest` and renamed, so a
/// failure leaves nothing half-written; files are plain copies (as `dvc get` makes).
pub fn write_copy(
    odb: &Odb,
    files: &[(String, String, bool)],
    dest: &Path,
    is_dir: bool,
) -> Result<(), Error> {
    let io = |context: String| move |source| Error::Io { context, source };
    let parent = dest.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(parent).map_err(io(format!("cannot create '{}'", parent.display())))?;
    let tmp = crate::data::odb::temp_name(parent);
    let result = (|| {
        if !is_dir {
            if let Some((_, md5, exec)) = files.first() {
                copy_object(odb, md5, *exec, &tmp)?;
            }
            return Ok(());
        }
        fs_err::create_dir_all(&tmp).map_err(io(format!("cannot create '{}'", tmp.display())))?;
        for (rel, md5, exec) in files {
            crate::data::pathsafe::check_relpath(rel).map_err(|e| Error::Io {
                context: format!("unsafe path '{rel}' in the source"),
                source: std::io::Error::other(e.to_string()),
            })?;
            let to = tmp.join(rel);
            if let Some(p) = to.parent() {
                fs_err::create_dir_all(p)
                    .map_err(io(format!("cannot create '{}'", p.display())))?;
            }
            copy_object(odb, md5, *exec, &to)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs_err::remove_dir_all(&tmp).or_else(|_| fs_err::remove_file(&tmp));
        return Err(e);
    }
    if fs_err::symlink_metadata(dest).is_ok() {
        let removed = if dest.is_dir() && !dest.is_symlink() {
            fs_err::remove_dir_all(dest)
        } else {
            fs_err::remove_file(dest)
        };
        removed.map_err(io(format!("cannot replace '{}'", dest.display())))?;
    }
    fs_err::rename(&tmp, dest).map_err(io(format!("cannot write '{}'", dest.display())))
}

fn copy_object(odb: &Odb, md5: &str, exec: bool, to: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| Error::Io {
        context: format!("cannot write '{}'", to.display()),
        source,
    };
    if crate::data::checkout::is_empty_oid(md5) && !odb.exists(md5, false) {
        fs_err::write(to, b"").map_err(io)?;
    } else {
        fs_err::copy(odb.path(md5, false), to).map_err(io)?;
    }
    let mode = if exec { 0o777 } else { 0o666 } & !crate::data::odb::umask();
    fs_err::set_permissions(to, std::fs::Permissions::from_mode(mode)).map_err(io)?;
    Ok(())
}

/// The config of the user (system and global levels) outside any project.
pub fn user_config(options: &RepoOptions) -> Option<Config> {
    Config::load_with(crate::data::config::LoadOptions {
        dvc_dir: None,
        system_dir: options.system_config_dir.clone(),
        global_dir: options.global_config_dir.clone(),
        home_dir: options.home_dir.clone(),
        validate: false,
    })
    .ok()
}

/// What [`fetch_import`] needs besides the project.
pub struct ImportFetch<'a> {
    /// Where a relative source URL starts (dvc: the working directory).
    pub cwd: &'a Path,
    /// The user's config dirs.
    pub repo_options: RepoOptions,
    /// `-j`.
    pub jobs: Option<usize>,
}

/// Bring the data of the import stage `text` (its out's `md5`) into `repo`'s cache from
/// the import's source at its `rev_lock`, verified: what `fetch`, `pull` and the hooks
/// do for imports, whose data is not in the project's remote. Returns the number of
/// files downloaded.
pub fn fetch_import(
    repo: &Repo,
    text: &str,
    md5: &str,
    is_dir: bool,
    options: &ImportFetch<'_>,
) -> Result<usize, String> {
    fetch_import_data(repo, text, Some((md5, is_dir)), options).map(|f| f.missing)
}

/// What [`fetch_import_data`] brought into the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedImport {
    /// The data's oid (a `.dir` for a directory).
    pub oid: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Files that were not in the cache before.
    pub missing: usize,
}

/// [`fetch_import`], with the expected `(md5, is_dir)` checked when given; without it
/// (an out with no hash yet: `import --no-download`), the data at the source's
/// `rev_lock` is taken as it is and its oid returned.
pub fn fetch_import_data(
    repo: &Repo,
    text: &str,
    expect: Option<(&str, bool)>,
    options: &ImportFetch<'_>,
) -> Result<FetchedImport, String> {
    let parsed = crate::data::dvcfile::parse(text).map_err(|e| e.to_string())?;
    let import = parsed.import.ok_or("not an import")?;
    let rev = import.rev_lock.clone().or(import.rev.clone());
    let mut src = OpenedSource::open(SourceOptions {
        url: import.url.clone(),
        rev,
        cwd: options.cwd.to_path_buf(),
        clone_cache: repo.root.join(".dvc/tmp/git-dvc/sources"),
        repo_options: options.repo_options.clone(),
        remote: import.settings.remote.clone(),
        remote_config: import.settings.remote_config.clone(),
        config_file: import
            .settings
            .config_file
            .as_ref()
            .map(|c| options.cwd.join(c)),
        jobs: options.jobs,
    })
    .map_err(|e| e.to_string())?;
    let path = crate::data::registry::check_source_path(&import.path).map_err(|e| e.to_string())?;
    src.load_manifests(&repo.odb, Some(&path));
    let target = src.view.resolve(&path).map_err(|e| e.to_string())?;
    let missing = target
        .files
        .iter()
        .filter(|(_, c)| match c {
            Content::Object { md5, .. } => !repo.odb.exists(md5, false),
            Content::Git { .. } => true,
        })
        .count();
    let files = src
        .download(&repo.odb, &target.files, &target.path)
        .map_err(|e| e.to_string())?;
    let is_dir = expect.map_or(target.is_dir, |(_, d)| d);
    let oid;
    if is_dir {
        let tree = tree_of(&files).ok_or_else(|| bad_md5_in(&path))?;
        oid = tree.oid();
        let md5 = expect.map_or(oid.as_str(), |(m, _)| m);
        if oid != md5 {
            return Err(format!(
                "the source's data at its rev_lock is {}, not the recorded {md5}",
                tree.oid()
            ));
        }
        repo.odb
            .put_bytes(md5, false, &tree.to_bytes())
            .map_err(|e| e.to_string())?;
        // dvc's fetch from a repository's filesystem also stores the manifest of every
        // subdirectory (observed with 3.67.1); the caches then hold the same objects.
        let mut dirs = std::collections::BTreeSet::new();
        for (rel, _, _) in &files {
            let mut d = rel.as_str();
            while let Some((parent, _)) = d.rsplit_once('/') {
                dirs.insert(parent.to_string());
                d = parent;
            }
        }
        for d in dirs {
            let prefix = format!("{d}/");
            let sub: Vec<(String, String, bool)> = files
                .iter()
                .filter_map(|(r, m, x)| {
                    r.strip_prefix(&prefix)
                        .map(|r| (r.to_string(), m.clone(), *x))
                })
                .collect();
            let t = tree_of(&sub).ok_or_else(|| bad_md5_in(&path))?;
            repo.odb
                .put_bytes(&t.oid(), false, &t.to_bytes())
                .map_err(|e| e.to_string())?;
        }
    } else {
        oid = files
            .first()
            .map(|f| f.1.clone())
            .ok_or_else(|| bad_md5_in(&path))?;
        if let Some((md5, _)) = expect.filter(|(m, _)| *m != oid) {
            return Err(format!(
                "the source's data at its rev_lock does not have the recorded md5 {md5}"
            ));
        }
    }
    Ok(FetchedImport {
        oid,
        is_dir,
        missing,
    })
}

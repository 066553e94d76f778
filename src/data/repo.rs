//! A DVC repository: its root, config, cache and state, and the stages (`.dvc` files
//! and `dvc.lock` entries) whose outs the data commands act on.

use crate::data::config::{Config, ConfigError, LoadOptions, py_repr};
use crate::data::dvcfile::{self, Out, ParseError};
use crate::data::ignore::{self, DvcIgnore};
use crate::data::io::IoError;
use crate::data::odb::Odb;
use crate::data::pathsafe::{self, PathError};
use crate::data::pointer::{self, PointerKind};
use crate::data::remote;
use crate::data::state::State;
use crate::data::transfer::TransferError;
use std::path::{Path, PathBuf};

/// Where to find config levels outside the repo (the CLI fills this from the environment).
#[derive(Debug, Clone, Default)]
pub struct RepoOptions {
    /// `DVC_SYSTEM_CONFIG_DIR` or `/etc/xdg/dvc`.
    pub system_config_dir: Option<PathBuf>,
    /// `DVC_GLOBAL_CONFIG_DIR` or `~/.config/dvc`.
    pub global_config_dir: Option<PathBuf>,
    /// `$HOME`, for `~` in config paths.
    pub home_dir: Option<PathBuf>,
    /// Do not use the state DB (re-hash everything).
    pub rehash: bool,
    /// S3: a lower multipart threshold in bytes, raw (checked at upload time).
    pub s3_multipart_threshold: Option<String>,
    /// The login name, the SSH user of last resort.
    pub user_name: Option<String>,
    /// The `AZURE_*` variables dvc-azure falls back to.
    pub azure_env: remote::EnvVars,
    /// `SSH_AUTH_SOCK`, for SSH remotes' agent logins.
    pub ssh_auth_sock: Option<PathBuf>,
    /// How remotes ask for `ask_password` / `ask_passphrase` answers (the command line's
    /// terminal prompt); `None` where nobody can be asked.
    pub ask_secret: Option<remote::SecretPrompt>,
}

impl RepoOptions {
    /// The options for opening remotes.
    pub fn remote_options(&self) -> remote::OpenOptions {
        remote::OpenOptions {
            home_dir: self.home_dir.clone(),
            s3_multipart_threshold: self.s3_multipart_threshold.clone(),
            user_name: self.user_name.clone(),
            azure_env: self.azure_env.clone(),
            ssh_auth_sock: self.ssh_auth_sock.clone(),
            ask_secret: self.ask_secret.clone(),
        }
    }
}

/// Errors opening a repo or loading its stages.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// No `.dvc` directory above the start directory.
    #[error("you are not inside of a DVC repository (checked up to mount point '/')")]
    NotARepo,
    /// Config problem.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Bad `.dvc` / `dvc.lock`.
    #[error("'{file}' {reason}")]
    Parse {
        /// File (relative to the root, DVC style `./x.dvc` is not used).
        file: String,
        /// Why.
        reason: String,
    },
    /// An out path that escapes the workspace.
    #[error("'{file}': {source}")]
    UnsafePath {
        /// The stage file.
        file: String,
        /// The path problem.
        #[source]
        source: PathError,
    },
    /// An out dvc refuses (a stage file, or inside `.git`, `.dvc`, `.hg` or a subrepo),
    /// in dvc's words, which do not name the stage file.
    #[error("{source}")]
    InvalidOut {
        /// The stage file listing it.
        file: String,
        /// What is wrong.
        #[source]
        source: OutPathError,
    },
    /// `.dvcignore` problem.
    #[error(transparent)]
    Ignore(#[from] ignore::Error),
    /// IO.
    #[error(transparent)]
    Io(#[from] IoError),
}

/// Why dvc refuses a path as an out (`Output._validate_output_path`), in its words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutPathError {
    /// The out would be a stage file itself (`*.dvc`, `dvc.yaml`).
    #[error("DVC file '{0}' cannot be an output.")]
    StageFile(String),
    /// One of dvc's fixed ignore patterns matches: it is, or is inside, `.git`, a `.dvc`
    /// or `.hg` directory (named after the subrepo when inside one).
    #[error("Path {} is ignored by {by}", py_repr(.path))]
    Ignored {
        /// The path as dvc shows it: absolute, joined as written.
        path: String,
        /// The pattern, as dvc names it (`:.git`, `:.dvc/`, `:.hg/`, `in sub_repo:NAME`).
        by: String,
    },
}

/// dvc's checks of an out (`Output._validate_output_path`): `def_path` as written (in
/// the stage file, or the name `add` gives the out), `rel` the normalized path from
/// `root`, `shown` the absolute path for the message. Lexical, except that a last
/// component `.hg` is looked at (dvc ignores `.hg/` directories only) and, for the
/// message only, ancestors are checked for being subrepos.
///
/// This is what keeps a hostile pointer from naming `.git/config` or `.dvc/config` as
/// an out: every stage goes through [`Repo::stages_from_text`], which applies it.
pub fn validate_out_path(
    root: &Path,
    rel: &str,
    def_path: &str,
    shown: &Path,
) -> Result<(), OutPathError> {
    let base = def_path.rsplit('/').next().unwrap_or(def_path);
    if def_path.ends_with(".dvc") || base == "dvc.yaml" {
        return Err(OutPathError::StageFile(def_path.to_string()));
    }
    let Some(pattern) = ignore::fixed_exclusion(rel, || root.join(rel).is_dir()) else {
        return Ok(());
    };
    Err(OutPathError::Ignored {
        path: shown.display().to_string(),
        by: subrepo_of(root, rel)
            .map_or_else(|| pattern.to_string(), |name| format!("in sub_repo:{name}")),
    })
}

/// dvc's name for the deepest subrepo holding `rel` (a directory below `root`, possibly
/// `rel` itself, with a `.dvc` inside), whose pattern then wins in dvc's messages.
fn subrepo_of<'a>(root: &Path, rel: &'a str) -> Option<&'a str> {
    let mut found = None;
    let mut dir = root.to_path_buf();
    for part in rel.split('/') {
        dir.push(part);
        if fs_err::symlink_metadata(dir.join(".dvc")).is_ok() {
            found = Some(part);
        }
    }
    found
}

/// What a stage file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageKind {
    /// A `.dvc` file.
    DvcFile,
    /// A stage in a `dvc.lock`.
    Lock {
        /// Stage name.
        name: String,
    },
}

/// A stage with resolved outs.
#[derive(Debug, Clone)]
pub struct Stage {
    /// The `.dvc` or `dvc.lock` file, relative to the repo root (`/`-separated).
    pub file: String,
    /// Kind.
    pub kind: StageKind,
    /// The outs with their workspace locations.
    pub outs: Vec<ResolvedOut>,
    /// Outs outside the workspace (URLs, absolute paths elsewhere): status reports them,
    /// nothing writes them.
    pub external: Vec<ExternalOut>,
    /// The path deps of a pipeline stage (as its `dvc.lock` records them) that lie in the
    /// workspace: status reports `changed deps`, `commit -f` hashes them again, and
    /// `-d/--with-deps` follows them to the stages that produce them. Read only.
    pub deps: Vec<ResolvedOut>,
    /// The stage is frozen (imports).
    pub frozen: bool,
    /// A `dvc import` stage (a dep with `repo:`).
    pub repo_import: bool,
    /// The recorded stage md5 (imports) is not the one the file's content gives: dvc's
    /// `changed checksum`.
    pub changed_checksum: bool,
}

impl Stage {
    /// DVC's name for the stage in `status` output.
    pub fn display_name(&self) -> String {
        match &self.kind {
            StageKind::DvcFile => self.file.clone(),
            StageKind::Lock { name } => {
                let dir = self.file.strip_suffix("dvc.lock").unwrap_or("");
                if dir.is_empty() {
                    name.clone()
                } else {
                    format!("{dir}dvc.yaml:{name}")
                }
            }
        }
    }
}

/// An out outside the workspace, as dvc shows it.
#[derive(Debug, Clone)]
pub struct ExternalOut {
    /// As recorded.
    pub out: Out,
    /// Index within the stage's outs.
    pub index: usize,
    /// The URL as written, or the normalized absolute path.
    pub location: String,
    /// The absolute path, for a local one.
    pub local: Option<PathBuf>,
}

/// An out and where it lives.
#[derive(Debug, Clone)]
pub struct ResolvedOut {
    /// As recorded.
    pub out: Out,
    /// Index within the stage's outs.
    pub index: usize,
    /// Absolute workspace path.
    pub abs: PathBuf,
    /// Path relative to the repo root, `/`-separated.
    pub rel: String,
}

impl ResolvedOut {
    /// The directory whose `.gitignore` lists this out, and the out's name in it.
    pub fn gitignore_slot<'a>(&'a self, root: &'a Path) -> (&'a Path, &'a str) {
        let dir = self.abs.parent().unwrap_or(root);
        let name = self
            .abs
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        (dir, name)
    }
}

/// An open repository.
#[derive(Debug)]
pub struct Repo {
    /// Workspace root (parent of `.dvc`).
    pub root: PathBuf,
    /// `<root>/.dvc`.
    pub dvc_dir: PathBuf,
    /// Loaded config.
    pub config: Config,
    /// The cache.
    pub odb: Odb,
    /// State DB, when it could be opened and `rehash` is off.
    pub state: Option<State>,
    /// Why the state DB is unavailable (for a warning).
    pub state_error: Option<String>,
    /// What opening a remote needs from outside its config section.
    pub remote_options: remote::OpenOptions,
    /// A file watcher's answer for this run, when one was asked (set by the caller):
    /// outs it shows unchanged are not walked (`data::watch`).
    pub watch: Option<crate::data::watch::Watch>,
}

impl Repo {
    /// Walk up from `start` to the directory containing `.dvc/`.
    pub fn find_root(start: &Path) -> Option<PathBuf> {
        Self::find_root_within_mount(start).ok()
    }

    /// dvc's `Repo.find_root`: walk up from `start` to the first directory holding a
    /// `.dvc` directory, stopping at the file system's mount point. `Err(mount point)`
    /// (or the top reached) when there is none.
    pub fn find_root_within_mount(start: &Path) -> Result<PathBuf, PathBuf> {
        use std::os::unix::fs::MetadataExt;
        let mut dir = start.to_path_buf();
        loop {
            if dir.join(".dvc").is_dir() {
                return Ok(dir);
            }
            let Some(parent) = dir.parent().map(Path::to_path_buf) else {
                return Err(dir);
            };
            let is_mount = match (fs_err::metadata(&dir), fs_err::metadata(&parent)) {
                (Ok(d), Ok(p)) => d.dev() != p.dev() || d.ino() == p.ino(),
                _ => true,
            };
            if is_mount {
                return Err(dir);
            }
            dir = parent;
        }
    }

    /// Open the repo at `root`.
    pub fn open(root: &Path, options: &RepoOptions) -> Result<Repo, RepoError> {
        let dvc_dir = root.join(".dvc");
        if !dvc_dir.is_dir() {
            return Err(RepoError::NotARepo);
        }
        let config = Config::load_with(LoadOptions {
            dvc_dir: Some(dvc_dir.clone()),
            system_dir: options.system_config_dir.clone(),
            global_dir: options.global_config_dir.clone(),
            home_dir: options.home_dir.clone(),
            validate: true,
        })?;
        let cache_dir = config.cache_dir().unwrap_or_else(|| dvc_dir.join("cache"));
        let types = config.cache_types()?;
        let odb = Odb::new(cache_dir, types)
            .with_shared_group(config.cache_shared().as_deref() == Some("group"));
        let (state, state_error) = if options.rehash {
            (None, None)
        } else {
            open_state(&dvc_dir)
        };
        Ok(Repo {
            root: root.to_path_buf(),
            dvc_dir,
            config,
            odb,
            state,
            state_error,
            remote_options: options.remote_options(),
            watch: None,
        })
    }

    /// Open the remote `name`, or the default remote (`core.remote`) when `name` is `None`
    /// (the one way every command, hook and the filter opens a remote). Nothing is
    /// contacted yet.
    pub fn open_remote(&self, name: Option<&str>) -> Result<remote::Remote, TransferError> {
        let cfg = match name {
            Some(n) => self.config.remote(&n.to_lowercase())?,
            None => self
                .config
                .default_remote()?
                .ok_or_else(|| TransferError::NoRemote(self.root.display().to_string()))?,
        };
        let on = |key: &str| {
            cfg.options.get(key).is_some_and(|v| {
                matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "1" | "on")
            })
        };
        if on("version_aware") || on("worktree") {
            return Err(TransferError::Versioned(cfg.name.clone()));
        }
        Ok(remote::Remote::open(&cfg, &self.remote_options)?)
    }

    /// `.dvc/tmp`.
    pub fn tmp_dir(&self) -> PathBuf {
        self.dvc_dir.join("tmp")
    }

    /// Relative `/` path of an absolute path inside the workspace.
    pub fn rel(&self, abs: &Path) -> Option<String> {
        pathsafe::rel_to(&self.root, abs)
    }

    /// Every stage in the workspace: all `.dvc` files and all `dvc.lock` stages.
    pub fn collect_stages(&self) -> Result<Vec<Stage>, RepoError> {
        let files = self.find_stage_files()?;
        let mut stages = Vec::new();
        for f in files {
            stages.extend(self.load_stage_file(&f)?);
        }
        Ok(stages)
    }

    /// Relative paths of every `.dvc` and `dvc.lock` file, sorted.
    pub fn find_stage_files(&self) -> Result<Vec<String>, RepoError> {
        let ig = DvcIgnore::for_dir(&self.root, &self.root)?;
        let found = std::sync::Mutex::new(Vec::new());
        let errors = std::sync::Mutex::new(Vec::new());
        rayon::scope(|s| walk_for_stages(s, &self.root, &self.root, ig, &found, &errors));
        if let Some(e) = errors.into_inner().unwrap_or_default().into_iter().next() {
            return Err(e);
        }
        let mut files = found.into_inner().unwrap_or_default();
        files.sort();
        Ok(files)
    }

    /// Load one stage file (`x.dvc` or `dvc.lock`) given relative to the root.
    pub fn load_stage_file(&self, rel: &str) -> Result<Vec<Stage>, RepoError> {
        let abs = self.root.join(rel);
        // A stage file too large to parse is refused before it is read into memory.
        if let Ok(meta) = fs_err::metadata(&abs)
            && meta.len() > dvcfile::MAX_STAGE_FILE as u64
        {
            return Err(RepoError::Parse {
                file: rel.to_string(),
                reason: format!(
                    "validation failed: the file is {} bytes, larger than the {} MiB a stage file may be",
                    meta.len(),
                    dvcfile::MAX_STAGE_FILE >> 20
                ),
            });
        }
        #[expect(
            clippy::disallowed_methods,
            reason = "the error variant names the operation and path itself"
        )]
        let text = std::fs::read_to_string(&abs).map_err(|source| {
            RepoError::Io(IoError {
                op: "read",
                path: abs.clone(),
                source,
            })
        })?;
        self.stages_from_text(rel, &text)
    }

    /// Build the stages of a stage file from its text (e.g. pointer bytes git is about to
    /// write, before they reach the worktree). `rel` is the file's path from the root.
    pub fn stages_from_text(&self, rel: &str, text: &str) -> Result<Vec<Stage>, RepoError> {
        let base_rel = rel
            .rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_default();
        let parse_err = |e: ParseError| RepoError::Parse {
            file: rel.to_string(),
            reason: format!("validation failed: {e}"),
        };
        if pointer::classify(rel) == Some(PointerKind::Lock) {
            let lock = dvcfile::parse_lock(text).map_err(parse_err)?;
            let flags = crate::data::pipeline::read_flags(
                &self.root.join(base_rel.as_str()).join("dvc.yaml"),
            );
            let mut stages = Vec::new();
            for st in lock.stages {
                let stage_flags = flags.get(&st.name);
                let wdir = stage_flags.and_then(|f| f.wdir.clone()).unwrap_or_default();
                let base = join_rel(&base_rel, &wdir);
                let mut outs = Vec::new();
                let mut external = Vec::new();
                let mut order = Vec::new();
                for (i, mut o) in st.outs.into_iter().enumerate() {
                    let f = stage_flags.and_then(|f| f.outs.get(&o.path));
                    if let Some(f) = f {
                        o.cache = f.cache;
                        o.push = f.push;
                        o.remote = f.remote.clone();
                    }
                    if let Some(e) = self.external(&o, i) {
                        external.push(e);
                        continue;
                    }
                    order.push(f.map_or(usize::MAX, |f| f.order));
                    outs.push(self.resolve_out(rel, &base, o, i)?);
                }
                // dvc lists a stage's outs in dvc.yaml order (outs, metrics, plots); the
                // lock file sorts them by path. `index` still names the lock entry.
                let mut keyed: Vec<(usize, ResolvedOut)> = order.into_iter().zip(outs).collect();
                keyed.sort_by_key(|(k, o)| (*k, o.index));
                let outs = keyed.into_iter().map(|(_, o)| o).collect();
                // Deps are only read: one that is external or does not resolve inside
                // the workspace is left out.
                let deps = st
                    .deps
                    .into_iter()
                    .enumerate()
                    .filter(|(_, d)| self.external(d, 0).is_none())
                    .filter_map(|(i, d)| self.resolve_dep(&base, d, i))
                    .collect();
                stages.push(Stage {
                    file: rel.to_string(),
                    kind: StageKind::Lock { name: st.name },
                    outs,
                    deps,
                    external,
                    frozen: false,
                    repo_import: false,
                    changed_checksum: false,
                });
            }
            return Ok(stages);
        }
        let parsed = dvcfile::parse(text).map_err(parse_err)?;
        // `wdir:` (e.g. `../..`): out paths are relative to it, not to the file's directory.
        let base = join_rel(&base_rel, parsed.wdir.as_deref().unwrap_or(""));
        let mut outs = Vec::new();
        let mut external = Vec::new();
        for (i, o) in parsed.outs.into_iter().enumerate() {
            if let Some(e) = self
                .external(&o, i)
                .or_else(|| self.beyond_wdir(&base, &o, i))
            {
                external.push(e);
                continue;
            }
            outs.push(self.resolve_out(rel, &base, o, i)?);
        }
        Ok(vec![Stage {
            file: rel.to_string(),
            kind: StageKind::DvcFile,
            outs,
            deps: Vec::new(),
            external,
            frozen: parsed.frozen,
            repo_import: parsed.repo_import,
            changed_checksum: dvcfile::stage_md5_changed(text),
        }])
    }

    /// dvc's `Output.is_in_repo` is false: a URL (`s3://b/k`, `remote://r/p`) or an
    /// absolute path outside the workspace. Such an out is never a workspace path.
    fn external(&self, out: &Out, index: usize) -> Option<ExternalOut> {
        let p = out.path.as_str();
        let scheme = p.split_once("://").map(|(s, _)| s);
        if let Some(s) = scheme
            && !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Some(ExternalOut {
                out: out.clone(),
                index,
                location: p.to_string(),
                local: None,
            });
        }
        if !Path::new(p).is_absolute() {
            return None;
        }
        let abs = pathsafe::normalize(Path::new(p));
        if self.rel(&abs).is_some() {
            return None; // inside the workspace: resolved (and checked) as usual
        }
        Some(ExternalOut {
            out: out.clone(),
            index,
            location: abs.to_string_lossy().into_owned(),
            local: Some(abs),
        })
    }

    /// An out that a `wdir:` leading out of the workspace (`wdir: ../..` in a top-level
    /// `.dvc`) places outside it: dvc resolves the path against the wdir and treats the
    /// result as an external out (checkout skips it, commit refuses it when cached). A
    /// `..` in the out's own path is still refused when stages are resolved.
    fn beyond_wdir(&self, base: &str, out: &Out, index: usize) -> Option<ExternalOut> {
        let wdir = pathsafe::normalize(Path::new(base));
        if !wdir.starts_with("..") || out.path.split('/').any(|c| c == "..") {
            return None;
        }
        let abs = pathsafe::normalize(&self.root.join(base).join(&out.path));
        if self.rel(&abs).is_some() {
            return None;
        }
        Some(ExternalOut {
            out: out.clone(),
            index,
            location: abs.to_string_lossy().into_owned(),
            local: Some(abs),
        })
    }

    /// A dep's workspace location, when it is a path inside the workspace.
    fn resolve_dep(&self, base_rel: &str, dep: Out, index: usize) -> Option<ResolvedOut> {
        let joined = join_rel(base_rel, &dep.path);
        let norm = pathsafe::normalize(Path::new(&joined));
        let rel = norm.to_str()?.replace('\\', "/");
        if norm.is_absolute() || rel.starts_with("..") || rel.is_empty() {
            return None;
        }
        let abs = pathsafe::join_checked(&self.root, &rel).ok()?;
        Some(ResolvedOut {
            out: Out {
                cache: false,
                ..dep
            },
            index,
            abs,
            rel,
        })
    }

    fn resolve_out(
        &self,
        file: &str,
        base_rel: &str,
        out: Out,
        index: usize,
    ) -> Result<ResolvedOut, RepoError> {
        let unsafe_path = |source| RepoError::UnsafePath {
            file: file.to_string(),
            source,
        };
        let joined = join_rel(base_rel, &out.path);
        // Lexically fold `..` (dvc.yaml outs may say `../x` from a subdir), then require
        // the result to stay inside the workspace and not pass through symlinks.
        let norm = pathsafe::normalize(Path::new(&joined));
        let norm_s = norm.to_str().unwrap_or("").replace('\\', "/");
        if Path::new(&out.path).is_absolute() || norm.is_absolute() {
            return Err(unsafe_path(PathError::Absolute(out.path.clone())));
        }
        if norm_s.starts_with("..") {
            return Err(unsafe_path(PathError::ParentDir(out.path.clone())));
        }
        // dvc joins the path as written to the stage's directory for its message.
        let shown = if base_rel.is_empty() {
            self.root.join(&out.path)
        } else {
            self.root.join(base_rel).join(&out.path)
        };
        validate_out_path(&self.root, &norm_s, &out.path, &shown).map_err(|source| {
            RepoError::InvalidOut {
                file: file.to_string(),
                source,
            }
        })?;
        let abs = pathsafe::join_checked(&self.root, &norm_s).map_err(unsafe_path)?;
        Ok(ResolvedOut {
            out,
            index,
            abs,
            rel: norm_s,
        })
    }

    /// The stages for user targets: `x.dvc` files, `dvc.lock`/`dvc.yaml`, or out paths
    /// (including paths inside a tracked directory, resolved to that out), as dvc's
    /// `collect_granular` takes them without `-R` and `-d`.
    pub fn stages_for_targets(&self, targets: &[PathBuf]) -> Result<Vec<Stage>, TargetError> {
        self.stages_for_targets_with(targets, TargetOptions::default())
    }

    /// [`Repo::stages_for_targets`] with dvc's `-R/--recursive` and `-d/--with-deps`.
    pub fn stages_for_targets_with(
        &self,
        targets: &[PathBuf],
        options: TargetOptions,
    ) -> Result<Vec<Stage>, TargetError> {
        if targets.is_empty() {
            return Ok(self.collect_stages()?);
        }
        let mut all: Option<Vec<Stage>> = None;
        // Each stage, and whether dvc follows its deps with `-d` (stage and stage-file
        // targets: an out path is taken alone, as `find_outs_by_path` answers it first).
        let mut result: Vec<(Stage, bool)> = Vec::new();
        for t in targets {
            let abs = pathsafe::normalize(&t.clone());
            let rel = self
                .rel(&abs)
                .ok_or_else(|| TargetError::Outside(t.display().to_string()))?;
            if fs_err::symlink_metadata(&abs).is_err() && !rel.is_empty() {
                if let Some(stage) = self.stage_by_name(&rel)? {
                    result.push((stage, true));
                    continue;
                }
                let known = self
                    .collect_stages()
                    .map(|st| {
                        st.iter().any(|s| {
                            s.outs
                                .iter()
                                .any(|o| o.rel == rel || o.rel.starts_with(&format!("{rel}/")))
                        })
                    })
                    .unwrap_or(false);
                if !known {
                    return Err(TargetError::Missing(abs.display().to_string()));
                }
            }
            let kind = pointer::classify(&rel);
            if kind == Some(PointerKind::DvcFile) && abs.is_file() {
                result.extend(self.load_stage_file(&rel)?.into_iter().map(|s| (s, true)));
                continue;
            }
            if matches!(kind, Some(PointerKind::Lock | PointerKind::Pipeline)) {
                let lock = format!(
                    "{}dvc.lock",
                    rel.strip_suffix("dvc.yaml")
                        .or(rel.strip_suffix("dvc.lock"))
                        .unwrap_or("")
                );
                if self.root.join(&lock).is_file() {
                    result.extend(self.load_stage_file(&lock)?.into_iter().map(|s| (s, true)));
                }
                continue;
            }
            if all.is_none() {
                all = Some(self.collect_stages()?);
            }
            let stages = all.as_deref().unwrap_or(&[]);
            // `-R` and a directory: every stage whose file is inside it (dvc's
            // `collect_inside_path`), none being no error.
            if options.recursive && abs.is_dir() {
                let prefix = format!("{rel}/");
                result.extend(
                    stages
                        .iter()
                        .filter(|s| rel.is_empty() || s.file.starts_with(&prefix))
                        .map(|s| (s.clone(), true)),
                );
                continue;
            }
            let mut matched = false;
            for st in stages {
                let outs: Vec<ResolvedOut> = st
                    .outs
                    .iter()
                    .filter(|o| o.rel == rel || rel.starts_with(&format!("{}/", o.rel)))
                    .cloned()
                    .collect();
                if !outs.is_empty() {
                    matched = true;
                    result.push((
                        Stage {
                            outs,
                            external: Vec::new(),
                            ..st.clone()
                        },
                        false,
                    ));
                }
            }
            if !matched {
                // dvc names the target as given, and why it is no stage either.
                let why = if self.root.join("dvc.yaml").is_file() {
                    String::new()
                } else {
                    ": 'dvc.yaml' does not exist".to_string()
                };
                return Err(TargetError::NotTracked(rel, why));
            }
        }
        if !options.with_deps
            || !result
                .iter()
                .any(|(s, follow)| *follow && !s.deps.is_empty())
        {
            return Ok(result.into_iter().map(|(s, _)| s).collect());
        }
        let all = match all {
            Some(a) => a,
            None => self.collect_stages()?,
        };
        Ok(with_deps(result, &all))
    }
}

impl Repo {
    /// A pipeline stage named by a target that is not a path: `build` (in the `dvc.yaml`
    /// of the target's directory) or `sub/dvc.yaml:build`, as dvc's `parse_target` reads
    /// it. Only stages recorded in the `dvc.lock` have outs to act on.
    fn stage_by_name(&self, rel: &str) -> Result<Option<Stage>, RepoError> {
        let (dir, name) = match rel.rsplit_once("dvc.yaml:") {
            Some((dir, name)) if dir.is_empty() || dir.ends_with('/') => {
                (dir.trim_end_matches('/'), name)
            }
            _ => rel.rsplit_once('/').unwrap_or(("", rel)),
        };
        let lock = join_rel(dir, "dvc.lock");
        if name.is_empty() || !self.root.join(&lock).is_file() {
            return Ok(None);
        }
        Ok(self
            .load_stage_file(&lock)?
            .into_iter()
            .find(|st| matches!(&st.kind, StageKind::Lock { name: n } if n == name)))
    }
}

/// How targets are expanded: dvc's `-R/--recursive` and `-d/--with-deps`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetOptions {
    /// A directory target means every stage whose stage file is inside it.
    pub recursive: bool,
    /// A stage (or stage file) target brings the stages that produce its deps, upstream
    /// first, as dvc's `collect_pipeline` orders them.
    pub with_deps: bool,
}

/// Two workspace paths overlap: equal, or one inside the other (dvc's outs trie).
fn overlaps(a: &str, b: &str) -> bool {
    a == b || a.starts_with(&format!("{b}/")) || b.starts_with(&format!("{a}/"))
}

fn stage_key(s: &Stage) -> (String, String) {
    let name = match &s.kind {
        StageKind::Lock { name } => name.clone(),
        StageKind::DvcFile => String::new(),
    };
    (s.file.clone(), name)
}

/// Add the producers of each followed stage's deps, transitively, upstream first.
fn with_deps(result: Vec<(Stage, bool)>, all: &[Stage]) -> Vec<Stage> {
    fn visit(
        s: &Stage,
        all: &[Stage],
        seen: &mut std::collections::HashSet<(String, String)>,
        out: &mut Vec<Stage>,
    ) {
        if !seen.insert(stage_key(s)) {
            return;
        }
        for dep in &s.deps {
            for p in all
                .iter()
                .filter(|p| p.outs.iter().any(|o| overlaps(&o.rel, &dep.rel)))
            {
                visit(p, all, seen, out);
            }
        }
        out.push(s.clone());
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (s, follow) in result {
        if follow {
            visit(&s, all, &mut seen, &mut out);
        } else if seen.insert(stage_key(&s)) {
            out.push(s);
        }
    }
    out
}

/// Errors resolving user targets.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// Repo problem.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Not inside the workspace.
    #[error("'{0}' is outside of the DVC repository")]
    Outside(String),
    /// The target path does not exist at all.
    #[error("'{0}' does not exist")]
    Missing(String),
    /// No out matches.
    #[error("'{0}' does not exist as an output or a stage name in 'dvc.yaml'{1}")]
    NotTracked(String, String),
}

fn open_state(dvc_dir: &Path) -> (Option<State>, Option<String>) {
    let dir = dvc_dir.join("tmp").join("git-dvc").join("state");
    match State::open(&dir) {
        Ok(s) => (Some(s), None),
        Err(first) => {
            // A damaged DB: move it aside once and start fresh; it only caches hashes.
            let _ = fs_err::remove_dir_all(&dir);
            match State::open(&dir) {
                Ok(s) => (Some(s), Some(format!("{first}; the state DB was reset"))),
                Err(e) => (None, Some(e.to_string())),
            }
        }
    }
}

/// Join two `/` relative paths, either of which may be empty.
pub fn join_rel(a: &str, b: &str) -> String {
    match (a.is_empty() || a == ".", b.is_empty() || b == ".") {
        (true, _) => b.to_string(),
        (false, true) => a.to_string(),
        (false, false) => format!("{a}/{b}"),
    }
}

fn walk_for_stages<'s>(
    s: &rayon::Scope<'s>,
    root: &'s Path,
    dir: &Path,
    ig: DvcIgnore,
    found: &'s std::sync::Mutex<Vec<String>>,
    errors: &'s std::sync::Mutex<Vec<RepoError>>,
) {
    let Ok(rd) = fs_err::read_dir(dir) else {
        return;
    };
    let mut subdirs = Vec::new();
    let mut local = Vec::new();
    for entry in rd.flatten() {
        let name = entry.file_name();
        let Some(name_s) = name.to_str() else {
            continue;
        };
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if !ignore::is_always_excluded(name_s) {
                subdirs.push(name_s.to_owned());
            }
        } else if pointer::is_pointer_path(name_s) && ft.is_file() {
            let path = entry.path();
            if !ig.is_empty() && ig.is_ignored(&path, false) {
                continue;
            }
            if let Some(rel) = pathsafe::rel_to(root, &path) {
                local.push((name_s.to_owned(), rel));
            }
        }
    }
    for name in subdirs {
        // `X/` tracked by its sibling `X.dvc` (what `dvc add X` makes): no stage file can
        // live inside an out (dvc reports that as overlapping outs), so its files, often
        // thousands, need not be listed.
        let pointer = format!("{name}.dvc");
        if local.iter().any(|(n, _)| *n == pointer) && tracks_sibling(&dir.join(&pointer), &name) {
            continue;
        }
        let path = dir.join(&name);
        if !ig.is_empty() && ig.is_ignored(&path, true) {
            continue;
        }
        if path.join(".dvc").is_dir() {
            continue; // a subrepo
        }
        let sub_ig = match ig.with_dir(&path) {
            Ok(i) => i,
            Err(e) => {
                if let Ok(mut v) = errors.lock() {
                    v.push(e.into());
                }
                continue;
            }
        };
        s.spawn(move |s| walk_for_stages(s, root, &path, sub_ig, found, errors));
    }
    if !local.is_empty()
        && let Ok(mut v) = found.lock()
    {
        v.extend(local.into_iter().map(|(_, rel)| rel));
    }
}

/// Whether the `.dvc` file at `pointer` has an out named `name` (relative to its own
/// directory, no `wdir`). Unreadable or unparseable files say no: the walk then descends
/// as usual and the file's errors surface when it is loaded.
fn tracks_sibling(pointer: &Path, name: &str) -> bool {
    let Ok(text) = fs_err::read_to_string(pointer) else {
        return false;
    };
    dvcfile::parse(&text).is_ok_and(|f| {
        f.wdir.as_deref().is_none_or(|w| w.is_empty() || w == ".")
            && f.outs.iter().any(|o| o.path.trim_end_matches('/') == name)
    })
}

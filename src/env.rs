//! The process environment, captured once in each binary's `main` and passed down.
//!
//! Nothing below `main` calls `std::env::var*` or `current_dir`: every variable git-dvc
//! honours is read here, so `git dvc config`, `git push` (pre-push) and the filter all see
//! the same config dirs, by the same rules. The engine (`crate::data`) receives the values
//! it needs as plain options ([`ProcessEnv::repo_options`]); it never sees this struct.

use crate::data::repo::RepoOptions;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// `GIT_DVC_SKIP_SMUDGE=1`: the filter and the hooks make no data side effect at all.
pub const SKIP_SMUDGE_ENV: &str = "GIT_DVC_SKIP_SMUDGE";
/// `GIT_DVC_SKIP_PUSH=1`: pre-push uploads nothing.
pub const SKIP_PUSH_ENV: &str = "GIT_DVC_SKIP_PUSH";
/// `GIT_DVC_REHASH=1`: ignore the state DB (the `--rehash` flag, for hooks and the filter).
pub const REHASH_ENV: &str = "GIT_DVC_REHASH";
/// `GIT_DVC_FILTER_NO_DELAY=1`: the filter never answers `status=delayed`.
pub const FILTER_NO_DELAY_ENV: &str = "GIT_DVC_FILTER_NO_DELAY";
/// `GIT_DVC_S3_MULTIPART_THRESHOLD=<bytes>`: a lower multipart threshold for S3 uploads.
pub const S3_MULTIPART_THRESHOLD_ENV: &str = "GIT_DVC_S3_MULTIPART_THRESHOLD";

/// `GIT_DVC_PROGRESS_DELAY_MS=<ms>`: how long a phase runs before its bar shows (250).
pub const PROGRESS_DELAY_ENV: &str = "GIT_DVC_PROGRESS_DELAY_MS";

/// Every environment value git-dvc reads, taken once at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessEnv {
    /// The working directory (`None` when it cannot be read, e.g. it was deleted).
    pub cwd: Option<PathBuf>,
    /// `$HOME` (non-empty).
    pub home: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME` (non-empty).
    pub xdg_config_home: Option<PathBuf>,
    /// `$XDG_CONFIG_DIRS`, raw.
    pub xdg_config_dirs: Option<String>,
    /// `$DVC_SYSTEM_CONFIG_DIR` (non-empty).
    pub dvc_system_config_dir: Option<PathBuf>,
    /// `$DVC_GLOBAL_CONFIG_DIR` (non-empty).
    pub dvc_global_config_dir: Option<PathBuf>,
    /// `$PATH`, raw.
    pub path: Option<OsString>,
    /// `$GIT_INDEX_FILE` (set by git for hooks of partial commits).
    pub git_index_file: Option<PathBuf>,
    /// `$GIT_DIR` (set by git for hooks in linked worktrees, or by `git --git-dir`).
    pub git_dir: Option<PathBuf>,
    /// `GIT_DVC_SKIP_SMUDGE` is `1` or `true`.
    pub skip_smudge: bool,
    /// `GIT_DVC_SKIP_PUSH` is `1` or `true`.
    pub skip_push: bool,
    /// `GIT_DVC_REHASH` is set (any value), or `--rehash` was given.
    pub rehash: bool,
    /// `GIT_DVC_FILTER_NO_DELAY` is set to something other than empty or `0`.
    pub filter_no_delay: bool,
    /// `GIT_DVC_S3_MULTIPART_THRESHOLD`, raw (validated when an upload needs it).
    pub s3_multipart_threshold: Option<String>,
    /// `NO_COLOR` is set.
    pub no_color: bool,
    /// `GIT_DVC_LOG`: a tracing filter (`debug`, `git_dvc=trace`, ...).
    pub log: Option<String>,
    /// `$COLUMNS`, when it is a number.
    pub columns: Option<usize>,
    /// `GIT_DVC_PROGRESS_DELAY_MS`, when it is a number.
    pub progress_delay_ms: Option<u64>,
    /// The login name: `$USER`, else `$LOGNAME` (non-empty).
    pub user_name: Option<String>,
    /// The `AZURE_*` variables dvc-azure reads (those that are set).
    pub azure_env: crate::data::remote::EnvVars,
    /// `SSH_AUTH_SOCK`: the ssh-agent's socket.
    pub ssh_auth_sock: Option<PathBuf>,
}

fn truthy(v: Option<OsString>) -> bool {
    v.is_some_and(|v| v == "1" || v == "true")
}

/// The variables dvc-azure falls back to for its options, the Entra ID authority, and the
/// tests' blob endpoint override.
const AZURE_ENV: [&str; 9] = [
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
    "GIT_DVC_AZURE_BLOB_ENDPOINT",
];

impl ProcessEnv {
    /// Read the process environment. Call once, in `main`.
    pub fn capture() -> ProcessEnv {
        Self::from_lookup(|k| std::env::var_os(k), std::env::current_dir().ok())
    }

    /// Build from any lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<OsString>, cwd: Option<PathBuf>) -> Self {
        let dir = |k: &str| get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        ProcessEnv {
            cwd,
            home: dir("HOME"),
            xdg_config_home: dir("XDG_CONFIG_HOME"),
            xdg_config_dirs: get("XDG_CONFIG_DIRS").and_then(|v| v.into_string().ok()),
            dvc_system_config_dir: dir("DVC_SYSTEM_CONFIG_DIR"),
            dvc_global_config_dir: dir("DVC_GLOBAL_CONFIG_DIR"),
            path: get("PATH"),
            git_index_file: get("GIT_INDEX_FILE").map(PathBuf::from),
            git_dir: dir("GIT_DIR"),
            skip_smudge: truthy(get(SKIP_SMUDGE_ENV)),
            skip_push: truthy(get(SKIP_PUSH_ENV)),
            rehash: get(REHASH_ENV).is_some(),
            filter_no_delay: get(FILTER_NO_DELAY_ENV).is_some_and(|v| !v.is_empty() && v != "0"),
            s3_multipart_threshold: get(S3_MULTIPART_THRESHOLD_ENV)
                .map(|v| v.to_string_lossy().into_owned()),
            no_color: get("NO_COLOR").is_some(),
            log: get("GIT_DVC_LOG").and_then(|v| v.into_string().ok()),
            columns: get("COLUMNS")
                .and_then(|v| v.into_string().ok())
                .and_then(|v| v.trim().parse().ok()),
            progress_delay_ms: get(PROGRESS_DELAY_ENV)
                .and_then(|v| v.into_string().ok())
                .and_then(|v| v.trim().parse().ok()),
            user_name: get("USER")
                .filter(|v| !v.is_empty())
                .or_else(|| get("LOGNAME").filter(|v| !v.is_empty()))
                .and_then(|v| v.into_string().ok()),
            ssh_auth_sock: get("SSH_AUTH_SOCK")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            azure_env: AZURE_ENV
                .iter()
                .filter_map(|k| Some((k.to_string(), get(k)?.into_string().ok()?)))
                .collect::<std::collections::BTreeMap<_, _>>()
                .into(),
        }
    }

    /// How long a phase runs before its progress bar shows.
    pub fn progress_delay(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.progress_delay_ms.unwrap_or(250))
    }

    /// dvc's `--cd DIR`: make `dir` (relative to the current directory) the process's
    /// working directory, so that git-dvc and the git it runs both start there.
    pub fn change_dir(&mut self, dir: &Path) -> std::io::Result<()> {
        std::env::set_current_dir(dir)?;
        self.cwd = Some(std::env::current_dir()?);
        Ok(())
    }

    /// The working directory, or an error a caller can show.
    pub fn cwd(&self) -> std::io::Result<&Path> {
        self.cwd.as_deref().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the current directory cannot be read",
            )
        })
    }

    /// DVC's system config dir: platformdirs' `site_config_dir("dvc")` (the first entry of
    /// `XDG_CONFIG_DIRS`, else `/etc/xdg`) unless `DVC_SYSTEM_CONFIG_DIR` overrides it.
    pub fn dvc_system_config_dir(&self) -> PathBuf {
        if let Some(d) = &self.dvc_system_config_dir {
            return d.clone();
        }
        self.xdg_config_dirs
            .as_deref()
            .and_then(|v| v.split(':').find(|s| !s.trim().is_empty()))
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/etc/xdg"))
            .join("dvc")
    }

    /// DVC's global config dir: platformdirs' `user_config_dir("dvc")`
    /// (`$XDG_CONFIG_HOME/dvc`, else `~/.config/dvc`) unless `DVC_GLOBAL_CONFIG_DIR` overrides.
    pub fn dvc_global_config_dir(&self) -> PathBuf {
        if let Some(d) = &self.dvc_global_config_dir {
            return d.clone();
        }
        self.xdg_config_home
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".config")))
            .unwrap_or_else(|| PathBuf::from(".config"))
            .join("dvc")
    }

    /// The engine's options for opening a repository.
    pub fn repo_options(&self) -> RepoOptions {
        RepoOptions {
            system_config_dir: Some(self.dvc_system_config_dir()),
            global_config_dir: Some(self.dvc_global_config_dir()),
            home_dir: self.home.clone(),
            rehash: self.rehash,
            s3_multipart_threshold: self.s3_multipart_threshold.clone(),
            user_name: self.user_name.clone(),
            azure_env: self.azure_env.clone(),
            ssh_auth_sock: self.ssh_auth_sock.clone(),
            ask_secret: None,
        }
    }

    /// The engine's options for opening a remote.
    pub fn remote_options(&self) -> crate::data::remote::OpenOptions {
        crate::data::remote::OpenOptions {
            home_dir: self.home.clone(),
            s3_multipart_threshold: self.s3_multipart_threshold.clone(),
            user_name: self.user_name.clone(),
            azure_env: self.azure_env.clone(),
            ssh_auth_sock: self.ssh_auth_sock.clone(),
            ask_secret: None,
        }
    }

    /// Whether `program` is an executable file on `$PATH` (or, with a `/`, at that path).
    pub fn on_path(&self, program: &str) -> bool {
        self.find_on_path(program).is_some()
    }

    /// Where `program` is on `$PATH`.
    pub fn find_on_path(&self, program: &str) -> Option<PathBuf> {
        if program.contains('/') {
            let p = PathBuf::from(program);
            return p.is_file().then_some(p);
        }
        let path = self.path.as_ref()?;
        std::env::split_paths(path)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> ProcessEnv {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        ProcessEnv::from_lookup(|k| map.get(k).cloned(), None)
    }

    #[test]
    fn dvc_config_dirs_follow_platformdirs_and_overrides() {
        let e = env(&[("HOME", "/h")]);
        assert_eq!(e.dvc_system_config_dir(), PathBuf::from("/etc/xdg/dvc"));
        assert_eq!(e.dvc_global_config_dir(), PathBuf::from("/h/.config/dvc"));
        let e = env(&[
            ("HOME", "/h"),
            ("XDG_CONFIG_DIRS", ":/a:/b"),
            ("XDG_CONFIG_HOME", "/x"),
        ]);
        assert_eq!(e.dvc_system_config_dir(), PathBuf::from("/a/dvc"));
        assert_eq!(e.dvc_global_config_dir(), PathBuf::from("/x/dvc"));
        let e = env(&[
            ("XDG_CONFIG_DIRS", "/a"),
            ("DVC_SYSTEM_CONFIG_DIR", "/s"),
            ("DVC_GLOBAL_CONFIG_DIR", "/g"),
        ]);
        assert_eq!(e.dvc_system_config_dir(), PathBuf::from("/s"));
        assert_eq!(e.dvc_global_config_dir(), PathBuf::from("/g"));
        // The hooks and the CLI get the same dirs: one rule.
        let o = e.repo_options();
        assert_eq!(o.system_config_dir, Some(PathBuf::from("/s")));
        assert_eq!(o.global_config_dir, Some(PathBuf::from("/g")));
    }

    #[test]
    fn flags() {
        let e = env(&[
            (SKIP_SMUDGE_ENV, "true"),
            (SKIP_PUSH_ENV, "0"),
            (FILTER_NO_DELAY_ENV, "0"),
            (REHASH_ENV, ""),
            ("COLUMNS", "120"),
        ]);
        assert!(e.skip_smudge && !e.skip_push && !e.filter_no_delay && e.rehash);
        assert_eq!(e.columns, Some(120));
        assert!(env(&[(FILTER_NO_DELAY_ENV, "1")]).filter_no_delay);
    }
}

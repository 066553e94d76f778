//! `git dvc config`: get, set, unset and list DVC config options, like `dvc config`.
//!
//! Works outside a repository for the global and system levels, as dvc does (dvc's
//! `CmdConfig` is a no-repo command; repo levels then fail with
//! `config file error: Not inside a DVC repo`, exit 251).
//!
//! Also hosts the helpers `remote.rs` shares: locating the config directories from the
//! environment (the engine never reads env vars), finding the repo root and turning
//! [`ConfigError`]s into dvc's messages and exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::data::config::{
    Config, ConfigError, Level, LoadOptions, OptionName, flatten, is_secret_option,
};

/// Level flags shared by `config` and every `remote` subcommand (dvc's
/// `parent_config_parser`, a mutually exclusive group).
#[derive(Debug, Clone, Default, clap::Args)]
#[group(multiple = false)]
pub struct LevelArgs {
    /// Use global config.
    #[arg(long)]
    pub global: bool,
    /// Use system config.
    #[arg(long)]
    pub system: bool,
    /// Use project config (.dvc/config).
    #[arg(long)]
    pub project: bool,
    /// Use local config (.dvc/config.local).
    #[arg(long)]
    pub local: bool,
}

impl LevelArgs {
    /// The chosen level, if any flag was given.
    pub fn level(&self) -> Option<Level> {
        if self.global {
            Some(Level::Global)
        } else if self.system {
            Some(Level::System)
        } else if self.project {
            Some(Level::Repo)
        } else if self.local {
            Some(Level::Local)
        } else {
            None
        }
    }
}

/// Arguments of `config`.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    /// Which config file.
    pub level: LevelArgs,
    /// Unset option.
    #[arg(short = 'u', long)]
    pub unset: bool,
    /// List all defined config values.
    #[arg(short = 'l', long)]
    pub list: bool,
    /// Show the source file containing each config value.
    #[arg(long)]
    pub show_origin: bool,
    /// Option name (section.option or remote.name.option).
    pub name: Option<String>,
    /// Option value.
    #[arg(allow_negative_numbers = true)]
    pub value: Option<String>,
}

/// A loaded config plus where we are.
pub(crate) struct Session {
    pub config: Config,
    pub root: Option<PathBuf>,
    pub cwd: PathBuf,
}

impl Session {
    /// dvc's `_get_appropriate_levels`.
    pub fn levels_for(&self, level: Option<Level>) -> Result<Vec<Level>, CommandError> {
        match level {
            Some(l) if l.is_repo_level() && self.root.is_none() => {
                Err(config_error(&ConfigError::Other {
                    message: "Not inside a DVC repo".into(),
                }))
            }
            Some(l) => Ok(vec![l]),
            None if self.root.is_none() => Ok(vec![Level::System, Level::Global]),
            None => Ok(Level::ALL.to_vec()),
        }
    }
}

fn env_dir(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// platformdirs' `site_config_dir("dvc")` / `user_config_dir("dvc")`, with dvc's overrides.
pub(crate) fn config_dirs() -> (PathBuf, PathBuf) {
    let system = env_dir("DVC_SYSTEM_CONFIG_DIR").unwrap_or_else(|| {
        let first = std::env::var("XDG_CONFIG_DIRS")
            .ok()
            .and_then(|v| {
                v.split(':')
                    .find(|s| !s.trim().is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from("/etc/xdg"));
        first.join("dvc")
    });
    let global = env_dir("DVC_GLOBAL_CONFIG_DIR").unwrap_or_else(|| {
        env_dir("XDG_CONFIG_HOME")
            .or_else(|| env_dir("HOME").map(|h| h.join(".config")))
            .unwrap_or_else(|| PathBuf::from(".config"))
            .join("dvc")
    });
    (system, global)
}

/// Walk up from `cwd` to the first directory holding a `.dvc` directory, stopping at the
/// mount point like dvc's `Repo.find_root`. `Err(mount point)` when there is none.
pub(crate) fn find_root(cwd: &Path) -> Result<PathBuf, PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mut dir = cwd.to_path_buf();
    loop {
        if dir.join(".dvc").is_dir() {
            return Ok(dir);
        }
        let Some(parent) = dir.parent().map(Path::to_path_buf) else {
            return Err(dir);
        };
        let is_mount = match (std::fs::metadata(&dir), std::fs::metadata(&parent)) {
            (Ok(d), Ok(p)) => d.dev() != p.dev() || d.ino() == p.ino(),
            _ => true,
        };
        if is_mount {
            return Err(dir);
        }
        dir = parent;
    }
}

/// Load every level visible from the current directory (unvalidated, like `dvc config`).
pub(crate) fn load_session() -> Result<Session, CommandError> {
    let cwd = std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .map_err(|e| CommandError::unhandled(format!("unexpected error - {e}")))?;
    let root = find_root(&cwd).ok();
    let (system, global) = config_dirs();
    let config = Config::load_with(LoadOptions {
        dvc_dir: root.as_ref().map(|r| r.join(".dvc")),
        system_dir: Some(system),
        global_dir: Some(global),
        home_dir: env_dir("HOME"),
        validate: false,
    })
    .map_err(|e| config_error(&e))?;
    Ok(Session { config, root, cwd })
}

/// A [`ConfigError`] as dvc reports it: `configuration error - config file error: …`, exit 251
/// (255 for what dvc would crash on). Byte-identical to dvc's stderr.
pub fn config_error(e: &ConfigError) -> CommandError {
    match e {
        ConfigError::Unwritable { .. } | ConfigError::Io { .. } => CommandError::unhandled(e),
        ConfigError::Parse { message, .. } => {
            // dvc appends the cause, which repeats configobj's message.
            CommandError::new(
                ErrorKind::Config,
                format!("configuration error - {e}: {message}"),
            )
        }
        _ => CommandError::new(ErrorKind::Config, format!("configuration error - {e}")),
    }
}

/// [`config_error`] plus a `hint:` naming the file that holds the bad setting: for commands
/// that merely load the config (`add`, `push`, …), where the culprit file is not obvious.
pub fn config_error_hinted(e: &ConfigError) -> CommandError {
    let err = config_error(e);
    match (e.file(), e) {
        (Some(file), ConfigError::Invalid { .. } | ConfigError::Parse { .. }) => {
            err.hint(format!("the offending setting is in `{}`", file.display()))
        }
        _ => err,
    }
}

/// Print lines to stdout, ignoring a closed pipe.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn origin_prefix(session: &Session, level: Level, show: bool) -> String {
    if !show {
        return String::new();
    }
    let Some(file) = session.config.file(level) else {
        return String::new();
    };
    let shown = match (&session.root, level.is_repo_level()) {
        (Some(root), true) => file
            .strip_prefix(root)
            .map(Path::to_path_buf)
            .unwrap_or(file),
        _ => file,
    };
    format!("{}\t", shown.display())
}

/// Run `config`.
pub fn run(_ctx: &Context, args: ConfigArgs) -> CommandResult {
    if args.show_origin && (args.value.is_some() || args.unset) {
        return Err(CommandError::failed(
            "--show-origin can't be used together with any of these options: -u/--unset, value",
        ));
    }
    let level = args.level.level();
    if args.list {
        if args.name.is_some() || args.value.is_some() || args.unset {
            return Err(CommandError::failed(
                "-l/--list can't be used together with any of these options: -u/--unset, name, value",
            ));
        }
        let session = load_session()?;
        for l in session.levels_for(level)? {
            let prefix = origin_prefix(&session, l, args.show_origin);
            let lines: Vec<String> = flatten(&session.config.read_level_resolved(l))
                .into_iter()
                .map(|(k, v)| {
                    // Secrets never reach the terminal in a listing; ask for the key to see it.
                    let last = k.rsplit('.').next().unwrap_or("");
                    let shown = if is_secret_option(last) {
                        "***".to_string()
                    } else {
                        v.display()
                    };
                    format!("{prefix}{k}={shown}")
                })
                .collect();
            if !lines.is_empty() {
                print(&format!("{}\n", lines.join("\n")));
            }
        }
        return Ok(());
    }
    let Some(name) = args.name.as_deref() else {
        return Err(CommandError::failed("name argument is required"));
    };
    let option = OptionName::parse(name).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.trim_start_matches("config file error: ");
        CommandError::new(ErrorKind::Usage, format!("argument name: {msg}"))
    })?;
    let session = load_session()?;
    if args.value.is_none() && !args.unset {
        for l in session.levels_for(level)?.into_iter().rev() {
            let conf = session.config.read_level_resolved(l);
            if let Err(e) = option.check(&conf) {
                if level.is_some() {
                    return Err(config_error(&e));
                }
                continue;
            }
            if let Some(v) = option.get(&conf) {
                let prefix = origin_prefix(&session, l, args.show_origin);
                print(&format!("{prefix}{}\n", v.display()));
            }
            break;
        }
        return Ok(());
    }
    let level = level.unwrap_or(Level::Repo);
    let Session {
        mut config, cwd, ..
    } = session;
    let result = if args.unset {
        config.unset(level, name)
    } else {
        config.set(level, name, args.value.as_deref().unwrap_or_default(), &cwd)
    };
    result.map_err(|e| config_error(&e))
}

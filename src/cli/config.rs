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
use crate::data::repo::Repo;
use crate::env::ProcessEnv;

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
    pub env: ProcessEnv,
}

impl Session {
    /// dvc's `_get_appropriate_levels`.
    pub fn levels_for(&self, level: Option<Level>) -> Result<Vec<Level>, CommandError> {
        match level {
            Some(l) if l.is_repo_level() && self.root.is_none() => {
                Err(CommandError::from(ConfigError::Other {
                    message: "Not inside a DVC repo".into(),
                }))
            }
            Some(l) => Ok(vec![l]),
            None if self.root.is_none() => Ok(vec![Level::System, Level::Global]),
            None => Ok(Level::ALL.to_vec()),
        }
    }
}

/// Load every level visible from the current directory (unvalidated, like `dvc config`).
pub(crate) fn load_session(env: &ProcessEnv) -> Result<Session, CommandError> {
    let cwd = env
        .cwd()
        .and_then(fs_err::canonicalize)
        .map_err(|e| CommandError::unhandled(format!("unexpected error - {e}")))?;
    let root = Repo::find_root(&cwd);
    let config = Config::load_with(LoadOptions {
        dvc_dir: root.as_ref().map(|r| r.join(".dvc")),
        system_dir: Some(env.dvc_system_config_dir()),
        global_dir: Some(env.dvc_global_config_dir()),
        home_dir: env.home.clone(),
        validate: false,
    })
    .map_err(CommandError::from)?;
    Ok(Session {
        config,
        root,
        cwd,
        env: env.clone(),
    })
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
pub fn run(ctx: &Context, args: ConfigArgs) -> CommandResult {
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
        let session = load_session(&ctx.env)?;
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
    let session = load_session(&ctx.env)?;
    if args.value.is_none() && !args.unset {
        for l in session.levels_for(level)?.into_iter().rev() {
            let conf = session.config.read_level_resolved(l);
            if let Err(e) = option.check(&conf) {
                if level.is_some() {
                    return Err(CommandError::from(e));
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
    result.map_err(CommandError::from)
}

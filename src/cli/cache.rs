//! `cache dir [value]` (dvc's: show, set or unset `cache.dir`), `cache migrate` (dvc's),
//! and git-dvc's own `cache path <p>` and `cache md5 <p>`: where a tracked file's object
//! lives and its hash, for outs and for files inside tracked directories.

use super::context::abs_targets;
use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::data::repo::Repo;
use crate::data::tree::Tree;

/// Arguments of `cache`.
#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    #[command(subcommand)]
    command: CacheCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CacheCommand {
    /// Configure cache directory location.
    Dir(CacheDirArgs),
    /// Migrate 2.x cache objects (and with --dvc-files, .dvc/dvc.lock entries) to 3.x.
    Migrate(CacheMigrateArgs),
    /// Print the cache path of a tracked file.
    Path {
        /// The file.
        path: String,
    },
    /// Print the md5 of a tracked file.
    Md5 {
        /// The file.
        path: String,
    },
}

/// Arguments of `cache dir`.
#[derive(Debug, clap::Args)]
struct CacheDirArgs {
    #[command(flatten)]
    level: super::config::LevelArgs,
    /// Unset option.
    #[arg(short = 'u', long)]
    unset: bool,
    /// Path to cache directory. Relative paths are resolved relative to the current
    /// directory and saved to config relative to the config file location. If no path
    /// is provided, it returns the current cache directory.
    value: Option<String>,
}

/// Arguments of `cache migrate`.
#[derive(Debug, clap::Args)]
struct CacheMigrateArgs {
    /// Migrate entries in all existing DVC files in the repository to the DVC 3.0 format.
    #[arg(long)]
    dvc_files: bool,
    /// Only print actions which would be taken without actually migrating any data.
    #[arg(long)]
    dry: bool,
}

/// `cache dir`, as dvc's `CmdCacheDir`: show the merged value (or the default
/// `.dvc/cache`), or one level's; set or unset it at a level (the project's by default).
/// A relative value is stored relative to the config file, as `dvc config` stores paths.
fn cache_dir(ctx: &Context, args: CacheDirArgs) -> CommandResult {
    use crate::data::config::{Level, OptionName};
    let session = super::config::load_session(&ctx.env)?;
    let level = args.level.level();
    let option = OptionName::parse("cache.dir").map_err(CommandError::from)?;
    if args.value.is_none() && !args.unset {
        let levels = session.levels_for(level)?;
        let conf = match level {
            Some(l) => session.config.read_level_resolved(l),
            None => {
                let mut merged = crate::data::config::Table::new();
                for l in levels {
                    crate::data::config::merge(&mut merged, &session.config.read_level_resolved(l));
                }
                merged
            }
        };
        let shown = match option.check(&conf) {
            Ok(()) => option.get(&conf).map(|v| v.display()).unwrap_or_default(),
            Err(e) => match (&session.root, level) {
                (Some(root), None) => root.join(".dvc").join("cache").display().to_string(),
                _ => return Err(CommandError::from(e)),
            },
        };
        if !ctx.quiet {
            super::config::print(&format!("{shown}\n"));
        }
        return Ok(());
    }
    let level = level.unwrap_or(Level::Repo);
    let super::config::Session {
        mut config, cwd, ..
    } = session;
    let result = if args.unset {
        config.unset(level, "cache.dir")
    } else {
        config.set(
            level,
            "cache.dir",
            args.value.as_deref().unwrap_or_default(),
            &cwd,
        )
    };
    result.map_err(CommandError::from)
}

/// A tracked path resolved to its object.
pub struct Located {
    /// Object id.
    pub md5: String,
    /// Legacy layout.
    pub legacy: bool,
}

/// Resolve a user path to the object recorded for it.
pub fn locate(ctx: &Context, repo: &Repo, given: &str) -> Result<Located, CommandError> {
    let cwd = ctx.cwd()?;
    let abs = abs_targets(&cwd, &[given.to_string()]).remove(0);
    let rel = repo.rel(&abs).ok_or_else(|| {
        CommandError::failed(format!("'{given}' is outside of the DVC repository"))
    })?;
    let stages = repo.collect_stages()?;
    for st in &stages {
        for o in &st.outs {
            let Some(md5) = o.out.md5.clone() else {
                continue;
            };
            let legacy = o.out.is_legacy();
            if o.rel == rel {
                return Ok(Located { md5, legacy });
            }
            if let Some(sub) = rel.strip_prefix(&format!("{}/", o.rel)) {
                let bytes = repo.odb.read(&md5, legacy).map_err(|e| {
                    CommandError::context(
                        ErrorKind::Failed,
                        format!("cannot read the manifest of '{}'", o.rel),
                        e,
                    )
                    .hint("run `git dvc fetch` to download it")
                })?;
                let tree = Tree::parse(&bytes).map_err(|e| {
                    CommandError::context(
                        ErrorKind::Failed,
                        format!("corrupt manifest of '{}'", o.rel),
                        e,
                    )
                })?;
                if let Some(e) = tree.get(sub) {
                    return Ok(Located {
                        md5: e.md5.to_hex(),
                        legacy,
                    });
                }
                return Err(CommandError::failed(format!(
                    "'{given}' is not tracked in '{}'",
                    o.rel
                )));
            }
        }
    }
    Err(CommandError::failed(format!(
        "'{given}' is not tracked by DVC"
    )))
}

/// Run `cache`.
pub fn run(ctx: &Context, args: CacheArgs) -> CommandResult {
    let command = match args.command {
        CacheCommand::Dir(a) => return super::ui::quiet_errors(ctx, cache_dir(ctx, a)),
        CacheCommand::Migrate(a) => return super::ui::quiet_errors(ctx, cache_migrate(ctx, a)),
        other => other,
    };
    let repo = ctx.open_repo()?;
    match command {
        CacheCommand::Path { path } => {
            let l = locate(ctx, &repo, &path)?;
            println!("{}", repo.odb.path(&l.md5, l.legacy).display());
        }
        CacheCommand::Md5 { path } => {
            let l = locate(ctx, &repo, &path)?;
            println!("{}", l.md5);
        }
        CacheCommand::Dir(_) | CacheCommand::Migrate(_) => {}
    }
    Ok(())
}

/// `cache migrate [--dvc-files] [--dry]`, with dvc's messages.
fn cache_migrate(ctx: &Context, args: CacheMigrateArgs) -> CommandResult {
    use crate::data::migrate;
    let fail = |e: migrate::Error| CommandError::with_source(ErrorKind::Failed, e);
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo)?;
    if args.dry {
        let n = migrate::legacy_objects(&repo.odb).map_err(fail)?.len();
        ctx.out(format!(
            "{n} files will be re-hashed and migrated to the DVC 3.0 cache location."
        ));
    } else {
        let n = migrate::migrate_cache(&repo.odb).map_err(fail)?;
        ctx.out(format!("Migrated {n} files to DVC 3.0 cache location."));
    }
    if !args.dvc_files {
        return Ok(());
    }
    let stages = repo.collect_stages()?;
    let legacy = migrate::legacy_stages(&stages);
    if legacy.is_empty() {
        ctx.out("No DVC files in the repo to migrate to the 3.0 format.");
        return Ok(());
    }
    if args.dry {
        let mut files: Vec<String> = legacy
            .iter()
            .map(|s| migrate::stage_file_label(s))
            .collect();
        files.sort();
        files.dedup();
        ctx.out("Entries in following DVC files will be migrated to the 3.0 format:");
        ctx.out(
            files
                .iter()
                .map(|f| format!("\t{f}"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        return Ok(());
    }
    let mut scm = super::scm::Scm::open(&repo.root, &repo.config);
    for st in legacy {
        let migrated = migrate::migrate_stage(&repo, st).map_err(fail)?;
        if migrated.is_empty() {
            continue;
        }
        if st.kind == crate::data::repo::StageKind::DvcFile {
            ctx.out(format!("Updating DVC file '{}'", st.file));
        }
        if let Some(scm) = scm.as_mut() {
            for o in st.outs.iter().filter(|o| migrated.contains(&o.rel)) {
                let (dir, name) = o.gitignore_slot(&repo.root);
                scm.ignore(dir, name).map_err(|e| {
                    CommandError::context(ErrorKind::Failed, "cannot update .gitignore", e)
                })?;
            }
            scm.stage(repo.root.join(&st.file));
        }
    }
    if let Some(scm) = scm.as_mut() {
        scm.flush()
            .map_err(|e| CommandError::context(ErrorKind::Failed, "git add failed", e))?;
    }
    Ok(())
}

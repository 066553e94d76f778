//! Hidden entry points called by git: `hook`, `merge-driver`, `textconv`.

use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::data::dvcfile;
use crate::data::merge;
use crate::data::repo::Repo;
use crate::data::transfer;
use crate::data::tree::Tree;

/// `git dvc hook <name> [args]`.
#[derive(Debug, clap::Args)]
pub struct HookArgs {
    /// Hook name.
    pub name: String,
    /// Hook arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// `git dvc merge-driver --ancestor %O --our %A --their %B`.
#[derive(Debug, clap::Args)]
pub struct MergeDriverArgs {
    /// Ancestor version.
    #[arg(long)]
    pub ancestor: String,
    /// Our version (the result is written here).
    #[arg(long)]
    pub our: String,
    /// Their version.
    #[arg(long)]
    pub their: String,
}

/// `git dvc textconv <file>`.
#[derive(Debug, clap::Args)]
pub struct TextconvArgs {
    /// File to render.
    pub path: String,
}

/// Run a hook; its return value is the hook's exit code.
pub fn hook(ctx: &Context, args: HookArgs) -> CommandResult {
    let mut stdin = std::io::stdin().lock();
    match crate::hooks::run_hook(&args.name, &args.args, &mut stdin, &ctx.env)? {
        0 => Ok(()),
        code => Err(CommandError::silent(u8::try_from(code).unwrap_or(1))),
    }
}

fn open_repo_quietly(ctx: &Context) -> Option<Repo> {
    let cwd = ctx.cwd().ok()?;
    let root = Repo::find_root(&cwd)?;
    ctx.open_repo_at(&root).ok()
}

/// Load the single directory out's manifest of a `.dvc` text.
pub fn merge_driver(ctx: &Context, args: MergeDriverArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let read = |p: &str| {
        fs_err::read_to_string(p)
            .map_err(|e| CommandError::context(ErrorKind::Failed, format!("cannot read '{p}'"), e))
    };
    let (ancestor, ours, theirs) = (read(&args.ancestor)?, read(&args.our)?, read(&args.their)?);
    let merged = merge::merge_pointers(&repo.odb, &ancestor, &ours, &theirs).map_err(|e| {
        let missing = matches!(e, merge::Error::MissingManifest { .. });
        let err = CommandError::with_source(ErrorKind::Failed, e);
        if missing {
            err.hint("run `git dvc fetch` so the manifests are in the cache")
        } else {
            err
        }
    })?;
    if let merge::Merged::Text(text) = merged {
        crate::data::atomic::write(std::path::Path::new(&args.our), text).map_err(|e| {
            CommandError::context(ErrorKind::Failed, format!("cannot write '{}'", args.our), e)
        })?;
    }
    Ok(())
}

pub fn textconv(ctx: &Context, args: TextconvArgs) -> CommandResult {
    let bytes = fs_err::read(&args.path).map_err(|e| {
        CommandError::context(ErrorKind::Failed, format!("cannot read '{}'", args.path), e)
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let outs = match dvcfile::parse(&text) {
        Ok(f) => f.outs,
        Err(_) => match dvcfile::parse_lock(&text) {
            Ok(l) => l.stages.into_iter().flat_map(|s| s.outs).collect(),
            Err(_) => {
                print!("{text}");
                return Ok(());
            }
        },
    };
    let repo = open_repo_quietly(ctx);
    if let Some(r) = &repo {
        let manifests: Vec<transfer::Object> = outs
            .iter()
            .filter(|o| o.is_dir())
            .filter_map(|o| Some(transfer::Object::new(o.md5.clone()?, o.is_legacy())))
            .collect();
        transfer::fetch_manifests_quietly(r, None, &manifests);
    }
    let mut lines = String::new();
    for o in outs {
        let md5 = o.md5.clone().unwrap_or_else(|| "-".into());
        let legacy = o.is_legacy();
        if !o.is_dir() {
            let size = o.size.map(|s| format!(" {s}")).unwrap_or_default();
            lines.push_str(&format!("{} {md5}{size}\n", o.path));
            continue;
        }
        let tree = repo
            .as_ref()
            .and_then(|r| r.odb.read(&md5, legacy).ok())
            .and_then(|b| Tree::parse(&b).ok());
        match (tree, repo.as_ref()) {
            (Some(t), Some(r)) => {
                for e in &t.entries {
                    let size = fs_err::metadata(r.odb.path(&e.md5.hex(), legacy))
                        .map(|m| format!(" {}", m.len()))
                        .unwrap_or_default();
                    lines.push_str(&format!("{}/{} {}{size}\n", o.path, e.relpath, e.md5));
                }
            }
            _ => lines.push_str(&format!("{}/ {md5} (manifest not in the cache)\n", o.path)),
        }
    }
    print!("{lines}");
    Ok(())
}

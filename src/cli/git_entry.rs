//! Hidden entry points called by git: `hook`, `merge-driver`, `textconv`.

use super::{CommandError, CommandResult, Context};
use crate::data::dvcfile::{self, OutUpdate};
use crate::data::repo::Repo;
use crate::data::tree::{self, Tree};

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
fn dir_out(
    repo: &Repo,
    text: &str,
    which: &str,
) -> Result<(dvcfile::DvcFile, Option<Tree>), CommandError> {
    if text.trim().is_empty() {
        return Ok((dvcfile::DvcFile::default(), None));
    }
    let parsed = dvcfile::parse(text)
        .map_err(|e| CommandError::failed(format!("cannot parse the {which} version: {e}")))?;
    let tree = match parsed
        .outs
        .first()
        .and_then(|o| o.md5.clone().map(|m| (m, o.is_legacy())))
    {
        Some((md5, legacy)) if md5.ends_with(".dir") => {
            let bytes = repo.odb.read(&md5, legacy).map_err(|e| {
                CommandError::failed(format!("{which}: {e}"))
                    .hint("run `git dvc fetch` so the manifests are in the cache")
            })?;
            Some(Tree::parse(&bytes).map_err(|e| {
                CommandError::failed(format!("{which}: corrupt manifest {md5}: {e}"))
            })?)
        }
        _ => None,
    };
    Ok((parsed, tree))
}

/// The merge driver: a three-way merge of directory outs at the `.dir` level (DVC's
/// driver contract: `%O %A %B`, result written to `%A`, exit 1 on conflict).
pub fn merge_driver(ctx: &Context, args: MergeDriverArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map_err(|e| CommandError::failed(format!("cannot read '{p}': {e}")))
    };
    let (a_text, o_text, t_text) = (read(&args.ancestor)?, read(&args.our)?, read(&args.their)?);
    let (ours, our_tree) = dir_out(&repo, &o_text, "our")?;
    let (theirs, their_tree) = dir_out(&repo, &t_text, "their")?;
    let (ancestor, anc_tree) = dir_out(&repo, &a_text, "ancestor")?;
    let o_md5 = ours.outs.first().and_then(|o| o.md5.clone());
    let t_md5 = theirs.outs.first().and_then(|o| o.md5.clone());
    let a_md5 = ancestor.outs.first().and_then(|o| o.md5.clone());
    // Trivial cases first: one side unchanged, or both sides equal.
    if o_md5 == t_md5 || t_md5 == a_md5 {
        return Ok(());
    }
    if o_md5 == a_md5 {
        std::fs::write(&args.our, &t_text)
            .map_err(|e| CommandError::failed(format!("cannot write '{}': {e}", args.our)))?;
        return Ok(());
    }
    let path = ours
        .outs
        .first()
        .map(|o| o.path.clone())
        .unwrap_or_default();
    let conflict = |paths: Vec<String>| {
        let mut msg = String::from("unable to auto-merge the following paths:\n");
        msg.push_str(&if paths.is_empty() {
            path.clone()
        } else {
            paths.join("\n")
        });
        CommandError::failed(msg)
    };
    if ours.outs.len() != 1 || theirs.outs.len() != 1 {
        return Err(conflict(Vec::new()));
    }
    let (Some(our_tree), Some(their_tree)) = (our_tree, their_tree) else {
        return Err(conflict(Vec::new()));
    };
    let anc_tree = anc_tree.unwrap_or_else(|| Tree::new(Vec::new()));
    let merged = tree::merge(&anc_tree, &our_tree, &their_tree).map_err(conflict)?;
    let legacy = ours.outs[0].is_legacy();
    let oid = merged.oid();
    repo.odb
        .put_bytes(&oid, legacy, &merged.to_bytes())
        .map_err(|e| CommandError::failed(e.to_string()))?;
    let size: u64 = merged
        .entries
        .iter()
        .map(|e| {
            std::fs::metadata(repo.odb.path(&e.md5, legacy))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum();
    let update = OutUpdate {
        md5: Some(oid),
        size: Some(size),
        nfiles: Some(merged.entries.len() as u64),
        isexec: false,
        hash: ours.outs[0].hash.clone(),
    };
    let text = dvcfile::rewrite(&o_text, &[(0, update)])
        .map_err(|e| CommandError::failed(format!("cannot write the merge: {e}")))?;
    std::fs::write(&args.our, text)
        .map_err(|e| CommandError::failed(format!("cannot write '{}': {e}", args.our)))?;
    Ok(())
}

/// textconv: one line per tracked file (`path md5 [size]`), so `git diff` shows which
/// files inside a directory changed. Unparseable input is printed unchanged.
pub fn textconv(ctx: &Context, args: TextconvArgs) -> CommandResult {
    let bytes = std::fs::read(&args.path)
        .map_err(|e| CommandError::failed(format!("cannot read '{}': {e}", args.path)))?;
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
                    let size = std::fs::metadata(r.odb.path(&e.md5, legacy))
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

//! `add`: start tracking files or directories (or update them), then ignore and stage.

use super::context::abs_targets;
use super::error::ErrorKind;
use super::scm::Scm;
use super::{CommandError, CommandResult, Context};
use crate::data::commit;
use std::path::Path;

/// Arguments of `add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// Files or directories to track.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// Write the `.dvc` file without putting the data into the cache.
    #[arg(long = "no-commit")]
    pub no_commit: bool,
    /// Targets may contain shell-style wildcards.
    #[arg(long = "glob")]
    pub glob: bool,
    /// Copy the (one) target to this path in the workspace and track it there.
    #[arg(short = 'o', long = "out", value_name = "path")]
    pub out: Option<String>,
    /// Send the data straight to a remote: not supported by git-dvc yet (refused).
    #[arg(long = "to-remote")]
    pub to_remote: bool,
    /// With `--to-remote`: the remote.
    #[arg(short = 'r', long = "remote", value_name = "name")]
    pub remote: Option<String>,
    /// With `--to-remote`: upload jobs.
    #[arg(long = "remote-jobs", value_name = "number")]
    pub remote_jobs: Option<usize>,
    /// With `--out`: replace what is already at the destination.
    #[arg(short = 'f', long = "force")]
    pub force: bool,
    /// Leave the workspace as it is: no link to the cache, no mode change.
    #[arg(long = "no-relink")]
    pub no_relink: bool,
}

/// dvc's `CmdAdd.validate_args`, with its words.
fn validate(args: &AddArgs) -> CommandResult {
    let invalid = if args.to_remote || args.out.is_some() {
        let with = if args.to_remote {
            "--to-remote"
        } else {
            "--out"
        };
        let opt = if args.targets.len() != 1 {
            Some("multiple targets")
        } else if args.glob {
            Some("--glob option")
        } else if args.no_commit {
            Some("--no-commit option")
        } else {
            None
        };
        opt.map(|o| format!("{o} can't be used with {with}"))
    } else if args.remote.is_some() {
        Some("--remote can't be used without --to-remote".into())
    } else if args.remote_jobs.is_some() {
        Some("--remote-jobs can't be used without --to-remote".into())
    } else {
        None
    };
    match invalid {
        Some(m) => Err(CommandError::failed(m)),
        None => Ok(()),
    }
}

/// dvc's `resolve_output`: the destination of `add SRC -o OUT` (inside OUT when it is a
/// directory), refused when something is there unless `--force`.
fn resolve_output(cwd: &Path, src: &str, out: &str, force: bool) -> Result<String, CommandError> {
    let name = Path::new(src.trim_end_matches('/'))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dest = if cwd.join(out).is_dir() {
        format!("{}/{name}", out.trim_end_matches('/'))
    } else {
        out.to_string()
    };
    let abs = cwd.join(&dest);
    if fs_err::symlink_metadata(&abs).is_ok() && !force {
        let kind = if abs.is_dir() { "directory" } else { "file" };
        return Err(CommandError::failed(format!(
            "The {kind} '{dest}' already exists locally. \nTo override it, re-run with '--force'."
        )));
    }
    Ok(dest)
}

/// Copy a file or a directory tree (what `add -o` brings into the workspace).
fn copy_tree(src: &Path, dest: &Path) -> std::io::Result<()> {
    let meta = fs_err::metadata(src)?;
    if meta.is_dir() {
        fs_err::create_dir_all(dest)?;
        for entry in fs_err::read_dir(src)? {
            let entry = entry?;
            copy_tree(&entry.path(), &dest.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        if let Some(parent) = dest.parent() {
            fs_err::create_dir_all(parent)?;
        }
        fs_err::copy(src, dest).map(|_| ())
    }
}

/// Run `add`.
pub fn run(ctx: &Context, mut args: AddArgs) -> CommandResult {
    validate(&args)?;
    if args.to_remote {
        return Err(CommandError::new(
            ErrorKind::Usage,
            "`add --to-remote` is out of scope in git-dvc for now: it does not upload data it has not cached",
        )
        .hint("run `git dvc add` and then `git dvc push`, or use `dvc add --to-remote`"));
    }
    let repo = ctx.open_repo()?;
    let cwd = ctx.cwd()?;
    args.targets = super::context::glob_targets(&cwd, &args.targets, args.glob)?;
    if let Some(out) = &args.out {
        let src = &args.targets[0];
        let dest = resolve_output(&cwd, src, out, args.force)?;
        let (from, to) = (cwd.join(src), cwd.join(&dest));
        if fs_err::symlink_metadata(&to).is_ok() {
            let removed = if to.is_dir() {
                fs_err::remove_dir_all(&to)
            } else {
                fs_err::remove_file(&to)
            };
            removed.map_err(|e| CommandError::context(ErrorKind::Failed, "cannot replace", e))?;
        }
        copy_tree(&from, &to).map_err(|e| {
            CommandError::context(ErrorKind::Failed, format!("cannot copy '{src}'"), e)
        })?;
        args.targets = vec![dest];
    }
    let targets = abs_targets(&cwd, &args.targets);
    let _lock = ctx.lock_for_write(&repo, &targets)?;
    let mut scm = Scm::open(&repo.root, &repo.config);
    let stages = repo.collect_stages()?;
    // dvc checks every target before it writes anything.
    for (t, given) in targets.iter().zip(&args.targets) {
        commit::check_add_target(&repo, t, &stages, git_index(&scm))
            .map_err(|e| add_error(e, given))?;
    }
    for (t, given) in targets.iter().zip(&args.targets) {
        let outcome = commit::add(
            &repo,
            t,
            &stages,
            args.no_commit,
            !args.no_relink,
            git_index(&scm),
        )
        .map_err(|e| add_error(e, given))?;
        if let Some(scm) = scm.as_mut() {
            if let Some((dir, name)) = &outcome.ignore {
                scm.ignore(dir, name).map_err(|e| {
                    CommandError::context(ErrorKind::Failed, "cannot update .gitignore", e)
                })?;
            }
            scm.stage(repo.root.join(&outcome.dvcfile));
        }
    }
    if let Some(scm) = scm.as_mut() {
        let hint = scm
            .flush()
            .map_err(|e| CommandError::context(ErrorKind::Failed, "git add failed", e))?;
        if let Some(hint) = hint {
            ctx.out(hint);
        }
    }
    Ok(())
}

fn git_index(scm: &Option<Scm>) -> Option<&dyn commit::GitIndex> {
    scm.as_ref().map(|s| s as &dyn commit::GitIndex)
}

fn add_error(e: commit::Error, given: &str) -> CommandError {
    match e {
        commit::Error::TrackedByScm(_) => CommandError::failed(format!(
            " output '{given}' is already tracked by SCM (e.g. Git).\n    You can remove it from Git, then add to DVC.\n        To stop tracking from Git:\n            git rm -r --cached '{given}'\n            git commit -m \"stop tracking {given}\" "
        )),
        commit::Error::GitIgnoreOut(ref rel) => {
            let hint = format!("track it with git instead: `git add {rel}`");
            CommandError::with_source(ErrorKind::Failed, e).hint(hint)
        }
        commit::Error::Missing { abs, .. } => CommandError::failed(format!(
            "output '{given}' does not exist: [Errno 2] No such file or directory: '{abs}'"
        )),
        commit::Error::Repo(r) => CommandError::from(r),
        // dvc treats this one as an unhandled error (exit 255).
        commit::Error::Status(crate::data::status::Error::Walk(
            w @ crate::data::walk::Error::NestedDvcIgnore(_),
        ))
        | commit::Error::Walk(w @ crate::data::walk::Error::NestedDvcIgnore(_)) => {
            CommandError::new(ErrorKind::Unhandled, w)
        }
        other => CommandError::with_source(ErrorKind::Failed, other),
    }
}

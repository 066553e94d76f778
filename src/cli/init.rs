//! `init`: create `.dvc/` exactly as dvc 3.67.1 does (spec §5.3) and stage it with git.

use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::git::Git;

/// Arguments of `init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Initialize without a git repository.
    #[arg(long = "no-scm")]
    pub no_scm: bool,
    /// Overwrite an existing `.dvc/`.
    #[arg(short, long)]
    pub force: bool,
    /// Initialize in a subdirectory of a git repository.
    #[arg(long)]
    pub subdir: bool,
    /// The directory to initialize (default: the current directory).
    pub directory: Option<std::path::PathBuf>,
}

/// The `.dvcignore` dvc writes (139 bytes).
pub const DVCIGNORE_TEXT: &str = "# Add patterns of files dvc should ignore, which could improve\n# the performance. Learn more at\n# https://dvc.org/doc/user-guide/dvcignore\n";
/// `.dvc/.gitignore`.
pub const DVC_GITIGNORE_TEXT: &str = "/config.local\n/tmp\n/cache\n";

fn fail(msg: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorKind::Failed, format!("failed to initiate DVC - {msg}"))
}

/// Run `init`.
pub fn run(ctx: &Context, args: InitArgs) -> CommandResult {
    let cwd = match &args.directory {
        Some(d) => crate::data::pathsafe::normalize(&ctx.cwd()?.join(d)),
        None => ctx.cwd()?,
    };
    let git = Git::new(&cwd);
    let in_git = !args.no_scm && git.is_inside_work_tree();
    if !args.no_scm {
        let top = if in_git {
            git.show_toplevel().ok()
        } else {
            None
        };
        let at_top = top.as_ref().is_some_and(|t| same_dir(t, &cwd));
        if !at_top && !args.subdir {
            return Err(fail(format!(
                "{} is not tracked by any supported SCM tool (e.g. Git). Use `--no-scm` if you don't want to use any SCM or `--subdir` if initializing inside a subdirectory of a parent SCM repository.",
                cwd.display()
            )));
        }
    }
    let dvc_dir = cwd.join(".dvc");
    if dvc_dir.exists() {
        if !args.force {
            return Err(fail("'.dvc' exists. Use `-f` to force."));
        }
        fs_err::remove_dir_all(&dvc_dir).map_err(|e| fail(format!("cannot remove '.dvc': {e}")))?;
    }
    let tmp = dvc_dir.join("tmp");
    fs_err::create_dir_all(&tmp).map_err(fail)?;
    let config = if args.no_scm {
        "[core]\n    no_scm = True\n"
    } else {
        ""
    };
    crate::data::atomic::write(&dvc_dir.join("config"), config).map_err(fail)?;
    if !args.no_scm {
        crate::data::atomic::write(&dvc_dir.join(".gitignore"), DVC_GITIGNORE_TEXT)
            .map_err(fail)?;
    }
    crate::data::atomic::write(&cwd.join(".dvcignore"), DVCIGNORE_TEXT).map_err(fail)?;
    fs_err::write(tmp.join("btime"), "").map_err(fail)?;
    if in_git {
        git.add(&[".dvc/.gitignore", ".dvc/config", ".dvcignore"])
            .map_err(fail)?;
    }
    if !ctx.quiet {
        let mut text = String::from("Initialized DVC repository.\n\n");
        if in_git {
            text.push_str("You can now commit the changes to git.\n\n");
        }
        text.push_str("What's next?\n------------\n- Check out the documentation: <https://dvc.org/doc>\n- Get help and share ideas: <https://dvc.org/chat>\n- Star us on GitHub: <https://github.com/treeverse/dvc>\n");
        print!("{text}");
    }
    Ok(())
}

fn same_dir(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

//! `check-ignore`: which paths `.dvcignore` (and DVC's fixed exclusions) exclude, printed
//! as `dvc check-ignore` prints them. Exit 0 when some target was reported as matched, 1
//! otherwise; argument conflicts are dvc's `DvcException`s (exit 255).

use super::{CommandError, CommandResult, Context};
use crate::data::ignore;
use std::io::BufRead;

/// Arguments of `check-ignore`.
#[derive(Debug, clap::Args)]
pub struct CheckIgnoreArgs {
    /// Show the exclude patterns along with each target path.
    #[arg(short = 'd', long)]
    pub details: bool,
    /// Show every pattern that matched (dvc keeps this flag hidden).
    #[arg(short = 'a', long, hide = true)]
    pub all: bool,
    /// Include the target paths which don't match any pattern in the `--details` list.
    #[arg(short = 'n', long)]
    pub non_matching: bool,
    /// Read paths from standard input instead of providing `targets`.
    #[arg(long)]
    pub stdin: bool,
    /// File or directory paths to check.
    pub targets: Vec<String>,
}

/// Run `check-ignore`.
pub fn run(ctx: &Context, args: CheckIgnoreArgs) -> CommandResult {
    let repo = ctx.open_repo()?;
    let conflict = if !args.stdin && args.targets.is_empty() {
        Some("`targets` or `--stdin` needed")
    } else if args.stdin && !args.targets.is_empty() {
        Some("cannot have both `targets` and `--stdin`")
    } else if args.non_matching && !args.details {
        Some("`--non-matching` is only valid with `--details`")
    } else if args.all && !args.details {
        Some("`--all` is only valid with `--details`")
    } else if ctx.quiet && args.details {
        Some("cannot use both `--details` and `--quiet`")
    } else {
        None
    };
    if let Some(msg) = conflict {
        // dvc's `-q` silences its own error messages too.
        if ctx.quiet {
            return Err(CommandError::silent(255));
        }
        return Err(CommandError::unhandled(msg));
    }
    let cwd = ctx.cwd()?;
    let mut any = false;
    let mut check = |target: &str| -> CommandResult {
        let abs = crate::data::pathsafe::normalize(&cwd.join(target));
        let result = ignore::check_ignore(&repo.root, &abs)
            .map_err(|e| CommandError::with_source(super::error::ErrorKind::Failed, e))?;
        if args.details {
            let pattern = match (&result.pattern, args.non_matching) {
                (Some(p), _) => Some(p.as_str()),
                (None, true) => Some("::"),
                (None, false) => None,
            };
            if let Some(p) = pattern {
                ctx.out(format!("{p}\t{target}"));
            }
            any |= result.pattern.is_some();
        } else if result.ignored {
            ctx.out(target);
            any = true;
        }
        Ok(())
    };
    if args.stdin {
        // dvc's interactive mode: one path per line until an empty line or EOF.
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if line.is_empty() {
                break;
            }
            check(&line)?;
        }
    } else {
        for t in &args.targets {
            check(t)?;
        }
    }
    if any {
        Ok(())
    } else {
        Err(CommandError::silent(1))
    }
}

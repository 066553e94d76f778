//! `checkout`: restore outs from the cache, with DVC's output and refusal rules.

use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::data::checkout::{self, CheckoutOptions, OnUnsaved};

/// Arguments of `checkout`.
#[derive(Debug, clap::Args)]
pub struct CheckoutArgs {
    /// Limit to these `.dvc` files or outs.
    pub targets: Vec<String>,
    /// Re-create links even for unchanged files.
    #[arg(long)]
    pub relink: bool,
    /// Overwrite or delete unsaved workspace data without asking.
    #[arg(short, long)]
    pub force: bool,
}

/// Run `checkout`.
pub fn run(ctx: &Context, args: CheckoutArgs) -> CommandResult {
    let (repo, cwd, stages, _lock) = ctx.open_targets_for_write(&args.targets)?;
    let opts = CheckoutOptions {
        on_unsaved: if args.force {
            OnUnsaved::Overwrite
        } else {
            OnUnsaved::Fail
        },
        relink: args.relink,
    };
    let report = checkout::checkout(&repo, &stages, opts)
        .map_err(|e| CommandError::from_error(ErrorKind::Unhandled, &e))?;
    if !ctx.quiet {
        let mut text = String::new();
        for (rel, is_dir, change) in &report.changes {
            // `--relink` rewrites are not reported by dvc; exec-bit-only ones are.
            if args.relink && *change == checkout::Change::Modified && !report.touched.contains(rel)
            {
                continue;
            }
            let shown = relative_to_cwd(&repo.root.join(rel), &cwd);
            text.push_str(&format!(
                "{}       {}{}\n",
                change.letter(),
                shown,
                if *is_dir { "/" } else { "" }
            ));
        }
        print!("{text}");
        if args.relink {
            println!("Relinked successfully");
        }
    }
    for e in &report.errors {
        eprintln!("ERROR: {e}");
    }
    if !report.missing.is_empty() {
        return Err(CommandError::unhandled(format!(
            "Checkout failed for following targets:\n{}\nIs your cache up to date?\n<https://error.dvc.org/missing-files>",
            report
                .missing
                .iter()
                .map(|r| relative_to_cwd(&repo.root.join(r), &cwd))
                .collect::<Vec<_>>()
                .join("\n")
        )));
    }
    if !report.errors.is_empty() {
        return Err(CommandError::silent(255));
    }
    Ok(())
}

/// `path` as dvc shows it: relative to the working directory (with `../` when outside).
pub fn relative_to_cwd(path: &std::path::Path, cwd: &std::path::Path) -> String {
    let p: Vec<_> = path.components().collect();
    let c: Vec<_> = cwd.components().collect();
    let common = p.iter().zip(&c).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); c.len() - common];
    parts.extend(
        p[common..]
            .iter()
            .map(|x| x.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

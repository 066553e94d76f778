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
    /// Print a summary of the changes instead of one line per out.
    #[arg(long)]
    pub summary: bool,
    /// Also the stages that produce the target stages' dependencies.
    #[arg(short = 'd', long = "with-deps")]
    pub with_deps: bool,
    /// A directory target means every stage file inside it.
    #[arg(short = 'R', long = "recursive")]
    pub recursive: bool,
    /// Do not fail when some files or directories are missing from the cache.
    #[arg(long = "allow-missing")]
    pub allow_missing: bool,
}

/// Run `checkout`.
pub fn run(ctx: &Context, args: CheckoutArgs) -> CommandResult {
    // dvc's checkout lets every error out of the command (exit 255), a stage that
    // cannot be loaded included.
    let options = crate::data::repo::TargetOptions {
        recursive: args.recursive,
        with_deps: args.with_deps,
    };
    let (repo, cwd, stages, _lock) = ctx.open_targets_for_write(&args.targets, options, |e| {
        if let crate::data::repo::TargetError::NotTracked(rel, _) = &e {
            // dvc's checkout guesses the user meant git's.
            return CommandError::unhandled(format!("Did you mean `git checkout {rel}`?: {e}"));
        }
        let mut e = CommandError::from(e);
        if e.kind == ErrorKind::Failed {
            e.kind = ErrorKind::Unhandled;
        }
        e
    })?;
    let opts = CheckoutOptions {
        on_unsaved: if args.force {
            OnUnsaved::Overwrite
        } else {
            OnUnsaved::Fail
        },
        relink: args.relink,
    };
    let report = checkout::checkout(&repo, &stages, opts)
        .map_err(|e| CommandError::with_source(ErrorKind::Unhandled, e))?;
    if args.summary && !ctx.quiet {
        let s = report.stats;
        println!(
            "{}",
            super::ui::summary_line(&[
                (s.modified, "modified"),
                (s.added, "added"),
                (s.deleted, "deleted"),
            ])
            .unwrap_or_else(|| "No changes.".into())
        );
    } else if !ctx.quiet {
        let mut lines = Vec::new();
        for (rel, is_dir, change) in &report.changes {
            // `--relink` rewrites are not reported by dvc; exec-bit-only ones are.
            if args.relink && *change == checkout::Change::Modified && !report.touched.contains(rel)
            {
                continue;
            }
            let shown = super::ui::relative_to_cwd(&repo.root.join(rel), &cwd);
            let shown = format!("{shown}{}", if *is_dir { "/" } else { "" });
            lines.push((*change, *is_dir, shown));
        }
        // dvc's `log_changes`: modified, then added, then deleted; in each, directories
        // first, then files, alphabetically (`dvc/repo/checkout.py`), whatever the order
        // of the stages.
        let group = |c: checkout::Change| match c {
            checkout::Change::Modified => 0,
            checkout::Change::Added => 1,
            checkout::Change::Deleted => 2,
        };
        lines.sort_by(|a, b| (group(a.0), !a.1, &a.2).cmp(&(group(b.0), !b.1, &b.2)));
        let mut text = String::new();
        for (change, _, shown) in &lines {
            text.push_str(&format!("{}       {shown}\n", change.letter()));
        }
        print!("{text}");
    }
    if args.relink && !ctx.quiet && (report.missing.is_empty() || args.allow_missing) {
        println!("Relinked successfully");
    }
    for e in &report.errors {
        eprintln!("ERROR: {e}");
    }
    if !report.missing.is_empty() && !args.allow_missing {
        return Err(CommandError::unhandled(format!(
            "Checkout failed for following targets:\n{}\nIs your cache up to date?\n<https://error.dvc.org/missing-files>",
            report
                .missing
                .iter()
                .map(|r| super::ui::relative_to_cwd(&repo.root.join(r), &cwd))
                .collect::<Vec<_>>()
                .join("\n")
        )));
    }
    if !report.errors.is_empty() {
        return Err(CommandError::silent(255));
    }
    Ok(())
}

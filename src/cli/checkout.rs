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
    let stages = crate::worktree::fs_cache::resolve_for_checkout(&repo, &stages);
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
        let mut e = CommandError::unhandled(format!(
            "Checkout failed for following targets:\n{}\nIs your cache up to date?\n<https://error.dvc.org/missing-files>",
            report
                .missing
                .iter()
                .map(|r| super::ui::relative_to_cwd(&repo.root.join(r), &cwd))
                .collect::<Vec<_>>()
                .join("\n")
        ));
        e.hints = missing_hints(&repo, &cwd, &report.missing, None);
        return Err(e);
    }
    if !report.errors.is_empty() {
        return Err(CommandError::silent(255));
    }
    Ok(())
}

/// After dvc's "Checkout failed" block: for each out, which objects are missing and
/// where they were looked for (the cache; with `remote`, that remote too), then what to
/// run. `missing` holds repo-relative out paths.
pub fn missing_hints(
    repo: &crate::data::repo::Repo,
    cwd: &std::path::Path,
    missing: &[String],
    remote: Option<&str>,
) -> Vec<String> {
    let Ok(stages) = repo.collect_stages() else {
        return Vec::new();
    };
    let shown = |p: &std::path::Path| super::ui::relative_to_cwd(p, cwd);
    let place = match remote {
        Some(r) => format!("in the cache nor on remote '{r}'"),
        None => "in the cache".to_string(),
    };
    let mut hints = Vec::new();
    let mut hashless = Vec::new();
    for rel in missing {
        let Some((st, o)) = stages
            .iter()
            .flat_map(|s| s.outs.iter().map(move |o| (s, o)))
            .find(|(_, o)| &o.rel == rel)
        else {
            continue;
        };
        let Some(md5) = o.out.md5.as_deref() else {
            hints.push(format!(
                "'{}' has no hash yet (imported with --no-download), and its data was not fetched",
                shown(&o.abs)
            ));
            hashless.push(shown(&repo.root.join(&st.file)));
            continue;
        };
        let legacy = o.out.is_legacy();
        let name = shown(&o.abs);
        if crate::data::transfer::Object::parse(md5, legacy).is_none() {
            // Any string is a hash to dvc; no cache path is made of one that is not.
            let mut start: String = md5.chars().take(40).collect();
            if start.len() < md5.len() {
                start.push_str("...");
            }
            hints.push(format!(
                "'{name}': its recorded md5 '{start}' is not an md5, so no object can match it"
            ));
            continue;
        }
        if !md5.ends_with(".dir") {
            hints.push(format!(
                "'{name}': object {md5} is not {place} ({})",
                shown(&repo.odb.path(md5, legacy))
            ));
            continue;
        }
        let tree = repo
            .odb
            .read(md5, legacy)
            .ok()
            .and_then(|b| crate::data::tree::Tree::parse(&b).ok());
        match tree {
            None => hints.push(format!(
                "'{name}': its manifest {md5} is not {place} ({}), so none of its files can be restored",
                shown(&repo.odb.path(md5, legacy))
            )),
            Some(t) => {
                let absent: Vec<&str> = t
                    .entries
                    .iter()
                    .filter(|e| !repo.odb.exists(&e.md5.hex(), legacy))
                    .map(|e| e.relpath.as_str())
                    .collect();
                let mut h = format!(
                    "'{name}': {} of its {} files are not {place}",
                    absent.len(),
                    t.entries.len()
                );
                if let Some(first) = absent.first() {
                    h.push_str(&format!(", e.g. '{}'", shown(&o.abs.join(first))));
                }
                hints.push(h);
            }
        }
    }
    if hashless.len() == missing.len() {
        // Only imports: their data comes from their sources, not a remote.
        hints.push(format!(
            "run `git dvc pull {}` to fetch it from the import's source",
            hashless.join(" ")
        ));
        return hints;
    }
    let targets: Vec<String> = missing.iter().map(|r| shown(&repo.root.join(r))).collect();
    match (remote, repo.config.default_remote()) {
        (Some(_), _) => hints.push(
            "push them there from a repository that has them (`git dvc push`), then pull again"
                .to_string(),
        ),
        (None, Ok(Some(name))) => hints.push(format!(
            "run `git dvc pull {}` to fetch them from remote '{}'",
            targets.join(" "),
            name.name
        )),
        _ => hints.push(
            "no default remote is configured: add the one that holds the data with `git dvc remote add -d <name> <url>`, then `git dvc pull`"
                .to_string(),
        ),
    }
    hints
}

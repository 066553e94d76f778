//! `commit`: record workspace changes of tracked outs in their pointers and the cache.
//!
//! Like dvc (`dvc/commands/commit.py`, `dvc/repo/commit.py`), targets are committed one at
//! a time and an error names the target it happened in (`failed to commit x.dvc - …`).
//! Within a target, stages are taken file by file: every out of a stage must exist
//! (`output 'x' does not exist`, exit 1, also with `--force`), and a stage file is written
//! only when all its stages were saved.

use super::error::ErrorKind;
use super::scm::Scm;
use super::{CommandError, CommandResult, Context};
use crate::data::commit;
use crate::data::repo::{Repo, Stage, StageKind};
use crate::data::status::{self, OutState};
use std::path::Path;

/// Arguments of `commit`.
#[derive(Debug, clap::Args)]
pub struct CommitArgs {
    /// Limit to these `.dvc` files or outs.
    pub targets: Vec<String>,
    /// Commit even if the data changed (no prompt).
    #[arg(short, long)]
    pub force: bool,
    /// Also the stages that produce the target stages' dependencies.
    #[arg(short = 'd', long = "with-deps")]
    pub with_deps: bool,
    /// A directory target means every stage file inside it.
    #[arg(short = 'R', long = "recursive")]
    pub recursive: bool,
    /// Leave the workspace as it is: no link to the cache, no mode change.
    #[arg(long = "no-relink")]
    pub no_relink: bool,
}

/// Run `commit`.
pub fn run(ctx: &Context, args: CommitArgs) -> CommandResult {
    let options = crate::data::repo::TargetOptions {
        recursive: args.recursive,
        with_deps: args.with_deps,
    };
    let (repo, cwd, _all, _lock) = ctx
        .open_targets_for_write(&args.targets, options, |e| {
            // dvc commits target by target, so its error names the target.
            let prefix = match &e {
                crate::data::repo::TargetError::NotTracked(rel, _) => {
                    format!("failed to commit {rel} - ")
                }
                _ => "failed to commit - ".to_string(),
            };
            super::error::targets_failed(&prefix, e)
        })
        .map_err(|e| e.lock_prefix("failed to commit - "))?;
    let mut scm = Scm::open(&repo.root, &repo.config);
    let targets: Vec<Option<&String>> = if args.targets.is_empty() {
        vec![None]
    } else {
        args.targets.iter().map(Some).collect()
    };
    let mut result = Ok(());
    for target in targets {
        let what = target.map(|t| format!(" {t}")).unwrap_or_default();
        let given: Vec<String> = target.into_iter().cloned().collect();
        let stages = repo
            .stages_for_targets_with(&super::context::abs_targets(&cwd, &given), options)
            .map_err(|e| super::error::targets_failed("failed to commit - ", e))?;
        if let Err(e) = commit_target(
            ctx,
            &repo,
            &cwd,
            &stages,
            (args.force, !args.no_relink),
            scm.as_mut(),
        ) {
            result = Err(match e {
                Failure::Message(m) => {
                    CommandError::new(ErrorKind::Failed, format!("failed to commit{what} - {m}"))
                }
                Failure::Command(e) => e,
            });
            break;
        }
    }
    // What was written before a failure stays staged, as dvc's scm_context does.
    if let Some(scm) = scm.as_mut() {
        scm.flush()
            .map_err(|e| CommandError::context(ErrorKind::Failed, "git add failed", e))?;
    }
    result
}

/// Why one target could not be committed.
enum Failure {
    /// dvc's words, to follow `failed to commit[ target] - `.
    Message(String),
    /// Anything else, already rendered.
    Command(CommandError),
}

fn commit_target(
    ctx: &Context,
    repo: &Repo,
    cwd: &Path,
    stages: &[Stage],
    (force, relink): (bool, bool),
    mut scm: Option<&mut Scm>,
) -> Result<(), Failure> {
    let fail = |e: &dyn std::error::Error| Failure::Message(e.to_string());
    // dvc groups the stages by their file and writes a file once all its stages are saved.
    let mut start = 0;
    while start < stages.len() {
        let file = &stages[start].file;
        let end = start
            + stages[start..]
                .iter()
                .take_while(|s| &s.file == file)
                .count();
        let mut written = Vec::new();
        for st in &stages[start..end] {
            // dvc saves a changed stage only after a yes; an unchanged one is not saved.
            let save = !force && confirm_changed(repo, cwd, st)?;
            // `Stage.save_deps` (with `--force` or a yes): every dep must exist, and is
            // hashed again.
            let mut dep_updates = Vec::new();
            if force || save {
                for d in &st.deps {
                    if fs_err::symlink_metadata(&d.abs).is_err() {
                        return Err(Failure::Message(format!(
                            "dependency '{}' does not exist",
                            super::ui::relative_to_cwd(&d.abs, cwd)
                        )));
                    }
                    let c = commit::commit_out(repo, d, true).map_err(|e| fail(&e))?;
                    if c.changed {
                        dep_updates.push((d.index, c.update));
                    }
                }
            }
            let external = external_updates(repo, st)?;
            // `Output.save`: the out must exist; dvc re-applies the `.gitignore` entry of
            // each out as it goes (nothing is written when git already ignores the path).
            // Without `--force` an unchanged stage is not saved, so no entry is written.
            for o in &st.outs {
                if fs_err::symlink_metadata(&o.abs).is_err() {
                    return Err(Failure::Message(format!(
                        "output '{}' does not exist",
                        super::ui::relative_to_cwd(&o.abs, cwd)
                    )));
                }
                if let (Some(scm), true) = (scm.as_deref_mut(), o.out.cache && force) {
                    let (dir, name) = o.gitignore_slot(&repo.root);
                    scm.ignore(dir, name).map_err(|e| {
                        Failure::Command(CommandError::context(
                            ErrorKind::Failed,
                            "cannot update .gitignore",
                            e,
                        ))
                    })?;
                }
            }
            let mut updates = external;
            for o in &st.outs {
                // Without `--force` (or a yes) an unchanged stage is not saved: dvc dumps
                // what it loaded (a `files:` list is written back in dvc's form even so).
                let c = if force || save {
                    commit::commit_out_with(repo, o, false, relink)
                } else {
                    commit::commit_out_as_recorded(repo, o, relink)
                }
                .map_err(|e| fail(&e))?;
                if c.changed || o.out.is_listed() {
                    updates.push((o.index, c.update));
                }
            }
            written.push((st, dep_updates, updates));
        }
        // dvc's `Lockfile.dump_stages` says so once when a stage's entry changed.
        if matches!(stages[start].kind, StageKind::Lock { .. })
            && written
                .iter()
                .any(|(_, d, u)| !u.is_empty() || !d.is_empty())
        {
            ctx.out(format!(
                "Updating lock file '{}'",
                super::ui::relative_to_cwd(&repo.root.join(file), cwd)
            ));
        }
        // dvc dumps every committed stage, which also normalizes a CRLF file to LF.
        for (st, dep_updates, updates) in written {
            if commit::write_stage(repo, st, &dep_updates, &updates).map_err(|e| fail(&e))?
                && let Some(scm) = scm.as_deref_mut()
            {
                scm.stage(repo.root.join(&st.file));
            }
        }
        start = end;
    }
    Ok(())
}

/// dvc's `changed_entries` and `prompt_to_commit`: a stage whose outs (or recorded md5)
/// changed is committed only if the user says yes on a terminal; elsewhere it is refused.
/// (`not in cache` is no change.)
fn confirm_changed(repo: &Repo, cwd: &Path, st: &Stage) -> Result<bool, Failure> {
    let fail = |e: &dyn std::error::Error| Failure::Message(e.to_string());
    let mut outs = Vec::new();
    for o in &st.outs {
        let s = status::workspace_status(repo, o).map_err(|e| fail(&e))?;
        if matches!(s, OutState::Modified | OutState::New | OutState::Deleted) {
            outs.push(super::ui::relative_to_cwd(&o.abs, cwd));
        }
    }
    for e in &st.external {
        let s = status::external_status(repo, e).map_err(|e| fail(&e))?;
        if matches!(s, Some(OutState::Modified | OutState::Deleted)) {
            outs.push(e.location.clone());
        }
    }
    let deps: Vec<String> = status::dep_changes(repo, st)
        .map_err(|e| fail(&e))?
        .into_iter()
        .map(|(rel, _)| super::ui::relative_to_cwd(&repo.root.join(rel), cwd))
        .collect();
    let stage = format!("stage: '{}'", st.display_name());
    let py_list = |v: &[String]| {
        v.iter()
            .map(|o| crate::data::config::py_repr(o))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let question = if !deps.is_empty() && !outs.is_empty() {
        format!(
            "dependencies [{}] and outputs [{}] of {stage} changed.",
            py_list(&deps),
            py_list(&outs)
        )
    } else if !deps.is_empty() {
        format!("dependencies [{}] of {stage} changed.", py_list(&deps))
    } else if !outs.is_empty() {
        format!("outputs [{}] of {stage} changed.", py_list(&outs))
    } else if st.changed_checksum {
        format!("'md5' of {stage} changed.")
    } else {
        return Ok(false);
    };
    if super::ui::prompt_confirm(&format!("{question} Are you sure you want to commit it?")) {
        Ok(true)
    } else {
        Err(Failure::Message(format!(
            "unable to commit changed stage: '{}'. Use `-f|--force` to force.",
            st.display_name()
        )))
    }
}

/// Outs outside the workspace, as dvc's `Output.save` treats them: a cached one is
/// refused (dvc 3.0 dropped them), a local uncached file is hashed (read only), and what
/// git-dvc cannot reach (URLs) or walk (directories outside) is left as recorded.
fn external_updates(
    repo: &Repo,
    st: &Stage,
) -> Result<Vec<(usize, crate::data::dvcfile::OutUpdate)>, Failure> {
    let mut updates = Vec::new();
    for e in &st.external {
        if e.out.cache {
            return Err(Failure::Message(format!(
                "Saving cached external output {} is not supported since DVC 3.0. See <https://dvc.org/doc/user-guide/upgrade> for more info.",
                e.location
            )));
        }
        let Some(abs) = &e.local else {
            eprintln!(
                "WARNING: skipping external output '{}': git-dvc does not read outputs outside the workspace",
                e.location
            );
            continue;
        };
        let Ok(meta) = fs_err::metadata(abs) else {
            return Err(Failure::Message(format!(
                "output '{}' does not exist",
                e.location
            )));
        };
        if meta.is_dir() {
            eprintln!(
                "WARNING: skipping external output '{}': git-dvc does not commit directories outside the workspace",
                e.location
            );
            continue;
        }
        let o = crate::data::repo::ResolvedOut {
            out: e.out.clone(),
            index: e.index,
            abs: abs.clone(),
            rel: e.location.clone(),
        };
        // `cache: false`: hashed only; nothing is written outside the workspace.
        let c = commit::commit_out(repo, &o, true).map_err(|e| Failure::Message(e.to_string()))?;
        if c.changed {
            updates.push((e.index, c.update));
        }
    }
    Ok(updates)
}

//! `install` / `uninstall`: wire git-dvc into git (filter, textconv, merge driver,
//! attributes, hooks). The work is in [`crate::hooks::install`]; this file maps
//! arguments, prints what changed and turns errors into hints.
use super::error::ErrorKind;
use super::{CommandError, CommandResult, Context};
use crate::git::{ConfigScope, Git};
use crate::hooks::install::{self as installer, Change, InstallEnv, InstallOptions};

/// Arguments of `install`.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Install into the global git config instead of this repository.
    #[arg(long)]
    pub global: bool,
    /// Overwrite foreign configuration.
    #[arg(long, short)]
    pub force: bool,
    /// Add dvc's hooks to `.pre-commit-config.yaml` (for https://pre-commit.com) instead
    /// of installing git hooks, as `dvc install --use-pre-commit-tool` does.
    #[arg(long = "use-pre-commit-tool")]
    pub use_pre_commit_tool: bool,
}

/// The entry `dvc install --use-pre-commit-tool` appends to `repos:` (ruamel's layout).
const PRE_COMMIT_ENTRY: &str = "- repo: https://github.com/treeverse/dvc
  rev: 3.67.1
  hooks:
  - id: dvc-pre-commit
    additional_dependencies:
    - .[all]
    language_version: python3
    stages:
    - pre-commit
  - id: dvc-pre-push
    additional_dependencies:
    - .[all]
    language_version: python3
    stages:
    - pre-push
  - id: dvc-post-checkout
    additional_dependencies:
    - .[all]
    language_version: python3
    stages:
    - post-checkout
    always_run: true
";

/// `.pre-commit-config.yaml` with dvc's entry appended to `repos:` (created when
/// missing), or `None` when the entry is there already. The rest of the file is kept as
/// it is: the entry goes at the end of the `repos:` block.
fn with_pre_commit_entry(existing: &str) -> Option<String> {
    if existing.contains("- repo: https://github.com/treeverse/dvc\n  rev: 3.67.1\n") {
        return None;
    }
    let mut lines: Vec<&str> = existing.lines().collect();
    let Some(start) = lines.iter().position(|l| l.trim_end() == "repos:") else {
        let mut text = existing.to_string();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("repos:\n");
        text.push_str(PRE_COMMIT_ENTRY);
        return Some(text);
    };
    // The block ends at the next top-level key.
    let end = lines[start + 1..]
        .iter()
        .position(|l| !l.is_empty() && !l.starts_with([' ', '-', '#']))
        .map_or(lines.len(), |i| start + 1 + i);
    let indent = lines[start + 1..end]
        .iter()
        .find_map(|l| {
            l.trim_start()
                .starts_with("- ")
                .then(|| l.len() - l.trim_start().len())
        })
        .unwrap_or(0);
    let pad = " ".repeat(indent);
    let entry: Vec<String> = PRE_COMMIT_ENTRY
        .lines()
        .map(|l| format!("{pad}{l}"))
        .collect();
    let tail = lines.split_off(end);
    let mut text = lines.join("\n");
    text.push('\n');
    text.push_str(&entry.join("\n"));
    text.push('\n');
    if !tail.is_empty() {
        text.push_str(&tail.join("\n"));
        text.push('\n');
    }
    Some(text)
}

fn pre_commit_install(git: &Git) -> CommandResult {
    let root = git
        .show_toplevel()
        .map_err(|e| CommandError::with_source(ErrorKind::Failed, e))?;
    let path = root.join(".pre-commit-config.yaml");
    let existing = match fs_err::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(CommandError::context(
                ErrorKind::Failed,
                "failed to install DVC Git hooks",
                e,
            ));
        }
    };
    if let Some(text) = with_pre_commit_entry(&existing) {
        crate::data::atomic::write(&path, text).map_err(|e| {
            CommandError::context(ErrorKind::Failed, "failed to install DVC Git hooks", e)
        })?;
    }
    Ok(())
}

/// Arguments of `uninstall`.
#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    /// Remove the global install.
    #[arg(long)]
    pub global: bool,
}

fn scope(global: bool) -> ConfigScope {
    if global {
        ConfigScope::Global
    } else {
        ConfigScope::Local
    }
}

/// A git handle for the current directory; outside a repository only `--global` works.
fn git_for(global: bool) -> CommandResult<Git> {
    let git = Git::current();
    if !global && !git.is_inside_work_tree() {
        return Err(
            CommandError::new(ErrorKind::NotARepo, "not inside a git work tree")
                .hint("run `git dvc install` inside a git repository, or use `--global`"),
        );
    }
    Ok(git)
}

fn report(ctx: &Context, changes: &[Change], nothing: &str) {
    if ctx.quiet {
        return;
    }
    if changes.is_empty() {
        println!("{nothing}");
    }
    for change in changes {
        println!("{change}");
    }
}

/// Run `install`.
pub fn run_install(ctx: &Context, args: InstallArgs) -> CommandResult {
    let git = git_for(args.global)?;
    if args.use_pre_commit_tool {
        return pre_commit_install(&git);
    }
    let options = InstallOptions {
        scope: scope(args.global),
        force: args.force,
    };
    let changes = installer::install(&git, &options, &InstallEnv::from(&ctx.env))?;
    report(ctx, &changes, "git-dvc is already installed; nothing to do");
    if args.global && !ctx.quiet {
        println!(
            "hooks: the filter installs them in each DVC repository it checks out (or run `git dvc install` there)"
        );
    }
    Ok(())
}

/// Run `uninstall`.
pub fn run_uninstall(ctx: &Context, args: UninstallArgs) -> CommandResult {
    let git = git_for(args.global)?;
    let changes = installer::uninstall(&git, scope(args.global), &InstallEnv::from(&ctx.env))?;
    report(
        ctx,
        &changes,
        "git-dvc is not installed here; nothing to do",
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_commit_entry_goes_at_the_end_of_repos() {
        let fresh = with_pre_commit_entry("").unwrap();
        assert!(fresh.starts_with("repos:\n- repo: https://github.com/treeverse/dvc\n"));
        assert_eq!(with_pre_commit_entry(&fresh), None);
        let mine = "repos:\n- repo: local # mine\n  hooks: []\nci:\n  x: 1\n";
        let text = with_pre_commit_entry(mine).unwrap();
        assert!(text.starts_with("repos:\n- repo: local # mine\n  hooks: []\n- repo: https"));
        assert!(text.ends_with("    always_run: true\nci:\n  x: 1\n"));
    }
}

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

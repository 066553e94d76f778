//! `completion`: shell completion scripts generated from the clap definitions, and the
//! hidden `generate-man` that writes the man pages `install.sh` installs (`git dvc --help`
//! is `git help dvc`, which opens `man git-dvc`).
//!
//! The bash script completes both `git-dvc` and `git dvc`: git's own completion calls a
//! function named `_git_<command>` for a command it does not know, so the script defines
//! `_git_dvc`, which shifts git's words into the shape the generated `_git__dvc` expects.

use super::{Cli, CommandError, CommandResult, Context};
use clap::CommandFactory;
use std::path::PathBuf;

/// Shells `completion` writes for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    /// bash (also completes `git dvc` inside git's completion).
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

/// Arguments of `completion`.
#[derive(Debug, clap::Args)]
pub struct CompletionArgs {
    /// The shell to write completions for (as a word, `completion zsh`).
    #[arg(value_enum, conflicts_with = "shell_flag")]
    pub shell: Option<Shell>,
    /// The shell, as dvc spells it (`completion -s zsh`; default bash).
    #[arg(short = 's', long = "shell", value_enum, id = "shell_flag")]
    pub shell_flag: Option<Shell>,
}

/// Arguments of the hidden `generate-man`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Directory to write `git-dvc.1` and one `git-dvc-<command>.1` per command into.
    pub dir: PathBuf,
}

/// The clap command as the generators see it: named `git-dvc`, the executable's name.
fn command() -> clap::Command {
    Cli::command().name("git-dvc").bin_name("git-dvc")
}

/// Bash glue so that `git dvc <TAB>` completes through git's completion.
const BASH_GIT_GLUE: &str = r#"
# `git dvc ...`: git's completion calls _git_dvc; hand the words to _git-dvc as if the
# command line were `git-dvc ...` (clap names its function `_git__dvc`).
_git_dvc() {
    local COMP_WORDS=("git-dvc" "${COMP_WORDS[@]:2}")
    local COMP_CWORD=$((COMP_CWORD - 1))
    local cur="${COMP_WORDS[COMP_CWORD]}" prev=""
    if ((COMP_CWORD > 0)); then
        prev="${COMP_WORDS[COMP_CWORD - 1]}"
    fi
    _git__dvc "git-dvc" "$cur" "$prev"
}
"#;

/// Run `completion`.
pub fn run(ctx: &Context, args: CompletionArgs) -> CommandResult {
    let mut cmd = command();
    let mut out: Vec<u8> = Vec::new();
    match args.shell.or(args.shell_flag).unwrap_or(Shell::Bash) {
        Shell::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, "git-dvc", &mut out);
            // clap_complete 4.6 spells the state of a hyphenated binary two ways
            // (`git__dvc__subcmd__push` where it is set, `git__subcmd__dvc__subcmd__push` in
            // the arms that read it), so no subcommand's flags would complete: use one.
            let script = String::from_utf8_lossy(&out).replace("git__subcmd__dvc", "git__dvc");
            out = script.into_bytes();
            out.extend_from_slice(BASH_GIT_GLUE.as_bytes());
        }
        Shell::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "git-dvc", &mut out)
        }
        Shell::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, "git-dvc", &mut out)
        }
    }
    if !ctx.quiet {
        super::config::print(&String::from_utf8_lossy(&out));
    }
    Ok(())
}

/// Run `generate-man`.
pub fn generate_man(_ctx: &Context, args: ManArgs) -> CommandResult {
    let cmd = command();
    fs_err::create_dir_all(&args.dir)?;
    let write = |name: String, page: clap::Command| -> CommandResult {
        let mut bytes = Vec::new();
        clap_mangen::Man::new(page).render(&mut bytes)?;
        crate::data::atomic::write(&args.dir.join(format!("{name}.1")), bytes)
            .map_err(CommandError::from)
    };
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("git-dvc-{}", sub.get_name());
        write(name.clone(), sub.clone().name(name))?;
    }
    write("git-dvc".into(), cmd)?;
    Ok(())
}

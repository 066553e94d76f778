//! `pre-commit` (no arguments). What the commit is made from depends on how `git commit`
//! was called, which git tells only through `GIT_INDEX_FILE` (spec/git-integration.md §2):
//!
//! | invocation | `GIT_INDEX_FILE` | [`IndexMode`] |
//! |---|---|---|
//! | `git commit` | `.git/index` (relative) | `Plain` |
//! | `git commit -a`, `-i p` | `<abs>/.git/index.lock` | `Full` |
//! | `git commit p`, `--only p` | `<abs>/.git/next-index-<pid>.lock` | `Partial` |
//!
//! A `git add` from the hook lands in the commit in all three modes; in `Partial` mode
//! the real index misses it (a staged revert shows as `MM`), so auto-staging is off there.

use super::{Error, HookEnv, HookName};
use std::path::Path;

/// How the commit's index relates to the real index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexMode {
    /// The real index (`git commit`).
    Plain,
    /// The locked real index after `-a`/`-i` staged into it.
    Full,
    /// A temporary index of HEAD plus the named paths (`git commit <paths>`, `--only`).
    Partial,
}

impl IndexMode {
    /// Classify `GIT_INDEX_FILE`. Unset or unrecognised (a user's own index file) is `Plain`.
    pub fn from_index_file(index_file: Option<&Path>) -> Self {
        let Some(name) = index_file
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
        else {
            return IndexMode::Plain;
        };
        if name == "index.lock" {
            IndexMode::Full
        } else if name.starts_with("next-index-") && name.ends_with(".lock") {
            IndexMode::Partial
        } else {
            IndexMode::Plain
        }
    }

    /// True when staging from the hook keeps the real index consistent.
    pub fn allows_autostage(self) -> bool {
        !matches!(self, IndexMode::Partial)
    }
}

/// Typed input of `pre-commit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreCommitInput {
    /// Which index the commit is built from.
    pub index_mode: IndexMode,
}

/// Parse argv (git passes none) and the environment.
pub fn parse(args: &[String], env: &HookEnv) -> Result<PreCommitInput, Error> {
    if !args.is_empty() {
        return Err(Error::bad_input(
            HookName::PreCommit,
            format!("expected no arguments, got {}", args.len()),
        ));
    }
    Ok(PreCommitInput {
        index_mode: IndexMode::from_index_file(env.index_file.as_deref()),
    })
}

/// Run the hook.
///
/// Engine integration: refuse when an out path is staged into git or a staged pointer's
/// data is in neither cache nor workspace; then, when `gitdvc.autostage` is not false
/// and `index_mode.allows_autostage()`, re-hash changed outs, rewrite their `.dvc`
/// byte-exactly and `git add` it (`crate::git::Git::add` honours `GIT_INDEX_FILE`).
pub fn run(input: &PreCommitInput, _env: &HookEnv) -> Result<i32, Error> {
    tracing::debug!(mode = ?input.index_mode, "pre-commit: engine not wired yet");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn index_modes() {
        let mode = |p: Option<&str>| IndexMode::from_index_file(p.map(PathBuf::from).as_deref());
        assert_eq!(mode(None), IndexMode::Plain);
        assert_eq!(mode(Some(".git/index")), IndexMode::Plain);
        assert_eq!(mode(Some("/r/.git/index.lock")), IndexMode::Full);
        assert_eq!(
            mode(Some("/r/.git/next-index-4242.lock")),
            IndexMode::Partial
        );
        assert_eq!(
            mode(Some("/r/.git/worktrees/w/index.lock")),
            IndexMode::Full
        );
        assert_eq!(mode(Some("/tmp/my-index")), IndexMode::Plain);
        assert!(!IndexMode::Partial.allows_autostage());
        assert!(IndexMode::Full.allows_autostage());
    }

    #[test]
    fn parse_and_run() {
        let env = HookEnv {
            index_file: Some(PathBuf::from("/r/.git/index.lock")),
            ..HookEnv::default()
        };
        let input = parse(&[], &env).unwrap();
        assert_eq!(input.index_mode, IndexMode::Full);
        assert_eq!(run(&input, &env).unwrap(), 0);
        assert!(parse(&["x".to_owned()], &env).is_err());
    }
}

//! git hooks: installation ([`install`]) and the hidden `git dvc hook <name>` entry,
//! with one module per hook that turns argv and stdin into typed input. What the hooks
//! share with `git-dvc-filter` (materialize pointers, remove orphaned outs, the pending
//! journal) is in [`crate::worktree`].
//!
//! Exit-code policy (DESIGN.md invariant 3): hooks fail only where failing protects
//! data (pre-push with data missing remotely, pre-commit with a staged pointer whose
//! data exists nowhere). post-checkout, post-merge and post-rewrite exit 0 even on
//! unparseable input (with a warning) unless `gitdvc.strict=true`.

pub mod install;
pub mod post_checkout;
pub mod post_index_change;
pub mod post_merge;
pub mod post_rewrite;
pub mod pre_commit;
pub mod pre_push;

use crate::worktree;
use std::fmt;
use std::io::Read;

/// The hooks git-dvc installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookName {
    /// `pre-commit`.
    PreCommit,
    /// `post-checkout`.
    PostCheckout,
    /// `post-merge`.
    PostMerge,
    /// `post-rewrite`.
    PostRewrite,
    /// `pre-push`.
    PrePush,
    /// `post-index-change`: the only hook `reset --hard`, `stash` and `sparse-checkout`
    /// fire; removes outs whose pointer left the worktree.
    PostIndexChange,
}

impl HookName {
    /// Every hook, in install order.
    pub const ALL: [HookName; 6] = [
        HookName::PreCommit,
        HookName::PostCheckout,
        HookName::PostMerge,
        HookName::PostRewrite,
        HookName::PrePush,
        HookName::PostIndexChange,
    ];

    /// git's file name for the hook.
    pub fn as_str(self) -> &'static str {
        match self {
            HookName::PreCommit => "pre-commit",
            HookName::PostCheckout => "post-checkout",
            HookName::PostMerge => "post-merge",
            HookName::PostRewrite => "post-rewrite",
            HookName::PrePush => "pre-push",
            HookName::PostIndexChange => "post-index-change",
        }
    }

    /// Parse git's hook name.
    pub fn parse(name: &str) -> Option<Self> {
        HookName::ALL.into_iter().find(|h| h.as_str() == name)
    }

    /// True when git feeds the hook on stdin (the shim must replay it to a chained hook).
    pub fn reads_stdin(self) -> bool {
        matches!(self, HookName::PostRewrite | HookName::PrePush)
    }

    /// True for hooks whose failure aborts the git operation.
    pub fn can_abort(self) -> bool {
        matches!(self, HookName::PreCommit | HookName::PrePush)
    }

    /// True for hooks that fire so often (every index write) that the shim stays silent
    /// when `git-dvc` is missing or the worktree is not a DVC repository.
    pub fn is_frequent(self) -> bool {
        matches!(self, HookName::PostIndexChange)
    }

    /// Exit status of the shim when `git-dvc` is missing from PATH: pre-push refuses
    /// (pointers must never be pushed without their data); the others let git go on.
    pub fn exit_code_when_missing(self) -> i32 {
        match self {
            HookName::PrePush => 1,
            _ => 0,
        }
    }
}

impl fmt::Display for HookName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors of the hook entry points.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `git dvc hook <name>` with a name we do not handle.
    #[error("unknown hook `{0}`")]
    UnknownHook(String),
    /// argv or stdin did not have the shape git gives this hook.
    #[error("{hook}: unexpected input from git: {message}")]
    BadInput {
        /// The hook.
        hook: HookName,
        /// What was wrong.
        message: String,
    },
    /// Reading stdin failed.
    #[error("{hook}: could not read stdin")]
    Stdin {
        /// The hook.
        hook: HookName,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
    /// A git command failed.
    #[error(transparent)]
    Git(#[from] crate::git::Error),
}

impl Error {
    pub(crate) fn bad_input(hook: HookName, message: impl Into<String>) -> Self {
        Error::BadInput {
            hook,
            message: message.into(),
        }
    }
}

pub use crate::env::{ProcessEnv, SKIP_PUSH_ENV};

/// Run hook `name` with git's `args` and `stdin`; returns the exit code for git.
///
/// This is what `git dvc hook <name> "$@"` calls, with the environment `main` captured.
pub fn run_hook(
    name: &str,
    args: &[String],
    stdin: &mut dyn Read,
    env: &ProcessEnv,
) -> Result<i32, Error> {
    run_hook_with(name, args, stdin, env)
}

/// [`run_hook`] with an explicit environment.
pub fn run_hook_with(
    name: &str,
    args: &[String],
    stdin: &mut dyn Read,
    env: &ProcessEnv,
) -> Result<i32, Error> {
    let hook = HookName::parse(name).ok_or_else(|| Error::UnknownHook(name.to_owned()))?;
    let result = match hook {
        HookName::PreCommit => {
            pre_commit::parse(args, env).and_then(|input| pre_commit::run(&input, env))
        }
        HookName::PostCheckout => {
            post_checkout::parse(args).and_then(|input| post_checkout::run(&input, env))
        }
        HookName::PostMerge => {
            post_merge::parse(args).and_then(|input| post_merge::run(&input, env))
        }
        HookName::PostRewrite => {
            post_rewrite::parse(args, stdin).and_then(|input| post_rewrite::run(&input, env))
        }
        HookName::PrePush => {
            pre_push::parse(args, stdin).and_then(|input| pre_push::run(&input, env))
        }
        HookName::PostIndexChange => {
            post_index_change::parse(args).and_then(|input| post_index_change::run(&input, env))
        }
    };
    match result {
        // A post-* hook never breaks git over input it does not understand.
        Err(e @ (Error::BadInput { .. } | Error::Stdin { .. })) if !hook.can_abort() => {
            tracing::warn!("git-dvc: {e}; skipping");
            Ok(0)
        }
        other => other,
    }
}

/// Finish a post-* hook: report what reconciliation did, and exit 1 only when there were
/// problems and `gitdvc.strict=true` (DESIGN.md: those hooks exit 0 otherwise).
pub(crate) fn finish_post_hook(wt: &worktree::Worktree, result: &worktree::Reconciled) -> i32 {
    result.report(&wt.repo.tmp_dir());
    if result.has_problems() && wt.settings().strict {
        tracing::error!("git-dvc: failing because gitdvc.strict is set");
        return 1;
    }
    0
}

/// Open the hook's repository; `None` when there is nothing to do (not a DVC repository)
/// or it cannot be opened (warned about: post-* hooks never fail git over it).
pub(crate) fn open_for_post_hook(hook: HookName, env: &ProcessEnv) -> Option<worktree::Worktree> {
    match worktree::Worktree::open_current(env) {
        Ok(hr) => hr,
        Err(e) => {
            tracing::warn!("git-dvc: {hook}: {e}; the workspace was not updated");
            None
        }
    }
}

/// Read all of stdin as UTF-8 text (hook stdin is always text).
pub(crate) fn read_stdin(hook: HookName, stdin: &mut dyn Read) -> Result<String, Error> {
    let mut bytes = Vec::new();
    stdin
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Stdin { hook, source })?;
    String::from_utf8(bytes).map_err(|_| Error::bad_input(hook, "stdin is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for hook in HookName::ALL {
            assert_eq!(HookName::parse(hook.as_str()), Some(hook));
        }
        assert_eq!(HookName::parse("post-commit"), None);
        assert_eq!(HookName::PrePush.exit_code_when_missing(), 1);
        assert_eq!(HookName::PostCheckout.exit_code_when_missing(), 0);
    }

    #[test]
    fn unknown_hook_is_an_error() {
        let err = run_hook_with(
            "post-commit",
            &[],
            &mut std::io::empty(),
            &ProcessEnv::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::UnknownHook(_)));
    }

    #[test]
    fn post_hooks_never_fail_on_bad_input() {
        let env = ProcessEnv::default();
        let args = vec!["garbage".to_owned()];
        assert_eq!(
            run_hook_with("post-checkout", &args, &mut std::io::empty(), &env).unwrap(),
            0
        );
        assert_eq!(
            run_hook_with("post-merge", &args, &mut std::io::empty(), &env).unwrap(),
            0
        );
        assert_eq!(
            run_hook_with("post-rewrite", &args, &mut std::io::empty(), &env).unwrap(),
            0
        );
        assert_eq!(
            run_hook_with("post-index-change", &args, &mut std::io::empty(), &env).unwrap(),
            0
        );
        // pre-push does: a push must not go ahead on input we cannot check.
        let err = run_hook_with("pre-push", &args, &mut std::io::empty(), &env).unwrap_err();
        assert!(matches!(
            err,
            Error::BadInput {
                hook: HookName::PrePush,
                ..
            }
        ));
    }
}

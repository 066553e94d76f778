//! `post-checkout <old> <new> <flag>`: flag 1 for a branch checkout (including
//! `checkout -b`, clone and `worktree add`, where old is the null id), flag 0 for a file
//! checkout (`checkout -- p`, `restore p`). Its exit status becomes the command's.

use super::{Error, HookName, ProcessEnv};
use crate::git::{DiffSide, Oid};
use crate::worktree::{self, ReconcileRequest};

/// Branch or file checkout (git's third argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutKind {
    /// flag 0: `checkout -- paths`, `restore paths`.
    Files,
    /// flag 1: a branch or commit checkout.
    Branch,
}

/// Typed input of `post-checkout`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostCheckoutInput {
    /// HEAD before (null for clone and `worktree add`).
    pub old: Oid,
    /// HEAD after.
    pub new: Oid,
    /// Branch or file checkout.
    pub kind: CheckoutKind,
}

impl PostCheckoutInput {
    /// A fresh worktree (clone, `worktree add`): everything must be materialized.
    pub fn is_initial(&self) -> bool {
        self.old.is_null()
    }

    /// Nothing can have changed between the commits (`checkout -b`, `switch -c`), or only
    /// named files were checked out (the filter handled those): only cheap work is due.
    pub fn is_cheap(&self) -> bool {
        self.kind == CheckoutKind::Files || self.old == self.new
    }
}

/// Parse git's three arguments.
pub fn parse(args: &[String]) -> Result<PostCheckoutInput, Error> {
    let hook = HookName::PostCheckout;
    let [old, new, flag] = args else {
        return Err(Error::bad_input(
            hook,
            format!("expected 3 arguments, got {}", args.len()),
        ));
    };
    let oid = |s: &str| {
        Oid::parse(s).map_err(|_| Error::bad_input(hook, format!("not an object id: {s:?}")))
    };
    let kind = match flag.as_str() {
        "0" => CheckoutKind::Files,
        "1" => CheckoutKind::Branch,
        other => {
            return Err(Error::bad_input(
                hook,
                format!("unknown checkout flag {other:?}"),
            ));
        }
    };
    Ok(PostCheckoutInput {
        old: oid(old)?,
        new: oid(new)?,
        kind,
    })
}

/// Run the hook: reconcile the workspace with the new HEAD.
///
/// - `checkout -b` (old == new) and file checkouts (flag 0): only retry the pending
///   journal, and only when it exists (no repository is opened otherwise);
/// - a fresh worktree (old is null: clone, `worktree add`): materialize every pointer of
///   the index that is not skip-worktree, after pointing a linked worktree at the main
///   cache;
/// - otherwise: delete outs whose pointers vanished between old and new when unmodified,
///   materialize the changed pointers when the filter did not run, retry the journal.
///
/// Exit 0 unless `gitdvc.strict=true` and something went wrong.
pub fn run(input: &PostCheckoutInput, env: &ProcessEnv) -> Result<i32, Error> {
    if input.is_cheap() && !has_pending_work() {
        return Ok(0);
    }
    let Some(hr) = super::open_for_post_hook(HookName::PostCheckout, env) else {
        return Ok(0);
    };
    let request = if input.is_cheap() {
        ReconcileRequest::default()
    } else if input.is_initial() {
        ReconcileRequest {
            extra: worktree::index_pointers(&hr),
            ..ReconcileRequest::default()
        }
    } else {
        ReconcileRequest {
            diff: Some((input.old.as_str(), DiffSide::Rev(input.new.as_str()))),
            changed: worktree::ChangedPointers::after_filter(&hr.git, env),
            extra: Vec::new(),
        }
    };
    let result = worktree::reconcile(&hr, request);
    Ok(super::finish_post_hook(&hr, &result))
}

/// The cheap check of the cheap paths: a DVC repository with a pending journal.
pub(crate) fn has_pending_work() -> bool {
    if !std::path::Path::new(".dvc").is_dir() {
        return false;
    }
    // `git rev-parse --git-dir` only when this is a DVC repository.
    worktree::Pending::for_git(&crate::git::Git::current()).is_ok_and(|p| p.exists())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &str, b: &str, flag: &str) -> Vec<String> {
        vec![a.to_owned(), b.to_owned(), flag.to_owned()]
    }

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const Z: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn parses_and_classifies() {
        let switch = parse(&args(A, B, "1")).unwrap();
        assert_eq!(switch.kind, CheckoutKind::Branch);
        assert!(!switch.is_cheap() && !switch.is_initial());

        let new_branch = parse(&args(A, A, "1")).unwrap();
        assert!(new_branch.is_cheap());

        let files = parse(&args(A, A, "0")).unwrap();
        assert_eq!(files.kind, CheckoutKind::Files);
        assert!(files.is_cheap());

        let clone = parse(&args(Z, B, "1")).unwrap();
        assert!(clone.is_initial() && !clone.is_cheap());
    }

    #[test]
    fn cheap_paths_return_at_once() {
        let env = ProcessEnv::default();
        assert_eq!(run(&parse(&args(A, A, "1")).unwrap(), &env).unwrap(), 0);
        assert_eq!(run(&parse(&args(A, B, "0")).unwrap(), &env).unwrap(), 0);
    }

    #[test]
    fn rejects_malformed_input() {
        assert!(parse(&[]).is_err());
        assert!(parse(&args(A, B, "2")).is_err());
        assert!(parse(&args("HEAD", B, "1")).is_err());
        assert!(parse(&[A.to_owned(), B.to_owned(), "1".to_owned(), "x".to_owned()]).is_err());
    }
}

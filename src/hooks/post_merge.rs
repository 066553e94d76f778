//! `post-merge <squash>`: after a successful `merge` or `pull` (not on conflicts, not for
//! rebase). `ORIG_HEAD` names the pre-merge HEAD.

use super::{Error, HookName, ProcessEnv};
use crate::git::DiffSide;
use crate::worktree::{self, ReconcileRequest};

/// Typed input of `post-merge`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostMergeInput {
    /// `merge --squash` (nothing was committed; HEAD did not move).
    pub squash: bool,
}

/// Parse git's single argument.
pub fn parse(args: &[String]) -> Result<PostMergeInput, Error> {
    let hook = HookName::PostMerge;
    match args {
        [flag] if flag == "0" => Ok(PostMergeInput { squash: false }),
        [flag] if flag == "1" => Ok(PostMergeInput { squash: true }),
        [flag] => Err(Error::bad_input(
            hook,
            format!("unknown squash flag {flag:?}"),
        )),
        _ => Err(Error::bad_input(
            hook,
            format!("expected 1 argument, got {}", args.len()),
        )),
    }
}

/// Run the hook: the post-checkout reconciliation over `ORIG_HEAD..HEAD` (for a squash
/// merge, which commits nothing, over `HEAD..index`). Exit 0 unless `gitdvc.strict=true`
/// and something went wrong.
pub fn run(input: &PostMergeInput, env: &ProcessEnv) -> Result<i32, Error> {
    if !std::path::Path::new(".dvc").is_dir() {
        return Ok(0);
    }
    let Some(hr) = super::open_for_post_hook(HookName::PostMerge, env) else {
        return Ok(0);
    };
    let (old, new) = if input.squash {
        (hr.git.resolve("HEAD").ok().flatten(), DiffSide::Index)
    } else {
        (
            hr.git.resolve("ORIG_HEAD").ok().flatten(),
            DiffSide::Rev("HEAD"),
        )
    };
    let Some(old) = old else {
        tracing::debug!("post-merge: no ORIG_HEAD; only the pending journal is retried");
        let result = worktree::reconcile(&hr, ReconcileRequest::default());
        return Ok(super::finish_post_hook(&hr, &result));
    };
    let request = ReconcileRequest {
        diff: Some((old.as_str(), new)),
        changed: worktree::ChangedPointers::after_filter(&hr.git, env),
        extra: Vec::new(),
    };
    let result = worktree::reconcile(&hr, request);
    Ok(super::finish_post_hook(&hr, &result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flag() {
        assert!(!parse(&["0".to_owned()]).unwrap().squash);
        assert!(parse(&["1".to_owned()]).unwrap().squash);
        assert!(parse(&["2".to_owned()]).is_err());
        assert!(parse(&[]).is_err());
    }
}

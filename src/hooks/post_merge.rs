//! `post-merge <squash>`: after a successful `merge` or `pull` (not on conflicts, not for
//! rebase). `ORIG_HEAD` names the pre-merge HEAD.

use super::{Error, HookEnv, HookName};

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

/// Run the hook.
///
/// Engine integration: the post-checkout reconciliation over `ORIG_HEAD..HEAD` (for a
/// squash merge, over HEAD and the index).
pub fn run(input: &PostMergeInput, _env: &HookEnv) -> Result<i32, Error> {
    tracing::debug!(squash = input.squash, "post-merge: engine not wired yet");
    Ok(0)
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
        assert_eq!(
            run(&PostMergeInput { squash: false }, &HookEnv::default()).unwrap(),
            0
        );
    }
}

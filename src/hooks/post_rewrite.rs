//! `post-rewrite <command>` with stdin lines `<old> <new> [<extra>]`, after
//! `commit --amend` (`amend`) and at the end of `rebase` (`rebase`).

use super::{Error, HookName, ProcessEnv, read_stdin};
use crate::git::DiffSide;
use crate::git::Oid;
use crate::worktree::{self, ReconcileRequest};
use std::io::Read;

/// What rewrote the commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteCommand {
    /// `commit --amend`.
    Amend,
    /// `rebase`.
    Rebase,
}

/// One rewritten commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The commit before.
    pub old: Oid,
    /// The commit after.
    pub new: Oid,
}

/// Typed input of `post-rewrite`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRewriteInput {
    /// `amend` or `rebase`.
    pub command: RewriteCommand,
    /// The rewritten commits, in git's order.
    pub rewritten: Vec<Rewritten>,
}

/// Parse argv and stdin.
pub fn parse(args: &[String], stdin: &mut dyn Read) -> Result<PostRewriteInput, Error> {
    let hook = HookName::PostRewrite;
    let command = match args {
        [c] if c == "amend" => RewriteCommand::Amend,
        [c] if c == "rebase" => RewriteCommand::Rebase,
        [c] => {
            return Err(Error::bad_input(
                hook,
                format!("unknown rewrite command {c:?}"),
            ));
        }
        _ => {
            return Err(Error::bad_input(
                hook,
                format!("expected 1 argument, got {}", args.len()),
            ));
        }
    };
    let text = read_stdin(hook, stdin)?;
    let mut rewritten = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split_whitespace();
        let (Some(old), Some(new)) = (fields.next(), fields.next()) else {
            return Err(Error::bad_input(hook, format!("malformed line {line:?}")));
        };
        let oid = |s: &str| {
            Oid::parse(s).map_err(|_| Error::bad_input(hook, format!("not an object id: {s:?}")))
        };
        rewritten.push(Rewritten {
            old: oid(old)?,
            new: oid(new)?,
        });
    }
    Ok(PostRewriteInput { command, rewritten })
}

/// Run the hook.
///
/// - `rebase`: reconcile the workspace over `ORIG_HEAD..HEAD` (the pre-rebase tip to the
///   result): post-checkout fired only once, onto the base, and the picks went through
///   the filter, which never removes anything;
/// - `amend`: the worktree did not change; only the pending journal is retried.
///
/// Exit 0 unless `gitdvc.strict=true` and something went wrong.
pub fn run(input: &PostRewriteInput, env: &ProcessEnv) -> Result<i32, Error> {
    if input.command == RewriteCommand::Amend && !super::post_checkout::has_pending_work() {
        return Ok(0);
    }
    if !std::path::Path::new(".dvc").is_dir() {
        return Ok(0);
    }
    let Some(hr) = super::open_for_post_hook(HookName::PostRewrite, env) else {
        return Ok(0);
    };
    let orig = match input.command {
        RewriteCommand::Rebase => hr.git.resolve("ORIG_HEAD").ok().flatten(),
        RewriteCommand::Amend => None,
    };
    let request = match &orig {
        Some(orig) => ReconcileRequest {
            diff: Some((orig.as_str(), DiffSide::Rev("HEAD"))),
            changed: worktree::ChangedPointers::after_filter(&hr.git, env),
            extra: Vec::new(),
        },
        None => ReconcileRequest::default(),
    };
    let result = worktree::reconcile(&hr, request);
    Ok(super::finish_post_hook(&hr, &result))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn parses_stdin() {
        let stdin = format!("{A} {B}\n{B} {A} extra-info\n\n");
        let input = parse(&["rebase".to_owned()], &mut stdin.as_bytes()).unwrap();
        assert_eq!(input.command, RewriteCommand::Rebase);
        assert_eq!(input.rewritten.len(), 2);
        assert_eq!(input.rewritten[1].old.as_str(), B);
        let amend = parse(&["amend".to_owned()], &mut std::io::empty()).unwrap();
        assert_eq!(
            (amend.command, amend.rewritten.len()),
            (RewriteCommand::Amend, 0)
        );
        assert_eq!(run(&amend, &ProcessEnv::default()).unwrap(), 0);
    }

    #[test]
    fn rejects_malformed_input() {
        assert!(parse(&["squash".to_owned()], &mut std::io::empty()).is_err());
        assert!(parse(&["amend".to_owned()], &mut format!("{A}\n").as_bytes()).is_err());
        assert!(parse(&["amend".to_owned()], &mut "x y\n".as_bytes()).is_err());
        assert!(parse(&["amend".to_owned()], &mut &b"\xff\n"[..]).is_err());
    }
}

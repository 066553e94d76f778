//! `pre-push <remote-name> <url>` with stdin lines
//! `<local-ref> <local-oid> <remote-ref> <remote-oid>` (spec/git-integration.md §2).
//! Fires for `--dry-run` and "Everything up-to-date" too (then stdin is empty).
//! A new remote ref has a null remote oid; a deletion is `(delete) <null> <ref> <oid>`.

use super::{Error, HookEnv, HookName, read_stdin};
use crate::git::Oid;
use std::io::Read;

/// One ref git is about to update on the remote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// The local ref as given on the command line (`refs/heads/x`, `HEAD~1`, `(delete)`).
    pub local_ref: String,
    /// The commit (or tag object) being pushed; null for a deletion.
    pub local_oid: Oid,
    /// The remote ref.
    pub remote_ref: String,
    /// The remote's current value; null when the remote ref is new.
    pub remote_oid: Oid,
}

impl RefUpdate {
    /// A deletion pushes no objects.
    pub fn is_delete(&self) -> bool {
        self.local_oid.is_null()
    }

    /// The remote ref does not exist yet.
    pub fn is_new(&self) -> bool {
        self.remote_oid.is_null()
    }
}

/// Typed input of `pre-push`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrePushInput {
    /// The remote's name (equal to the URL when pushing to a bare URL).
    pub remote_name: String,
    /// The remote's URL.
    pub remote_url: String,
    /// All ref updates, deletions included.
    pub updates: Vec<RefUpdate>,
}

impl PrePushInput {
    /// Updates that push objects (deletions removed).
    pub fn pushes(&self) -> impl Iterator<Item = &RefUpdate> {
        self.updates.iter().filter(|u| !u.is_delete())
    }
}

/// Parse argv and stdin (all of it is read, as git expects).
pub fn parse(args: &[String], stdin: &mut dyn Read) -> Result<PrePushInput, Error> {
    let hook = HookName::PrePush;
    let [remote_name, remote_url] = args else {
        return Err(Error::bad_input(
            hook,
            format!("expected 2 arguments, got {}", args.len()),
        ));
    };
    let text = read_stdin(hook, stdin)?;
    let mut updates = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(' ').collect();
        let [local_ref, local_oid, remote_ref, remote_oid] = fields.as_slice() else {
            return Err(Error::bad_input(hook, format!("malformed line {line:?}")));
        };
        let oid = |s: &str| {
            Oid::parse(s).map_err(|_| Error::bad_input(hook, format!("not an object id: {s:?}")))
        };
        updates.push(RefUpdate {
            local_ref: (*local_ref).to_owned(),
            local_oid: oid(local_oid)?,
            remote_ref: (*remote_ref).to_owned(),
            remote_oid: oid(remote_oid)?,
        });
    }
    Ok(PrePushInput {
        remote_name: remote_name.clone(),
        remote_url: remote_url.clone(),
        updates,
    })
}

/// Run the hook.
///
/// Engine integration: `rev-list --objects <local> --not <remote oids> --remotes=<name>`,
/// collect objects referenced by `.dvc`/`dvc.lock` blobs, upload what the DVC remote
/// (`gitdvc.remote.<name>`, else `core.remote`) lacks, and refuse when an object exists
/// neither locally nor remotely unless `gitdvc.allowIncompletePush`.
pub fn run(input: &PrePushInput, env: &HookEnv) -> Result<i32, Error> {
    if env.skip_push {
        tracing::info!(
            "pre-push: {} is set, not uploading DVC data",
            super::SKIP_PUSH_ENV
        );
        return Ok(0);
    }
    if input.pushes().next().is_none() {
        return Ok(0);
    }
    tracing::debug!(remote = %input.remote_name, refs = input.updates.len(), "pre-push: engine not wired yet");
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const Z: &str = "0000000000000000000000000000000000000000";

    fn args() -> Vec<String> {
        vec!["origin".to_owned(), "/srv/repo.git".to_owned()]
    }

    #[test]
    fn parses_updates() {
        let stdin = format!(
            "refs/heads/main {A} refs/heads/main {B}\n\
             refs/heads/new {B} refs/heads/new {Z}\n\
             (delete) {Z} refs/heads/old {A}\n\
             HEAD~1 {A} refs/heads/x {Z}\n"
        );
        let input = parse(&args(), &mut stdin.as_bytes()).unwrap();
        assert_eq!(input.remote_name, "origin");
        assert_eq!(input.updates.len(), 4);
        assert!(!input.updates[0].is_new() && input.updates[1].is_new());
        assert!(input.updates[2].is_delete());
        assert_eq!(input.updates[3].local_ref, "HEAD~1");
        assert_eq!(input.pushes().count(), 3);
    }

    #[test]
    fn cheap_paths() {
        let env = HookEnv::default();
        let empty = parse(&args(), &mut std::io::empty()).unwrap();
        assert!(empty.updates.is_empty());
        assert_eq!(run(&empty, &env).unwrap(), 0);
        let only_delete = parse(
            &args(),
            &mut format!("(delete) {Z} refs/heads/old {A}\n").as_bytes(),
        )
        .unwrap();
        assert_eq!(run(&only_delete, &env).unwrap(), 0);
        let skip = HookEnv {
            skip_push: true,
            ..HookEnv::default()
        };
        let push = parse(
            &args(),
            &mut format!("refs/heads/main {A} refs/heads/main {B}\n").as_bytes(),
        )
        .unwrap();
        assert_eq!(run(&push, &skip).unwrap(), 0);
    }

    #[test]
    fn rejects_malformed_input() {
        assert!(parse(&["origin".to_owned()], &mut std::io::empty()).is_err());
        assert!(
            parse(
                &args(),
                &mut "refs/heads/main abc refs/heads/main def\n".as_bytes()
            )
            .is_err()
        );
        assert!(
            parse(
                &args(),
                &mut format!("refs/heads/main {A} refs/heads/main\n").as_bytes()
            )
            .is_err()
        );
    }
}

//! `pre-push <remote-name> <url>` with stdin lines
//! `<local-ref> <local-oid> <remote-ref> <remote-oid>` (spec/git-integration.md §2).
//! Fires for `--dry-run` and "Everything up-to-date" too (then stdin is empty).
//! A new remote ref has a null remote oid; a deletion is `(delete) <null> <ref> <oid>`.

use super::{Error, HookName, ProcessEnv, read_stdin};
use crate::data::dvcfile::Out;
use crate::data::pointer;
use crate::data::transfer;
use crate::git::Oid;
use crate::worktree::Worktree;
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

/// Run the hook: upload the DVC data of the commits being pushed.
///
/// 1. The candidate objects (spec/git-integration.md §2, as git-lfs does):
///    `rev-list --objects --ignore-missing <local>... --not <remote>... --remotes=<name>`;
///    of those, the blobs at `*.dvc` and `dvc.lock` paths are parsed and their outs'
///    objects collected (`push: false` outs excluded). `.dir` manifests are expanded
///    from the cache by the transfer.
/// 2. Each object goes to its out's `remote:`, else `gitdvc.remote.<git remote>`, else
///    DVC's default remote; only what the remote lacks is uploaded.
/// 3. Refuse the push (exit 1) when an object exists neither locally nor remotely, when
///    an upload fails, or when no DVC remote is configured, unless
///    `gitdvc.allowIncompletePush=true`.
pub fn run(input: &PrePushInput, env: &ProcessEnv) -> Result<i32, Error> {
    if env.skip_push {
        tracing::info!(
            "pre-push: {} is set, not uploading DVC data",
            super::SKIP_PUSH_ENV
        );
        return Ok(0);
    }
    if input.pushes().next().is_none() || !std::path::Path::new(".dvc").is_dir() {
        return Ok(0);
    }
    let hr = match Worktree::open_current(env) {
        Ok(Some(hr)) => hr,
        Ok(None) => return Ok(0),
        Err(e) => {
            tracing::error!(
                "git-dvc: pre-push: {e}; refusing to push pointers whose data cannot be checked"
            );
            tracing::error!("git-dvc: hint: fix the DVC config, or push with GIT_DVC_SKIP_PUSH=1");
            return Ok(1);
        }
    };
    let outs = pushed_outs(&hr, input)?;
    if outs.is_empty() {
        return Ok(0);
    }
    let settings = hr.settings();
    let allow_incomplete = settings.allow_incomplete_push;
    let mapped = settings
        .dvc_remote_for(&input.remote_name)
        .map(str::to_owned);
    let choice = transfer::RemoteChoice {
        flag: None,
        default: mapped.or_else(|| hr.repo.config.core_remote()),
    };
    let options = transfer::RunOptions {
        jobs: None,
        without_remote: transfer::WithoutRemote::Report,
        stop_on_remote_error: false,
        trust_remote_dirs: true,
    };
    let mut problems: Vec<String> = Vec::new();
    let outcome = match transfer::run(
        &hr.repo,
        outs.iter(),
        transfer::Direction::Push,
        &choice,
        &options,
        &transfer::NoProgress,
    ) {
        Ok(outcome) => outcome,
        Err(e) => {
            problems.push(format!("cannot upload DVC data: {e}"));
            transfer::Outcome::default()
        }
    };
    if !outcome.without_remote.is_empty() {
        problems.push(format!(
            "{} DVC object(s) cannot be uploaded: no DVC remote is configured (set one with `git dvc remote add -d <name> <url>`, or map this git remote with `git config gitdvc.remote.{} <dvc remote>`)",
            outcome.without_remote.len(),
            input.remote_name
        ));
    }
    let names = transfer::object_names(&hr.repo.odb, outs.iter().map(|o| (o.path.as_str(), o)));
    let name_of =
        |o: &transfer::Object| names.get(o).cloned().unwrap_or_else(|| o.oid().to_string());
    for r in outcome.remotes {
        let remote_name = r.name;
        let summary = match r.result {
            Ok(s) => s,
            Err(
                e @ (transfer::TransferError::Config(_) | transfer::TransferError::NoRemote(_)),
            ) => {
                problems.push(format!("cannot use DVC remote `{remote_name}`: {e}"));
                continue;
            }
            Err(transfer::TransferError::Remote(e)) if e.is_config() => {
                problems.push(format!("cannot use DVC remote `{remote_name}`: {e}"));
                continue;
            }
            Err(e) => {
                problems.push(format!(
                    "uploading to DVC remote `{remote_name}` failed: {e}"
                ));
                continue;
            }
        };
        if summary.transferred > 0 {
            eprintln!(
                "git-dvc: uploaded {} object(s) to DVC remote `{remote_name}`",
                summary.transferred
            );
        }
        for o in &summary.missing {
            problems.push(format!(
                "`{}` ({}) is neither in the local cache nor on DVC remote `{remote_name}`",
                name_of(o),
                o.oid()
            ));
        }
        for f in &summary.failed {
            problems.push(format!(
                "uploading `{}` failed: {}",
                name_of(&f.object),
                f.error
            ));
        }
        for d in &summary.incomplete_dirs {
            problems.push(format!(
                "`{}` was not uploaded completely, so its `.dir` was not pushed",
                name_of(d)
            ));
        }
    }
    if problems.is_empty() {
        return Ok(0);
    }
    if allow_incomplete {
        for p in &problems {
            tracing::warn!("git-dvc: {p}");
        }
        tracing::warn!("git-dvc: pushing anyway (gitdvc.allowIncompletePush is set)");
        return Ok(0);
    }
    for p in &problems {
        tracing::error!("git-dvc: {p}");
    }
    tracing::error!(
        "git-dvc: push refused: the pushed commits reference DVC data the remote would not have (set `gitdvc.allowIncompletePush=true` or GIT_DVC_SKIP_PUSH=1 to push anyway)"
    );
    Ok(1)
}

/// The outs (with their objects) of every `.dvc`/`dvc.lock` blob introduced by the pushed
/// commits.
fn pushed_outs(hr: &Worktree, input: &PrePushInput) -> Result<Vec<Out>, Error> {
    let include: Vec<Oid> = input.pushes().map(|u| u.local_oid.clone()).collect();
    let exclude: Vec<Oid> = input
        .updates
        .iter()
        .filter(|u| !u.is_new())
        .map(|u| u.remote_oid.clone())
        .collect();
    // Pushing to a bare URL: there are no remote-tracking refs to exclude.
    let remote = (input.remote_name != input.remote_url).then_some(input.remote_name.as_str());
    let objects = hr.git.rev_list_objects(&include, &exclude, remote)?;
    let blobs: Vec<(Oid, String)> = objects
        .into_iter()
        .filter(|(_, path)| pointer::is_pointer_path(path))
        .collect();
    if blobs.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<String> = blobs.iter().map(|(oid, _)| oid.to_string()).collect();
    let contents = hr.git.cat_file_batch(&names)?;
    let mut outs = Vec::new();
    for ((_, path), content) in blobs.iter().zip(contents) {
        let Some(text) = content.and_then(|b| String::from_utf8(b).ok()) else {
            continue;
        };
        match hr.repo.stages_from_text(path, &text) {
            // Imports are not pushed, as dvc's push leaves them to their sources.
            Ok(stages) => outs.extend(
                stages
                    .into_iter()
                    .filter(|s| !s.repo_import)
                    .flat_map(|s| s.outs)
                    .map(|o| Out {
                        path: o.rel,
                        ..o.out
                    }),
            ),
            Err(e) => tracing::warn!(
                "git-dvc: `{path}` in the pushed commits is not a valid pointer: {e}"
            ),
        }
    }
    Ok(outs)
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
        let env = ProcessEnv::default();
        let empty = parse(&args(), &mut std::io::empty()).unwrap();
        assert!(empty.updates.is_empty());
        assert_eq!(run(&empty, &env).unwrap(), 0);
        let only_delete = parse(
            &args(),
            &mut format!("(delete) {Z} refs/heads/old {A}\n").as_bytes(),
        )
        .unwrap();
        assert_eq!(run(&only_delete, &env).unwrap(), 0);
        let skip = ProcessEnv {
            skip_push: true,
            ..ProcessEnv::default()
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

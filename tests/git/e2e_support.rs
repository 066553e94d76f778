//! Shared set-up for the end-to-end git integration tests (`e2e_*.rs`): a git repository
//! that is a DVC repository with git-dvc installed, and the cross-checks that plain dvc
//! 3.67.1 agrees afterwards.
//!
//! Every git-dvc call goes through `git dvc ...` (never `gd()`), because these tests are
//! about git's integration with git-dvc, not about dvc parity.

use crate::harness::*;

/// `<tmp>/repo` as a git + DVC repository with one commit and git-dvc installed.
pub fn installed_repo(env: &TestEnv) -> Dir<'_> {
    let d = env.repo();
    d.git(&["init", "-q"]).success();
    d.git(&["dvc", "init", "-q"]).success();
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-q", "-m", "init"]).success();
    d.git(&["dvc", "install"]).success();
    d
}

/// `git dvc add` the paths, `git add` everything, commit.
#[track_caller]
pub fn add_and_commit(d: &Dir<'_>, paths: &[&str], message: &str) {
    let mut args = vec!["dvc", "add", "-q"];
    args.extend_from_slice(paths);
    d.git(&args).success();
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-q", "-m", message]).success();
}

/// Plain dvc sees a clean repository: `dvc status` reports nothing to do and
/// `dvc checkout` changes nothing. Also `git status` is clean.
#[track_caller]
pub fn assert_dvc_agrees(d: &Dir<'_>) {
    let status = d.dvc(&["status"]);
    status.success();
    assert!(
        status.stdout.contains("Data and pipelines are up to date.")
            || status
                .stdout
                .contains("There are no data or pipelines tracked in this project yet."),
        "dvc status is not clean:\n{status:?}"
    );
    let checkout = d.dvc(&["checkout"]);
    checkout.success();
    assert!(
        checkout.stdout.trim().is_empty(),
        "dvc checkout changed something:\n{checkout:?}"
    );
    assert_git_clean(d);
}

/// `git status --porcelain` prints nothing.
#[track_caller]
pub fn assert_git_clean(d: &Dir<'_>) {
    let status = d.git(&["status", "--porcelain"]);
    status.success();
    assert!(
        status.stdout.is_empty(),
        "git status is not clean:\n{status:?}"
    );
}

/// The contents of `rel`, or `None` when it does not exist.
pub fn content(d: &Dir<'_>, rel: &str) -> Option<String> {
    std::fs::read_to_string(d.path(rel)).ok()
}

/// `git rev-parse <rev>`.
#[track_caller]
pub fn rev(d: &Dir<'_>, rev: &str) -> String {
    d.git(&["rev-parse", rev])
        .success()
        .stdout
        .trim()
        .to_owned()
}

/// A repository with `a.txt` (v1 on `main`, v2 on branch `v2`) and a directory `data`
/// (3 files on `main`; on `v2` one changed, one added).
pub fn two_branches(env: &TestEnv) -> Dir<'_> {
    let d = installed_repo(env);
    d.write("a.txt", "v1\n");
    for i in 0..3 {
        d.write(&format!("data/f{i}"), format!("file {i}\n"));
    }
    add_and_commit(&d, &["a.txt", "data"], "v1");
    d.git(&["checkout", "-q", "-b", "v2"]).success();
    d.write("a.txt", "v2\n");
    d.write("data/f0", "file 0 changed\n");
    d.write("data/f3", "file 3\n");
    add_and_commit(&d, &["a.txt", "data"], "v2");
    d
}

/// The workspace holds `main`'s data.
#[track_caller]
pub fn assert_v1(d: &Dir<'_>) {
    assert_eq!(content(d, "a.txt").as_deref(), Some("v1\n"));
    assert_eq!(content(d, "data/f0").as_deref(), Some("file 0\n"));
    assert!(!d.exists("data/f3"), "data/f3 should be gone");
}

/// The workspace holds `v2`'s data.
#[track_caller]
pub fn assert_v2(d: &Dir<'_>) {
    assert_eq!(content(d, "a.txt").as_deref(), Some("v2\n"));
    assert_eq!(content(d, "data/f0").as_deref(), Some("file 0 changed\n"));
    assert_eq!(content(d, "data/f3").as_deref(), Some("file 3\n"));
}

/// `git dvc remote add -d store <dir>`, committed.
#[track_caller]
pub fn add_local_remote(d: &Dir<'_>, dir: &std::path::Path) {
    d.git(&[
        "dvc",
        "remote",
        "add",
        "-d",
        "store",
        dir.to_str().expect("utf-8"),
    ])
    .success();
    d.git(&["commit", "-q", "-m", "remote", ".dvc/config"])
        .success();
}

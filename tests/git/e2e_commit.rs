//! The pre-commit hook: data changes ride along with commits (plain, `-a`, `--amend`),
//! partial commits only warn, and commits that would lose track of data are refused
//! (spec/git-integration.md §7, edge cases 15-17).

use crate::e2e_support::*;
use crate::harness::*;

fn repo_with_data(env: &TestEnv) -> Dir<'_> {
    let d = installed_repo(env);
    d.write("a.txt", "v1\n");
    d.make_dataset("data", 20);
    add_and_commit(&d, &["a.txt", "data"], "data");
    d
}

#[test]
fn plain_commit_with_other_changes_carries_the_data_change() {
    let env = TestEnv::new();
    let d = repo_with_data(&env);
    d.write("a.txt", "v2\n");
    d.write("data/new.bin", "new\n");
    d.write("notes.txt", "n\n");
    d.git(&["add", "notes.txt"]).success();
    let out = d.git(&["commit", "-q", "-m", "v2"]);
    out.success().stderr_has("updated and staged");
    let files = d.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.stdout, "a.txt.dvc\ndata.dvc\nnotes.txt\n");
    assert!(
        d.git(&["show", "HEAD:a.txt.dvc"])
            .stdout
            .contains("size: 3")
    );
    assert_dvc_agrees(&d);
}

#[test]
fn plain_commit_of_only_data_asks_to_run_again() {
    let env = TestEnv::new();
    let d = repo_with_data(&env);
    d.write("a.txt", "v2\n");
    let out = d.git(&["commit", "-q", "-m", "v2"]);
    // git does not commit what the hook staged when nothing else was staged.
    out.failure()
        .stderr_has("WARNING: git-dvc: data changed: `a.txt.dvc` updated for it")
        .stderr_has("run the same `git commit` again");
    assert_eq!(d.git(&["status", "--porcelain"]).stdout, "M  a.txt.dvc\n");
    d.git(&["commit", "-q", "-m", "v2"]).success();
    assert_dvc_agrees(&d);
}

#[test]
fn commit_all_carries_the_data_change() {
    let env = TestEnv::new();
    let d = repo_with_data(&env);
    d.write("data/d000/f000000.bin", "changed\n");
    d.write("notes.txt", "n\n");
    d.git(&["add", "notes.txt"]).success();
    d.write("notes.txt", "n2\n");
    d.git(&["commit", "-q", "-a", "-m", "all"]).success();
    let files = d.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.stdout, "data.dvc\nnotes.txt\n");
    assert_dvc_agrees(&d);

    // Only data changed: git rolls back what the hook staged in -a mode, but the pointer
    // file is updated, so the next `commit -a` takes it.
    d.write("a.txt", "v3\n");
    let out = d.git(&["commit", "-q", "-a", "-m", "a"]);
    out.failure()
        .stderr_has("WARNING: git-dvc: data changed: `a.txt.dvc` updated for it")
        .stderr_has("git will stop with \"nothing to commit\": run the same `git commit` again");
    assert!(!out.stderr.contains("staged `a.txt.dvc` with this commit"));
    d.git(&["commit", "-q", "-a", "-m", "a"]).success();
    assert_eq!(d.git(&["status", "--porcelain"]).stdout, "");
    assert!(
        d.git(&["show", "HEAD:a.txt.dvc"])
            .stdout
            .contains("size: 3")
    );
    assert_dvc_agrees(&d);
}

#[test]
fn partial_commit_only_warns_and_leaves_no_staged_revert() {
    let env = TestEnv::new();
    let d = repo_with_data(&env);
    d.write("a.txt", "v2\n");
    d.write("notes.txt", "n\n");
    d.git(&["add", "notes.txt"]).success();
    d.write("notes.txt", "n2\n");
    let out = d.git(&["commit", "-q", "-m", "notes only", "notes.txt"]);
    out.success().stderr_has("partial commit");
    let files = d.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.stdout, "notes.txt\n");
    // Nothing was staged behind the user's back: no `MM`.
    assert_eq!(d.git(&["status", "--porcelain"]).stdout, "");
    assert_eq!(content(&d, "a.txt").as_deref(), Some("v2\n"));
    // The data change is picked up by the next full commit.
    d.write("notes.txt", "n3\n");
    d.git(&["commit", "-q", "-a", "-m", "rest"]).success();
    assert_dvc_agrees(&d);
}

#[test]
fn autostage_false_only_warns() {
    let env = TestEnv::new();
    let d = repo_with_data(&env);
    d.git(&["config", "gitdvc.autostage", "false"]).success();
    d.write("a.txt", "v2\n");
    d.write("notes.txt", "n\n");
    d.git(&["add", "notes.txt"]).success();
    d.git(&["commit", "-q", "-m", "n"])
        .success()
        .stderr_has("gitdvc.autostage is false");
    assert_eq!(
        d.git(&["show", "--name-only", "--format=", "HEAD"]).stdout,
        "notes.txt\n"
    );
}

#[test]
fn out_staged_into_git_is_refused() {
    let env = TestEnv::new();
    let d = repo_with_data(&env);
    d.git(&["add", "-f", "data/d001/f000001.bin"]).success();
    d.git(&["commit", "-q", "-m", "oops"])
        .code(1)
        .stderr_has("`data/d001/f000001.bin` is inside `data`");
    d.git(&["add", "-f", "a.txt"]).success();
    d.git(&["rm", "-q", "--cached", "data/d001/f000001.bin"])
        .success();
    d.git(&["commit", "-q", "-m", "oops"])
        .code(1)
        .stderr_has("`a.txt` is inside `a.txt`");
    d.git(&["rm", "-q", "--cached", "a.txt"]).success();
    // --no-verify bypasses the hook, as git users expect.
    d.git(&["add", "-f", "a.txt"]).success();
    d.git(&["commit", "-q", "--no-verify", "-m", "forced"])
        .success();
}

#[test]
fn pointer_whose_data_exists_nowhere_is_refused() {
    let env = TestEnv::new();
    let d = repo_with_data(&env);
    // A pointer written by hand, for data nobody has.
    d.write(
        "ghost.dvc",
        "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 5\n  hash: md5\n  path: ghost\n",
    );
    d.git(&["add", "ghost.dvc"]).success();
    d.git(&["commit", "-q", "-m", "ghost"])
        .code(1)
        .stderr_has("neither in the DVC cache nor in the workspace");
    // Data present in the workspace but not cached (`add --no-commit`) is saved to the
    // cache instead, so the commit goes ahead.
    d.git(&["rm", "-q", "--cached", "ghost.dvc"]).success();
    d.remove("ghost.dvc");
    d.write("b.txt", "b\n");
    d.git(&["dvc", "add", "-q", "--no-commit", "b.txt"])
        .success();
    d.git(&["add", "b.txt.dvc", ".gitignore"]).success();
    d.git(&["commit", "-q", "-m", "b"]).success();
    let status = d.dvc(&["status"]);
    status.success().stdout_has("up to date");
}

#[test]
fn amend_carries_the_data_change() {
    let env = TestEnv::new();
    let d = repo_with_data(&env);
    d.write("a.txt", "amended\n");
    d.git(&["commit", "-q", "--amend", "-m", "data (amended)"])
        .success();
    assert!(
        d.git(&["show", "HEAD:a.txt.dvc"])
            .stdout
            .contains("size: 8")
    );
    assert_dvc_agrees(&d);
}

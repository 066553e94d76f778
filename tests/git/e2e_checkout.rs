//! Plain git commands that rewrite the worktree keep DVC data in step: branch switches,
//! detached checkouts, `checkout -b`, `reset --hard`, path checkouts, `restore`, `stash`,
//! and a branch without the out (spec/git-integration.md §7, edge cases 2-8, 27, 33).

use crate::e2e_support::*;
use crate::harness::*;

#[test]
fn switch_and_detached_checkout_follow_the_pointers() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    assert_v2(&d);
    d.git(&["switch", "-q", "main"]).success();
    assert_v1(&d);
    assert_dvc_agrees(&d);
    d.git(&["checkout", "-q", "v2"]).success();
    assert_v2(&d);
    // Detached HEAD, by commit id, then back by tag.
    let main = rev(&d, "main");
    d.git(&["tag", "t-v2", "v2"]).success();
    d.git(&["checkout", "-q", &main]).success();
    assert_v1(&d);
    assert_dvc_agrees(&d);
    d.git(&["checkout", "-q", "t-v2"]).success();
    assert_v2(&d);
    assert_dvc_agrees(&d);
}

#[test]
fn checkout_b_touches_nothing() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    let before = listing(&d.path("data"));
    let start = std::time::Instant::now();
    let out = d.git(&["checkout", "-b", "topic"]);
    let elapsed = start.elapsed();
    out.success();
    assert!(!out.stderr.contains("git-dvc"), "{out:?}");
    assert_eq!(listing(&d.path("data")), before);
    assert_v2(&d);
    // A generous bound for a loaded CI machine; the benchmark measures the real figure.
    assert!(elapsed.as_millis() < 2000, "checkout -b took {elapsed:?}");
}

#[test]
fn reset_hard_both_ways() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    // reset fires no hook: the filter alone brings the data along.
    d.git(&["reset", "-q", "--hard", "main"]).success();
    assert_v1(&d);
    assert_dvc_agrees(&d);
    d.git(&["reset", "-q", "--hard", "ORIG_HEAD"]).success();
    assert_v2(&d);
    assert_dvc_agrees(&d);
    d.git(&["reset", "-q", "--hard", "HEAD~1"]).success();
    assert_v1(&d);
    d.git(&["reset", "-q", "--keep", "v2@{1}"]).success();
    assert_v2(&d);
    assert_dvc_agrees(&d);
}

#[test]
fn path_checkout_restore_and_restore_source() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    // checkout <rev> -- <pointer>: data follows the older pointer.
    d.git(&["checkout", "main", "--", "a.txt.dvc", "data.dvc"])
        .success();
    assert_v1(&d);
    // checkout -- <pointer> restores it from the index (which now holds main's).
    d.write("a.txt.dvc", d.git(&["show", "v2:a.txt.dvc"]).stdout);
    d.git(&["checkout", "--", "a.txt.dvc"]).success();
    assert_eq!(content(&d, "a.txt").as_deref(), Some("v1\n"));
    // restore --source=<rev> changes only the worktree pointer.
    d.git(&["restore", "--source=v2", "a.txt.dvc", "data.dvc"])
        .success();
    assert_v2(&d);
    // restore <pointer> goes back to the index version.
    d.git(&["restore", "a.txt.dvc", "data.dvc"]).success();
    assert_v1(&d);
    d.git(&["reset", "-q", "--hard"]).success();
    assert_v2(&d);
    assert_dvc_agrees(&d);
}

#[test]
fn stash_and_pop_carry_the_data() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    d.write("a.txt", "v3\n");
    d.git(&["dvc", "commit", "-q", "-f", "a.txt.dvc"]).success();
    // `stash` runs an internal `reset --hard`: the data goes back to HEAD's.
    d.git(&["stash", "-q"]).success();
    assert_eq!(content(&d, "a.txt").as_deref(), Some("v2\n"));
    assert_dvc_agrees(&d);
    d.git(&["stash", "pop", "-q"]).success();
    assert_eq!(content(&d, "a.txt").as_deref(), Some("v3\n"));
    let status = d.dvc(&["status"]);
    status.success().stdout_has("up to date");
}

#[test]
fn branch_without_the_out_removes_and_restores_it() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    d.git(&["checkout", "-q", "-b", "no-data"]).success();
    d.git(&["rm", "-q", "data.dvc"]).success();
    d.git(&["commit", "-q", "-m", "drop data"]).success();
    // The out is still there (a commit never deletes data) ...
    assert!(d.exists("data/f0"));
    d.git(&["checkout", "-q", "v2"]).success();
    assert_v2(&d);
    // ... and a checkout to the branch without it removes it, since it is in the cache.
    d.git(&["checkout", "-q", "no-data"]).success();
    assert!(!d.exists("data"), "data should have been removed");
    assert_dvc_agrees(&d);
    d.git(&["checkout", "-q", "v2"]).success();
    assert_v2(&d);
    assert_dvc_agrees(&d);

    // A modified out is never deleted: it is kept with a warning.
    d.write("data/f1", "local edit\n");
    let out = d.git(&["checkout", "no-data"]);
    out.success()
        .stderr_has("holds changes that are not in the cache");
    assert_eq!(content(&d, "data/f1").as_deref(), Some("local edit\n"));
    // And switching back does not overwrite it either.
    let out = d.git(&["checkout", "v2"]);
    out.success().stderr_has("left as it is");
    assert_eq!(content(&d, "data/f1").as_deref(), Some("local edit\n"));
}

#[test]
fn modified_data_is_never_overwritten_by_a_switch() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    d.write("a.txt", "my work\n");
    let out = d.git(&["checkout", "main"]);
    out.success()
        .stderr_has("`a.txt` has changes that are not in the DVC cache");
    assert_eq!(content(&d, "a.txt").as_deref(), Some("my work\n"));
    // The rest of the switch went ahead.
    assert_eq!(content(&d, "data/f0").as_deref(), Some("file 0\n"));
    // An untracked user file where an out appears is not clobbered either.
    d.git(&["checkout", "-q", "-f", "v2"]).success();
    d.git(&["checkout", "-q", "-b", "nothing"]).success();
    d.git(&["rm", "-q", "a.txt.dvc"]).success();
    d.git(&["commit", "-q", "-m", "no a"]).success();
    d.remove("a.txt");
    d.write("a.txt", "untracked user file\n");
    d.git(&["checkout", "v2"])
        .success()
        .stderr_has("left as it is");
    assert_eq!(
        content(&d, "a.txt").as_deref(),
        Some("untracked user file\n")
    );
}

#[test]
fn skip_smudge_leaves_the_data_alone() {
    let mut env = TestEnv::new();
    let root = two_branches(&env).path;
    env.set_var("GIT_DVC_SKIP_SMUDGE", "1");
    let d = Dir {
        env: &env,
        path: root.clone(),
    };
    d.git(&["checkout", "-q", "main"]).success();
    // Pointers moved, data did not.
    assert!(d.read("a.txt.dvc").contains("path: a.txt"));
    assert_v2(&d);
    // Identity: archive, cat-file --filters and checkout-index write no data either.
    d.git(&["archive", "-o", "../a.tar", "v2"]).success();
    d.git(&["cat-file", "--filters", "v2:a.txt.dvc"]).success();
    d.git(&["checkout-index", "-f", "a.txt.dvc"]).success();
    assert_v2(&d);
    // Without the variable, `git dvc checkout` brings the data in line.
    env.remove_var("GIT_DVC_SKIP_SMUDGE");
    let d = Dir {
        env: &env,
        path: root,
    };
    d.git(&["dvc", "checkout", "-q"]).success();
    assert_v1(&d);
    assert_dvc_agrees(&d);
}

#[test]
fn missing_git_dvc_on_path_never_breaks_git() {
    let mut env = TestEnv::new();
    let root = two_branches(&env).path;
    let venv = oracle_bin_dir().to_path_buf();
    let path = std::env::join_paths([
        venv.as_path(),
        std::path::Path::new("/usr/local/bin"),
        std::path::Path::new("/usr/bin"),
        std::path::Path::new("/bin"),
    ])
    .expect("join PATH");
    env.set_var("PATH", path);
    let d = Dir {
        env: &env,
        path: root,
    };
    let out = d.git(&["checkout", "main"]);
    out.success().stderr_has("not on PATH");
    d.git(&["status", "--porcelain"]).success();
    d.write("b.txt", "b\n");
    d.git(&["add", "b.txt"]).success();
    d.git(&["commit", "-q", "-m", "b"]).success();
    // Pointers moved; the data could not follow.
    assert_eq!(content(&d, "a.txt").as_deref(), Some("v2\n"));
    let push = d.git(&["push", "--dry-run", ".", "HEAD:refs/heads/elsewhere"]);
    push.failure().stderr_has("refusing to push");
}

#[test]
fn unicode_and_space_paths() {
    let env = TestEnv::new();
    let d = installed_repo(&env);
    d.write("dätä dir/fïle one.txt", "1\n");
    d.write("my file ü.bin", "x\n");
    add_and_commit(&d, &["dätä dir", "my file ü.bin"], "unicode");
    d.git(&["checkout", "-q", "-b", "b"]).success();
    d.write("my file ü.bin", "y\n");
    d.write("dätä dir/zwei drei.txt", "2\n");
    add_and_commit(&d, &["dätä dir", "my file ü.bin"], "unicode 2");
    d.git(&["checkout", "-q", "main"]).success();
    assert_eq!(content(&d, "my file ü.bin").as_deref(), Some("x\n"));
    assert!(!d.exists("dätä dir/zwei drei.txt"));
    assert_dvc_agrees(&d);
    d.git(&["checkout", "-q", "b"]).success();
    assert_eq!(content(&d, "my file ü.bin").as_deref(), Some("y\n"));
    assert_eq!(
        content(&d, "dätä dir/zwei drei.txt").as_deref(),
        Some("2\n")
    );
    assert_dvc_agrees(&d);
}

#[test]
fn a_git_file_on_one_branch_and_an_out_on_another() {
    let env = TestEnv::new();
    let d = installed_repo(&env);
    d.write("x.csv", "git version\n");
    d.git(&["add", "x.csv"]).success();
    d.git(&["commit", "-q", "-m", "x in git"]).success();
    d.git(&["checkout", "-q", "-b", "as-out"]).success();
    d.git(&["rm", "-q", "--cached", "x.csv"]).success();
    d.write("x.csv", "dvc version\n");
    add_and_commit(&d, &["x.csv"], "x as a DVC out");
    // git overwrites the (ignored) out with its tracked file; the out's data is in the
    // cache, and the hook does not delete the path git now tracks.
    d.git(&["checkout", "-q", "main"]).success();
    assert_eq!(content(&d, "x.csv").as_deref(), Some("git version\n"));
    assert_git_clean(&d);
    d.git(&["checkout", "-q", "as-out"]).success();
    assert_eq!(content(&d, "x.csv").as_deref(), Some("dvc version\n"));
    assert_dvc_agrees(&d);
}

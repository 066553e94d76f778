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
fn reset_hard_removes_outs_whose_pointer_left_and_brings_them_back() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    d.git(&["checkout", "-q", "-b", "no-data"]).success();
    d.git(&["rm", "-q", "data.dvc"]).success();
    d.git(&["commit", "-q", "-m", "drop data"]).success();
    d.git(&["tag", "dropped"]).success();
    // `git rm` and the commit never delete data ...
    assert!(d.exists("data/f0"));
    d.git(&["reset", "-q", "--hard", "v2"]).success();
    assert_v2(&d);
    // ... but `reset --hard` to a commit without the pointer does (post-index-change),
    // since the data is in the cache.
    d.git(&["reset", "-q", "--hard", "HEAD~1"]).success();
    assert_v1(&d);
    d.git(&["reset", "-q", "--hard", "dropped"]).success();
    assert!(!d.exists("data"), "data should have been removed");
    assert_eq!(content(&d, "a.txt").as_deref(), Some("v2\n"));
    assert_dvc_agrees(&d);
    d.git(&["reset", "-q", "--hard", "v2"]).success();
    assert_v2(&d);
    assert_dvc_agrees(&d);

    // Unsaved changes are never deleted: kept with a warning.
    d.write("data/f1", "local edit\n");
    d.git(&["reset", "--hard", "dropped"])
        .success()
        .stderr_has("holds changes that are not in the cache");
    assert_eq!(content(&d, "data/f1").as_deref(), Some("local edit\n"));

    // A pointer staged but never committed is dropped by `reset --hard` like any staged
    // file; its out goes too, and stays recoverable from the cache.
    d.remove("data");
    d.git(&["reset", "-q", "--hard", "v2"]).success();
    d.write("b.txt", "new\n");
    d.git(&["dvc", "add", "-q", "b.txt"]).success();
    d.git(&["add", "b.txt.dvc", ".gitignore"]).success();
    let pointer = d.read("b.txt.dvc");
    d.git(&["reset", "-q", "--hard"]).success();
    assert!(!d.exists("b.txt") && !d.exists("b.txt.dvc"));
    assert_dvc_agrees(&d);
    d.write("b.txt.dvc", pointer);
    d.git(&["dvc", "checkout", "-q", "b.txt.dvc"]).success();
    assert_eq!(content(&d, "b.txt").as_deref(), Some("new\n"));
    d.remove("b.txt");
    d.remove("b.txt.dvc");

    // An out whose pointer is renamed is still tracked: undoing the rename keeps it.
    d.git(&["mv", "a.txt.dvc", "moved.dvc"]).success();
    d.git(&["reset", "-q", "--hard"]).success();
    assert_eq!(content(&d, "a.txt").as_deref(), Some("v2\n"));
    // Removing a directory out deletes only what was checked against the cache: what DVC
    // never lists (here a `.hg` directory inside it) stays.
    d.write("data/.hg/notes", "not in the cache\n");
    d.git(&["reset", "-q", "--hard", "dropped"]).success();
    assert!(!d.exists("data/f0"), "tracked files should go");
    assert_eq!(
        content(&d, "data/.hg/notes").as_deref(),
        Some("not in the cache\n")
    );
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

#[test]
fn sparse_checkout_leaves_out_skipped_pointers_and_reconciles_orphans() {
    let env = TestEnv::new();
    let d = installed_repo(&env);
    d.write("a/x.txt", "x\n");
    d.write("b/data/f0", "b0\n");
    d.write("b/data/f1", "b1\n");
    add_and_commit(&d, &["a/x.txt", "b/data"], "two dirs");
    // Cone mode keeps `a/` and `.dvc/`: `b/data.dvc` becomes skip-worktree, and its out
    // goes with it.
    d.git(&["sparse-checkout", "set", "a", ".dvc"]).success();
    assert!(!d.exists("b/data.dvc"));
    assert!(
        !d.exists("b/data"),
        "the out of a skipped pointer should go"
    );
    assert_eq!(content(&d, "a/x.txt").as_deref(), Some("x\n"));
    // A branch that changes the skipped pointer materializes nothing under `b/`.
    d.git(&["checkout", "-q", "-b", "more"]).success();
    d.git(&["sparse-checkout", "disable"]).success();
    assert_eq!(content(&d, "b/data/f1").as_deref(), Some("b1\n"));
    d.write("b/data/f2", "b2\n");
    d.write("a/x.txt", "x2\n");
    add_and_commit(&d, &["a/x.txt", "b/data"], "more");
    d.git(&["sparse-checkout", "set", "a", ".dvc"]).success();
    assert!(!d.exists("b/data"));
    d.git(&["checkout", "-q", "main"]).success();
    assert_eq!(content(&d, "a/x.txt").as_deref(), Some("x\n"));
    assert!(
        !d.exists("b/data"),
        "a skipped pointer's out must not appear"
    );
    d.git(&["checkout", "-q", "more"]).success();
    assert_eq!(content(&d, "a/x.txt").as_deref(), Some("x2\n"));
    assert!(!d.exists("b/data"));
    // Leaving sparse mode brings the data back, from the cache.
    d.git(&["sparse-checkout", "disable"]).success();
    assert_eq!(content(&d, "b/data/f2").as_deref(), Some("b2\n"));
    assert_dvc_agrees(&d);
}

#[test]
fn sparse_checkout_never_deletes_the_cache() {
    let env = TestEnv::new();
    let d = installed_repo(&env);
    d.write("a/x.txt", "x\n");
    d.write("b/data/f0", "b0\n");
    add_and_commit(&d, &["a/x.txt", "b/data"], "two dirs");
    // A cone without `.dvc/`: plain git would delete `.dvc/`, cache and all, since it then
    // holds only tracked and ignored files. The hook keeps it and says so.
    let out = d.git(&["sparse-checkout", "set", "a"]);
    out.success().stderr_has("git sparse-checkout add .dvc");
    assert!(d.exists(".dvc/git-dvc-sparse-checkout.txt"));
    assert!(d.exists(".dvc/cache/files/md5"), "the cache must survive");
    d.git(&["sparse-checkout", "add", ".dvc", "b"]).success();
    assert!(d.exists(".dvc/config"));
    assert_eq!(content(&d, "b/data/f0").as_deref(), Some("b0\n"));
    d.remove(".dvc/git-dvc-sparse-checkout.txt");
    assert_dvc_agrees(&d);
}

#[test]
fn clean_fdx_and_stash_all_lose_no_pushed_data() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    let store = env.root().join("store");
    add_local_remote(&d, &store);
    d.git(&["dvc", "push", "-q"]).success();
    // `stash -a` stashes every ignored file (outs, and the cache too) into git and deletes
    // it; `stash pop` brings it all back and nothing is left for dvc to do.
    d.git(&["stash", "-q", "-a"]).success();
    assert!(!d.exists("data/f0"));
    d.git(&["stash", "pop", "-q"]).success();
    assert_v2(&d);
    assert_dvc_agrees(&d);
    // `clean -fdX` deletes ignored files: outs, and DVC's cache with them (no hook fires;
    // see the README). What was pushed comes back with `git dvc pull`.
    d.git(&["clean", "-q", "-f", "-d", "-X"]).success();
    assert!(!d.exists("data") && !d.exists("a.txt"));
    d.git(&["dvc", "pull", "-q"]).success();
    assert_v2(&d);
    assert_dvc_agrees(&d);
}

/// A process filter that speaks the handshake, then dies in the middle of its first
/// request; every later start (git restarts it) runs the real `git-dvc-filter`.
const CRASHING_FILTER: &str = r#"import os, sys
marker = sys.argv[1]
if os.path.exists(marker):
    os.execvp("git-dvc-filter", ["git-dvc-filter"])
open(marker, "w").close()
inp, out = sys.stdin.buffer, sys.stdout.buffer
def read_pkt():
    n = inp.read(4)
    if len(n) < 4:
        sys.exit(3)
    n = int(n, 16)
    return None if n == 0 else inp.read(n - 4)
def write(*lines):
    for l in lines:
        out.write(b"%04x" % (len(l) + 4) + l)
    out.write(b"0000")
    out.flush()
while read_pkt() is not None:
    pass
write(b"git-filter-server\n", b"version=2\n")
while read_pkt() is not None:
    pass
write(b"capability=clean\n", b"capability=smudge\n", b"capability=delay\n")
read_pkt()
sys.exit(1)
"#;

#[test]
fn a_filter_crash_mid_request_loses_neither_pointer_nor_data() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    let script = env.root().join("crashing-filter.py");
    std::fs::write(&script, CRASHING_FILTER).unwrap();
    let marker = env.root().join("crashed-once");
    let command = format!("python3 {} {}", script.display(), marker.display());
    d.git(&["config", "filter.dvc.process", &command]).success();
    let out = d.git(&["checkout", "main"]);
    out.success();
    assert!(marker.exists(), "the crashing filter never ran: {out:?}");
    // git passed the first pointer through unfiltered (identity: its bytes are right) and
    // restarted the filter for the next; post-checkout brought in what the crash missed.
    assert_v1(&d);
    assert_dvc_agrees(&d);
}

#[test]
fn pipeline_outs_in_dvc_lock_follow_git_and_dvc_agrees() {
    let env = TestEnv::new();
    let d = installed_repo(&env);
    d.dvc_pipeline("one\n", &["out"], "cp in.txt out");
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-q", "-m", "pipeline"]).success();
    d.git(&["checkout", "-q", "-b", "v2"]).success();
    d.write("in.txt", "two\n");
    d.dvc(&["repro", "-q"]).success();
    d.git(&["commit", "-q", "-a", "-m", "v2"]).success();
    assert_dvc_agrees(&d);
    // The out follows dvc.lock through the filter, both ways.
    d.git(&["checkout", "-q", "main"]).success();
    assert_eq!(content(&d, "out").as_deref(), Some("one\n"));
    assert_dvc_agrees(&d);
    d.git(&["reset", "-q", "--hard", "v2"]).success();
    assert_eq!(content(&d, "out").as_deref(), Some("two\n"));
    assert_dvc_agrees(&d);
    // pre-push uploads dvc.lock outs; dvc sees the remote in sync.
    let store = env.root().join("store");
    let bare = env.root().join("origin.git");
    d.git(&["init", "-q", "--bare", bare.to_str().expect("utf-8")])
        .success();
    d.git(&["remote", "add", "origin", bare.to_str().expect("utf-8")])
        .success();
    add_local_remote(&d, &store);
    d.git(&["push", "-q", "origin", "main", "v2"]).success();
    assert_eq!(
        d.dvc(&["status", "-c", "-a"]).stdout.trim(),
        "Cache and remote 'store' are in sync."
    );
}

/// One git command can fire two hooks (post-index-change, then post-checkout); a problem
/// both find is reported once.
#[test]
fn a_switch_reports_a_kept_orphan_once() {
    let env = TestEnv::new();
    let d = installed_repo(&env);
    d.git(&["commit", "-q", "--allow-empty", "-m", "base"])
        .success();
    d.git(&["checkout", "-q", "-b", "with-f"]).success();
    d.write("f", "hello\n");
    add_and_commit(&d, &["f"], "f");
    // The data of `f` is nowhere but in the workspace once the cache is gone.
    remove_all(&d.path(".dvc/cache"));
    let out = d.git(&["checkout", "-q", "main"]);
    out.success();
    let warning = "`f` is no longer tracked by DVC on this commit but holds changes";
    assert_eq!(out.stderr.matches(warning).count(), 1, "{}", out.stderr);
    assert!(d.exists("f"), "the unsaved data stays");
}

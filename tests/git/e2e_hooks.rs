//! Where hooks live and whose hooks run: linked worktrees, `core.hooksPath`, a user's
//! own hook chained by install, and DVC's own hooks replaced by it
//! (spec/git-integration.md §7, edge cases 21-23).

use crate::e2e_support::*;
use crate::harness::*;

#[test]
fn worktree_add_materializes_from_the_shared_cache() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    d.git(&["checkout", "-q", "main"]).success();
    let wt = env.root().join("wt");
    let wt_str = wt.to_str().expect("utf-8 temp path");
    let out = d.git(&["worktree", "add", "-q", wt_str, "v2"]);
    out.success();
    let w = Dir {
        env: &env,
        path: wt.clone(),
    };
    // The new worktree uses the main worktree's cache and has v2's data.
    assert_v2(&w);
    assert!(w.read(".dvc/config.local").contains("dir = "));
    assert_dvc_agrees(&w);
    // Hooks come from the common dir: a switch inside the worktree works too.
    w.git(&["checkout", "-q", "-b", "wt-main", "main"])
        .success();
    w.git(&["reset", "-q", "--hard", "main"]).success();
    assert_v1(&w);
    assert_dvc_agrees(&w);
    // The main worktree is untouched.
    assert_v1(&d);
}

#[test]
fn core_hooks_path_relative_and_absolute() {
    let env = TestEnv::new();
    let d = env.repo();
    d.git(&["init", "-q"]).success();
    d.git(&["config", "core.hooksPath", ".githooks"]).success();
    d.write(".git/info/exclude", "/.githooks/\n");
    d.git(&["dvc", "init", "-q"]).success();
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-q", "-m", "init"]).success();
    d.git(&["dvc", "install"]).success();
    assert!(d.exists(".githooks/post-checkout"));
    assert!(!d.exists(".git/hooks/post-checkout"));
    // Idempotent.
    d.git(&["dvc", "install"]).success();
    d.write("a.txt", "1\n");
    add_and_commit(&d, &["a.txt"], "a1");
    d.git(&["checkout", "-q", "-b", "b"]).success();
    d.git(&["rm", "-q", "a.txt.dvc"]).success();
    d.git(&["commit", "-q", "-m", "no a"]).success();
    d.git(&["checkout", "-q", "main"]).success();
    d.git(&["checkout", "-q", "b"]).success();
    // Removal needs post-checkout: it ran from .githooks.
    assert!(!d.exists("a.txt"));

    // Absolute hooksPath.
    let abs = env.root().join("abs-hooks");
    let abs_str = abs.to_str().expect("utf-8 temp path");
    d.git(&["dvc", "uninstall"]).success();
    assert!(!d.exists(".githooks/post-checkout"));
    d.git(&["config", "core.hooksPath", abs_str]).success();
    d.git(&["dvc", "install"]).success();
    assert!(abs.join("post-checkout").exists());
    d.git(&["checkout", "-q", "main"]).success();
    assert_eq!(content(&d, "a.txt").as_deref(), Some("1\n"));
    d.git(&["checkout", "-q", "b"]).success();
    assert!(!d.exists("a.txt"));
    assert_dvc_agrees(&d);
}

#[test]
fn a_users_hook_is_chained_and_its_exit_status_counts() {
    let env = TestEnv::new();
    let d = env.repo();
    d.git(&["init", "-q"]).success();
    d.git(&["dvc", "init", "-q"]).success();
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-q", "-m", "init"]).success();
    d.write(
        ".git/hooks/post-checkout",
        "#!/bin/sh\necho \"user post-checkout $3\" >> .git/user-hook.log\n",
    );
    d.chmod(".git/hooks/post-checkout", 0o755);
    d.write(
        ".git/hooks/pre-commit",
        "#!/bin/sh\nif [ -e .git/block ]; then echo 'user hook says no' >&2; exit 1; fi\n",
    );
    d.chmod(".git/hooks/pre-commit", 0o755);
    d.git(&["dvc", "install"]).success();
    d.write("a.txt", "1\n");
    add_and_commit(&d, &["a.txt"], "a");
    d.git(&["checkout", "-q", "-b", "b"]).success();
    d.git(&["rm", "-q", "a.txt.dvc"]).success();
    d.git(&["commit", "-q", "-m", "no a"]).success();
    d.git(&["checkout", "-q", "main"]).success();
    assert_eq!(content(&d, "a.txt").as_deref(), Some("1\n"));
    d.git(&["checkout", "-q", "b"]).success();
    assert!(!d.exists("a.txt"));
    let log = d.read(".git/user-hook.log");
    assert_eq!(log.lines().count(), 3, "{log}");
    // The user's pre-commit still refuses.
    d.write(".git/block", "");
    d.write("n.txt", "n\n");
    d.git(&["add", "n.txt"]).success();
    d.git(&["commit", "-q", "-m", "n"])
        .failure()
        .stderr_has("user hook says no");
    d.remove(".git/block");
    d.git(&["commit", "-q", "-m", "n"]).success();
    // Uninstall puts the user's hooks back byte for byte.
    d.git(&["dvc", "uninstall"]).success();
    assert!(
        d.read(".git/hooks/post-checkout")
            .contains("user post-checkout")
    );
}

#[test]
fn dvcs_own_hooks_are_replaced_and_nothing_runs_twice() {
    let env = TestEnv::new();
    let d = env.repo();
    d.git(&["init", "-q"]).success();
    d.dvc(&["init", "-q"]).success();
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-q", "-m", "init"]).success();
    d.dvc(&["install"]).success();
    assert!(d.read(".git/hooks/post-checkout").contains("dvc git-hook"));
    d.git(&["dvc", "install"]).success();
    let hook = d.read(".git/hooks/post-checkout");
    assert!(
        hook.contains("git dvc hook") && !hook.contains("dvc git-hook"),
        "{hook}"
    );
    d.write("a.txt", "1\n");
    add_and_commit(&d, &["a.txt"], "a");
    d.git(&["checkout", "-q", "-b", "b"]).success();
    d.write("a.txt", "2\n");
    add_and_commit(&d, &["a.txt"], "a2");
    // DVC's post-checkout would fail `checkout` on unsaved changes (dvc#10584); ours
    // keeps them with a warning and git succeeds.
    d.write("a.txt", "unsaved\n");
    d.git(&["checkout", "main"])
        .success()
        .stderr_has("left as it is");
    assert_eq!(content(&d, "a.txt").as_deref(), Some("unsaved\n"));
    d.git(&["checkout", "-q", "-f", "b"]).success();
    d.git(&["dvc", "checkout", "-q", "-f"]).success();
    assert_eq!(content(&d, "a.txt").as_deref(), Some("2\n"));
    d.git(&["checkout", "-q", "main"]).success();
    assert_eq!(content(&d, "a.txt").as_deref(), Some("1\n"));
    assert_dvc_agrees(&d);
    // Uninstall restores DVC's hooks.
    d.git(&["dvc", "uninstall"]).success();
    assert!(d.read(".git/hooks/post-checkout").contains("dvc git-hook"));
}

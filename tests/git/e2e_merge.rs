//! Merges (fast-forward, three-way through the `merge=dvc` driver, squash, conflicts),
//! rebase and cherry-pick keep the workspace in step with the pointers
//! (spec/git-integration.md §7, edge cases 10-14).

use crate::e2e_support::*;
use crate::harness::*;

/// `main` with `data/` (3 files) and `a.txt`; branches `left` and `right` add a different
/// file each to `data/`.
fn diverged(env: &TestEnv) -> Dir<'_> {
    let d = installed_repo(env);
    d.write("a.txt", "base\n");
    for i in 0..3 {
        d.write(&format!("data/f{i}"), format!("file {i}\n"));
    }
    add_and_commit(&d, &["a.txt", "data"], "base");
    d.git(&["checkout", "-q", "-b", "left"]).success();
    d.write("data/left.txt", "from left\n");
    add_and_commit(&d, &["data"], "left adds a file");
    d.git(&["checkout", "-q", "-b", "right", "main"]).success();
    assert!(!d.exists("data/left.txt"));
    d.write("data/right.txt", "from right\n");
    add_and_commit(&d, &["data"], "right adds a file");
    d
}

#[test]
fn fast_forward_merge() {
    let env = TestEnv::new();
    let d = two_branches(&env);
    d.git(&["checkout", "-q", "main"]).success();
    assert_v1(&d);
    d.git(&["merge", "-q", "--ff-only", "v2"]).success();
    assert_v2(&d);
    assert_dvc_agrees(&d);
}

#[test]
fn three_way_merge_of_a_directory_through_the_driver() {
    let env = TestEnv::new();
    let d = diverged(&env);
    d.git(&["checkout", "-q", "left"]).success();
    assert!(d.exists("data/left.txt") && !d.exists("data/right.txt"));
    d.git(&["merge", "-q", "--no-edit", "right"]).success();
    // Both sides' files are there, and the merged .dir is in the cache.
    assert_eq!(content(&d, "data/left.txt").as_deref(), Some("from left\n"));
    assert_eq!(
        content(&d, "data/right.txt").as_deref(),
        Some("from right\n")
    );
    assert!(d.read("data.dvc").contains("nfiles: 5"));
    assert_dvc_agrees(&d);
    // Going back before the merge removes the other side's file again.
    d.git(&["checkout", "-q", "HEAD~1"]).success();
    assert!(!d.exists("data/right.txt"));
    assert_dvc_agrees(&d);
}

#[test]
fn squash_merge() {
    let env = TestEnv::new();
    let d = diverged(&env);
    d.git(&["checkout", "-q", "left"]).success();
    d.git(&["merge", "-q", "--squash", "right"]).success();
    assert!(d.exists("data/right.txt"));
    d.git(&["commit", "-q", "-m", "squashed"]).success();
    assert_dvc_agrees(&d);
}

#[test]
fn conflicting_pointers_pass_through_and_reconcile_after_resolution() {
    let env = TestEnv::new();
    let d = diverged(&env);
    // Both sides change the same file of the directory, and the same file out.
    d.git(&["checkout", "-q", "left"]).success();
    d.write("data/f1", "left's f1\n");
    d.write("a.txt", "left\n");
    add_and_commit(&d, &["data", "a.txt"], "left edits f1");
    d.git(&["checkout", "-q", "right"]).success();
    d.write("data/f1", "right's f1\n");
    d.write("a.txt", "right\n");
    add_and_commit(&d, &["data", "a.txt"], "right edits f1");
    // The merge driver cannot merge a changed file with a changed file: it reports a
    // conflict and leaves our pointers, so the workspace keeps our data.
    d.git(&["merge", "--no-edit", "left"]).failure();
    assert_eq!(
        d.read("a.txt.dvc"),
        d.git(&["show", "HEAD:a.txt.dvc"]).stdout
    );
    assert_eq!(content(&d, "data/f1").as_deref(), Some("right's f1\n"));
    assert_eq!(content(&d, "a.txt").as_deref(), Some("right\n"));
    d.git(&["merge", "--abort"]).success();
    // Without the driver, git's text merge writes conflict markers: the filter lets them
    // through with no side effect.
    d.git(&["config", "--remove-section", "merge.dvc"])
        .success();
    d.git(&["merge", "--no-edit", "left"]).failure();
    assert!(d.read("a.txt.dvc").contains("<<<<<<<"));
    assert_eq!(content(&d, "data/f1").as_deref(), Some("right's f1\n"));
    assert_eq!(content(&d, "a.txt").as_deref(), Some("right\n"));
    // Resolve by taking theirs: the data follows the pointer.
    d.git(&["checkout", "--theirs", "--", "data.dvc", "a.txt.dvc"])
        .success();
    assert_eq!(content(&d, "data/f1").as_deref(), Some("left's f1\n"));
    assert_eq!(content(&d, "a.txt").as_deref(), Some("left\n"));
    assert_eq!(content(&d, "data/right.txt").as_deref(), None);
    d.git(&["add", "data.dvc", "a.txt.dvc"]).success();
    d.git(&["commit", "-q", "--no-edit"]).success();
    assert_dvc_agrees(&d);
}

#[test]
fn resolution_written_by_hand_is_reconciled_by_the_commit() {
    let env = TestEnv::new();
    let d = diverged(&env);
    d.git(&["checkout", "-q", "left"]).success();
    d.write("a.txt", "left\n");
    add_and_commit(&d, &["a.txt"], "left a");
    d.git(&["checkout", "-q", "right"]).success();
    d.write("a.txt", "right\n");
    add_and_commit(&d, &["a.txt"], "right a");
    d.git(&["merge", "--no-edit", "left"]).failure();
    // The user writes the resolution (left's pointer) by hand, then commits.
    d.write("a.txt.dvc", d.git(&["show", "left:a.txt.dvc"]).stdout);
    d.git(&["add", "a.txt.dvc"]).success();
    d.git(&["commit", "-q", "--no-edit"]).success();
    assert_eq!(content(&d, "a.txt").as_deref(), Some("left\n"));
    assert_dvc_agrees(&d);
}

#[test]
fn rebase_leaves_the_final_data() {
    let env = TestEnv::new();
    let d = diverged(&env);
    // main gains a new out and drops nothing; `right` also adds `b.txt`; then main
    // removes `a.txt.dvc`.
    d.git(&["checkout", "-q", "right"]).success();
    d.write("sub/b.txt", "b\n");
    add_and_commit(&d, &["sub/b.txt"], "right adds b");
    d.git(&["checkout", "-q", "main"]).success();
    d.write("other/c.txt", "c\n");
    add_and_commit(&d, &["other/c.txt"], "main adds c");
    d.git(&["rm", "-q", "a.txt.dvc"]).success();
    d.git(&["commit", "-q", "-m", "main drops a"]).success();
    d.git(&["checkout", "-q", "right"]).success();
    assert!(d.exists("a.txt") && !d.exists("other/c.txt"));
    d.git(&["rebase", "-q", "main"]).success();
    assert_eq!(content(&d, "other/c.txt").as_deref(), Some("c\n"));
    assert_eq!(content(&d, "sub/b.txt").as_deref(), Some("b\n"));
    assert_eq!(
        content(&d, "data/right.txt").as_deref(),
        Some("from right\n")
    );
    assert!(
        !d.exists("a.txt"),
        "a.txt's pointer is gone after the rebase"
    );
    assert_dvc_agrees(&d);
}

#[test]
fn cherry_pick_brings_the_data() {
    let env = TestEnv::new();
    let d = diverged(&env);
    d.git(&["checkout", "-q", "left"]).success();
    d.git(&["cherry-pick", "right"]).success();
    // `right`'s commit changed data.dvc from main's; cherry-picking it onto `left`
    // merges the directory through the driver.
    assert_eq!(
        content(&d, "data/right.txt").as_deref(),
        Some("from right\n")
    );
    assert_eq!(content(&d, "data/left.txt").as_deref(), Some("from left\n"));
    assert_dvc_agrees(&d);
    d.git(&["revert", "--no-edit", "HEAD"]).success();
    assert!(!d.exists("data/right.txt"));
    assert_dvc_agrees(&d);
}

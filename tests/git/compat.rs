//! Files from real repositories (issue 11, "Compatibility with real repositories"): shapes
//! of `.dvc` and `dvc.lock` files that dvc writes or accepts, each run by dvc 3.67.1 and by
//! git-dvc on twin repositories, which must end byte-identical with the same output.

use crate::harness::*;

#[track_caller]
fn same(twin: &Twin<'_>, args: &[&str]) -> TwinOutput {
    let out = twin.run(args);
    twin.assert_same_tree();
    out.same_output();
    out
}

// ----- class 7: `commit` of an out that does not exist -----

/// issue 11, class 7: `commit -f x.dvc` with `x` missing exits 1 with dvc's
/// `failed to commit x.dvc - output 'x' does not exist` (git-dvc exited 0). Without `-f`
/// a deleted out is a changed stage; several targets are committed one at a time.
#[test]
fn issue_11_commit_missing_out_fails_like_dvc() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.both(|d| {
        d.write("x", "x\n");
        d.write("y", "y\n");
        d.write("sub/s", "s\n");
    });
    twin.run(&["add", "-q", "x", "y", "sub/s"]).success();
    twin.both(|d| {
        d.remove("x");
        d.remove("sub/s");
        d.write("y", "changed\n");
    });
    same(&twin, &["commit", "-f", "x.dvc"]).gd.code(1);
    same(&twin, &["commit", "-f", "x"]).gd.code(1);
    same(&twin, &["commit", "x.dvc"]).gd.code(1);
    // `y.dvc` is committed before `x.dvc` fails.
    same(&twin, &["commit", "-f", "y.dvc", "x.dvc"])
        .gd
        .code(1)
        .stderr_has("failed to commit x.dvc - output 'x' does not exist");
    let out = twin.run_in("sub", &["commit", "-f", "s.dvc"]);
    out.same_output();
    out.gd.code(1).stderr_has("output 's' does not exist");
    twin.assert_same_tree();
}

/// issue 11, class 7 (neighbour): a `dvc.lock` out that is missing fails `commit -f` too,
/// and the lock file is left as it was.
#[test]
fn issue_11_commit_missing_pipeline_out_fails_like_dvc() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.both(|d| {
        d.dvc_pipeline(
            "in\n",
            &["a.txt", "b.txt"],
            "cp in.txt a.txt && cp in.txt b.txt",
        );
        d.remove("b.txt");
        d.write("a.txt", "changed\n");
    });
    same(&twin, &["commit", "-f"]).gd.code(1);
    same(&twin, &["commit"]).gd.code(1);
}

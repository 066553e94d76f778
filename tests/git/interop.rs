//! Interoperation both ways on one repository: dvc works on what git-dvc wrote and
//! git-dvc works on what dvc wrote, including after modifications.

use crate::harness::*;

fn repo_with(env: &TestEnv) -> Dir<'_> {
    let repo = env.git_repo("r");
    repo.write("f", "f\n");
    repo.write("run.sh", "#!/bin/sh\n");
    repo.chmod("run.sh", 0o755);
    repo.make_dataset("data", 12);
    repo.write("sub/g", "g\n");
    repo
}

#[track_caller]
fn clean(out: &CommandOutput) {
    out.success();
    assert_eq!(
        out.stdout, "Data and pipelines are up to date.\n",
        "{out:?}"
    );
}

#[test]
fn dvc_reads_what_git_dvc_wrote() {
    let env = TestEnv::new();
    let repo = repo_with(&env);
    repo.gd(&["init", "-q"]).success();
    repo.gd(&["add", "-q", "f", "run.sh", "data", "sub/g"])
        .success();
    clean(&repo.dvc(&["status"]));
    // dvc checks out from git-dvc's cache.
    for p in ["f", "run.sh", "data", "sub/g"] {
        repo.remove(p);
    }
    repo.dvc(&["checkout"]).success();
    clean(&repo.dvc(&["status"]));
    clean(&repo.gd(&["status"]));
    assert_eq!(repo.mode("run.sh"), 0o744);
    // dvc commits a modification; git-dvc agrees.
    repo.write("data/d000/f000000.bin", "modified");
    repo.dvc(&["commit", "-f", "-q"]).success();
    clean(&repo.gd(&["status"]));
    // dvc's round-trip rewrite of git-dvc's file and git-dvc's of dvc's agree with each other.
    let after_dvc = repo.read("data.dvc");
    repo.write("data/d000/f000000.bin", "modified twice");
    repo.gd(&["commit", "-f", "-q"]).success();
    clean(&repo.dvc(&["status"]));
    assert_ne!(after_dvc, repo.read("data.dvc"));
}

#[test]
fn git_dvc_reads_what_dvc_wrote() {
    let env = TestEnv::new();
    let repo = repo_with(&env);
    repo.dvc(&["init", "-q"]).success();
    repo.dvc(&["add", "-q", "f", "run.sh", "data", "sub/g"])
        .success();
    clean(&repo.gd(&["status"]));
    for p in ["f", "run.sh", "data", "sub/g"] {
        repo.remove(p);
    }
    let out = repo.gd(&["checkout"]);
    out.success();
    clean(&repo.gd(&["status"]));
    clean(&repo.dvc(&["status"]));
    assert_eq!(repo.read("sub/g"), "g\n");
    // Modifications are seen by both the same way.
    repo.write("f", "changed\n");
    repo.remove("sub/g");
    let d = repo.dvc(&["status", "--json"]);
    let g = repo.gd(&["status", "--json"]);
    assert_same_text("status --json", "dvc", &d.stdout, "git-dvc", &g.stdout);
    // git-dvc commits; dvc sees a clean tree and can check the new version out.
    repo.gd(&["commit", "-f", "-q", "f.dvc"]).success();
    repo.gd(&["checkout", "-q", "sub/g"]).success();
    clean(&repo.dvc(&["status"]));
    repo.remove("f");
    repo.dvc(&["checkout", "-q", "f"]).success();
    assert_eq!(repo.read("f"), "changed\n");
}

#[test]
fn mixed_tools_on_one_directory() {
    let env = TestEnv::new();
    let repo = repo_with(&env);
    repo.dvc(&["init", "-q"]).success();
    repo.dvc(&["add", "-q", "data"]).success();
    repo.write("data/new.txt", "new\n");
    repo.gd(&["add", "-q", "data/new.txt"]).success();
    clean(&repo.dvc(&["status"]));
    repo.write("data/newer.txt", "newer\n");
    repo.dvc(&["add", "-q", "data"]).success();
    clean(&repo.gd(&["status"]));
    repo.remove("data");
    repo.gd(&["checkout", "-q"]).success();
    assert_eq!(repo.read("data/newer.txt"), "newer\n");
}

#[test]
fn git_dvc_sees_dvc_lock_outs() {
    let env = TestEnv::new();
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.dvc_pipeline("in\n", &["out"], "cp in.txt out");
    clean(&repo.gd(&["status"]));
    repo.remove("out");
    let d = repo.dvc(&["status", "--json"]);
    let g = repo.gd(&["status", "--json"]);
    assert_same_text("status --json", "dvc", &d.stdout, "git-dvc", &g.stdout);
    repo.gd(&["checkout", "-q"]).success();
    assert_eq!(repo.read("out"), "in\n");
    clean(&repo.dvc(&["status"]));
}

#[test]
fn dvc_works_after_git_dvc_init_and_config() {
    let env = TestEnv::new();
    let repo = env.git_repo("r");
    repo.gd(&["init", "-q"]).success();
    repo.gd(&["config", "cache.type", "hardlink,copy"])
        .success();
    repo.gd(&["config", "--local", "core.autostage", "true"])
        .success();
    repo.dvc(&["config", "-l"]).success();
    repo.write("f", "f\n");
    repo.dvc(&["add", "-q", "f"]).success();
    // autostage from git-dvc's config.local took effect in dvc.
    let staged = repo
        .git(&["diff", "--cached", "--name-only"])
        .success()
        .stdout
        .clone();
    assert!(staged.contains("f.dvc"), "{staged}");
    clean(&repo.gd(&["status"]));
}

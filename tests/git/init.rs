//! `init` against dvc (spec §5.3): files, bytes, staging, messages and errors.

use crate::harness::*;

const DVCIGNORE: &str = "# Add patterns of files dvc should ignore, which could improve\n\
# the performance. Learn more at\n\
# https://dvc.org/doc/user-guide/dvcignore\n";

#[test]
fn init_matches_dvc() {
    let env = TestEnv::new();
    let twin = env.twin();
    let out = twin.run(&["init"]);
    out.success();
    twin.assert_same_tree();
    out.same_output();
    // The exact bytes, independently of the oracle.
    let gd = &twin.gd;
    assert_eq!(gd.read(".dvc/config"), "");
    assert_eq!(gd.read(".dvc/.gitignore"), "/config.local\n/tmp\n/cache\n");
    assert_eq!(gd.read(".dvcignore"), DVCIGNORE);
    assert_eq!(DVCIGNORE.len(), 139);
    assert!(
        gd.exists(".dvc/tmp/btime"),
        "init must create .dvc/tmp/btime"
    );
    // The three non-tmp files are staged.
    let staged = gd.git(&["diff", "--cached", "--name-only"]);
    assert_eq!(
        staged.success().stdout,
        ".dvc/.gitignore\n.dvc/config\n.dvcignore\n"
    );
}

#[test]
fn init_quiet_prints_nothing() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.run(&["init", "-q"]).success().same_output();
    assert_eq!(twin.gd.gd(&["status"]).success().stdout.lines().count(), 2);
}

#[test]
fn init_twice_fails_and_force_reinitializes() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    let again = twin.run(&["init"]);
    again.same_output();
    again
        .gd
        .code(1)
        .stderr_has("'.dvc' exists. Use `-f` to force.");
    // -f starts over: user config is reset, the data cache is kept as dvc keeps it.
    twin.run(&["config", "core.autostage", "true"]).success();
    let out = twin.run(&["init", "-f"]);
    out.success();
    twin.assert_same_tree();
    out.same_output();
}

#[test]
fn init_no_scm() {
    let env = TestEnv::new();
    let twin = env.twin_plain();
    let out = twin.run(&["init", "--no-scm"]);
    out.success();
    twin.assert_same_tree();
    out.same_output();
    assert_eq!(twin.gd.read(".dvc/config"), "[core]\n    no_scm = True\n");
    assert!(!twin.gd.exists(".dvc/.gitignore"));
}

#[test]
fn init_outside_git_needs_no_scm() {
    let env = TestEnv::new();
    let twin = env.twin_plain();
    let out = twin.run(&["init"]);
    out.same_output();
    out.gd
        .code(1)
        .stderr_has("is not tracked by any supported SCM tool");
    assert!(
        !twin.gd.exists(".dvc"),
        "a failed init must not leave .dvc behind"
    );
}

#[test]
fn init_in_git_subdirectory_fails() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.both(|d| {
        d.sub("sub");
    });
    let out = twin.run_in("sub", &["init"]);
    out.same_output();
    out.gd.code(1).stderr_has("--subdir");
    assert!(!twin.gd.exists("sub/.dvc"));
}

#[test]
fn commands_outside_a_dvc_repo_exit_253() {
    let env = TestEnv::new();
    let twin = env.twin();
    for args in [&["status"][..], &["add", "x"], &["checkout"], &["commit"]] {
        let out = twin.run(args);
        out.same_code().same_output();
        out.gd
            .code(253)
            .stderr_has("you are not inside of a DVC repository");
    }
}

#[test]
fn status_of_empty_project() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.run(&["status"]).success().same_output();
    twin.run(&["status", "--json"]).success().same_output();
}

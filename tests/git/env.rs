//! Tests of the harness itself: the environment is hermetic and the oracle is the pinned one.

use crate::harness::*;

#[test]
fn oracle_is_pinned_dvc() {
    let env = TestEnv::new();
    let out = env.dvc(&["--version"]);
    out.success();
    assert_eq!(out.stdout.trim(), ORACLE_DVC_VERSION);
}

#[test]
fn path_puts_built_git_dvc_first() {
    let env = TestEnv::new();
    let out = env.repo().run(
        "sh",
        &[
            "-c",
            "command -v git-dvc; command -v git-dvc-filter; command -v dvc",
        ],
    );
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], git_dvc_exe().to_str().unwrap());
    assert_eq!(lines[1], git_dvc_filter_exe().to_str().unwrap());
    assert_eq!(lines[2], oracle_bin_dir().join("dvc").to_str().unwrap());
}

#[test]
fn environment_is_hermetic() {
    let env = TestEnv::new();
    let out = env.repo().run(
        "sh",
        &[
            "-c",
            "umask; echo $HOME; echo $GIT_CONFIG_NOSYSTEM; env | cut -d= -f1 | sort",
        ],
    );
    out.success();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("0022"));
    let home = lines.next().unwrap();
    assert!(
        home.starts_with(env.root().to_str().unwrap()),
        "HOME outside the temp dir: {home}"
    );
    assert_eq!(lines.next(), Some("1"));
    // Nothing from the host's environment besides what the harness sets.
    for var in lines {
        assert!(
            !var.starts_with("CARGO") && !var.starts_with("RUST") && var != "AWS_ACCESS_KEY_ID",
            "leaked variable {var}"
        );
    }
    // git sees only the env's global config.
    let out = env.git(&["config", "--show-origin", "--get", "user.email"]);
    out.success();
    assert!(
        out.stdout
            .contains(env.root().join("home/.gitconfig").to_str().unwrap()),
        "{out:?}"
    );
}

#[test]
fn git_dvc_runs_as_git_subcommand() {
    let env = TestEnv::new();
    env.git(&["init", "-q"]).success();
    // `git dvc` resolves to the built binary through PATH.
    let out = env.git(&["dvc", "--version"]);
    out.success();
    assert!(
        out.stdout.contains("git-dvc") || out.stdout.contains("git dvc"),
        "{out:?}"
    );
}

#[test]
fn listing_shows_modes_sorted() {
    let env = TestEnv::new();
    env.write("d/b", "b");
    env.write("d/a/x", "x");
    env.repo().chmod("d/b", 0o444);
    assert_eq!(env.listing("d"), "0755 a/\n0644 a/x\n0444 b\n");
    assert_eq!(env.listing("nonexistent"), "");
}

#[test]
fn dataset_is_deterministic() {
    let env = TestEnv::new();
    env.repo().make_dataset("a", 30);
    env.repo().make_dataset("b", 30);
    let a = tree_snapshot(&env.repo().sub("a"));
    let b = tree_snapshot(&env.repo().sub("b"));
    assert_eq!(a, b);
    assert_eq!(a.lines().filter(|l| l.contains(".bin")).count(), 30);
    for line in a.lines().filter(|l| l.contains(".bin")) {
        let size: usize = line
            .split('(')
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((512..=8192).contains(&size), "{line}");
    }
}

#[test]
fn twin_trees_compare_bytes() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.write("x.txt", "same\n");
    twin.assert_same_tree();
    twin.gd.write("x.txt", "different\n");
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| twin.assert_same_tree()));
    assert!(r.is_err(), "a differing file must be caught");
}

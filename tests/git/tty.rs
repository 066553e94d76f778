//! What only happens on a terminal: the commit prompt and progress bars. Each case runs
//! the command on a pseudo-terminal, and dvc beside it where dvc has the same prompt.

use crate::harness::{TestEnv, git_dvc_exe, oracle_bin_dir, pty_finish, pty_spawn};

/// A twin with `f` tracked and then changed, so that `commit` has something to ask about.
fn changed_twin(env: &TestEnv) -> crate::harness::Twin<'_> {
    let t = env.twin();
    for d in [&t.dvc, &t.gd] {
        d.dvc(&["init", "-q"]).success();
        d.write("f", "one\n");
        d.dvc(&["add", "-q", "f"]).success();
        d.write("f", "two\n");
    }
    t
}

const QUESTION: &str =
    "outputs ['f'] of stage: 'f.dvc' changed. Are you sure you want to commit it? [y/n] ";

#[test]
fn commit_on_a_tty_asks_and_no_refuses_like_dvc() {
    let env = TestEnv::new();
    let t = changed_twin(&env);
    let before = t.gd.read("f.dvc");
    let mut results = Vec::new();
    for (dir, exe) in [
        (&t.dvc, oracle_bin_dir().join("dvc")),
        (&t.gd, git_dvc_exe().to_path_buf()),
    ] {
        let mut s = pty_spawn(dir, &exe, &["commit", "f"]);
        s.exp_string(QUESTION).expect("the commit question");
        s.send_line("n").expect("answer");
        let (rest, code) = pty_finish(s);
        assert!(
            rest.contains("failed to commit f - unable to commit changed stage: 'f.dvc'. Use `-f|--force` to force."),
            "{exe:?}: {rest}"
        );
        results.push(code);
    }
    assert_eq!(results, [1, 1]);
    assert_eq!(t.gd.read("f.dvc"), before, "no commit after 'n'");
}

#[test]
fn commit_on_a_tty_commits_after_yes_as_dvc_does() {
    let env = TestEnv::new();
    let t = changed_twin(&env);
    for (dir, exe) in [
        (&t.dvc, oracle_bin_dir().join("dvc")),
        (&t.gd, git_dvc_exe().to_path_buf()),
    ] {
        let mut s = pty_spawn(dir, &exe, &["commit", "f"]);
        s.exp_string(QUESTION).expect("the commit question");
        // An answer outside yes/no is asked again, as dvc does.
        s.send_line("maybe").expect("answer");
        s.exp_string("Your response must be one of: ['yes', 'no', 'y', 'n']. Please try again.")
            .expect("asked again");
        s.send_line("y").expect("answer");
        let (_, code) = pty_finish(s);
        assert_eq!(code, 0, "{exe:?}");
    }
    assert_eq!(t.gd.read("f.dvc"), t.dvc.read("f.dvc"));
    assert!(
        t.gd.read("f.dvc")
            .contains(&crate::harness::md5_hex(b"two\n"))
    );
}

#[test]
fn commit_off_a_tty_refuses_without_asking() {
    let env = TestEnv::new();
    let t = changed_twin(&env);
    let d = t.dvc.dvc(&["commit", "f"]);
    let g = t.gd.gd(&["commit", "f"]);
    assert_eq!(g.code, d.code);
    assert!(!g.stdout.contains("Are you sure"), "{}", g.stdout);
    g.stderr_has("unable to commit changed stage: 'f.dvc'. Use `-f|--force` to force.");
}

#[test]
fn quiet_with_verbose_is_a_usage_error_exit_2_as_in_dvc() {
    let env = TestEnv::new();
    let r = env.repo();
    r.git(&["init", "-q"]).success();
    r.dvc(&["init", "-q"]).success();
    // Not through the forking oracle server, which reports exits of its own parser as 0.
    let d = r.run("dvc", &["status", "-q", "-v"]);
    let g = r.gd(&["status", "-q", "-v"]);
    assert_eq!((g.code, d.code), (2, 2));
    g.stderr_has("argument -v/--verbose: not allowed with argument -q/--quiet");
}

#[test]
fn hints_name_git_dvc_commands() {
    let env = TestEnv::new();
    let r = env.repo();
    r.git(&["init", "-q"]).success();
    r.gd(&["init", "-q"]).success();
    r.write("f", "x\n");
    r.gd(&["add", "-q", "f"]).success();
    r.gd(&["push"])
        .code(1)
        .stderr_has("    git dvc remote add -d <remote name> <remote url>");
    r.gd(&["gc", "-w", "-c", "-f"])
        .failure()
        .stderr_has("    git dvc remote add -d");
}

/// On a terminal, long phases show a bar in files and bytes (here at once: the delay is
/// set to 0); off a terminal, nothing.
#[test]
fn progress_on_a_tty_and_none_off_it() {
    let mut env = TestEnv::new();
    env.set_var("GIT_DVC_PROGRESS_DELAY_MS", "0");
    let r = env.repo();
    r.git(&["init", "-q"]).success();
    r.gd(&["init", "-q"]).success();
    let store = env.root().join("store");
    r.gd(&["remote", "add", "-d", "s", store.to_str().unwrap()])
        .success();
    r.make_dataset("data", 300);
    let gd = git_dvc_exe().to_path_buf();
    let (out, code) = pty_finish(pty_spawn(&r, &gd, &["add", "data"]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Adding ") && out.contains("/300 files"),
        "{out}"
    );
    let (out, code) = pty_finish(pty_spawn(&r, &gd, &["push"]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("/301 files"),
        "push progress counts every object: {out}"
    );
    assert!(out.contains("301 files pushed"), "{out}");
    crate::harness::remove_all(&r.path("data"));
    let (out, code) = pty_finish(pty_spawn(&r, &gd, &["checkout"]));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Checking out "), "{out}");
    // -q: no bar even on a terminal.
    crate::harness::remove_all(&r.path("data"));
    let (out, code) = pty_finish(pty_spawn(&r, &gd, &["checkout", "-q"]));
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("files"), "{out}");
    // Pull: the bar and the summary count the same objects.
    crate::harness::remove_all(&r.path("data"));
    r.remove(".dvc/cache");
    let (out, code) = pty_finish(pty_spawn(&r, &gd, &["pull"]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("/301 files") && out.contains("301 files fetched"),
        "{out}"
    );
    // Off a terminal: nothing but the summary.
    crate::harness::remove_all(&r.path("data"));
    r.remove(".dvc/cache");
    let pull = r.gd(&["pull"]).success().stderr.clone();
    assert!(!pull.contains("/301"), "{pull}");
}

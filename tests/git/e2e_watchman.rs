//! watchman: status and the pre-commit check ask it what changed since the last run and
//! walk only the outs under which something did (issue 16, part 4). Each test runs its
//! own `watchman --foreground` server (own socket, state and log files in the test's
//! temp dir, killed at the end); the machine-wide one is never used. Every other test
//! runs with `gitdvc.watchman=false` in its global git config (harness.rs).

use crate::e2e_support::*;
use crate::harness::*;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn watchman_bin() -> PathBuf {
    ["/usr/bin/watchman", "/usr/local/bin/watchman"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "watchman is not installed (Debian: `apt-get install watchman`, which `.ci/run` does)"
            )
        })
}

/// A watchman server of the test's own.
struct Watchman {
    child: Child,
    dir: PathBuf,
}

impl Watchman {
    /// Start a server in `<root>/<name>` and point the env's `WATCHMAN_SOCK` at it.
    fn start(env: &mut TestEnv, name: &str) -> Watchman {
        let dir = env.root().join(name);
        std::fs::create_dir_all(&dir).expect("watchman dir");
        set_mode(&dir, 0o700);
        let sock = dir.join("sock");
        let child = Command::new(watchman_bin())
            .arg("--foreground")
            .arg(format!("--sockname={}", sock.display()))
            .arg(format!("--statefile={}", dir.join("state").display()))
            .arg(format!("--logfile={}", dir.join("log").display()))
            .arg(format!("--pidfile={}", dir.join("pid").display()))
            .arg("--no-save-state")
            .env("WATCHMAN_SOCK", &sock)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start watchman");
        let start = Instant::now();
        while !sock.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "watchman did not start: {}",
                std::fs::read_to_string(dir.join("log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        env.set_var("WATCHMAN_SOCK", &sock);
        Watchman { child, dir }
    }

    fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(self.dir.join("sock"));
    }
}

impl Drop for Watchman {
    fn drop(&mut self) {
        self.kill();
    }
}

fn data_repo(env: &TestEnv) -> Dir<'_> {
    let d = installed_repo(env);
    d.make_dataset("data", 30);
    d.write("single.txt", "one\n");
    add_and_commit(&d, &["data", "single.txt"], "data");
    d
}

/// `git dvc status` with and without watchman: (stdout, exit code) of each, and the
/// debug log of the watchman run.
fn both(d: &Dir<'_>) -> ((String, i32), (String, i32), String) {
    let mut cmd = d.command(git_dvc_exe());
    cmd.args(["status"]).env("GIT_DVC_LOG", "git_dvc=debug");
    let watched = run_command(cmd, None);
    let mut cmd = d.command(git_dvc_exe());
    cmd.args(["status"])
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "gitdvc.watchman")
        .env("GIT_CONFIG_VALUE_0", "false");
    let plain = run_command(cmd, None);
    (
        (watched.stdout.clone(), watched.code),
        (plain.stdout.clone(), plain.code),
        watched.stderr,
    )
}

fn assert_same(d: &Dir<'_>, step: &str) -> String {
    let (watched, plain, log) = both(d);
    assert_eq!(
        watched, plain,
        "after {step}: watchman's status differs from the walk\n{log}"
    );
    log
}

#[test]
fn status_with_watchman_gives_the_walks_answers() {
    let mut env = TestEnv::new();
    let _w = Watchman::start(&mut env, "watchman");
    let d = data_repo(&env);
    d.git(&["config", "gitdvc.watchman", "true"]).success();
    let first = assert_same(&d, "nothing");
    assert!(!first.contains("paths changed since"), "{first}");
    let log = assert_same(&d, "nothing, again");
    assert!(
        log.contains("watchman: 0 paths changed since") && !log.contains("state DB for 'data'"),
        "the second run should be answered by watchman, without a walk:\n{log}"
    );
    d.write("data/d000/f000000.bin", "modified\n");
    let log = assert_same(&d, "a modified file");
    assert!(
        log.contains("paths changed since") && log.contains("state DB for 'data'"),
        "{log}"
    );
    assert!(d.gd(&["status"]).stdout.contains("modified"));
    d.git(&["dvc", "commit", "-f", "-q"]).success();
    assert_same(&d, "a commit");
    d.write("data/d000/new.bin", "new\n");
    assert_same(&d, "an added file");
    d.remove("data/d000/new.bin");
    assert_same(&d, "the added file deleted");
    d.remove("data/d000/f000001.bin");
    assert_same(&d, "a deleted file");
    d.git(&["dvc", "checkout", "-q"]).success();
    assert_same(&d, "checkout");
    d.chmod("single.txt", 0o755);
    assert_same(&d, "chmod");
    let target = d.path("elsewhere.txt");
    std::fs::write(&target, "one\n").unwrap();
    d.remove("data/d000/f000002.bin");
    std::os::unix::fs::symlink(&target, d.path("data/d000/f000002.bin")).unwrap();
    assert_same(&d, "a file replaced by a symlink");
    // The out holds a symlink now: never trusted to the watcher, so a change of its
    // target (where watchman does not look) is still seen.
    std::fs::write(&target, "changed elsewhere\n").unwrap();
    assert_same(&d, "the symlink's target changed");
    d.remove("data/d000/f000002.bin");
    d.git(&["dvc", "checkout", "-q", "-f"]).success();
    assert_same(&d, "checkout again");
    // Edits right after a run (inside the same second) are seen by the next one.
    for i in 0..5 {
        d.gd(&["status"]).success();
        d.write("single.txt", format!("edit {i}\n"));
        assert_same(&d, &format!("edit {i} right after a run"));
    }
    d.write(".dvcignore", "data/d001\n");
    assert_same(&d, "a .dvcignore change");
}

#[test]
fn a_restarted_watchman_is_a_fresh_instance_and_the_walk_answers() {
    let mut env = TestEnv::new();
    let w = Watchman::start(&mut env, "watchman-1");
    let d = data_repo(&env);
    d.git(&["config", "gitdvc.watchman", "true"]).success();
    assert_same(&d, "nothing");
    assert_same(&d, "nothing, again");
    w.stop();
    // Changed while no watchman ran: a new instance cannot know.
    d.write("data/d000/f000000.bin", "modified while down\n");
    let _w = Watchman::start(&mut env, "watchman-2");
    let d = env.repo();
    let out = d.gd(&["status"]);
    assert!(out.stdout.contains("modified"), "{}", out.stdout);
    assert_same(&d, "after the restart");
    // A clock from a stopped server is no clock: status without any server walks.
    drop(_w);
    let out = d.gd(&["status"]);
    assert!(out.stdout.contains("modified"), "{}", out.stdout);
}

#[test]
fn without_watchman_on_path_nothing_changes() {
    let mut env = TestEnv::new();
    let d = data_repo(&env);
    d.git(&["config", "--global", "--unset", "gitdvc.watchman"])
        .success();
    let before = d.gd(&["status"]);
    d.write("data/d000/f000000.bin", "modified\n");
    let with_path = d.gd(&["status"]);
    // PATH with git and git-dvc only: no watchman.
    let bin = env.root().join("bin-without-watchman");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink("/usr/bin/git", bin.join("git")).unwrap();
    let path = std::env::join_paths([git_dvc_exe().parent().unwrap(), bin.as_path()]).unwrap();
    env.set_var("PATH", &path);
    let d = env.repo();
    let mut cmd = d.command(git_dvc_exe());
    cmd.arg("status");
    let without = run_command(cmd, None);
    assert_eq!(without.stdout, with_path.stdout);
    assert_eq!(without.stderr, with_path.stderr);
    assert_eq!(without.code, with_path.code);
    assert!(without.stdout.contains("modified"), "{}", without.stdout);
    assert!(before.stdout.contains("up to date"), "{}", before.stdout);
}

#[test]
fn gitdvc_watchman_false_is_honoured() {
    let mut env = TestEnv::new();
    let w = Watchman::start(&mut env, "watchman");
    let d = data_repo(&env);
    d.git(&["config", "gitdvc.watchman", "false"]).success();
    for _ in 0..2 {
        let mut cmd = d.command(git_dvc_exe());
        cmd.args(["status"]).env("GIT_DVC_LOG", "git_dvc=debug");
        let out = run_command(cmd, None);
        assert!(!out.stderr.contains("watchman"), "{}", out.stderr);
    }
    let watched = std::fs::read_to_string(w.dir.join("log")).unwrap_or_default();
    assert!(
        !watched.contains(d.path("").to_string_lossy().trim_end_matches('/')),
        "watchman was asked to watch the repository:\n{watched}"
    );
}

#[test]
fn pre_commit_under_watchman_still_stages_a_modified_out() {
    let mut env = TestEnv::new();
    let _w = Watchman::start(&mut env, "watchman");
    let d = data_repo(&env);
    d.git(&["config", "gitdvc.watchman", "true"]).success();
    d.write("notes.txt", "n\n");
    d.git(&["add", "notes.txt"]).success();
    d.git(&["commit", "-q", "-m", "notes"]).success();
    d.write("notes.txt", "n2\n");
    d.git(&["add", "notes.txt"]).success();
    let mut cmd = d.command("git");
    cmd.args(["commit", "-q", "-m", "notes 2"])
        .env("GIT_DVC_LOG", "git_dvc=debug");
    let out = run_command(cmd, None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("paths changed since") && !out.stderr.contains("state DB for 'data'"),
        "pre-commit should be answered by watchman:\n{}",
        out.stderr
    );
    d.write("data/d000/f000000.bin", "changed\n");
    d.write("single.txt", "changed too\n");
    d.write("notes.txt", "n3\n");
    d.git(&["add", "notes.txt"]).success();
    d.git(&["commit", "-q", "-m", "data"])
        .success()
        .stderr_has("updated and staged");
    let files = d.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.stdout, "data.dvc\nnotes.txt\nsingle.txt.dvc\n");
    assert_dvc_agrees(&d);
}

/// git commands that fire no checkout hook change pointers under a watched workspace
/// (`reset --hard`, `stash`, `stash pop`; git-dvc follows them from post-index-change):
/// watchman's answer is still the walk's after each.
#[test]
fn pointers_changed_by_git_without_hooks_under_watchman() {
    let mut env = TestEnv::new();
    let _w = Watchman::start(&mut env, "watchman");
    let d = data_repo(&env);
    d.git(&["config", "gitdvc.watchman", "true"]).success();
    assert_same(&d, "nothing");
    d.write("data/d000/f000000.bin", "v2\n");
    d.git(&["dvc", "commit", "-f", "-q"]).success();
    d.git(&["commit", "-q", "-am", "v2"]).success();
    assert_same(&d, "a commit");
    d.git(&["reset", "-q", "--hard", "HEAD~1"]).success();
    let log = assert_same(&d, "reset --hard to the old pointer");
    let now = std::fs::read(d.path("data/d000/f000000.bin")).expect("read the file");
    assert_ne!(now, b"v2\n", "reset --hard left the new data\n{log}");
    d.git(&["reset", "-q", "--hard", "ORIG_HEAD"]).success();
    assert_same(&d, "reset --hard back");
    d.write("single.txt", "stashed\n");
    d.git(&["dvc", "commit", "-f", "-q", "single.txt.dvc"])
        .success();
    d.git(&["stash", "-q"]).success();
    assert_same(&d, "stash of a pointer change");
    d.git(&["stash", "pop", "-q"]).success();
    assert_same(&d, "stash pop");
}

//! Concurrency (issue 15, part 2): git-dvc beside the real dvc, beside another git-dvc,
//! beside an IDE's `git status` loop, a push beside a gc on one remote, and two Unix
//! users sharing one cache (`cache.shared = group`).
//!
//! What must hold, whatever the interleaving:
//! - each command either proceeds, or waits on DVC's repo lock (`.dvc/tmp/lock`, 6 tries
//!   0.5 s apart) and then fails with dvc's `Unable to acquire lock` message and dvc's
//!   exit code, having written nothing;
//! - afterwards every object in the cache and on the remote hashes to its name, dvc loads
//!   the repository, `dvc status` and `git dvc status` agree, and no data is lost (a
//!   command that failed on the lock completes when run again).
//!
//! `cargo test` runs each race a few times (`CONCURRENCY_ITERATIONS`, default 2);
//! `scripts/concurrency.sh` runs many.

use crate::harness::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// The text every busy-lock failure carries (dvc's `FAILED_TO_LOCK_MESSAGE`, start),
/// after `ERROR: ` and the command's own prefix (`failed to commit - `).
const FAILED_TO_LOCK: &str = "Unable to acquire lock. Most likely another DVC process is running or was terminated abruptly.";

fn iterations() -> usize {
    std::env::var("CONCURRENCY_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}

/// `files` files of 1 to 6 KiB under `rel`, their content decided by `seed`.
fn dataset(dir: &Dir<'_>, rel: &str, files: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    for i in 0..files {
        let size = rng.range(1024, 6 * 1024) as usize;
        dir.write(&format!("{rel}/s{:02}/f{i:05}", i % 16), rng.bytes(size));
    }
}

/// The command proceeded, or failed on the busy lock (and said so, and did not panic).
#[track_caller]
fn proceeded_or_busy(out: &CommandOutput) -> bool {
    if out.code == 0 {
        return true;
    }
    assert!(
        out.stderr.contains(FAILED_TO_LOCK),
        "a command racing another must succeed or fail on the lock:\n{out:?}"
    );
    false
}

/// Who runs a command.
#[derive(Clone, Copy, Debug)]
enum Tool {
    Dvc,
    GitDvc,
}

fn run_tool(repo: &Dir<'_>, tool: Tool, args: &[&str]) -> CommandOutput {
    match tool {
        Tool::Dvc => repo.dvc(args),
        Tool::GitDvc => repo.gd(args),
    }
}

/// Runs both commands at the same moment; each must proceed or fail on the lock. What
/// failed on the lock is run again and must then succeed.
fn race(repo: &Dir<'_>, a: (Tool, &[&str]), b: (Tool, &[&str])) {
    let (oa, ob) = std::thread::scope(|s| {
        let ta = s.spawn(|| run_tool(repo, a.0, a.1));
        let tb = s.spawn(|| run_tool(repo, b.0, b.1));
        (ta.join().expect("thread a"), tb.join().expect("thread b"))
    });
    for ((tool, args), out) in [(a, oa), (b, ob)] {
        if !proceeded_or_busy(&out) {
            run_tool(repo, tool, args).success();
        }
    }
}

/// What must hold after any race: a sound cache, dvc loads the repo and finds it up to
/// date, and git-dvc agrees.
#[track_caller]
fn repo_is_sound(repo: &Dir<'_>, context: &str) {
    objects_match_names(&repo.path(".dvc/cache"), context);
    repo.dvc(&["status"])
        .success()
        .stdout_has("Data and pipelines are up to date.");
    repo.gd(&["status"])
        .success()
        .stdout_has("Data and pipelines are up to date.");
}

/// A busy repo lock: every command waits the 3 s dvc waits, then fails with dvc's message
/// and dvc's exit code (1 where dvc's command catches the error, 255 where it does not),
/// and writes nothing.
#[test]
fn busy_lock_fails_like_dvc_and_writes_nothing() {
    let env = TestEnv::new();
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    let store = env.root().join("store");
    repo.dvc(&["remote", "add", "-d", "s", store.to_str().expect("utf-8")])
        .success();
    repo.write("x", "x\n");
    repo.dvc(&["add", "-q", "x"]).success();
    repo.git(&["add", "-A"]).success();
    repo.git(&["commit", "-qm", "x"]).success();
    repo.write("y", "y\n");
    repo.write("x", "changed\n");
    let before = disk_state(&repo);
    // The test process holds the lock, as a running dvc would.
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(repo.path(".dvc/tmp/lock"))
        .expect("open the lock file");
    lock.lock().expect("flock");
    let commands: &[&[&str]] = &[
        &["add", "y"],
        &["commit", "-f"],
        &["push"],
        &["fetch"],
        &["pull"],
        &["remove", "x.dvc"],
        &["move", "x", "z"],
        &["freeze", "x.dvc"],
        &["unfreeze", "x.dvc"],
        &["destroy", "-f"],
        &["diff"],
        &["status"],
        &["status", "-c"],
        &["checkout", "-f"],
        &["gc", "-w", "-f"],
    ];
    let started = Instant::now();
    let outs: Vec<(CommandOutput, CommandOutput)> = std::thread::scope(|s| {
        let handles: Vec<_> = commands
            .iter()
            .map(|args| s.spawn(|| (repo.dvc(args), repo.gd(args))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let first_line = |o: &CommandOutput| {
        normalize(&o.stderr, env.root())
            .lines()
            .find(|l| l.starts_with("ERROR:"))
            .unwrap_or("")
            .to_string()
    };
    let mut differ = Vec::new();
    for (args, (dvc, gd)) in commands.iter().zip(&outs) {
        assert!(dvc.stderr.contains(FAILED_TO_LOCK), "{args:?}: {dvc:?}");
        if (gd.code, first_line(gd)) != (dvc.code, first_line(dvc)) {
            differ.push(format!(
                "{args:?}:\n  dvc     {} {}\n  git-dvc {} {}",
                dvc.code,
                first_line(dvc),
                gd.code,
                first_line(gd)
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "on a busy lock, git-dvc's exit code or message differs from dvc's:\n{}",
        differ.join("\n")
    );
    assert!(
        started.elapsed() >= Duration::from_millis(2500),
        "the lock is retried for about 3 s first"
    );
    assert_eq!(
        disk_state(&repo),
        before,
        "nothing is written on a busy lock"
    );
    // `data status` takes no lock in dvc: it answers while the lock is held.
    repo.gd(&["data", "status"]).success();
    drop(lock);
    repo.gd(&["add", "-q", "y"]).success();
}

/// git-dvc and dvc at the same time on one repository, on disjoint targets and on the
/// same target, and two git-dvc processes the same way.
#[test]
fn git_dvc_beside_dvc_and_beside_itself() {
    let env = TestEnv::new();
    let repo = env.git_repo("r");
    repo.gd(&["init", "-q"]).success();
    for round in 0..iterations() as u64 {
        let ctx = format!("round {round}");
        dataset(&repo, "a", 400, 10 + round);
        dataset(&repo, "b", 400, 20 + round);
        // Disjoint targets, dvc beside git-dvc.
        race(
            &repo,
            (Tool::Dvc, &["add", "-q", "a"]),
            (Tool::GitDvc, &["add", "-q", "b"]),
        );
        repo_is_sound(&repo, &ctx);
        // The same target, changed, by both tools.
        repo.write("a/s00/f00000", format!("round {round}\n"));
        race(
            &repo,
            (Tool::GitDvc, &["add", "-q", "a"]),
            (Tool::Dvc, &["add", "-q", "a"]),
        );
        repo_is_sound(&repo, &ctx);
        // Two git-dvc processes: disjoint, then the same target.
        repo.write("a/s01/f00001", format!("again {round}\n"));
        repo.write("b/s01/f00001", format!("again {round}\n"));
        race(
            &repo,
            (Tool::GitDvc, &["commit", "-q", "-f", "a.dvc"]),
            (Tool::GitDvc, &["commit", "-q", "-f", "b.dvc"]),
        );
        repo_is_sound(&repo, &ctx);
        repo.write("b/s02/f00002", format!("twice {round}\n"));
        race(
            &repo,
            (Tool::GitDvc, &["add", "-q", "b"]),
            (Tool::GitDvc, &["add", "-q", "b"]),
        );
        repo_is_sound(&repo, &ctx);
        // Checkouts beside status and beside each other.
        repo.remove("a");
        repo.remove("b");
        race(
            &repo,
            (Tool::GitDvc, &["checkout", "-q"]),
            (Tool::Dvc, &["checkout", "-q"]),
        );
        repo_is_sound(&repo, &ctx);
        repo.remove("a");
        race(
            &repo,
            (Tool::GitDvc, &["checkout", "-q", "a.dvc"]),
            (Tool::GitDvc, &["status"]),
        );
        repo_is_sound(&repo, &ctx);
        // Nothing lost: the last-written content is what is tracked.
        assert_eq!(repo.read("b/s02/f00002"), format!("twice {round}\n"));
        assert_eq!(repo.read("a/s00/f00000"), format!("round {round}\n"));
    }
}

/// An IDE runs `git status` in a loop (it calls the clean filter on pointers git cannot
/// trust by stat) while a large checkout and then a branch switch run. Every `git status`
/// succeeds without a filter error, the checkout completes, and the data is right.
#[test]
fn git_status_loop_during_a_large_checkout() {
    let env = TestEnv::new();
    let repo = env.git_repo("r");
    repo.gd(&["init", "-q"]).success();
    repo.gd(&["install"]).success();
    dataset(&repo, "data", 2000, 5);
    repo.gd(&["add", "-q", "data"]).success();
    repo.git(&["commit", "-qm", "v1"]).success();
    repo.git(&["switch", "-qc", "other"]).success();
    dataset(&repo, "data", 2000, 6);
    repo.gd(&["add", "-q", "data"]).success();
    repo.git(&["commit", "-qm", "v2"]).success();
    repo.git(&["switch", "-q", "main"]).success();
    repo.gd(&["status"])
        .success()
        .stdout_has("Data and pipelines are up to date.");
    repo.remove("data");

    // 0: `git dvc checkout` runs; 1: `git switch` runs (git itself replaces the
    // pointer then, and `git status` may see it missing for a moment); 2: done.
    let phase = std::sync::atomic::AtomicU8::new(0);
    let polls = std::thread::scope(|s| {
        let poller = s.spawn(|| {
            let mut n = 0;
            loop {
                let now_in = phase.load(std::sync::atomic::Ordering::SeqCst);
                if now_in == 2 {
                    break;
                }
                // A fresh mtime makes git run the clean filter on the pointer.
                let now = std::time::SystemTime::now();
                // (git replaces the pointer during the switch: it may be missing.)
                if let Ok(f) = std::fs::File::options()
                    .append(true)
                    .open(repo.path("data.dvc"))
                {
                    f.set_modified(now).expect("touch data.dvc");
                }
                let out = repo.git(&["status", "--porcelain"]);
                out.success();
                assert_eq!(out.stderr, "", "git status during a checkout: {out:?}");
                assert!(
                    now_in != 0 || !out.stdout.contains("data.dvc"),
                    "the pointer must not look modified: {out:?}"
                );
                n += 1;
            }
            n
        });
        repo.gd(&["checkout", "-q"]).success();
        phase.store(1, std::sync::atomic::Ordering::SeqCst);
        repo.git(&["switch", "-q", "other"]).success();
        phase.store(2, std::sync::atomic::Ordering::SeqCst);
        poller.join().expect("poller")
    });
    assert!(polls > 0, "git status ran during the checkout");
    repo_is_sound(&repo, "after the switch");
    assert_eq!(
        repo.read_bytes("data/s00/f00000"),
        {
            let other = env.dir("expect");
            dataset(&other, "data", 2000, 6);
            other.read_bytes("data/s00/f00000")
        },
        "the switch checked out the other branch's data"
    );
}

/// A push and a gc on one remote at the same time, from two clones of one commit: the
/// push uploads what the gc's clone uses, the gc removes garbage. Afterwards the remote
/// holds every used object, each hashes to its name, the garbage is gone, and neither
/// command failed in a way a rerun does not fix.
#[test]
fn push_and_gc_on_one_remote() {
    let env = TestEnv::new();
    let a = env.git_repo("a");
    a.gd(&["init", "-q"]).success();
    let store = env.root().join("store");
    a.gd(&["remote", "add", "-d", "s", store.to_str().expect("utf-8")])
        .success();
    for round in 0..iterations() as u64 {
        // Garbage on the remote: an old version nobody uses any more.
        dataset(&a, "data", 600, 100 + round);
        a.gd(&["add", "-q", "data"]).success();
        a.gd(&["push", "-q"]).success();
        // The version both clones use, not pushed yet.
        dataset(&a, "data", 600, 200 + round);
        a.gd(&["add", "-q", "data"]).success();
        a.git(&["add", "-A"]).success();
        a.git(&["commit", "-qm", "data"]).success();
        let b = env.dir(&format!("b{round}"));
        env.dir(".")
            .git(&["clone", "-q", "a", &format!("b{round}")])
            .success();
        // b's cache has the manifest only, as after a `git dvc fetch` of it.
        let oid = a.read("data.dvc");
        let oid = oid
            .lines()
            .find_map(|l| l.strip_prefix("- md5: "))
            .expect("md5 line")
            .to_string();
        let rel = cache_rel(&oid);
        b.write(&rel, a.read_bytes(&rel));
        b.chmod(&rel, 0o444);

        let (push, gc) = std::thread::scope(|s| {
            let p = s.spawn(|| a.gd(&["push", "-q"]));
            let g = s.spawn(|| b.gd(&["gc", "-w", "-c", "-f", "-q"]));
            (p.join().expect("push"), g.join().expect("gc"))
        });
        assert!(push.code == 0 || !push.stderr.is_empty(), "{push:?}");
        gc.success();
        if push.code != 0 {
            a.gd(&["push", "-q"]).success();
        }
        let n = objects_match_names(&store, "remote");
        assert_eq!(n, 601, "exactly the used objects remain on the remote");
        a.gd(&["status", "-c", "-q"]).success();
        b.gd(&["pull", "-q"]).success();
        repo_is_sound(&b, "clone after pull");
    }
}

/// A Unix user and group of the test's own, removed when dropped.
pub(crate) struct Users {
    pub(crate) group: String,
    pub(crate) users: Vec<String>,
}

impl Users {
    pub(crate) fn create(tag: &str, n: usize) -> Users {
        let group = format!("gd{tag}{}", std::process::id());
        let run = |args: &[&str]| {
            let out = std::process::Command::new(args[0])
                .args(&args[1..])
                .output()
                .expect("run a user tool");
            assert!(
                out.status.success(),
                "{args:?} (the shared-cache test creates Unix users and needs root): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&["groupadd", &group]);
        let mut made = Users {
            group: group.clone(),
            users: Vec::new(),
        };
        for i in 0..n {
            let user = format!("{group}u{i}");
            run(&["useradd", "-M", "-N", "-g", &group, "-s", "/bin/sh", &user]);
            made.users.push(user);
        }
        made
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        for u in &self.users {
            let _ = std::process::Command::new("userdel").arg(u).output();
        }
        let _ = std::process::Command::new("groupdel")
            .arg(&self.group)
            .output();
    }
}

/// Runs `program args` in `dir` as `user` (with the group, umask 022, the env's
/// variables).
pub(crate) fn as_user(
    dir: &Dir<'_>,
    user: &str,
    group: &str,
    program: &Path,
    args: &[&str],
) -> CommandOutput {
    let mut cmd = dir.command("setpriv");
    cmd.args([
        &format!("--reuid={user}"),
        &format!("--regid={group}"),
        "--clear-groups",
        "--",
    ])
    .arg(program)
    .args(args);
    run_command(cmd, None)
}

/// `chown -R user:group path`.
pub(crate) fn chown(path: &Path, user: &str, group: &str) {
    let out = std::process::Command::new("chown")
        .arg("-R")
        .arg(format!("{user}:{group}"))
        .arg(path)
        .output()
        .expect("chown");
    assert!(out.status.success(), "{out:?}");
}

/// Every directory of the cache is 2775 and every object 0444 (dvc's modes under
/// `cache.shared = group`).
fn shared_modes(cache: &Path) {
    for line in listing(cache).lines() {
        let (mode, path) = line.split_once(' ').expect("mode and path");
        if path.ends_with('/') {
            assert_eq!(mode, "2775", "shared cache directory {path}");
        } else if !path.rsplit('/').next().unwrap_or("").starts_with('.') {
            assert_eq!(mode, "0444", "cache object {path}");
        }
    }
}

/// Two clones sharing one cache (`cache.dir`) with `cache.shared = group`, used at the
/// same time by two Unix users of one group (dvc itself fails here on another user's
/// files, dvc#10057): both adds complete, objects of one user are reused by the other,
/// checkouts of the other user's objects work, and the cache keeps dvc's shared modes.
#[test]
fn two_users_share_one_cache() {
    let env = TestEnv::new();
    let users = Users::create("sc", 2);
    let (u0, u1, group) = (&users.users[0], &users.users[1], &users.group);
    // The env's dirs must be reachable by the users; the site cache and XDG cache are
    // written by both.
    set_mode(env.root(), 0o755);
    for d in ["dvc-site-cache", "home/.cache", "home/.config"] {
        set_mode(&env.root().join(d), 0o1777);
    }
    let cache = env.root().join("shared-cache");
    std::fs::create_dir(&cache).expect("create the shared cache");
    chown(&cache, "root", group);
    set_mode(&cache, 0o2775);

    let origin = env.git_repo("origin");
    origin.gd(&["init", "-q"]).success();
    origin.gd(&["config", "cache.shared", "group"]).success();
    origin
        .gd(&["config", "cache.type", "hardlink,copy"])
        .success();
    origin.git(&["add", "-A"]).success();
    origin.git(&["commit", "-qm", "init"]).success();
    let clones: Vec<Dir<'_>> = [u0, u1]
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let name = format!("c{i}");
            env.dir(".")
                .git(&["clone", "-q", "origin", &name])
                .success();
            let c = env.dir(&name);
            c.gd(&[
                "config",
                "--local",
                "cache.dir",
                cache.to_str().expect("utf-8"),
            ])
            .success();
            // Half of each user's files are the other's too.
            dataset(&c, "data", 300, 7);
            dataset(&c, "data/own", 300, 8 + i as u64);
            chown(&c.path, user, group);
            c
        })
        .collect();
    let gd = git_dvc_exe();
    let outs = std::thread::scope(|s| {
        let hs: Vec<_> = clones
            .iter()
            .zip([u0, u1])
            .map(|(c, u)| s.spawn(move || as_user(c, u, group, gd, &["add", "-q", "data"])))
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("thread"))
            .collect::<Vec<_>>()
    });
    for o in &outs {
        o.success();
    }
    let n = objects_match_names(&cache, "shared cache");
    assert_eq!(n, 300 + 300 + 300 + 2, "shared objects are stored once");
    shared_modes(&cache);
    // Each user checks out data whose objects the other wrote: the hardlink is refused
    // (fs.protected_hardlinks: another user's read-only file), so it falls back to copy.
    for (c, u) in clones.iter().zip([u0, u1]) {
        c.remove("data");
        as_user(c, u, group, gd, &["checkout", "-q"]).success();
        as_user(c, u, group, gd, &["status"])
            .success()
            .stdout_has("Data and pipelines are up to date.");
        c.dvc(&["status"])
            .success()
            .stdout_has("Data and pipelines are up to date.");
    }
    // The second user re-adds after a change in the shared half: a new object in a
    // directory the first user made.
    clones[1].write("data/s00/f00000", "changed by the second user\n");
    chown(&clones[1].path("data"), u1, group);
    as_user(&clones[1], u1, group, gd, &["add", "-q", "data"]).success();
    objects_match_names(&cache, "shared cache after the second add");
    shared_modes(&cache);
}

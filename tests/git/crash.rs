//! Crash safety, by repetition (issue 15, part 1): `kill -9` git-dvc at seeded random
//! moments during add, commit, checkout, push, pull, fetch, gc and the pre-push hook,
//! then check what must hold after any crash:
//!
//! - every object in the cache and on the local remote hashes to its name (a temp file
//!   may be left behind, never a partial object under its final name);
//! - every `.dvc`, `.gitignore` and config file parses, and the git index is not left
//!   locked;
//! - rerunning the command completes, and `dvc status` then agrees with `git dvc status`.
//!
//! `cargo test` runs a few kills per command. `scripts/crash.sh` runs many
//! (`CRASH_ITERATIONS`); a failure prints its seed, and `CRASH_SEED=<seed>` replays it.

use crate::harness::*;
use std::path::Path;
use std::time::{Duration, Instant};

/// xorshift64*: enough randomness for kill times, and a seed replays a run exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A duration in `[0, max)`.
    fn below(&mut self, max: Duration) -> Duration {
        let nanos = max.as_nanos().max(1) as u64;
        Duration::from_nanos(self.next() % nanos)
    }
}

fn iterations() -> usize {
    std::env::var("CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

fn seed(name: &str) -> u64 {
    std::env::var("CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1);
            t ^ name.len() as u64 ^ 0x9e37_79b9_7f4a_7c15
        })
        | 1
}

/// Run git-dvc with `args` in `dir` and SIGKILL it after `delay` (if it is still
/// running). Returns whether it was killed.
fn run_killed(dir: &Dir<'_>, program: &Path, args: &[&str], delay: Duration) -> bool {
    let mut cmd = dir.command(program);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn git-dvc");
    let deadline = Instant::now() + delay;
    loop {
        if child.try_wait().expect("wait").is_some() {
            return false;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return true;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// What must hold after any kill.
fn check_after_kill(repo: &Dir<'_>, remote: Option<&Path>, context: &str) {
    objects_match_names(&repo.path(".dvc/cache"), &format!("{context}: cache"));
    if let Some(r) = remote {
        objects_match_names(r, &format!("{context}: remote"));
    }
    assert!(
        !repo.exists(".git/index.lock"),
        "{context}: git's index is left locked"
    );
    // Every pointer, .gitignore and config file still parses: dvc itself loads them all.
    let d = repo.dvc(&["status", "-q"]);
    assert!(
        d.code == 0 || d.code == 1,
        "{context}: dvc cannot load the repository after the kill: {d:?}"
    );
    for f in [".dvc/config", ".gitignore"] {
        if repo.exists(f) {
            let text = repo.read(f);
            assert!(
                text.is_empty() || text.ends_with('\n'),
                "{context}: {f} is half-written: {text:?}"
            );
        }
    }
}

/// `status` output as its stage blocks, sorted: dvc lists stages in the order its
/// directory walk meets them, which depends on the file system.
fn status_blocks(stdout: &str) -> Vec<String> {
    let mut blocks: Vec<String> = Vec::new();
    for line in stdout.lines() {
        match blocks.last_mut() {
            Some(b) if line.starts_with('\t') => {
                b.push('\n');
                b.push_str(line);
            }
            _ => blocks.push(line.to_string()),
        }
    }
    blocks.sort();
    blocks
}

/// After the rerun: the command's work is all there, and both tools agree on status.
fn check_after_rerun(repo: &Dir<'_>, context: &str) {
    let g = repo.gd(&["status"]);
    let d = repo.dvc(&["status"]);
    assert_eq!(
        (g.code, status_blocks(&g.stdout)),
        (d.code, status_blocks(&d.stdout)),
        "{context}: status after the rerun\ngit-dvc: {g:?}\ndvc: {d:?}"
    );
}

/// A repository with data: 200 small files in `data/` and an 8 MiB `big.bin`, so that the
/// commands run long enough to be killed in the middle.
fn dataset(repo: &Dir<'_>) {
    repo.make_dataset("data", 200);
    let mut big = Vec::with_capacity(8 << 20);
    let mut x: u32 = 12345;
    while big.len() < (8 << 20) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        big.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(repo.path("big.bin"), big).expect("write big.bin");
}

/// How long `args` takes uninterrupted in a copy of `template`: the kill window.
fn duration_of(env: &TestEnv, template: &str, args: &[&str]) -> Duration {
    let probe = format!("{template}-probe");
    copy_tree(&env.root().join(template), &env.root().join(&probe));
    let dir = env.dir(&probe);
    let started = Instant::now();
    dir.gd(args).success();
    started.elapsed().max(Duration::from_millis(5))
}

fn copy_tree(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    let out = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .output()
        .expect("cp -a");
    assert!(out.status.success(), "{out:?}");
}

/// Kill `args` at random moments in fresh copies of `template`, check, rerun, check.
/// `remote` is the local remote's path inside the copy, if the command writes one.
fn crash_loop(env: &TestEnv, template: &str, args: &[&str], remote: Option<&str>) {
    let window = duration_of(env, template, args);
    let name = args.join(" ");
    let seed = seed(&name);
    let mut rng = Rng(seed);
    let mut killed = 0;
    for i in 0..iterations() {
        let copy = format!("{template}-{i}");
        copy_tree(&env.root().join(template), &env.root().join(&copy));
        let dir = env.dir(&copy);
        let delay = rng.below(window);
        let context =
            format!("`git dvc {name}` killed after {delay:?} (CRASH_SEED={seed}, run {i})");
        killed += usize::from(run_killed(&dir, git_dvc_exe(), args, delay));
        let remote_path = remote.map(|r| env.root().join(&copy).join(r));
        check_after_kill(&dir, remote_path.as_deref(), &context);
        let again = dir.gd(args);
        assert!(again.code == 0, "{context}: the rerun failed: {again:?}");
        if let Some(r) = &remote_path {
            objects_match_names(r, &format!("{context}: remote after the rerun"));
        }
        check_after_rerun(&dir, &context);
        let _ = std::fs::remove_dir_all(env.root().join(&copy));
    }
    eprintln!(
        "crash loop `{name}`: {killed} of {} runs killed mid-way (window {window:?}, seed {seed})",
        iterations()
    );
}

/// The template: a git repo with dvc initialized, a local remote inside it (`store/`,
/// git-ignored so that copies carry it), and the dataset in the workspace.
fn template<'a>(env: &'a TestEnv, name: &str) -> Dir<'a> {
    let repo = env.git_repo(name);
    repo.dvc(&["init", "-q"]).success();
    repo.write(".git/info/exclude", "/store\n");
    repo.gd(&["remote", "add", "-d", "store", "store"])
        .success();
    dataset(&repo);
    repo
}

#[test]
fn kill_during_add_and_commit() {
    let env = TestEnv::new();
    let t = template(&env, "add");
    drop(t);
    crash_loop(&env, "add", &["add", "data", "big.bin"], None);

    let t = template(&env, "commit");
    t.gd(&["add", "-q", "data", "big.bin"]).success();
    for i in 0..20 {
        t.write(&format!("data/new-{i}"), format!("{i}\n"));
    }
    t.write("big.bin", "now small\n");
    drop(t);
    crash_loop(&env, "commit", &["commit", "-f"], None);
}

#[test]
fn kill_during_checkout_push_pull_fetch_gc() {
    let env = TestEnv::new();
    let t = template(&env, "co");
    t.gd(&["add", "-q", "data", "big.bin"]).success();
    t.git(&["add", "-A"]).success();
    t.git(&["commit", "-qm", "data"]).success();
    t.gd(&["push", "-q"]).success();
    std::fs::remove_dir_all(t.path("data")).expect("remove data");
    std::fs::remove_file(t.path("big.bin")).expect("remove big.bin");
    drop(t);
    crash_loop(&env, "co", &["checkout"], None);

    // Push into an empty remote.
    copy_tree(&env.root().join("co"), &env.root().join("push"));
    std::fs::remove_dir_all(env.root().join("push/store")).expect("empty the remote");
    crash_loop(&env, "push", &["push"], Some("store"));

    // Pull and fetch into an empty cache.
    copy_tree(&env.root().join("co"), &env.root().join("pull"));
    std::fs::remove_dir_all(env.root().join("pull/.dvc/cache")).expect("empty the cache");
    crash_loop(&env, "pull", &["pull"], Some("store"));
    copy_tree(&env.root().join("pull"), &env.root().join("fetch"));
    crash_loop(&env, "fetch", &["fetch"], Some("store"));

    // gc of an old version, locally and on the remote.
    copy_tree(&env.root().join("co"), &env.root().join("gc"));
    let g = env.dir("gc");
    g.gd(&["checkout", "-q"]).success();
    g.write("big.bin", "v2\n");
    g.gd(&["add", "-q", "big.bin"]).success();
    g.gd(&["push", "-q"]).success();
    drop(g);
    crash_loop(&env, "gc", &["gc", "-w", "-c", "-f"], Some("store"));
}

/// Every process below `pid`, with its command name (from `/proc`).
fn descendants(pid: u32) -> Vec<(u32, String)> {
    let mut parent_of = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Ok(p) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
                continue;
            };
            // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let comm = stat[open + 1..close].to_string();
            let ppid = stat[close + 1..]
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0);
            parent_of.push((p, ppid, comm));
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(parent) = frontier.pop() {
        for (p, pp, comm) in &parent_of {
            if *pp == parent {
                out.push((*p, comm.clone()));
                frontier.push(*p);
            }
        }
    }
    out
}

/// Run `git args` in `dir` and, after `delay`, SIGKILL every git-dvc process below it (the
/// filter, a hook), leaving git itself to finish as it can. Returns whether one was killed.
fn kill_git_dvc_under_git(dir: &Dir<'_>, args: &[&str], delay: Duration) -> bool {
    let mut cmd = dir.command("git");
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn git");
    let deadline = Instant::now() + delay;
    let mut killed = false;
    loop {
        if child.try_wait().expect("wait").is_some() {
            return killed;
        }
        if !killed && Instant::now() >= deadline {
            for (p, comm) in descendants(child.id()) {
                if comm.starts_with("git-dvc") {
                    // SAFETY: kill(2) of a process we just found below our child.
                    unsafe { libc::kill(p as i32, libc::SIGKILL) };
                    killed = true;
                }
            }
            if !killed {
                // Nothing of git-dvc's is running (yet, or any more): let git finish.
                let _ = child.wait();
                return false;
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The filter and the post-checkout hook killed during `git switch`: git finishes, the
/// index is not left locked, nothing corrupt is in the cache, and `git dvc checkout`
/// then brings the workspace to the branch's data, as plain dvc confirms.
#[test]
fn kill_the_filter_and_hooks_during_git_switch() {
    let env = TestEnv::new();
    let d = crate::e2e_support::installed_repo(&env);
    dataset(&d);
    crate::e2e_support::add_and_commit(&d, &["data", "big.bin"], "v1");
    d.git(&["switch", "-q", "-c", "v2"]).success();
    for i in 0..150 {
        d.write(
            &format!("data/d{:03}/v2-{i}", i % 100),
            format!("{i} on v2\n"),
        );
    }
    d.write("big.bin", "small on v2\n");
    crate::e2e_support::add_and_commit(&d, &["data", "big.bin"], "v2");
    d.git(&["switch", "-q", "main"]).success();
    drop(d);
    let started = Instant::now();
    env.dir("repo").git(&["switch", "-q", "v2"]).success();
    let window = started.elapsed();
    env.dir("repo").git(&["switch", "-q", "main"]).success();

    let seed = seed("switch");
    let mut rng = Rng(seed);
    let mut killed = 0;
    for i in 0..iterations() {
        let copy = format!("switch-{i}");
        copy_tree(&env.root().join("repo"), &env.root().join(&copy));
        let dir = env.dir(&copy);
        let delay = rng.below(window);
        let context = format!(
            "`git switch v2` with git-dvc killed after {delay:?} (CRASH_SEED={seed}, run {i})"
        );
        killed += usize::from(kill_git_dvc_under_git(&dir, &["switch", "-q", "v2"], delay));
        objects_match_names(&dir.path(".dvc/cache"), &context);
        assert!(
            !dir.exists(".git/index.lock"),
            "{context}: the index is left locked"
        );
        // Finish what git could not. A filter that dies mid-switch can leave git's own
        // switch half done (HEAD moved, some pointer files still the old ones): git's
        // `checkout -f` completes it, and the data follows the pointers.
        dir.git(&["checkout", "-q", "-f", "v2"]).success();
        let again = dir.gd(&["checkout"]);
        assert_eq!(
            again.code, 0,
            "{context}: checkout after the kill: {again:?}"
        );
        let status = dir.dvc(&["status"]);
        assert!(
            status.stdout.contains("Data and pipelines are up to date."),
            "{context}: dvc status after recovery: {status:?}"
        );
        assert_eq!(
            std::fs::read(dir.path("big.bin")).expect("read big.bin"),
            b"small on v2\n",
            "{context}"
        );
        let _ = std::fs::remove_dir_all(env.root().join(&copy));
    }
    eprintln!(
        "crash loop `git switch`: git-dvc killed in {killed} of {} runs (seed {seed})",
        iterations()
    );
}

/// The pre-push hook killed while it uploads: the remote holds no partial object, and
/// the next `git push` uploads the rest, so that the remote is in sync.
#[test]
fn kill_the_pre_push_upload() {
    let env = TestEnv::new();
    let d = crate::e2e_support::installed_repo(&env);
    dataset(&d);
    // The remote lives inside the repository's directory (git-ignored), so copies carry it.
    d.write(".git/info/exclude", "/store\n");
    crate::e2e_support::add_local_remote(&d, &d.path("store"));
    crate::e2e_support::add_and_commit(&d, &["data", "big.bin"], "data");
    env.dir(".")
        .git(&["init", "-q", "--bare", "origin.git"])
        .success();
    drop(d);
    // The url is relative, so that each copy pushes to its own bare repository too.
    let probe = env.dir("repo");
    probe
        .git(&["remote", "add", "origin", "../origin.git"])
        .success();
    drop(probe);
    copy_tree(&env.root().join("repo"), &env.root().join("probe"));
    copy_tree(
        &env.root().join("origin.git"),
        &env.root().join("origin-probe.git"),
    );
    let p = env.dir("probe");
    p.git(&["remote", "set-url", "origin", "../origin-probe.git"])
        .success();
    p.write(
        ".dvc/config.local",
        format!(
            "[core]\nremote = store\n['remote \"store\"']\nurl = {}\n",
            p.path("store").display()
        ),
    );
    let started = Instant::now();
    p.git(&["push", "-q", "origin", "HEAD"]).success();
    let window = started.elapsed();
    drop(p);

    let seed = seed("pre-push");
    let mut rng = Rng(seed);
    for i in 0..iterations() {
        let copy = format!("pp-{i}");
        let origin = format!("origin-{i}.git");
        copy_tree(&env.root().join("repo"), &env.root().join(&copy));
        copy_tree(&env.root().join("origin.git"), &env.root().join(&origin));
        let dir = env.dir(&copy);
        dir.git(&["remote", "set-url", "origin", &format!("../{origin}")])
            .success();
        dir.write(
            ".dvc/config.local",
            format!(
                "[core]\nremote = store\n['remote \"store\"']\nurl = {}\n",
                dir.path("store").display()
            ),
        );
        let delay = rng.below(window);
        let context = format!("pre-push killed after {delay:?} (CRASH_SEED={seed}, run {i})");
        kill_git_dvc_under_git(&dir, &["push", "-q", "origin", "HEAD"], delay);
        objects_match_names(&dir.path("store"), &format!("{context}: remote"));
        let again = dir.git(&["push", "-q", "origin", "HEAD"]);
        assert_eq!(again.code, 0, "{context}: the next push: {again:?}");
        let status = dir.gd(&["status", "-c"]);
        assert_eq!(
            status.stdout, "Cache and remote 'store' are in sync.\n",
            "{context}: {status:?}"
        );
        let _ = std::fs::remove_dir_all(env.root().join(&copy));
    }
}

/// The paths git-dvc fsynced (files and directories) while running `args` in `repo`, from
/// `strace` (which `.ci/run` installs).
fn fsynced(repo: &Dir<'_>, args: &[&str]) -> Vec<String> {
    let log = repo.path(".git/strace.log");
    let mut cmd = repo.command("strace");
    cmd.args(["-f", "-y", "-qq", "-e", "trace=fsync,fdatasync", "-o"])
        .arg(&log)
        .arg(git_dvc_exe())
        .args(args);
    let out = run_command(cmd, None);
    assert_eq!(
        out.code, 0,
        "strace git-dvc {args:?} (is strace installed? `.ci/run` installs it): {}",
        out.stderr
    );
    let text = std::fs::read_to_string(&log).expect("read the strace log");
    // Lines look like `123 fsync(5</abs/path>) = 0`.
    text.lines()
        .filter_map(|l| {
            let start = l.find('<')? + 1;
            let end = l[start..].find('>')? + start;
            Some(l[start..end].to_string())
        })
        .collect()
}

#[test]
fn gitdvc_fsync_syncs_objects_and_pointers_before_they_are_visible() {
    let env = TestEnv::new();
    let repo = env.git_repo("r");
    repo.gd(&["init", "-q"]).success();
    for i in 0..5 {
        repo.write(&format!("data/f{i}"), format!("file {i}\n"));
    }
    let objects = |synced: &[String]| {
        synced
            .iter()
            .filter(|p| p.contains("/.dvc/cache/files/md5/") && !p.ends_with('/'))
            .count()
    };
    // Unset (the default, as in dvc): nothing is fsynced.
    let none = fsynced(&repo, &["add", "-q", "data"]);
    assert!(none.is_empty(), "fsynced without gitdvc.fsync: {none:?}");

    // `objects`: every new object's temp file, then its directory; no pointer file.
    std::fs::remove_dir_all(repo.path(".dvc/cache")).expect("empty the cache");
    repo.gd(&["remove", "-q", "data.dvc"]).success();
    repo.git(&["config", "gitdvc.fsync", "objects"]).success();
    let synced = fsynced(&repo, &["add", "-q", "data"]);
    // 5 files and the `.dir`, each synced as a temp file before its rename, and each
    // object directory once after the renames.
    let temps = synced
        .iter()
        .filter(|p| {
            p.contains("/.dvc/cache/files/md5/")
                && p.rsplit('/').next().is_some_and(|n| n.starts_with('.'))
        })
        .count();
    assert!(temps >= 6, "object temp files fsynced: {synced:#?}");
    assert!(
        objects(&synced) > temps,
        "object directories fsynced: {synced:#?}"
    );
    assert!(
        !synced.iter().any(|p| p.contains(".git-dvc-")),
        "pointer temp files fsynced with objects only: {synced:#?}"
    );

    // `pointers`: the `.dvc` and `.gitignore` temp files and the workspace directory.
    repo.write("data/f0", "changed\n");
    repo.git(&["config", "gitdvc.fsync", "pointers"]).success();
    let synced = fsynced(&repo, &["commit", "-q", "-f", "data.dvc"]);
    assert!(
        synced.iter().any(|p| p.contains(".git-dvc-")),
        "pointer temp file not fsynced: {synced:#?}"
    );
    assert_eq!(
        objects(&synced),
        0,
        "objects fsynced with pointers only: {synced:#?}"
    );

    // A value git-dvc does not know warns and syncs everything.
    repo.write("data/f1", "changed too\n");
    repo.git(&["config", "gitdvc.fsync", "loose-objects"])
        .success();
    let out = repo.gd(&["commit", "-f", "data.dvc"]);
    out.success().stderr_has("gitdvc.fsync");
    // Whatever the setting, the data is right afterwards.
    repo.git(&["config", "--unset", "gitdvc.fsync"]).success();
    repo.gd(&["status"]).success().stdout_has("up to date");
    assert!(objects_match_names(&repo.path(".dvc/cache"), "cache") >= 8);
}

/// git-dvc killed during a `git clone` under the global install (the filter and the hooks
/// that fetch the data): git finishes or fails as it can, nothing corrupt is in the new
/// clone's cache, its index is not left locked, and `git dvc pull` (after git's own
/// `checkout -f` where git could not finish) brings the workspace to the commit's data.
#[test]
fn kill_git_dvc_during_a_clone() {
    let env = TestEnv::new();
    let d = crate::e2e_support::installed_repo(&env);
    let store = env.root().join("store");
    let bare = env.root().join("origin.git");
    let (store_s, bare_s) = (
        store.to_str().expect("utf-8"),
        bare.to_str().expect("utf-8"),
    );
    d.git(&["init", "-q", "--bare", bare_s]).success();
    d.git(&["remote", "add", "origin", bare_s]).success();
    d.gd(&["remote", "add", "-d", "store", store_s]).success();
    d.git(&["add", ".dvc/config"]).success();
    d.git(&["commit", "-q", "-m", "remote"]).success();
    dataset(&d);
    crate::e2e_support::add_and_commit(&d, &["data", "big.bin"], "data");
    d.git(&["push", "-q", "origin", "main"]).success();
    d.git(&["dvc", "install", "--global"]).success();
    let expected_big = std::fs::read(d.path("big.bin")).expect("read big.bin");
    drop(d);

    let clone_into =
        |name: &str| vec!["clone".to_string(), "-q".into(), bare_s.into(), name.into()];
    let started = Instant::now();
    let first = clone_into("probe");
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    env.dir(".").git(&first).success();
    let window = started.elapsed();
    let seed = seed("clone");
    let mut rng = Rng(seed);
    let mut killed = 0;
    for i in 0..iterations() {
        let name = format!("clone-{i}");
        let args = clone_into(&name);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let delay = rng.below(window);
        let context =
            format!("`git clone` with git-dvc killed after {delay:?} (CRASH_SEED={seed}, run {i})");
        killed += usize::from(kill_git_dvc_under_git(&env.dir("."), &args, delay));
        let c = Dir {
            env: &env,
            path: env.root().join(&name),
        };
        if !c.exists(".git/HEAD") {
            // git gave up and removed the clone: cloning again must work.
            env.dir(".").git(&args).success();
        }
        objects_match_names(&c.path(".dvc/cache"), &context);
        assert!(
            !c.exists(".git/index.lock"),
            "{context}: the index is left locked"
        );
        c.git(&["checkout", "-q", "-f", "main"]).success();
        let pulled = c.gd(&["pull"]);
        assert_eq!(pulled.code, 0, "{context}: pull after the kill: {pulled:?}");
        let status = c.dvc(&["status"]);
        assert!(
            status.stdout.contains("Data and pipelines are up to date."),
            "{context}: dvc status after recovery: {status:?}"
        );
        assert_eq!(
            std::fs::read(c.path("big.bin")).expect("read big.bin"),
            expected_big,
            "{context}"
        );
        let _ = std::fs::remove_dir_all(env.root().join(&name));
    }
    eprintln!(
        "crash loop `git clone`: git-dvc killed in {killed} of {} runs (seed {seed})",
        iterations()
    );
}

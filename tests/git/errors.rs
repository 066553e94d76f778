//! The errors users meet (issue 15, part 5): each gets a clear message, and nothing
//! partial is left behind. The disk-full cases mount a small tmpfs (the tests run as
//! root, as CI does; without the right to mount, the test fails saying so).

use crate::harness::*;
use std::path::{Path, PathBuf};

/// A tmpfs of `kib` KiB mounted at `<env>/<name>`, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(env: &TestEnv, name: &str, kib: u64) -> SmallDisk {
        let at = env.root().join(name);
        std::fs::create_dir_all(&at).expect("create the mount point");
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
            .arg(&at)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "the disk-full tests mount a small tmpfs and need root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk(at)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazy: a process that still has its working directory there (the dvc oracle's
        // fork server) must not keep the mount.
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// Incompressible bytes, deterministic.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

/// Every object under `cache` hashes to its name (no partial object at a final name).
fn cache_is_sound(cache: &Path) {
    let base = cache.join("files/md5");
    let Ok(prefixes) = std::fs::read_dir(&base) else {
        return;
    };
    for p in prefixes.flatten() {
        for o in std::fs::read_dir(p.path()).into_iter().flatten().flatten() {
            let name = o.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let oid = format!(
                "{}{}",
                p.file_name().to_string_lossy(),
                name.trim_end_matches(".dir")
            );
            let bytes = std::fs::read(o.path()).expect("read an object");
            assert_eq!(
                md5_hex(&bytes),
                oid,
                "partial object {}",
                o.path().display()
            );
        }
    }
}

/// Each of `data/f0..f3` is absent or whole: never a partial file at its name.
fn no_partial_data_files(c: &Dir<'_>) {
    for i in 0..4 {
        let rel = format!("data/f{i}");
        if c.exists(&rel) {
            assert_eq!(
                md5_hex(&std::fs::read(c.path(&rel)).expect("read")),
                md5_hex(&noise(700 << 10, i)),
                "{rel} is partial"
            );
        }
    }
}

/// No temp file is left anywhere in the repository (outside `.git` and `.dvc/tmp`): the
/// cache's and checkout's `.<hex>.tmp` files and the atomic writer's `*.tmp`, which
/// `cache_is_sound` and the final names would not show.
fn no_temp_files(root: &Path) {
    fn walk(dir: &Path, root: &Path, found: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            let rel = p
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            if rel == ".git" || rel == ".dvc/tmp" {
                continue;
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                walk(&p, root, found);
            } else if rel.ends_with(".tmp") {
                found.push(rel);
            }
        }
    }
    let mut found = Vec::new();
    walk(root, root, &mut found);
    assert!(found.is_empty(), "temp files left behind: {found:?}");
}

/// `add` of more data than the disk holds: an error that says the disk is full and names
/// the file, no `.dvc` file, no partial object; after space is freed the same `add` works.
#[test]
fn disk_full_during_add() {
    let env = TestEnv::new();
    let disk = SmallDisk::mount(&env, "small", 6 * 1024);
    let repo = env.git_repo("small/r");
    repo.dvc(&["init", "-q"]).success();
    // 2 MiB of data: the workspace copy plus the cache copy need 4 MiB, with dvc's and
    // git's files around it; a 3 MiB filler leaves too little.
    std::fs::write(repo.path("model.bin"), noise(2 << 20, 7)).expect("write model.bin");
    std::fs::write(disk.0.join("filler"), noise(3 << 20, 9)).expect("write filler");
    let out = repo.gd(&["add", "model.bin"]);
    out.failure().stderr_has("No space left on device");
    assert!(!out.stderr.contains("panicked"), "{out:?}");
    assert!(
        !repo.exists("model.bin.dvc"),
        "no pointer for data that is not cached"
    );
    cache_is_sound(&repo.path(".dvc/cache"));
    no_temp_files(&repo.path);
    assert_eq!(
        md5_hex(&std::fs::read(repo.path("model.bin")).expect("read")),
        md5_hex(&noise(2 << 20, 7))
    );
    std::fs::remove_file(disk.0.join("filler")).expect("free space");
    repo.gd(&["add", "-q", "model.bin"]).success();
    repo.dvc(&["status"])
        .success()
        .stdout_has("Data and pipelines are up to date.");
}

/// `checkout` and `pull` with too little room for the data: a clear error, no partial
/// file in the workspace or the cache, and after space is freed the rerun completes.
#[test]
fn disk_full_during_checkout_and_pull() {
    let env = TestEnv::new();
    // The source, with its remote, on the normal disk.
    let src = env.git_repo("src");
    src.dvc(&["init", "-q"]).success();
    std::fs::create_dir_all(src.path("data")).expect("create data");
    for i in 0..4 {
        std::fs::write(src.path(&format!("data/f{i}")), noise(700 << 10, i)).expect("write data");
    }
    src.dvc(&["add", "-q", "data"]).success();
    let store = env.root().join("store");
    src.gd(&[
        "remote",
        "add",
        "-d",
        "store",
        store.to_str().expect("utf-8"),
    ])
    .success();
    src.git(&["add", "-A"]).success();
    src.git(&["commit", "-qm", "data"]).success();
    src.gd(&["push", "-q"]).success();

    let disk = SmallDisk::mount(&env, "small", 6 * 1024);
    env.dir(".")
        .git(&["clone", "-q", "src", "small/c"])
        .success();
    let c = env.dir("small/c");
    std::fs::write(disk.0.join("filler"), noise(3 << 20, 99)).expect("write filler");
    let out = c.gd(&["pull"]);
    out.failure().stderr_has("No space left on device");
    assert!(!out.stderr.contains("panicked"), "{out:?}");
    cache_is_sound(&c.path(".dvc/cache"));
    no_partial_data_files(&c);
    no_temp_files(&c.path);
    std::fs::remove_file(disk.0.join("filler")).expect("free space");
    c.gd(&["pull", "-q"]).success();
    c.dvc(&["status"])
        .success()
        .stdout_has("Data and pipelines are up to date.");

    // checkout: the cache is complete; the workspace copy does not fit.
    std::fs::remove_dir_all(c.path("data")).expect("remove the workspace copy");
    c.gd(&["config", "cache.type", "copy"]).success();
    std::fs::write(disk.0.join("filler"), noise(2 << 20, 98)).expect("write filler");
    let out = c.gd(&["checkout"]);
    out.failure().stderr_has("No space left on device");
    no_partial_data_files(&c);
    no_temp_files(&c.path);
    std::fs::remove_file(disk.0.join("filler")).expect("free space");
    c.gd(&["checkout", "-q"]).success();
    c.dvc(&["status"])
        .success()
        .stdout_has("Data and pipelines are up to date.");
}

/// A cache on a read-only file system (`cache.dir`, shared, say, and mounted read-only):
/// `add` fails clearly and writes no pointer; `status` and `checkout` of what is cached
/// still work.
#[test]
fn read_only_cache() {
    let env = TestEnv::new();
    let disk = SmallDisk::mount(&env, "ro", 4 * 1024);
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    let cache = disk.0.join("cache");
    repo.gd(&["cache", "dir", cache.to_str().expect("utf-8")])
        .success();
    repo.write("f.txt", "cached\n");
    repo.gd(&["add", "-q", "f.txt"]).success();
    let out = std::process::Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&disk.0)
        .output()
        .expect("remount");
    assert!(out.status.success(), "{out:?}");
    repo.write("g.txt", "new\n");
    let out = repo.gd(&["add", "g.txt"]);
    out.failure().stderr_has("Read-only file system");
    assert!(!out.stderr.contains("panicked"), "{out:?}");
    assert!(!repo.exists("g.txt.dvc"));
    repo.gd(&["status", "f.txt.dvc"])
        .success()
        .stdout_has("Data and pipelines are up to date.");
    repo.remove("f.txt");
    repo.gd(&["checkout", "-q", "f.txt.dvc"]).success();
    assert_eq!(repo.read("f.txt"), "cached\n");
}

/// A clock that goes backwards between `add` and `status`: the file is rewritten with
/// the same size and an mtime in the past (and, the worst case, its old mtime exactly).
/// The state DB must not trust the stale entry where dvc does not: `status` says what
/// dvc says.
#[test]
fn clock_going_backwards_between_add_and_status() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.write("f", "aaaa\n");
    same(&twin, &["add", "-q", "f"]).success();
    same(&twin, &["status"]).success().same_stdout();
    let set_mtime = |d: &Dir<'_>, t: std::time::SystemTime| {
        std::fs::File::options()
            .write(true)
            .open(d.path("f"))
            .expect("open f")
            .set_modified(t)
            .expect("set mtime");
    };
    // An mtime a day before the add.
    let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    twin.both(|d| {
        d.chmod("f", 0o644);
        std::fs::write(d.path("f"), "bbbb\n").expect("rewrite in place");
        set_mtime(d, day_ago);
    });
    let out = same(&twin, &["status"]);
    out.same_stdout();
    out.gd.stdout_has("modified:");
    // The old mtime exactly, in place (same inode and size): what dvc trusts is the
    // reference.
    twin.both(|d| {
        std::fs::write(d.path("f"), "aaaa\n").expect("rewrite");
    });
    same(&twin, &["commit", "-q", "-f"]).success();
    let recorded = std::fs::metadata(twin.gd.path("f"))
        .expect("stat")
        .modified()
        .expect("mtime");
    let recorded_dvc = std::fs::metadata(twin.dvc.path("f"))
        .expect("stat")
        .modified()
        .expect("mtime");
    std::fs::write(twin.gd.path("f"), "cccc\n").expect("rewrite");
    std::fs::write(twin.dvc.path("f"), "cccc\n").expect("rewrite");
    set_mtime(&twin.gd, recorded);
    set_mtime(&twin.dvc, recorded_dvc);
    same(&twin, &["status"]).same_stdout();
}

/// A cache on another file system than the workspace (a tmpfs): hardlinks fail across
/// devices, so `cache.type = hardlink,copy` falls back to copy, as dvc does, and
/// `cache.type = hardlink` alone fails like dvc's (no link type possible) and leaves the
/// workspace file alone.
#[test]
fn cache_on_another_file_system() {
    let env = TestEnv::new();
    let disk = SmallDisk::mount(&env, "other-fs", 8 * 1024);
    let twin = env.twin();
    twin.init();
    // The same commands on both sides; the caches differ, so trees are not compared.
    let both = |args: &[&str]| -> (CommandOutput, CommandOutput) {
        (twin.dvc.dvc(args), twin.gd.gd(args))
    };
    for (i, d) in [&twin.dvc, &twin.gd].iter().enumerate() {
        let cache = disk.0.join(format!("cache{i}"));
        d.dvc(&["cache", "dir", cache.to_str().expect("utf-8")])
            .success();
        d.dvc(&["config", "cache.type", "hardlink,copy"]).success();
    }
    twin.write("data/a", "a\n");
    twin.write("data/b", "b\n");
    let (d, g) = both(&["add", "-q", "data"]);
    d.success();
    g.success();
    assert_eq!(twin.gd.read("data.dvc"), twin.dvc.read("data.dvc"));
    twin.both(|d| d.remove("data"));
    let (d, g) = both(&["checkout", "-q"]);
    d.success();
    g.success();
    use std::os::unix::fs::MetadataExt as _;
    let nlink = std::fs::metadata(twin.gd.path("data/a"))
        .expect("stat")
        .nlink();
    assert_eq!(nlink, 1, "a copy, not a link");
    assert_eq!(twin.gd.read("data/a"), "a\n");
    // hardlink only: a failure, as dvc's.
    twin.both(|d| {
        d.dvc(&["config", "cache.type", "hardlink"]).success();
        d.remove("data");
    });
    let (d, g) = both(&["checkout"]);
    assert_eq!(g.code, d.code, "{d:?}\n{g:?}");
    assert_ne!(g.code, 0, "{g:?}");
    assert!(!twin.gd.exists("data/a") || twin.gd.read("data/a") == "a\n");
    twin.write("new.txt", "new\n");
    let (d, g) = both(&["add", "new.txt"]);
    assert_eq!(g.code == 0, d.code == 0, "{d:?}\n{g:?}");
    assert_eq!(
        twin.gd.read("new.txt"),
        "new\n",
        "the workspace file survives a failed link"
    );
}

/// A file in a tracked directory that cannot be read. Root reads everything, so the
/// commands run as a Unix user the test creates, with the file chmodded 000: `add`
/// fails naming the file and writes no pointer (dvc fails too, with an `unexpected
/// error`); after a chmod it works.
#[test]
fn unreadable_file_in_a_tracked_directory() {
    use crate::concurrency::{Users, as_user, chown};
    let env = TestEnv::new();
    let users = Users::create("ur", 1);
    let (user, group) = (&users.users[0], &users.group);
    set_mode(env.root(), 0o755);
    for d in ["dvc-site-cache", "home/.cache", "home/.config"] {
        set_mode(&env.root().join(d), 0o1777);
    }
    let repo = env.git_repo("r");
    repo.gd(&["init", "-q"]).success();
    repo.write("data/ok", "ok\n");
    repo.write("data/secret", "no\n");
    chown(&repo.path, user, group);
    repo.chmod("data/secret", 0o000);
    let gd = as_user(&repo, user, group, git_dvc_exe(), &["add", "data"]);
    gd.failure().stderr_has("data/secret");
    gd.stderr_has("Permission denied");
    assert!(!gd.stderr.contains("panicked"), "{gd:?}");
    assert!(
        !repo.exists("data.dvc"),
        "no pointer for data that was not read"
    );
    let dvc = as_user(
        &repo,
        user,
        group,
        &env.oracle_bin().join("dvc"),
        &["add", "data"],
    );
    // dvc crashes here (`unexpected error`, 255): any clean failure will do.
    assert_ne!(dvc.code, 0, "{dvc:?}");
    repo.chmod("data/secret", 0o644);
    as_user(&repo, user, group, git_dvc_exe(), &["add", "-q", "data"]).success();
    repo.dvc(&["status"])
        .success()
        .stdout_has("Data and pipelines are up to date.");
}

/// A repository with a directory of three files and a file, its remote `web` at `url`.
fn repo_with_remote<'a>(env: &'a TestEnv, name: &str, url: &str) -> Dir<'a> {
    let repo = env.git_repo(name);
    repo.gd(&["init", "-q"]).success();
    repo.gd(&["remote", "add", "-d", "web", url]).success();
    for i in 0..3 {
        repo.write(&format!("data/f{i}"), format!("file {i} of {name}\n"));
    }
    repo.write("single", format!("single of {name}\n"));
    repo.gd(&["add", "-q", "data", "single"]).success();
    repo
}

/// Objects served from `server.root` under `prefix`, as a push to it would leave them.
fn seed_remote(from: &Dir<'_>, server: &crate::servers::Server, prefix: &str) {
    let store = server.root.join(prefix);
    std::fs::create_dir_all(&store).expect("create the store");
    let out = std::process::Command::new("cp")
        .arg("-r")
        .arg(from.path(".dvc/cache/files"))
        .arg(&store)
        .output()
        .expect("cp");
    assert!(out.status.success(), "{out:?}");
}

/// A remote that answers 503 twice per request, then works: push and pull retry with
/// backoff and succeed.
#[test]
fn remote_answering_503_is_retried() {
    let env = TestEnv::new();
    let server = crate::servers::http_faulty_server("503x2");
    let p = crate::servers::prefix("retry503");
    let repo = repo_with_remote(&env, "r", &format!("{}/{p}", server.url));
    repo.gd(&["push", "-q"]).success();
    assert_eq!(objects_match_names(&server.root.join(&p), "remote"), 5);
    repo.remove(".dvc/cache");
    repo.remove("data");
    repo.remove("single");
    repo.gd(&["pull", "-q"]).success();
    assert_eq!(repo.read("data/f1"), "file 1 of r\n");
}

/// A remote that answers 429 with `Retry-After: 2` for two seconds per path: the retries
/// wait as long as the server asks (the backoff alone is 250 + 500 ms) and succeed.
#[test]
fn remote_answering_429_with_retry_after() {
    let env = TestEnv::new();
    let server = crate::servers::http_faulty_server("429:2");
    let p = crate::servers::prefix("retry429");
    let repo = repo_with_remote(&env, "r", &format!("{}/{p}", server.url));
    let started = std::time::Instant::now();
    repo.gd(&["push", "-q"]).success();
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
    assert_eq!(objects_match_names(&server.root.join(&p), "remote"), 5);
}

/// A remote that always answers 500: after the retries, dvc's `failed to push` / `failed
/// to pull` with the remote's status named, exit 1, and nothing partial in the cache.
#[test]
fn remote_answering_500_fails_clearly() {
    let env = TestEnv::new();
    let server = crate::servers::http_faulty_server("500");
    let p = crate::servers::prefix("fail500");
    let repo = repo_with_remote(&env, "r", &format!("{}/{p}", server.url));
    let started = std::time::Instant::now();
    let out = repo.gd(&["push"]);
    out.code(1)
        .stderr_has("failed to push data to the cloud")
        .stderr_has("500");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "{out:?}"
    );
    seed_remote(&repo, server, &p);
    repo.remove(".dvc/cache");
    repo.remove("data");
    let out = repo.gd(&["pull"]);
    out.code(1).stderr_has("failed to pull data from the cloud");
    objects_match_names(&repo.path(".dvc/cache"), "cache");
    assert!(!repo.exists("data/f0"), "{out:?}");
}

/// Objects served slowly (3 s, with `read_timeout = 1`), truncated (the connection closes
/// halfway through the announced length), or larger than the object: `pull` fails with
/// a clear error naming the remote, and the cache holds no partial or wrong object.
#[test]
fn remote_objects_slow_truncated_or_oversized() {
    let env = TestEnv::new();
    for fault in ["slow:3", "truncate", "oversize"] {
        let server = crate::servers::http_faulty_server(fault);
        let p = crate::servers::prefix("objects");
        let name = format!("r-{}", fault.replace(':', ""));
        let repo = repo_with_remote(&env, &name, &format!("{}/{p}", server.url));
        repo.gd(&["remote", "modify", "web", "read_timeout", "1"])
            .success();
        seed_remote(&repo, server, &p);
        repo.remove(".dvc/cache");
        repo.remove("data");
        repo.remove("single");
        let started = std::time::Instant::now();
        let out = repo.gd(&["pull"]);
        out.code(1).stderr_has("failed to pull data from the cloud");
        assert!(
            out.stderr.contains("'web'") || out.stderr.contains("web"),
            "{fault}: {out:?}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{fault}: {:?}",
            started.elapsed()
        );
        let n = objects_match_names(&repo.path(".dvc/cache"), fault);
        assert_eq!(n, 0, "{fault}: nothing enters the cache: {out:?}");
        assert!(!repo.exists("single"), "{fault}: {out:?}");
    }
}

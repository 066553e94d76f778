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

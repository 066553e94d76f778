//! 10,000 pointer files in one checkout: one filter session materializes them in
//! parallel, within seconds, and the reverse switch removes them again
//! (spec/git-integration.md §7, edge case 31).

use crate::e2e_support::*;
use crate::harness::*;
use std::time::Instant;

const POINTERS: usize = 10_000;

#[test]
fn ten_thousand_pointers_in_one_checkout() {
    let env = TestEnv::new();
    let d = installed_repo(&env);
    // Write the pointers, .gitignore and cache objects directly (as `dvc add` would):
    // this test is about checkout, not about adding 10,000 targets.
    let mut ignore = String::new();
    for i in 0..POINTERS {
        let name = format!("f{i:05}");
        let body = format!("content {i}\n");
        let md5 = md5_hex(body.as_bytes());
        let obj = d.path(&format!(".dvc/cache/files/md5/{}/{}", &md5[..2], &md5[2..]));
        std::fs::create_dir_all(obj.parent().expect("parent")).expect("mkdir");
        if !obj.exists() {
            std::fs::write(&obj, &body).expect("write object");
            set_mode(&obj, 0o444);
        }
        d.write(
            &format!("p/{name}.dvc"),
            format!(
                "outs:\n- md5: {md5}\n  size: {}\n  hash: md5\n  path: {name}\n",
                body.len()
            ),
        );
        d.write(&format!("p/{name}"), &body);
        ignore.push_str(&format!("/{name}\n"));
    }
    d.write("p/.gitignore", ignore);
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-q", "-m", "many"]).success();
    d.git(&["checkout", "-q", "-b", "none"]).success();
    d.git(&["rm", "-q", "-r", "p"]).success();
    d.git(&["commit", "-q", "-m", "none"]).success();
    assert!(d.exists("p/f00000"), "a commit never deletes data");

    // Removal: post-checkout deletes 10,000 unmodified outs.
    d.git(&["checkout", "-q", "main"]).success();
    let start = Instant::now();
    let out = d.git(&["checkout", "-q", "none"]);
    let removal = start.elapsed();
    out.success();
    assert!(!d.exists("p/f00000") && !d.exists("p/f09999"));

    // Materialization: one filter session, delayed and in parallel.
    let start = Instant::now();
    let out = d.git(&["checkout", "-q", "main"]);
    let materialize = start.elapsed();
    out.success();
    assert!(out.stderr.is_empty(), "{out:?}");
    for i in [0, 1234, POINTERS - 1] {
        assert_eq!(
            content(&d, &format!("p/f{i:05}")),
            Some(format!("content {i}\n"))
        );
    }
    eprintln!("10k pointers: checkout with data {materialize:?}, removal {removal:?}");
    // Generous bounds (debug build, loaded machine); bench/git.sh measures release.
    assert!(materialize.as_secs() < 30, "{materialize:?}");
    assert!(removal.as_secs() < 30, "{removal:?}");
    // `git status` right after (racy-clean entries get cleaned) has no side effects.
    assert_git_clean(&d);
    let st = d.git(&["dvc", "status", "-q"]);
    st.success();
}

/// A relpath whose absolute path under `root`/`prefix` is `total` bytes long (below
/// PATH_MAX, 4096): directories of 200 bytes, then a last component of `last` bytes
/// (NAME_MAX is 255), and a short one to make up the length.
fn long_relpath(root: &std::path::Path, prefix: &str, total: usize, last: usize) -> String {
    let budget = total - root.as_os_str().len() - prefix.len() - 2 - last;
    let mut rel = String::new();
    let mut i = 0;
    while budget - rel.len() > 201 {
        rel.push_str(&format!("{i:02}{}/", "d".repeat(198)));
        i += 1;
    }
    let rest = budget - rel.len();
    if rest > 1 {
        rel.push_str(&"e".repeat(rest - 1));
        rel.push('/');
    }
    rel.push_str(&"f".repeat(last));
    rel
}

/// A directory 30 levels deep, and a file whose absolute path is close to PATH_MAX with a
/// last component close to NAME_MAX: `add` writes what dvc writes, and checkout of the
/// deleted directory restores it (checkout's temp names must still fit NAME_MAX).
#[test]
fn thirty_levels_deep_and_paths_near_path_max() {
    let env = TestEnv::new();
    let t = env.twin();
    t.init();
    let deep: String = (0..30).map(|i| format!("l{i:02}/")).collect::<String>() + "leaf.txt";
    let root = t.gd.path(".").canonicalize().expect("canonical root");
    let long = long_relpath(&root, "data", 4000, 250);
    assert_eq!(root.join("data").join(&long).as_os_str().len(), 4000);
    t.both(|d| {
        d.write(&format!("data/{deep}"), "deep\n");
        d.write(&format!("data/{long}"), "long\n");
    });
    same(&t, &["add", "data"]).same_code();
    let d = &t.gd;
    std::fs::remove_dir_all(d.path("data")).expect("remove data");
    d.gd(&["checkout"]).success();
    assert_eq!(d.read(&format!("data/{deep}")), "deep\n");
    assert_eq!(d.read(&format!("data/{long}")), "long\n");
    // A change at the bottom is seen, committed, and checked out again.
    d.write(&format!("data/{long}"), "longer\n");
    d.gd(&["status"]).success().stdout_has("modified:");
    d.gd(&["commit", "-q", "-f", "data.dvc"]).success();
    std::fs::remove_dir_all(d.path("data")).expect("remove data");
    d.gd(&["checkout", "-q"]).success();
    assert_eq!(d.read(&format!("data/{long}")), "longer\n");
    let status = d.dvc(&["status"]);
    assert!(status.stdout.contains("up to date"), "{status:?}");
}

/// 20,000 files in one folder (the benchmark runs 200,000): add, no-op status, checkout
/// of the deleted folder, and dvc agrees with the result.
#[test]
fn twenty_thousand_files_in_one_folder() {
    let env = TestEnv::new();
    let d = env.git_repo("r");
    d.gd(&["init", "-q"]).success();
    let dir = d.path("flat");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for i in 0..20_000 {
        std::fs::write(dir.join(format!("f{i:06}")), format!("{i}\n")).expect("write");
    }
    d.gd(&["add", "-q", "flat"]).success();
    d.gd(&["status"]).success().stdout_has("up to date");
    std::fs::remove_dir_all(&dir).expect("remove flat");
    d.gd(&["checkout", "-q"]).success();
    assert_eq!(std::fs::read_dir(&dir).expect("list").count(), 20_000);
    assert_eq!(d.read("flat/f012345"), "12345\n");
    let status = d.dvc(&["status"]);
    assert!(status.stdout.contains("up to date"), "{status:?}");
}

/// Peak RSS in bytes of `cmd` (run to completion), from wait4(2), which reaps it.
#[allow(clippy::zombie_processes)]
fn peak_rss(mut cmd: std::process::Command) -> (i32, u64) {
    let child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter; the pid is our own child's.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut ru) };
    assert!(pid > 0, "wait4 failed");
    (libc::WEXITSTATUS(status), ru.ru_maxrss as u64 * 1024)
}

/// A 1 GiB sparse file (the benchmark's long version takes 20 GiB) is hashed and cached
/// streaming: the right md5, and git-dvc's memory stays far below the file's size.
#[test]
fn a_sparse_gigabyte_is_hashed_and_cached_in_bounded_memory() {
    const SIZE: u64 = 1 << 30;
    let env = TestEnv::new();
    let d = env.git_repo("r");
    d.gd(&["init", "-q"]).success();
    let f = std::fs::File::create(d.path("sparse.bin")).expect("create");
    f.set_len(SIZE).expect("truncate to 1 GiB");
    drop(f);
    let mut cmd = d.command(git_dvc_exe());
    cmd.args(["add", "-q", "sparse.bin"]);
    let (code, rss) = peak_rss(cmd);
    assert_eq!(code, 0, "git dvc add of the sparse file failed");
    assert!(rss < 96 << 20, "peak RSS {rss} bytes for a 1 GiB file");
    // md5 of 1 GiB of zeros.
    let expected = "cd573cfaace07e7949bc0c46028904ff";
    let pointer = d.read("sparse.bin.dvc");
    assert!(pointer.contains(&format!("md5: {expected}")), "{pointer}");
    assert!(pointer.contains(&format!("size: {SIZE}")), "{pointer}");
    let obj = d.path(&format!(
        ".dvc/cache/files/md5/{}/{}",
        &expected[..2],
        &expected[2..]
    ));
    assert_eq!(std::fs::metadata(obj).expect("cached object").len(), SIZE);
}

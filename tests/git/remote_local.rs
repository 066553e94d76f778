//! push / pull / fetch / `status -c` against a local directory remote, with dvc 3.67.1
//! as the oracle in both directions (issue 4, parts 3 and 5).

use crate::harness::*;

/// A git repo with dvc initialized (by dvc), some data added, a default remote `store`
/// at `<env>/<store>`, everything committed.
fn project<'a>(env: &'a TestEnv, name: &str, store: &str) -> Dir<'a> {
    let repo = env.git_repo(name);
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.make_dataset("data", 10);
    repo.write("data/sub/x", "x\n");
    repo.write("empty", "");
    repo.dvc(&["add", "-q", "f.txt", "data", "empty"]).success();
    let store_path = env.root().join(store);
    repo.dvc(&[
        "remote",
        "add",
        "-q",
        "-d",
        "store",
        store_path.to_str().unwrap(),
    ])
    .success();
    repo.git(&["add", "-A"]).success();
    repo.git(&["commit", "-qm", "data"]).success();
    repo
}

fn clone<'a>(env: &'a TestEnv, from: &str, to: &str) -> Dir<'a> {
    env.dir(".").git(&["clone", "-q", from, to]).success();
    env.dir(to)
}

#[test]
fn git_dvc_push_then_dvc_pull() {
    let env = TestEnv::new();
    let gd = project(&env, "gd", "store-gd");
    let out = gd.gd(&["push"]);
    out.success();
    // f.txt, empty, the .dir and its 11 files.
    assert_eq!(out.stdout, "14 files pushed\n", "{out:?}");
    // dvc pushing the same project elsewhere produces the same remote, modes included.
    let dv = project(&env, "dv", "store-dvc");
    dv.dvc(&["push", "-q"]).success();
    assert_same_text(
        "remote listing",
        "dvc",
        &env.dir("store-dvc").listing(""),
        "git-dvc",
        &env.dir("store-gd").listing(""),
    );
    // Nothing left to do, for either tool.
    gd.gd(&["push"])
        .success()
        .stdout_has("Everything is up to date.");
    gd.dvc(&["status", "-c"])
        .success()
        .stdout_has("Cache and remote 'store' are in sync.");
    // dvc pulls git-dvc's upload into a fresh clone.
    let c = clone(&env, "gd", "c");
    c.dvc(&["pull"]).success();
    assert_eq!(c.read("f.txt"), "hello\n");
    assert_eq!(c.read("data/sub/x"), "x\n");
    assert_eq!(
        c.read_bytes("data/d000/f000000.bin"),
        gd.read_bytes("data/d000/f000000.bin")
    );
    assert_eq!(
        c.dvc(&["status"]).success().stdout,
        "Data and pipelines are up to date.\n"
    );
}

#[test]
fn dvc_push_then_git_dvc_pull() {
    let env = TestEnv::new();
    let dv = project(&env, "dv", "store");
    dv.dvc(&["push", "-q"]).success();
    // git-dvc pulls into one clone, dvc into another: same cache and workspace.
    let a = clone(&env, "dv", "a");
    let out = a.gd(&["pull"]);
    out.success();
    assert!(
        out.stdout
            .ends_with("14 files fetched and 13 files added\n"),
        "{out:?}"
    );
    let b = clone(&env, "dv", "b");
    b.dvc(&["pull", "-q"]).success();
    assert_same_text(
        "cache listing",
        "dvc",
        &b.listing(".dvc/cache"),
        "git-dvc",
        &a.listing(".dvc/cache"),
    );
    assert_eq!(a.read("data/sub/x"), "x\n");
    assert_eq!(
        a.dvc(&["status"]).success().stdout,
        "Data and pipelines are up to date.\n"
    );
    // Second pull: nothing to do.
    a.gd(&["pull"])
        .success()
        .stdout_has("Everything is up to date.");
    // fetch alone fills only the cache.
    let c = clone(&env, "dv", "c");
    let out = c.gd(&["fetch"]);
    out.success();
    assert_eq!(out.stdout, "14 files fetched\n", "{out:?}");
    assert!(!c.exists("f.txt"));
    assert_eq!(c.listing(".dvc/cache"), b.listing(".dvc/cache"));
}

#[test]
fn interrupted_push_resumes_with_only_the_missing_objects() {
    let env = TestEnv::new();
    let repo = project(&env, "r", "store");
    repo.gd(&["push", "-q"]).success();
    let full = env.dir("store").listing("");
    // Simulate an interruption: two files and the .dir never made it.
    let data_dvc = repo.read("data.dvc");
    let dir_oid = data_dvc
        .lines()
        .find_map(|l| l.trim().strip_prefix("- md5: "))
        .expect("dir md5")
        .to_string();
    let manifest = parse_dir_manifest(&repo.read_bytes(&cache_rel(&dir_oid)));
    let victims: Vec<&String> = manifest.values().take(2).collect();
    let store = env.dir("store");
    for oid in victims.iter().map(|s| s.as_str()).chain([dir_oid.as_str()]) {
        store.remove(&format!("files/md5/{}/{}", &oid[..2], &oid[2..]));
    }
    // Also a partial leftover from a crashed foreign writer: not 0444, wrong content.
    let leftover = format!("files/md5/{}/{}", &victims[0][..2], &victims[0][2..]);
    store.write(&leftover, "partial");
    let out = repo.gd(&["push"]);
    out.success();
    assert_eq!(out.stdout, "3 files pushed\n", "{out:?}");
    assert_eq!(store.listing(""), full);
}

#[test]
fn corrupt_remote_object_is_refused_and_nothing_is_materialized() {
    let env = TestEnv::new();
    let repo = project(&env, "r", "store");
    repo.gd(&["push", "-q"]).success();
    let oid = md5_hex(b"hello\n");
    let key = format!("files/md5/{}/{}", &oid[..2], &oid[2..]);
    let store = env.dir("store");
    store.chmod(&key, 0o644);
    store.write(&key, "HELLO\n");
    store.chmod(&key, 0o444);
    let c = clone(&env, "r", "c");
    let out = c.gd(&["pull"]);
    out.code(1);
    out.stderr_has(&format!("object '{oid}' from remote 'store' is corrupt"))
        .stderr_has("failed to pull data from the cloud - 1 file failed to download");
    assert!(
        !c.exists(&cache_rel(&oid)),
        "corrupt object entered the cache"
    );
    assert!(
        !c.exists("f.txt"),
        "pull must not check out after a failed fetch"
    );
    // The rest arrived and verified; nothing under a temp name is left.
    let leftovers: Vec<String> = c
        .listing(".dvc/cache")
        .lines()
        .filter(|l| l.contains(".tmp"))
        .map(str::to_string)
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn missing_remote_object_and_missing_remote() {
    let env = TestEnv::new();
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    // No remote at all: dvc's error, exit 1.
    let out = repo.gd(&["push"]);
    out.code(1).stderr_has(&format!(
        "ERROR: failed to push data to the cloud - config file error: no remote specified in {}. Create a default remote with\n    git dvc remote add -d <remote name> <remote url>",
        repo.path("").display()
    ));
    let out = repo.gd(&["push", "-r", "nope"]);
    out.code(1).stderr_has(
        "ERROR: failed to push data to the cloud - config file error: remote 'nope' doesn't exist",
    );
    repo.gd(&["status", "-c"])
        .code(1)
        .stderr_has("no remote specified in");
    // An empty remote: fetch of an object that is not there names it.
    let store = env.root().join("store");
    repo.dvc(&["remote", "add", "-q", "-d", "s", store.to_str().unwrap()])
        .success();
    repo.remove(".dvc/cache");
    let out = repo.gd(&["fetch"]);
    out.code(1)
        .stderr_has(&format!(
            "ERROR: failed to transfer '{}' - ",
            md5_hex(b"hello\n")
        ))
        .stderr_has("failed to fetch data from the cloud - 1 file failed to download");
}

#[test]
fn push_with_missing_cache_warns_like_dvc_and_skips_the_dir() {
    let env = TestEnv::new();
    let repo = project(&env, "r", "store");
    let oid = md5_hex(b"x\n");
    repo.remove(&cache_rel(&oid));
    let out = repo.gd(&["push"]);
    out.success();
    out.stderr_has("WARNING: Some of the cache files do not exist neither locally nor on remote. Missing cache files:\n")
        .stderr_has(&format!("name: data/sub/x, md5: {oid}"));
    // The .dir was not pushed: dvc would otherwise assume all its files are there.
    let dir_oid = repo
        .read("data.dvc")
        .lines()
        .find_map(|l| l.trim().strip_prefix("- md5: "))
        .expect("dir md5")
        .trim_end_matches(".dir")
        .to_string();
    assert!(
        !env.dir("store").listing("").contains(&dir_oid[2..]),
        "{}",
        env.dir("store").listing("")
    );
}

#[test]
fn cloud_status_matches_dvc() {
    let env = TestEnv::new();
    let repo = project(&env, "r", "store");
    let compare = |what: &str| {
        let d = repo.dvc(&["status", "-c", "--json"]);
        let g = repo.gd(&["status", "-c", "--json"]);
        d.success();
        g.success();
        // dvc prints its dict in set order; compare the contents, sorted.
        let sorted = |text: &str| {
            let v: std::collections::BTreeMap<String, String> =
                serde_json::from_str(text).expect("status -c --json is a JSON object");
            format!("{v:?}")
        };
        assert_same_text(
            what,
            "dvc",
            &sorted(&d.stdout),
            "git-dvc",
            &sorted(&g.stdout),
        );
    };
    compare("nothing pushed");
    repo.gd(&["push", "-q"]).success();
    compare("in sync");
    assert_eq!(
        repo.gd(&["status", "-c"]).success().stdout,
        "Cache and remote 'store' are in sync.\n"
    );
    // deleted (remote only) and missing (neither).
    repo.remove(&cache_rel(&md5_hex(b"hello\n")));
    repo.remove(&cache_rel(&md5_hex(b"x\n")));
    let store = env.dir("store");
    let oid = md5_hex(b"x\n");
    store.remove(&format!("files/md5/{}/{}", &oid[..2], &oid[2..]));
    // dvc takes a `.dir` on the remote to mean all its files are there (spec §7.3) and
    // would call x `deleted`; git-dvc checks every file. Without the `.dir` both agree.
    let dir_oid = repo
        .read("data.dvc")
        .lines()
        .find_map(|l| l.trim().strip_prefix("- md5: "))
        .expect("dir md5")
        .to_string();
    store.remove(&format!("files/md5/{}/{}", &dir_oid[..2], &dir_oid[2..]));
    compare("deleted and missing");
    let text = repo.gd(&["status", "-c"]).success().stdout.clone();
    assert!(text.contains("\tdeleted:            f.txt\n"), "{text}");
    assert!(
        text.contains("\tmissing:            data/sub/x\n"),
        "{text}"
    );
}

#[test]
fn per_out_remote_push_false_and_dash_r() {
    let env = TestEnv::new();
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("a", "a\n");
    repo.write("b", "b\n");
    repo.write("c", "c\n");
    repo.dvc(&["add", "-q", "a", "b", "c"]).success();
    for (name, dir) in [("main", "main-store"), ("other", "other-store")] {
        let p = env.root().join(dir);
        repo.dvc(&["remote", "add", "-q", name, p.to_str().unwrap()])
            .success();
    }
    repo.dvc(&["remote", "default", "-q", "main"]).success();
    let b = repo.read("b.dvc") + "  remote: other\n";
    repo.write("b.dvc", b);
    let c = repo.read("c.dvc") + "  push: false\n";
    repo.write("c.dvc", c);
    repo.dvc(&["status"]).success();
    // -r main: only the out without its own remote (c is push: false).
    repo.gd(&["push", "-r", "main"])
        .success()
        .stdout_has("1 file pushed");
    let key = |s: &str| {
        let o = md5_hex(s.as_bytes());
        format!("{}/{}", &o[..2], &o[2..])
    };
    assert!(env.dir("main-store").listing("").contains(&key("a\n")));
    assert!(!env.dir("other-store").listing("").contains(&key("b\n")));
    // No -r: b goes to its own remote.
    repo.gd(&["push"]).success().stdout_has("1 file pushed");
    assert!(env.dir("other-store").listing("").contains(&key("b\n")));
    assert!(!env.dir("main-store").listing("").contains(&key("c\n")));
    // Pull from the mixed remotes into a clean cache.
    repo.remove(".dvc/cache");
    repo.remove("a");
    repo.remove("b");
    let out = repo.gd(&["fetch"]);
    // c was never pushed: it fails, the others arrive.
    out.code(1);
    assert!(repo.exists(&cache_rel(&md5_hex(b"a\n"))));
    assert!(repo.exists(&cache_rel(&md5_hex(b"b\n"))));
}

#[test]
fn all_branches_pushes_other_revisions() {
    let env = TestEnv::new();
    let repo = project(&env, "r", "store");
    repo.git(&["checkout", "-q", "-b", "other"]).success();
    repo.write("f.txt", "other version\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    repo.git(&["commit", "-qam", "other"]).success();
    repo.git(&["checkout", "-q", "main"]).success();
    repo.dvc(&["checkout", "-q"]).success();
    let out = repo.gd(&["push", "-a"]);
    out.success();
    let listing = env.dir("store").listing("");
    let o = md5_hex(b"other version\n");
    assert!(listing.contains(&o[2..]), "{listing}");
    // Plain push from main then has nothing to do.
    repo.gd(&["push"])
        .success()
        .stdout_has("Everything is up to date.");
}

/// How many times git-dvc looked at an object path of `store` while running `args`
/// (stat, access or open calls naming `store/files/md5/`), from `strace`.
fn remote_lookups(repo: &Dir<'_>, store: &std::path::Path, args: &[&str]) -> usize {
    let log = repo.path(".git/strace-remote.log");
    let mut cmd = repo.command("strace");
    cmd.args([
        "-f",
        "-qq",
        "-e",
        "trace=statx,newfstatat,lstat,stat,access,faccessat,faccessat2,openat",
        "-o",
    ])
    .arg(&log)
    .arg(git_dvc_exe())
    .args(args);
    let out = run_command(cmd, None);
    assert_eq!(
        out.code, 0,
        "strace git-dvc {args:?} (needs strace): {}",
        out.stderr
    );
    let needle = format!("{}/files/md5/", store.display());
    std::fs::read_to_string(&log)
        .expect("read the strace log")
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

/// A push after one file changed in a pushed directory asks the remote about that file,
/// the new `.dir` and the old one, not about every file; and the shortcut stands only
/// on a `.dir` that is on the remote: with the old `.dir` gone, every file is checked
/// and what is missing is uploaded again. Files deleted behind a `.dir` (which no writer
/// does) are still found by `status -c`.
#[test]
fn push_after_one_change_asks_the_remote_about_that_change_only() {
    let env = TestEnv::new();
    let repo = env.git_repo("r");
    repo.gd(&["init", "-q"]).success();
    let store = env.root().join("store");
    repo.gd(&[
        "remote",
        "add",
        "-d",
        "store",
        store.to_str().expect("utf-8"),
    ])
    .success();
    repo.make_dataset("data", 1000);
    repo.gd(&["add", "-q", "data"]).success();
    repo.gd(&["push", "-q"]).success();
    let first_dir = repo.read("data.dvc");

    repo.write("data/d000/changed", "one change\n");
    repo.gd(&["add", "-q", "data"]).success();
    let lookups = remote_lookups(&repo, &store, &["push", "-q"]);
    assert!(
        lookups < 30,
        "{lookups} lookups on the remote for one changed file"
    );
    let status = repo.gd(&["status", "-c"]);
    status.success();
    assert!(
        !status.stdout.contains("new:") && !status.stdout.contains("missing"),
        "{status:?}"
    );

    // Without the old `.dir` on the remote, nothing is assumed: a file deleted there is
    // found missing and uploaded again.
    let md5_of = |text: &str| -> String {
        text.lines()
            .find_map(|l| l.trim().trim_start_matches("- ").strip_prefix("md5: "))
            .expect("md5 in the pointer")
            .trim_end_matches(".dir")
            .to_string()
    };
    let old = md5_of(&first_dir);
    let obj = |md5: &str, suffix: &str| {
        store.join(format!("files/md5/{}/{}{suffix}", &md5[..2], &md5[2..]))
    };
    let victim = md5_hex(&std::fs::read(repo.path("data/d001/f000001.bin")).expect("read"));
    set_mode(&obj(&victim, ""), 0o644);
    std::fs::remove_file(obj(&victim, "")).expect("remove a file object");
    let new = md5_of(&repo.read("data.dvc"));
    for dir in [&old, &new] {
        std::fs::remove_file(obj(dir, ".dir")).expect("remove a .dir");
    }
    repo.write("data/d000/changed", "two changes\n");
    repo.gd(&["add", "-q", "data"]).success();
    let lookups = remote_lookups(&repo, &store, &["push", "-q"]);
    assert!(
        lookups >= 1000,
        "only {lookups} lookups with no .dir to stand on"
    );
    assert!(
        obj(&victim, "").exists(),
        "the deleted object was not uploaded again"
    );

    // A file deleted behind a `.dir` that is still there: push takes the `.dir` at its
    // word (as dvc does), and `status -c` still finds the file missing.
    let now = md5_of(&repo.read("data.dvc"));
    assert!(obj(&now, ".dir").exists());
    set_mode(&obj(&victim, ""), 0o644);
    std::fs::remove_file(obj(&victim, "")).expect("remove the file object again");
    repo.write("data/d000/changed", "three changes\n");
    repo.gd(&["add", "-q", "data"]).success();
    repo.gd(&["push", "-q"]).success();
    assert!(
        !obj(&victim, "").exists(),
        "push took the .dir at its word, as dvc does"
    );
    let gd = repo.gd(&["status", "-c"]);
    assert!(
        gd.stdout.contains("new:") && gd.stdout.contains("f000001.bin"),
        "{gd:?}"
    );
    // dvc 3.67.1's `status -c` takes the `.dir` at its word too (observed).
    let dvc = repo.dvc(&["status", "-c"]);
    assert!(dvc.stdout.contains("in sync"), "{dvc:?}");
    // `push --verify` asks about every file, and puts it back.
    repo.gd(&["push", "-q", "--verify"]).success();
    assert!(
        obj(&victim, "").exists(),
        "push --verify did not upload the missing file"
    );
    let gd = repo.gd(&["status", "-c"]);
    assert!(gd.stdout.contains("in sync"), "{gd:?}");
}

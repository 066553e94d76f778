//! `gc` against dvc (issue 5): the same history, collected by dvc and by git-dvc, must
//! leave the same cache for every scope (`-w`, `-a`, `-T`, `-A`); plus retention
//! (`--keep`, `--older-than`), the prompt, argument errors and the missing-`.dir` safety.

use crate::harness::*;
use std::path::Path;
use std::process::Command;

/// Copies a directory tree with `cp -a` (keeps modes, so cache objects stay 0444).
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    let st = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("run cp");
    assert!(st.success(), "cp -a failed");
}

/// `git commit` with a given committer/author date (seconds since the epoch).
fn commit_at(d: &Dir<'_>, msg: &str, when: i64) {
    let date = format!("@{when} +0000");
    let mut cmd = d.command("git");
    cmd.args(["commit", "-q", "-m", msg])
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date);
    run_command(cmd, None).success();
}

/// A legacy (2.x) pointer and its object in the legacy cache layout.
fn legacy_pointer(d: &Dir<'_>, name: &str, content: &str) -> String {
    let md5 = md5_hex(content.as_bytes());
    d.write(name, content);
    d.write(
        &format!("{name}.dvc"),
        format!(
            "outs:\n- md5: {md5}\n  size: {}\n  path: {name}\n",
            content.len()
        ),
    );
    let obj = format!(".dvc/cache/{}/{}", &md5[..2], &md5[2..]);
    d.write(&obj, content);
    d.chmod(&obj, 0o444);
    md5
}

/// Builds a history exercising every scope, in `d`, with the oracle dvc:
///
/// - main: `f`, `d/` (dir), a pipeline (`o` cached, `nc` `cache: false`), a legacy out;
///   several versions of `f` and `d/` along the way;
/// - tag `v1` on an old main commit; tag `vold` on a commit of a deleted branch;
/// - branch `feature` with its own `d/` version;
/// - an abandoned add (object cached, pointer never committed), an unused legacy object,
///   and an uncommitted workspace version of `f`.
pub(crate) fn build_history(d: &Dir<'_>) {
    d.git(&["init", "-q"]).success();
    d.dvc(&["init", "-q"]).success();
    d.git(&["add", "-A"]).success();
    commit_at(d, "init", 1_000_000_000);

    d.write("f", "f1\n");
    d.write("d/x", "x1\n");
    d.write("d/y", "y1\n");
    d.write("d/sub/z", "z1\n");
    d.dvc(&["add", "-q", "f", "d"]).success();
    d.git(&["add", "-A"]).success();
    commit_at(d, "one", 1_000_000_100);
    d.git(&["tag", "v1"]).success();

    d.write("f", "f2\n");
    d.write("d/x", "x2\n");
    d.dvc(&["add", "-q", "f", "d"]).success();
    d.write(
        "dvc.yaml",
        "stages:\n  s:\n    cmd: echo\n    outs:\n    - o\n    - nc:\n        cache: false\n",
    );
    d.write("o", "o1\n");
    // Same content as the abandoned add below: dvc does not keep it for a cache: false out.
    d.write("nc", "junk\n");
    d.dvc(&["commit", "-q", "-f", "s"]).success();
    legacy_pointer(d, "leg", "legacy one\n");
    d.git(&["add", "-A"]).success();
    commit_at(d, "two", 1_000_000_200);

    d.git(&["checkout", "-q", "-b", "feature"]).success();
    d.write("d/y", "y-feature\n");
    d.dvc(&["add", "-q", "d"]).success();
    d.git(&["add", "-A"]).success();
    commit_at(d, "feature", 1_000_000_300);

    d.git(&["checkout", "-q", "-b", "old", "main"]).success();
    d.dvc(&["checkout", "-q", "-f"]).success();
    d.write("f", "f-old\n");
    d.dvc(&["add", "-q", "f"]).success();
    d.git(&["add", "-A"]).success();
    commit_at(d, "old", 1_000_000_400);
    d.git(&["tag", "vold"]).success();

    d.git(&["checkout", "-q", "main"]).success();
    d.git(&["branch", "-q", "-D", "old"]).success();
    d.dvc(&["checkout", "-q", "-f"]).success();
    d.write("f", "f3\n");
    d.write("o", "o2\n");
    d.dvc(&["add", "-q", "f"]).success();
    d.dvc(&["commit", "-q", "-f", "s"]).success();
    d.git(&["add", "-A"]).success();
    commit_at(d, "three", 1_000_000_500);

    // Abandoned add: the object stays in the cache, the pointer is gone.
    d.write("junk", "junk\n");
    d.dvc(&["add", "-q", "junk"]).success();
    d.remove("junk.dvc");
    d.remove("junk");
    // An unused legacy object.
    let md5 = md5_hex(b"stale legacy\n");
    let obj = format!(".dvc/cache/{}/{}", &md5[..2], &md5[2..]);
    d.write(&obj, "stale legacy\n");
    d.chmod(&obj, 0o444);
    // Uncommitted workspace version.
    d.write("f", "f-ws\n");
    d.dvc(&["add", "-q", "f"]).success();
}

#[test]
fn same_cache_as_dvc_for_every_scope() {
    let env = TestEnv::new();
    let base = env.dir("base");
    build_history(&base);
    let before = base.listing(".dvc/cache");
    for (i, scope) in ["-w", "-a", "-T", "-A"].iter().enumerate() {
        let a = env.root().join(format!("dvc{i}"));
        let b = env.root().join(format!("gd{i}"));
        copy_tree(&base.path, &a);
        copy_tree(&base.path, &b);
        let (a, b) = (env.dir(&format!("dvc{i}")), env.dir(&format!("gd{i}")));
        let dvc_out = a.dvc(&["gc", "-f", scope]);
        let gd_out = b.gd(&["gc", "-f", scope]);
        dvc_out.success();
        gd_out.success();
        assert_eq!(dvc_out.stdout, gd_out.stdout, "gc {scope} stdout");
        assert_eq!(dvc_out.stderr, gd_out.stderr, "gc {scope} stderr");
        assert_same_text(
            &format!("caches after gc {scope}"),
            "dvc",
            &a.listing(".dvc/cache"),
            "git-dvc",
            &b.listing(".dvc/cache"),
        );
        assert_ne!(
            before,
            b.listing(".dvc/cache"),
            "gc {scope} removed nothing"
        );
    }
}

#[test]
fn dry_run_lists_what_dvc_would_remove_and_keeps_everything() {
    let env = TestEnv::new();
    let base = env.dir("base");
    build_history(&base);
    let before = base.listing(".dvc/cache");
    let out = base.gd(&["gc", "-a", "--dry"]);
    out.success();
    assert_eq!(before, base.listing(".dvc/cache"));
    let dvc = base.dvc(&["gc", "-a", "--dry"]);
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(&out.stdout), sorted(&dvc.stdout));
    assert!(out.stdout.contains("Removing "));
}

#[test]
fn prompt_scope_and_argument_errors_match_dvc() {
    let env = TestEnv::new();
    let d = env.dir("r");
    d.git(&["init", "-q"]).success();
    d.dvc(&["init", "-q"]).success();
    for args in [
        &["gc"][..],
        &["gc", "-f"],
        &["gc", "-r", "x", "-w", "-f"],
        &["gc", "-n", "2", "-w", "-f"],
        &["gc", "-w"],
    ] {
        let dvc = d.dvc(args);
        let gd = d.gd(args);
        assert_eq!(dvc.code, gd.code, "{args:?}\n{dvc:?}\n{gd:?}");
        assert_eq!(dvc.stdout, gd.stdout, "{args:?}");
        assert_eq!(dvc.stderr, gd.stderr, "{args:?}");
    }
    // A "y" on stdin proceeds, as with dvc.
    let mut cmd = d.command(git_dvc_exe());
    cmd.args(["gc", "-w"]);
    run_command(cmd, Some(b"y\n")).success();
}

#[test]
fn missing_dir_manifest_keeps_every_file_object() {
    let env = TestEnv::new();
    let d = env.dir("r");
    d.git(&["init", "-q"]).success();
    d.dvc(&["init", "-q"]).success();
    d.write("d/a", "a\n");
    d.write("d/b", "b\n");
    d.dvc(&["add", "-q", "d"]).success();
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-q", "-m", "one"]).success();
    d.write("junk", "junk\n");
    d.dvc(&["add", "-q", "junk"]).success();
    d.remove("junk.dvc");
    let text = d.read("d.dvc");
    let oid = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("- md5: "))
        .expect("dir md5")
        .to_string();
    d.remove(&format!(".dvc/cache/files/md5/{}/{}", &oid[..2], &oid[2..]));
    let out = d.gd(&["gc", "-w", "-f"]);
    out.success()
        .stderr_has("Missing cache for directory 'd'")
        .stdout_has("No unused 'repo' cache to remove.");
    assert!(d.exists(&format!(
        ".dvc/cache/files/md5/{}",
        "60/b725f10c9c85c70d97880dfe8191b3"
    )));
    // dvc's behaviour on request: the unlisted files go.
    d.gd(&["gc", "-w", "-f", "--drop-unexpandable"])
        .success()
        .stdout_has("Removed 3 objects from repo cache.");
}

#[test]
fn retention_keep_and_older_than() {
    let env = TestEnv::new();
    let d = env.dir("r");
    d.git(&["init", "-q"]).success();
    d.dvc(&["init", "-q"]).success();
    d.git(&["add", "-A"]).success();
    commit_at(&d, "init", 1_000_000_000);
    // Five versions of `m` and of `keepme`, one day apart.
    let day = 86_400;
    let t0 = 1_600_000_000;
    let mut m = Vec::new();
    let mut k = Vec::new();
    for i in 0..5 {
        d.write("m", format!("m{i}\n"));
        d.write("keepme", format!("k{i}\n"));
        m.push(md5_hex(format!("m{i}\n").as_bytes()));
        k.push(md5_hex(format!("k{i}\n").as_bytes()));
        d.dvc(&["add", "-q", "m", "keepme"]).success();
        d.git(&["add", "-A"]).success();
        commit_at(&d, &format!("v{i}"), t0 + i * day);
    }
    // A branch tip holding version 0 of m.
    d.git(&["branch", "-q", "pinned", "HEAD~4"]).success();
    let has = |md5: &str| d.exists(&format!(".dvc/cache/files/md5/{}/{}", &md5[..2], &md5[2..]));

    let snapshot = env.root().join("snap");
    copy_tree(&d.path, &snapshot);

    d.gd(&["gc", "-f", "--keep", "2", "m"]).success();
    assert!(has(&m[4]) && has(&m[3]), "two newest versions kept");
    assert!(!has(&m[2]) && !has(&m[1]), "older versions dropped");
    assert!(has(&m[0]), "branch tip `pinned` is always kept");
    assert!(
        k.iter().all(|x| has(x)),
        "untargeted outs keep every version"
    );

    // --older-than on a copy: commits are years old, so only tips and workspace stay.
    let d2 = env.dir("snap");
    d2.gd(&["gc", "-f", "--older-than", "30d"]).success();
    let has2 = |md5: &str| d2.exists(&format!(".dvc/cache/files/md5/{}/{}", &md5[..2], &md5[2..]));
    assert!(has2(&m[4]) && has2(&k[4]) && has2(&m[0]) && has2(&k[0]));
    assert!(!has2(&m[3]) && !has2(&k[2]));
    d2.gd(&["gc", "-f", "--older-than", "30x"]).failure();
}

#[test]
fn cloud_gc_matches_dvc() {
    let env = TestEnv::new();
    let base = env.dir("base");
    build_history(&base);
    let store = env.root().join("store-base");
    base.dvc(&["remote", "add", "-q", "-d", "r", &store.to_string_lossy()])
        .success();
    base.dvc(&["push", "-q", "-A"]).success();
    // An abandoned push: pushed, then its pointer deleted.
    base.write("gone", "pushed then abandoned\n");
    base.dvc(&["add", "-q", "gone"]).success();
    base.dvc(&["push", "-q", "gone.dvc"]).success();
    base.remove("gone.dvc");
    base.remove("gone");
    for name in ["dvc", "gd"] {
        copy_tree(&base.path, &env.root().join(name));
        copy_tree(&store, &env.root().join(format!("store-{name}")));
        let d = env.dir(name);
        let url = env.root().join(format!("store-{name}"));
        d.dvc(&["remote", "modify", "r", "url", &url.to_string_lossy()])
            .success();
    }
    let (a, b) = (env.dir("dvc"), env.dir("gd"));
    let dvc_out = a.dvc(&["gc", "-a", "-c", "-f"]);
    let gd_out = b.gd(&["gc", "-a", "-c", "-f"]);
    dvc_out.success();
    gd_out.success();
    assert_eq!(dvc_out.stdout, gd_out.stdout);
    assert!(gd_out.stdout.contains("objects from remote."));
    assert_same_text(
        "remotes after gc -a -c",
        "dvc",
        &listing(&env.root().join("store-dvc")),
        "git-dvc",
        &listing(&env.root().join("store-gd")),
    );
    assert_same_text(
        "caches after gc -a -c",
        "dvc",
        &a.listing(".dvc/cache"),
        "git-dvc",
        &b.listing(".dvc/cache"),
    );
}

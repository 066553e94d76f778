//! `checkout` against dvc (spec §10.2): restored bytes and modes, the `A/M/D` lines,
//! refusals without `-f`, missing cache, `--relink` and link types.

use crate::harness::*;

fn populated(env: &TestEnv) -> Twin<'_> {
    let twin = env.twin();
    twin.init();
    twin.both(|d| {
        d.write("f", "f\n");
        d.write("run.sh", "#!/bin/sh\n");
        d.chmod("run.sh", 0o755);
        d.make_dataset("data", 10);
        d.write("data/tool.sh", "#!/bin/sh\n");
        d.chmod("data/tool.sh", 0o755);
        d.sub("empty");
        d.write("sub/h", "h\n");
    });
    twin.run(&["add", "-q", "f", "run.sh", "data", "empty", "sub/h"])
        .success();
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-q", "-m", "data"]);
    twin
}

#[track_caller]
fn checkout_same(twin: &Twin<'_>, args: &[&str]) -> TwinOutput {
    let mut full = vec!["checkout"];
    full.extend_from_slice(args);
    let out = twin.run(&full);
    twin.assert_same_tree();
    out.same_output();
    out
}

#[test]
fn nothing_to_do() {
    let env = TestEnv::new();
    let twin = populated(&env);
    // Not necessarily silent: dvc reports `M data/` because the exec bit inside the
    // directory is not recorded. Whatever dvc says, git-dvc says.
    checkout_same(&twin, &[]).success();
}

#[test]
fn restores_deleted_workspace() {
    let env = TestEnv::new();
    let twin = populated(&env);
    twin.both(|d| {
        for p in ["f", "run.sh", "data", "empty", "sub/h"] {
            d.remove(p);
        }
    });
    let out = checkout_same(&twin, &[]);
    out.success();
    out.gd
        .stdout_has("A       data/\n")
        .stdout_has("A       f\n");
    assert_eq!(twin.gd.mode("run.sh"), 0o744);
    assert_eq!(
        twin.gd.mode("data/tool.sh"),
        0o644,
        "the exec bit inside directories is lost"
    );
    assert!(twin.gd.path("empty").is_dir());
}

#[test]
fn restores_part_of_a_directory() {
    let env = TestEnv::new();
    let twin = populated(&env);
    twin.both(|d| {
        d.remove("data/d003");
        d.remove("data/tool.sh");
    });
    checkout_same(&twin, &[])
        .success()
        .gd
        .stdout_has("M       data/\n");
}

#[test]
fn targets() {
    let env = TestEnv::new();
    let twin = populated(&env);
    twin.both(|d| {
        d.remove("f");
        d.remove("sub/h");
        d.remove("data");
    });
    checkout_same(&twin, &["f"]).success();
    checkout_same(&twin, &["data.dvc"]).success();
    let out = twin.run_in("sub", &["checkout", "h"]);
    out.success().same_output();
    twin.assert_same_tree();
}

#[test]
fn modified_file_needs_force() {
    let env = TestEnv::new();
    let twin = populated(&env);
    twin.both(|d| {
        d.write("f", "local edit\n");
        d.write("data/extra", "untracked\n");
    });
    let out = checkout_same(&twin, &[]);
    out.gd.code(255).stderr_has(
        "Can't remove the following unsaved files without confirmation. Use `--force` to force.",
    );
    assert_eq!(
        twin.gd.read("f"),
        "local edit\n",
        "refused checkout must not touch data"
    );
    let out = checkout_same(&twin, &["-f"]);
    out.success().gd.stdout_has("M       f\n");
    assert_eq!(twin.gd.read("f"), "f\n");
    assert!(!twin.gd.exists("data/extra"));
}

#[test]
fn an_unverified_cache_file_does_not_make_an_edit_saved() {
    let env = TestEnv::new();
    let twin = populated(&env);
    let d = &twin.gd;
    d.write("f", "local edit\n");
    // A file at the edit's object name that holds something else, and is not 0444 (what
    // an interrupted writer or a damaged cache leaves): the edit is not in the cache.
    let obj = cache_rel(&md5_hex(b"local edit\n"));
    d.write(&obj, "something else\n");
    d.gd(&["checkout"]).code(255).stderr_has(
        "Can't remove the following unsaved files without confirmation. Use `--force` to force.",
    );
    assert_eq!(d.read("f"), "local edit\n", "the edit must survive");
    assert!(
        !d.exists(&obj),
        "the bad cache file is deleted, as dvc does"
    );
}

#[test]
fn extra_file_already_in_cache_is_removed_without_force() {
    let env = TestEnv::new();
    let twin = populated(&env);
    // `f`'s content is in the cache, so a copy of it inside data/ is not unsaved work.
    twin.both(|d| d.write("data/copy_of_f", "f\n"));
    checkout_same(&twin, &[]).success();
}

#[test]
fn missing_cache_object_fails() {
    let env = TestEnv::new();
    let twin = populated(&env);
    twin.both(|d| {
        d.remove(".dvc/cache");
        d.remove("f");
        d.remove("data");
    });
    let out = checkout_same(&twin, &[]);
    out.gd
        .code(255)
        .stderr_has("ERROR: Checkout failed for following targets:")
        .stderr_has("Is your cache up to date?");
}

#[test]
fn relink() {
    let env = TestEnv::new();
    let twin = populated(&env);
    checkout_same(&twin, &["--relink"])
        .success()
        .gd
        .stdout_has("Relinked successfully");
}

#[test]
fn link_types() {
    for kind in ["hardlink", "symlink", "copy"] {
        let env = TestEnv::new();
        let twin = populated(&env);
        twin.run(&["config", "cache.type", kind])
            .success()
            .same_output();
        twin.both(|d| {
            d.remove("data");
            d.remove("f");
        });
        checkout_same(&twin, &[]).success();
        checkout_same(&twin, &["--relink"]).success();
    }
}

#[test]
fn add_with_hardlink_cache_type() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.run(&["config", "cache.type", "hardlink"]).success();
    twin.both(|d| {
        d.write("f", "f\n");
        d.write("empty_file", "");
        d.make_dataset("data", 5);
    });
    let out = twin.run(&["add", "f", "empty_file", "data"]);
    out.success();
    twin.assert_same_tree();
    out.same_output();
    assert_eq!(twin.gd.mode("f"), 0o444);
}

#[test]
fn legacy_out_checkout() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.both(|d| {
        d.write("crlf.txt", "a\r\nb\r\n");
        d.write(
            "crlf.txt.dvc",
            "outs:\n- md5: dd8c6a395b5dd36c56d23275028f526c\n  size: 6\n  path: crlf.txt\n",
        );
        d.write(".gitignore", "/crlf.txt\n");
        d.write(".dvc/cache/dd/8c6a395b5dd36c56d23275028f526c", "a\r\nb\r\n");
        d.chmod(".dvc/cache/dd/8c6a395b5dd36c56d23275028f526c", 0o444);
        d.remove("crlf.txt");
    });
    checkout_same(&twin, &[]).success();
    assert_eq!(twin.gd.read_bytes("crlf.txt"), b"a\r\nb\r\n");
}

#[test]
fn dvc_lock_outs_are_checked_out() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.both(|d| {
        d.dvc_pipeline(
            "in\n",
            &["out.txt", "outdir"],
            "mkdir -p outdir && cp in.txt out.txt && cp in.txt outdir/x",
        );
        d.remove("out.txt");
        d.remove("outdir");
    });
    checkout_same(&twin, &[]).success();
    assert_eq!(twin.gd.read("outdir/x"), "in\n");
}

/// A failed checkout keeps dvc's block, then names each missing object, where it was
/// looked for, and what to run.
#[test]
fn failed_checkout_names_missing_objects_and_the_fix() {
    let env = TestEnv::new();
    let r = env.repo();
    r.git(&["init", "-q"]).success();
    r.gd(&["init", "-q"]).success();
    r.write("d/a", "1\n");
    r.write("d/b", "2\n");
    r.write("f", "x\n");
    r.gd(&["add", "-q", "d", "f"]).success();
    // d's manifest stays, one of its files goes; f's object goes.
    let f = md5_hex(b"x\n");
    let b = md5_hex(b"2\n");
    for oid in [&f, &b] {
        r.remove(&format!(".dvc/cache/files/md5/{}/{}", &oid[..2], &oid[2..]));
    }
    remove_all(&r.path("d"));
    r.remove("f");
    let out = r.gd(&["checkout"]);
    out.code(255)
        .stderr_has("ERROR: Checkout failed for following targets:\n")
        .stderr_has(&format!(
            "hint: 'f': object {f} is not in the cache (.dvc/cache/files/md5/{}/{})",
            &f[..2],
            &f[2..]
        ))
        .stderr_has("hint: 'd': 1 of its 2 files are not in the cache, e.g. 'd/b'")
        .stderr_has("hint: no default remote is configured");
    let store = env.root().join("store");
    r.gd(&["remote", "add", "-d", "s", store.to_str().unwrap()])
        .success();
    r.gd(&["checkout"])
        .code(255)
        .stderr_has("hint: run `git dvc pull ")
        .stderr_has(" to fetch them from remote 's'");
}

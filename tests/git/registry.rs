//! Data registries (issue 13): `ls`, `get`, `import` and `update` against dvc 3.67.1, with
//! registries made by dvc and by git-dvc, each with a local-directory remote. Twins import
//! from the same registry through the same relative URL, so the `.dvc` bytes (with
//! `rev_lock`) must be exactly equal.

use crate::harness::*;

/// A registry at `reg/` made by `tool` (`dvc` or git-dvc): a tracked directory with a
/// subdirectory, a tracked file, git-tracked files, pushed to the remote `store/`.
fn registry<'a>(env: &'a TestEnv, by_dvc: bool) -> Dir<'a> {
    let reg = env.git_repo("reg");
    reg.write("data/a.txt", "a\n");
    reg.write("data/sub/b.txt", "bb\n");
    reg.write("f.txt", "hello\n");
    reg.write("readme.md", "gitfile\n");
    reg.write("gdir/x.txt", "x\n");
    reg.write("gdir/run.sh", "#!/bin/sh\n");
    reg.chmod("gdir/run.sh", 0o755);
    let store = env.root().join("store");
    let store = store.to_str().expect("utf-8 path");
    let steps: [&[&str]; 4] = [
        &["init", "-q"],
        &["add", "-q", "data", "f.txt"],
        &["remote", "add", "-d", "store", store],
        &["push", "-q"],
    ];
    for s in steps {
        if by_dvc {
            reg.dvc(s).success();
        } else {
            reg.gd(s).success();
        }
    }
    reg.git(&["add", "-A"]).success();
    reg.git(&["commit", "-qm", "registry"]).success();
    reg
}

fn project(env: &TestEnv) -> Twin<'_> {
    let twin = env.twin();
    twin.init();
    twin.git(&["commit", "-qm", "init"]);
    twin
}

#[test]
fn ls_matches_dvc_on_a_dvc_registry() {
    let env = TestEnv::new();
    registry(&env, true);
    let twin = project(&env);
    for args in [
        &["ls", "../reg"][..],
        &["ls", "../reg", "--json"],
        &["ls", "../reg", "-R", "--json"],
        &["ls", "../reg", "-R", "--size", "--show-hash"],
        &["ls", "../reg", "--dvc-only", "-R"],
        &["ls", "../reg", "-R", "-L", "2", "--dvc-only"],
        &["ls", "../reg", "-T", "--size", "--show-hash"],
        &["ls", "--rev", "HEAD", "../reg", "--json"],
        &["ls", "../reg", "data", "--json"],
        &["ls", "../reg", "data/sub/b.txt", "--json"],
        &["list", "../reg", "gdir", "--json"],
        &["ls", "../reg", "nope"],
        &["ls", "../reg", "--rev", "no-such-rev"],
    ] {
        same(&twin, args);
    }
}

#[test]
fn ls_of_a_clone_url_reads_the_remote() {
    let env = TestEnv::new();
    registry(&env, true);
    let twin = project(&env);
    let url = format!("file://{}", env.root().join("reg").display());
    same(&twin, &["ls", &url, "-R", "--json"]);
    same(&twin, &["ls", &url, "data", "--size"]);
    // The clone is kept for the next use (and fetched instead of cloned again).
    assert!(twin.gd.path(".dvc/tmp/git-dvc/sources").is_dir());
    same(&twin, &["ls", &url, "--json"]);
}

#[test]
fn get_matches_dvc() {
    let env = TestEnv::new();
    registry(&env, true);
    let twin = project(&env);
    for args in [
        &["get", "../reg", "data"][..],
        &["get", "../reg", "f.txt", "-o", "out/x.txt"],
        &["get", "../reg", "data/sub/b.txt"],
        &["get", "../reg", "readme.md"],
        &["get", "../reg", "gdir"],
        &["get", "../reg", "data"],
        &["get", "../reg", "nope"],
        &["get", "../reg", "f.txt", "--rev", "no-such-rev"],
    ] {
        same(&twin, args);
    }
    // dvc writes git-tracked files without their exec bit.
    assert_eq!(twin.gd.mode("gdir/run.sh") & 0o100, 0);
}

#[test]
fn import_writes_dvcs_bytes_from_a_dvc_registry() {
    let env = TestEnv::new();
    registry(&env, true);
    let twin = project(&env);
    for args in [
        &["import", "../reg", "data"][..],
        &["import", "../reg", "f.txt", "-o", "ff.txt", "--rev", "HEAD"],
        &["import", "../reg", "data/sub/b.txt"],
        &["import", "../reg", "readme.md"],
        &["import", "../reg", "gdir"],
        &["import", "../reg", "data/sub", "-o", "subdir"],
        &["import", "../reg", "f.txt", "-o", "ff.txt"],
        &["import", "../reg", "f.txt", "-o", "nd.txt", "--no-download"],
        &["import", "../reg", "f.txt", "-o", "ne.txt", "--no-exec"],
    ] {
        same(&twin, args);
    }
    // Both tools see the other's imports as up to date.
    same(&twin, &["status"]);
    twin.gd.dvc(&["status"]).success();
}

#[test]
fn dvc_imports_from_a_git_dvc_registry() {
    let env = TestEnv::new();
    registry(&env, false);
    let twin = project(&env);
    same(&twin, &["import", "../reg", "data"]);
    same(&twin, &["import", "../reg", "f.txt"]);
    same(&twin, &["ls", "../reg", "-R", "--json"]);
}

#[test]
fn import_from_a_clone_url_takes_data_from_the_source_remote() {
    let env = TestEnv::new();
    let reg = registry(&env, true);
    // Nothing in the registry's cache: the data must come from its remote.
    std::fs::remove_dir_all(reg.path(".dvc/cache")).expect("remove cache");
    let twin = project(&env);
    let url = format!("file://{}", reg.path.display());
    let out = twin.run(&["import", &url, "data"]);
    out.same_output();
    assert_eq!(twin.dvc.read("data.dvc"), twin.gd.read("data.dvc"));
    assert_eq!(twin.gd.read("data/sub/b.txt"), "bb\n");
}

#[test]
fn update_after_the_registry_moved_on() {
    let env = TestEnv::new();
    let reg = registry(&env, true);
    let twin = project(&env);
    same(&twin, &["import", "../reg", "data"]);
    same(&twin, &["import", "../reg", "f.txt", "--rev", "HEAD"]);
    same(&twin, &["update", "data.dvc"]);
    reg.write("data/new.txt", "new\n");
    reg.dvc(&["add", "-q", "data"]).success();
    reg.dvc(&["push", "-q"]).success();
    reg.git(&["add", "-A"]).success();
    reg.git(&["commit", "-qm", "more"]).success();
    same(&twin, &["status"]);
    same(&twin, &["update", "data.dvc"]);
    assert_eq!(twin.gd.read("data/new.txt"), "new\n");
    same(&twin, &["update", "f.txt.dvc", "--rev", "HEAD~1"]);
    // dvc updates the stages of a directory in no fixed order: compare the lines sorted.
    let out = twin.run(&["update", "-R", ".", "--no-download"]);
    out.same_code();
    let sorted = |t: &str| {
        let mut l: Vec<String> = t.lines().map(str::to_string).collect();
        l.sort();
        l
    };
    assert_eq!(sorted(&out.dvc.stdout), sorted(&out.gd.stdout));
    twin.assert_same_tree();
}

#[test]
fn import_refuses_paths_out_of_the_source_and_unsaved_outputs() {
    let env = TestEnv::new();
    registry(&env, true);
    let repo = env.git_repo("p");
    repo.gd(&["init", "-q"]).success();
    for bad in ["../x", "/etc/passwd", "data/../../x"] {
        repo.gd(&["import", "../reg", bad])
            .failure()
            .stderr_has("outside of the source repository");
        repo.gd(&["get", "../reg", bad])
            .failure()
            .stderr_has("outside of the source repository");
    }
    repo.write("f.txt", "mine\n");
    repo.gd(&["import", "../reg", "f.txt"])
        .code(1)
        .stderr_has("already exists locally");
    assert_eq!(repo.read("f.txt"), "mine\n");
    repo.gd(&["import", "../reg", "f.txt", "-f"]).success();
    assert_eq!(repo.read("f.txt"), "hello\n");
}

#[test]
fn push_skips_imports_and_pull_fetches_them_from_the_source() {
    let env = TestEnv::new();
    registry(&env, true);
    let twin = project(&env);
    // A remote inside each twin (the same relative URL): the tree comparison covers it.
    twin.both(|d| {
        d.dvc(&["remote", "add", "-q", "-d", "mine", "store"])
            .success();
    });
    twin.run(&["import", "-q", "../reg", "data"]).success();
    twin.run(&["import", "-q", "../reg", "f.txt"]).success();
    twin.write("own.txt", "own\n");
    twin.run(&["add", "-q", "own.txt"]).success();
    // Only the project's own data goes to its remote.
    same(&twin, &["push"]);
    same(&twin, &["status", "-c"]);
    // Without a cache, pull takes the imports from their source.
    twin.both(|d| {
        std::fs::remove_dir_all(d.path(".dvc/cache")).expect("remove cache");
        d.remove("data");
        d.remove("f.txt");
    });
    same(&twin, &["pull"]);
    twin.both(|d| std::fs::remove_dir_all(d.path(".dvc/cache")).expect("remove cache"));
    same(&twin, &["fetch"]);
    same(&twin, &["status"]);
}

/// The registry moves on: a new file in `data`, pushed and committed.
fn move_on(reg: &Dir<'_>) {
    reg.write("data/new.txt", "new\n");
    reg.dvc(&["add", "-q", "data"]).success();
    reg.dvc(&["push", "-q"]).success();
    reg.git(&["add", "-A"]).success();
    reg.git(&["commit", "-qm", "more"]).success();
}

#[test]
fn branch_switch_between_rev_locks_materializes_each_version() {
    let env = TestEnv::new();
    let reg = registry(&env, true);
    let d = crate::e2e_support::installed_repo(&env);
    d.gd(&["import", "-q", "../reg", "data"]).success();
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-qm", "v1"]).success();
    move_on(&reg);
    d.git(&["switch", "-qc", "v2"]).success();
    d.gd(&["update", "-q", "data.dvc"]).success();
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-qm", "v2"]).success();
    assert_eq!(d.read("data/new.txt"), "new\n");
    d.git(&["switch", "-q", "main"]).success();
    assert!(!d.exists("data/new.txt"));
    assert_eq!(d.read("data/a.txt"), "a\n");
    // On `main` the import is behind its source: only that is reported.
    let status = d.dvc(&["status", "--no-updates"]);
    assert_eq!(
        status.success().stdout,
        "Data and pipelines are up to date.\n"
    );
    // Without the cache, the switch fetches the other version from the source.
    std::fs::remove_dir_all(d.path(".dvc/cache")).expect("remove cache");
    d.git(&["switch", "-q", "v2"]).success();
    assert_eq!(d.read("data/new.txt"), "new\n");
    crate::e2e_support::assert_dvc_agrees(&d);
}

#[test]
fn clone_of_a_project_with_imports_arrives_with_its_data() {
    let env = TestEnv::new();
    registry(&env, true);
    let d = crate::e2e_support::installed_repo(&env);
    d.gd(&["import", "-q", "../reg", "data"]).success();
    d.gd(&["import", "-q", "../reg", "readme.md"]).success();
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-qm", "imports"]).success();
    d.git(&["dvc", "install", "--global"]).success();
    let clone = env.root().join("clone");
    d.git(&[
        "clone",
        "-q",
        d.path.to_str().expect("utf-8"),
        clone.to_str().expect("utf-8"),
    ])
    .success();
    let c = Dir {
        env: &env,
        path: clone,
    };
    assert_eq!(c.read("data/sub/b.txt"), "bb\n");
    assert_eq!(c.read("readme.md"), "gitfile\n");
    crate::e2e_support::assert_dvc_agrees(&c);
}

#[test]
fn import_url_and_get_url_of_local_paths_match_dvc() {
    let env = TestEnv::new();
    let ext = env.dir("ext");
    ext.write("e.txt", "e1\n");
    ext.write("dir/a", "d1\n");
    ext.write("dir/s/b", "d2\n");
    let twin = project(&env);
    for args in [
        &["import-url", "../ext/e.txt"][..],
        &["import-url", "../ext/dir"],
        &["import-url", "../ext/e.txt", "rel.txt"],
        &["import-url", "../ext/dir", "nd", "--no-download"],
        &["import-url", "../ext/dir", "ne", "--no-exec"],
        &["import-url", "../ext/nope"],
        &["import-url", "../ext/e.txt", "rel.txt"],
        &["update", "e.txt.dvc"],
        &["get-url", "../ext/dir", "gu"],
        &["get-url", "../ext/e.txt"],
    ] {
        same(&twin, args);
    }
    // (dvc warns of the frozen stages in no fixed order.)
    twin.run(&["status"]).same_stdout();
    // The source changed: update imports it again.
    ext.write("e.txt", "e2\n");
    same(&twin, &["update", "e.txt.dvc"]);
    assert_eq!(twin.gd.read("e.txt"), "e2\n");
}

#[test]
fn ls_url_of_local_paths_matches_dvc() {
    let env = TestEnv::new();
    let ext = env.dir("ext");
    ext.write("e.txt", "e1\n");
    ext.write("dir/a", "d1\n");
    ext.write("dir/s/b", "d2\n");
    let twin = project(&env);
    for args in [
        &["ls-url", "../ext"][..],
        &["ls-url", "../ext", "-R", "--size"],
        &["ls-url", "../ext", "-R", "-L", "1"],
        &["ls-url", "../ext", "-T", "--size"],
        &["list-url", "../ext/dir", "-R"],
        &["ls-url", "../ext/nope"],
    ] {
        same(&twin, args);
    }
}

#[test]
fn gc_keeps_imported_objects_and_diff_shows_imports() {
    let env = TestEnv::new();
    registry(&env, true);
    let twin = project(&env);
    twin.run(&["import", "-q", "../reg", "data"]).success();
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-qm", "import"]);
    same(&twin, &["diff", "HEAD~1", "--json"]);
    // dvc 3.67.1 deletes imported objects here (and fetches them again from the source
    // later); git-dvc keeps every object a `.dvc` file in scope references (DESIGN.md 2).
    let repo = &twin.gd;
    repo.gd(&["gc", "-w", "-f"]).success();
    repo.gd(&["status"])
        .success()
        .stdout_has("Data and pipelines are up to date.");
    assert!(
        repo.path(".dvc/cache/files/md5/60/b725f10c9c85c70d97880dfe8191b3")
            .exists()
    );
}

#[test]
fn chained_import_takes_data_from_the_first_source() {
    let env = TestEnv::new();
    registry(&env, true);
    // `mid` imports `data` from the registry and has neither a cache nor a remote of it
    // once cloned: the data must come from the registry.
    let mid = env.git_repo("mid");
    mid.dvc(&["init", "-q"]).success();
    mid.dvc(&["import", "-q", "../reg", "data"]).success();
    mid.git(&["add", "-A"]).success();
    mid.git(&["commit", "-qm", "mid"]).success();
    let twin = project(&env);
    let url = format!("file://{}", mid.path.display());
    let out = twin.run(&["import", &url, "data"]);
    out.same_output();
    assert_eq!(twin.dvc.read("data.dvc"), twin.gd.read("data.dvc"));
    assert_eq!(twin.gd.read("data/sub/b.txt"), "bb\n");
}

#[test]
fn credentials_in_a_source_url_are_never_printed() {
    let env = TestEnv::new();
    let repo = env.git_repo("p");
    repo.gd(&["init", "-q"]).success();
    let url = "https://me:s3cret@127.0.0.1:1/r.git";
    for args in [
        &["ls", url][..],
        &["get", url, "x"],
        &["import", url, "x"],
        &["ls", "-v", url],
    ] {
        let out = repo.gd(args);
        out.failure();
        assert!(
            !out.stderr.contains("s3cret") && !out.stdout.contains("s3cret"),
            "{out:?}"
        );
        assert!(out.stderr.contains("me:***@127.0.0.1"), "{out:?}");
    }
}

#[test]
fn import_and_get_with_config_remote_and_remote_config_match_dvc() {
    let env = TestEnv::new();
    let reg = registry(&env, true);
    // The data is only in a second remote of the registry, which only the options name.
    let other = env.root().join("other");
    let other = other.to_str().expect("utf-8 path");
    reg.dvc(&["remote", "add", "other", other]).success();
    reg.dvc(&["push", "-q", "-r", "other"]).success();
    reg.git(&["commit", "-qam", "other remote"]).success();
    std::fs::remove_dir_all(reg.path(".dvc/cache")).expect("remove cache");
    std::fs::remove_dir_all(env.root().join("store")).expect("remove store");
    env.dir("")
        .write("src.conf", "[core]\n    remote = other\n");
    let twin = project(&env);
    // (A remote of the project's own: without one, dvc's pull warns that there is none.)
    twin.both(|d| {
        d.dvc(&["remote", "add", "-q", "-d", "mine", "store"])
            .success();
    });
    let url = format!("file://{}", reg.path.display());
    // Without the options there is no data to import.
    let out = twin.run(&["import", &url, "f.txt", "-o", "z.txt"]);
    out.dvc.failure();
    out.gd.failure();
    for args in [
        &[
            "import",
            &url,
            "f.txt",
            "-o",
            "a.txt",
            "--config",
            "../src.conf",
        ][..],
        &["import", &url, "f.txt", "-o", "b.txt", "--remote", "other"],
        &[
            "import",
            &url,
            "f.txt",
            "-o",
            "c.txt",
            "--remote-config",
            &format!("url={other}"),
        ],
        &[
            "import",
            &url,
            "data",
            "-o",
            "d",
            "--remote",
            "other",
            "--remote-config",
            "jobs=2",
        ],
        &[
            "import",
            &url,
            "f.txt",
            "-o",
            "e.txt",
            "--config",
            "../src.conf",
            "--remote",
            "other",
            "--remote-config",
            "jobs=2",
        ],
        &[
            "get",
            &url,
            "f.txt",
            "-o",
            "g.txt",
            "--config",
            "../src.conf",
        ],
    ] {
        same(&twin, args);
    }
    assert_eq!(twin.gd.read("a.txt"), "hello\n");
    assert_eq!(twin.gd.read("g.txt"), "hello\n");
    assert_eq!(twin.gd.read("d/sub/b.txt"), "bb\n");
    // pull and update read the options back from the `.dvc` files.
    twin.both(|d| {
        std::fs::remove_dir_all(d.path(".dvc/cache")).expect("remove cache");
        for f in ["a.txt", "b.txt", "c.txt", "d"] {
            d.remove(f);
        }
    });
    same(
        &twin,
        &["pull", "a.txt.dvc", "b.txt.dvc", "c.txt.dvc", "d.dvc"],
    );
    assert_eq!(twin.gd.read("c.txt"), "hello\n");
    same(&twin, &["update", "a.txt.dvc"]);
}

/// Imports with no hash yet (`--no-download`): `checkout` has nothing to check out and
/// fails as dvc's does; `pull` downloads from the source into dvc's fs cache
/// (`.dvc/cache/fs/local/<token>`), byte for byte where dvc puts it, and checks out
/// from there; `status` then calls the outs modified, as dvc does; and each tool checks
/// out what the other pulled.
#[test]
fn pull_and_checkout_of_no_download_imports_match_dvc() {
    let env = TestEnv::new();
    registry(&env, true);
    let ext = env.dir("ext");
    ext.write("e.txt", "e1\n");
    ext.write("dir/a", "d1\n");
    ext.write("dir/s/b", "d2\n");
    let twin = project(&env);
    for args in [
        &["import", "../reg", "f.txt", "-o", "nd.txt", "--no-download"][..],
        &["import", "../reg", "data", "-o", "ndd", "--no-download"],
        &["import-url", "../ext/e.txt", "nu.txt", "--no-download"],
    ] {
        same(&twin, args);
    }
    let sorted = |t: &str| {
        let mut l: Vec<String> = t.lines().map(str::to_string).collect();
        l.sort();
        l
    };
    // dvc lists the failed targets in no fixed order.
    let out = twin.run(&["checkout"]);
    out.same_code();
    let (hints, rest): (Vec<String>, Vec<String>) = sorted(&out.gd.stderr)
        .into_iter()
        .partition(|l| l.starts_with("hint: "));
    assert_eq!(sorted(&out.dvc.stderr), rest);
    assert!(
        out.gd
            .stderr
            .contains("Checkout failed for following targets:")
    );
    assert!(
        hints.iter().any(|h| h.contains("`git dvc pull ")),
        "{hints:?}"
    );
    let out = twin.run(&["pull"]);
    out.same_code();
    // The same trees, fs cache included; git-dvc also keeps the data in its md5 cache.
    let without_md5_cache = |t: String| {
        let mut kept = String::new();
        let mut skip = false;
        for line in t.lines() {
            if !line.starts_with("    |") {
                skip = line
                    .split_once(' ')
                    .is_some_and(|(_, rel)| rel.starts_with(".dvc/cache/files"));
            }
            if !skip {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        kept
    };
    assert_eq!(
        without_md5_cache(tree_snapshot(&twin.dvc)),
        without_md5_cache(tree_snapshot(&twin.gd))
    );
    assert_eq!(sorted(&out.dvc.stdout), sorted(&out.gd.stdout));
    assert!(twin.gd.path(".dvc/cache/fs/local").is_dir());
    assert_eq!(twin.gd.read("ndd/sub/b.txt"), "bb\n");
    assert_eq!(twin.gd.read("nu.txt"), "e1\n");
    twin.run(&["status"]).same_output();
    // Each checks out from what the other pulled.
    for d in [&twin.dvc, &twin.gd] {
        d.remove("nd.txt");
        d.remove("ndd");
    }
    twin.dvc.gd(&["checkout"]).success();
    twin.gd.dvc(&["checkout"]).success();
    assert_eq!(twin.dvc.read("ndd/a.txt"), "a\n");
    assert_eq!(twin.gd.read("nd.txt"), "hello\n");
    // dvc rewrites a hashless out on every checkout and calls it modified; git-dvc
    // leaves data that is in place as it is.
    let out = twin.run(&["checkout"]);
    out.same_code();
    assert_eq!(out.gd.stdout, "");
    // dvc 3.67.1 pulls a directory import-url with no hash as an empty directory;
    // git-dvc brings its files.
    twin.gd
        .gd(&["import-url", "../ext/dir", "nud", "--no-download"])
        .success();
    twin.gd.gd(&["pull", "nud.dvc"]).success();
    assert_eq!(twin.gd.read("nud/s/b"), "d2\n");
    twin.gd.remove("nud");
    twin.gd.gd(&["checkout", "nud.dvc"]).success();
    assert_eq!(twin.gd.read("nud/a"), "d1\n");
}

/// Under the hooks, an import with no hash yet comes back after a branch switch once it
/// was pulled (from dvc's fs cache, where the pull left it), and is reported missing,
/// naming `pull`, before.
#[test]
fn hooks_restore_a_pulled_no_download_import_on_a_switch() {
    let env = TestEnv::new();
    registry(&env, true);
    let d = crate::e2e_support::installed_repo(&env);
    d.git(&["switch", "-qc", "imports"]).success();
    d.gd(&[
        "import",
        "-q",
        "../reg",
        "data",
        "-o",
        "nd",
        "--no-download",
    ])
    .success();
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-qm", "an import with no hash"])
        .success();
    d.git(&["switch", "-q", "main"]).success();
    let back = d.git(&["switch", "-q", "imports"]);
    back.success().stderr_has("git dvc pull");
    assert!(!d.exists("nd"));
    d.gd(&["pull", "-q"]).success();
    assert_eq!(d.read("nd/sub/b.txt"), "bb\n");
    d.git(&["switch", "-q", "main"]).success();
    assert!(!d.exists("nd"));
    d.git(&["switch", "-q", "imports"]).success();
    assert_eq!(d.read("nd/a.txt"), "a\n");
    assert_eq!(d.read("nd/sub/b.txt"), "bb\n");
}

//! The commands of issue 12 part 1, each against dvc 3.67.1 on a twin: `data status`,
//! `unprotect`, `freeze`/`unfreeze`, `check-ignore`, `destroy`, `du`, `cache dir` and
//! `cache migrate`: output, JSON, exit codes and the bytes they write.

use crate::harness::*;

/// A twin with `a.txt` and `d/` (two files) added and committed.
fn tracked(env: &TestEnv) -> Twin<'_> {
    let twin = env.twin();
    twin.init();
    twin.both(|d| {
        d.write("a.txt", "hello\n");
        d.write("d/x", "1\n");
        d.write("d/y", "2\n");
    });
    twin.run(&["add", "-q", "a.txt", "d"]).success();
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-q", "-m", "data"]);
    twin
}

/// dvc prints `data status` lists in set order: sort each run of item lines, and the
/// lists inside JSON.
fn canonical_data_status(text: &str) -> String {
    fn sort_json(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Array(a) => {
                a.iter_mut().for_each(sort_json);
                a.sort_by_key(|x| x.to_string());
            }
            serde_json::Value::Object(m) => m.values_mut().for_each(sort_json),
            _ => {}
        }
    }
    if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(text.trim()) {
        sort_json(&mut v);
        return format!("{v}\n");
    }
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("        ") {
            run.push(line.to_string());
            continue;
        }
        run.sort();
        out.append(&mut run);
        out.push(line.to_string());
    }
    run.sort();
    out.append(&mut run);
    out.join("\n")
}

/// Same exit code, same stdout up to dvc's arbitrary list order, same stderr.
#[track_caller]
fn same_data_status(twin: &Twin<'_>, args: &[&str]) -> TwinOutput {
    let out = twin.run(args);
    out.same_code();
    let d = canonical_data_status(&normalize(&out.dvc.stdout, &twin.dvc.path("")));
    let g = canonical_data_status(&normalize(&out.gd.stdout, &twin.gd.path("")));
    assert_same_text(&format!("stdout of {args:?}"), "dvc", &d, "git-dvc", &g);
    assert_eq!(
        out.dvc.stdout.len(),
        out.gd.stdout.len(),
        "same content, different layout:\n{}\n{}",
        out.dvc.stdout,
        out.gd.stdout
    );
    assert_same_text(
        &format!("stderr of {args:?}"),
        "dvc",
        &out.dvc.stderr,
        "git-dvc",
        &out.gd.stderr,
    );
    out
}

const DATA_STATUS_FLAVOURS: &[&[&str]] = &[
    &["data", "status"],
    &["data", "status", "--json"],
    &["data", "status", "--granular"],
    &["data", "status", "--granular", "--json"],
    &["data", "status", "--unchanged"],
    &["data", "status", "--granular", "--unchanged", "--json"],
    &["data", "status", "--untracked-files"],
    &["data", "status", "--untracked-files", "all", "--json"],
    &["data", "status", "--untracked-files", "no"],
    &[
        "data",
        "status",
        "--granular",
        "--unchanged",
        "--untracked-files",
    ],
    &["data", "status", "d"],
    &["data", "status", "--granular", "d"],
    &["data", "status", "a.txt", "--json"],
    &["data", "status", "-q", "--json"],
    &["data", "status", "-q"],
];

#[test]
fn data_status_clean_and_empty_repo() {
    let env = TestEnv::new();
    let twin = tracked(&env);
    for args in DATA_STATUS_FLAVOURS {
        same_data_status(&twin, args);
    }
    assert_eq!(
        twin.gd.gd(&["data", "status"]).success().stdout,
        "No changes.\n"
    );
    assert_eq!(
        twin.gd
            .gd(&["data", "status", "--granular", "--unchanged", "--json"])
            .success()
            .stdout,
        "{\"unchanged\": [\"a.txt\", \"d/\", \"d/x\", \"d/y\"]}\n"
    );

    let fresh = env.twin_in("fresh");
    fresh.init();
    fresh.write("f", "f\n");
    fresh.run(&["add", "-q", "f"]).success();
    fresh.git(&["add", "-A"]);
    let out = same_data_status(&fresh, &["data", "status"]);
    assert!(
        out.gd.stdout.starts_with("DVC committed changes:\n"),
        "{:?}",
        out.gd
    );
    same_data_status(&fresh, &["data", "status", "--json"]);
    fresh.git(&["rm", "-q", "--cached", "-r", "."]);
    fresh.both(|d| {
        let _ = std::fs::remove_file(d.path("f.dvc"));
    });
    same_data_status(&fresh, &["data", "status"]);
}

#[test]
fn data_status_changes() {
    let env = TestEnv::new();
    let twin = tracked(&env);
    twin.both(|d| {
        d.write("a.txt", "hi2\n");
        d.write("d/z", "3\n");
        d.remove("d/x");
        d.write("n.txt", "new\n");
        d.write("r.txt", "2\n");
    });
    twin.run(&["add", "-q", "n.txt"]).success();
    twin.git(&["add", "-A"]);
    twin.both(|d| {
        d.write("n.txt", "n2\n");
        d.write("u.txt", "untracked\n");
    });
    for args in DATA_STATUS_FLAVOURS {
        same_data_status(&twin, args);
    }
    let out = twin.gd.gd(&["data", "status", "--granular"]);
    out.success()
        .stdout_has("DVC committed changes:\n  (git commit the corresponding dvc files to update the repo)\n        added: n.txt\n")
        .stdout_has("        added: d/z\n")
        .stdout_has("        deleted: d/x\n")
        .stdout_has("(there are other changes not tracked by dvc, use \"git status\" to see)\n");

    // A missing object and a rename.
    twin.both(|d| {
        let p = d.path(".dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184");
        let _ = std::fs::remove_file(p);
    });
    twin.run(&["commit", "-q", "-f", "n.txt"]).success();
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-q", "-m", "more"]);
    twin.both(|d| {
        d.git(&["mv", "n.txt.dvc", "m.txt.dvc"]).success();
        let text = d.read("m.txt.dvc").replace("path: n.txt", "path: m.txt");
        d.write("m.txt.dvc", text);
        std::fs::rename(d.path("n.txt"), d.path("m.txt")).expect("rename");
    });
    for args in DATA_STATUS_FLAVOURS {
        same_data_status(&twin, args);
    }
    twin.gd
        .gd(&["data", "status", "--json"])
        .success()
        .stdout_has("\"renamed\": [{\"old\": \"n.txt\", \"new\": \"m.txt\"}]");
}

#[test]
fn data_status_not_in_remote() {
    let env = TestEnv::new();
    let twin = tracked(&env);
    twin.both(|d| {
        let remote = d.path("../").join(format!(
            "remote-{}",
            d.path("")
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("x")
        ));
        let url = remote.to_string_lossy().into_owned();
        d.dvc(&["remote", "add", "-d", "store", &url]).success();
        d.dvc(&["remote", "add", "other", &format!("{url}-other")])
            .success();
    });
    same_data_status(&twin, &["data", "status", "--not-in-remote"]);
    same_data_status(&twin, &["data", "status", "--not-in-remote", "--json"]);
    twin.dvc.dvc(&["push", "-q", "a.txt"]).success();
    twin.gd.gd(&["push", "-q", "a.txt"]).success();
    for args in [
        &["data", "status", "--not-in-remote"][..],
        &["data", "status", "--not-in-remote", "--granular", "--json"],
        &["data", "status", "--not-in-remote", "--no-remote-refresh"],
        &["data", "status", "--not-in-remote", "-r", "other", "--json"],
        &["data", "status", "--not-in-remote", "d"],
    ] {
        same_data_status(&twin, args);
    }
    let out = twin.gd.gd(&["data", "status", "--not-in-remote"]);
    out.success()
        .stdout_has("Not in remote:\n  (use \"dvc push <file>...\" to upload files)\n        d/\n");
    assert!(!out.stdout.contains("a.txt"), "{out:?}");
}

#[test]
fn freeze_and_unfreeze_write_what_dvc_writes() {
    let env = TestEnv::new();
    let twin = tracked(&env);
    twin.write(
        "d.dvc",
        "# top comment\nouts:\n- md5: d51834de0d0bf85d6a6c9a4c881ad503.dir   # c\n  size: 4\n  nfiles: 2\n  hash: md5\n  path: d\nmeta:\n  k: v\nfrozen: false\ndesc: hi\n",
    );
    twin.write(
        "dvc.yaml",
        "stages:\n  train:  # the stage\n    cmd: echo hi > o.txt\n    outs:\n    - o.txt\n\n  # about other\n  other:\n    cmd: echo other\n    # end of other\nvars:\n- a: 1\n",
    );
    same(&twin, &["freeze", "a.txt.dvc"]).success();
    assert!(
        twin.gd
            .read("a.txt.dvc")
            .ends_with("path: a.txt\nfrozen: true\n")
    );
    same(&twin, &["freeze", "a.txt.dvc"]).success();
    same(&twin, &["freeze", "d.dvc"]).success();
    same(&twin, &["freeze", "train"]).success();
    same(&twin, &["freeze", "dvc.yaml:other"]).success();
    assert_eq!(
        twin.gd.gd(&["unfreeze", "train"]).success().stdout,
        "Modifying stage 'train' in 'dvc.yaml'\n"
    );
    twin.dvc.dvc(&["unfreeze", "train"]).success();
    twin.assert_same_tree();
    same(&twin, &["unfreeze", "a.txt.dvc", "d.dvc", "other"]).success();
    same(&twin, &["unfreeze", "a.txt.dvc"]).success();
    // Failures: each target is reported, the rest still run, exit 1.
    same(&twin, &["freeze", "nostage", "a.txt.dvc"]).gd.code(1);
    same(&twin, &["freeze", "nope.dvc"]).gd.code(1);
    same(&twin, &["freeze", "sub/dvc.yaml:x"]).gd.code(1);
    same(&twin, &["unfreeze", "a.txt"]).gd.code(1);
    same(&twin, &["freeze", "-q", "nope", "a.txt.dvc"])
        .gd
        .code(1);
    twin.run(&["freeze"]).same_code().gd.code(254);
    let sub = twin.run_in("d", &["freeze", "../a.txt.dvc"]);
    sub.same_output();
    twin.assert_same_tree();
}

#[test]
fn unprotect_copies_links_as_dvc() {
    let env = TestEnv::new();
    let twin = tracked(&env);
    for kind in ["symlink", "hardlink"] {
        twin.run(&["config", "cache.type", kind]).success();
        twin.dvc.dvc(&["checkout", "-q", "--relink"]).success();
        twin.gd.gd(&["checkout", "-q", "--relink"]).success();
        twin.assert_same_tree();
        same(&twin, &["unprotect", "a.txt", "d"]).success();
        assert!(
            !twin
                .gd
                .path("a.txt")
                .symlink_metadata()
                .expect("stat")
                .file_type()
                .is_symlink()
        );
        assert_eq!(twin.gd.mode("a.txt"), 0o644);
    }
    twin.both(|d| d.write("plain", "p\n"));
    twin.both(|d| d.chmod("plain", 0o444));
    same(&twin, &["unprotect", "plain"]).success();
    same(&twin, &["unprotect", "d/x"]).success();
    same(&twin, &["unprotect", "nope"]).gd.code(255);
    same(&twin, &["unprotect", "-q", "nope"]).gd.code(255);
    twin.run(&["unprotect"]).same_code().gd.code(254);
}

#[test]
fn check_ignore_matches_dvc() {
    let env = TestEnv::new();
    let twin = tracked(&env);
    twin.write(".dvcignore", "*.log\n!keep.log\n# c\n/top/\n*.log\n");
    twin.write("sub/.dvcignore", "x*\n!xkeep\n");
    twin.both(|d| {
        d.write("top/f", "f");
        d.write("sub/x1", "x");
    });
    let cases: &[&[&str]] = &[
        &["check-ignore", "a.log"],
        &["check-ignore", "keep.log"],
        &["check-ignore", "b.txt"],
        &[
            "check-ignore",
            "a.log",
            "keep.log",
            "b.txt",
            "sub/x1",
            "top",
            "top/f",
        ],
        &[
            "check-ignore",
            "-d",
            "a.log",
            "keep.log",
            "b.txt",
            "sub/x1",
            "sub/xkeep",
            "sub/a.log",
            "top/f",
            "top",
        ],
        &["check-ignore", "-d", "keep.log"],
        &["check-ignore", "-d", "-n", "a.log", "b.txt", "keep.log"],
        &["check-ignore", "-d", "-a", "a.log", "sub/x1"],
        &[
            "check-ignore",
            "-d",
            ".git/config",
            ".dvc/tmp",
            ".git",
            "x/.hg/y",
        ],
        &["check-ignore", "../x", "sub/../a.log"],
        &["check-ignore", "-n", "a.log"],
        &["check-ignore", "-a", "a.log"],
        &["check-ignore", "-q", "-d", "a.log"],
        &["check-ignore", "-q", "a.log"],
        &["check-ignore", "-d"],
        &["check-ignore", "--stdin", "a.log"],
    ];
    for args in cases {
        twin.run(args).same_output();
    }
    let sub = twin.run_in("sub", &["check-ignore", "-d", "x1", "../a.log", "y"]);
    sub.same_output();
    for input in [&b"a.log\nb.txt\n\nkeep.log\n"[..], b"b.txt\n", b""] {
        let d = twin
            .dvc
            .dvc_stdin(&["check-ignore", "--stdin", "-d"], input);
        let g = twin.gd.gd_stdin(&["check-ignore", "--stdin", "-d"], input);
        assert_eq!((d.code, &d.stdout), (g.code, &g.stdout), "{d:?}\n{g:?}");
    }
}

#[test]
fn destroy_prompts_and_removes_like_dvc() {
    let env = TestEnv::new();
    let twin = tracked(&env);
    twin.write(".dvcignore", "*.tmp\n");
    twin.run(&["config", "cache.type", "symlink"]).success();
    twin.dvc.dvc(&["checkout", "-q", "--relink"]).success();
    twin.gd.gd(&["checkout", "-q", "--relink"]).success();
    for input in [&b""[..], b"n\n", b"maybe\nno\n"] {
        let d = twin.dvc.dvc_stdin(&["destroy"], input);
        let g = twin.gd.gd_stdin(&["destroy"], input);
        assert_eq!(
            (d.code, &d.stdout, &d.stderr),
            (g.code, &g.stdout, &g.stderr),
            "{d:?}\n{g:?}"
        );
        assert_eq!(g.code, 1);
        twin.assert_same_tree();
    }
    let d = twin.dvc.dvc_stdin(&["destroy"], b"maybe\ny\n");
    let g = twin.gd.gd_stdin(&["destroy"], b"maybe\ny\n");
    assert_eq!((d.code, &d.stdout), (g.code, &g.stdout), "{d:?}\n{g:?}");
    twin.assert_same_tree();
    assert!(!twin.gd.exists(".dvc") && !twin.gd.exists("a.txt.dvc"));
    assert_eq!(twin.gd.read("a.txt"), "hello\n");

    let again = tracked_in(&env, "again");
    same(&again, &["destroy", "-f"]).success();
    same(&again, &["destroy", "-f"]).gd.code(253);
}

fn tracked_in<'a>(env: &'a TestEnv, name: &str) -> Twin<'a> {
    let twin = env.twin_in(name);
    twin.init();
    twin.write("a.txt", "hello\n");
    twin.run(&["add", "-q", "a.txt"]).success();
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-q", "-m", "a"]);
    twin
}

#[test]
fn cache_dir_shows_sets_and_unsets_like_dvc() {
    let env = TestEnv::new();
    let twin = tracked(&env);
    twin.both(|d| d.write("sub/keep", ""));
    same(&twin, &["cache", "dir"]).success();
    same(&twin, &["cache", "dir", "-q"]).success();
    same(&twin, &["cache", "dir", "-q", "--project"])
        .gd
        .code(251);
    same(&twin, &["cache", "dir", "--project"]).gd.code(251);
    same(&twin, &["cache", "dir", "-u"]).gd.code(251);
    let set = twin.run_in("sub", &["cache", "dir", "../mycache"]);
    twin.assert_same_tree();
    set.same_output();
    assert_eq!(
        twin.gd.read(".dvc/config").trim_end(),
        "[cache]\n    dir = ../mycache"
    );
    for args in [
        &["cache", "dir"][..],
        &["cache", "dir", "--project"],
        &["cache", "dir", "--local", "/abs/c"],
        &["cache", "dir"],
        &["cache", "dir", "--local"],
        &["cache", "dir", "--local", "-u"],
        &["cache", "dir", "-u", "ignored"],
        &["cache", "dir", "-u"],
    ] {
        same(&twin, args);
    }
    twin.run(&["cache", "dir", "--global", "--local"])
        .same_code()
        .gd
        .code(254);
    // The global level is shared by both twins: one after the other.
    let d = twin
        .dvc
        .sub("sub")
        .dvc(&["cache", "dir", "--global", "rel"]);
    let dvc_global = env.read("../dvc-global-config/config");
    std::fs::remove_file(env.root().join("dvc-global-config/config")).expect("rm");
    let g = twin.gd.sub("sub").gd(&["cache", "dir", "--global", "rel"]);
    let gd_global = env.read("../dvc-global-config/config");
    assert_eq!((d.code, g.code), (0, 0));
    assert_eq!(
        dvc_global.replace("/dvc/", "/X/"),
        gd_global.replace("/gd/", "/X/")
    );
    let outside = env.dir("outside");
    let d = outside.dvc(&["cache", "dir"]);
    let g = outside.gd(&["cache", "dir"]);
    assert_eq!((d.code, &d.stdout), (g.code, &g.stdout), "{d:?}\n{g:?}");
    let d = outside.dvc(&["cache", "dir", "x"]);
    let g = outside.gd(&["cache", "dir", "x"]);
    assert_eq!((d.code, &d.stderr), (g.code, &g.stderr), "{d:?}\n{g:?}");
    // git-dvc's own `cache path` and `cache md5` stay.
    twin.gd
        .gd(&["cache", "md5", "a.txt"])
        .success()
        .stdout_has("b1946ac92492d2347c6235b4d2611184");
}

/// dvc lists `du` entries in set order: compare sorted lines.
#[track_caller]
fn same_du(twin: &Twin<'_>, args: &[&str]) {
    let out = twin.run(args);
    out.same_code();
    let sorted = |text: &str, root: &std::path::Path| {
        let mut lines: Vec<String> = normalize(text, root).lines().map(String::from).collect();
        lines.sort();
        lines.join("\n")
    };
    for (what, d, g) in [
        ("stdout", &out.dvc.stdout, &out.gd.stdout),
        ("stderr", &out.dvc.stderr, &out.gd.stderr),
    ] {
        assert_same_text(
            &format!("{what} of {args:?}"),
            "dvc",
            &sorted(d, &twin.dvc.path("")),
            "git-dvc",
            &sorted(g, &twin.gd.path("")),
        );
    }
}

#[test]
fn du_measures_like_dvc() {
    let env = TestEnv::new();
    let twin = tracked(&env);
    twin.both(|d| {
        d.write("big", vec![0u8; 3000]);
        d.dvc(&["add", "-q", "big"]).success();
    });
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-q", "-m", "big"]);
    twin.both(|d| {
        let mut ignore = d.read(".dvcignore");
        ignore.push_str("*.log\n");
        d.write(".dvcignore", ignore);
        d.write("x.log", "zz\n");
        d.write("s/t/f", "q\n");
        d.write("d/x", "1more\n");
        d.write("d/extra", "3\n");
        d.write("m", vec![1u8; 2_000_000]);
        d.write("dvc.yaml", "stages:\n  s:\n    cmd: x\n");
        d.remove("big");
        std::os::unix::fs::symlink("a.txt", d.path("lnk")).expect("symlink");
    });
    let cases: &[&[&str]] = &[
        &["du", "."],
        &["du", ".", "d"],
        &["du", "-s", "."],
        &["du", "-s", ".", "d"],
        &["du", ".", "a.txt"],
        &["du", ".", "nope"],
        &["du", ".", ".dvc"],
        &["du", ".", "x.log"],
        &["du", ".", "a.txt.dvc"],
        &["du", ".", "s"],
        &["du", ".", "s/t/f"],
        &["du", ".", "big"],
        &["du", ".", "m"],
        &["du", ".", "lnk"],
        &["du", "--rev", "HEAD", "."],
        &["du", "--rev", "HEAD", ".", "d"],
        &["du", "--rev", "HEAD", "-s", "."],
        &["du", "-q", ".", "d"],
        &["du", "-q", ".", "nope"],
    ];
    for args in cases {
        same_du(&twin, args);
    }
    // A directory out missing from the workspace: its files come from the manifest.
    twin.both(|d| remove_all(&d.path("d")));
    for args in [
        &["du", "."][..],
        &["du", ".", "d"],
        &["du", "-s", ".", "d"],
        &["du", ".", "d/x"],
    ] {
        same_du(&twin, args);
    }
    assert_eq!(twin.gd.gd(&["du", "-s", "."]).success().stdout, "1.91M\n");
    twin.run(&["du"]).same_code().gd.code(254);
}

/// Writes a 2.x cache object (`<cache>/ab/cdef…`, mode 0444) named `oid`.
fn put_legacy(d: &Dir<'_>, oid: &str, bytes: &[u8]) {
    let rel = format!(".dvc/cache/{}/{}", &oid[..2], &oid[2..]);
    d.write(&rel, bytes);
    d.chmod(&rel, 0o444);
}

#[test]
fn cache_migrate_matches_dvc() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.write("a.txt", "hello\n");
    twin.run(&["add", "-q", "a.txt"]).success();
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-q", "-m", "a"]);
    // A 2.x repository: a CRLF text file (named by the md5 of its dos2unix'd text), a
    // directory, and an object already in the 3.x cache.
    let crlf_legacy = md5_hex(b"a\nb\n");
    let x = md5_hex(b"1\n");
    let manifest = format!("[{{\"md5\": \"{x}\", \"relpath\": \"x\"}}]");
    let dir_oid = format!("{}.dir", md5_hex(manifest.as_bytes()));
    twin.both(|d| {
        d.write("crlf", "a\r\nb\r\n");
        d.write("d/x", "1\n");
        put_legacy(d, &crlf_legacy, b"a\r\nb\r\n");
        put_legacy(d, &x, b"1\n");
        put_legacy(d, &dir_oid, manifest.as_bytes());
        put_legacy(d, &md5_hex(b"hello\n"), b"hello\n");
        d.write(
            "crlf.dvc",
            format!("outs:\n- md5: {crlf_legacy}\n  size: 6\n  path: crlf\n"),
        );
        d.write(
            "d.dvc",
            format!("# a comment\nouts:\n- md5: {dir_oid}\n  size: 2\n  nfiles: 1\n  path: d\n"),
        );
    });
    twin.git(&["add", "crlf.dvc", "d.dvc"]);
    twin.git(&["commit", "-q", "-m", "legacy"]);
    let same_sorted = |args: &[&str]| {
        let out = twin.run(args);
        out.same_code();
        // dvc commits the stages in directory-read order, so its `.gitignore` lines come
        // in that order: compare them sorted.
        twin.both(|d| {
            if d.exists(".gitignore") {
                let mut lines: Vec<String> =
                    d.read(".gitignore").lines().map(String::from).collect();
                lines.sort();
                d.write(".gitignore", format!("{}\n", lines.join("\n")));
            }
        });
        twin.assert_same_tree();
        let sorted = |text: &str| {
            let mut lines: Vec<String> = strip_git_hint(text).lines().map(String::from).collect();
            lines.sort();
            lines.join("\n")
        };
        assert_same_text(
            &format!("stdout of {args:?}"),
            "dvc",
            &sorted(&out.dvc.stdout),
            "git-dvc",
            &sorted(&out.gd.stdout),
        );
        out
    };
    same_sorted(&["cache", "migrate", "--dry"]);
    same_sorted(&["cache", "migrate", "--dry", "-q"]);
    same_sorted(&["cache", "migrate", "--dry", "--dvc-files"]);
    let out = same_sorted(&["cache", "migrate"]);
    assert_eq!(
        out.gd.stdout,
        "Migrated 3 files to DVC 3.0 cache location.\n"
    );
    same_sorted(&["cache", "migrate"]);
    let out = same_sorted(&["cache", "migrate", "--dvc-files"]);
    out.gd.stdout_has("Updating DVC file 'crlf.dvc'\n");
    assert!(
        twin.gd
            .read("crlf.dvc")
            .ends_with("  path: crlf\n  hash: md5\n")
    );
    same_sorted(&["cache", "migrate", "--dvc-files"])
        .gd
        .stdout_has("No DVC files in the repo to migrate to the 3.0 format.\n");
}

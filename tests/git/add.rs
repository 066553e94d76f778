//! `add` against dvc (spec §1, §2, §5.1, §10.4): `.dvc`, `.dir`, `.gitignore`, cache
//! objects and modes, messages, and the byte-compatibility traps that apply to add.

use crate::harness::*;

fn initialized(env: &TestEnv) -> Twin<'_> {
    let twin = env.twin();
    twin.init();
    twin
}

/// Adds `targets` in both repos, then compares output and trees.
#[track_caller]
fn add_same(twin: &Twin<'_>, targets: &[&str]) {
    let mut args = vec!["add"];
    args.extend_from_slice(targets);
    let out = twin.run(&args);
    out.success();
    // Bytes on disk first (the core invariant), then what was printed.
    twin.assert_same_tree();
    out.same_output();
}

#[test]
fn add_file() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.write("foo.txt", "hello\n");
    add_same(&twin, &["foo.txt"]);
    let gd = &twin.gd;
    assert_eq!(
        gd.read("foo.txt.dvc"),
        "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: foo.txt\n"
    );
    assert_eq!(gd.read(".gitignore"), "/foo.txt\n");
    assert_eq!(
        gd.listing(".dvc/cache"),
        "0755 files/\n0755 files/md5/\n0755 files/md5/b1/\n0444 files/md5/b1/946ac92492d2347c6235b4d2611184\n"
    );
    assert_eq!(gd.mode("foo.txt"), 0o644);
}

#[test]
fn add_quiet() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.write("foo.txt", "hello\n");
    twin.run(&["add", "-q", "foo.txt"]).success().same_output();
    assert_eq!(
        twin.gd.dvc(&["status"]).success().stdout,
        "Data and pipelines are up to date.\n"
    );
}

#[test]
fn add_directory() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.make_dataset("data", 60);
        d.write("data/sub/deeper/x.txt", "x\n");
        d.write("data/.gitignore", "*.tmp\n");
        d.write("data/with space/c d.txt", "c d\n");
    });
    add_same(&twin, &["data"]);
    let dvcfile = twin.gd.read("data.dvc");
    assert!(
        dvcfile.contains(".dir\n  size: ")
            && dvcfile.contains("  nfiles: 63\n  hash: md5\n  path: data\n"),
        "{dvcfile}"
    );
}

#[test]
fn add_several_targets_and_trailing_slash() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("a.txt", "a\n");
        d.write("b.txt", "b\n");
        d.make_dataset("data", 5);
    });
    add_same(&twin, &["a.txt", "data/", "b.txt"]);
}

#[test]
fn add_dir_manifest_sort_order_and_escaping() {
    // Trap 1 and 2: json.dumps(sort_keys) bytes, sorted by the whole relpath string.
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        for name in [
            "A/z",
            "_/q",
            "a-b/x",
            "a.b",
            "a/b",
            "q\"\\",
            "tab\tx",
            "é",
            "😀",
            "ü/ü.bin",
            "del\u{7f}",
        ] {
            d.write(&format!("d/{name}"), name);
        }
    });
    add_same(&twin, &["d"]);
    let dvcfile = twin.gd.read("d.dvc");
    let oid = dvcfile
        .split("md5: ")
        .nth(1)
        .unwrap()
        .split('\n')
        .next()
        .unwrap()
        .to_string();
    let manifest = twin.gd.read_bytes(&cache_rel(&oid));
    assert_eq!(
        md5_hex(&manifest) + ".dir",
        oid,
        "a .dir's name is the md5 of its bytes"
    );
    let text = String::from_utf8(manifest).unwrap();
    assert!(
        text.starts_with("[{\"md5\": \"") && !text.ends_with('\n'),
        "{text}"
    );
    assert!(
        text.contains("\\u00fc/\\u00fc.bin")
            && text.contains("\\ud83d\\ude00")
            && text.contains("\\u007f"),
        "{text}"
    );
    let order: Vec<String> = parse_dir_manifest(text.as_bytes()).into_keys().collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
}

#[test]
fn add_empty_directory() {
    // Trap 4: `[]`, d751713988987e9331980363e24189ce.dir, size 0, nfiles 0.
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.sub("empty/inner");
    });
    add_same(&twin, &["empty"]);
    assert_eq!(
        twin.gd.read("empty.dvc"),
        "outs:\n- md5: d751713988987e9331980363e24189ce.dir\n  size: 0\n  nfiles: 0\n  hash: md5\n  path: empty\n"
    );
    assert_eq!(
        twin.gd
            .read(&cache_rel("d751713988987e9331980363e24189ce.dir")),
        "[]"
    );
}

#[test]
fn add_exec_bits() {
    // Trap 13: isexec only for single-file outs; 0755 becomes 0744 after add.
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("run.sh", "#!/bin/sh\necho hi\n");
        d.chmod("run.sh", 0o755);
        d.write("only_user.sh", "#!/bin/sh\n");
        d.chmod("only_user.sh", 0o700);
        d.write("dir/tool.sh", "#!/bin/sh\n");
        d.chmod("dir/tool.sh", 0o755);
        d.write("dir/plain", "p\n");
    });
    add_same(&twin, &["run.sh", "only_user.sh", "dir"]);
    assert!(
        twin.gd
            .read("run.sh.dvc")
            .contains("  isexec: true\n  hash: md5\n")
    );
}

#[test]
fn add_names_needing_yaml_quoting() {
    // Traps 8 and 9: YAML 1.2 plain/single/double quoting of paths.
    let env = TestEnv::new();
    let twin = initialized(&env);
    let names = [
        "yes",
        "no",
        "on",
        "a:b",
        "with space",
        "x'y",
        "a,b",
        "true",
        "False",
        "null",
        "~",
        "123",
        "1.5",
        "0x10",
        "1e3",
        "010",
        "2020-01-01",
        "a: b",
        "x #y",
        "@x",
        "%x",
        "&x",
        "{x",
        "=",
        "x:",
        "'q",
        "tab\tx",
        ".inf",
    ];
    twin.both(|d| {
        for n in names {
            d.write(n, n);
        }
    });
    let mut args = vec!["add", "--"];
    args.extend_from_slice(&names);
    let out = twin.run(&args);
    out.success();
    twin.assert_same_tree();
    out.same_output();
    assert!(twin.gd.read("true.dvc").contains("  path: 'true'\n"));
    assert!(twin.gd.read("yes.dvc").contains("  path: yes\n"));
    assert!(twin.gd.read("'q.dvc").contains("  path: \"'q\"\n"));
}

#[test]
fn add_names_needing_gitignore_escapes() {
    // Trap 15: `\[]!*#?` are escaped; spaces and unicode are not.
    let env = TestEnv::new();
    let twin = initialized(&env);
    let names = [
        "#x",
        "x #y",
        "!x",
        "*x",
        "[x",
        "?x",
        "a\\b",
        "ü",
        "日本",
        "emoji😀",
        "-lead",
    ];
    twin.both(|d| {
        for n in names {
            d.write(n, n);
        }
    });
    let mut args = vec!["add", "--"];
    args.extend_from_slice(&names);
    let out = twin.run(&args);
    out.success();
    twin.assert_same_tree();
    out.same_output();
    let gi = twin.gd.read(".gitignore");
    for line in [
        "/\\#x", "/x \\#y", "/\\!x", "/\\*x", "/\\[x", "/\\?x", "/a\\\\b", "/ü",
    ] {
        assert!(
            gi.lines().any(|l| l == line),
            "{line:?} missing from:\n{gi}"
        );
    }
}

#[test]
fn add_long_paths_fold_at_80_columns() {
    // Trap 7: ruamel folds at 80 code points, leaving a trailing space after `path:`.
    let env = TestEnv::new();
    let twin = initialized(&env);
    let n72 = "x".repeat(72);
    let n73 = "y".repeat(73);
    let spaced =
        "a very long file name with many words that surely exceeds the eighty column limit.txt";
    let unicode = format!("{}ü wide words here", "é".repeat(60));
    twin.both(|d| {
        for n in [n72.as_str(), n73.as_str(), spaced, unicode.as_str()] {
            d.write(n, n);
        }
    });
    add_same(&twin, &[&n72, &n73, spaced, &unicode]);
    assert!(
        twin.gd
            .read(&format!("{n72}.dvc"))
            .contains(&format!("  path: {n72}\n"))
    );
    assert!(
        twin.gd
            .read(&format!("{n73}.dvc"))
            .contains(&format!("  path: \n    {n73}\n"))
    );
}

#[test]
fn add_md5_that_looks_like_a_number_is_quoted() {
    // Trap 8: find content whose md5 is all digits or digits-e-digits is rare; instead
    // check every quoting-sensitive md5 in a batch of files matches dvc.
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        for i in 0..40 {
            d.write(&format!("n/{i}"), format!("{i}\n"));
        }
    });
    add_same(&twin, &["n"]);
}

#[test]
fn add_in_subdirectory_and_from_subdirectory() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("sub/f", "f\n");
        d.write("sub/inner/g", "g\n");
    });
    add_same(&twin, &["sub/f"]);
    assert_eq!(
        twin.gd.read("sub/f.dvc"),
        format!(
            "outs:\n- md5: {}\n  size: 2\n  hash: md5\n  path: f\n",
            md5_hex(b"f\n")
        )
    );
    assert_eq!(twin.gd.read("sub/.gitignore"), "/f\n");
    let out = twin.run_in("sub/inner", &["add", "g"]);
    out.success();
    twin.assert_same_tree();
    out.same_output();
}

#[test]
fn add_gitignore_append_and_dedup() {
    // Trap 15: a leading LF when the last line lacks one; nothing when git already ignores it.
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write(".gitignore", "*.bin");
        d.write("x.bin", "x");
        d.write("y", "y");
        d.write("z", "z");
    });
    add_same(&twin, &["x.bin", "y"]);
    assert_eq!(twin.gd.read(".gitignore"), "*.bin\n/y\n");
    // Adding again does not duplicate the line.
    twin.both(|d| d.write("y", "y2"));
    add_same(&twin, &["y"]);
    add_same(&twin, &["z"]);
    assert_eq!(twin.gd.read(".gitignore"), "*.bin\n/y\n/z\n");
}

#[test]
fn add_respects_dvcignore() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write(".dvcignore", "*.log\n!d/s/c.log\n/d/t/\n");
        d.write("d/b.txt", "b");
        d.write("d/a.log", "a");
        d.write("d/s/c.log", "c");
        d.write("d/t/u.txt", "u");
    });
    add_same(&twin, &["d"]);
    let dvcfile = twin.gd.read("d.dvc");
    assert!(dvcfile.contains("  nfiles: 2\n"), "{dvcfile}");
}

#[test]
fn add_no_commit() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("f", "f\n");
        d.make_dataset("data", 3);
    });
    add_same(&twin, &["--no-commit", "f", "data"]);
    assert_eq!(twin.gd.listing(".dvc/cache"), "");
    twin.run(&["status"]).success().same_output();
}

#[test]
fn readd_after_change_keeps_comments_and_annotations() {
    // Trap 6: round-trip rewrite; new keys appended, comments and annotations kept.
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.write("f", "one\n");
    add_same(&twin, &["f"]);
    let annotated = format!(
        "# top comment\nouts:\n- md5: {} # hash comment\n  size: 4\n  hash: md5\n  path: f\n  desc: the f file\n  type: text\n  labels:\n  - a\n  - b\n  meta:\n    owner: me\n  remote: elsewhere\n  push: false\nmeta:\n  k: v\n",
        md5_hex(b"one\n")
    );
    twin.both(|d| {
        d.write("f.dvc", &annotated);
        d.write("f", "two, longer\n");
        d.chmod("f", 0o755);
    });
    add_same(&twin, &["f"]);
    let text = twin.gd.read("f.dvc");
    assert!(
        text.starts_with("# top comment\n")
            && text.contains(" # hash comment\n")
            && text.contains("  push: false\n  isexec: true\nmeta:\n  k: v\n"),
        "{text}"
    );
}

#[test]
fn readd_unchanged_is_a_no_op() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("f", "f\n");
        d.make_dataset("data", 4);
    });
    add_same(&twin, &["f", "data"]);
    add_same(&twin, &["f", "data"]);
}

#[test]
fn add_file_inside_tracked_directory_updates_it() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| d.make_dataset("data", 4));
    add_same(&twin, &["data"]);
    twin.both(|d| d.write("data/new.txt", "new\n"));
    add_same(&twin, &["data/new.txt"]);
}

#[test]
fn add_symlink_to_file_is_replaced_by_the_file() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("target.txt", "t\n");
        std::os::unix::fs::symlink("target.txt", d.path("link")).unwrap();
        d.write("dir/real", "r\n");
        std::os::unix::fs::symlink("../target.txt", d.path("dir/flink")).unwrap();
    });
    add_same(&twin, &["link", "dir"]);
}

#[test]
fn add_legacy_2x_out_unchanged_keeps_legacy_hash() {
    // Trap 10: no `hash:` means md5-dos2unix and the legacy cache layout.
    let env = TestEnv::new();
    let twin = initialized(&env);
    let legacy = "outs:\n- md5: dd8c6a395b5dd36c56d23275028f526c\n  size: 6\n  path: crlf.txt\n";
    twin.both(|d| {
        d.write("crlf.txt", "a\r\nb\r\n");
        d.write("crlf.txt.dvc", legacy);
        d.write(".gitignore", "/crlf.txt\n");
    });
    twin.run(&["status"]).success().same_output();
    add_same(&twin, &["crlf.txt"]);
    assert_eq!(twin.gd.read("crlf.txt.dvc"), legacy);
    assert_eq!(
        twin.gd
            .read_bytes(".dvc/cache/dd/8c6a395b5dd36c56d23275028f526c"),
        b"a\r\nb\r\n"
    );
    // Once the data changes it is rehashed with 3.x md5 and `hash: md5` is appended.
    twin.both(|d| d.write("crlf.txt", "a\r\nb\r\nc\r\n"));
    add_same(&twin, &["crlf.txt"]);
    assert!(
        twin.gd
            .read("crlf.txt.dvc")
            .ends_with("  path: crlf.txt\n  hash: md5\n")
    );
}

#[test]
fn add_errors_match_dvc() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("p/q/f", "f\n");
        d.write("gitfile", "g\n");
    });
    twin.git(&["add", "gitfile"]);
    // Missing path.
    let out = twin.run(&["add", "nonexist"]);
    out.same_output();
    out.gd
        .code(1)
        .stderr_has("ERROR: output 'nonexist' does not exist");
    // Already tracked by git.
    let out = twin.run(&["add", "gitfile"]);
    out.same_output();
    out.gd.code(1).stderr_has("already tracked by SCM");
    // Overlapping outputs.
    twin.run(&["add", "p/q/f"]).success();
    let out = twin.run(&["add", "p"]);
    out.same_output();
    out.gd
        .code(1)
        .stderr_has("because it is overlapping with other DVC tracked output");
    // Inside .dvc/.
    let out = twin.run(&["add", ".dvc/config"]);
    out.same_output();
    out.gd.code(1);
    // Outside the repository.
    env.dir("outside").write("o", "o\n");
    let out = twin.run(&["add", "../outside/o"]);
    out.same_code();
    out.gd.failure().stderr_has("outside of DVC project");
    twin.assert_same_tree();
}

#[test]
fn add_broken_symlink_fails() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("d/ok", "ok\n");
        std::os::unix::fs::symlink("nowhere", d.path("d/broken")).unwrap();
    });
    let out = twin.run(&["add", "d"]);
    out.same_output();
    out.gd.code(1).stderr_has("No such file or directory");
    twin.assert_same_tree();
}

#[test]
fn add_dir_with_dvcignore_inside_fails() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("d/f", "f\n");
        d.write("d/.dvcignore", "*.log\n");
    });
    let out = twin.run(&["add", "d"]);
    out.same_code().same_output();
    out.gd
        .failure()
        .stderr_has(".dvcignore file should not be in collected dir path");
}

#[test]
fn add_stages_what_it_writes() {
    // git-dvc's choice (src/cli/scm.rs): stage the pointer and `.gitignore`, as dvc does with
    // `core.autostage = true`, and print no `git add` hint.
    let env = TestEnv::new();
    let repo = env.git_repo("r");
    repo.gd(&["init", "-q"]).success();
    repo.write("sub/f", "f\n");
    let out = repo.gd(&["add", "sub/f"]);
    out.success();
    assert!(!out.stdout.contains("git add"), "{out:?}");
    let staged = repo
        .git(&["diff", "--cached", "--name-only"])
        .success()
        .stdout
        .clone();
    assert!(
        staged.contains("sub/f.dvc\n") && staged.contains("sub/.gitignore\n"),
        "{staged}"
    );
}

/// Regression test for issue 12: `add .git` succeeded, and after `git commit` and
/// `git dvc checkout -f` a commit was lost. Every path dvc 3.67.1 refuses as an out
/// (`.git` and anything in it, `.dvc` and anything in it, a pointer, a tracked
/// `.gitignore`, a path in a symlinked directory) is refused with dvc's message and exit
/// code, and nothing is written: no pointer, no cache object, no `.gitignore` entry, no
/// staged file, nothing in `.git`.
#[test]
fn issue_12_add_refuses_git_dvc_pointers_and_symlinked_dirs_like_dvc() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.write("x", "x\n");
    twin.run(&["add", "-q", "x"]).success();
    twin.write("dvc.yaml", "stages: {}\n");
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-q", "-m", "x"]);
    twin.both(|d| {
        d.write("y", "y\n");
        d.write("sub/.git/config", "[core]\n");
        d.write("e/.dvc/config", "");
        d.write("e/f", "f\n");
        d.write(".hg/hgrc", "");
        d.write("data/a", "a\n");
        std::os::unix::fs::symlink(".git", d.path("gitdir")).unwrap();
        std::os::unix::fs::symlink("data", d.path("ld")).unwrap();
    });
    let cases: &[&[&str]] = &[
        &[".git"],
        &[".git/"],
        &[".git/config"],
        &[".git/hooks"],
        &[".git/nonexistent"],
        &[".dvc"],
        &[".dvc/"],
        &[".dvc/config"],
        &[".dvc/cache"],
        &["x.dvc"],
        &["dvc.yaml"],
        &[".gitignore"],
        &["sub/.git"],
        &["sub/.git/config"],
        &["e/.dvc"],
        // dvc names the subrepo `e` as the pattern.
        &["e/.dvc/config"],
        &[".hg"],
        &["gitdir/config"],
        &["ld"],
        &["ld/a"],
        // Every target is checked before anything is written.
        &["y", ".git"],
    ];
    for targets in cases {
        let before = (disk_state(&twin.dvc), disk_state(&twin.gd));
        let mut args = vec!["add"];
        args.extend_from_slice(targets);
        eprintln!("case: {args:?}");
        let out = twin.run(&args);
        out.same_output();
        out.gd.code(1).stderr_has("ERROR: ");
        assert_eq!(
            disk_state(&twin.dvc),
            before.0,
            "dvc changed the repository on {args:?}"
        );
        assert_eq!(
            disk_state(&twin.gd),
            before.1,
            "git-dvc changed the repository on {args:?}"
        );
    }
    // From a subdirectory, the path printed is still the absolute one.
    let out = twin.run_in("sub", &["add", ".git"]);
    out.same_output();
    out.gd.code(1).stderr_has("is ignored by :.git");
}

/// Issue 12: a directory holding a git-tracked `.gitignore` is tracked by git for dvc
/// (`is_tracked` lists anything below it); one holding another out's pointer overlaps it,
/// which dvc reports first.
#[test]
fn issue_12_add_dir_with_tracked_gitignore_or_pointer_like_dvc() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("p/.gitignore", "*.tmp\n");
        d.write("p/f", "f\n");
        d.write("q/r/f", "f\n");
    });
    twin.git(&["add", "p/.gitignore"]);
    twin.git(&["commit", "-q", "-m", "p"]);
    let out = twin.run(&["add", "p"]);
    out.same_output();
    out.gd.code(1).stderr_has("already tracked by SCM");
    twin.run(&["add", "-q", "q/r/f"]).success();
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-q", "-m", "q"]);
    let out = twin.run(&["add", "q"]);
    out.same_output();
    out.gd
        .code(1)
        .stderr_has("because it is overlapping with other DVC tracked output");
    twin.assert_same_tree();
}

/// Issue 12: `.git` inside a directory is left out of its manifest, a directory (a nested
/// repository) as well as a file (a submodule's or worktree's `gitdir:` link), as dvc does.
#[test]
fn issue_12_add_dir_leaves_nested_git_out_like_dvc() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write("d/f", "f\n");
        d.write("d/.git", "gitdir: ../.git/modules/d\n");
        d.write("d/nested/.git/config", "[core]\n");
        d.write("d/nested/g", "g\n");
    });
    add_same(&twin, &["d"]);
    assert!(twin.gd.read("d.dvc").contains("nfiles: 2\n"));
}

/// With `core.autostage = false` set, `add` and `move` stage nothing and print dvc's
/// hint (naming `git dvc config`); the index stays as dvc leaves it.
#[test]
fn autostage_false_stages_nothing_and_prints_the_hint() {
    let env = TestEnv::new();
    let t = env.twin();
    t.both(|d| {
        d.dvc(&["init", "-q"]).success();
        d.dvc(&["config", "core.autostage", "false"]).success();
        d.git(&["add", "-A"]).success();
        d.git(&["commit", "-qm", "init"]).success();
        d.write("f", "a\n");
    });
    for args in [&["add", "f"][..], &["move", "f", "g"][..]] {
        let out = t.run(args);
        out.same_code();
        let d = crate::harness::canonical_hint(&out.dvc.stdout);
        let g = crate::harness::canonical_hint(&out.gd.stdout).replace(
            "\tgit dvc config core.autostage true",
            "\tdvc config core.autostage true",
        );
        assert_eq!(g, d, "{args:?}");
        assert!(
            out.gd
                .stdout
                .contains("\tgit dvc config core.autostage true")
        );
        let status = |d: &crate::harness::Dir<'_>| d.git(&["status", "--porcelain"]).stdout;
        assert_eq!(status(&t.gd), status(&t.dvc), "{args:?}");
    }
}

/// Names that are plain on Unix but special on Windows (`\` and a drive letter): dvc
/// tracks and checks them out, and so must git-dvc. `add` used to cache them and write a
/// manifest its own checkout then refused (found by the property tests).
#[test]
fn windows_special_names_are_plain_names_on_unix() {
    let env = TestEnv::new();
    let t = initialized(&env);
    for d in [&t.dvc, &t.gd] {
        d.write("d/\\x", "backslash\n");
        d.write("d/C:", "drive\n");
        d.write("d/..\\y", "dots\n");
        d.write("d/a\\b", "inside\n");
    }
    add_same(&t, &["d"]);
    for d in [&t.dvc, &t.gd] {
        d.remove("d");
    }
    same(&t, &["checkout"]);
    assert_eq!(t.gd.read("d/C:"), "drive\n");
    assert_eq!(t.gd.read("d/..\\y"), "dots\n");
}

/// Where ruamel's folding would lose characters of a path (two spaces before a fold, a
/// NEL), git-dvc writes bytes that read back as the path, so dvc finds the file too.
#[test]
fn long_paths_that_ruamel_folds_wrong_read_back_right() {
    let env = TestEnv::new();
    let t = initialized(&env);
    let names = [
        format!("{}  {}.txt", "a".repeat(60), "b".repeat(30)),
        "nel\u{85}name.txt".to_string(),
    ];
    for name in &names {
        t.gd.write(name, "x\n");
        t.gd.gd(&["add", "-q", name]).success();
        t.gd.dvc(&["status", &format!("{name}.dvc")])
            .success()
            .stdout_has("Data and pipelines are up to date.");
        t.gd.gd(&["status", &format!("{name}.dvc")])
            .success()
            .stdout_has("Data and pipelines are up to date.");
    }
}

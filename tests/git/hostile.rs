//! Hostile inputs (design invariant 4): malformed `.dvc` files, `.dir` manifests that try
//! to escape, corrupt cache objects and bad config. Expected: a clear error naming the
//! file, a non-zero exit, no panic, and nothing written outside the repository.
//! (dvc itself writes outside the workspace on a crafted `.dir`, so dvc is not run on
//! those; where dvc behaves sanely its exit code is the reference.) These are git-dvc's
//! own, stricter rules: under `GIT_DVC_TEST_GD_IS_DVC=1` most of them fail, by design.

use crate::harness::*;

/// Everything in the env's temp dir outside the repository `r/` (and git-dvc's own
/// per-user dirs, which it may legitimately touch), for before/after comparison.
fn outside(env: &TestEnv) -> String {
    listing(env.root())
        .lines()
        .filter(|l| {
            let path = l.split_once(' ').map(|(_, p)| p).unwrap_or("");
            !(path == "r/" || path.starts_with("r/") || path.starts_with("dvc-site-cache/"))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// An initialized git-dvc repository `r/` with a sentinel directory `outside/` beside it.
fn repo(env: &TestEnv) -> Dir<'_> {
    env.dir("outside").write("sentinel", "keep\n");
    let repo = env.git_repo("r");
    repo.gd(&["init", "-q"]).success();
    repo
}

/// Puts bytes into the cache as dvc would (0444) and returns the oid.
fn put_object(repo: &Dir<'_>, bytes: &[u8], suffix: &str) -> String {
    let oid = md5_hex(bytes) + suffix;
    let rel = cache_rel(&oid);
    repo.write(&rel, bytes);
    repo.chmod(&rel, 0o444);
    oid
}

/// A `.dir` manifest of the given (relpath, content) entries, in dvc's exact format.
fn put_manifest(repo: &Dir<'_>, entries: &[(&str, &[u8])]) -> String {
    let mut items: Vec<(String, String)> = entries
        .iter()
        .map(|(rel, content)| (rel.to_string(), put_object(repo, content, "")))
        .collect();
    items.sort();
    let json: Vec<String> = items
        .iter()
        .map(|(rel, md5)| {
            format!(
                "{{\"md5\": \"{md5}\", \"relpath\": {}}}",
                serde_json::to_string(rel).unwrap()
            )
        })
        .collect();
    put_object(repo, format!("[{}]", json.join(", ")).as_bytes(), ".dir")
}

fn dir_out(oid: &str, path: &str) -> String {
    format!("outs:\n- md5: {oid}\n  size: 6\n  nfiles: 1\n  hash: md5\n  path: {path}\n")
}

#[track_caller]
fn refused(out: &CommandOutput, names: &str) {
    // `names` is a path or part of an object id (`oid[2..10]` matches both the bare id and
    // its cache path `ab/cdef…`).
    out.failure();
    assert!(
        out.stderr.contains(names),
        "the error must name {names:?}:\n{out:?}"
    );
}

#[test]
fn malformed_dvc_files() {
    let cases: &[(&str, &str)] = &[
        ("broken yaml", "outs: [\n"),
        ("not a mapping", "- a\n"),
        (
            "unknown top-level key",
            "outs:\n- md5: abc\n  path: x\n  hash: md5\nunknown: 1\n",
        ),
        (
            "unknown out key",
            "outs:\n- md5: abc\n  path: x\n  bogus: 1\n",
        ),
        ("outs not a list", "outs: 3\n"),
        (
            "out without path",
            "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  hash: md5\n",
        ),
        ("binary garbage", "\u{0}\u{1}\u{2}\u{fffd}"),
        (
            "md5 not a string",
            "outs:\n- md5: [1, 2]\n  path: x\n  hash: md5\n",
        ),
        // (An unknown `hash:` name is accepted by dvc 3.67.1, so it is not listed.)
    ];
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.write("other", "o\n");
    for (what, text) in cases {
        twin.write("bad.dvc", text);
        // dvc's exit code is the reference for status; naming the file matters more than
        // matching dvc's wording.
        eprintln!("case: {what}");
        let out = twin.run(&["status"]);
        refused(&out.gd, "bad.dvc");
        // Where dvc itself crashes (`unexpected error`, 255), any clean failure will do.
        let dvc_crashed = out.dvc.code == 255 && out.dvc.stderr.contains("unexpected error");
        assert!(
            dvc_crashed || out.gd.code == out.dvc.code,
            "{what}: exit code differs from dvc's:\n{:?}\n{:?}",
            out.dvc,
            out.gd
        );
        for args in [&["checkout"][..], &["commit", "-f"], &["add", "other"]] {
            let out = twin.gd.gd(args);
            assert!(
                out.code != 0,
                "{what}: git-dvc {args:?} accepted a malformed .dvc:\n{out:?}"
            );
            refused(&out, "bad.dvc");
        }
        assert!(
            !twin.gd.exists("other.dvc"),
            "{what}: add went ahead despite a malformed .dvc"
        );
    }
}

#[test]
fn dir_manifest_escaping_the_workspace() {
    for relpath in ["../../escape", "../escape", "sub/../../../escape"] {
        let env = TestEnv::new();
        let repo = repo(&env);
        let before = outside(&env);
        let oid = put_manifest(&repo, &[(relpath, b"pwned\n"), ("ok", b"ok\n")]);
        repo.write("data.dvc", dir_out(&oid, "data"));
        for args in [
            &["checkout"][..],
            &["checkout", "-f"],
            &["status"],
            &["cat", "data/ok"],
        ] {
            let out = repo.gd(args);
            if args[0] == "checkout" {
                refused(&out, &oid[2..10]);
            }
            assert_eq!(
                outside(&env),
                before,
                "{args:?} with relpath {relpath:?} wrote outside the repo"
            );
            assert!(!repo.exists("escape"), "{relpath:?} escaped the out");
        }
    }
}

#[test]
fn dir_manifest_with_absolute_or_degenerate_relpaths() {
    let env = TestEnv::new();
    let abs_target = env.root().join("outside/abs-target");
    let abs = abs_target.to_str().unwrap().to_string();
    for relpath in [abs.as_str(), "", ".", "a/./../..", "/etc/x"] {
        let repo = repo(&env);
        let before = outside(&env);
        let oid = put_manifest(&repo, &[(relpath, b"pwned\n")]);
        repo.write("data.dvc", dir_out(&oid, "data"));
        let out = repo.gd(&["checkout", "-f"]);
        refused(&out, &oid[2..10]);
        assert_eq!(
            outside(&env),
            before,
            "relpath {relpath:?} wrote outside the repo"
        );
        assert!(!abs_target.exists());
        repo.remove(".");
    }
}

#[test]
fn dir_manifest_through_a_symlink_out_of_the_workspace() {
    let env = TestEnv::new();
    let repo = repo(&env);
    let before = outside(&env);
    let oid = put_manifest(&repo, &[("link/x", b"pwned\n")]);
    repo.write("data.dvc", dir_out(&oid, "data"));
    repo.sub("data");
    std::os::unix::fs::symlink(env.root().join("outside"), repo.path("data/link")).unwrap();
    for args in [&["checkout"][..], &["checkout", "-f"]] {
        let out = repo.gd(args);
        out.failure();
        assert_eq!(outside(&env), before, "{args:?} wrote through data/link");
    }
}

#[test]
fn malformed_dir_manifests() {
    let bodies: &[&str] = &[
        "not json",
        "{}",
        "[{\"relpath\": \"x\"}]",
        "[{\"md5\": 5, \"relpath\": \"x\"}]",
        "[{\"md5\": \"b1946ac92492d2347c6235b4d2611184\"}]",
        "[{\"md5\": \"../../../../outside/sentinel\", \"relpath\": \"x\"}]",
    ];
    for body in bodies {
        let env = TestEnv::new();
        let repo = repo(&env);
        let before = outside(&env);
        let oid = put_object(&repo, body.as_bytes(), ".dir");
        repo.write("data.dvc", dir_out(&oid, "data"));
        refused(&repo.gd(&["checkout"]), &oid[2..10]);
        repo.gd(&["status"]);
        assert_eq!(outside(&env), before);
        assert!(
            !repo.path("data/x").exists() || repo.read("data/x") != "keep\n",
            "read through a hostile md5"
        );
    }
}

#[test]
fn out_paths_outside_the_repository() {
    let env = TestEnv::new();
    let abs = env.root().join("outside/abs").to_str().unwrap().to_string();
    for path in [
        "../outside/x",
        "../../x",
        abs.as_str(),
        "sub/../../outside/y",
    ] {
        let repo = repo(&env);
        let before = outside(&env);
        let oid = put_object(&repo, b"pwned\n", "");
        repo.write(
            "bad.dvc",
            format!("outs:\n- md5: {oid}\n  size: 6\n  hash: md5\n  path: {path}\n"),
        );
        for args in [
            &["checkout"][..],
            &["checkout", "-f"],
            &["status"],
            &["add", "bad.dvc"],
            &["commit", "-f"],
        ] {
            let out = repo.gd(args);
            if path == abs {
                // issue 11: an absolute path outside the workspace is an external out, as
                // in dvc: checkout skips it, commit refuses a cached one, add refuses the
                // `.dvc` file as an output. Nothing is written there either way.
                if args[0] != "checkout" && args[0] != "status" {
                    out.failure();
                }
            } else if args[0] != "status" {
                refused(&out, "bad.dvc");
            }
            assert_eq!(
                outside(&env),
                before,
                "{args:?} with path {path:?} wrote outside the repo"
            );
        }
        repo.remove(".");
    }
}

#[test]
fn md5_with_path_traversal() {
    let env = TestEnv::new();
    let repo = repo(&env);
    // files/md5/<md5[:2]>/<md5[2:]> must never leave the cache.
    let md5 = "../../../../../outside/sentinel";
    repo.write(
        "f.dvc",
        format!("outs:\n- md5: {md5}\n  size: 5\n  hash: md5\n  path: f\n"),
    );
    let out = repo.gd(&["checkout", "-f"]);
    out.failure();
    assert!(
        !repo.exists("f") || repo.read("f") != "keep\n",
        "checkout read a file outside the cache"
    );
    let out = repo.gd(&["cat", "f"]);
    assert!(
        !out.stdout.contains("keep"),
        "cat read a file outside the cache:\n{out:?}"
    );
}

#[test]
fn corrupt_cache_object() {
    // A non-0444 object is re-hashed. dvc 3.67.1 checks the corrupt bytes out anyway (exit
    // 0, then `status` says `not in cache`); git-dvc must refuse, name the out, and never
    // put corrupt data in the workspace.
    let env = TestEnv::new();
    let repo = repo(&env);
    repo.write("f", "good\n");
    repo.make_dataset("data", 3);
    repo.gd(&["add", "-q", "f", "data"]).success();
    let obj = cache_rel(&md5_hex(b"good\n"));
    repo.chmod(&obj, 0o644);
    std::fs::write(repo.path(&obj), "corrupt\n").unwrap();
    repo.remove("f");
    refused(&repo.gd(&["checkout"]), "f");
    assert!(
        !repo.exists("f") || repo.read("f") != "corrupt\n",
        "corrupt data was checked out"
    );
    // The same inside a directory (with `f` repaired, so only `data` can fail).
    let good = cache_rel(&md5_hex(b"good\n"));
    std::fs::write(repo.path(&good), "good\n").unwrap();
    repo.chmod(&good, 0o444);
    repo.gd(&["checkout", "-q", "f"]).success();
    let inner = repo.read_bytes("data/d001/f000001.bin");
    let obj = cache_rel(&md5_hex(&inner));
    repo.chmod(&obj, 0o644);
    std::fs::write(repo.path(&obj), "corrupt\n").unwrap();
    repo.remove("data");
    refused(&repo.gd(&["checkout"]), "data");
    assert!(
        !repo.exists("data/d001/f000001.bin") || repo.read_bytes("data/d001/f000001.bin") == inner,
        "corrupt data was checked out"
    );
}

#[test]
fn corrupt_dir_manifest_object() {
    let env = TestEnv::new();
    let repo = repo(&env);
    repo.make_dataset("data", 3);
    repo.gd(&["add", "-q", "data"]).success();
    let text = repo.read("data.dvc");
    let oid = text
        .split("md5: ")
        .nth(1)
        .unwrap()
        .split('\n')
        .next()
        .unwrap()
        .to_string();
    let rel = cache_rel(&oid);
    repo.chmod(&rel, 0o644);
    std::fs::write(
        repo.path(&rel),
        "[{\"md5\": \"00000000000000000000000000000000\", \"relpath\": \"evil\"}]",
    )
    .unwrap();
    repo.remove("data");
    let out = repo.gd(&["checkout"]);
    out.failure();
    assert!(!repo.exists("data/evil"));
}

#[test]
fn unparseable_config() {
    for text in [
        "[core\n    autostage = true\n",
        "[core]\n    autostage = maybe\n",
        "[cache]\n    type = teleport\n",
        "[bogus]\n    x = 1\n",
    ] {
        let env = TestEnv::new();
        let twin = env.twin();
        twin.init();
        twin.write(".dvc/config", text);
        let out = twin.run(&["status"]);
        out.same_code();
        out.gd.failure().stderr_has("ERROR: configuration error");
    }
}

#[test]
fn dvc_file_is_a_directory_or_unreadable() {
    let env = TestEnv::new();
    let repo = repo(&env);
    repo.sub("weird.dvc");
    repo.write("weird.dvc/inner", "x");
    repo.gd(&["status"]);
    repo.write("f", "f\n");
    repo.gd(&["add", "-q", "f"]).success();
    repo.chmod("f.dvc", 0o000);
    if std::fs::read(repo.path("f.dvc")).is_err() {
        // Not root: the file is really unreadable.
        refused(&repo.gd(&["status"]), "f.dvc");
    }
    repo.chmod("f.dvc", 0o644);
}

/// Issue 12, stricter than dvc: inside a tracked directory, dvc 3.67.1 adds
/// `data/.git/x` to the manifest, which git-dvc's checkout would then refuse. git-dvc
/// refuses the add instead, with the words dvc uses for `.git` elsewhere.
#[test]
fn issue_12_add_inside_tracked_dir_refuses_git_paths() {
    let env = TestEnv::new();
    let repo = repo(&env);
    repo.write("data/a", "a\n");
    repo.gd(&["add", "-q", "data"]).success();
    repo.write("data/.git/x", "x\n");
    repo.write("data/sub/.dvc/config", "");
    let before = disk_state(&repo);
    for target in ["data/.git/x", "data/.git", "data/sub/.dvc/config"] {
        let out = repo.gd(&["add", target]);
        out.code(1)
            .stderr_has("ERROR: Path '")
            .stderr_has("' is ignored by :.");
        assert_eq!(disk_state(&repo), before, "add {target} changed something");
    }
}

/// Issue 12, stricter than dvc: dvc 3.67.1 adds a `.gitignore` git does not track (a
/// tracked one gets its `already tracked by SCM` error, see `add.rs`), appends the
/// file's own entry to it after hashing, and caches the new bytes under the old hash: a
/// corrupt object, and an out that is modified at once. git-dvc refuses it, unless there
/// is no git (then nothing writes to it).
#[test]
fn issue_12_add_refuses_an_untracked_gitignore() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.write("sub/.gitignore", "*.tmp\n");
    let before = disk_state(&twin.gd);
    let out = twin.run(&["add", "sub/.gitignore"]);
    out.dvc.success();
    let object = cache_rel(&md5_hex(b"*.tmp\n"));
    assert_eq!(
        twin.dvc.read(&object),
        "*.tmp\n/.gitignore\n",
        "dvc's cache object (its reason to refuse it) is no longer corrupt"
    );
    out.gd
        .code(1)
        .stderr_has("ERROR: Git ignore file 'sub/.gitignore' cannot be an output.\n")
        .stderr_has("hint: track it with git instead: `git add sub/.gitignore`");
    assert_eq!(disk_state(&twin.gd), before);
    let plain = env.dir("plain");
    plain.gd(&["init", "-q", "--no-scm"]).success();
    plain.write("sub/.gitignore", "*.tmp\n");
    plain.gd(&["add", "-q", "sub/.gitignore"]).success();
    assert_eq!(plain.read("sub/.gitignore"), "*.tmp\n");
}

/// The first `ERROR:` line of a command's stderr, with the repository root normalized.
fn error_line(out: &CommandOutput, root: &std::path::Path) -> String {
    normalize(&out.stderr, root)
        .lines()
        .find(|l| l.starts_with("ERROR:"))
        .unwrap_or_default()
        .to_string()
}

/// Regression test for issue 12: a pointer naming `.git/config` (or anything in `.git`,
/// `.dvc` or `.hg`, or a stage file) as its out made `checkout -f` overwrite it and
/// `commit -f` cache it. dvc 3.67.1 refuses such a stage when it loads it, in every
/// command; git-dvc refuses it when stages are resolved, with dvc's message and exit code
/// (255 for checkout, `failed to commit - ` and `failed to push data to the cloud - `
/// before it), and nothing changes: not `.git`, not the cache, not the remote.
#[test]
fn issue_12_pointers_naming_git_or_dvc_paths_are_refused_like_dvc() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    for (d, name) in [(&twin.dvc, "remote-dvc"), (&twin.gd, "remote-gd")] {
        let url = env.dir(name).path.to_str().unwrap().to_string();
        d.dvc(&["remote", "add", "-d", "-q", "r", &url]).success();
    }
    twin.write("x", "hi\n");
    twin.run(&["add", "-q", "x"]).success();
    twin.run(&["push", "-q"]).success();
    twin.write("sub/.git/config", "[core]\n");
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-q", "-m", "x"]);
    let md5 = md5_hex(b"hi\n");
    let cases: &[(&str, &str, &str)] = &[
        // (stage file, out path, what dvc's error says)
        ("evil.dvc", ".git/config", "is ignored by :.git"),
        ("evil.dvc", ".git", "is ignored by :.git"),
        (
            "evil.dvc",
            ".git/hooks/post-checkout",
            "is ignored by :.git",
        ),
        ("evil.dvc", "sub/.git/config", "is ignored by :.git"),
        ("evil.dvc", ".dvc/config", "is ignored by :.dvc/"),
        ("evil.dvc", ".dvc", "DVC file '.dvc' cannot be an output."),
        ("evil.dvc", "x.dvc", "DVC file 'x.dvc' cannot be an output."),
        (
            "evil.dvc",
            "dvc.yaml",
            "DVC file 'dvc.yaml' cannot be an output.",
        ),
        ("evil.dvc", ".hg/hgrc", "is ignored by :.hg/"),
        // dvc shows the path joined as written.
        (
            "sub/evil.dvc",
            "../.git/config",
            "Path '<ROOT>/sub/../.git/config' is ignored by :.git",
        ),
        ("sub/evil.dvc", "../.dvc/config", "is ignored by :.dvc/"),
        ("dvc.lock", ".git/config", "is ignored by :.git"),
    ];
    for (i, (file, path, expected)) in cases.iter().enumerate() {
        eprintln!("case: {file} -> {path}");
        if *file == "dvc.lock" {
            twin.write(
                "dvc.yaml",
                format!("stages:\n  evil:\n    cmd: 'true'\n    outs:\n    - {path}\n"),
            );
            twin.write(
                "dvc.lock",
                format!(
                    "schema: '2.0'\nstages:\n  evil:\n    cmd: 'true'\n    outs:\n    - path: {path}\n      hash: md5\n      md5: {md5}\n      size: 3\n"
                ),
            );
        } else {
            twin.write(
                file,
                format!("outs:\n- md5: {md5}\n  size: 3\n  hash: md5\n  path: {path}\n"),
            );
        }
        let before = disk_state(&twin.gd);
        let remote_before = listing(&env.root().join("remote-gd"));
        // Every command for the first case, the most telling ones for the others.
        let commands: &[&[&str]] = if i == 0 {
            &[
                &["status"],
                &["checkout"],
                &["checkout", "-f"],
                &["commit"],
                &["commit", "-f"],
                &["add", "x"],
                &["push"],
                &["fetch"],
                &["pull"],
                &["pull", "-f"],
            ]
        } else {
            &[&["status"], &["checkout", "-f"], &["commit", "-f"]]
        };
        for args in commands {
            let out = twin.run(args);
            out.same_code();
            let (d, g) = (
                error_line(&out.dvc, &twin.dvc.path),
                error_line(&out.gd, &twin.gd.path),
            );
            assert_eq!(
                g, d,
                "{file} -> {path}: `{args:?}` says something else than dvc"
            );
            assert!(g.contains(expected), "{file} -> {path}: {args:?}: {g}");
            assert_eq!(
                disk_state(&twin.gd),
                before,
                "{file} -> {path}: `{args:?}` changed the repository"
            );
            assert_eq!(listing(&env.root().join("remote-gd")), remote_before);
        }
        // Also with git-dvc's own words for a pointer it reads from git (pull of one
        // target, diff, gc): a clean error, never a write.
        for args in [
            &["checkout", "-f", *file][..],
            &["diff"],
            &["gc", "-w", "-f"],
        ] {
            let out = twin.gd.gd(args);
            out.failure();
            assert_eq!(
                disk_state(&twin.gd),
                before,
                "{file} -> {path}: `{args:?}` changed the repository"
            );
        }
        for f in [*file, "dvc.yaml"] {
            for d in [&twin.dvc, &twin.gd] {
                let _ = std::fs::remove_file(d.path(f));
            }
        }
    }
}

/// Issue 12 through git: a commit whose pointers name a git hook that does not exist yet
/// (`reference-transaction`, which git would run on the next ref update; the payload is
/// in the cache), `.git/config` and `.dvc/config`. Switching to it runs the filter
/// (materializing through `data::checkout`) and the post-checkout hook; neither may write
/// into `.git` or `.dvc`, both say why, and git itself must not break.
#[test]
fn issue_12_git_checkout_of_a_hostile_pointer_leaves_git_and_dvc_alone() {
    use crate::e2e_support::*;
    let env = TestEnv::new();
    let d = installed_repo(&env);
    let payload = "#!/bin/sh\necho pwned > pwned\n";
    d.write("payload", payload);
    add_and_commit(&d, &["payload"], "payload");
    let md5 = md5_hex(payload.as_bytes());
    d.git(&["checkout", "-q", "-b", "evil"]).success();
    for (file, path) in [
        ("hook.dvc", ".git/hooks/reference-transaction"),
        ("config.dvc", ".dvc/config"),
        ("sub/nested.dvc", ".git/config"),
    ] {
        d.write(
            file,
            format!("outs:\n- md5: {md5}\n  size: 30\n  hash: md5\n  path: {path}\n"),
        );
    }
    d.git(&["add", "-A"]).success();
    // An attacker's commit would not have gone through our pre-commit hook.
    d.git(&["commit", "-q", "--no-verify", "-m", "evil"])
        .success();
    d.git(&["switch", "-q", "main"]).success();
    let hook = d.read(".git/hooks/post-checkout");
    let config = d.read(".dvc/config");
    let git_config = d.read(".git/config");
    for args in [
        &["switch", "-q", "evil"][..],
        &["switch", "-q", "main"],
        &["switch", "-q", "evil"],
    ] {
        let out = d.git(args);
        out.success();
        if args[2] == "evil" {
            out.stderr_has("`hook.dvc`")
                .stderr_has("is ignored by :.git");
        }
        assert_eq!(d.read(".git/hooks/post-checkout"), hook, "`git {args:?}`");
        assert_eq!(d.read(".dvc/config"), config, "`git {args:?}`");
        assert_eq!(d.read(".git/config"), git_config, "`git {args:?}`");
        assert!(
            !d.exists(".git/hooks/reference-transaction") && !d.exists("pwned"),
            "`git {args:?}` installed the hook"
        );
        assert!(!d.exists("sub/.git"), "`git {args:?}`");
    }
    for args in [
        &["dvc", "checkout", "-f"][..],
        &["dvc", "pull", "-f"],
        &["dvc", "commit", "-f"],
    ] {
        let out = d.git(args);
        out.failure().stderr_has("is ignored by :.");
        assert_eq!(d.read(".git/hooks/post-checkout"), hook, "`git {args:?}`");
        assert_eq!(d.read(".dvc/config"), config, "`git {args:?}`");
        assert_eq!(d.read(".git/config"), git_config, "`git {args:?}`");
    }
    // git's own view of the branch is intact: nothing was lost.
    assert_eq!(rev(&d, "HEAD"), rev(&d, "evil"));
}

/// Issue 12: a `.dir` manifest whose entries go into `.git`, `.dvc` or `.hg` (which dvc
/// never writes: its walk leaves them out) is refused whole, before anything of the out
/// is written. dvc 3.67.1 would write `data/.git/config`, so dvc is not run here.
#[test]
fn issue_12_dir_manifest_entries_in_git_or_dvc_are_refused() {
    let env = TestEnv::new();
    let repo = repo(&env);
    let remote = env.dir("remote").path.to_str().unwrap().to_string();
    repo.gd(&["remote", "add", "-d", "r", &remote]).success();
    for relpath in [
        ".git/config",
        "sub/.git/hooks/post-checkout",
        ".git",
        ".dvc/config",
        ".hg/hgrc",
        ".GIT/config",
    ] {
        let oid = put_manifest(&repo, &[(relpath, b"pwned\n"), ("ok", b"ok\n")]);
        repo.write("data.dvc", dir_out(&oid, "data"));
        for args in [&["checkout"][..], &["checkout", "-f"], &["pull", "-f"]] {
            let out = repo.gd(args);
            refused(&out, &oid[2..10]);
            out.stderr_has("belongs to git, DVC or Mercurial");
            assert!(
                !repo.exists("data"),
                "{relpath:?}: `{args:?}` wrote the out"
            );
        }
    }
}

/// `.dir` manifests that list one path twice, a path both as a file and a directory, or a
/// `.dir` object as a file's md5: refused before anything is written. Paths differing
/// only in case are two files, as in dvc (on a case-sensitive file system).
#[test]
fn dir_manifest_duplicates_case_and_nested_manifests() {
    let env = TestEnv::new();
    let repo = repo(&env);
    let a = put_object(&repo, b"aaa", "");
    let b = put_object(&repo, b"bbb", "");
    let manifest = |entries: &[(&str, &str)]| {
        let json: Vec<String> = entries
            .iter()
            .map(|(rel, md5)| format!("{{\"md5\": \"{md5}\", \"relpath\": \"{rel}\"}}"))
            .collect();
        put_object(&repo, format!("[{}]", json.join(", ")).as_bytes(), ".dir")
    };
    let other = manifest(&[("x", &a)]);
    let cases = [
        ("a path listed twice", manifest(&[("f", &a), ("f", &b)])),
        (
            "a file and a directory",
            manifest(&[("x", &a), ("x/y", &b)]),
        ),
        ("another .dir as a file", manifest(&[("sub", &other)])),
    ];
    for (what, oid) in &cases {
        repo.write("data.dvc", dir_out(oid, "data"));
        let out = repo.gd(&["checkout", "-f"]);
        refused(&out, &oid[2..10]);
        assert!(
            out.stderr.contains("invalid .dir manifest"),
            "{what}: {out:?}"
        );
        assert!(!repo.exists("data"), "{what}: something was written");
        repo.gd(&["status"]).success().stdout_has("not in cache");
    }
    // A manifest whose entry names the manifest itself (the object at the name is
    // trusted, 0444, so it is not re-hashed): refused, no recursion.
    let self_oid = md5_hex(b"placeholder");
    let body = format!("[{{\"md5\": \"{self_oid}.dir\", \"relpath\": \"me\"}}]");
    let rel = cache_rel(&format!("{self_oid}.dir"));
    repo.write(&rel, body);
    repo.chmod(&rel, 0o444);
    repo.write("data.dvc", dir_out(&format!("{self_oid}.dir"), "data"));
    refused(&repo.gd(&["checkout", "-f"]), &self_oid[2..10]);
    assert!(!repo.exists("data"));
    // Case: two files.
    let oid = manifest(&[("F", &a), ("f", &b)]);
    repo.write("data.dvc", dir_out(&oid, "data"));
    repo.gd(&["checkout", "-q"]).success();
    assert_eq!(repo.read("data/F"), "aaa");
    assert_eq!(repo.read("data/f"), "bbb");
}

/// YAML built to exhaust a parser: aliases that expand exponentially, flow collections
/// nested 200,000 deep, block mappings nested 3,000 deep. Each is a clear error naming the
/// file within a few seconds (the deep flow nesting ran for minutes before the depth was
/// bounded), exit 1 as dvc's for a `.dvc` it cannot parse.
#[test]
fn yaml_bombs_in_a_dvc_file() {
    let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    laughs.push_str(
        "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  path: x\n  hash: md5\n  meta: *a11\n",
    );
    let deep_flow = format!("outs: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
    let deep_block: String = (0..3000)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect();
    // A 24 MiB scalar, under the size cap, where a hash belongs.
    let huge_scalar = format!("outs:\n- md5: {}\n  path: x\n", "a".repeat(24 << 20));
    let env = TestEnv::new();
    let twin = env.twin();
    twin.gd.gd(&["init", "-q"]).success();
    for (what, text) in [
        ("aliases", laughs),
        ("flow", deep_flow),
        ("block", deep_block),
        ("scalar", huge_scalar),
    ] {
        twin.gd.write("bomb.dvc", &text);
        let started = std::time::Instant::now();
        let out = twin.gd.gd(&["status"]);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{what}: status took {:?}",
            started.elapsed()
        );
        if what == "scalar" {
            // dvc takes any string for a hash, and calls an object of that name missing
            // (checked with a short one); so does git-dvc, without reading anything by
            // that name.
            out.success().stdout_has("not in cache:       x");
            let out = twin.gd.gd(&["checkout"]);
            assert_eq!(out.code, 255, "{out:?}");
            assert!(!out.stderr.contains(&"a".repeat(100)), "the hash is echoed");
        } else {
            refused(&out, "bomb.dvc");
            // dvc's exit code for a `.dvc` it cannot parse (ruamel itself spends minutes
            // on these, so dvc is not run on them).
            assert_eq!(out.code, 1, "{what}: {out:?}");
        }
        twin.gd.remove("bomb.dvc");
    }
}

/// A `.dvc` file of 300 MiB: refused with a clear error before it is read (memory stays
/// small), for every command that loads the stages.
#[test]
fn a_dvc_file_of_hundreds_of_mib() {
    let env = TestEnv::new();
    let repo = repo(&env);
    repo.write("ok.txt", "ok\n");
    let f = std::fs::File::create(repo.path("huge.dvc")).expect("create");
    f.set_len(300 << 20).expect("a sparse 300 MiB file");
    drop(f);
    for args in [
        &["status"][..],
        &["checkout"],
        &["add", "ok.txt"],
        &["push"],
    ] {
        let mut cmd = repo.command("/usr/bin/time");
        cmd.args(["-f", "maxrss=%M"]).arg(git_dvc_exe()).args(args);
        let out = run_command(cmd, None);
        refused(&out, "huge.dvc");
        assert!(
            out.stderr.contains("larger than the 32 MiB"),
            "{args:?}: {out:?}"
        );
        let rss: u64 = out
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("maxrss="))
            .and_then(|v| v.trim().parse().ok())
            .expect("maxrss line");
        assert!(rss < 100 * 1024, "{args:?}: {rss} KiB of memory");
    }
}

/// Malformed pkt-line streams sent to the filter process after a good handshake: a bad
/// length, a length of 1..3, an oversize length, a truncated packet, a flush where a
/// header or the content was due. The filter exits (no hang), says what was wrong, does
/// not panic, and writes nothing into the repository. A broken frame ends the session
/// with a non-zero exit; a well-framed request without a pathname is answered
/// `status=error` and the session goes on.
#[test]
fn filter_process_with_broken_pkt_lines() {
    fn pkt(s: &str) -> Vec<u8> {
        let mut v = format!("{:04x}", s.len() + 4).into_bytes();
        v.extend_from_slice(s.as_bytes());
        v
    }
    let mut hello = Vec::new();
    for p in ["git-filter-client\n", "version=2\n"] {
        hello.extend(pkt(p));
    }
    hello.extend(b"0000");
    for p in [
        "capability=clean\n",
        "capability=smudge\n",
        "capability=delay\n",
    ] {
        hello.extend(pkt(p));
    }
    hello.extend(b"0000");
    let smudge_head = [
        pkt("command=smudge\n"),
        pkt("pathname=f.dvc\n"),
        pkt("can-delay=1\n"),
    ]
    .concat();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "not hex",
            [hello.clone(), b"zzzzcommand=clean\n".to_vec()].concat(),
        ),
        ("length 3", [hello.clone(), b"0003".to_vec()].concat()),
        ("oversize", [hello.clone(), b"fff0abc".to_vec()].concat()),
        (
            "truncated",
            [hello.clone(), b"0040command=smu".to_vec()].concat(),
        ),
        (
            "flush before the pathname",
            [
                hello.clone(),
                pkt("command=smudge\n"),
                b"0000".to_vec(),
                b"0000".to_vec(),
            ]
            .concat(),
        ),
        (
            "content never flushed",
            [
                hello.clone(),
                smudge_head.clone(),
                b"0000".to_vec(),
                pkt("outs:\n"),
            ]
            .concat(),
        ),
        (
            "flush inside the handshake",
            [
                pkt("git-filter-client\n"),
                b"0000".to_vec(),
                b"0000".to_vec(),
            ]
            .concat(),
        ),
    ];
    let env = TestEnv::new();
    let repo = repo(&env);
    repo.write("f", "data\n");
    repo.gd(&["add", "-q", "f"]).success();
    repo.remove("f");
    let before = disk_state(&repo);
    for (what, input) in cases {
        let mut cmd = repo.command(git_dvc_filter_exe());
        cmd.env("GIT_DVC_SKIP_SMUDGE", "0");
        let out = run_command(cmd, Some(&input));
        assert!(
            out.code != 101 && !out.stderr.contains("panicked") && out.signal.is_none(),
            "{what}: {out:?}"
        );
        if what == "flush before the pathname" {
            assert!(out.stdout.contains("status=error"), "{what}: {out:?}");
        } else {
            assert_ne!(out.code, 0, "{what}: a broken stream must fail: {out:?}");
        }
        assert!(!out.stderr.is_empty(), "{what}: say what was wrong");
        assert_eq!(
            disk_state(&repo),
            before,
            "{what}: the filter wrote something"
        );
    }
}

/// Symlinks that point outside: one inside a tracked directory (dvc hashes what it
/// points to; so must git-dvc, and checkout writes a regular file, never through the
/// link), a cache object that is a symlink to a file outside (never trusted, never
/// checked out), and a tracked directory replaced by a symlink to outside between two
/// commands (no command writes through it; `checkout -f` replaces it).
#[test]
fn symlinks_pointing_outside() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    env.dir("outside").write("secret", "outside data\n");
    let outside_file = env.root().join("outside/secret");
    for d in [&twin.dvc, &twin.gd] {
        d.write("data/a", "a\n");
        std::os::unix::fs::symlink(&outside_file, d.path("data/link")).expect("symlink");
    }
    same(&twin, &["add", "-q", "data"]).same_code();
    assert_eq!(
        twin.gd.read("data.dvc"),
        twin.dvc.read("data.dvc"),
        "the same pointer as dvc's"
    );
    let outside = || listing(&env.root().join("outside"));
    let before = outside();
    // A cache object replaced by a symlink to the outside file.
    let obj = cache_rel(&md5_hex(b"a\n"));
    let gd = &twin.gd;
    std::fs::remove_file(gd.path(&obj)).expect("remove object");
    std::os::unix::fs::symlink(&outside_file, gd.path(&obj)).expect("symlink object");
    gd.remove("data");
    let out = gd.gd(&["checkout"]);
    out.failure();
    assert!(
        !gd.exists("data/a") || gd.read("data/a") == "a\n",
        "checked out through a symlinked object"
    );
    assert_eq!(
        std::fs::read_to_string(&outside_file).expect("read"),
        "outside data\n"
    );
    // (checkout may have removed the untrusted entry from the cache.)
    let _ = std::fs::remove_file(gd.path(&obj));
    gd.write(&obj, "a\n");
    gd.chmod(&obj, 0o444);
    gd.gd(&["checkout", "-q", "-f"]).success();
    // The tracked directory replaced by a symlink to outside.
    gd.remove("data");
    std::os::unix::fs::symlink(env.root().join("outside"), gd.path("data")).expect("symlink");
    // (`commit` and `add` read through the link, as dvc does, and write only the cache.)
    for args in [
        &["checkout"][..],
        &["status"],
        &["commit", "-f"],
        &["add", "data"],
    ] {
        gd.gd(args);
        assert_eq!(outside(), before, "{args:?} wrote through the symlink");
    }
    // `checkout -f` replaces the link with the directory (dvc 3.67.1 writes through it
    // instead, deleting what the directory it points to holds).
    gd.gd(&["checkout", "-q", "-f"]).success();
    assert_eq!(outside(), before, "checkout -f wrote through the symlink");
    assert!(
        std::fs::symlink_metadata(gd.path("data"))
            .expect("stat")
            .is_dir(),
        "the out is a directory again"
    );
}

/// Config values of the wrong type in `.dvc/config` (a number, a boolean, a choice, a
/// list): every command fails with dvc's configuration error and exit code (251), and
/// writes nothing.
#[test]
fn config_values_of_the_wrong_type() {
    let cases = [
        "[core]\n    checksum_jobs = many\n",
        "[core]\n    no_scm = sometimes\n",
        "[cache]\n    type = bogus\n",
        "[cache]\n    shared = world\n",
        "[core]\n    remote = r\n['remote \"r\"']\n    url = /tmp/x\n    jobs = abc\n",
        "[core]\n    remote = r\n['remote \"r\"']\n    url = s3://b/p\n    use_ssl = perhaps\n",
        "[core]\n    remote = r\n['remote \"r\"']\n    url = https://example.com/p\n    read_timeout = soon\n",
    ];
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.write("f", "f\n");
    for text in cases {
        twin.both(|d| d.write(".dvc/config", text));
        let before = disk_state(&twin.gd);
        for args in [&["status"][..], &["add", "f"], &["push"]] {
            let out = twin.run(args);
            assert_eq!(
                out.gd.code, out.dvc.code,
                "{text:?} {args:?}:\n{:?}\n{:?}",
                out.dvc, out.gd
            );
            out.gd.failure().stderr_has("ERROR: configuration error");
        }
        assert_eq!(
            disk_state(&twin.gd),
            before,
            "{text:?}: something was written"
        );
    }
}

/// A `.dvc` whose quoted path runs over several lines, the next starting like a key:
/// the line editor would put the new hash inside the quoted value. `commit` refuses with
/// a clear error and leaves the file as it was (afl found the layout).
#[test]
fn a_pointer_the_line_editor_cannot_edit_is_left_alone() {
    let env = TestEnv::new();
    let r = repo(&env);
    r.write("f ''txt outs: x", "new content\n");
    let text = "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: \"f\n''txt\nouts: x\"\n";
    r.write("f.dvc", text);
    let out = r.gd(&["commit", "-f", "f.dvc"]);
    out.failure().stderr_has("beyond the line editor");
    assert_eq!(r.read("f.dvc"), text, "the pointer was rewritten");
}

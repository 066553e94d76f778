//! `status` against dvc (spec §10.1): words, precedence, text/JSON layout, `-q` exit codes.

use crate::harness::*;

/// A twin with `f` (file), `g` (file), `data/` (dir) and `sub/h` added and committed to git.
fn populated(env: &TestEnv) -> Twin<'_> {
    let twin = env.twin();
    twin.init();
    twin.both(|d| {
        d.write("f", "f\n");
        d.write("g", "g\n");
        d.make_dataset("data", 8);
        d.write("sub/h", "h\n");
    });
    twin.run(&["add", "-q", "f", "g", "data", "sub/h"])
        .success();
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-q", "-m", "data"]);
    twin
}

/// Runs every status flavour in both repos and compares output and exit codes.
#[track_caller]
fn status_same(twin: &Twin<'_>) {
    twin.run(&["status"]).same_output();
    twin.run(&["status", "--json"]).same_output();
    twin.run(&["status", "-q"]).same_output();
    twin.run(&["status", "--json", "-q"]).same_output();
}

#[test]
fn clean() {
    let env = TestEnv::new();
    let twin = populated(&env);
    status_same(&twin);
    assert_eq!(
        twin.gd.gd(&["status"]).success().stdout,
        "Data and pipelines are up to date.\n"
    );
    twin.gd.gd(&["status", "-q"]).code(0);
    assert_eq!(
        twin.gd.gd(&["status", "--json"]).success().stdout.trim(),
        "{}"
    );
}

#[test]
fn modified_deleted_and_dir_changes() {
    let env = TestEnv::new();
    let twin = populated(&env);
    twin.both(|d| {
        d.write("f", "changed\n");
        d.remove("g");
        d.write("data/d000/f000000.bin", "changed");
        d.write("sub/h", "changed too\n");
    });
    status_same(&twin);
    let out = twin.gd.gd(&["status"]);
    out.success()
        .stdout_has("\t\tmodified:           f\n")
        .stdout_has("\t\tdeleted:            g\n");
    twin.gd.gd(&["status", "-q"]).code(1);
    twin.gd.gd(&["status", "--json", "-q"]).code(0);
    // Nothing was written by status.
    twin.assert_same_tree();
}

#[test]
fn extra_and_missing_files_in_a_directory() {
    let env = TestEnv::new();
    let twin = populated(&env);
    twin.both(|d| {
        d.write("data/extra", "x");
        d.remove("data/d001");
    });
    status_same(&twin);
}

#[test]
fn exec_bit_toggle_is_a_modification_for_files_only() {
    let env = TestEnv::new();
    let twin = populated(&env);
    twin.both(|d| {
        d.chmod("f", 0o755);
        d.chmod("data/d002/f000002.bin", 0o755);
    });
    status_same(&twin);
}

#[test]
fn not_in_cache_takes_precedence() {
    let env = TestEnv::new();
    let twin = populated(&env);
    twin.both(|d| {
        d.remove(".dvc/cache");
        d.remove("g");
        d.write("f", "changed\n");
    });
    status_same(&twin);
    twin.gd
        .gd(&["status"])
        .success()
        .stdout_has("not in cache:");
}

#[test]
fn targets() {
    let env = TestEnv::new();
    let twin = populated(&env);
    twin.both(|d| {
        d.write("f", "changed\n");
        d.remove("g");
    });
    for args in [
        &["status", "f"][..],
        &["status", "f.dvc"],
        &["status", "g.dvc", "--json"],
        &["status", "data"],
        &["status", "sub/h.dvc"],
    ] {
        twin.run(args).same_output();
    }
    // From a subdirectory, paths are relative to it.
    twin.both(|d| d.write("sub/h", "changed\n"));
    twin.run_in("sub", &["status"]).same_output();
    twin.run_in("sub", &["status", "h"]).same_output();
}

#[test]
fn missing_target_is_an_error() {
    let env = TestEnv::new();
    let twin = populated(&env);
    let out = twin.run(&["status", "nonexistent.dvc"]);
    out.same_code().same_output();
    out.gd.failure();
}

#[test]
fn new_out_without_hash() {
    // An out with only `path:` (e.g. `import --no-download`) is reported `new`... or rather
    // whatever dvc says; compare.
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.both(|d| {
        d.write("n", "n\n");
        d.write("n.dvc", "outs:\n- hash: md5\n  path: n\n");
    });
    status_same(&twin);
}

#[test]
fn dvc_lock_outs_are_seen() {
    // Pipelines are dvc's job: build the lock with `dvc repro` in both repos, then compare
    // what status says about its outs.
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    twin.both(|d| {
        d.dvc_pipeline(
            "in\n",
            &["out.txt", "outdir"],
            "mkdir -p outdir && cp in.txt out.txt && cp in.txt outdir/x",
        );
    });
    status_same(&twin);
    twin.both(|d| {
        d.remove("out.txt");
        d.write("outdir/x", "changed\n");
    });
    status_same(&twin);
}

/// The workspace files `git dvc` opened for reading while running `args` (paths under
/// `data/` or the file `big.bin`, not directories), from `strace`.
fn files_read(repo: &Dir<'_>, args: &[&str]) -> Vec<String> {
    let log = repo.path(".git/strace-status.log");
    let mut cmd = repo.command("strace");
    cmd.args(["-f", "-qq", "-e", "trace=openat,open", "-o"])
        .arg(&log)
        .arg(git_dvc_exe())
        .args(args);
    let out = run_command(cmd, None);
    assert_eq!(
        out.code, 0,
        "strace git-dvc {args:?} (needs strace): {}",
        out.stderr
    );
    std::fs::read_to_string(&log)
        .expect("read the strace log")
        .lines()
        .filter(|l| !l.contains("O_DIRECTORY") && (l.contains("/data/") || l.contains("big.bin\"")))
        .map(str::to_string)
        .collect()
}

/// With `cache.type` hardlink or symlink, `add` replaces the workspace files by links;
/// what it records in the state DB is the linked files, so the next status hashes
/// nothing (it used to forget them, and hash every file again).
#[test]
fn status_after_add_with_links_hashes_nothing() {
    let env = TestEnv::new();
    for link in ["hardlink", "symlink"] {
        let repo = env.git_repo(&format!("links-{link}"));
        repo.gd(&["init", "-q"]).success();
        repo.gd(&["config", "cache.type", link]).success();
        repo.make_dataset("data", 6);
        repo.write("big.bin", "a file out\n");
        repo.gd(&["add", "-q", "data", "big.bin"]).success();
        let read = files_read(&repo, &["status"]);
        assert!(read.is_empty(), "{link}: status read {read:#?}");
        repo.gd(&["status"])
            .stdout_has("Data and pipelines are up to date.");
        // The state still notices a change behind the link.
        repo.gd(&["unprotect", "big.bin"]).success();
        repo.write("big.bin", "changed\n");
        repo.gd(&["status"]).stdout_has("modified:");
    }
}

/// Paths that libyaml would read as numbers and ruamel (dvc's reader) as strings: dvc
/// writes them unquoted (`path: .3e3`). Both tools write the same bytes for them, and
/// each reads the other's files.
#[test]
fn paths_that_look_like_numbers_only_to_libyaml() {
    let env = TestEnv::new();
    let twin = env.twin();
    twin.init();
    let names = [".3e3", "+.5e3", "0x-1", "+-5"];
    twin.both(|d| {
        for n in names {
            d.write(n, "x\n");
        }
    });
    twin.run(&["add", "-q", ".3e3", "+.5e3", "0x-1", "+-5"])
        .success();
    twin.assert_same_tree();
    assert!(
        twin.dvc.read(".3e3.dvc").contains("  path: .3e3\n"),
        "dvc writes it unquoted"
    );
    status_same(&twin);
    // Each tool on the other's files.
    for n in names {
        let file = format!("{n}.dvc");
        let text = twin.dvc.read(&file);
        twin.gd.write(&file, &text);
    }
    let out = twin.gd.gd(&["status"]);
    assert_eq!(out.success().stdout, "Data and pipelines are up to date.\n");
    twin.gd.dvc(&["status"]).success();
}

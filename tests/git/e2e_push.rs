//! pre-push uploads exactly the DVC data of the commits being pushed, refuses pushes
//! whose data would be missing remotely, and a clone with the global install gets its
//! data from the DVC remote through the filter (spec/git-integration.md §7, edge cases
//! 1, 18-20).

use crate::e2e_support::*;
use crate::harness::*;

/// A repository with a local DVC remote `store` (default), a bare git remote `origin`,
/// and `a.txt` + `data/` committed.
fn with_remotes(env: &TestEnv) -> Dir<'_> {
    let d = installed_repo(env);
    let store = env.root().join("store");
    let bare = env.root().join("origin.git");
    let store_s = store.to_str().expect("utf-8 temp path");
    let bare_s = bare.to_str().expect("utf-8 temp path");
    d.git(&["init", "-q", "--bare", bare_s]).success();
    d.git(&["remote", "add", "origin", bare_s]).success();
    d.git(&["dvc", "remote", "add", "-d", "store", store_s])
        .success();
    d.git(&["add", ".dvc/config"]).success();
    d.git(&["commit", "-q", "-m", "remote"]).success();
    d.write("a.txt", "a1\n");
    for i in 0..5 {
        d.write(&format!("data/f{i}"), format!("f{i}\n"));
    }
    add_and_commit(&d, &["a.txt", "data"], "data");
    d
}

fn store_files(env: &TestEnv) -> usize {
    fn count(p: &std::path::Path) -> usize {
        match std::fs::read_dir(p) {
            Ok(rd) => rd
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() { count(&p) } else { 1 }
                })
                .sum(),
            Err(_) => 0,
        }
    }
    count(&env.root().join("store"))
}

#[test]
fn push_uploads_what_the_pushed_commits_reference() {
    let env = TestEnv::new();
    let d = with_remotes(&env);
    // Nothing to send (empty stdin on an up-to-date push) exits at once.
    d.git(&["push", "-q", "origin", "main"]).success();
    // a.txt, 5 files and the .dir.
    assert_eq!(store_files(&env), 7);
    assert_eq!(
        d.dvc(&["status", "-c"]).stdout.trim(),
        "Cache and remote 'store' are in sync."
    );
    d.git(&["push", "-q", "origin", "main"]).success();

    // A branch that is not pushed does not upload its data.
    d.git(&["checkout", "-q", "-b", "local-only"]).success();
    d.write("a.txt", "local only\n");
    add_and_commit(&d, &["a.txt"], "local");
    d.git(&["checkout", "-q", "-b", "topic", "main"]).success();
    d.write("data/f9", "f9\n");
    add_and_commit(&d, &["data"], "topic");
    // A new branch: only objects not reachable from origin's refs go up (f9, new .dir).
    d.git(&["push", "-q", "origin", "topic"]).success();
    assert_eq!(store_files(&env), 9);
    // Pushing to a bare URL (name == url) works the same.
    let bare = env.root().join("origin.git");
    d.git(&["checkout", "-q", "local-only"]).success();
    d.git(&["push", "-q", bare.to_str().expect("utf-8"), "local-only"])
        .success();
    assert_eq!(store_files(&env), 10);
    // Deleting a remote branch pushes nothing and is fine.
    d.git(&["push", "-q", "origin", "--delete", "topic"])
        .success();
}

#[test]
fn push_refuses_when_data_is_missing_everywhere() {
    let mut env = TestEnv::new();
    let root = with_remotes(&env).path;
    let d = Dir {
        env: &env,
        path: root.clone(),
    };
    d.write("b.txt", "b\n");
    add_and_commit(&d, &["b.txt"], "b");
    // Lose b's data: the commit's pointer references an object that is nowhere.
    let md5 = md5_hex(b"b\n");
    let obj = d.path(&format!(".dvc/cache/files/md5/{}/{}", &md5[..2], &md5[2..]));
    remove_all(&obj);
    let out = d.git(&["push", "origin", "main"]);
    out.failure()
        .stderr_has("neither in the local cache nor on DVC remote `store`");
    assert!(
        d.git(&["ls-remote", "origin"]).stdout.is_empty(),
        "the git push must not have happened"
    );
    d.git(&["config", "gitdvc.allowIncompletePush", "true"])
        .success();
    d.git(&["push", "-q", "origin", "main"]).success();
    d.git(&["config", "--unset", "gitdvc.allowIncompletePush"])
        .success();
    // GIT_DVC_SKIP_PUSH skips the hook entirely.
    d.write("c.txt", "c\n");
    add_and_commit(&d, &["c.txt"], "c");
    env.set_var("GIT_DVC_SKIP_PUSH", "1");
    let d = Dir {
        env: &env,
        path: root,
    };
    d.git(&["push", "-q", "origin", "main"]).success();
    let md5 = md5_hex(b"c\n");
    assert!(
        !env.root()
            .join(format!("store/files/md5/{}/{}", &md5[..2], &md5[2..]))
            .exists()
    );
}

#[test]
fn push_without_a_dvc_remote_is_refused() {
    let env = TestEnv::new();
    let d = installed_repo(&env);
    let bare = env.root().join("origin.git");
    d.git(&["init", "-q", "--bare", bare.to_str().expect("utf-8")])
        .success();
    d.git(&["remote", "add", "origin", bare.to_str().expect("utf-8")])
        .success();
    // Pointer-free commits push fine.
    d.git(&["push", "-q", "origin", "main"]).success();
    d.write("a.txt", "a\n");
    add_and_commit(&d, &["a.txt"], "a");
    d.git(&["push", "origin", "main"])
        .failure()
        .stderr_has("no DVC remote is configured");
}

#[test]
fn clone_with_global_install_fetches_the_data() {
    let env = TestEnv::new();
    let d = with_remotes(&env);
    d.git(&["push", "-q", "origin", "main"]).success();
    // A global install: filter config and attributes in the user's global files.
    d.git(&["dvc", "install", "--global"]).success();
    let clone = env.root().join("clone");
    let bare = env.root().join("origin.git");
    let out = d.git(&[
        "clone",
        "-q",
        bare.to_str().expect("utf-8"),
        clone.to_str().expect("utf-8"),
    ]);
    out.success();
    let c = Dir {
        env: &env,
        path: clone,
    };
    assert_eq!(content(&c, "a.txt").as_deref(), Some("a1\n"));
    assert_eq!(content(&c, "data/f4").as_deref(), Some("f4\n"));
    // The filter installed the hooks into the clone.
    assert!(c.exists(".git/hooks/post-checkout"));
    assert_dvc_agrees(&c);
}

#[test]
fn clone_with_an_unreachable_remote_still_succeeds() {
    let env = TestEnv::new();
    let d = with_remotes(&env);
    d.git(&["push", "-q", "origin", "main"]).success();
    remove_all(&env.root().join("store"));
    d.git(&["dvc", "install", "--global"]).success();
    let clone = env.root().join("clone");
    let bare = env.root().join("origin.git");
    let out = d.git(&[
        "clone",
        bare.to_str().expect("utf-8"),
        clone.to_str().expect("utf-8"),
    ]);
    out.success().stderr_has("not in the cache");
    let c = Dir {
        env: &env,
        path: clone,
    };
    assert!(c.exists("a.txt.dvc") && !c.exists("a.txt"));
}

/// Whether the local remote `store` holds the object of `content`.
fn stored(env: &TestEnv, content: &[u8]) -> bool {
    let md5 = md5_hex(content);
    env.root()
        .join(format!("store/files/md5/{}/{}", &md5[..2], &md5[2..]))
        .exists()
}

#[test]
fn push_of_several_refs_refspecs_tags_and_a_force_push() {
    let env = TestEnv::new();
    let d = with_remotes(&env);
    d.git(&["push", "-q", "origin", "main"]).success();
    // Several refs in one push.
    for b in ["b1", "b2"] {
        d.git(&["checkout", "-q", "-b", b, "main"]).success();
        d.write("a.txt", format!("{b}\n"));
        add_and_commit(&d, &["a.txt"], b);
    }
    d.git(&["push", "-q", "origin", "b1", "b2"]).success();
    assert!(stored(&env, b"b1\n") && stored(&env, b"b2\n"));
    // `HEAD~1:refs/heads/x` pushes HEAD~1's data, not HEAD's.
    d.git(&["checkout", "-q", "-b", "b3", "main"]).success();
    for v in ["c1", "c2"] {
        d.write("a.txt", format!("{v}\n"));
        add_and_commit(&d, &["a.txt"], v);
    }
    d.git(&["push", "-q", "origin", "HEAD~1:refs/heads/x"])
        .success();
    assert!(stored(&env, b"c1\n"));
    assert!(!stored(&env, b"c2\n"), "HEAD's data must not go up");
    // An annotated tag on HEAD carries HEAD's data.
    d.git(&["tag", "-a", "t2", "-m", "tag"]).success();
    d.git(&["push", "-q", "origin", "t2"]).success();
    assert!(stored(&env, b"c2\n"));
    // A force push over a remote commit this clone never saw (`--ignore-missing`).
    let other = env.root().join("other");
    let bare = env.root().join("origin.git");
    d.git(&[
        "clone",
        "-q",
        "-b",
        "b1",
        bare.to_str().expect("utf-8"),
        other.to_str().expect("utf-8"),
    ])
    .success();
    let o = Dir {
        env: &env,
        path: other,
    };
    o.write("notes.txt", "from elsewhere\n");
    o.git(&["add", "notes.txt"]).success();
    o.git(&["commit", "-q", "-m", "elsewhere"]).success();
    o.git(&["push", "-q", "origin", "b1"]).success();
    d.git(&["checkout", "-q", "b1"]).success();
    d.write("a.txt", "forced\n");
    add_and_commit(&d, &["a.txt"], "forced");
    d.git(&["push", "-q", "-f", "origin", "b1"]).success();
    assert!(stored(&env, b"forced\n"));
    assert_eq!(
        d.git(&["rev-parse", "b1"]).stdout,
        d.git(&["ls-remote", "origin", "refs/heads/b1"])
            .stdout
            .split('\t')
            .next()
            .map(|s| format!("{s}\n"))
            .unwrap_or_default()
    );
}

#[test]
fn a_submodule_that_is_a_dvc_repository_gets_hooks_and_data() {
    let env = TestEnv::new();
    let d = with_remotes(&env);
    d.git(&["checkout", "-q", "-b", "v2"]).success();
    d.write("a.txt", "a2\n");
    add_and_commit(&d, &["a.txt"], "v2");
    d.git(&["push", "-q", "origin", "main", "v2"]).success();
    d.git(&["dvc", "install", "--global"]).success();
    let outer = Dir {
        env: &env,
        path: env.root().join("outer"),
    };
    std::fs::create_dir_all(&outer.path).unwrap();
    outer.git(&["init", "-q"]).success();
    let bare = env.root().join("origin.git");
    outer
        .git(&[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            "-b",
            "main",
            bare.to_str().expect("utf-8"),
            "sub",
        ])
        .success();
    let sub = Dir {
        env: &env,
        path: outer.path.join("sub"),
    };
    // The clone inside the submodule ran the filter with the submodule's directory.
    assert_eq!(content(&sub, "a.txt").as_deref(), Some("a1\n"));
    assert_eq!(content(&sub, "data/f4").as_deref(), Some("f4\n"));
    // Its hooks live in the superproject's `.git/modules/sub/hooks`.
    assert!(outer.exists(".git/modules/sub/hooks/post-checkout"));
    sub.git(&["checkout", "-q", "v2"]).success();
    assert_eq!(content(&sub, "a.txt").as_deref(), Some("a2\n"));
    sub.git(&["checkout", "-q", "main"]).success();
    assert_eq!(content(&sub, "a.txt").as_deref(), Some("a1\n"));
    assert_dvc_agrees(&sub);
}

/// Regression (architecture issue): the hooks found DVC's system config in `/etc/xdg/dvc`
/// while `git dvc` honoured `XDG_CONFIG_DIRS`, so a default remote set at the system level
/// was seen by `git dvc push` but not by pre-push. Both now read one `ProcessEnv`.
#[test]
fn pre_push_reads_the_system_config_where_git_dvc_does() {
    let mut env = TestEnv::new();
    let system = env.root().join("xdg-system");
    let store = env.root().join("store");
    std::fs::create_dir_all(system.join("dvc")).expect("mkdir");
    std::fs::write(
        system.join("dvc/config"),
        format!(
            "[core]\n    remote = sys\n['remote \"sys\"']\n    url = {}\n",
            store.display()
        ),
    )
    .expect("write system config");
    env.remove_var("DVC_SYSTEM_CONFIG_DIR");
    env.set_var("XDG_CONFIG_DIRS", &system);
    let d = installed_repo(&env);
    let bare = env.root().join("origin.git");
    let bare_s = bare.to_str().expect("utf-8 temp path");
    d.git(&["init", "-q", "--bare", bare_s]).success();
    d.git(&["remote", "add", "origin", bare_s]).success();
    assert_eq!(
        d.git(&["dvc", "config", "core.remote"])
            .success()
            .stdout
            .trim(),
        "sys"
    );
    d.write("a.txt", "system remote\n");
    add_and_commit(&d, &["a.txt"], "a");
    d.git(&["push", "-q", "origin", "main"]).success();
    assert_eq!(
        store_files(&env),
        1,
        "pre-push uploaded to the system-level remote"
    );
}

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

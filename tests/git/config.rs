//! `config` against dvc (spec §6): configobj bytes, `--local`, path rewriting, errors.

use crate::harness::*;

fn initialized(env: &TestEnv) -> Twin<'_> {
    let twin = env.twin();
    twin.init();
    twin
}

#[test]
fn set_and_get() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    same(&twin, &["config", "core.autostage", "true"]).success();
    assert_eq!(
        twin.gd.read(".dvc/config"),
        "[core]\n    autostage = true\n"
    );
    same(&twin, &["config", "core.autostage"])
        .success()
        .gd
        .stdout_has("true\n");
    same(&twin, &["config", "cache.type", "hardlink,copy"]).success();
    assert!(
        twin.gd
            .read(".dvc/config")
            .contains("    type = \"hardlink,copy\"\n")
    );
    same(&twin, &["config", "core.checksum_jobs", "3"]).success();
    same(&twin, &["config", "cache.type"]).success();
    // Unset keys print nothing and succeed, as dvc does.
    same(&twin, &["config", "core.remote"]);
}

#[test]
fn local_config() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    same(&twin, &["config", "core.autostage", "true"]).success();
    same(&twin, &["config", "--local", "core.autostage", "false"]).success();
    assert_eq!(
        twin.gd.read(".dvc/config.local"),
        "[core]\n    autostage = false\n"
    );
    same(&twin, &["config", "core.autostage"]).success();
    same(&twin, &["config", "--local", "core.autostage"]).success();
}

#[test]
fn relative_paths_are_relative_to_the_config_file() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    same(&twin, &["config", "cache.dir", "../shared-cache"]).success();
    assert_eq!(
        twin.gd.read(".dvc/config"),
        "[cache]\n    dir = ../../shared-cache\n"
    );
}

#[test]
fn rewriting_drops_comments_and_keeps_section_order() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| {
        d.write(
            ".dvc/config",
            "# a comment\n[cache]\n    type = copy\n['remote \"store\"']\n    url = /srv/store\n[core]\n    remote = store\n",
        )
    });
    same(&twin, &["config", "core.autostage", "true"]).success();
}

#[test]
fn value_quoting() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.run(&["config", "core.remote", "store"]).success();
    for (key, value) in [
        ("core.site_cache_dir", "/tmp/with#hash"),
        ("core.site_cache_dir", " lead"),
        ("core.site_cache_dir", "it's"),
        ("core.site_cache_dir", "q\"uote"),
    ] {
        same(&twin, &["config", key, value]);
    }
}

#[test]
fn unknown_key_and_bad_value_are_config_errors() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    let out = same(&twin, &["config", "foo.bar", "1"]);
    out.gd.code(251).stderr_has("ERROR: configuration error - ");
    let out = same(&twin, &["config", "core.autostage", "maybe"]);
    out.gd.code(251);
    assert_eq!(
        twin.gd.read(".dvc/config"),
        "",
        "a rejected value is not written"
    );
}

#[test]
fn bad_value_in_file_fails_every_command() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    twin.both(|d| d.write(".dvc/config", "[core]\n    autostage = maybe\n"));
    for args in [&["status"][..], &["add", "x"], &["checkout"]] {
        let out = twin.run(args);
        out.same_code().same_output();
        out.gd.code(251).stderr_has("autostage");
    }
}

#[test]
fn global_and_system_levels_are_read() {
    let env = TestEnv::new();
    let twin = initialized(&env);
    std::fs::write(
        env.root().join("dvc-global-config/config"),
        "[cache]\n    type = symlink\n",
    )
    .unwrap();
    std::fs::write(
        env.root().join("dvc-system-config/config"),
        "[core]\n    checksum_jobs = 2\n",
    )
    .unwrap();
    same(&twin, &["config", "cache.type"])
        .success()
        .gd
        .stdout_has("symlink");
    same(&twin, &["config", "core.checksum_jobs"]).success();
    // And they take effect: add links by symlink.
    twin.both(|d| d.write("f", "f\n"));
    twin.run(&["add", "-q", "f"]).success();
    twin.assert_same_tree();
}

//! `remote` and `config` command sequences against dvc (spec §6, traps 17 and 18): stdout,
//! stderr, exit codes and the bytes of `.dvc/config` / `.dvc/config.local` after each step.
//!
//! Both repositories are initialized by real dvc so only the commands under test differ.

use crate::harness::*;

fn twin_initialized(env: &TestEnv) -> Twin<'_> {
    let twin = env.twin();
    twin.dvc.dvc(&["init"]).success();
    twin.gd.dvc(&["init"]).success();
    twin
}

#[track_caller]
fn steps(twin: &Twin<'_>, steps: &[(&str, &[&str])]) {
    for (sub, args) in steps {
        let out = twin.run_in(sub, args);
        out.same_output();
        twin.assert_same_tree();
    }
}

#[test]
fn remote_lifecycle_matches_dvc() {
    let env = TestEnv::new();
    let twin = twin_initialized(&env);
    steps(
        &twin,
        &[
            ("", &["remote", "add", "-d", "MyRemote", "/srv/store"]),
            ("", &["remote", "add", "s3r", "s3://bucket/prefix"]),
            (
                "",
                &[
                    "remote",
                    "modify",
                    "s3r",
                    "endpointurl",
                    "http://localhost:9000",
                ],
            ),
            ("", &["remote", "modify", "s3r", "region", "us-east-1"]),
            ("", &["remote", "modify", "s3r", "use_ssl", "false"]),
            ("", &["remote", "add", "rel", "../relremote"]),
            ("", &["remote", "list"]),
            ("", &["remote", "default"]),
            (
                "",
                &[
                    "remote",
                    "modify",
                    "--local",
                    "s3r",
                    "access_key_id",
                    "AKIA",
                ],
            ),
            ("", &["remote", "add", "myremote", "/x"]),
            ("", &["remote", "add", "-f", "myremote", "/y"]),
            ("", &["remote", "modify", "s3r", "Region", "x"]),
            ("", &["remote", "modify", "nope", "region", "x"]),
            ("", &["remote", "modify", "s3r", "jobs", "0"]),
            ("", &["remote", "modify", "s3r", "jobs", "abc"]),
            ("", &["remote", "modify", "s3r", "verify"]),
            ("", &["remote", "modify", "-u", "s3r", "region"]),
            ("", &["remote", "default", "nope"]),
            ("", &["remote", "default", "--unset"]),
            ("", &["remote", "default"]),
            ("", &["remote", "default", "s3r"]),
            ("", &["remote", "rename", "s3r", "NewName"]),
            ("", &["remote", "rename", "newname", "rel"]),
            ("", &["remote", "remove", "rel"]),
            ("", &["remote", "remove", "rel"]),
            ("", &["remote", "list"]),
        ],
    );
}

#[test]
fn paths_and_quoting_match_dvc() {
    let env = TestEnv::new();
    let twin = twin_initialized(&env);
    twin.both(|d| {
        fs_err::create_dir_all(d.path("sub/deep")).expect("mkdir");
    });
    steps(
        &twin,
        &[
            ("sub/deep", &["remote", "add", "subrel", "../x"]),
            ("sub/deep", &["remote", "add", "dot", "./x"]),
            ("sub/deep", &["remote", "add", "dd", "foo/../bar"]),
            ("", &["remote", "add", "hash", "https://h/p?a=1#frag"]),
            ("", &["remote", "add", "comma", "/a,b"]),
            ("", &["remote", "add", "quote", "/it's here"]),
            ("", &["remote", "add", "both", "/a\"b'c"]),
            ("", &["remote", "add", "trail", "/trail "]),
            ("", &["remote", "add", "tilde", "~/x/y"]),
            (
                "",
                &[
                    "remote",
                    "add",
                    "-d",
                    "lng",
                    &format!("/srv/{}", "a".repeat(100)),
                ],
            ),
            ("", &["remote", "list"]),
            ("", &["config", "cache.type", "reflink, hardlink,copy"]),
            ("sub", &["config", "cache.dir", "../cache"]),
            ("", &["config", "cache.dir"]),
            ("", &["config", "-l"]),
            ("", &["config", "--show-origin", "core.remote"]),
        ],
    );
}

#[test]
fn config_errors_match_dvc() {
    let env = TestEnv::new();
    let twin = twin_initialized(&env);
    steps(
        &twin,
        &[
            ("", &["config", "core.autostage", "true"]),
            ("", &["config", "-u", "core.remote"]),
            ("", &["config", "-u", "remote.x.url"]),
            ("", &["config", "-u", "foo.bar"]),
            ("", &["config", "core.nonexist", "x"]),
            ("", &["config", "core.autostage", "maybe"]),
            ("", &["config", "core.nonexist"]),
            ("", &["config", "--local", "core.remote"]),
            ("", &["config", "remote.new.region", "us"]),
            ("", &["config", "-l", "core.remote"]),
            ("", &["config", "Core.Remote", "MyR"]),
            ("", &["config", "-u", "core.autostage"]),
            ("", &["config", "cache.type", "foo"]),
        ],
    );
    // A hand-written file with comments, unquoted lists and odd case is normalized the same way.
    twin.write(
        ".dvc/config",
        "# top\n[Core] # c\n  Remote = MyR # x\n\n[remote \"X\"]\nURL = /a\n[cache]\n    type = reflink,copy # c\n",
    );
    steps(
        &twin,
        &[
            ("", &["config", "cache.type"]),
            ("", &["config", "-l"]),
            ("", &["remote", "add", "y", "/y"]),
        ],
    );
    twin.write(".dvc/config", "[core]\n    remote = \"a\" x\n");
    steps(&twin, &[("", &["remote", "list"]), ("", &["config", "-l"])]);
}

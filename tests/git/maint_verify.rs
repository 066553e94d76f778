//! `verify` and `doctor` on healthy, corrupted and broken repositories.

use crate::harness::*;

fn repo(env: &TestEnv) -> Dir<'_> {
    let d = env.dir("r");
    d.git(&["init", "-q"]).success();
    d.dvc(&["init", "-q"]).success();
    d.write("f", "f\n");
    d.write("d/a", "a\n");
    d.write("d/b", "b\n");
    d.dvc(&["add", "-q", "f", "d"]).success();
    d
}

fn obj(md5: &str) -> String {
    format!(".dvc/cache/files/md5/{}/{}", &md5[..2], &md5[2..])
}

fn dir_oid(d: &Dir<'_>) -> String {
    d.read("d.dvc")
        .lines()
        .find_map(|l| l.trim().strip_prefix("- md5: "))
        .expect("dir md5")
        .to_string()
}

#[test]
fn verify_clean_corrupt_and_missing() {
    let env = TestEnv::new();
    let d = repo(&env);
    d.gd(&["verify"])
        .success()
        .stdout_has("Verified 4 objects: all good.");

    // Corrupt a file object (keeping its trusted 0444 mode) and delete another.
    let f = md5_hex(b"f\n");
    d.chmod(&obj(&f), 0o644);
    d.write(&obj(&f), "not f\n");
    d.chmod(&obj(&f), 0o444);
    let a = md5_hex(b"a\n");
    d.remove(&obj(&a));
    let out = d.gd(&["verify"]);
    out.code(1)
        .stderr_has(&format!("corrupt in the cache: {f}"))
        .stderr_has("used by 'f'")
        .stderr_has(&format!("missing from the cache: {a}"))
        .stderr_has("used by 'd/a'")
        .stderr_has("2 objects failed verification");
    // Targets narrow the check.
    d.gd(&["verify", "d"]).code(1).stderr_has("1 object failed");
    assert!(!d.gd(&["verify", "d"]).stderr.contains("used by 'f'"));

    // A missing manifest is named, with the out.
    d.remove(&obj(&dir_oid(&d)));
    d.gd(&["verify", "d"])
        .code(1)
        .stderr_has("missing from the cache")
        .stderr_has("used by 'd'");
}

#[test]
fn verify_remote_copies() {
    let env = TestEnv::new();
    let d = repo(&env);
    let remote = env.root().join("store");
    d.dvc(&["remote", "add", "-q", "-d", "r", &remote.to_string_lossy()])
        .success();
    d.dvc(&["push", "-q"]).success();
    d.gd(&["verify", "-r", "r"]).success();
    let b = md5_hex(b"b\n");
    let p = remote.join(format!("files/md5/{}/{}", &b[..2], &b[2..]));
    set_mode(&p, 0o644);
    std::fs::write(&p, "evil\n").expect("corrupt remote object");
    let a = md5_hex(b"a\n");
    std::fs::remove_file(remote.join(format!("files/md5/{}/{}", &a[..2], &a[2..]))).expect("rm");
    d.gd(&["verify", "-r", "r"])
        .code(1)
        .stderr_has(&format!("corrupt in the remote: {b}"))
        .stderr_has(&format!("missing from the remote: {a}"))
        .stderr_has("on remote 'r'");
}

#[test]
fn doctor_reports_and_hints() {
    let env = TestEnv::new();
    let d = repo(&env);
    let out = d.gd(&["doctor"]);
    out.success()
        .stdout_has("ok    repo: DVC repository")
        .stdout_has("ok    links:")
        .stdout_has("warn  hooks: pre-commit hook is not installed")
        .stdout_has("hint: run `git dvc install`")
        .stdout_has("warn  remotes: no remote configured");
    d.gd(&["install"]).success();
    let out = d.gd(&["doctor", "--json"]);
    out.success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("doctor --json is JSON");
    let findings = v["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["check"] == "hooks" && f["status"] == "ok")
    );
    assert!(
        findings
            .iter()
            .any(|f| f["detail"] == "filter.dvc.process = git-dvc-filter")
    );
    assert_eq!(v["dvc_version"], "3.67.1");

    // Broken: a legacy out, a remote that cannot be written, an invalid pointer file.
    d.write(
        "leg.dvc",
        "outs:\n- md5: 3b5d5c3712955042212316173ccf37be\n  path: leg\n",
    );
    d.dvc(&[
        "remote",
        "add",
        "-q",
        "-d",
        "gone",
        "/proc/nonexistent/store",
    ])
    .success();
    let out = d.gd(&["doctor"]);
    out.code(1)
        .stdout_has("1 legacy 2.x outs")
        .stdout_has("error remotes: remote 'gone' (default)");
    d.write("bad.dvc", "outs: [nope\n");
    d.gd(&["doctor"]).code(1).stdout_has("error outs:");
    // Outside a repository.
    env.dir("elsewhere")
        .gd(&["doctor"])
        .code(1)
        .stdout_has("not inside a DVC repository");
}

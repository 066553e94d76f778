//! push / pull / `status -c` against S3 (the harness's moto server on 127.0.0.1), with
//! dvc 3.67.1 and dvc-s3 as the oracle in both directions (issue 4, parts 2, 3 and 5).

use crate::harness::*;
use std::time::{Duration, Instant};

/// A git repo with data added by dvc and a default S3 remote `s3://<bucket>/store`.
fn project<'a>(env: &'a TestEnv, name: &str, endpoint: &str, bucket: &str) -> Dir<'a> {
    s3_create_bucket(env, endpoint, bucket);
    let repo = env.git_repo(name);
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.make_dataset("data", 6);
    repo.write("data/sub/x", "x\n");
    repo.dvc(&["add", "-q", "f.txt", "data"]).success();
    let url = format!("s3://{bucket}/store");
    repo.dvc(&["remote", "add", "-q", "-d", "s3", &url])
        .success();
    repo.dvc(&["remote", "modify", "s3", "endpointurl", endpoint])
        .success();
    repo.git(&["add", "-A"]).success();
    repo.git(&["commit", "-qm", "data"]).success();
    repo
}

fn clone<'a>(env: &'a TestEnv, from: &str, to: &str) -> Dir<'a> {
    env.dir(".").git(&["clone", "-q", from, to]).success();
    env.dir(to)
}

#[test]
fn s3_git_dvc_push_then_dvc_pull_and_back() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let gd = project(&env, "gd", &endpoint, "gd-push");
    let out = gd.gd(&["push"]);
    out.success();
    // f.txt, the .dir and its 7 files.
    assert_eq!(out.stdout, "9 files pushed\n", "{out:?}");
    gd.gd(&["push"])
        .success()
        .stdout_has("Everything is up to date.");
    // dvc-s3 pushing the same project to another bucket produces the same keys.
    let dv = project(&env, "dv", &endpoint, "dvc-push");
    dv.dvc(&["push", "-q"]).success();
    assert_same_text(
        "S3 listing",
        "dvc",
        &s3_listing(&env, &endpoint, "dvc-push", ""),
        "git-dvc",
        &s3_listing(&env, &endpoint, "gd-push", ""),
    );
    gd.dvc(&["status", "-c"])
        .success()
        .stdout_has("Cache and remote 's3' are in sync.");
    // dvc pulls what git-dvc pushed.
    let c = clone(&env, "gd", "c");
    c.dvc(&["pull", "-q"]).success();
    assert_eq!(c.read("data/sub/x"), "x\n");
    // git-dvc pulls what dvc pushed, into the same cache dvc builds.
    let g = clone(&env, "dv", "g");
    let out = g.gd(&["pull"]);
    out.success();
    assert!(
        out.stdout.ends_with("9 files fetched and 8 files added\n"),
        "{out:?}"
    );
    let d = clone(&env, "dv", "d");
    d.dvc(&["pull", "-q"]).success();
    assert_same_text(
        "cache listing",
        "dvc",
        &d.listing(".dvc/cache"),
        "git-dvc",
        &g.listing(".dvc/cache"),
    );
    assert_eq!(
        g.gd(&["status", "-c"]).success().stdout,
        "Cache and remote 's3' are in sync.\n"
    );
}

#[test]
fn s3_resume_and_corruption() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let repo = project(&env, "r", &endpoint, "resume");
    repo.gd(&["push", "-q"]).success();
    let full = s3_listing(&env, &endpoint, "resume", "");
    // Delete an object (an interrupted push never sent it); later corrupt another.
    let hello = md5_hex(b"hello\n");
    let x = md5_hex(b"x\n");
    let script = format!(
        "import boto3\n\
         c = boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1',\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         c.delete_object(Bucket='resume', Key='store/files/md5/{}/{}')\n",
        &hello[..2],
        &hello[2..]
    );
    let mut cmd = env.command(oracle_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    run_command(cmd, None).success();
    let out = repo.gd(&["push"]);
    out.success();
    assert_eq!(out.stdout, "1 file pushed\n", "{out:?}");
    assert_eq!(s3_listing(&env, &endpoint, "resume", ""), full);
    let script = format!(
        "import boto3\n\
         c = boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1',\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         c.put_object(Bucket='resume', Key='store/files/md5/{}/{}', Body=b'evil\\n')\n",
        &x[..2],
        &x[2..]
    );
    let mut cmd = env.command(oracle_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    run_command(cmd, None).success();
    let c = clone(&env, "r", "c");
    let out = c.gd(&["pull"]);
    out.code(1)
        .stderr_has(&format!("object '{x}' from remote 's3' is corrupt"));
    assert!(!c.exists(&cache_rel(&x)));
    assert!(
        !c.exists("data"),
        "nothing is checked out after a failed fetch"
    );
}

#[test]
fn s3_unreachable_endpoint_is_a_clear_error() {
    let mut env = TestEnv::new();
    env.use_s3();
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    repo.dvc(&["remote", "add", "-q", "-d", "s3", "s3://bucket/p"])
        .success();
    repo.dvc(&[
        "remote",
        "modify",
        "s3",
        "endpointurl",
        &format!("http://127.0.0.1:{port}"),
    ])
    .success();
    repo.dvc(&["remote", "modify", "s3", "connect_timeout", "2"])
        .success();
    let start = Instant::now();
    let out = repo.gd(&["push"]);
    out.code(1)
        .stderr_has("ERROR: failed to push data to the cloud - remote 's3':");
    assert!(start.elapsed() < Duration::from_secs(30), "{out:?}");
    repo.gd(&["status", "-c"]).failure();
}

#[test]
fn s3_bad_credentials_are_a_clear_error_without_secrets() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    s3_create_bucket(&env, &endpoint, "creds");
    // No credentials anywhere: not in the environment, no profile files.
    env.remove_var("AWS_ACCESS_KEY_ID");
    env.remove_var("AWS_SECRET_ACCESS_KEY");
    let repo = env.git_repo("r");
    repo.dvc(&["init", "-q"]).success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    repo.dvc(&["remote", "add", "-q", "-d", "s3", "s3://creds/p"])
        .success();
    repo.dvc(&["remote", "modify", "s3", "endpointurl", &endpoint])
        .success();
    let out = repo.gd(&["push"]);
    out.code(1).stderr_has("failed to push data to the cloud");
    assert!(out.stderr.to_lowercase().contains("credentials"), "{out:?}");
    // A named profile that does not exist, with a secret in config.local: the secret
    // never shows.
    repo.dvc(&["remote", "modify", "s3", "profile", "nosuchprofile"])
        .success();
    let out = repo.gd(&["push"]);
    out.code(1);
    repo.dvc(&["remote", "modify", "-u", "s3", "profile"])
        .success();
    repo.dvc(&[
        "remote",
        "modify",
        "--local",
        "s3",
        "access_key_id",
        "AKIAEXAMPLE",
    ])
    .success();
    repo.dvc(&[
        "remote",
        "modify",
        "--local",
        "s3",
        "secret_access_key",
        "sup3r-s3cret-value",
    ])
    .success();
    let out = repo.gd(&["-v", "push"]);
    assert!(!out.stderr.contains("sup3r-s3cret-value"), "{out:?}");
    assert!(!out.stdout.contains("sup3r-s3cret-value"), "{out:?}");
}

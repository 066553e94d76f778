//! `import-url`, `get-url`, `ls-url` and `update` of remote URLs (issue 13) against dvc
//! 3.67.1: HTTP from the harness's own server, with and without ETags (dvc-http, in the
//! plugins venv), and S3 on moto (dvc-s3, in the oracle venv), with a changed source for
//! `update`. Twins import the same URL, so the `.dvc` bytes must be exactly equal.

use crate::harness::*;
use crate::servers::*;

fn project(env: &TestEnv) -> Twin<'_> {
    let twin = env.twin();
    twin.init();
    twin.git(&["commit", "-qm", "init"]);
    twin
}

/// Writes `rel` under the served root of `server`.
fn serve(server: &Server, rel: &str, body: &str) {
    let p = server.root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    // Replace, so that a server reading the file never sees it half written.
    let tmp = p.with_extension("tmp-write");
    std::fs::write(&tmp, body).unwrap();
    std::fs::rename(&tmp, &p).unwrap();
}

#[test]
fn import_url_of_http_matches_dvc_http_with_and_without_etags() {
    let mut env = TestEnv::new();
    env.use_remote_plugins();
    let tag = prefix("iu");
    let plain = http_server();
    let etags = http_etag_server();
    serve(plain, &format!("{tag}/a.txt"), "a1\n");
    serve(etags, &format!("{tag}/b.txt"), "b1\n");
    let a = format!("{}/{tag}/a.txt", plain.url);
    let b = format!("{}/{tag}/b.txt", etags.url);
    let missing = format!("{}/{tag}/nope.txt", etags.url);
    let twin = project(&env);
    for args in [
        &["import-url", &a][..],
        &["import-url", &b],
        &["import-url", &b, "nd.txt", "--no-download"],
        &["import-url", &b, "b2.txt"],
        &["import-url", &b, "ne.txt", "--no-exec"],
        &["import-url", &missing],
        &["get-url", &b, "got.txt"],
    ] {
        same(&twin, args);
    }
    assert!(twin.gd.read("a.txt.dvc").contains("checksum: '"));
    assert!(twin.gd.read("b.txt.dvc").contains("checksum: '\""));
    assert_eq!(twin.gd.read("got.txt"), "b1\n");
    twin.run(&["ls-url", &b, "--size"]).same_stdout();
    // A missing path: dvc-http's message ends with aiohttp's status line.
    same(&twin, &["ls-url", &missing]);
    // (dvc updates several targets in no fixed order: one at a time.)
    same(&twin, &["update", "a.txt.dvc"]);
    same(&twin, &["update", "b.txt.dvc"]);
    same(&twin, &["update", "--no-download", "nd.txt.dvc"]);
    same(&twin, &["update", "--no-download", "b2.txt.dvc"]);
    // The sources change: the ETag tells; without one, the size and headers tell, and
    // an equal-sized change goes unseen, as in dvc.
    serve(plain, &format!("{tag}/a.txt"), "a2\n");
    serve(etags, &format!("{tag}/b.txt"), "b22\n");
    for target in ["a.txt.dvc", "b.txt.dvc"] {
        same(&twin, &["update", target]);
    }
    // dvc's `update --no-download` of a changed source clears the out's hashes (after
    // computing the stage md5 with them).
    same(&twin, &["update", "--no-download", "b2.txt.dvc"]);
    same(&twin, &["update", "--no-download", "nd.txt.dvc"]);
    assert_eq!(twin.gd.read("b.txt"), "b22\n");
    assert_eq!(twin.gd.read("a.txt"), "a1\n");
    twin.run(&["status"]).same_stdout();
    twin.run(&["status", "--json"]).same_stdout();
    // dvc reads what git-dvc wrote, and git-dvc what dvc wrote.
    twin.gd
        .dvc(&["update", "b.txt.dvc"])
        .success()
        .stdout_has("'b.txt.dvc' didn't change, skipping");
    twin.dvc
        .gd(&["update", "b.txt.dvc"])
        .success()
        .stdout_has("'b.txt.dvc' didn't change, skipping");
    twin.gd.dvc(&["status"]).success();
}

fn s3_put(env: &TestEnv, endpoint: &str, bucket: &str, key: &str, body: &str) {
    let script = format!(
        "import boto3\n\
         boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1',\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\
         .put_object(Bucket={bucket:?}, Key={key:?}, Body={body:?}.encode())\n"
    );
    let mut cmd = env.command(oracle_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    run_command(cmd, None).success();
}

fn s3_version_bucket(env: &TestEnv, endpoint: &str, bucket: &str) {
    s3_create_bucket(env, endpoint, bucket);
    let script = format!(
        "import boto3\n\
         boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1',\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\
         .put_bucket_versioning(Bucket={bucket:?}, VersioningConfiguration={{'Status': 'Enabled'}})\n"
    );
    let mut cmd = env.command(oracle_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    run_command(cmd, None).success();
}

#[test]
fn import_url_of_s3_matches_dvc_s3() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let bucket = prefix("iu-s3");
    s3_create_bucket(&env, &endpoint, &bucket);
    for (k, v) in [
        ("data/f.txt", "hello\n"),
        ("data/dir/x", "x\n"),
        ("data/dir/sub/y", "y\n"),
        ("data/b.txt", "b\n"),
    ] {
        s3_put(&env, &endpoint, &bucket, k, v);
    }
    let ep = format!("endpointurl={endpoint}");
    let url = |k: &str| format!("s3://{bucket}/{k}");
    let twin = project(&env);
    for args in [
        &["import-url", &url("data/f.txt"), "--fs-config", &ep][..],
        &["import-url", &url("data/dir"), "--fs-config", &ep],
        &[
            "import-url",
            &url("data/f.txt"),
            "g.txt",
            "--fs-config",
            &ep,
            "use_ssl=false",
            "region=us-east-1",
        ],
        &[
            "import-url",
            &url("data/dir"),
            "nd",
            "--no-download",
            "--fs-config",
            &ep,
        ],
        &[
            "import-url",
            &url("data/f.txt"),
            "ne",
            "--no-exec",
            "--fs-config",
            &ep,
        ],
        &["import-url", &url("data/nope"), "--fs-config", &ep],
        &["get-url", &url("data/dir"), "gdir", "--fs-config", &ep],
    ] {
        same(&twin, args);
    }
    for args in [
        &["ls-url", &url("data"), "--fs-config", &ep][..],
        &["ls-url", &url("data"), "--size", "--fs-config", &ep],
        &["ls-url", &url("data"), "-R", "--size", "--fs-config", &ep],
        &["ls-url", &url("data"), "-R", "-L", "1", "--fs-config", &ep],
        &["ls-url", &url("data"), "-T", "--size", "--fs-config", &ep],
        &["ls-url", &url("data/f.txt"), "--fs-config", &ep],
    ] {
        twin.run(args).same_stdout();
    }
    same(&twin, &["ls-url", &url("data/nope"), "--fs-config", &ep]);
    // The sources change.
    s3_put(&env, &endpoint, &bucket, "data/f.txt", "hello2\n");
    s3_put(&env, &endpoint, &bucket, "data/dir/x", "x2\n");
    same(&twin, &["update", "f.txt.dvc"]);
    same(&twin, &["update", "dir.dvc"]);
    same(&twin, &["update", "g.txt.dvc"]);
    assert_eq!(twin.gd.read("dir/x"), "x2\n");
    twin.run(&["status", "--json"]).same_stdout();
    // Each reads what the other wrote: nothing to update, and the data is in step.
    twin.gd
        .dvc(&["update", "dir.dvc"])
        .success()
        .stdout_has("'dir.dvc' didn't change, skipping");
    twin.dvc
        .gd(&["update", "dir.dvc", "f.txt.dvc"])
        .success()
        .stdout_has("'f.txt.dvc' didn't change, skipping");
    twin.gd.dvc(&["status"]).success();
    twin.gd.dvc(&["pull", "-q", "dir.dvc"]).success();
}

#[test]
fn import_url_version_aware_records_versions_like_dvc() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let bucket = prefix("iu-ver");
    s3_version_bucket(&env, &endpoint, &bucket);
    s3_put(&env, &endpoint, &bucket, "f.txt", "v1\n");
    s3_put(&env, &endpoint, &bucket, "dir/x", "x\n");
    let ep = format!("endpointurl={endpoint}");
    let url = |k: &str| format!("s3://{bucket}/{k}");
    let twin = project(&env);
    same(
        &twin,
        &[
            "import-url",
            &url("f.txt"),
            "--version-aware",
            "--fs-config",
            &ep,
        ],
    );
    same(
        &twin,
        &[
            "import-url",
            &url("dir"),
            "--version-aware",
            "--fs-config",
            &ep,
        ],
    );
    let text = twin.gd.read("f.txt.dvc");
    assert!(
        text.contains("version_id: ") && text.contains("push: false"),
        "{text}"
    );
    // pull reads the recorded versions from the bucket (nothing is in any remote),
    // even after the objects changed there. (dvc keeps what it read in its
    // `.dvc/cache/fs/s3/` cache of cloud files; git-dvc in the md5 cache, so the trees
    // differ there.)
    twin.run(&["status"]).same_output();
    s3_put(&env, &endpoint, &bucket, "dir/x", "x, later\n");
    // dvc asks the bucket for the latest versions: a file has an `update available`, a
    // directory whose files changed is `modified`; `--no-updates` asks nothing.
    twin.run(&["status"]).same_output();
    twin.run(&["status", "--json"]).same_stdout();
    twin.run(&["status", "--no-updates"]).same_output();
    s3_put(&env, &endpoint, &bucket, "f.txt", "v1, later\n");
    twin.run(&["status", "f.txt.dvc"]).same_output();
    twin.run(&["status", "--json"]).same_stdout();
    for target in ["f.txt.dvc", "dir.dvc"] {
        twin.both(|d| {
            std::fs::remove_dir_all(d.path(".dvc/cache")).expect("remove cache");
            d.remove("f.txt");
            d.remove("dir");
        });
        let out = twin.run(&["pull", target]);
        out.success().same_stdout();
        assert_eq!(out.dvc.stderr, out.gd.stderr);
    }
    assert_eq!(twin.gd.read("dir/x"), "x\n");
    twin.gd.remove("f.txt");
    twin.gd.gd(&["pull", "-q"]).success();
    assert_eq!(twin.gd.read("f.txt"), "v1\n");
    twin.gd.dvc(&["status"]).success();
    s3_put(&env, &endpoint, &bucket, "f.txt", "v2\n");
    twin.run(&["update", "f.txt.dvc"]).success().same_stdout();
    assert_eq!(twin.dvc.read("f.txt.dvc"), twin.gd.read("f.txt.dvc"));
    assert_eq!(twin.gd.read("f.txt"), "v2\n");
}

/// Puts `body` at `key` of `bucket` and returns the new version's id.
fn s3_put_version(env: &TestEnv, endpoint: &str, bucket: &str, key: &str, body: &str) -> String {
    let script = format!(
        "import boto3\n\
         print(boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1',\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\
         .put_object(Bucket={bucket:?}, Key={key:?}, Body={body:?}.encode())['VersionId'])\n"
    );
    let mut cmd = env.command(oracle_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    let out = run_command(cmd, None);
    out.success();
    out.stdout.trim().to_string()
}

/// `mode size path` of every file and directory under `dir`, sorted.
fn mode_listing(dir: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    fn walk(base: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).expect("stat");
            let rel = p
                .strip_prefix(base)
                .expect("under base")
                .display()
                .to_string();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                out.push(format!("{mode:04o} {rel}/"));
                walk(base, &p, out);
            } else {
                out.push(format!("{mode:04o} {} {rel}", meta.len()));
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out.join("\n")
}

/// An S3 URL that names a version (`?versionId=`): dvc 3.67.1 records the latest
/// version's id with the URL's, and then fails on the stage with "Path version
/// mismatch" (status, pull, update) unless the two are one. git-dvc reads the version
/// the URL names: for the latest, its `.dvc` is dvc's byte for byte; for an older one,
/// it records that version, which dvc's own status and pull then read.
#[test]
fn import_url_of_an_s3_url_naming_a_version_reads_that_version() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let bucket = prefix("iu-vid");
    s3_version_bucket(&env, &endpoint, &bucket);
    let v1 = s3_put_version(&env, &endpoint, &bucket, "f.txt", "v1\n");
    let v2 = s3_put_version(&env, &endpoint, &bucket, "f.txt", "v2\n");
    let ep = format!("endpointurl={endpoint}");
    let at = |v: &str| format!("s3://{bucket}/f.txt?versionId={v}");
    let twin = project(&env);
    same(
        &twin,
        &["import-url", &at(&v2), "latest.txt", "--fs-config", &ep],
    );
    same(
        &twin,
        &[
            "import-url",
            &at(&v2),
            "va.txt",
            "--version-aware",
            "--fs-config",
            &ep,
        ],
    );
    let text = twin.gd.read("latest.txt.dvc");
    assert!(
        text.contains(&format!("version_id: {v2}")) && text.contains("push: false"),
        "{text}"
    );
    assert!(!text.contains("version_aware"), "{text}");
    // An older version: git-dvc downloads it and records it (dvc would record v2).
    twin.gd
        .gd(&["import-url", &at(&v1), "old.txt", "--fs-config", &ep])
        .success();
    assert_eq!(twin.gd.read("old.txt"), "v1\n");
    let text = twin.gd.read("old.txt.dvc");
    assert!(text.contains(&format!("version_id: {v1}")), "{text}");
    // (dvc's status reads it, and tells that the object has a newer version.)
    twin.gd
        .dvc(&["status"])
        .success()
        .stdout_has("update available");
    twin.gd.remove("old.txt");
    std::fs::remove_dir_all(twin.gd.path(".dvc/cache")).expect("remove cache");
    twin.gd.dvc(&["pull", "-q", "old.txt.dvc"]).success();
    assert_eq!(twin.gd.read("old.txt"), "v1\n");
    // The URL names its version, so update finds nothing new, even once the object has
    // moved on.
    s3_put_version(&env, &endpoint, &bucket, "f.txt", "v3\n");
    twin.gd
        .gd(&["update", "old.txt.dvc", "latest.txt.dvc"])
        .success()
        .stdout_has("'old.txt.dvc' didn't change, skipping")
        .stdout_has("'latest.txt.dvc' didn't change, skipping");
    twin.gd.gd(&["pull", "-q"]).success();
    assert_eq!(twin.gd.read("latest.txt"), "v2\n");
    // A version that does not exist is an error, and nothing is written.
    twin.gd
        .gd(&["import-url", &at("nope"), "bad.txt", "--fs-config", &ep])
        .failure();
    assert!(!twin.gd.path("bad.txt.dvc").exists());
}

/// dvc's pull of a version-aware import-url leaves the data in its fs cache
/// (`.dvc/cache/fs/s3/<token>`, files 0644), and dvc's checkout of such a stage reads
/// only there: git-dvc's pull writes the same entries, so that dvc checks out what
/// git-dvc pulled. (git-dvc keeps the md5 objects too, for its own checkout.)
#[test]
fn pull_of_a_version_aware_import_fills_dvcs_fs_cache() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let bucket = prefix("iu-fsc");
    s3_version_bucket(&env, &endpoint, &bucket);
    s3_put(&env, &endpoint, &bucket, "f.txt", "v1\n");
    s3_put(&env, &endpoint, &bucket, "dir/x", "x\n");
    s3_put(&env, &endpoint, &bucket, "dir/sub/y", "y\n");
    let ep = format!("endpointurl={endpoint}");
    let url = |k: &str| format!("s3://{bucket}/{k}");
    let twin = project(&env);
    for k in ["f.txt", "dir"] {
        same(
            &twin,
            &["import-url", &url(k), "--version-aware", "--fs-config", &ep],
        );
    }
    // A pull with the data in the md5 cache still fills the fs cache, as dvc's does
    // (dvc also rewrites the directory from there, and says so).
    twin.run(&["pull"]).success();
    let fs = |d: &Dir<'_>| mode_listing(&d.path(".dvc/cache/fs"));
    assert_eq!(fs(&twin.dvc), fs(&twin.gd));
    assert!(fs(&twin.gd).contains(" 3 s3/"), "{}", fs(&twin.gd));
    // From nothing: the same fs cache; dvc checks out what git-dvc pulled.
    twin.both(|d| {
        std::fs::remove_dir_all(d.path(".dvc/cache")).expect("remove cache");
        d.remove("f.txt");
        d.remove("dir");
    });
    let out = twin.run(&["pull"]);
    out.success().same_stdout();
    assert_eq!(fs(&twin.dvc), fs(&twin.gd));
    twin.gd.remove("f.txt");
    twin.gd.remove("dir");
    std::fs::remove_dir_all(twin.gd.path(".dvc/cache/files")).expect("remove md5 cache");
    twin.gd.dvc(&["checkout"]).success();
    assert_eq!(twin.gd.read("dir/sub/y"), "y\n");
    // And git-dvc's pull takes what dvc's pull left, with every version of the object
    // gone from the bucket.
    std::fs::remove_dir_all(twin.dvc.path(".dvc/cache/files")).ok();
    twin.dvc.remove("f.txt");
    let script = format!(
        "import boto3\n\
         c = boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1',\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         for v in c.list_object_versions(Bucket={bucket:?}, Prefix='f.txt')['Versions']:\n\
         \x20   c.delete_object(Bucket={bucket:?}, Key='f.txt', VersionId=v['VersionId'])\n"
    );
    let mut cmd = env.command(oracle_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    run_command(cmd, None).success();
    twin.dvc.gd(&["pull", "-q", "f.txt.dvc"]).success();
    assert_eq!(twin.dvc.read("f.txt"), "v1\n");
}

#[test]
fn import_url_of_remote_url_resolves_through_the_remote() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let bucket = prefix("iu-rem");
    s3_create_bucket(&env, &endpoint, &bucket);
    s3_put(&env, &endpoint, &bucket, "base/f.txt", "via remote\n");
    let twin = project(&env);
    let both = |args: &[&str]| {
        twin.dvc.dvc(args).success();
        twin.gd.gd(args).success();
    };
    both(&["remote", "add", "src", &format!("s3://{bucket}/base")]);
    both(&["remote", "modify", "src", "endpointurl", &endpoint]);
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-qm", "remote"]);
    same(&twin, &["import-url", "remote://src/f.txt", "f.txt"]);
    assert_eq!(twin.gd.read("f.txt"), "via remote\n");
    same(&twin, &["update", "f.txt.dvc"]);
}

#[test]
fn bad_and_unreachable_urls_fail_clearly_and_write_nothing() {
    let env = TestEnv::new();
    let repo = env.git_repo("p");
    repo.gd(&["init", "-q"]).success();
    for args in [
        &["import-url", "http://me:pa55word@127.0.0.1:1/f.txt", "x"][..],
        &["get-url", "http://me:pa55word@127.0.0.1:1/f.txt", "x"],
        &["ls-url", "http://me:pa55word@127.0.0.1:1/d"],
        &[
            "import-url",
            "s3://b/f.txt",
            "x",
            "--fs-config",
            "endpointurl=http://127.0.0.1:1",
            "access_key_id=me",
            "secret_access_key=pa55word",
        ],
        &["import-url", "ssh://me:pa55word@127.0.0.1:1/f.txt", "x"],
        &["ls-url", "ssh://me:pa55word@127.0.0.1:1/d"],
        &[
            "import-url",
            "azure://c/f.txt",
            "x",
            "--fs-config",
            "connection_string=DefaultEndpointsProtocol=http;AccountName=a;AccountKey=pa55word;BlobEndpoint=http://127.0.0.1:1/a;",
        ],
        &["import-url", "nosuch://host/f.txt", "x"],
        &["import-url", "remote://nosuch/f.txt", "x"],
        &["import-url", "s3://b/f.txt", "x", "--fs-config", "novalue"],
    ] {
        let out = repo.gd(args);
        out.failure();
        assert!(out.stderr.contains("ERROR: "), "{out:?}");
        assert!(
            !out.stderr.contains("pa55word") && !out.stdout.contains("pa55word"),
            "{out:?}"
        );
        assert!(
            !repo.path("x").exists() && !repo.path("x.dvc").exists(),
            "{out:?}"
        );
    }
}

/// The `path size` lines of the objects under `dir`, without the temp files dvc leaves
/// behind in a local remote.
fn store_listing(dir: &std::path::Path) -> String {
    file_listing(dir)
        .lines()
        .filter(|l| !l.contains(".tmp "))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn import_url_and_update_to_remote_skip_the_workspace_and_cache_like_dvc() {
    let mut env = TestEnv::new();
    env.use_remote_plugins();
    let tag = prefix("tr");
    let server = http_etag_server();
    serve(server, &format!("{tag}/a.txt"), "to remote\n");
    let a = format!("{}/{tag}/a.txt", server.url);
    let ext = env.dir("ext");
    ext.write("dir/one", "1\n");
    ext.write("dir/s/two", "2\n");
    // Each twin has a store of its own at the same relative place.
    let twin = Twin {
        dvc: env.git_repo("d/p"),
        gd: env.git_repo("g/p"),
    };
    twin.init();
    let both = |args: &[&str]| {
        twin.dvc.dvc(args).success();
        twin.gd.gd(args).success();
    };
    both(&["remote", "add", "-q", "-d", "st", "../store"]);
    twin.git(&["add", "-A"]);
    twin.git(&["commit", "-qm", "init"]);
    same(&twin, &["import-url", "--to-remote", &a]);
    same(&twin, &["import-url", "--to-remote", "../../ext/dir"]);
    for args in [
        &["import-url", "--to-remote", &a, "x", "--no-download"][..],
        &["import-url", "-r", "st", &a, "x"],
        &["import-url", "--to-remote", "-r", "nosuch", &a, "x"],
    ] {
        same(&twin, args);
    }
    assert!(!twin.gd.path("a.txt").exists() && !twin.gd.path(".dvc/cache").exists());
    let stores = |rel: &str| {
        (
            store_listing(&env.root().join("d/store").join(rel)),
            store_listing(&env.root().join("g/store").join(rel)),
        )
    };
    let (d, g) = stores("");
    assert_eq!(d, g);
    assert!(g.contains("files/md5/") && g.lines().count() == 4, "{g}");
    // The source changes: update --to-remote sends the new version, as dvc's does.
    serve(server, &format!("{tag}/a.txt"), "to remote, again\n");
    same(&twin, &["update", "--to-remote", "a.txt.dvc"]);
    same(&twin, &["update", "--to-remote", "-r", "st", "dir.dvc"]);
    same(
        &twin,
        &["update", "--to-remote", "--no-download", "dir.dvc"],
    );
    let (d, g) = stores("");
    assert_eq!(d, g);
    twin.run(&["status"]).same_stdout();
    // dvc pulls what git-dvc sent.
    twin.gd.dvc(&["pull", "-q"]).success();
    assert_eq!(twin.gd.read("a.txt"), "to remote, again\n");
    assert_eq!(twin.gd.read("dir/s/two"), "2\n");
}

#[test]
fn s3_keys_that_leave_the_directory_are_refused_and_nothing_is_written() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    let bucket = prefix("iu-evil");
    s3_create_bucket(&env, &endpoint, &bucket);
    s3_put(&env, &endpoint, &bucket, "evil/ok.txt", "ok\n");
    s3_put(&env, &endpoint, &bucket, "evil/../../escape.txt", "out\n");
    let ep = format!("endpointurl={endpoint}");
    let repo = env.git_repo("p");
    repo.gd(&["init", "-q"]).success();
    let url = format!("s3://{bucket}/evil");
    for args in [
        &["import-url", &url, "--fs-config", &ep][..],
        &["get-url", &url, "--fs-config", &ep],
    ] {
        let out = repo.gd(args);
        out.failure().stderr_has("not a safe path");
        assert!(!repo.path("evil").exists() && !repo.path("evil.dvc").exists());
        assert!(!env.root().join("escape.txt").exists());
    }
}

#[test]
fn import_url_of_gs_matches_dvc_gs() {
    let mut env = TestEnv::new();
    env.use_remote_plugins();
    // gcsfs probes each bucket over gRPC, which the emulator never answers.
    env.set_var("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false");
    let server = gcs_server();
    let bucket = prefix("iu-gs");
    gcs_create_bucket(server, &bucket);
    gcs_put_object(server, &bucket, "d/f.txt", b"gfile\n");
    gcs_put_object(server, &bucket, "d/s/x", b"x\n");
    let ep = format!("endpointurl={}", server.url);
    let anon = "allow_anonymous_login=true";
    let url = |k: &str| format!("gs://{bucket}/{k}");
    let twin = project(&env);
    // dvc-gs records the ETag (base64 decoded to hex) and the generation as version_id;
    // a directory's md5 is that of its ETag list, kept in the cache.
    same(
        &twin,
        &["import-url", &url("d/f.txt"), "--fs-config", &ep, anon],
    );
    assert!(twin.gd.read("f.txt.dvc").contains("version_id: '"));
    same(&twin, &["import-url", &url("d"), "--fs-config", &ep, anon]);
    assert_eq!(twin.gd.read("d/s/x"), "x\n");
    for args in [
        &[
            "ls-url",
            &url("d"),
            "-R",
            "--size",
            "--fs-config",
            &ep,
            anon,
        ][..],
        &["ls-url", &url("d"), "--fs-config", &ep, anon],
        &["ls-url", &url("d/f.txt"), "--fs-config", &ep, anon],
    ] {
        twin.run(args).success().same_stdout();
    }
    // The object changes: update downloads the new version, as dvc's.
    gcs_put_object(server, &bucket, "d/f.txt", b"gfile, again\n");
    same(&twin, &["update", "f.txt.dvc"]);
    assert_eq!(twin.gd.read("f.txt"), "gfile, again\n");
}

/// `--version-aware` on GCS: dvc-gs records each object's generation (`version_id`), a
/// directory's `files:` and `push: false`; pull reads the recorded generations into
/// dvc's fs cache (`.dvc/cache/fs/gs/`). fake-gcs-server's filesystem backend keeps no
/// old generations ("fs storage type does not support versioning yet"; its memory
/// backend does), so what is checked here is the live generation.
#[test]
fn import_url_version_aware_of_gs_matches_dvc_gs() {
    let mut env = TestEnv::new();
    env.use_remote_plugins();
    env.set_var("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false");
    let server = gcs_server();
    let bucket = prefix("iu-gsv");
    gcs_create_bucket(server, &bucket);
    gcs_put_object(server, &bucket, "f.txt", b"g1\n");
    gcs_put_object(server, &bucket, "d/x", b"x\n");
    gcs_put_object(server, &bucket, "d/s/y", b"y\n");
    let ep = format!("endpointurl={}", server.url);
    let anon = "allow_anonymous_login=true";
    let url = |k: &str| format!("gs://{bucket}/{k}");
    let twin = project(&env);
    for k in ["f.txt", "d"] {
        same(
            &twin,
            &[
                "import-url",
                &url(k),
                "--version-aware",
                "--fs-config",
                &ep,
                anon,
            ],
        );
    }
    let text = twin.gd.read("d.dvc");
    assert!(
        text.contains("  files:\n") && text.contains("push: false"),
        "{text}"
    );
    twin.run(&["status"]).success().same_stdout();
    twin.both(|d| {
        std::fs::remove_dir_all(d.path(".dvc/cache")).expect("remove cache");
        d.remove("f.txt");
        d.remove("d");
    });
    let out = twin.run(&["pull"]);
    out.success().same_stdout();
    let fs = |d: &Dir<'_>| mode_listing(&d.path(".dvc/cache/fs"));
    assert_eq!(fs(&twin.dvc), fs(&twin.gd));
    assert!(fs(&twin.gd).contains(" gs/"), "{}", fs(&twin.gd));
    assert_eq!(twin.gd.read("d/s/y"), "y\n");
    // A new generation: update takes it, as dvc's. (dvc's status differs here: after
    // its pull it reports the outs "not in cache", as it looks in the md5 cache only,
    // and "update available" for the new generation, which git-dvc does not report.)
    gcs_put_object(server, &bucket, "f.txt", b"g2, later\n");
    twin.run(&["update", "f.txt.dvc"]).success().same_stdout();
    assert_eq!(twin.dvc.read("f.txt.dvc"), twin.gd.read("f.txt.dvc"));
    assert_eq!(twin.gd.read("f.txt"), "g2, later\n");
    twin.gd.dvc(&["status"]).success();
}

/// Uploads `body` as blob `name` of `container` on Azurite.
fn azure_put(env: &TestEnv, container: &str, name: &str, body: &str) {
    azure_py(
        env,
        &format!(
            "svc.get_blob_client({container:?}, {name:?}).upload_blob({body:?}.encode(), overwrite=True)"
        ),
    );
}

#[test]
fn import_url_of_azure_matches_dvc_azure() {
    let mut env = TestEnv::new();
    env.use_remote_plugins();
    let server = azurite_server();
    let container = prefix("iu-az");
    azure_py(&env, &format!("svc.create_container({container:?})"));
    azure_put(&env, &container, "d/f.txt", "afile\n");
    azure_put(&env, &container, "d/s/x", "x\n");
    let cs = format!("connection_string={}", server.url);
    let url = |k: &str| format!("azure://{container}/{k}");
    let twin = project(&env);
    // dvc-azure records the ETag with its quotes and no version; a directory's md5 is
    // that of its ETag list, kept in the cache.
    for args in [
        &["import-url", &url("d/f.txt"), "--fs-config", &cs][..],
        &["import-url", &url("d"), "--fs-config", &cs],
        &[
            "import-url",
            &url("d"),
            "nd",
            "--no-download",
            "--fs-config",
            &cs,
        ],
        &["import-url", &url("nope"), "--fs-config", &cs],
        &["get-url", &url("d"), "gdir", "--fs-config", &cs],
        &["ls-url", &url("nope"), "--fs-config", &cs],
    ] {
        same(&twin, args);
    }
    assert!(twin.gd.read("f.txt.dvc").contains("etag: '\"0x"));
    assert_eq!(twin.gd.read("d/s/x"), "x\n");
    assert_eq!(twin.gd.read("gdir/f.txt"), "afile\n");
    for args in [
        &["ls-url", &url("d"), "-R", "--size", "--fs-config", &cs][..],
        &["ls-url", &url("d"), "-T", "--size", "--fs-config", &cs],
        &["ls-url", &url("d"), "--size", "--fs-config", &cs],
        &["ls-url", &url("d"), "--fs-config", &cs],
        &["ls-url", &url("d/f.txt"), "--fs-config", &cs],
    ] {
        twin.run(args).success().same_stdout();
    }
    same(&twin, &["update", "f.txt.dvc"]);
    // The blobs change: update downloads the new versions, as dvc's.
    azure_put(&env, &container, "d/f.txt", "afile, again\n");
    azure_put(&env, &container, "d/s/x", "x2\n");
    same(&twin, &["update", "f.txt.dvc"]);
    same(&twin, &["update", "d.dvc"]);
    same(&twin, &["update", "--no-download", "nd.dvc"]);
    assert_eq!(twin.gd.read("f.txt"), "afile, again\n");
    assert_eq!(twin.gd.read("d/s/x"), "x2\n");
    twin.run(&["status", "--json"]).same_stdout();
    // dvc reads what git-dvc wrote: nothing to update, and the data is in step.
    twin.gd
        .dvc(&["update", "d.dvc"])
        .success()
        .stdout_has("'d.dvc' didn't change, skipping");
    twin.gd.dvc(&["status"]).success();
    twin.gd.remove("d");
    twin.gd.dvc(&["pull", "-q", "d.dvc"]).success();
    assert_eq!(twin.gd.read("d/f.txt"), "afile, again\n");
}

#[test]
fn webdav_urls_are_refused_saying_why() {
    // dvc-webdav 3.67.1 fails to import a single file and records wrong relpaths for a
    // directory, so there is no dvc stage to match: git-dvc refuses, naming the reason.
    let env = TestEnv::new();
    let repo = env.git_repo("p");
    repo.gd(&["init", "-q"]).success();
    for args in [
        &["import-url", "webdav://127.0.0.1:1/d/f.txt"][..],
        &["import-url", "webdavs://127.0.0.1:1/d", "x"],
        &["get-url", "webdav://127.0.0.1:1/d/f.txt"],
        &["ls-url", "webdav://127.0.0.1:1/d"],
    ] {
        let out = repo.gd(args);
        out.failure()
            .stderr_has("ERROR: ")
            .stderr_has("dvc-webdav 3.67.1 itself fails to import a single file");
        for p in ["f.txt", "f.txt.dvc", "x", "x.dvc", "d"] {
            assert!(!repo.path(p).exists(), "{p}: {out:?}");
        }
    }
}

#[test]
fn import_url_of_ssh_matches_dvc_ssh() {
    let mut env = TestEnv::new();
    env.use_remote_plugins();
    let server = ssh_server();
    let ssh = env.root().join("home/.ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("known_hosts"), server.known_hosts_line()).unwrap();
    let src = server.root.join(prefix("iu-ssh"));
    let put = |rel: &str, body: &str| {
        let p = src.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    put("d/f.txt", "sfile\n");
    put("d/s/x", "x\n");
    let key = format!("keyfile={}", server.keyfile.display());
    let url = |k: &str| {
        format!(
            "ssh://{}@127.0.0.1:{}{}/{k}",
            server.user,
            server.port,
            src.display()
        )
    };
    let twin = project(&env);
    // dvc-ssh records the content's md5, size and nfiles, as for a local path.
    for args in [
        &["import-url", &url("d/f.txt"), "--fs-config", &key][..],
        &["import-url", &url("d"), "--fs-config", &key],
        &[
            "import-url",
            &url("d"),
            "nd",
            "--no-download",
            "--fs-config",
            &key,
        ],
        &["import-url", &url("nope"), "--fs-config", &key],
        &["get-url", &url("d"), "gdir", "--fs-config", &key],
        &["ls-url", &url("nope"), "--fs-config", &key],
    ] {
        same(&twin, args);
    }
    assert!(twin.gd.read("d.dvc").contains("nfiles: 2"));
    assert_eq!(twin.gd.read("gdir/s/x"), "x\n");
    for args in [
        &["ls-url", &url("d"), "-R", "--size", "--fs-config", &key][..],
        // sshfs gives directories their size too.
        &["ls-url", &url("d"), "-T", "--size", "--fs-config", &key],
        &[
            "ls-url",
            &url("d"),
            "-R",
            "-L",
            "1",
            "--size",
            "--fs-config",
            &key,
        ],
        &["ls-url", &url("d"), "--size", "--fs-config", &key],
        &["ls-url", &url("d"), "--fs-config", &key],
        &["ls-url", &url("d/f.txt"), "--fs-config", &key],
    ] {
        twin.run(args).success().same_stdout();
    }
    same(&twin, &["update", "d.dvc"]);
    // The files change: update reads them again and imports the new data, as dvc's.
    put("d/f.txt", "sfile, again\n");
    put("d/s/x", "x2\n");
    same(&twin, &["update", "f.txt.dvc"]);
    same(&twin, &["update", "d.dvc"]);
    same(&twin, &["update", "--no-download", "nd.dvc"]);
    assert_eq!(twin.gd.read("f.txt"), "sfile, again\n");
    assert_eq!(twin.gd.read("d/s/x"), "x2\n");
    twin.run(&["status", "--json"]).same_stdout();
    // dvc reads what git-dvc wrote: nothing to update, and the data is in step.
    twin.gd
        .dvc(&["update", "d.dvc"])
        .success()
        .stdout_has("'d.dvc' didn't change, skipping");
    twin.gd.dvc(&["status"]).success();
    twin.gd.remove("d");
    twin.gd.dvc(&["pull", "-q", "d.dvc"]).success();
    assert_eq!(twin.gd.read("d/s/x"), "x2\n");
    // Through a remote of the project, with its keyfile.
    let base = url("");
    for args in [
        &["remote", "add", "sr", base.trim_end_matches('/')][..],
        &[
            "remote",
            "modify",
            "sr",
            "keyfile",
            &server.keyfile.display().to_string(),
        ],
    ] {
        twin.dvc.dvc(args).success();
        twin.gd.gd(args).success();
    }
    same(&twin, &["import-url", "remote://sr/d", "rd"]);
    assert_eq!(twin.gd.read("rd/f.txt"), "sfile, again\n");
    same(&twin, &["update", "rd.dvc"]);
}

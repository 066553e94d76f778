//! The loopback S3 server the harness starts for S3 tests.

use crate::harness::*;

#[test]
fn moto_serves_s3() {
    let mut env = TestEnv::new();
    let endpoint = env.use_s3();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    s3_create_bucket(&env, &endpoint, "harness-check");
    assert_eq!(s3_listing(&env, &endpoint, "harness-check", ""), "");
    // The oracle can push to it.
    let repo = env.git_repo("s3repo");
    repo.dvc(&["init", "-q"]).success();
    repo.dvc(&["remote", "add", "-d", "s3", "s3://harness-check/store"])
        .success();
    repo.dvc(&["remote", "modify", "s3", "endpointurl", &endpoint])
        .success();
    repo.write("f.txt", "hello\n");
    repo.dvc(&["add", "-q", "f.txt"]).success();
    repo.dvc(&["push", "-q"]).success();
    assert_eq!(
        s3_listing(&env, &endpoint, "harness-check", "store/"),
        "store/files/md5/b1/946ac92492d2347c6235b4d2611184 6\n"
    );
}

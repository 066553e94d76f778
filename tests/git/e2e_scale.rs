//! 10,000 pointer files in one checkout: one filter session materializes them in
//! parallel, within seconds, and the reverse switch removes them again
//! (spec/git-integration.md §7, edge case 31).

use crate::e2e_support::*;
use crate::harness::*;
use std::time::Instant;

const POINTERS: usize = 10_000;

#[test]
fn ten_thousand_pointers_in_one_checkout() {
    let env = TestEnv::new();
    let d = installed_repo(&env);
    // Write the pointers, .gitignore and cache objects directly (as `dvc add` would):
    // this test is about checkout, not about adding 10,000 targets.
    let mut ignore = String::new();
    for i in 0..POINTERS {
        let name = format!("f{i:05}");
        let body = format!("content {i}\n");
        let md5 = md5_hex(body.as_bytes());
        let obj = d.path(&format!(".dvc/cache/files/md5/{}/{}", &md5[..2], &md5[2..]));
        std::fs::create_dir_all(obj.parent().expect("parent")).expect("mkdir");
        if !obj.exists() {
            std::fs::write(&obj, &body).expect("write object");
            set_mode(&obj, 0o444);
        }
        d.write(
            &format!("p/{name}.dvc"),
            format!(
                "outs:\n- md5: {md5}\n  size: {}\n  hash: md5\n  path: {name}\n",
                body.len()
            ),
        );
        d.write(&format!("p/{name}"), &body);
        ignore.push_str(&format!("/{name}\n"));
    }
    d.write("p/.gitignore", ignore);
    d.git(&["add", "-A"]).success();
    d.git(&["commit", "-q", "-m", "many"]).success();
    d.git(&["checkout", "-q", "-b", "none"]).success();
    d.git(&["rm", "-q", "-r", "p"]).success();
    d.git(&["commit", "-q", "-m", "none"]).success();
    assert!(d.exists("p/f00000"), "a commit never deletes data");

    // Removal: post-checkout deletes 10,000 unmodified outs.
    d.git(&["checkout", "-q", "main"]).success();
    let start = Instant::now();
    let out = d.git(&["checkout", "-q", "none"]);
    let removal = start.elapsed();
    out.success();
    assert!(!d.exists("p/f00000") && !d.exists("p/f09999"));

    // Materialization: one filter session, delayed and in parallel.
    let start = Instant::now();
    let out = d.git(&["checkout", "-q", "main"]);
    let materialize = start.elapsed();
    out.success();
    assert!(out.stderr.is_empty(), "{out:?}");
    for i in [0, 1234, POINTERS - 1] {
        assert_eq!(
            content(&d, &format!("p/f{i:05}")),
            Some(format!("content {i}\n"))
        );
    }
    eprintln!("10k pointers: checkout with data {materialize:?}, removal {removal:?}");
    // Generous bounds (debug build, loaded machine); bench/git.sh measures release.
    assert!(materialize.as_secs() < 30, "{materialize:?}");
    assert!(removal.as_secs() < 30, "{removal:?}");
    // `git status` right after (racy-clean entries get cleaned) has no side effects.
    assert_git_clean(&d);
    let st = d.git(&["dvc", "status", "-q"]);
    st.success();
}

//! The one integration-test binary (`cargo test --test git`): drives the real `git-dvc`
//! in hermetic temp environments, with real git and the pinned dvc 3.67.1 as oracles.
//!
//! Every `tests/git/*.rs` file must be declared below; `every_test_file_is_a_module`
//! fails otherwise (a forgotten file would silently never run).
#![allow(
    clippy::disallowed_methods,
    reason = "test set-up: a failing std::fs call panics with its own context"
)]

mod harness;

mod add;
mod checkout;
mod commands;
mod compat;
mod concurrency;
mod config;
mod config_remote;
mod crash;
mod e2e_checkout;
mod e2e_commit;
mod e2e_hooks;
mod e2e_merge;
mod e2e_push;
mod e2e_scale;
mod e2e_support;
mod e2e_watchman;
mod env;
mod errors;
mod flags;
mod hostile;
mod init;
mod interop;
mod layers;
mod maint_diff;
mod maint_gc;
mod maint_verify;
mod misc;
mod moto;
mod registry;
mod registry_url;
mod remote_backends;
mod remote_local;
mod remote_s3;
mod servers;
mod status;
mod tty;

#[test]
fn every_test_file_is_a_module() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/git");
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("read main.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read tests/git") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 file name");
        if stem == "main" {
            continue;
        }
        if !main.lines().any(|l| l.trim() == format!("mod {stem};")) {
            missing.push(stem.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "tests/git/main.rs does not declare: {missing:?}"
    );
}

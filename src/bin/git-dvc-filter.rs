//! `git-dvc-filter`: the long-running process filter git starts for `filter=dvc` paths
//! (`filter.dvc.process=git-dvc-filter`). Glue only: logging, environment, stdio.
//!
//! git starts it in the worktree top; stdout carries the protocol, stderr reaches the
//! user. Exit status: 0 when git closes the stream, 1 on a protocol error (git then
//! passes the file through and restarts the filter for the next one).

use git_dvc::filter::materialize::EngineMaterializer;
use git_dvc::filter::{SKIP_SMUDGE_ENV, process};
use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

fn main() -> ExitCode {
    git_dvc::cli::logging::init(0, false);
    let options = process::Options {
        skip_smudge: std::env::var_os(SKIP_SMUDGE_ENV).is_some_and(|v| v == "1" || v == "true"),
        use_delay: std::env::var_os("GIT_DVC_FILTER_NO_DELAY")
            .is_none_or(|v| v.is_empty() || v == "0"),
    };
    let root = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let mut materializer = EngineMaterializer::new(root);
    let stdin = BufReader::with_capacity(128 * 1024, std::io::stdin().lock());
    let stdout = BufWriter::with_capacity(128 * 1024, std::io::stdout().lock());
    match process::run(stdin, stdout, &mut materializer, &options) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            let mut message = format!("git-dvc-filter: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            eprintln!("{message}");
            ExitCode::from(1)
        }
    }
}

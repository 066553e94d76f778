//! `git-dvc-filter`: the long-running process filter git starts for `filter=dvc` paths
//! (`filter.dvc.process=git-dvc-filter`). Glue only: logging, environment, stdio.
//!
//! git starts it in the worktree top; stdout carries the protocol, stderr reaches the
//! user. Exit status: 0 when git closes the stream, 1 on a protocol error (git then
//! passes the file through and restarts the filter for the next one).
//!
//! With a `--global` install no hooks exist in a fresh clone, so on the first pointer it
//! materializes in a DVC repository whose local config does not set the filter, the
//! filter installs the hooks (opt out with `gitdvc.autoInstallHooks=false`).

use git_dvc::env::ProcessEnv;
use git_dvc::filter::materialize::EngineMaterializer;
use git_dvc::filter::process::{self, Materialized, Materializer, QueueOutcome};
use git_dvc::git::{ConfigScope, Git};
use std::io::{BufReader, BufWriter};
use std::process::ExitCode;

/// Installs missing hooks once, on the first pointer that has work, then delegates.
struct LazyHooks<M> {
    inner: M,
    checked: bool,
}

impl<M: Materializer> Materializer for LazyHooks<M> {
    fn queue(&mut self, pathname: &str, pointer: &[u8]) -> QueueOutcome {
        let outcome = self.inner.queue(pathname, pointer);
        if !self.checked && outcome == QueueOutcome::Queued {
            self.checked = true;
            ensure_hooks();
        }
        outcome
    }
    fn finish(&mut self) -> Vec<Materialized> {
        self.inner.finish()
    }
    fn discard(&mut self) {
        self.inner.discard();
    }
}

fn ensure_hooks() {
    let git = Git::current();
    let local_install = git
        .config_get(ConfigScope::Local, "filter.dvc.process")
        .ok()
        .flatten()
        .is_some();
    let opted_out = !git.gitdvc_settings().auto_install_hooks;
    if local_install || opted_out {
        return;
    }
    match git_dvc::hooks::install::install_hooks(&git) {
        Ok(changes) => {
            for change in changes {
                tracing::info!("git-dvc: {change}");
            }
        }
        Err(e) => tracing::warn!("git-dvc: could not install hooks: {e}"),
    }
}

fn main() -> ExitCode {
    let env = ProcessEnv::capture();
    git_dvc::cli::logging::init(0, false, &env);
    let options = process::Options {
        skip_smudge: env.skip_smudge,
        use_delay: !env.filter_no_delay,
    };
    let root = env.cwd.clone().unwrap_or_else(|| ".".into());
    let here = root.clone();
    git_dvc::data::durability::set_reader(move || git_dvc::git::Git::new(&here).fsync_setting());
    let mut materializer = LazyHooks {
        inner: EngineMaterializer::new(root, env),
        checked: false,
    };
    let stdin = BufReader::with_capacity(128 * 1024, std::io::stdin().lock());
    let stdout = BufWriter::with_capacity(128 * 1024, std::io::stdout().lock());
    let served = process::run(stdin, stdout, &mut materializer, &options);
    // `gitdvc.fsync`: the object directories the clean filter wrote into reach the disk.
    let synced = git_dvc::data::durability::flush();
    match served {
        Ok(_) => match synced {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("git-dvc-filter: cannot fsync the cache: {e}");
                ExitCode::from(1)
            }
        },
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

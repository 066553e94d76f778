//! `git-dvc-filter`: git's long-running process filter on `.dvc` and `dvc.lock` pointers.
//!
//! Layers: [`pktline`] (framing) → [`protocol`] (typed handshake, requests and
//! responses) → [`process`] (the session loop, identity on content, materialization as
//! a side effect of worktree smudges) → [`materialize`] (the default materializer that
//! calls the engine). The filter is configured as the single word `git-dvc-filter` and
//! never `required`, so a missing or crashing filter degrades to passthrough.
//!
//! Stdout belongs to git: diagnostics go through `tracing` to stderr only.

pub mod materialize;
pub mod pktline;
pub mod process;
pub mod protocol;

pub use crate::env::SKIP_SMUDGE_ENV;

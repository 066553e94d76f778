//! git-dvc: a Rust reimplementation of DVC 3.x's data layer, wired into git.
//!
//! Imports flow one way: `cli` → `hooks`, `filter` → `worktree` → `data` and `git`, with
//! `env` (the process environment, captured once in each binary's `main`) beside them.
//! `data` is the engine and never touches git, the terminal or the process environment.
//! `tests/git/layers.rs` fails when an import goes the other way. See
//! `docs/ARCHITECTURE.md`.
pub mod cli;
pub mod data;
pub mod env;
pub mod filter;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod git;
pub mod hooks;
pub mod progress;
pub mod worktree;

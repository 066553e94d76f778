//! git-dvc: a Rust reimplementation of DVC 3.x's data layer, wired into git.
//!
//! Imports flow `cli -> hooks, filter -> data`; `data` is the engine and never
//! touches git, the terminal or the process environment.
pub mod cli;
pub mod data;
pub mod filter;
pub mod git;
pub mod hooks;

//! The engine: DVC 3.x's data layer, named after dvc-data.
//!
//! Invariant: nothing in here imports `git`, `cli`, clap or terminal crates, prints,
//! reads environment variables or exits. It takes paths and hashes.
#![warn(missing_docs)]

pub mod atomic;
pub mod checkout;
pub mod commit;
pub mod config;
pub mod data_status;
pub mod du;
pub mod durability;
pub mod dvcfile;
pub mod freeze;
pub mod gc;
pub mod gitignore;
pub mod hash;
pub mod history;
pub mod ignore;
pub mod io;
pub mod lock;
pub mod merge;
pub mod migrate;
pub mod mv;
pub mod odb;
pub mod pathsafe;
pub mod pipeline;
pub mod pointer;
pub mod progress;
#[cfg(test)]
mod props;
pub mod registry;
pub mod remote;
pub mod repo;
pub mod state;
pub mod status;
pub mod transfer;
pub mod tree;
pub mod unprotect;
pub mod walk;
pub mod watch;
pub mod yaml;

/// The most threads git-dvc starts for CPU or blocking file work, whatever `-j` says:
/// `-j` means concurrency, and network transfers stay async with `jobs` requests in
/// flight, so thousands of threads would only cost start-up time (`-j 10000` took minutes
/// on two files).
pub const MAX_THREADS: usize = 64;

//! remotes (stub)

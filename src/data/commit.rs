//! commit (stub)

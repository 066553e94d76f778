//! ignore (stub)

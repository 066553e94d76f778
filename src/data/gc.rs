//! gc (stub)

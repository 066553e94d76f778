//! hash (stub)

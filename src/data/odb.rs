//! odb (stub)

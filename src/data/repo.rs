//! repo (stub)

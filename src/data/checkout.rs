//! checkout (stub)

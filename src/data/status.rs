//! status (stub)

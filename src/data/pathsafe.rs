//! pathsafe (stub)

//! gitignore (stub)

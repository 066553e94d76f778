//! transfer (stub)

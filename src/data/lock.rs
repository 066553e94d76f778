//! lock (stub)

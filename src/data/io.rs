//! The engine's one file-system error: what was being done, to which path, and the
//! `io::Error` (kept as the source). Each module's error enum wraps it as `Io(IoError)`.

use std::path::{Path, PathBuf};

/// A failed file-system operation.
#[derive(Debug, thiserror::Error)]
#[error("{op} '{path}': {source}")]
pub struct IoError {
    /// What we were doing (`read`, `rename into`, ...).
    pub op: &'static str,
    /// The path it was done to.
    pub path: PathBuf,
    /// The cause.
    #[source]
    pub source: std::io::Error,
}

impl IoError {
    /// A `map_err` adapter: `fs_err::read(p).map_err(IoError::at("read", p))?`.
    pub fn at<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> IoError + 'a {
        move |source| IoError {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The kind of the underlying `io::Error`.
    pub fn kind(&self) -> std::io::ErrorKind {
        self.source.kind()
    }
}

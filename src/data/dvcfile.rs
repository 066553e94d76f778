//! `.dvc` and `dvc.lock` files: parsing, fresh writing and lossless rewriting.
//! (API skeleton; the formats owner fills it in.)

use std::fmt;

/// One output (`outs:` entry) of a `.dvc` file or a `dvc.lock` stage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Out {
    /// Path relative to the `.dvc` file's directory (or the dvc.yaml dir + wdir), `/`-separated.
    pub path: String,
    /// Lowercased checksum; directories end in `.dir`. None when not yet computed.
    pub md5: Option<String>,
    /// Total byte size.
    pub size: Option<u64>,
    /// File count for directory outs.
    pub nfiles: Option<u64>,
    /// Executable bit (single-file outs only).
    pub isexec: bool,
    /// `Some("md5")` for 3.x outs; `None` means legacy 2.x `md5-dos2unix`.
    pub hash: Option<String>,
    /// `cache: false` outs are not cached.
    pub cache: bool,
    /// `push: false` outs are not pushed.
    pub push: bool,
    /// Per-out remote name.
    pub remote: Option<String>,
}

impl Out {
    /// A 2.x out (no `hash:` key): md5-dos2unix and the legacy cache layout.
    pub fn is_legacy(&self) -> bool {
        self.hash.is_none()
    }
    /// A directory out (md5 ends in `.dir`).
    pub fn is_dir(&self) -> bool {
        self.md5.as_deref().is_some_and(|m| m.ends_with(".dir"))
    }
}

/// Error parsing a `.dvc` / `dvc.lock` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Human readable reason, DVC-style where possible.
    pub message: String,
}
impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for ParseError {}

/// A parsed `.dvc` file.
#[derive(Debug, Clone, Default)]
pub struct DvcFile {
    /// The outs, in file order.
    pub outs: Vec<Out>,
    /// Number of deps (import stages have deps).
    pub deps: Vec<Out>,
    /// `frozen: true`.
    pub frozen: bool,
    /// The stage md5 (imports).
    pub md5: Option<String>,
}

/// Parse a `.dvc` file.
pub fn parse(_text: &str) -> Result<DvcFile, ParseError> {
    Err(ParseError { message: "not implemented".into() })
}

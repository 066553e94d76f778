//! [`ConfigError`], whose `Display` is dvc's own `config file error: …` text, and
//! [`py_repr`], Python's `repr()` of a string, which dvc's and configobj's messages quote
//! names and values with.

use std::path::{Path, PathBuf};

/// Everything that can go wrong loading, validating or writing DVC config.
///
/// `Display` renders dvc's own text (`config file error: …`) so the CLI can print it verbatim;
/// [`ConfigError::file`] names the file involved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// configobj could not parse the file (`Parse error in value at line 2.`).
    #[error("config file error: {message}")]
    Parse {
        /// The file.
        file: PathBuf,
        /// configobj's message, e.g. `Duplicate keyword name at line 3.`.
        message: String,
    },
    /// The merged config does not pass dvc's schema.
    #[error("config file error: {message} @ {}", format_key_path(.key_path))]
    Invalid {
        /// The highest-priority file that sets the offending key, when one does.
        file: Option<PathBuf>,
        /// Path of the key, e.g. `["core", "autostage"]`.
        key_path: Vec<String>,
        /// voluptuous' message including its `for dictionary value` suffix where dvc has it.
        message: String,
    },
    /// A command-level config error with dvc's message (`remote 'x' doesn't exist.`).
    #[error("config file error: {message}")]
    Other {
        /// The message after `config file error: `.
        message: String,
    },
    /// A value that configobj (and so dvc) cannot write to a file.
    #[error("config file error: cannot write {what} to '{}': {reason}", file.display())]
    Unwritable {
        /// The file we refused to write.
        file: PathBuf,
        /// What could not be written (`value of 'remote.x.url'`).
        what: String,
        /// Why.
        reason: String,
    },
    /// Reading or writing a config file failed.
    #[error("config file error: cannot {action} '{}': {source}", file.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        file: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl ConfigError {
    /// The file the error is about, when known.
    pub fn file(&self) -> Option<&Path> {
        match self {
            ConfigError::Parse { file, .. }
            | ConfigError::Unwritable { file, .. }
            | ConfigError::Io { file, .. } => Some(file),
            ConfigError::Invalid { file, .. } => file.as_deref(),
            ConfigError::Other { .. } => None,
        }
    }

    /// True for configobj parse errors (dvc prints their message twice, as `msg: msg`).
    pub fn is_parse(&self) -> bool {
        matches!(self, ConfigError::Parse { .. })
    }

    pub(super) fn other(message: impl Into<String>) -> Self {
        ConfigError::Other {
            message: message.into(),
        }
    }
}

pub(super) fn format_key_path(path: &[String]) -> String {
    let mut s = String::from("data");
    for k in path {
        s.push('[');
        s.push_str(&py_repr(k));
        s.push(']');
    }
    s
}

/// Python's `repr()` of a `str` (used in dvc's messages).
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

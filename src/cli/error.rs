//! `CommandError`: a kind (mapped to DVC's exit codes), a message, causes and hints.
//!
//! Rendered like dvc (`ERROR: ...` on stderr) so scripts that parse dvc keep working,
//! followed by our own `hint:` lines.

use std::fmt::Display;

/// How an error maps to an exit code (DVC's conventions, spec §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A command's own handled failure: exit 1.
    Failed,
    /// Config error: exit 251.
    Config,
    /// Not inside a DVC repository: exit 253.
    NotARepo,
    /// Unhandled DVC exception class (checkout failure, lock busy): exit 255.
    Unhandled,
    /// Usage error: exit 254 like dvc's argparse.
    Usage,
    /// A bare exit code with nothing to print (e.g. `status -q` with changes).
    Silent(u8),
}

/// The error type of every command.
#[derive(Debug)]
pub struct CommandError {
    /// Exit-code class.
    pub kind: ErrorKind,
    /// Main message (rendered after `ERROR: `).
    pub message: String,
    /// `caused by:` chain.
    pub causes: Vec<String>,
    /// `hint:` lines.
    pub hints: Vec<String>,
}

/// Result of a command.
pub type CommandResult<T = ()> = Result<T, CommandError>;

impl CommandError {
    /// A handled failure (exit 1).
    pub fn failed(message: impl Display) -> Self {
        Self::new(ErrorKind::Failed, message)
    }
    /// An error with the given kind.
    pub fn new(kind: ErrorKind, message: impl Display) -> Self {
        CommandError {
            kind,
            message: message.to_string(),
            causes: Vec::new(),
            hints: Vec::new(),
        }
    }
    /// Exit 255-class failure.
    pub fn unhandled(message: impl Display) -> Self {
        Self::new(ErrorKind::Unhandled, message)
    }
    /// Exit silently with `code`.
    pub fn silent(code: u8) -> Self {
        Self::new(ErrorKind::Silent(code), "")
    }
    /// Add a hint.
    pub fn hint(mut self, hint: impl Display) -> Self {
        self.hints.push(hint.to_string());
        self
    }
    /// Build from any error, recording its source chain.
    pub fn from_error(kind: ErrorKind, err: &(dyn std::error::Error + 'static)) -> Self {
        let mut e = Self::new(kind, err);
        let mut src = err.source();
        while let Some(s) = src {
            let text = s.to_string();
            if !e.message.contains(&text) {
                e.causes.push(text);
            }
            src = s.source();
        }
        e
    }
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Failed => 1,
            ErrorKind::Config => 251,
            ErrorKind::NotARepo => 253,
            ErrorKind::Unhandled => 255,
            ErrorKind::Usage => 254,
            ErrorKind::Silent(c) => c,
        }
    }
    /// Print to stderr.
    pub fn render(&self) {
        if matches!(self.kind, ErrorKind::Silent(_)) {
            return;
        }
        let mut out = format!("ERROR: {}\n", self.message);
        for c in &self.causes {
            out.push_str(&format!("caused by: {c}\n"));
        }
        for h in &self.hints {
            out.push_str(&format!("hint: {h}\n"));
        }
        eprint!("{out}");
    }
}

impl From<std::io::Error> for CommandError {
    fn from(e: std::io::Error) -> Self {
        CommandError::from_error(ErrorKind::Failed, &e)
    }
}

impl From<anyhow::Error> for CommandError {
    fn from(e: anyhow::Error) -> Self {
        let mut ce = CommandError::failed(&e);
        for c in e.chain().skip(1) {
            ce.causes.push(c.to_string());
        }
        ce
    }
}

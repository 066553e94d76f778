//! `CommandError`: a kind (mapped to DVC's exit codes), a typed source, and hints.
//!
//! Everything below `cli` returns typed errors (`thiserror`); they become a
//! `CommandError` only here, through the `From` impls at the bottom of this file, which
//! classify each engine and git error into an exit class and attach its hints. Rendered
//! like dvc (`ERROR: ...` on stderr, with dvc's wording where scripts match it), then
//! `caused by:` lines for the source chain and our own `hint:` lines.

use crate::data::config::ConfigError;
use crate::data::lock::LockError;
use crate::data::repo::{RepoError, TargetError};
use crate::data::transfer::TransferError;
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

/// A typed error below the CLI, kept whole for its source chain.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The error type of every command.
#[derive(Debug)]
pub struct CommandError {
    /// Exit-code class.
    pub kind: ErrorKind,
    /// The headline, when it is not the source's own message (dvc's wording around a
    /// typed error, or a plain message).
    message: Option<String>,
    /// The typed error this one stands for.
    source: Option<Source>,
    /// `hint:` lines.
    pub hints: Vec<String>,
}

/// Result of a command.
pub type CommandResult<T = ()> = Result<T, CommandError>;

impl CommandError {
    /// A handled failure (exit 1) with a plain message.
    pub fn failed(message: impl Display) -> Self {
        Self::new(ErrorKind::Failed, message)
    }
    /// A plain message with the given kind.
    pub fn new(kind: ErrorKind, message: impl Display) -> Self {
        CommandError {
            kind,
            message: Some(message.to_string()),
            source: None,
            hints: Vec::new(),
        }
    }
    /// Exit 255-class failure with a plain message.
    pub fn unhandled(message: impl Display) -> Self {
        Self::new(ErrorKind::Unhandled, message)
    }
    /// Exit silently with `code`.
    pub fn silent(code: u8) -> Self {
        CommandError {
            kind: ErrorKind::Silent(code),
            message: None,
            source: None,
            hints: Vec::new(),
        }
    }
    /// A typed error as it is: its message is the headline, its sources the causes.
    pub fn with_source(kind: ErrorKind, source: impl Into<Source>) -> Self {
        CommandError {
            kind,
            message: None,
            source: Some(source.into()),
            hints: Vec::new(),
        }
    }
    /// A headline of our own over a typed error (rendered as a `caused by:` line).
    pub fn context(kind: ErrorKind, message: impl Display, source: impl Into<Source>) -> Self {
        CommandError {
            kind,
            message: Some(message.to_string()),
            source: Some(source.into()),
            hints: Vec::new(),
        }
    }
    /// Add a hint.
    pub fn hint(mut self, hint: impl Display) -> Self {
        self.hints.push(hint.to_string());
        self
    }
    /// Whether this is a busy lock: DVC's repo lock held by another process, or a path
    /// a running `dvc repro` holds in `.dvc/tmp/rwlock`.
    pub fn is_lock_busy(&self) -> bool {
        self.source()
            .and_then(|s| s.downcast_ref::<LockError>())
            .is_some_and(LockError::is_busy)
    }
    /// A busy lock under dvc's headline for the command (`failed to commit - `): the
    /// lock is taken before a command's own wording applies to its errors.
    pub fn lock_prefix(mut self, prefix: impl Display) -> Self {
        if self.is_lock_busy() {
            self.message = Some(format!("{prefix}{}", self.message()));
        }
        self
    }
    /// The typed source, for callers that decide on it.
    pub fn source(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
    /// The headline (what follows `ERROR: `).
    pub fn message(&self) -> String {
        match (&self.message, &self.source) {
            (Some(m), _) => m.clone(),
            (None, Some(s)) => s.to_string(),
            (None, None) => String::new(),
        }
    }
    /// The `caused by:` chain: the source (under a headline of our own) and its sources,
    /// leaving out any text the headline already shows.
    pub fn causes(&self) -> Vec<String> {
        let message = self.message();
        let mut causes = Vec::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> =
            match (&self.message, &self.source) {
                (Some(_), Some(s)) => Some(s.as_ref()),
                (None, Some(s)) => s.source(),
                _ => None,
            };
        while let Some(s) = next {
            let text = s.to_string();
            if !message.contains(&text) && !causes.contains(&text) {
                causes.push(text);
            }
            next = s.source();
        }
        causes
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
    /// The text rendered on stderr (empty for a silent exit).
    pub fn rendered(&self) -> String {
        if matches!(self.kind, ErrorKind::Silent(_)) {
            return String::new();
        }
        let mut out = format!("ERROR: {}\n", self.message());
        for c in self.causes() {
            out.push_str(&format!("caused by: {c}\n"));
        }
        for h in &self.hints {
            out.push_str(&format!("hint: {h}\n"));
        }
        out
    }
    /// Print to stderr.
    pub fn render(&self) {
        eprint!("{}", self.rendered());
    }
}

// ---------------------------------------------------------------------------------------
// Classification of the engine's and git's errors: exit class, dvc's wording, hints.
// ---------------------------------------------------------------------------------------

impl From<std::io::Error> for CommandError {
    fn from(e: std::io::Error) -> Self {
        CommandError::with_source(ErrorKind::Failed, e)
    }
}

/// A [`ConfigError`] as dvc reports it: `configuration error - config file error: …`,
/// exit 251 (255 for what dvc would crash on). Byte-identical to dvc's stderr.
impl From<ConfigError> for CommandError {
    fn from(e: ConfigError) -> Self {
        match &e {
            ConfigError::Unwritable { .. } | ConfigError::Io { .. } => {
                CommandError::with_source(ErrorKind::Unhandled, e)
            }
            ConfigError::Parse { message, .. } => {
                // dvc appends the cause, which repeats configobj's message.
                let headline = format!("configuration error - {e}: {message}");
                CommandError::new(ErrorKind::Config, headline)
            }
            _ => CommandError::new(ErrorKind::Config, format!("configuration error - {e}")),
        }
    }
}

/// Repo errors in DVC's exit classes.
impl From<RepoError> for CommandError {
    fn from(e: RepoError) -> Self {
        stage_load_failed("", e)
    }
}

/// A repo or stage loading error, for a command whose dvc message puts `prefix` before
/// an invalid out (`failed to commit - `, `failed to push data to the cloud - `).
pub fn stage_load_failed(prefix: &str, e: RepoError) -> CommandError {
    match e {
        RepoError::NotARepo => CommandError::with_source(ErrorKind::NotARepo, e),
        RepoError::Config(c) => c.into(),
        RepoError::InvalidOut { ref file, .. } => {
            // dvc's words do not say which file lists the out.
            let hint = format!("`{file}` lists this out; fix or remove that file");
            CommandError::context(ErrorKind::Failed, format!("{prefix}{e}"), e).hint(hint)
        }
        other => CommandError::with_source(ErrorKind::Failed, other),
    }
}

/// [`stage_load_failed`] for user targets.
pub fn targets_failed(prefix: &str, e: TargetError) -> CommandError {
    match e {
        TargetError::Repo(r) => stage_load_failed(prefix, r),
        e @ TargetError::NotTracked(..) => CommandError::failed(format!("{prefix}{e}")),
        other => CommandError::with_source(ErrorKind::Failed, other),
    }
}

/// Target errors: dvc's messages, exit 1.
impl From<TargetError> for CommandError {
    fn from(e: TargetError) -> Self {
        targets_failed("", e)
    }
}

/// A busy or broken lock is dvc's exit 255.
impl From<LockError> for CommandError {
    fn from(e: LockError) -> Self {
        CommandError::with_source(ErrorKind::Unhandled, e)
    }
}

impl From<crate::git::Error> for CommandError {
    fn from(e: crate::git::Error) -> Self {
        CommandError::with_source(ErrorKind::Failed, e)
    }
}

impl From<crate::git::history::HistoryError> for CommandError {
    fn from(e: crate::git::history::HistoryError) -> Self {
        match e {
            crate::git::history::HistoryError::UnknownRevision(r) => {
                CommandError::failed(format!("unknown Git revision '{r}'"))
            }
            other => CommandError::with_source(ErrorKind::Failed, other),
        }
    }
}

/// `install`/`uninstall` refusals, with what to do about each.
impl From<crate::hooks::install::InstallError> for CommandError {
    fn from(err: crate::hooks::install::InstallError) -> Self {
        use crate::hooks::install::InstallError;
        let hint = match &err {
            InstallError::ForeignConfig(_) => Some("rerun with `--force` to replace them"),
            InstallError::SlotTaken { .. } => {
                Some("move that file away (it is a hook kept by an earlier install) and rerun")
            }
            InstallError::NoGlobalAttributesFile => {
                Some("`git config --global core.attributesFile <path>`")
            }
            _ => None,
        };
        let kind = match &err {
            InstallError::Git(e) if e.is_not_a_repo() => ErrorKind::NotARepo,
            _ => ErrorKind::Failed,
        };
        let e = CommandError::with_source(kind, err);
        match hint {
            Some(h) => e.hint(h),
            None => e,
        }
    }
}

impl From<crate::hooks::Error> for CommandError {
    fn from(e: crate::hooks::Error) -> Self {
        CommandError::with_source(ErrorKind::Failed, e)
    }
}

/// A failed transfer in dvc's words: `failed to push data to the cloud - …` (`from the
/// cloud` for downloads), with a credentials hint when the remote refused them.
pub fn transfer_failed(verb: &str, e: TransferError) -> CommandError {
    let detail = match &e {
        TransferError::Config(c) => c.to_string().trim_end_matches('.').to_string(),
        TransferError::NoRemote(_) => format!("config file error: {e}"),
        other => other.to_string(),
    };
    let direction = if verb == "push" { "to" } else { "from" };
    let auth = match &e {
        TransferError::Remote(r @ crate::data::remote::RemoteError::Request { remote, .. })
            if r.is_auth() =>
        {
            Some(remote.clone())
        }
        _ => None,
    };
    let err = CommandError::new(
        ErrorKind::Failed,
        format!("failed to {verb} data {direction} the cloud - {detail}"),
    );
    match auth {
        Some(remote) => err.hint(format!(
            "check the credentials of remote '{remote}': `git dvc remote modify --local {remote} <key> …` (the README's Remotes section lists each backend's keys and environment variables)"
        )),
        None => err,
    }
}

/// A transfer error outside push/pull/fetch (`status -c`, `gc -c`, `verify -r`): config
/// problems in dvc's words, the rest as they are.
pub fn remote_unusable(e: TransferError) -> CommandError {
    match e {
        TransferError::Config(c) => {
            CommandError::failed(c.to_string().trim_end_matches('.').to_string())
        }
        TransferError::NoRemote(_) => CommandError::failed(format!("config file error: {e}")),
        other => CommandError::with_source(ErrorKind::Failed, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::remote::{RemoteError, RequestKind};

    fn request(kind: RequestKind) -> TransferError {
        TransferError::Remote(RemoteError::Request {
            remote: "r".into(),
            op: "upload",
            key: "k".into(),
            message: "denied".into(),
            kind,
        })
    }

    #[test]
    fn auth_hint_comes_from_the_kind_not_the_text() {
        let e = transfer_failed("push", request(RequestKind::Auth));
        assert!(
            e.rendered()
                .contains("hint: check the credentials of remote 'r'")
        );
        let e = transfer_failed("push", request(RequestKind::Permanent));
        assert!(!e.rendered().contains("hint:"), "{}", e.rendered());
        let e = transfer_failed("fetch", request(RequestKind::Transient));
        assert!(
            e.message()
                .starts_with("failed to fetch data from the cloud - ")
        );
    }

    #[test]
    fn typed_source_renders_its_chain_once() {
        let io = std::io::Error::other("disk on fire");
        let e = CommandError::context(ErrorKind::Failed, "cannot write 'a.dvc'", io);
        assert_eq!(
            e.rendered(),
            "ERROR: cannot write 'a.dvc'\ncaused by: disk on fire\n"
        );
        assert!(e.source().is_some());
        assert_eq!(CommandError::silent(1).rendered(), "");
        let not_a_repo = CommandError::from(RepoError::NotARepo);
        assert_eq!(not_a_repo.exit_code(), 253);
    }
}

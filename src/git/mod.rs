//! The only code that talks to git (STYLE.md §6): small typed wrappers around the `git`
//! command line for the few things git-dvc needs (repository paths, config, index
//! writes, ignore checks, file listings).
//!
//! Why the CLI and not gix here: every operation below either writes (config, index:
//! `git add` honours `GIT_INDEX_FILE` and the index.lock protocol inside hooks, split
//! and sparse indexes) or must agree exactly with the git that runs the hooks
//! (`--git-path hooks` follows `core.hooksPath`, linked worktrees and submodules).
//! gix is reserved for hot read paths (rev walks, blob reads) as the engine needs them.
//!
//! Commands inherit the environment, so `GIT_DIR`, `GIT_WORK_TREE` and `GIT_INDEX_FILE`
//! set by git for a hook are honoured.

pub mod history;
pub mod index;
pub mod settings;
pub mod source;

pub use settings::GitDvcSettings;

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Errors from running git.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `git` could not be started.
    #[error("could not run `git {args}`")]
    Spawn {
        /// The arguments, for the message.
        args: String,
        /// Why it could not start.
        #[source]
        source: std::io::Error,
    },
    /// `git` ran and failed.
    #[error("`git {args}` failed with {status}{}", stderr_suffix(stderr))]
    Failed {
        /// The arguments, for the message.
        args: String,
        /// Exit code (`None` if killed by a signal).
        status: ExitStatusText,
        /// What git printed on stderr, trimmed.
        stderr: String,
    },
    /// git printed something we could not decode.
    #[error("`git {args}` printed non-UTF-8 output")]
    NotUtf8 {
        /// The arguments, for the message.
        args: String,
    },
    /// Writing to git's stdin failed.
    #[error("could not feed `git {args}`")]
    Stdin {
        /// The arguments, for the message.
        args: String,
        /// The write error.
        #[source]
        source: std::io::Error,
    },
    /// A string that should have been an object id is not one.
    #[error("invalid git object id {0:?}")]
    BadOid(String),
}

fn stderr_suffix(stderr: &str) -> String {
    if stderr.is_empty() {
        String::new()
    } else {
        format!(": {stderr}")
    }
}

/// An exit status rendered for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitStatusText(pub Option<i32>);

impl fmt::Display for ExitStatusText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(code) => write!(f, "exit code {code}"),
            None => write!(f, "a signal"),
        }
    }
}

impl Error {
    /// The exit code of a git command that ran and failed.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            Error::Failed { status, .. } => status.0,
            _ => None,
        }
    }

    /// True when the current directory is not inside a git repository.
    pub fn is_not_a_repo(&self) -> bool {
        matches!(self, Error::Failed { stderr, .. } if stderr.contains("not a git repository"))
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A git object id (SHA-1 or SHA-256), lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oid(String);

impl Oid {
    /// Parse 40 or 64 hex digits.
    pub fn parse(text: &str) -> Result<Self> {
        let valid =
            (text.len() == 40 || text.len() == 64) && text.bytes().all(|b| b.is_ascii_hexdigit());
        if valid {
            Ok(Oid(text.to_ascii_lowercase()))
        } else {
            Err(Error::BadOid(text.to_owned()))
        }
    }

    /// The all-zero id git uses for "none" (new branch, deletion, clone's old HEAD).
    pub fn is_null(&self) -> bool {
        self.0.bytes().all(|b| b == b'0')
    }

    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which config file `git config` reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigScope {
    /// The repository's `config` (`--local`).
    Local,
    /// The user's global config (`--global`, honours `GIT_CONFIG_GLOBAL`).
    Global,
}

impl ConfigScope {
    fn flag(self) -> &'static str {
        match self {
            ConfigScope::Local => "--local",
            ConfigScope::Global => "--global",
        }
    }
}

/// A handle that runs git in one directory.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
    /// Environment overrides (`None` removes the variable) applied to every command.
    env: Vec<(OsString, Option<OsString>)>,
}

impl Git {
    /// Run git in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git {
            dir: dir.into(),
            env: Vec::new(),
        }
    }

    /// Set an environment variable for every git command of this handle.
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), Some(value.into())));
        self
    }

    /// Remove an environment variable for every git command of this handle.
    pub fn without_env(mut self, key: impl Into<OsString>) -> Self {
        self.env.push((key.into(), None));
        self
    }

    /// The same environment, another directory.
    pub fn in_dir(&self, dir: impl Into<PathBuf>) -> Self {
        Git {
            dir: dir.into(),
            env: self.env.clone(),
        }
    }

    /// Run git in the current directory.
    pub fn current() -> Self {
        Git::new(".")
    }

    /// The directory git runs in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.dir).args(args).stdin(Stdio::null());
        for (key, value) in &self.env {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        cmd
    }

    fn describe<S: AsRef<OsStr>>(args: &[S]) -> String {
        args.iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Run git and return its output, whatever the exit status.
    fn output<S: AsRef<OsStr>>(&self, args: &[S], stdin: Option<&[u8]>) -> Result<Output> {
        let mut cmd = self.command(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().map_err(|source| Error::Spawn {
            args: Self::describe(args),
            source,
        })?;
        if let Some(input) = stdin
            && let Some(mut pipe) = child.stdin.take()
        {
            // Feed from a thread so a chatty git cannot deadlock us on a full stdout pipe.
            let input = input.to_vec();
            let writer = std::thread::spawn(move || pipe.write_all(&input));
            let output = child.wait_with_output().map_err(|source| Error::Spawn {
                args: Self::describe(args),
                source,
            })?;
            match writer.join() {
                Ok(Ok(())) => {}
                // git may exit before reading everything (e.g. on error); the status tells.
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Ok(Err(source)) => {
                    return Err(Error::Stdin {
                        args: Self::describe(args),
                        source,
                    });
                }
                Err(_) => {
                    return Err(Error::Stdin {
                        args: Self::describe(args),
                        source: std::io::Error::other("stdin writer thread panicked"),
                    });
                }
            }
            return Ok(output);
        }
        child.wait_with_output().map_err(|source| Error::Spawn {
            args: Self::describe(args),
            source,
        })
    }

    fn failed<S: AsRef<OsStr>>(args: &[S], output: &Output) -> Error {
        Error::Failed {
            args: Self::describe(args),
            status: ExitStatusText(output.status.code()),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        }
    }

    /// Run git, require success, return stdout bytes.
    fn run<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<Vec<u8>> {
        let output = self.output(args, None)?;
        if !output.status.success() {
            return Err(Self::failed(args, &output));
        }
        Ok(output.stdout)
    }

    /// Run git, require success, return stdout as text without its trailing newline.
    fn run_text<S: AsRef<OsStr>>(&self, args: &[S]) -> Result<String> {
        let stdout = self.run(args)?;
        let mut text = String::from_utf8(stdout).map_err(|_| Error::NotUtf8 {
            args: Self::describe(args),
        })?;
        while text.ends_with('\n') || text.ends_with('\r') {
            text.pop();
        }
        Ok(text)
    }

    fn run_path(&self, args: &[&str]) -> Result<PathBuf> {
        let text = self.run_text(args)?;
        Ok(self.dir.join(text))
    }

    /// `git rev-parse --show-toplevel` (absolute).
    pub fn show_toplevel(&self) -> Result<PathBuf> {
        self.run_path(&["rev-parse", "--show-toplevel"])
    }

    /// `git rev-parse --git-dir`, made absolute.
    pub fn git_dir(&self) -> Result<PathBuf> {
        self.run_path(&["rev-parse", "--path-format=absolute", "--git-dir"])
    }

    /// `git rev-parse --git-common-dir`, made absolute (shared by linked worktrees).
    pub fn common_dir(&self) -> Result<PathBuf> {
        self.run_path(&["rev-parse", "--path-format=absolute", "--git-common-dir"])
    }

    /// `git rev-parse --git-path <name>`, made absolute. For `hooks` this honours
    /// `core.hooksPath` (relative values resolve against the worktree top) and worktrees.
    pub fn git_path(&self, name: &str) -> Result<PathBuf> {
        self.run_path(&["rev-parse", "--path-format=absolute", "--git-path", name])
    }

    /// The hooks directory git will run hooks from.
    pub fn hooks_dir(&self) -> Result<PathBuf> {
        self.git_path("hooks")
    }

    /// True when the directory is inside a git work tree.
    pub fn is_inside_work_tree(&self) -> bool {
        self.run_text(&["rev-parse", "--is-inside-work-tree"])
            .is_ok_and(|s| s == "true")
    }

    /// `git rev-parse --verify --quiet <rev>^{commit}`: the commit a revision names, if any.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<Oid>> {
        let spec = format!("{rev}^{{commit}}");
        let args = ["rev-parse", "--verify", "--quiet", spec.as_str()];
        let output = self.output(&args, None)?;
        if !output.status.success() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        Oid::parse(&text).map(Some)
    }

    /// `git config <scope> --get <key>`; `None` when unset.
    pub fn config_get(&self, scope: ConfigScope, key: &str) -> Result<Option<String>> {
        self.config_get_with(&[scope.flag(), "--get", key])
    }

    /// Like [`Git::config_get`] with `--type=path` (expands `~/`).
    pub fn config_get_path(&self, scope: ConfigScope, key: &str) -> Result<Option<String>> {
        self.config_get_with(&[scope.flag(), "--type=path", "--get", key])
    }

    /// `git config --get <key>` across all scopes (what git itself would use).
    pub fn config_get_effective(&self, key: &str) -> Result<Option<String>> {
        self.config_get_with(&["--get", key])
    }

    /// `git config --bool --get <key>` across all scopes; `None` when unset.
    pub fn config_get_bool(&self, key: &str) -> Result<Option<bool>> {
        Ok(self
            .config_get_with(&["--type=bool", "--get", key])?
            .map(|v| v == "true"))
    }

    fn config_get_with(&self, rest: &[&str]) -> Result<Option<String>> {
        let mut args = vec!["config"];
        args.extend_from_slice(rest);
        let output = self.output(&args, None)?;
        match output.status.code() {
            Some(0) => {
                let mut text = String::from_utf8(output.stdout).map_err(|_| Error::NotUtf8 {
                    args: Self::describe(&args),
                })?;
                if text.ends_with('\n') {
                    text.pop();
                }
                Ok(Some(text))
            }
            // 1: the key is not set.
            Some(1) => Ok(None),
            _ => Err(Self::failed(&args, &output)),
        }
    }

    /// `git config <scope> --get-regexp <regex>`: (key, value) pairs, keys lowercased by git.
    pub fn config_get_regexp(
        &self,
        scope: ConfigScope,
        regex: &str,
    ) -> Result<Vec<(String, String)>> {
        let args = ["config", scope.flag(), "-z", "--get-regexp", regex];
        let output = self.output(&args, None)?;
        match output.status.code() {
            Some(0) => {}
            Some(1) => return Ok(Vec::new()),
            _ => return Err(Self::failed(&args, &output)),
        }
        let text = String::from_utf8(output.stdout).map_err(|_| Error::NotUtf8 {
            args: Self::describe(&args),
        })?;
        Ok(text
            .split('\0')
            .filter(|entry| !entry.is_empty())
            .map(|entry| match entry.split_once('\n') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (entry.to_owned(), String::new()),
            })
            .collect())
    }

    /// `git config <scope> <key> <value>`.
    pub fn config_set(&self, scope: ConfigScope, key: &str, value: &str) -> Result<()> {
        self.run(&["config", scope.flag(), key, value]).map(drop)
    }

    /// `git config <scope> --unset-all <key>`; returns whether anything was removed.
    pub fn config_unset(&self, scope: ConfigScope, key: &str) -> Result<bool> {
        let args = ["config", scope.flag(), "--unset-all", key];
        let output = self.output(&args, None)?;
        match output.status.code() {
            Some(0) => Ok(true),
            // 5: the key was not set.
            Some(5) => Ok(false),
            _ => Err(Self::failed(&args, &output)),
        }
    }

    /// Remove `[section]` when no key is left in it (git keeps empty headers after unset).
    pub fn config_remove_section_if_empty(&self, scope: ConfigScope, section: &str) -> Result<()> {
        let pattern = format!("^{}\\.", regex_escape(section));
        if !self.config_get_regexp(scope, &pattern)?.is_empty() {
            return Ok(());
        }
        let args = ["config", scope.flag(), "--remove-section", section];
        let output = self.output(&args, None)?;
        match output.status.code() {
            // 128: no such section (already gone).
            Some(0) | Some(128) => Ok(()),
            _ => Err(Self::failed(&args, &output)),
        }
    }

    /// `git add -- <paths>`. Honours `GIT_INDEX_FILE` (inherited), as hooks need.
    pub fn add<P: AsRef<Path>>(&self, paths: &[P]) -> Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        let mut args: Vec<&OsStr> = vec![OsStr::new("add"), OsStr::new("--")];
        args.extend(paths.iter().map(|p| p.as_ref().as_os_str()));
        self.run(&args).map(drop)
    }

    /// `git check-ignore -z --stdin`: the subset of `paths` that git ignores.
    ///
    /// Paths are relative to [`Git::dir`]. `index` false adds `--no-index` (also report
    /// tracked files matching an ignore rule).
    pub fn check_ignore(&self, paths: &[&str], index: bool) -> Result<Vec<String>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec!["check-ignore", "-z", "--stdin"];
        if !index {
            args.push("--no-index");
        }
        let mut input = Vec::new();
        for p in paths {
            input.extend_from_slice(p.as_bytes());
            input.push(0);
        }
        let output = self.output(&args, Some(&input))?;
        match output.status.code() {
            Some(0) | Some(1) => {}
            _ => return Err(Self::failed(&args, &output)),
        }
        split_z(&output.stdout, &args)
    }

    /// `git check-attr <attrs> -- <path>`: (attribute, value) pairs, values as git prints
    /// them (`unspecified`, `set`, `unset` or the value).
    pub fn check_attr(&self, attrs: &[&str], path: &str) -> Result<Vec<(String, String)>> {
        let mut args = vec!["check-attr"];
        args.extend_from_slice(attrs);
        args.extend_from_slice(&["--", path]);
        let text = self.run_text(&args)?;
        Ok(text
            .lines()
            .filter_map(|line| {
                // `<path>: <attr>: <value>`; the path may itself hold ": ".
                let (rest, value) = line.rsplit_once(": ")?;
                let (_, attr) = rest.rsplit_once(": ")?;
                Some((attr.to_owned(), value.to_owned()))
            })
            .collect())
    }

    /// `git ls-tree -r -l -z <rev> -- .`: every blob of `rev` below [`Git::dir`], with
    /// its size, paths relative to [`Git::dir`] (submodules left out).
    pub fn ls_tree_sizes(&self, rev: &str) -> Result<Vec<(String, u64)>> {
        let args = ["ls-tree", "-r", "-l", "-z", rev, "--", "."];
        let stdout = self.run(&args)?;
        let mut out = Vec::new();
        for entry in split_z(&stdout, &args)? {
            let Some((meta, path)) = entry.split_once('\t') else {
                continue;
            };
            let mut fields = meta.split_whitespace();
            let (_mode, kind, _oid, size) =
                (fields.next(), fields.next(), fields.next(), fields.next());
            if kind != Some("blob") {
                continue;
            }
            let size = size.and_then(|s| s.parse().ok()).unwrap_or(0);
            out.push((path.to_string(), size));
        }
        Ok(out)
    }

    /// `git status --porcelain -z` of the whole worktree, as scmrepo's `status` gives it
    /// to dvc: whether anything is staged or unstaged, and the untracked files (each
    /// file, relative to the top level) when `untracked` is true.
    pub fn status_summary(&self, untracked: bool) -> Result<(bool, Vec<String>)> {
        let mode = if untracked {
            "--untracked-files=all"
        } else {
            "--untracked-files=no"
        };
        let args = ["status", "--porcelain", "-z", mode];
        let stdout = self.run(&args)?;
        let mut changed = false;
        let mut files = Vec::new();
        let mut entries = split_z(&stdout, &args)?.into_iter();
        while let Some(entry) = entries.next() {
            let (code, path) = entry.split_at(entry.len().min(3));
            if code.starts_with("??") {
                files.push(path.to_string());
            } else {
                changed = true;
                // A rename or copy is followed by its source path.
                if code.starts_with('R') || code.starts_with('C') {
                    entries.next();
                }
            }
        }
        Ok((changed, files))
    }

    /// `git ls-files -z <options> -- <pathspecs>`: paths relative to [`Git::dir`].
    pub fn ls_files(&self, options: &[&str], pathspecs: &[&str]) -> Result<Vec<String>> {
        let mut args = vec!["ls-files", "-z"];
        args.extend_from_slice(options);
        args.push("--");
        args.extend_from_slice(pathspecs);
        let stdout = self.run(&args)?;
        split_z(&stdout, &args)
    }

    /// [`Git::ls_files`], with paths that are not UTF-8 converted lossily instead of
    /// failing the whole listing.
    pub fn ls_files_lossy(&self, options: &[&str], pathspecs: &[&str]) -> Result<Vec<String>> {
        Ok(self
            .ls_files_raw(options, pathspecs, None)?
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect())
    }

    /// `git ls-files -z <options> -- <pathspecs>`, raw bytes; with `index`, read that
    /// index file instead of the default one (`GIT_INDEX_FILE`).
    pub fn ls_files_raw(
        &self,
        options: &[&str],
        pathspecs: &[&str],
        index: Option<&Path>,
    ) -> Result<Vec<u8>> {
        let mut args = vec!["ls-files", "-z"];
        args.extend_from_slice(options);
        args.push("--");
        args.extend_from_slice(pathspecs);
        match index {
            Some(index) => self.clone().with_env("GIT_INDEX_FILE", index).run(&args),
            None => self.run(&args),
        }
    }

    /// `git rm --cached -q -- <paths>`: stop tracking paths, keeping the files.
    pub fn rm_cached<P: AsRef<Path>>(&self, paths: &[P]) -> Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        let mut args: Vec<OsString> =
            vec!["rm".into(), "--cached".into(), "-q".into(), "--".into()];
        args.extend(paths.iter().map(|p| p.as_ref().as_os_str().to_os_string()));
        self.run(&args).map(drop)
    }
}

fn split_z(bytes: &[u8], args: &[&str]) -> Result<Vec<String>> {
    bytes
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| {
            String::from_utf8(s.to_vec()).map_err(|_| Error::NotUtf8 {
                args: Git::describe(args),
            })
        })
        .collect()
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A scratch repository isolated from the user's and system config.
    pub(crate) struct Scratch {
        pub dir: tempfile::TempDir,
        pub home: tempfile::TempDir,
        pub git: Git,
    }

    /// A git handle isolated from the user's and system config: global config in `home`.
    pub(crate) fn isolated(dir: &Path, home: &Path) -> Git {
        Git::new(dir)
            .with_env("GIT_CONFIG_NOSYSTEM", "1")
            .with_env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
            .with_env("HOME", home)
            .with_env("XDG_CONFIG_HOME", home.join("xdg"))
            .without_env("GIT_DIR")
            .without_env("GIT_WORK_TREE")
            .without_env("GIT_INDEX_FILE")
            .without_env("GIT_COMMON_DIR")
    }

    pub(crate) fn scratch() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let git = isolated(dir.path(), home.path());
        git.run(&["init", "-q", "-b", "main"]).unwrap();
        git.run(&["config", "user.email", "t@example.com"]).unwrap();
        git.run(&["config", "user.name", "t"]).unwrap();
        Scratch { dir, home, git }
    }

    #[test]
    fn oid_parsing() {
        assert!(Oid::parse(&"0".repeat(40)).unwrap().is_null());
        let oid = Oid::parse("ABCDEF0123456789abcdef0123456789abcdef01").unwrap();
        assert_eq!(oid.as_str(), "abcdef0123456789abcdef0123456789abcdef01");
        assert!(!oid.is_null());
        assert!(Oid::parse(&"a".repeat(64)).is_ok());
        assert!(Oid::parse("abc").is_err());
        assert!(Oid::parse(&"g".repeat(40)).is_err());
    }

    #[test]
    fn repo_paths() {
        let s = scratch();
        let top = s.git.show_toplevel().unwrap();
        assert_eq!(
            fs_err::canonicalize(&top).unwrap(),
            fs_err::canonicalize(s.dir.path()).unwrap()
        );
        let hooks = s.git.hooks_dir().unwrap();
        assert!(
            hooks.is_absolute() && hooks.ends_with(".git/hooks"),
            "{hooks:?}"
        );
        assert!(s.git.common_dir().unwrap().ends_with(".git"));
        assert!(s.git.is_inside_work_tree());

        s.git
            .config_set(ConfigScope::Local, "core.hooksPath", ".husky/_")
            .unwrap();
        let hooks = s.git.hooks_dir().unwrap();
        assert!(hooks.ends_with(".husky/_"), "{hooks:?}");
    }

    #[test]
    fn config_round_trip() {
        let s = scratch();
        let g = &s.git;
        assert_eq!(
            g.config_get(ConfigScope::Local, "filter.dvc.process")
                .unwrap(),
            None
        );
        g.config_set(ConfigScope::Local, "filter.dvc.process", "git-dvc-filter")
            .unwrap();
        g.config_set(ConfigScope::Local, "filter.dvc.x", "a b = c")
            .unwrap();
        assert_eq!(
            g.config_get(ConfigScope::Local, "filter.dvc.process")
                .unwrap()
                .as_deref(),
            Some("git-dvc-filter")
        );
        assert_eq!(
            g.config_get_effective("filter.dvc.x").unwrap().as_deref(),
            Some("a b = c")
        );
        let pairs = g
            .config_get_regexp(ConfigScope::Local, "^filter\\.dvc\\.")
            .unwrap();
        assert_eq!(pairs.len(), 2);
        assert!(
            g.config_unset(ConfigScope::Local, "filter.dvc.process")
                .unwrap()
        );
        assert!(
            !g.config_unset(ConfigScope::Local, "filter.dvc.process")
                .unwrap()
        );
        g.config_remove_section_if_empty(ConfigScope::Local, "filter.dvc")
            .unwrap();
        assert!(g.config_unset(ConfigScope::Local, "filter.dvc.x").unwrap());
        g.config_remove_section_if_empty(ConfigScope::Local, "filter.dvc")
            .unwrap();
        g.config_remove_section_if_empty(ConfigScope::Local, "filter.dvc")
            .unwrap();
        let config = fs_err::read_to_string(s.dir.path().join(".git/config")).unwrap();
        assert!(!config.contains("filter"), "{config}");
        assert_eq!(g.config_get_bool("gitdvc.strict").unwrap(), None);
    }

    #[test]
    fn add_ls_files_check_ignore() {
        let s = scratch();
        let root = s.dir.path();
        fs_err::write(root.join(".gitignore"), "/data\n").unwrap();
        fs_err::write(root.join("data"), "x").unwrap();
        fs_err::write(root.join("data.dvc"), "outs: []\n").unwrap();
        fs_err::write(root.join("a b.txt"), "y").unwrap();
        s.git.add(&["data.dvc", "a b.txt"]).unwrap();
        assert_eq!(
            s.git.ls_files(&["--cached"], &[]).unwrap(),
            vec!["a b.txt", "data.dvc"]
        );
        assert_eq!(
            s.git
                .check_ignore(&["data", "data.dvc", "a b.txt"], true)
                .unwrap(),
            vec!["data"]
        );
        assert!(s.git.check_ignore(&[], true).unwrap().is_empty());
        let err = s
            .git
            .in_dir(root.join("nope"))
            .run(&["status"])
            .unwrap_err();
        assert!(matches!(err, Error::Spawn { .. }), "{err}");
        let err = s.git.run(&["rev-parse", "--verify", "nope"]).unwrap_err();
        assert_eq!(err.exit_code(), Some(128));
    }

    #[test]
    fn resolve_commit() {
        let s = scratch();
        assert_eq!(s.git.resolve_commit("HEAD").unwrap(), None);
        s.git
            .run(&["commit", "-q", "--allow-empty", "-m", "x"])
            .unwrap();
        assert!(s.git.resolve_commit("HEAD").unwrap().is_some());
    }
}

// ---------------------------------------------------------------------------------------------
// Reads used by the hooks (diffs between commits, blob contents, objects to push).
// ---------------------------------------------------------------------------------------------

/// One path of a name-status diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedPath {
    /// git's status letter: `A`, `M`, `D`, `T`, ...
    pub status: char,
    /// The path, relative to the worktree top, `/`-separated.
    pub path: String,
}

/// What a side of [`Git::diff_names`] compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffSide<'a> {
    /// A commit or tree.
    Rev(&'a str),
    /// The index (`GIT_INDEX_FILE`).
    Index,
}

impl Git {
    /// Run git with `stdin` fed to it, require success, return stdout bytes.
    fn run_with_stdin<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> Result<Vec<u8>> {
        let output = self.output(args, Some(stdin))?;
        if !output.status.success() {
            return Err(Self::failed(args, &output));
        }
        Ok(output.stdout)
    }

    /// Paths matching `pathspecs` that differ between `old` (a commit) and `new` (a commit
    /// or the index), without rename detection: `git diff-tree -r -z --name-status` or
    /// `git diff-index --cached -z --name-status`.
    pub fn diff_names(
        &self,
        old: &str,
        new: DiffSide<'_>,
        pathspecs: &[&str],
    ) -> Result<Vec<ChangedPath>> {
        let mut args: Vec<&str> = match new {
            DiffSide::Rev(new) => vec![
                "diff-tree",
                "-r",
                "-z",
                "--no-renames",
                "--name-status",
                old,
                new,
            ],
            DiffSide::Index => vec![
                "diff-index",
                "--cached",
                "-z",
                "--no-renames",
                "--name-status",
                old,
            ],
        };
        args.push("--");
        args.extend_from_slice(pathspecs);
        let stdout = self.run(&args)?;
        let fields = split_z(&stdout, &args)?;
        let mut changed = Vec::with_capacity(fields.len() / 2);
        let mut it = fields.into_iter();
        while let (Some(status), Some(path)) = (it.next(), it.next()) {
            changed.push(ChangedPath {
                status: status.chars().next().unwrap_or('M'),
                path,
            });
        }
        Ok(changed)
    }

    /// Read objects by name (`<rev>:<path>`, `:<path>` for the index, or an object id) with
    /// one `git cat-file --batch`; `None` for names that do not resolve.
    pub fn cat_file_batch(&self, names: &[String]) -> Result<Vec<Option<Vec<u8>>>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut input = Vec::new();
        for n in names {
            input.extend_from_slice(n.as_bytes());
            input.push(b'\n');
        }
        let args = ["cat-file", "--batch"];
        let stdout = self.run_with_stdin(&args, &input)?;
        let bad = || Error::Failed {
            args: Self::describe(&args),
            status: ExitStatusText(Some(0)),
            stderr: "unexpected output".to_owned(),
        };
        let mut out = Vec::with_capacity(names.len());
        let mut rest = stdout.as_slice();
        for _ in names {
            let nl = rest.iter().position(|&b| b == b'\n').ok_or_else(bad)?;
            let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
            rest = &rest[nl + 1..];
            if header.ends_with(" missing") || header.ends_with(" ambiguous") {
                out.push(None);
                continue;
            }
            let size: usize = header
                .rsplit(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?;
            if rest.len() < size + 1 {
                return Err(bad());
            }
            out.push(Some(rest[..size].to_vec()));
            rest = &rest[size + 1..];
        }
        Ok(out)
    }

    /// `git rev-list --objects --ignore-missing <include>... --not <exclude>...
    /// [--remotes=<remote>]`: (object id, path) of every tree and blob reachable from
    /// `include` and not from the excluded commits (commits themselves are left out).
    pub fn rev_list_objects(
        &self,
        include: &[Oid],
        exclude: &[Oid],
        exclude_remote: Option<&str>,
    ) -> Result<Vec<(Oid, String)>> {
        if include.is_empty() {
            return Ok(Vec::new());
        }
        let remotes = exclude_remote.map(|r| format!("--remotes={r}"));
        let mut args: Vec<&str> = vec!["rev-list", "--objects", "--ignore-missing"];
        args.extend(include.iter().map(Oid::as_str));
        args.push("--not");
        args.extend(exclude.iter().map(Oid::as_str));
        if let Some(r) = &remotes {
            args.push(r);
        }
        args.push("--");
        let stdout = self.run(&args)?;
        let mut objects = Vec::new();
        for line in stdout.split(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(line);
            let Some((oid, path)) = line.split_once(' ') else {
                continue; // commits (and the root tree with an empty path) carry no path
            };
            if let Ok(oid) = Oid::parse(oid) {
                objects.push((oid, path.to_owned()));
            }
        }
        Ok(objects)
    }

    /// Whether the index (`GIT_INDEX_FILE`) differs from `HEAD` at all (on an unborn
    /// branch: whether it holds anything): `git diff-index --cached --quiet HEAD`.
    pub fn anything_staged(&self) -> Result<bool> {
        if self.resolve("HEAD")?.is_none() {
            return Ok(!self.ls_files(&["--cached"], &[])?.is_empty());
        }
        let args = ["diff-index", "--cached", "--quiet", "HEAD", "--"];
        let output = self.output(&args, None)?;
        match output.status.code() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(Self::failed(&args, &output)),
        }
    }

    /// The current value of a ref or revision, if it resolves (`ORIG_HEAD`, `HEAD`).
    pub fn resolve(&self, rev: &str) -> Result<Option<Oid>> {
        let args = ["rev-parse", "--verify", "--quiet", rev];
        let output = self.output(&args, None)?;
        if !output.status.success() {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        Oid::parse(&text).map(Some)
    }
}

/// One entry of a raw diff: status, path and the blob ids on both sides (null when the
/// path is absent on that side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawChange {
    /// git's status letter: `A`, `M`, `D`, `T`, ...
    pub status: char,
    /// The path, relative to the worktree top, `/`-separated.
    pub path: String,
    /// The object before.
    pub old: Oid,
    /// The object after.
    pub new: Oid,
}

impl Git {
    /// Like [`Git::diff_names`] with `--raw` output, so that both sides' blob ids come
    /// along: reading blobs by id avoids resolving `<rev>:<path>` through large trees once
    /// per path.
    pub fn diff_raw(
        &self,
        old: &str,
        new: DiffSide<'_>,
        pathspecs: &[&str],
    ) -> Result<Vec<RawChange>> {
        let mut args: Vec<&str> = match new {
            DiffSide::Rev(new) => vec!["diff-tree", "-r", "-z", "--no-renames", "--raw", old, new],
            DiffSide::Index => vec!["diff-index", "--cached", "-z", "--no-renames", "--raw", old],
        };
        args.push("--");
        args.extend_from_slice(pathspecs);
        let stdout = self.run(&args)?;
        let bad = || Error::Failed {
            args: Self::describe(&args),
            status: ExitStatusText(Some(0)),
            stderr: "unexpected output".to_owned(),
        };
        let fields = split_z(&stdout, &args)?;
        let mut changes = Vec::with_capacity(fields.len() / 2);
        let mut it = fields.into_iter();
        while let (Some(meta), Some(path)) = (it.next(), it.next()) {
            // `:100644 100644 <old> <new> M`
            let parts: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
            let [_, _, old, new, status] = parts.as_slice() else {
                return Err(bad());
            };
            changes.push(RawChange {
                status: status.chars().next().unwrap_or('M'),
                path,
                old: Oid::parse(old)?,
                new: Oid::parse(new)?,
            });
        }
        Ok(changes)
    }
}

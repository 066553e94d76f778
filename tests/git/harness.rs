//! The test harness: a hermetic environment, the pinned dvc oracle, a loopback S3 server.
//!
//! - [`oracle_bin_dir`] provisions dvc 3.67.1 (and moto) into `<target>/oracle-venv` on
//!   first use, guarded by a cross-process file lock, and fails loudly when it cannot.
//! - [`TestEnv`] is a temp dir with its own HOME, XDG dirs, git and DVC config, fixed
//!   dates and a PATH that puts the freshly built `git-dvc` first. Every child runs with
//!   umask 022, so file modes are the same whatever the umask of `cargo test` is.
//! - [`Dir`] runs `git`, `dvc` and `git-dvc` in one directory and reads what they wrote;
//!   [`Twin`] drives one repository with dvc and a twin with git-dvc and compares bytes.
//! - [`moto_server`] starts one S3 server per test process on 127.0.0.1.
//! - `dvc` runs through a fork server ([`run_oracle`]): one Python process per test
//!   process imports dvc once and forks a child per command, which saves most of dvc's
//!   ~0.5 s start-up. `GIT_DVC_ORACLE_FORK=0` runs the real `dvc` executable instead.
//!
//! Set `GIT_DVC_TEST_KEEP=1` to keep the temp dirs of a run (their paths are printed), and
//! `GIT_DVC_TEST_GD_IS_DVC=1` to run dvc in place of git-dvc (a check of the tests' own
//! expectations: the twin comparisons must then all pass).

#![allow(dead_code)] // Not every test module uses every helper.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use md5::{Digest, Md5};

// ---------------------------------------------------------------------------------------------
// The oracle: a pinned dvc (plus moto) in a venv under the cargo target dir.
// ---------------------------------------------------------------------------------------------

/// What the oracle venv holds. dvc is the version the spec was observed with; its data-layer
/// dependencies are pinned to the versions named in the spec, since they decide the bytes.
/// Changing this list re-provisions the venv (the marker file records it).
pub const ORACLE_REQUIREMENTS: &[&str] = &[
    "dvc[s3]==3.67.1",
    "dvc-data==3.18.3",
    "dvc-objects==5.2.0",
    "ruamel.yaml==0.19.1",
    "configobj==5.0.9",
    "moto[server]==5.2.5",
];

/// The version `dvc --version` must print.
pub const ORACLE_DVC_VERSION: &str = "3.67.1";

const MARKER: &str = ".git-dvc-oracle";

/// The cargo target directory (`CARGO_TARGET_TMPDIR` is `<target>/tmp`).
pub fn target_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .expect("CARGO_TARGET_TMPDIR has a parent")
        .to_path_buf()
}

/// Where the oracle venv lives. `GIT_DVC_ORACLE_VENV` overrides it (e.g. a CI cache).
pub fn oracle_venv() -> PathBuf {
    match std::env::var_os("GIT_DVC_ORACLE_VENV") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => target_dir().join("oracle-venv"),
    }
}

/// The venv's `bin` directory, provisioning the venv on first use. Panics (fails the test)
/// with the reason and the log path when provisioning fails; never skips.
pub fn oracle_bin_dir() -> &'static Path {
    static ORACLE: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match ORACLE.get_or_init(provision_oracle) {
        Ok(p) => p,
        Err(e) => panic!("the dvc oracle is not available: {e}"),
    }
}

fn marker_contents(requirements: &[&str]) -> String {
    let mut s = String::new();
    for r in requirements {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn provision_oracle() -> Result<PathBuf, String> {
    provision_venv(&oracle_venv(), ORACLE_REQUIREMENTS, "oracle-venv", |bin| {
        if bin.join("moto_server").exists() {
            Ok(())
        } else {
            Err(format!("moto_server missing from {}", bin.display()))
        }
    })
}

/// Provisions a venv holding `requirements` (one pip install) unless its marker file
/// already lists exactly them, under the cross-process lock `<parent>/<tag>.lock`; checks
/// that its dvc is the pinned one and runs `check` on its `bin` before writing the marker.
pub fn provision_venv(
    venv: &Path,
    requirements: &[&str],
    tag: &str,
    check: impl Fn(&Path) -> Result<(), String>,
) -> Result<PathBuf, String> {
    let bin = venv.join("bin");
    let marker = venv.join(MARKER);
    let wanted = marker_contents(requirements);
    if fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(bin);
    }
    let parent = venv.parent().ok_or("oracle venv path has no parent")?;
    fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    // A cross-process lock: test binaries, `.ci/run` and parallel `cargo test`s share the venv.
    let lock_path = parent.join(format!("{tag}.lock"));
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| format!("opening {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    // Someone may have finished while we waited.
    if fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(bin);
    }
    let log_path = parent.join(format!("{tag}.log"));
    eprintln!(
        "git-dvc tests: provisioning the dvc oracle into {} (one time; log: {})",
        venv.display(),
        log_path.display()
    );
    let mut log =
        fs::File::create(&log_path).map_err(|e| format!("creating {}: {e}", log_path.display()))?;
    let _ = fs::remove_file(&marker);
    let run = |log: &mut fs::File, program: &Path, args: &[&str]| -> Result<(), String> {
        let _ = writeln!(log, "$ {} {}", program.display(), args.join(" "));
        let out = Command::new(program)
            .args(args)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        let _ = log.write_all(&out.stdout);
        let _ = log.write_all(&out.stderr);
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{} {}` failed ({}); see {}\n{}",
                program.display(),
                args.join(" "),
                out.status,
                log_path.display(),
                tail(&String::from_utf8_lossy(&out.stderr), 30)
            ))
        }
    };
    if !bin.join("python").exists() {
        let python = find_python().ok_or(
            "no `python3` on PATH: the tests need Python 3 to install the pinned dvc oracle",
        )?;
        run(&mut log, &python, &["-m", "venv", &venv.to_string_lossy()])?;
    }
    let py = bin.join("python");
    // An old pip (e.g. 23.x from ensurepip) backtracks for many minutes over aiobotocore;
    // a current one resolves these pins in seconds.
    run(
        &mut log,
        &py,
        &["-m", "pip", "install", "--quiet", "--upgrade", "pip"],
    )?;
    let mut args = vec!["-m", "pip", "install", "--quiet"];
    args.extend_from_slice(requirements);
    run(&mut log, &py, &args)?;
    let out = Command::new(bin.join("dvc"))
        .arg("--version")
        .env("DVC_NO_ANALYTICS", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run the installed dvc: {e}"))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if version != ORACLE_DVC_VERSION {
        return Err(format!(
            "the installed dvc says {version:?}, expected {ORACLE_DVC_VERSION}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    check(&bin)?;
    fs::write(&marker, wanted).map_err(|e| format!("writing {}: {e}", marker.display()))?;
    drop(lock);
    Ok(bin)
}

fn find_python() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["python3", "python"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

fn tail(s: &str, lines: usize) -> String {
    let all: Vec<&str> = s.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// Binaries under test.
// ---------------------------------------------------------------------------------------------

/// The `git-dvc` binary cargo built for this test run.
pub fn git_dvc_exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_git-dvc"))
}

/// The `git-dvc-filter` binary cargo built for this test run.
pub fn git_dvc_filter_exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_git-dvc-filter"))
}

// ---------------------------------------------------------------------------------------------
// CommandOutput
// ---------------------------------------------------------------------------------------------

/// What a command printed and how it exited.
#[derive(Clone)]
pub struct CommandOutput {
    /// The command line, for messages.
    pub command: String,
    /// Where it ran.
    pub cwd: PathBuf,
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    /// The signal that killed it, if any (then `code` is 128 + signal).
    pub signal: Option<i32>,
}

impl fmt::Debug for CommandOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ {}\n  (in {}, exit code {})\n--- stdout ---\n{}--- stderr ---\n{}--------------",
            self.command,
            self.cwd.display(),
            self.code,
            self.stdout,
            self.stderr
        )
    }
}

impl CommandOutput {
    /// Asserts exit code 0.
    #[track_caller]
    pub fn success(&self) -> &Self {
        assert!(self.code == 0, "command failed:\n{self:?}");
        self
    }

    /// Asserts a clean failure: non-zero, and neither a panic (101) nor a signal.
    #[track_caller]
    pub fn failure(&self) -> &Self {
        assert!(self.code != 0, "command unexpectedly succeeded:\n{self:?}");
        assert!(self.code != 101, "command panicked (exit 101):\n{self:?}");
        assert!(self.signal.is_none(), "command died of a signal:\n{self:?}");
        assert!(
            !self.stderr.contains("panicked at"),
            "command panicked:\n{self:?}"
        );
        self
    }

    /// Asserts the exact exit code.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Self {
        assert!(self.code == code, "expected exit code {code}:\n{self:?}");
        self
    }

    /// Asserts stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{self:?}"
        );
        self
    }

    /// Asserts stdout contains `needle`.
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{self:?}"
        );
        self
    }

    /// stdout and stderr with `root` replaced by `<ROOT>` (for comparing twins and snapshots).
    pub fn normalized(&self, root: &Path) -> (String, String) {
        (normalize(&self.stdout, root), normalize(&self.stderr, root))
    }
}

const GIT_HINT_START: &str = "\nTo track the changes with git, run:\n";

/// Removes dvc's "To track the changes with git, run: … To enable auto staging, run: …"
/// block (printed when `core.autostage` is off).
pub fn strip_git_hint(text: &str) -> String {
    let Some(start) = text.find(GIT_HINT_START) else {
        return text.to_string();
    };
    const TAIL: &str = "\tdvc config core.autostage true\n";
    match text[start..].find(TAIL) {
        Some(end) => format!("{}{}", &text[..start], &text[start + end + TAIL.len()..]),
        None => text.to_string(),
    }
}

/// dvc prints the files of its `git add` hint from a Python set, so their order changes
/// from run to run: sort them.
pub fn canonical_hint(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("\tgit add ") {
            let newline = rest.ends_with('\n');
            let mut words: Vec<&str> = rest.trim_end_matches('\n').split(' ').collect();
            words.sort_unstable();
            out.push_str("\tgit add ");
            out.push_str(&words.join(" "));
            if newline {
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

/// dvc prints some lists of paths from sets, in an order that changes from run to run:
/// sort the lines of those blocks (they follow a known header line and end before a line
/// that starts a new message).
pub fn canonical_lists(text: &str) -> String {
    const HEADERS: &[&str] = &[
        "ERROR: Checkout failed for following targets:",
        "ERROR: Can't remove the following unsaved files without confirmation.",
    ];
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        out.push_str(lines[i]);
        let is_header = HEADERS.iter().any(|h| lines[i].starts_with(h));
        i += 1;
        if is_header {
            let start = i;
            while i < lines.len()
                && !lines[i].trim().is_empty()
                && !lines[i].starts_with("Is your cache")
                && !lines[i].starts_with("ERROR")
                && !lines[i].starts_with("WARNING")
                && !lines[i].starts_with("<http")
            {
                i += 1;
            }
            let mut block: Vec<String> = lines[start..i]
                .iter()
                .map(|l| l.trim_end_matches('\n').to_string())
                .collect();
            block.sort();
            for l in block {
                out.push_str(&l);
                out.push('\n');
            }
        }
    }
    out
}

/// Makes command output comparable where dvc's order is arbitrary:
/// - JSON documents are re-serialized with sorted keys;
/// - `dvc status` blocks (a `stage:` line and its tab-indented lines) are sorted, since dvc
///   lists stages in directory-read order;
/// - runs of `checkout` lines (`A       path`) are sorted for the same reason.
pub fn canonical_order(text: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text.trim())
        && (v.is_object() || v.is_array())
    {
        return format!("{}\n", sorted_json(&v));
    }
    let lines: Vec<&str> = text.lines().collect();
    let is_status = !lines.is_empty()
        && lines[0].ends_with(':')
        && !lines[0].starts_with('\t')
        && lines
            .iter()
            .all(|l| l.starts_with('\t') || l.ends_with(':'));
    let mut out: Vec<String> = Vec::new();
    if is_status {
        let mut blocks: Vec<String> = Vec::new();
        for l in &lines {
            if !l.starts_with('\t') || blocks.is_empty() {
                blocks.push(String::new());
            }
            let last = blocks.last_mut().expect("a block was pushed");
            last.push_str(l);
            last.push('\n');
        }
        blocks.sort();
        return blocks.concat();
    }
    let is_checkout_line =
        |l: &str| l.len() > 8 && matches!(&l[..1], "A" | "M" | "D") && &l[1..8] == "       ";
    let mut i = 0;
    while i < lines.len() {
        if is_checkout_line(lines[i]) {
            let start = i;
            while i < lines.len() && is_checkout_line(lines[i]) {
                i += 1;
            }
            let mut run: Vec<String> = lines[start..i].iter().map(|l| l.to_string()).collect();
            run.sort();
            out.extend(run);
        } else {
            out.push(lines[i].to_string());
            i += 1;
        }
    }
    let mut s = out.join("\n");
    if text.ends_with('\n') {
        s.push('\n');
    }
    s
}

fn sorted_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        serde_json::Value::String((*k).clone()),
                        sorted_json(v)
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        serde_json::Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(sorted_json).collect::<Vec<_>>().join(", ")
            )
        }
        other => other.to_string(),
    }
}

/// Replaces every occurrence of `root` (and its canonical form) by `<ROOT>`.
pub fn normalize(text: &str, root: &Path) -> String {
    let mut out = text.to_string();
    let mut roots = vec![root.to_string_lossy().into_owned()];
    if let Ok(c) = root.canonicalize() {
        roots.push(c.to_string_lossy().into_owned());
    }
    roots.sort_by_key(|r| std::cmp::Reverse(r.len()));
    for r in roots {
        out = out.replace(&r, "<ROOT>");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// TestEnv
// ---------------------------------------------------------------------------------------------

/// A hermetic environment in a temp dir. The default working directory is `<tmp>/repo`
/// (created empty, not a git repository); [`TestEnv::dir`] gives others.
pub struct TestEnv {
    tmp: Option<tempfile::TempDir>,
    root: PathBuf,
    vars: Vec<(OsString, OsString)>,
    main: PathBuf,
    /// `dvc` runs from the remote-plugins venv ([`crate::servers::plugins_bin_dir`]).
    plugins: bool,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if std::env::var_os("GIT_DVC_TEST_KEEP").is_some()
            && let Some(tmp) = self.tmp.take()
        {
            eprintln!("keeping {}", tmp.keep().display());
        }
    }
}

/// Fixed date for commits, so object ids are reproducible.
pub const FIXED_DATE: &str = "2001-02-03T04:05:06+00:00";

impl TestEnv {
    /// A fresh environment. Provisions the oracle first (all tests run with dvc on PATH).
    pub fn new() -> Self {
        let venv_bin = oracle_bin_dir();
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        fs::create_dir_all(&base).expect("create CARGO_TARGET_TMPDIR");
        let tmp = tempfile::Builder::new()
            .prefix("t-")
            .tempdir_in(&base)
            .expect("create temp dir");
        let root = tmp.path().canonicalize().expect("canonicalize temp dir");
        let home = root.join("home");
        for d in [
            "home/.config",
            "home/.cache",
            "home/.local/share",
            "home/.local/state",
            "dvc-site-cache",
            "dvc-global-config",
            "dvc-system-config",
            "repo",
        ] {
            fs::create_dir_all(root.join(d)).expect("create env dir");
        }
        let gitconfig = home.join(".gitconfig");
        fs::write(
            &gitconfig,
            "[user]\n\tname = Test User\n\temail = test@example.com\n\
             [init]\n\tdefaultBranch = main\n\
             [advice]\n\tdetachedHead = false\n\
             [core]\n\tautocrlf = false\n\
             [gitdvc]\n\twatchman = false\n",
        )
        .expect("write gitconfig");
        let bin_dir = git_dvc_exe().parent().expect("bin dir").to_path_buf();
        let path = std::env::join_paths([
            bin_dir.as_path(),
            venv_bin,
            Path::new("/usr/local/bin"),
            Path::new("/usr/bin"),
            Path::new("/bin"),
        ])
        .expect("join PATH");
        let mut vars: Vec<(OsString, OsString)> = Vec::new();
        let mut set = |k: &str, v: &dyn AsRef<std::ffi::OsStr>| {
            vars.push((k.into(), v.as_ref().to_os_string()));
        };
        set("PATH", &path);
        set("HOME", &home);
        set("XDG_CONFIG_HOME", &home.join(".config"));
        set("XDG_CACHE_HOME", &home.join(".cache"));
        set("XDG_DATA_HOME", &home.join(".local/share"));
        set("XDG_STATE_HOME", &home.join(".local/state"));
        set("USER", &"tester");
        set("LOGNAME", &"tester");
        set("LANG", &"C.UTF-8");
        set("LC_ALL", &"C.UTF-8");
        set("TZ", &"UTC");
        set("GIT_CONFIG_NOSYSTEM", &"1");
        set("GIT_CONFIG_GLOBAL", &gitconfig);
        set("GIT_AUTHOR_DATE", &FIXED_DATE);
        set("GIT_COMMITTER_DATE", &FIXED_DATE);
        set("GIT_TERMINAL_PROMPT", &"0");
        set("DVC_NO_ANALYTICS", &"1");
        set("DVC_SITE_CACHE_DIR", &root.join("dvc-site-cache"));
        set("DVC_GLOBAL_CONFIG_DIR", &root.join("dvc-global-config"));
        set("DVC_SYSTEM_CONFIG_DIR", &root.join("dvc-system-config"));
        // No credentials leak in from the host; S3 tests set their own (see `use_s3`).
        set("AWS_CONFIG_FILE", &home.join(".aws/config"));
        set(
            "AWS_SHARED_CREDENTIALS_FILE",
            &home.join(".aws/credentials"),
        );
        set("AWS_EC2_METADATA_DISABLED", &"true");
        set("PYTHONDONTWRITEBYTECODE", &"1");
        let main = root.join("repo");
        TestEnv {
            tmp: Some(tmp),
            root,
            vars,
            main,
            plugins: false,
        }
    }

    /// From now on `dvc` is the oracle with dvc's remote plugins (dvc-http, dvc-webdav,
    /// dvc-ssh, dvc-gs, dvc-azure), from its own venv (provisioned on first use).
    pub fn use_remote_plugins(&mut self) {
        let plugins = crate::servers::plugins_bin_dir();
        let path = std::env::join_paths([
            git_dvc_exe().parent().expect("bin dir"),
            plugins,
            Path::new("/usr/local/bin"),
            Path::new("/usr/bin"),
            Path::new("/bin"),
        ])
        .expect("join PATH");
        self.set_var("PATH", path);
        self.plugins = true;
    }

    /// The `bin` directory of the venv whose `dvc` this env runs.
    pub fn oracle_bin(&self) -> &'static Path {
        if self.plugins {
            crate::servers::plugins_bin_dir()
        } else {
            oracle_bin_dir()
        }
    }

    /// The temp dir holding everything.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Sets (or replaces) an environment variable for every later command.
    pub fn set_var(&mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.as_ref().to_os_string()));
    }

    /// Removes an environment variable for every later command.
    pub fn remove_var(&mut self, key: &str) {
        self.vars.retain(|(k, _)| k != key);
    }

    /// The default working directory, `<tmp>/repo`.
    pub fn repo(&self) -> Dir<'_> {
        Dir {
            env: self,
            path: self.main.clone(),
        }
    }

    /// A directory relative to the env root, created if missing.
    pub fn dir(&self, rel: &str) -> Dir<'_> {
        let path = self.root.join(rel);
        fs::create_dir_all(&path).expect("create dir");
        Dir { env: self, path }
    }

    /// A directory `rel` made into a git repository (`git init`).
    pub fn git_repo(&self, rel: &str) -> Dir<'_> {
        let d = self.dir(rel);
        d.git(&["init", "-q"]).success();
        d
    }

    /// Two git repositories, `dvc/` driven by dvc and `gd/` driven by git-dvc.
    pub fn twin(&self) -> Twin<'_> {
        Twin {
            dvc: self.git_repo("dvc"),
            gd: self.git_repo("gd"),
        }
    }

    /// A second pair of git repositories, `<name>-dvc/` and `<name>-gd/`.
    pub fn twin_in(&self, name: &str) -> Twin<'_> {
        Twin {
            dvc: self.git_repo(&format!("{name}-dvc")),
            gd: self.git_repo(&format!("{name}-gd")),
        }
    }

    /// Two plain directories (no git), `dvc/` and `gd/`, for `--no-scm` cases.
    pub fn twin_plain(&self) -> Twin<'_> {
        Twin {
            dvc: self.dir("dvc"),
            gd: self.dir("gd"),
        }
    }

    /// A `Command` for `program` in `cwd` with the hermetic environment.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>, cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(cwd).env_clear();
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        // SAFETY: umask is async-signal-safe and touches only the child.
        unsafe {
            cmd.pre_exec(|| {
                libc::umask(0o022);
                Ok(())
            });
        }
        cmd
    }

    /// Runs `git` in the default directory.
    pub fn git(&self, args: &[&str]) -> CommandOutput {
        self.repo().git(args)
    }
    /// Runs the oracle `dvc` in the default directory.
    pub fn dvc(&self, args: &[&str]) -> CommandOutput {
        self.repo().dvc(args)
    }
    /// Runs `git-dvc` in the default directory.
    pub fn gd(&self, args: &[&str]) -> CommandOutput {
        self.repo().gd(args)
    }
    /// Writes a file relative to the default directory.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        self.repo().write(rel, contents)
    }
    /// Reads a file relative to the default directory.
    pub fn read(&self, rel: &str) -> String {
        self.repo().read(rel)
    }
    /// Lists a directory relative to the default directory (see [`listing`]).
    pub fn listing(&self, rel: &str) -> String {
        listing(&self.main.join(rel))
    }

    /// Sets AWS credentials for the loopback S3 server and returns its endpoint URL.
    pub fn use_s3(&mut self) -> String {
        let endpoint = moto_server().to_string();
        self.set_var("AWS_ACCESS_KEY_ID", "testing");
        self.set_var("AWS_SECRET_ACCESS_KEY", "testing");
        self.set_var("AWS_DEFAULT_REGION", "us-east-1");
        self.set_var("AWS_REGION", "us-east-1");
        endpoint
    }
}

/// Runs a prepared command with a time limit, capturing its output.
pub fn run_command(mut cmd: Command, stdin: Option<&[u8]>) -> CommandOutput {
    let command = format!(
        "{} {}",
        Path::new(cmd.get_program())
            .file_name()
            .unwrap_or_default()
            .to_string_lossy(),
        cmd.get_args()
            .map(|a| shell_quote(&a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let cwd = cmd
        .get_current_dir()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn `{command}`: {e}"));
    let input = stdin.map(<[u8]>::to_vec);
    let mut child_stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let (Some(mut w), Some(input)) = (child_stdin.take(), input) {
            let _ = w.write_all(&input);
        }
    });
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let limit = Duration::from_secs(
        std::env::var("GIT_DVC_TEST_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(180),
    );
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{command}` in {} timed out after {limit:?}", cwd.display());
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let _ = writer.join();
    let stdout = String::from_utf8_lossy(&out_reader.join().expect("stdout reader")).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().expect("stderr reader")).into_owned();
    use std::os::unix::process::ExitStatusExt;
    let signal = status.signal();
    let code = status.code().unwrap_or_else(|| 128 + signal.unwrap_or(0));
    CommandOutput {
        command,
        cwd,
        stdout,
        stderr,
        code,
        signal,
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@+%".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

// ---------------------------------------------------------------------------------------------
// Dir: one working directory inside a TestEnv.
// ---------------------------------------------------------------------------------------------

/// A directory inside a [`TestEnv`]; runs commands there and reads and writes files.
#[derive(Clone)]
pub struct Dir<'a> {
    pub env: &'a TestEnv,
    pub path: PathBuf,
}

impl<'a> Dir<'a> {
    /// With real dvc: a stage `build` that depends on `in.txt` (written with `input`),
    /// declares `outs` and runs `cmd`, then `dvc repro`, so that `dvc.yaml` and `dvc.lock`
    /// exist. Running pipelines is dvc's job; the tests only need their outputs.
    pub fn dvc_pipeline(&self, input: &str, outs: &[&str], cmd: &str) {
        self.write("in.txt", input);
        let mut args = vec!["stage", "add", "-q", "-n", "build", "-d", "in.txt"];
        for o in outs {
            args.extend(["-o", o]);
        }
        args.push(cmd);
        self.dvc(&args).success();
        self.dvc(&["repro", "-q"]).success();
    }

    /// Absolute path of `rel` inside this directory.
    pub fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() || rel == "." {
            self.path.clone()
        } else {
            self.path.join(rel)
        }
    }

    /// A subdirectory (created if missing), for running commands from inside it.
    pub fn sub(&self, rel: &str) -> Dir<'a> {
        let path = self.path(rel);
        fs::create_dir_all(&path).expect("create subdir");
        Dir {
            env: self.env,
            path,
        }
    }

    /// A hermetic `Command` for `program` in this directory.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        self.env.command(program, &self.path)
    }

    /// Runs any program from PATH here.
    pub fn run(&self, program: &str, args: &[&str]) -> CommandOutput {
        let mut cmd = self.command(program);
        cmd.args(args);
        run_command(cmd, None)
    }

    /// Runs `git`.
    pub fn git(&self, args: &[&str]) -> CommandOutput {
        self.run("git", args)
    }

    /// Runs the oracle `dvc` (from the venv, resolved through the env's PATH).
    pub fn dvc(&self, args: &[&str]) -> CommandOutput {
        run_oracle(self.env, &self.path, args, None)
    }

    /// Runs the oracle `dvc` with bytes on stdin (e.g. answering a prompt).
    pub fn dvc_stdin(&self, args: &[&str], stdin: &[u8]) -> CommandOutput {
        run_oracle(self.env, &self.path, args, Some(stdin))
    }

    /// Runs `git-dvc`. A panic (exit 101) fails the test whatever the test expected.
    pub fn gd(&self, args: &[&str]) -> CommandOutput {
        if gd_is_dvc() {
            return run_oracle(self.env, &self.path, args, None);
        }
        let mut cmd = self.command(git_dvc_exe());
        cmd.args(args);
        let out = run_command(cmd, None);
        assert_no_panic(&out);
        out
    }

    /// Runs `git-dvc` with bytes on stdin.
    pub fn gd_stdin(&self, args: &[&str], stdin: &[u8]) -> CommandOutput {
        if gd_is_dvc() {
            return run_oracle(self.env, &self.path, args, Some(stdin));
        }
        let mut cmd = self.command(git_dvc_exe());
        cmd.args(args);
        let out = run_command(cmd, Some(stdin));
        assert_no_panic(&out);
        out
    }

    /// Writes a file (creating parent dirs) with mode 0644.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("create parent dir");
        }
        // Replace rather than truncate: the old file may be a read-only cache hardlink.
        let _ = fs::remove_file(&p);
        fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        set_mode(&p, 0o644);
    }

    /// Reads a UTF-8 file.
    #[track_caller]
    pub fn read(&self, rel: &str) -> String {
        let p = self.path(rel);
        fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    /// Reads a file's bytes.
    #[track_caller]
    pub fn read_bytes(&self, rel: &str) -> Vec<u8> {
        let p = self.path(rel);
        fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    /// Whether `rel` exists (without following a final symlink).
    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).symlink_metadata().is_ok()
    }

    /// Permission bits of `rel` (`0o644`), not following symlinks.
    #[track_caller]
    pub fn mode(&self, rel: &str) -> u32 {
        let p = self.path(rel);
        p.symlink_metadata()
            .unwrap_or_else(|e| panic!("stat {}: {e}", p.display()))
            .mode()
            & 0o7777
    }

    /// Sets permission bits.
    pub fn chmod(&self, rel: &str, mode: u32) {
        set_mode(&self.path(rel), mode);
    }

    /// Removes a file or a whole tree (making read-only entries writable first).
    pub fn remove(&self, rel: &str) {
        remove_all(&self.path(rel));
    }

    /// Sorted listing of `rel` with modes (see [`listing`]).
    pub fn listing(&self, rel: &str) -> String {
        listing(&self.path(rel))
    }

    /// Writes the deterministic dataset (see [`make_dataset`]) under `rel`.
    pub fn make_dataset(&self, rel: &str, files: usize) {
        make_dataset(&self.path(rel), files);
    }
}

/// Whether `gd()` runs dvc itself (`GIT_DVC_TEST_GD_IS_DVC=1`). That switch checks the
/// tests, not git-dvc: every twin comparison must then pass (dvc against dvc), which
/// catches expectations that dvc itself does not meet.
fn gd_is_dvc() -> bool {
    std::env::var_os("GIT_DVC_TEST_GD_IS_DVC").is_some_and(|v| v == "1")
}

#[track_caller]
fn assert_no_panic(out: &CommandOutput) {
    assert!(
        out.code != 101 && !out.stderr.contains("panicked at"),
        "git-dvc panicked; a panic is always a bug:\n{out:?}"
    );
    assert!(out.signal.is_none(), "git-dvc died of a signal:\n{out:?}");
}

/// chmod.
pub fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
}

/// `rm -rf`, also for read-only trees (cache objects are 0444 in 0755 dirs, but be safe).
pub fn remove_all(p: &Path) {
    let Ok(meta) = p.symlink_metadata() else {
        return;
    };
    if meta.is_dir() {
        let _ = fs::set_permissions(p, fs::Permissions::from_mode(0o755));
        for entry in fs::read_dir(p).expect("read_dir") {
            remove_all(&entry.expect("dir entry").path());
        }
        fs::remove_dir(p).unwrap_or_else(|e| panic!("rmdir {}: {e}", p.display()));
    } else {
        fs::remove_file(p).unwrap_or_else(|e| panic!("rm {}: {e}", p.display()));
    }
}

// ---------------------------------------------------------------------------------------------
// Listings and tree snapshots.
// ---------------------------------------------------------------------------------------------

fn walk(
    base: &Path,
    rel: &Path,
    skip: &dyn Fn(&str) -> bool,
    out: &mut Vec<(String, fs::Metadata)>,
) {
    let dir = base.join(rel);
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    let mut names: Vec<_> = entries.map(|e| e.expect("dir entry").file_name()).collect();
    names.sort();
    for name in names {
        let rel_child = rel.join(&name);
        let rel_str = rel_child.to_string_lossy().into_owned();
        if skip(&rel_str) {
            continue;
        }
        let meta = base.join(&rel_child).symlink_metadata().expect("lstat");
        let is_dir = meta.is_dir();
        out.push((rel_str, meta));
        if is_dir {
            walk(base, &rel_child, skip, out);
        }
    }
}

/// A sorted listing of everything under `dir`, one line per entry:
/// `0444 files/md5/ab/cdef…` for files, `0755 files/md5/ab/` for directories and
/// `link files/x -> target` for symlinks. Empty string if `dir` does not exist.
pub fn listing(dir: &Path) -> String {
    let mut entries = Vec::new();
    walk(dir, Path::new(""), &|_| false, &mut entries);
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let lines: Vec<String> = entries
        .iter()
        .map(|(rel, meta)| {
            let mode = meta.mode() & 0o7777;
            if meta.file_type().is_symlink() {
                let target = fs::read_link(dir.join(rel)).expect("readlink");
                format!("link {rel} -> {}", target.display())
            } else if meta.is_dir() {
                format!("{mode:04o} {rel}/")
            } else {
                format!("{mode:04o} {rel}")
            }
        })
        .collect();
    let mut s = lines.join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

/// md5 hex of bytes.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// A snapshot of a repository for byte comparison: every entry outside `.git/` and
/// `.dvc/tmp/` with its type, mode and content (short UTF-8 text inline, else its md5).
pub fn tree_snapshot(dir: &Dir<'_>) -> String {
    let skip = |rel: &str| rel == ".git" || rel == ".dvc/tmp";
    let mut entries = Vec::new();
    walk(&dir.path, Path::new(""), &skip, &mut entries);
    let mut s = String::new();
    for (rel, meta) in &entries {
        let mode = meta.mode() & 0o7777;
        let p = dir.path.join(rel);
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&p).expect("readlink");
            let target = normalize(&target.to_string_lossy(), &dir.path);
            s.push_str(&format!("link {rel} -> {target}\n"));
        } else if meta.is_dir() {
            s.push_str(&format!("{mode:04o} {rel}/\n"));
        } else {
            let bytes = fs::read(&p).expect("read file");
            match std::str::from_utf8(&bytes) {
                Ok(text) if bytes.len() <= 4096 && !text.contains('\0') => {
                    s.push_str(&format!("{mode:04o} {rel} ({} bytes):\n", bytes.len()));
                    for line in text.split_inclusive('\n') {
                        s.push_str(&format!("    |{}\n", line.escape_debug()));
                    }
                }
                _ => s.push_str(&format!(
                    "{mode:04o} {rel} ({} bytes, md5 {})\n",
                    bytes.len(),
                    md5_hex(&bytes)
                )),
            }
        }
    }
    s
}

/// Everything a command could change in a repository: the tree (pointers, `.gitignore`s,
/// the cache), the git index, and `.git` itself (its names and modes, `config`, `HEAD`).
pub fn disk_state(d: &Dir<'_>) -> String {
    format!(
        "{}--- index\n{}--- .git\n{}{}{}",
        tree_snapshot(d),
        index_snapshot(d),
        listing(&d.path(".git")),
        d.read(".git/config"),
        d.read(".git/HEAD")
    )
}

/// `git ls-files --stage` of a repository (empty outside git): what is staged.
pub fn index_snapshot(dir: &Dir<'_>) -> String {
    if dir.path.join(".git").exists() {
        // -z: paths verbatim (no C-quoting of non-ASCII), one entry per NUL.
        dir.git(&["ls-files", "--stage", "-z"])
            .success()
            .stdout
            .replace('\0', "\n")
    } else {
        String::new()
    }
}

/// Asserts two texts are equal, printing a line diff (with 3 lines of context) when not.
#[track_caller]
pub fn assert_same_text(what: &str, left_name: &str, left: &str, right_name: &str, right: &str) {
    if left == right {
        return;
    }
    let l: Vec<&str> = left.lines().collect();
    let r: Vec<&str> = right.lines().collect();
    let lines = diff_lines(&l, &r);
    let changed: Vec<bool> = lines.iter().map(|d| !d.starts_with("  ")).collect();
    let mut diff = String::new();
    let mut skipped = false;
    for (i, line) in lines.iter().enumerate() {
        let near = (i.saturating_sub(3)..(i + 4).min(lines.len())).any(|k| changed[k]);
        if near {
            if skipped {
                diff.push_str("  ...\n");
                skipped = false;
            }
            diff.push_str(line);
            if changed[i] && (line.ends_with(' ') || line.ends_with('\t')) {
                diff.push_str("   <- trailing whitespace");
            }
            diff.push('\n');
        } else {
            skipped = true;
        }
    }
    if skipped {
        diff.push_str("  ...\n");
    }
    if left.ends_with('\n') != right.ends_with('\n') {
        diff.push_str("(the texts differ in their final newline)\n");
    }
    panic!("{what} differ (- {left_name}, + {right_name}):\n{diff}");
}

/// A minimal LCS line diff (inputs here are small).
fn diff_lines(a: &[&str], b: &[&str]) -> Vec<String> {
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(format!("  {}", a[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("+ {}", b[j]));
            j += 1;
        } else {
            out.push(format!("- {}", a[i]));
            i += 1;
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Twin repositories.
// ---------------------------------------------------------------------------------------------

/// Two repositories built the same way, one driven by dvc and one by git-dvc.
pub struct Twin<'a> {
    pub dvc: Dir<'a>,
    pub gd: Dir<'a>,
}

/// Both outputs of a command run in a [`Twin`].
pub struct TwinOutput {
    pub dvc: CommandOutput,
    pub gd: CommandOutput,
    dvc_root: PathBuf,
    gd_root: PathBuf,
}

impl TwinOutput {
    /// Asserts equal exit codes.
    #[track_caller]
    pub fn same_code(&self) -> &Self {
        assert!(
            self.dvc.code == self.gd.code,
            "exit codes differ: dvc {} vs git-dvc {}\n{:?}\n{:?}",
            self.dvc.code,
            self.gd.code,
            self.dvc,
            self.gd
        );
        self
    }

    /// Asserts equal exit codes and byte-equal stdout (repo roots normalized).
    #[track_caller]
    pub fn same_stdout(&self) -> &Self {
        self.same_code();
        let mut raw_d = normalize(&self.dvc.stdout, &self.dvc_root);
        let raw_g = normalize(&self.gd.stdout, &self.gd_root);
        // git-dvc stages what it writes (see `assert_same_index`), so like dvc with
        // `core.autostage` it prints no `git add` hint.
        if !raw_g.contains(GIT_HINT_START) {
            raw_d = strip_git_hint(&raw_d);
        }
        let d = canonical_order(&canonical_hint(&raw_d));
        let g = canonical_order(&canonical_hint(&raw_g));
        assert_same_text("stdout", "dvc", &d, "git-dvc", &g);
        // Reordering hides order only: the same content laid out differently (e.g. JSON
        // separators) still changes the length.
        assert!(
            raw_d.len() == raw_g.len(),
            "stdout has the same content but a different layout:\n--- dvc ---\n{raw_d}\n--- git-dvc ---\n{raw_g}"
        );
        self
    }

    /// Asserts equal exit codes, stdout and stderr (repo roots normalized).
    #[track_caller]
    pub fn same_output(&self) -> &Self {
        self.same_stdout();
        let d = canonical_lists(&normalize(&self.dvc.stderr, &self.dvc_root));
        // `hint:` lines are git-dvc's own, after dvc's message (dvc prints none).
        let g: String = self
            .gd
            .stderr
            .split_inclusive('\n')
            .filter(|l| !l.starts_with("hint: "))
            .collect();
        // Where dvc's hints name a `dvc …` command, git-dvc's name `git dvc …`.
        let g = g
            .replace("'git dvc ", "'dvc ")
            .replace("    git dvc ", "    dvc ");
        let g = canonical_lists(&normalize(&g, &self.gd_root));
        assert_same_text("stderr", "dvc", &d, "git-dvc", &g);
        self
    }

    /// Asserts both succeeded.
    #[track_caller]
    pub fn success(&self) -> &Self {
        self.dvc.success();
        self.gd.success();
        self
    }
}

/// Run `args` in both twins and require the same output and the same repository tree.
#[track_caller]
pub fn same(twin: &Twin<'_>, args: &[&str]) -> TwinOutput {
    let out = twin.run(args);
    twin.assert_same_tree();
    out.same_output();
    out
}

impl<'a> Twin<'a> {
    /// Runs a setup step in both repositories.
    pub fn both(&self, f: impl Fn(&Dir<'a>)) {
        f(&self.dvc);
        f(&self.gd);
    }

    /// Writes the same file in both repositories.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        self.dvc.write(rel, contents.as_ref());
        self.gd.write(rel, contents.as_ref());
    }

    /// Runs the same git command in both.
    pub fn git(&self, args: &[&str]) {
        self.dvc.git(args).success();
        self.gd.git(args).success();
    }

    /// Runs `dvc ARGS` in the dvc repo and `git-dvc ARGS` in the git-dvc repo.
    pub fn run(&self, args: &[&str]) -> TwinOutput {
        self.run_in("", args)
    }

    /// Like [`Twin::run`], from subdirectory `sub` of each repository.
    pub fn run_in(&self, sub: &str, args: &[&str]) -> TwinOutput {
        let (d, g) = if sub.is_empty() {
            (self.dvc.clone(), self.gd.clone())
        } else {
            (self.dvc.sub(sub), self.gd.sub(sub))
        };
        TwinOutput {
            dvc: d.dvc(args),
            gd: g.gd(args),
            dvc_root: self.dvc.path.clone(),
            gd_root: self.gd.path.clone(),
        }
    }

    /// `dvc init` / `git-dvc init` in both (asserting success).
    pub fn init(&self) {
        self.run(&["init"]).success();
    }

    /// Asserts both trees (workspace, `.dvc` files, `.gitignore`s, config, cache with modes,
    /// git index) are byte-identical.
    #[track_caller]
    pub fn assert_same_tree(&self) {
        let d = tree_snapshot(&self.dvc);
        let g = tree_snapshot(&self.gd);
        assert_same_text("repository trees", "dvc", &d, "git-dvc", &g);
        self.assert_same_index();
    }

    /// Compares what is staged in git. git-dvc stages the pointer files and `.gitignore`s it
    /// writes, as dvc does with `core.autostage = true` (a deliberate choice, see
    /// `src/cli/scm.rs`); dvc without autostage leaves them unstaged. So: every entry must be
    /// the same, except that git-dvc may have staged a `.dvc`, `dvc.lock` or `.gitignore`
    /// path exactly as it is in its worktree.
    #[track_caller]
    pub fn assert_same_index(&self) {
        let parse = |text: &str| -> BTreeMap<String, String> {
            text.lines()
                .filter_map(|l| l.split_once('\t'))
                .map(|(meta, path)| (path.to_string(), meta.to_string()))
                .collect()
        };
        let d = parse(&index_snapshot(&self.dvc));
        let g = parse(&index_snapshot(&self.gd));
        let paths: std::collections::BTreeSet<&String> = d.keys().chain(g.keys()).collect();
        let mut bad = Vec::new();
        for path in paths {
            if d.get(path) == g.get(path) {
                continue;
            }
            let name = path.rsplit('/').next().unwrap_or(path);
            let pointer = name.ends_with(".dvc") || name == "dvc.lock" || name == ".gitignore";
            let as_in_worktree = if self.gd.path(path).exists() {
                g.contains_key(path) && self.gd.git(&["diff", "--quiet", "--", path]).code == 0
            } else {
                !g.contains_key(path)
            };
            if !(pointer && as_in_worktree) {
                bad.push(format!(
                    "{path}: dvc {:?}, git-dvc {:?}",
                    d.get(path).map(String::as_str).unwrap_or("(not staged)"),
                    g.get(path).map(String::as_str).unwrap_or("(not staged)")
                ));
            }
        }
        assert!(
            bad.is_empty(),
            "files are identical, but the git index differs:\n{}",
            bad.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic data.
// ---------------------------------------------------------------------------------------------

/// SplitMix64: a tiny deterministic generator (the bench's `bench/mkdata.py` uses Python's
/// `random`; tests only need the same shape of data, not the same bytes).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

/// The dataset shape of `bench/mkdata.py`: `files` files named `dNNN/fNNNNNN.bin` spread
/// over up to 100 subdirectories, 512 B to 8 KiB of random bytes each, seed 42.
pub fn make_dataset(out: &Path, files: usize) {
    let mut rng = Rng::new(42);
    for i in 0..files {
        let d = out.join(format!("d{:03}", i % 100));
        fs::create_dir_all(&d).expect("create dataset dir");
        let size = rng.range(512, 8192) as usize;
        let p = d.join(format!("f{i:06}.bin"));
        fs::write(&p, rng.bytes(size)).expect("write dataset file");
        set_mode(&p, 0o644);
    }
}

// ---------------------------------------------------------------------------------------------
// moto: a loopback S3 server, one per test process.
// ---------------------------------------------------------------------------------------------

/// Starts `moto_server` on 127.0.0.1 once per test process and returns its endpoint URL
/// (`http://127.0.0.1:PORT`). The server gets SIGKILL when the test process dies.
pub fn moto_server() -> &'static str {
    static MOTO: OnceLock<Result<String, String>> = OnceLock::new();
    match MOTO.get_or_init(start_moto) {
        Ok(url) => url,
        Err(e) => panic!("the moto S3 server is not available: {e}"),
    }
}

fn start_moto() -> Result<String, String> {
    let bin = oracle_bin_dir().join("moto_server");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("finding a free port: {e}"))?
        .port();
    let log_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.log"));
    let _ = fs::create_dir_all(env!("CARGO_TARGET_TMPDIR"));
    let log = fs::File::create(&log_path).map_err(|e| format!("creating moto log: {e}"))?;
    let log2 = log
        .try_clone()
        .map_err(|e| format!("cloning moto log: {e}"))?;
    let (tx, rx) = std::sync::mpsc::channel();
    // PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, and test
    // threads come and go; so fork from a thread that lives as long as the process.
    std::thread::Builder::new()
        .name("moto-server-parent".into())
        .spawn(move || {
            let mut cmd = Command::new(&bin);
            cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log2);
            // SAFETY: prctl and getppid are async-signal-safe.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    // The parent may already be gone (race between fork and prctl).
                    if libc::getppid() == 1 {
                        libc::_exit(1);
                    }
                    Ok(())
                });
            }
            let result = cmd
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", bin.display()));
            let ok = result.is_ok();
            let _ = tx.send(result.map(|_child| ()));
            if ok {
                loop {
                    std::thread::park();
                }
            }
        })
        .map_err(|e| format!("spawning the moto thread: {e}"))?;
    rx.recv().map_err(|e| format!("moto thread: {e}"))??;
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let req = format!("GET / HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
            let mut buf = [0u8; 12];
            if s.write_all(req.as_bytes()).is_ok()
                && s.read_exact(&mut buf).is_ok()
                && buf.starts_with(b"HTTP/")
            {
                return Ok(url);
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "moto_server did not answer on {url} within 60 s; log {}:\n{}",
                log_path.display(),
                tail(&fs::read_to_string(&log_path).unwrap_or_default(), 20)
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Creates an S3 bucket on the loopback server (through the venv's boto3).
pub fn s3_create_bucket(env: &TestEnv, endpoint: &str, bucket: &str) {
    let script = format!(
        "import boto3\n\
         boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1',\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\
         .create_bucket(Bucket={bucket:?})\n"
    );
    let mut cmd = env.command(oracle_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    run_command(cmd, None).success();
}

/// Lists `s3://bucket/prefix` on the loopback server as `key size` lines, sorted.
pub fn s3_listing(env: &TestEnv, endpoint: &str, bucket: &str, prefix: &str) -> String {
    let script = format!(
        "import boto3\n\
         c = boto3.client('s3', endpoint_url={endpoint:?}, region_name='us-east-1',\n\
         aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         keys = []\n\
         for page in c.get_paginator('list_objects_v2').paginate(Bucket={bucket:?}, Prefix={prefix:?}):\n\
         \x20   keys += [(o['Key'], o['Size']) for o in page.get('Contents', [])]\n\
         for k, s in sorted(keys): print(k, s)\n"
    );
    let mut cmd = env.command(oracle_bin_dir().join("python"), env.root());
    cmd.args(["-c", &script]);
    run_command(cmd, None).success().stdout.clone()
}

// ---------------------------------------------------------------------------------------------
// Small helpers for tests.
// ---------------------------------------------------------------------------------------------

/// Parses a `.dir` manifest into relpath → md5.
pub fn parse_dir_manifest(bytes: &[u8]) -> BTreeMap<String, String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).expect(".dir is JSON");
    v.as_array()
        .expect(".dir is a list")
        .iter()
        .map(|e| {
            (
                e["relpath"].as_str().expect("relpath").to_string(),
                e["md5"].as_str().expect("md5").to_string(),
            )
        })
        .collect()
}

/// Cache path of an oid (`ab/cdef…` under `files/md5`).
pub fn cache_rel(oid: &str) -> String {
    format!(".dvc/cache/files/md5/{}/{}", &oid[..2], &oid[2..])
}

// ---------------------------------------------------------------------------------------------
// The oracle fork server.
// ---------------------------------------------------------------------------------------------

/// The fork server: imports dvc (and every module it may need) once, then for each
/// connection forks a child that takes the request's cwd, environment, umask and stdio,
/// runs `dvc.cli.main(argv)` exactly as the `dvc` console script would, and reports its
/// exit code. Requests are independent, so test threads run dvc in parallel.
///
/// Protocol: one JSON line `{"argv", "cwd", "env", "stdin", "stdout", "stderr"}` in; the
/// child answers `pid N\n` at once and `exit N\n` at the end.
const FORKSERVER_PY: &str = r#"
import importlib, json, os, pkgutil, signal, socket, sys, time

import dvc.cli
dvc.cli.parse_args(["status"])  # builds the whole parser: imports every command module
SKIP = (".testing", ".tests", "__main__", "pytest", "benchmark")
for pkg in ("dvc", "dvc_data", "dvc_objects", "dvc_s3", "scmrepo", "dvc_http", "dvc_webdav",
            "dvc_ssh", "dvc_gs", "dvc_azure"):
    try:
        mod = importlib.import_module(pkg)
    except Exception:
        continue
    for info in pkgutil.walk_packages(mod.__path__, pkg + "."):
        if any(s in info.name for s in SKIP):
            continue
        try:
            importlib.import_module(info.name)
        except BaseException:
            pass

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.bind(sys.argv[1])
sock.listen(64)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
sys.stdout.write("ready\n")
sys.stdout.flush()


def child(conn, req):
    code = 255
    try:
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update(req["env"])
        time.tzset()
        os.umask(0o022)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # dvc runs git and waits for it
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        os.dup2(os.open(req["stdin"] or os.devnull, os.O_RDONLY), 0)
        os.dup2(os.open(req["stdout"], flags, 0o600), 1)
        os.dup2(os.open(req["stderr"], flags, 0o600), 2)
        try:
            # libgit2 computed its config search path from the server's HOME.
            import pygit2
            home = os.environ.get("HOME", "")
            pygit2.settings.search_path[pygit2.enums.ConfigLevel.GLOBAL] = home
            pygit2.settings.search_path[pygit2.enums.ConfigLevel.XDG] = os.path.join(
                os.environ.get("XDG_CONFIG_HOME", os.path.join(home, ".config")), "git")
            pygit2.settings.search_path[pygit2.enums.ConfigLevel.SYSTEM] = ""
        except Exception:
            pass
        sys.argv = [req["dvc"]] + req["argv"]
        try:
            code = dvc.cli.main(req["argv"])
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code
            else:
                print(e.code, file=sys.stderr)
                code = 1
        code = 0 if code is None else code
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 255
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
        try:
            conn.sendall(b"exit %d\n" % (code & 0xFF))
        except BaseException:
            pass
        os._exit(code & 0xFF)


while True:
    conn, _ = sock.accept()
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    try:
        req = json.loads(data)
    except ValueError:
        conn.close()
        continue
    pid = os.fork()
    if pid == 0:
        sock.close()
        conn.sendall(b"pid %d\n" % os.getpid())
        child(conn, req)
    conn.close()
"#;

/// Whether dvc runs through the fork server (default) or as a plain process.
fn oracle_fork_enabled() -> bool {
    std::env::var_os("GIT_DVC_ORACLE_FORK").is_none_or(|v| v != "0")
}

/// The fork server's socket for the venv whose `bin` is `bin`, starting it on first use
/// (one per venv: the main oracle and the remote-plugins one).
fn oracle_forkserver(bin: &'static Path) -> &'static Path {
    static MAIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    static PLUGINS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let (cell, tag) = if bin == oracle_bin_dir() {
        (&MAIN, "oracle")
    } else {
        (&PLUGINS, "plugins")
    };
    match cell.get_or_init(|| start_forkserver(bin, tag)) {
        Ok(p) => p,
        Err(e) => panic!("the dvc fork server did not start: {e}"),
    }
}

fn start_forkserver(bin: &'static Path, tag: &str) -> Result<PathBuf, String> {
    // Unix socket paths are limited to ~107 bytes: use the system temp dir when the target
    // dir is deep.
    let name = format!("git-dvc-{tag}-{}.sock", std::process::id());
    let mut sock = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(&name);
    if sock.as_os_str().len() > 100 {
        sock = std::env::temp_dir().join(&name);
    }
    let _ = fs::remove_file(&sock);
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("oracle-forkserver-home");
    fs::create_dir_all(&home).map_err(|e| format!("creating {}: {e}", home.display()))?;
    let path = std::env::join_paths([
        bin,
        Path::new("/usr/local/bin"),
        Path::new("/usr/bin"),
        Path::new("/bin"),
    ])
    .map_err(|e| format!("PATH: {e}"))?;
    let mut cmd = Command::new(bin.join("python"));
    cmd.arg("-c")
        .arg(FORKSERVER_PY)
        .arg(&sock)
        .env_clear()
        .env("PATH", path)
        .env("HOME", &home)
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .env("DVC_NO_ANALYTICS", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let (tx, rx) = std::sync::mpsc::channel();
    // Same reason as for moto: PR_SET_PDEATHSIG follows the forking *thread*.
    std::thread::Builder::new()
        .name("dvc-forkserver-parent".into())
        .spawn(move || {
            // SAFETY: prctl and getppid are async-signal-safe.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    if libc::getppid() == 1 {
                        libc::_exit(1);
                    }
                    Ok(())
                });
            }
            match cmd.spawn() {
                Ok(mut child) => {
                    let stdout = child.stdout.take().expect("piped stdout");
                    let _ = tx.send(Ok(stdout));
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(format!(
                        "cannot start {}: {e}",
                        bin.join("python").display()
                    )));
                }
            }
        })
        .map_err(|e| format!("spawning the fork server thread: {e}"))?;
    let mut stdout = rx
        .recv()
        .map_err(|e| format!("fork server thread: {e}"))??;
    let mut ready = [0u8; 6];
    stdout.read_exact(&mut ready).map_err(|e| {
        format!("the fork server exited before it was ready ({e}); its stderr is above")
    })?;
    if &ready != b"ready\n" {
        return Err(format!(
            "unexpected greeting {:?}",
            String::from_utf8_lossy(&ready)
        ));
    }
    Ok(sock)
}

/// Runs the oracle dvc with `args` in `cwd` under the env's environment.
pub fn run_oracle(env: &TestEnv, cwd: &Path, args: &[&str], stdin: Option<&[u8]>) -> CommandOutput {
    let bin = env.oracle_bin();
    let dvc = bin.join("dvc");
    if !oracle_fork_enabled() {
        let mut cmd = env.command(&dvc, cwd);
        cmd.args(args);
        return run_command(cmd, stdin);
    }
    use std::io::BufRead;
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let command = format!(
        "dvc {}",
        args.iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let io_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("oracle-io");
    fs::create_dir_all(&io_dir).expect("create oracle-io dir");
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let base = io_dir.join(format!("{}-{n}", std::process::id()));
    let out_path = base.with_extension("out");
    let err_path = base.with_extension("err");
    let in_path = stdin.map(|bytes| {
        let p = base.with_extension("in");
        fs::write(&p, bytes).expect("write oracle stdin");
        p
    });
    let env_map: BTreeMap<String, String> = env
        .vars
        .iter()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let request = serde_json::json!({
        "argv": args,
        "cwd": cwd,
        "env": env_map,
        "dvc": dvc,
        "stdin": in_path,
        "stdout": out_path,
        "stderr": err_path,
    });
    let mut stream =
        UnixStream::connect(oracle_forkserver(bin)).expect("connect to the dvc fork server");
    let mut line = serde_json::to_vec(&request).expect("serialize request");
    line.push(b'\n');
    stream
        .write_all(&line)
        .expect("send request to the dvc fork server");
    let limit = Duration::from_secs(
        std::env::var("GIT_DVC_TEST_TIMEOUT")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(180),
    );
    stream.set_read_timeout(Some(limit)).expect("set timeout");
    let mut reader = std::io::BufReader::new(stream);
    let mut pid_line = String::new();
    reader
        .read_line(&mut pid_line)
        .expect("read pid from the dvc fork server");
    let pid: i32 = pid_line
        .trim()
        .strip_prefix("pid ")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let mut exit_line = String::new();
    let read = reader.read_line(&mut exit_line);
    let code = match read {
        Ok(_) if exit_line.starts_with("exit ") => exit_line[5..].trim().parse().unwrap_or(255),
        Ok(_) => panic!(
            "`{command}` in {}: the dvc child died without an exit code",
            cwd.display()
        ),
        Err(e) => {
            if pid > 0 {
                // SAFETY: plain kill(2) of the child we were told about.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            panic!("`{command}` in {} timed out or failed ({e})", cwd.display());
        }
    };
    let read_out =
        |p: &Path| String::from_utf8_lossy(&fs::read(p).unwrap_or_default()).into_owned();
    let stdout = read_out(&out_path);
    let stderr = read_out(&err_path);
    for p in [Some(out_path), Some(err_path), in_path]
        .into_iter()
        .flatten()
    {
        let _ = fs::remove_file(p);
    }
    CommandOutput {
        command,
        cwd: cwd.to_path_buf(),
        stdout,
        stderr,
        code,
        signal: None,
    }
}

/// Runs `program args` in `dir` on a pseudo-terminal (stdin, stdout and stderr all on it),
/// for prompts and progress that only appear on a tty. Drive it with `exp_string`,
/// `send_line`, and finish with [`pty_finish`].
pub fn pty_spawn(dir: &Dir<'_>, program: &Path, args: &[&str]) -> rexpect::session::PtySession {
    let mut cmd = dir.command(program);
    cmd.args(args);
    cmd.env("TERM", "xterm").env("COLUMNS", "100");
    rexpect::session::spawn_command(cmd, Some(120_000)).expect("spawn on a pty")
}

/// Reads the rest of a pty session's output and its exit code.
pub fn pty_finish(mut s: rexpect::session::PtySession) -> (String, i32) {
    let rest = s.exp_eof().expect("wait for end of output");
    let code = match s.process().wait().expect("wait for the process") {
        rexpect::process::WaitStatus::Exited(_, c) => c,
        other => panic!("process did not exit normally: {other:?}"),
    };
    (rest, code)
}

/// Every object under an odb-layout directory (`files/md5/ab/cdef…[.dir]`) hashes to its
/// name. Temp files (dot names) are allowed; they are not objects.
pub fn objects_match_names(root: &Path, what: &str) -> usize {
    let base = root.join("files/md5");
    let Ok(prefixes) = std::fs::read_dir(&base) else {
        return 0;
    };
    let mut n = 0;
    for p in prefixes.flatten() {
        let prefix = p.file_name().to_string_lossy().into_owned();
        if prefix.starts_with('.') || !p.path().is_dir() {
            continue;
        }
        for o in std::fs::read_dir(p.path())
            .expect("read a prefix dir")
            .flatten()
        {
            let name = o.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let bytes = std::fs::read(o.path()).expect("read an object");
            let oid = format!("{prefix}{}", name.trim_end_matches(".dir"));
            assert_eq!(
                md5_hex(&bytes),
                oid,
                "{what}: object {} does not match its name ({} bytes)",
                o.path().display(),
                bytes.len()
            );
            n += 1;
        }
    }
    n
}

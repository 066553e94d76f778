//! `doctor [--json]`: check the repository setup and say what is wrong and how to fix it.
//!
//! Every check yields a [`Finding`] (`ok`, `warn` or `error`, a detail and a fix hint);
//! a check that cannot run is itself a finding, never a crash. Exit 1 when any finding is
//! an error, so CI can gate on it. Link types are probed for real, between the cache and
//! the workspace's `.dvc/tmp`, since what works depends on the filesystems involved.

use super::{CommandError, CommandResult, Context};
use crate::data::config::RemoteLocation;
use crate::data::odb::{self, LinkType};
use crate::data::remote::{self, Remote};
use crate::data::repo::Repo;
use crate::git::Git;
use crate::hooks::HookName;
use crate::hooks::install::{self, ExistingHook};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Arguments of `doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Warn,
    Error,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// One result.
#[derive(Debug, Clone)]
struct Finding {
    check: &'static str,
    level: Level,
    detail: String,
    hint: Option<String>,
}

#[derive(Default)]
struct Report {
    findings: Vec<Finding>,
}

impl Report {
    fn add(
        &mut self,
        check: &'static str,
        level: Level,
        detail: impl Into<String>,
        hint: Option<&str>,
    ) {
        self.findings.push(Finding {
            check,
            level,
            detail: detail.into(),
            hint: hint.map(str::to_string),
        });
    }
}

/// `dvc --version` from PATH, with the binary's location.
fn dvc_version(env: &crate::env::ProcessEnv) -> Option<(String, String)> {
    let exe = env.find_on_path("dvc")?;
    let out = std::process::Command::new(&exe)
        .arg("--version")
        .env("DVC_NO_ANALYTICS", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Some((v, exe.display().to_string()))
}

/// Run `doctor`.
pub fn run(ctx: &Context, args: DoctorArgs) -> CommandResult {
    let mut r = Report::default();
    let ours = env!("CARGO_PKG_VERSION").to_string();
    let dvc = dvc_version(&ctx.env);
    match &dvc {
        Some((v, p)) if v.starts_with("3.") => {
            r.add("dvc", Level::Ok, format!("dvc {v} at {p}"), None)
        }
        Some((v, p)) => r.add(
            "dvc",
            Level::Warn,
            format!("dvc {v} at {p}; git-dvc is compatible with dvc 3.x"),
            Some("upgrade dvc to 3.x (`pip install -U dvc`) if you use it alongside git-dvc"),
        ),
        None => r.add(
            "dvc",
            Level::Ok,
            "dvc is not on PATH (not required; pipelines need it)",
            None,
        ),
    }

    let cwd = ctx.cwd()?;
    match Repo::find_root(&cwd) {
        None => r.add(
            "repo",
            Level::Error,
            "not inside a DVC repository",
            Some("run `git dvc init` at the top of your git repository"),
        ),
        Some(root) => match ctx.open_repo_at(&root) {
            Err(e) => r.add(
                "repo",
                Level::Error,
                format!("{} cannot be opened: {}", root.display(), e.message()),
                Some("fix `.dvc/config` (see `git dvc config --list`) or the file named above"),
            ),
            Ok(repo) => check_repo(&mut r, &repo, &ctx.env),
        },
    }

    let has_error = r.findings.iter().any(|f| f.level == Level::Error);
    if args.json {
        let findings: Vec<Value> = r
            .findings
            .iter()
            .map(|f| {
                json!({"check": f.check, "status": f.level.word(), "detail": f.detail, "hint": f.hint})
            })
            .collect();
        let doc = json!({
            "git_dvc_version": ours,
            "dvc_version": dvc.as_ref().map(|(v, _)| v.clone()),
            "findings": findings,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!("git-dvc {ours}");
        for f in &r.findings {
            println!("{:<5} {}: {}", f.level.word(), f.check, f.detail);
            if f.level != Level::Ok
                && let Some(h) = &f.hint
            {
                println!("      hint: {h}");
            }
        }
    }
    if has_error {
        return Err(CommandError::silent(1));
    }
    Ok(())
}

fn check_repo(r: &mut Report, repo: &Repo, env: &crate::env::ProcessEnv) {
    r.add(
        "repo",
        Level::Ok,
        format!("DVC repository at {}", repo.root.display()),
        None,
    );

    // Outs and their format.
    match repo.find_stage_files() {
        Err(e) => r.add(
            "outs",
            Level::Error,
            e.to_string(),
            Some("fix the file named above"),
        ),
        Ok(files) => {
            let (mut modern, mut legacy, mut broken) = (0usize, Vec::new(), Vec::new());
            for f in &files {
                match repo.load_stage_file(f) {
                    Ok(stages) => {
                        for st in stages {
                            for o in st.outs.iter().filter(|o| o.out.md5.is_some()) {
                                if o.out.is_legacy() {
                                    legacy.push(o.rel.clone());
                                } else {
                                    modern += 1;
                                }
                            }
                        }
                    }
                    Err(e) => broken.push(e.to_string()),
                }
            }
            for b in &broken {
                r.add(
                    "outs",
                    Level::Error,
                    b.clone(),
                    Some("fix or restore the file (`git checkout -- <file>`)"),
                );
            }
            r.add(
                "format",
                Level::Ok,
                format!("{} pointer files, {modern} DVC 3.x outs", files.len()),
                None,
            );
            if !legacy.is_empty() {
                let shown: Vec<&str> = legacy.iter().take(5).map(String::as_str).collect();
                r.add(
                    "format",
                    Level::Warn,
                    format!("{} legacy 2.x outs (md5-dos2unix): {}", legacy.len(), shown.join(", ")),
                    Some("migrate them with `dvc cache migrate --dvc-files` (legacy outs hash text files differently)"),
                );
            }
        }
    }

    check_cache(r, repo);
    check_state(r, repo);
    check_git(r, repo, env);
    check_remotes(r, repo, env);
}

fn probe_writable(dir: &Path) -> Result<(), String> {
    fs_err::create_dir_all(dir).map_err(|e| e.to_string())?;
    let p = odb::temp_name(dir);
    fs_err::write(&p, b"probe").map_err(|e| e.to_string())?;
    let _ = fs_err::remove_file(&p);
    Ok(())
}

fn check_cache(r: &mut Report, repo: &Repo) {
    let root = repo.odb.root().to_path_buf();
    if let Err(e) = probe_writable(&root) {
        r.add(
            "cache",
            Level::Error,
            format!("cache {} is not writable: {e}", root.display()),
            Some("fix the permissions, or point `cache.dir` elsewhere (`git dvc config cache.dir <path>`)"),
        );
        return;
    }
    r.add(
        "cache",
        Level::Ok,
        format!("cache at {}", root.display()),
        None,
    );

    // Which link types work between the cache and the workspace.
    let works = probe_links(&root, &repo.tmp_dir());
    let working: Vec<&str> = works
        .iter()
        .filter(|(_, ok)| *ok)
        .map(|(t, _)| t.name())
        .collect();
    let configured: Vec<&str> = repo.odb.link_types().iter().map(|t| t.name()).collect();
    let effective = repo
        .odb
        .link_types()
        .iter()
        .find(|t| works.iter().any(|(w, ok)| w == *t && *ok));
    match effective {
        Some(t) => r.add(
            "links",
            Level::Ok,
            format!(
                "cache.type {} -> {} will be used (working here: {})",
                configured.join(","),
                t.name(),
                working.join(", ")
            ),
            None,
        ),
        None => r.add(
            "links",
            Level::Error,
            format!(
                "none of cache.type {} works here (working: {})",
                configured.join(","),
                working.join(", ")
            ),
            Some("set a working type, e.g. `git dvc config cache.type copy`"),
        ),
    }

    // Object permissions: anything but 0444 is unverified (spec §4.2).
    match repo.odb.list() {
        Err(e) => r.add(
            "permissions",
            Level::Warn,
            format!("cannot list the cache: {e}"),
            None,
        ),
        Ok(list) => {
            let odd = list
                .iter()
                .filter(|(o, l)| {
                    fs_err::symlink_metadata(repo.odb.path(o, *l))
                        .map(|m| m.permissions().mode() & 0o7777 != 0o444)
                        .unwrap_or(false)
                })
                .count();
            if odd == 0 {
                r.add(
                    "permissions",
                    Level::Ok,
                    format!("{} cache objects, all read-only", list.len()),
                    None,
                );
            } else {
                r.add(
                    "permissions",
                    Level::Warn,
                    format!(
                        "{odd} of {} cache objects are not mode 0444 (unverified)",
                        list.len()
                    ),
                    Some("run `git dvc verify` to re-hash them"),
                );
            }
        }
    }
}

/// Try each link type from a file in the cache to `.dvc/tmp`.
pub(crate) fn probe_links(cache: &Path, tmp: &Path) -> Vec<(LinkType, bool)> {
    let src_dir = cache.join("files");
    let dst_dir = tmp.join("git-dvc");
    let _ = fs_err::create_dir_all(&src_dir);
    let _ = fs_err::create_dir_all(&dst_dir);
    let src = odb::temp_name(&src_dir);
    if fs_err::write(&src, b"probe").is_err() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for t in [
        LinkType::Reflink,
        LinkType::Hardlink,
        LinkType::Symlink,
        LinkType::Copy,
    ] {
        let dst: PathBuf = odb::temp_name(&dst_dir);
        let ok = match t {
            LinkType::Reflink => reflink_copy::reflink(&src, &dst).is_ok(),
            LinkType::Hardlink => fs_err::hard_link(&src, &dst).is_ok(),
            LinkType::Symlink => std::os::unix::fs::symlink(&src, &dst).is_ok(),
            LinkType::Copy => fs_err::copy(&src, &dst).is_ok(),
        };
        let _ = fs_err::remove_file(&dst);
        out.push((t, ok));
    }
    let _ = fs_err::remove_file(&src);
    out
}

fn check_state(r: &mut Report, repo: &Repo) {
    let dir = repo.tmp_dir().join("git-dvc").join("state");
    match (&repo.state, &repo.state_error) {
        (Some(_), None) => r.add(
            "state",
            Level::Ok,
            format!("state DB at {}", dir.display()),
            None,
        ),
        (_, Some(e)) => r.add(
            "state",
            Level::Warn,
            format!("state DB problem: {e}"),
            Some(
                "harmless (it only caches hashes); if it persists, delete `.dvc/tmp/git-dvc/state`",
            ),
        ),
        (None, None) => r.add(
            "state",
            Level::Warn,
            "state DB disabled (GIT_DVC_REHASH)",
            None,
        ),
    }
}

fn check_git(r: &mut Report, repo: &Repo, env: &crate::env::ProcessEnv) {
    let git = Git::new(&repo.root);
    if !git.is_inside_work_tree() {
        r.add(
            "git",
            Level::Warn,
            "not a git work tree: hooks, filter and history-aware gc/diff are unavailable",
            Some("`git init`, or keep using git-dvc without git (`core.no_scm`)"),
        );
        return;
    }
    // Filter, textconv, merge driver: effective config (local or global install).
    for (key, want) in install::CONFIG {
        match git.config_get_effective(key) {
            Ok(Some(v)) if v == want => r.add("install", Level::Ok, format!("{key} = {v}"), None),
            Ok(Some(v)) => r.add(
                "install",
                Level::Warn,
                format!("{key} is '{v}', not git-dvc's '{want}'"),
                Some("run `git dvc install --force`"),
            ),
            _ => r.add(
                "install",
                Level::Warn,
                format!("{key} is not set"),
                Some("run `git dvc install` (or `git dvc install --global`)"),
            ),
        }
    }
    match git.check_attr(&["filter", "diff", "merge"], "probe.dvc") {
        Ok(attrs) if attrs.iter().any(|(a, v)| a == "filter" && v == "dvc") => r.add(
            "install",
            Level::Ok,
            "*.dvc files use the dvc filter, diff and merge attributes",
            None,
        ),
        Ok(_) => r.add(
            "install",
            Level::Warn,
            "*.dvc files have no `filter=dvc` attribute",
            Some("run `git dvc install`"),
        ),
        Err(e) => r.add(
            "install",
            Level::Warn,
            format!("cannot check attributes: {e}"),
            None,
        ),
    }
    let on_path = env.on_path(install::FILTER_PROCESS);
    if !on_path {
        r.add(
            "install",
            Level::Warn,
            "`git-dvc-filter` is not on PATH: git passes pointers through unchanged",
            Some("install both binaries (see install.sh) into a directory on PATH"),
        );
    }
    match git.hooks_dir() {
        Err(e) => r.add(
            "hooks",
            Level::Warn,
            format!("cannot find the hooks directory: {e}"),
            None,
        ),
        Ok(dir) => {
            for hook in HookName::ALL {
                let path = dir.join(hook.as_str());
                let state = fs_err::read(&path)
                    .map(|c| install::classify_hook(hook, &c))
                    .unwrap_or(ExistingHook::Missing);
                let exec = fs_err::metadata(&path)
                    .map(|m| m.permissions().mode() & 0o111 != 0)
                    .unwrap_or(false);
                let (level, detail, hint) = match state {
                    ExistingHook::Ours(v) if v == install::SHIM_VERSION && exec => {
                        (Level::Ok, format!("{} hook installed", hook.as_str()), None)
                    }
                    ExistingHook::Ours(_) if !exec => (
                        Level::Warn,
                        format!("{} hook is not executable", hook.as_str()),
                        Some("run `git dvc install --force`"),
                    ),
                    ExistingHook::Ours(v) => (
                        Level::Warn,
                        format!("{} hook is an old shim (v{v})", hook.as_str()),
                        Some("run `git dvc install` to upgrade it"),
                    ),
                    ExistingHook::Dvc => (
                        Level::Warn,
                        format!(
                            "{} hook is dvc's, which runs dvc on every git operation",
                            hook.as_str()
                        ),
                        Some(
                            "run `git dvc install` (it replaces dvc's hooks and restores them on uninstall)",
                        ),
                    ),
                    ExistingHook::Foreign => (
                        Level::Warn,
                        format!("{} hook is not git-dvc's", hook.as_str()),
                        Some("run `git dvc install` (it keeps and chains the existing hook)"),
                    ),
                    ExistingHook::Missing => (
                        Level::Warn,
                        format!("{} hook is not installed", hook.as_str()),
                        Some("run `git dvc install`"),
                    ),
                };
                r.add("hooks", level, detail, hint);
            }
        }
    }
}

fn check_remotes(r: &mut Report, repo: &Repo, env: &crate::env::ProcessEnv) {
    let names = repo.config.remote_names();
    if names.is_empty() {
        r.add(
            "remotes",
            Level::Warn,
            "no remote configured: data exists only in this cache",
            Some("`git dvc remote add -d <name> <url>`"),
        );
        return;
    }
    let default = repo.config.core_remote();
    for name in names {
        let cfg = match repo.config.remote(&name) {
            Ok(c) => c,
            Err(e) => {
                r.add(
                    "remotes",
                    Level::Error,
                    format!("remote '{name}': {e}"),
                    Some("fix it with `git dvc remote modify`"),
                );
                continue;
            }
        };
        let mark = if default.as_deref() == Some(name.as_str()) {
            " (default)"
        } else {
            ""
        };
        match &cfg.location {
            RemoteLocation::Local(path) => match probe_writable(path) {
                Ok(()) => r.add("remotes", Level::Ok, format!("remote '{name}'{mark}: {} is writable", path.display()), None),
                Err(e) => r.add(
                    "remotes",
                    Level::Error,
                    format!("remote '{name}'{mark}: {} is not usable: {e}", path.display()),
                    Some("create the directory or fix its permissions, or `git dvc remote modify <name> url <path>`"),
                ),
            },
            RemoteLocation::S3 { .. } | RemoteLocation::Other { .. } => {
                let result = Remote::open(&cfg, &env.remote_options()).and_then(|rm| {
                    remote::block_on(rm.exists_many(&["files/md5/00/git-dvc-doctor-probe".to_string()], 1))?
                });
                match result {
                    Ok(_) => r.add("remotes", Level::Ok, format!("remote '{name}'{mark}: {} is reachable", cfg.url), None),
                    Err(remote::RemoteError::Unsupported { scheme, .. }) => r.add(
                        "remotes",
                        Level::Warn,
                        format!("remote '{name}'{mark}: scheme '{scheme}' is not supported by git-dvc"),
                        Some("use dvc for this remote, or a remote git-dvc supports (see the README)"),
                    ),
                    Err(e) => r.add(
                        "remotes",
                        Level::Error,
                        format!("remote '{name}'{mark}: {} is not reachable: {e}", cfg.url),
                        Some("check the url, the server and the credentials (`git dvc remote modify <name> ...`)"),
                    ),
                }
            }
        }
    }
}

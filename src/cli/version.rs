//! `version`: what `dvc version` prints that applies to git-dvc: its version and the dvc
//! it is compatible with, the platform, supported remotes, DVC's config dirs, and for a
//! repository its cache link types, file systems, cache and remote kinds.

use super::{CommandResult, Context};
use crate::data::config::RemoteLocation;
use crate::data::odb::LinkType;
use crate::data::repo::Repo;
use std::path::Path;

/// The dvc release whose data layer git-dvc reproduces byte for byte.
pub const DVC_COMPATIBLE: &str = "3.67.1";

/// Arguments of `version` (none besides the global ones).
#[derive(Debug, clap::Args)]
pub struct VersionArgs {}

/// `uname`: (sysname, release, machine).
fn uname() -> (String, String, String) {
    // SAFETY: uname fills a plain struct of NUL-terminated arrays.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return ("unknown".into(), String::new(), String::new());
    }
    let field = |f: &[libc::c_char]| {
        let bytes: Vec<u8> = f
            .iter()
            .take_while(|c| **c != 0)
            .map(|c| *c as u8)
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (field(&u.sysname), field(&u.release), field(&u.machine))
}

/// `<fstype> on <device>` of the mount holding `path`, as dvc prints it.
fn filesystem(path: &Path) -> Option<String> {
    let path = fs_err::canonicalize(path).ok()?;
    let mounts = fs_err::read_to_string("/proc/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split(' ');
            let (device, point, fstype) = (f.next()?, f.next()?, f.next()?);
            Some((device, point.replace("\\040", " "), fstype))
        })
        .filter(|(_, point, _)| path.starts_with(point))
        .max_by_key(|(_, point, _)| point.len())
        .map(|(device, _, fstype)| format!("{fstype} on {device}"))
}

/// The link types that work from the cache into the workspace (dvc lists reflink,
/// hardlink and symlink; a copy always works and is not listed).
fn cache_types(repo: &Repo) -> String {
    let works: Vec<&str> = super::doctor::probe_links(repo.odb.root(), &repo.tmp_dir())
        .into_iter()
        .filter(|(t, ok)| *ok && *t != LinkType::Copy)
        .map(|(t, _)| match t {
            LinkType::Reflink => "reflink",
            LinkType::Hardlink => "hardlink",
            LinkType::Symlink => "symlink",
            LinkType::Copy => "copy",
        })
        .collect();
    if works.is_empty() {
        "<https://error.dvc.org/no-dvc-cache>".into()
    } else {
        works.join(", ")
    }
}

/// Run `version`.
pub fn run(ctx: &Context, _args: VersionArgs) -> CommandResult {
    let (sys, release, machine) = uname();
    let mut text = format!(
        "git-dvc version: {} (compatible with DVC {DVC_COMPATIBLE})\n-------------------------\n",
        env!("CARGO_PKG_VERSION")
    );
    text.push_str(&format!("Platform: Rust on {sys}-{release}-{machine}\n"));
    // The backends compiled in (each new one is a cargo feature, all on by default).
    let supports: Vec<&str> = [
        ("azure", cfg!(feature = "azure")),
        ("gs", cfg!(feature = "gs")),
        ("http", cfg!(feature = "http")),
        ("https", cfg!(feature = "http")),
        ("local", true),
        ("s3", true),
        ("ssh", cfg!(feature = "ssh")),
        ("webdav", cfg!(feature = "webdav")),
        ("webdavs", cfg!(feature = "webdav")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect();
    text.push_str(&format!("Supports:\n\t{}\n", supports.join(",\n\t")));
    text.push_str(&format!(
        "Config:\n\tGlobal: {}\n\tSystem: {}\n",
        ctx.env.dvc_global_config_dir().display(),
        ctx.env.dvc_system_config_dir().display()
    ));
    let cwd = ctx.cwd()?;
    if let Some(root) = Repo::find_root(&cwd)
        && let Ok(repo) = ctx.open_repo_at(&root)
    {
        let has_cache = repo.odb.root().join("files").is_dir();
        if has_cache {
            text.push_str(&format!("Cache types: {}\n", cache_types(&repo)));
            if let Some(fs) = filesystem(repo.odb.root()) {
                text.push_str(&format!("Cache directory: {fs}\n"));
            }
        } else {
            text.push_str("Cache types: <https://error.dvc.org/no-dvc-cache>\n");
        }
        text.push_str("Caches: local\n");
        let mut kinds: Vec<String> = Vec::new();
        for name in repo.config.remote_names() {
            let kind = match repo.config.remote(&name).map(|r| r.location) {
                Ok(RemoteLocation::Local(_)) => "local".to_string(),
                Ok(RemoteLocation::S3 { .. }) => "s3".to_string(),
                Ok(RemoteLocation::Other { scheme }) => scheme.to_lowercase(),
                Err(_) => continue,
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        text.push_str(&format!(
            "Remotes: {}\n",
            if kinds.is_empty() {
                "None".to_string()
            } else {
                kinds.join(", ")
            }
        ));
        if let Some(fs) = filesystem(&repo.root) {
            text.push_str(&format!("Workspace directory: {fs}\n"));
        }
        let scm = if repo.config.core_no_scm() {
            "dvc (no_scm)"
        } else {
            "dvc, git"
        };
        text.push_str(&format!("Repo: {scm}\n"));
    }
    ctx.out(text.trim_end());
    Ok(())
}

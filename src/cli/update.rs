//! `update [targets]`: re-resolve imports. An import whose source revision (`--rev`, else
//! the recorded `rev`, else the source's `HEAD`) resolves to its `rev_lock` is skipped
//! with dvc's words; any other is imported again through [`super::import::import_stage`]
//! (new `rev_lock`, new data). An import-url stage is imported again when its source
//! changed: a local path's md5, a URL's ETag or checksum (see [`update_remote_url`]).

use super::error::ErrorKind;
use super::import::{Mode, import_stage};
use super::scm::Scm;
use super::source::{self, SourceFlags};
use super::{CommandError, CommandResult, Context};
use crate::data::dvcfile;

/// Arguments of `update`.
#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    /// .dvc files to update.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// Git revision (e.g. SHA, branch, tag)
    #[arg(long, value_name = "commit", num_args = 0..=1, default_missing_value = "HEAD")]
    pub rev: Option<String>,
    /// Update all stages in the specified directory.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Update .dvc file git revision/hash value(s) but do not download the file(s).
    #[arg(long = "no-download")]
    pub no_download: bool,
    /// Update data directly on the remote
    #[arg(long = "to-remote")]
    pub to_remote: bool,
    /// Remote storage to perform updates to
    #[arg(short = 'r', long = "remote", value_name = "name")]
    pub remote: Option<String>,
}

/// `update` of an import-url stage of a local path: hashed again, and imported again
/// when its md5 changed.
fn update_url(
    ctx: &Context,
    repo: &crate::data::repo::Repo,
    rel: &str,
    abs: &std::path::Path,
    parsed: &dvcfile::DvcFile,
    dep: &dvcfile::Out,
    no_download: bool,
) -> CommandResult {
    let Some(out) = parsed.outs.first() else {
        return Err(CommandError::failed(format!("'{rel}' has no outs")));
    };
    if super::import_url::is_url(&dep.path) {
        return update_remote_url(ctx, repo, rel, abs, &dep.path, out, no_download);
    }
    let dir = abs.parent().unwrap_or(&repo.root);
    let src = crate::data::pathsafe::normalize(&dir.join(&dep.path));
    let out_abs = dir.join(&out.path);
    let (scratch, _tmp) = super::source::scratch_odb()?;
    let current = super::import_url::hash_into(&scratch, &src)
        .map_err(|e| CommandError::failed(format!("failed to update '{rel}'. - {e}")))?;
    if dep.md5.as_deref() == Some(current.0.as_str()) && out_abs.exists() {
        ctx.out(format!("'{rel}' didn't change, skipping"));
        return Ok(());
    }
    ctx.out(format!(
        "Importing '{}' -> '{}'",
        src.display(),
        crate::data::pathsafe::relpath(&out_abs, &ctx.cwd()?)
    ));
    let mode = if no_download {
        Mode::NoDownload
    } else {
        Mode::Full
    };
    super::import_url::write_stage(repo, &dep.path, &src, abs, &out.path, mode, true)
}

/// The first dep of the stage file `abs` as YAML (its recorded `etag`, `checksum`,
/// `md5`, `files` and `fs_config`).
fn raw_dep(abs: &std::path::Path) -> Option<serde_yaml::Mapping> {
    let text = fs_err::read_to_string(abs).ok()?;
    let doc: serde_yaml::Value = serde_yaml::from_str(&text).ok()?;
    doc.get("deps")?
        .as_sequence()?
        .first()?
        .as_mapping()
        .cloned()
}

/// A YAML scalar as dvc's config would read it (`version_aware: true` → `true`).
fn scalar_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `update` of an import-url stage of a URL: the source is asked again, and imported
/// again when what dvc records of it (ETag, checksum, the directory's ETag list, the
/// versions) changed or the out is missing.
fn update_remote_url(
    ctx: &Context,
    repo: &crate::data::repo::Repo,
    rel: &str,
    abs: &std::path::Path,
    url: &str,
    out: &dvcfile::Out,
    no_download: bool,
) -> CommandResult {
    use crate::data::remote::url::Found;
    let out_path = out.path.as_str();
    let dep = raw_dep(abs).unwrap_or_default();
    let get = |k: &str| dep.get(k).and_then(scalar_text);
    let (fs_config, version_aware) = crate::worktree::fs_cache::dep_fs_config(&dep);
    let dir = abs.parent().unwrap_or(&repo.root);
    let source = super::import_url::resolve(ctx, Some(repo), dir, url, fs_config, version_aware)?;
    let super::import_url::Source::Url(t) = source else {
        return Err(CommandError::failed(format!(
            "'{rel}': '{url}' resolves to a local path"
        )));
    };
    let failure = format!("failed to update '{rel}'.");
    let found = super::import_url::stat_url(&t, &failure, url)?;
    let recorded_files: Vec<(String, Option<String>, Option<String>)> = dep
        .get("files")
        .and_then(serde_yaml::Value::as_sequence)
        .map(|files| {
            files
                .iter()
                .filter_map(|f| {
                    let f = f.as_mapping()?;
                    let s = |k: &str| f.get(k).and_then(scalar_text);
                    Some((s("relpath")?, s("etag"), s("version_id")))
                })
                .collect()
        })
        .unwrap_or_default();
    let same_source = match &found {
        // dvc-ssh's dep is the content's md5: read the data again to compare.
        _ if t.src.hashes_content() => {
            let (scratch, _tmp) = super::source::scratch_odb()?;
            let now = super::import_url::fetch_into(ctx, repo, &scratch, &t, &found, &failure)?;
            get("md5") == Some(now.md5)
        }
        Found::File(meta) => {
            (meta.etag.is_some() || meta.checksum.is_some())
                && meta.etag == get("etag")
                && meta.checksum == get("checksum")
                && (!version_aware || meta.version_id == get("version_id"))
        }
        Found::Dir(entries) if version_aware => {
            let now: Vec<(String, Option<String>, Option<String>)> = entries
                .iter()
                .map(|e| {
                    (
                        e.relpath.clone(),
                        e.meta.etag.clone(),
                        e.meta.version_id.clone(),
                    )
                })
                .collect();
            !now.is_empty() && now == recorded_files
        }
        Found::Dir(entries) => get("md5") == Some(Found::dir_etag_tree(entries).0),
    };
    let out_abs = dir.join(out_path);
    // An out without hashes (`--no-download`) is imported again every time, as in dvc.
    let have_out = out.md5.is_some() && (no_download || out_abs.exists());
    if same_source && have_out {
        ctx.out(format!("'{rel}' didn't change, skipping"));
        return Ok(());
    }
    ctx.out(format!(
        "Importing '{}' -> '{}'",
        super::source::masked(url),
        crate::data::pathsafe::relpath(&out_abs, &ctx.cwd()?)
    ));
    let mode = if no_download {
        Mode::NoDownload
    } else {
        Mode::Full
    };
    // dvc's `update --no-download` computes the stage md5 before it clears the out's
    // hashes: with the out as it was.
    let md5_out = out.md5.is_some().then_some(out).filter(|_| no_download);
    if md5_out.is_some() && out_abs.exists() {
        // dvc removes the old data from the workspace too; git-dvc does so only when
        // it is exactly what the cache holds for the out.
        let (scratch, _tmp) = super::source::scratch_odb()?;
        let saved = super::import_url::hash_into(&scratch, &out_abs)
            .ok()
            .is_some_and(|(md5, _, _)| Some(&md5) == out.md5.as_ref())
            && out
                .md5
                .as_deref()
                .is_some_and(|m| repo.odb.exists(m, false));
        if saved {
            let removed = if out_abs.is_dir() {
                fs_err::remove_dir_all(&out_abs)
            } else {
                fs_err::remove_file(&out_abs)
            };
            removed.map_err(|e| {
                CommandError::context(ErrorKind::Failed, format!("cannot remove '{out_path}'"), e)
            })?;
        } else {
            tracing::warn!("'{out_path}' is not what '{rel}' recorded: it stays");
        }
    }
    super::import_url::write_url_stage(
        ctx, repo, url, &t, &found, abs, out_path, mode, true, md5_out,
    )
}

/// `update --to-remote` of an import-url stage, as dvc's: the source is transferred to
/// the remote again whether or not it changed, nothing is printed, and the stage md5 is
/// kept as it was (dvc's `update --to-remote` does not compute it again).
fn update_to_remote(
    ctx: &Context,
    repo: &crate::data::repo::Repo,
    rel: &str,
    abs: &std::path::Path,
    parsed: &dvcfile::DvcFile,
    dep: &dvcfile::Out,
    remote: Option<&str>,
) -> CommandResult {
    let Some(out) = parsed.outs.first() else {
        return Err(CommandError::failed(format!("'{rel}' has no outs")));
    };
    let raw = raw_dep(abs).unwrap_or_default();
    let mut fs_config = Vec::new();
    if let Some(m) = raw.get("fs_config").and_then(serde_yaml::Value::as_mapping) {
        for (k, v) in m {
            if let (Some(k), Some(v)) = (k.as_str(), scalar_text(v))
                && k != "version_aware"
            {
                fs_config.push((k.to_string(), v));
            }
        }
    }
    let dir = abs.parent().unwrap_or(&repo.root);
    let source = super::import_url::resolve(ctx, Some(repo), dir, &dep.path, fs_config, false)?;
    let old_md5 = fs_err::read_to_string(abs).ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("md5: ").map(|m| m.trim().to_string()))
    });
    super::import_url::to_remote_stage(
        ctx,
        repo,
        &dep.path,
        &source,
        remote,
        "failed update data",
        abs,
        &out.path,
        old_md5.as_deref(),
    )
}

/// Run `update`.
pub fn run(ctx: &Context, args: UpdateArgs) -> CommandResult {
    if args.to_remote && args.no_download {
        return Err(CommandError::failed(
            "failed update data - --to-remote can't be used with --no-download",
        ));
    }
    if args.remote.is_some() && !args.to_remote {
        return Err(CommandError::failed(
            "failed update data - --remote can't be used without --to-remote",
        ));
    }
    let repo = ctx.open_repo()?;
    let cwd = ctx.cwd()?;
    let mut files: Vec<String> = Vec::new();
    for t in &args.targets {
        let abs = crate::data::pathsafe::normalize(&cwd.join(t));
        if args.recursive && abs.is_dir() {
            let prefix = repo.rel(&abs).unwrap_or_default();
            for f in repo.find_stage_files()? {
                let inside = prefix.is_empty() || f.starts_with(&format!("{prefix}/"));
                if inside && f.ends_with(".dvc") {
                    files.push(f);
                }
            }
        } else {
            let Some(rel) = repo.rel(&abs) else {
                return Err(CommandError::failed(format!(
                    "'{t}' is outside of the repository"
                )));
            };
            files.push(rel);
        }
    }
    let dvcfiles: Vec<std::path::PathBuf> = files.iter().map(|f| repo.root.join(f)).collect();
    let _lock = ctx.lock_for_write(&repo, &dvcfiles)?;
    let mut scm = Scm::open(&repo.root, &repo.config);
    for (rel, abs) in files.iter().zip(&dvcfiles) {
        let text = fs_err::read_to_string(abs)
            .map_err(|e| CommandError::failed(format!("'{rel}' does not exist: {e}")))?;
        let parsed = dvcfile::parse(&text)
            .map_err(|e| CommandError::failed(format!("'{rel}' is invalid: {e}")))?;
        let Some(import) = parsed.import.clone() else {
            let Some(dep) = parsed.deps.first() else {
                return Err(CommandError::failed(format!(
                    "stage: '{rel}' is not an import"
                )));
            };
            if args.to_remote {
                update_to_remote(ctx, &repo, rel, abs, &parsed, dep, args.remote.as_deref())?;
            } else {
                update_url(ctx, &repo, rel, abs, &parsed, dep, args.no_download)?;
            }
            if let Some(scm) = scm.as_mut() {
                scm.stage(abs.clone());
            }
            continue;
        };
        if args.to_remote {
            return Err(CommandError::failed(
                "failed update data - Data imported from other DVC or Git repositories can't be updated with --to-remote",
            ));
        }
        let Some(out) = parsed.outs.first() else {
            return Err(CommandError::failed(format!("'{rel}' has no outs")));
        };
        let rev = args.rev.clone().or_else(|| import.rev.clone());
        // The URL is relative to where the `.dvc` file is, as dvc resolves it (it
        // stores it as given, relative to the working directory of the import).
        let remote_config: Vec<String> = import
            .settings
            .remote_config
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let (mut src, _guard) = {
            let _ = &cwd;
            source::open(
                ctx,
                Some(&repo),
                SourceFlags {
                    url: &import.url,
                    rev: rev.as_deref(),
                    config: import.settings.config_file.as_deref(),
                    remote: import.settings.remote.as_deref(),
                    remote_config: &remote_config,
                    failure: format!("failed to update '{rel}'."),
                },
            )?
        };
        let out_abs = abs.parent().unwrap_or(&repo.root).join(&out.path);
        let unchanged = import.rev_lock.as_deref() == Some(src.commit.as_str())
            && rev == import.rev
            && out.md5.is_some()
            && (args.no_download || out_abs.exists());
        if unchanged {
            ctx.out(format!("'{rel}' didn't change, skipping"));
            continue;
        }
        let shown_url =
            crate::git::source::mask_credentials(&import.url).unwrap_or_else(|| import.url.clone());
        let shown_out = crate::data::pathsafe::relpath(&out_abs, &cwd);
        ctx.out(format!(
            "Importing '{} ({shown_url})' -> '{shown_out}'",
            import.path
        ));
        let mode = if args.no_download {
            Mode::NoDownload
        } else {
            Mode::Full
        };
        import_stage(
            &repo,
            &mut src,
            &import.path,
            &import.url,
            rev.as_deref(),
            &import.settings,
            abs,
            &out.path,
            mode,
            true,
        )?;
        if let Some(scm) = scm.as_mut() {
            scm.stage(abs.clone());
        }
    }
    if let Some(scm) = scm.as_mut() {
        let hint = scm
            .flush()
            .map_err(|e| CommandError::context(ErrorKind::Failed, "git add failed", e))?;
        if let Some(hint) = hint {
            ctx.out(hint);
        }
    }
    Ok(())
}

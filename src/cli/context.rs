//! Per-invocation context: global flags, the rayon pool size, the captured environment,
//! and opening the repo with the settings that come from it (the engine reads no env).

use super::error::{CommandError, ErrorKind};
use crate::data::lock::RepoLock;
use crate::data::repo::{Repo, RepoError, TargetError, TargetOptions};
use crate::env::ProcessEnv;
use std::path::{Path, PathBuf};

/// Global options shared by every command, and the environment `main` captured.
#[derive(Debug, Clone)]
pub struct Context {
    /// `-q`.
    pub quiet: bool,
    /// `-v` count.
    pub verbose: u8,
    /// Threads for CPU work: `-j`, or the core count (the size of the rayon pool).
    pub jobs: usize,
    /// `-j` as given on the command line: transfers use it, and otherwise each remote's
    /// `jobs` or 4 × cores, as dvc does.
    pub jobs_flag: Option<usize>,
    /// The process environment (with `--rehash` folded in).
    pub env: ProcessEnv,
    /// `--wait-for-lock`: wait for DVC's repo lock for as long as it is held, as dvc
    /// does, instead of failing after a short retry.
    pub wait_for_lock: bool,
}

impl Context {
    /// Build the context and size the global rayon pool. When the pool already exists
    /// (a second context in one process), `jobs` reports the pool's real size.
    pub fn new(quiet: bool, verbose: u8, jobs_flag: Option<usize>, env: ProcessEnv) -> Self {
        let jobs_flag = jobs_flag.filter(|j| *j > 0);
        let wanted = jobs_flag.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        });
        let wanted = wanted.min(crate::data::MAX_THREADS);
        let jobs = match rayon::ThreadPoolBuilder::new()
            .num_threads(wanted)
            .build_global()
        {
            Ok(()) => wanted,
            Err(e) => {
                let actual = rayon::current_num_threads();
                if actual != wanted {
                    tracing::warn!(
                        "cannot size the thread pool to {wanted} threads ({e}); using {actual}"
                    );
                }
                actual
            }
        };
        Context {
            quiet,
            verbose,
            jobs,
            jobs_flag,
            env,
            wait_for_lock: false,
        }
    }

    /// The working directory.
    pub fn cwd(&self) -> Result<PathBuf, CommandError> {
        self.env.cwd().map(Path::to_path_buf).map_err(|e| {
            CommandError::context(ErrorKind::Failed, "cannot read the current directory", e)
        })
    }

    /// Open the repo containing the working directory.
    pub fn open_repo(&self) -> Result<Repo, CommandError> {
        let cwd = self.cwd()?;
        let root = Repo::find_root(&cwd).ok_or(RepoError::NotARepo)?;
        self.open_repo_at(&root)
    }

    /// Open the repo at `root`.
    pub fn open_repo_at(&self, root: &Path) -> Result<Repo, CommandError> {
        let mut options = self.env.repo_options();
        options.ask_secret = Some(super::ui::secret_prompt());
        let repo = Repo::open(root, &options)?;
        if let Some(w) = &repo.state_error {
            tracing::warn!("state DB unavailable, hashing everything: {w}");
        }
        Ok(repo)
    }

    /// Take DVC's repo lock.
    pub fn lock(&self, repo: &Repo) -> Result<RepoLock, CommandError> {
        if self.wait_for_lock {
            let forever = crate::data::lock::LockOptions {
                retries: u32::MAX,
                delay: std::time::Duration::from_millis(100),
            };
            return Ok(RepoLock::acquire_with(&repo.dvc_dir, forever)?);
        }
        Ok(RepoLock::acquire(&repo.dvc_dir)?)
    }

    /// Open the repo, resolve user targets to stages (their errors worded by
    /// `target_error`), and take the locks for writing their outs (what `checkout` and
    /// `commit` both start with).
    #[allow(clippy::type_complexity)]
    pub fn open_targets_for_write(
        &self,
        targets: &[String],
        options: TargetOptions,
        target_error: impl FnOnce(TargetError) -> CommandError,
    ) -> Result<(Repo, PathBuf, Vec<crate::data::repo::Stage>, RepoLock), CommandError> {
        let repo = self.open_repo()?;
        let cwd = self.cwd()?;
        let stages = repo
            .stages_for_targets_with(&abs_targets(&cwd, targets), options)
            .map_err(target_error)?;
        let out_paths: Vec<PathBuf> = stages
            .iter()
            .flat_map(|s| s.outs.iter().map(|o| o.abs.clone()))
            .collect();
        let lock = self.lock_for_write(&repo, &out_paths)?;
        Ok((repo, cwd, stages, lock))
    }

    /// Take DVC's repo lock and make sure no running `dvc repro` holds the paths we are
    /// about to write in `.dvc/tmp/rwlock` (spec §8.3).
    pub fn lock_for_write(&self, repo: &Repo, paths: &[PathBuf]) -> Result<RepoLock, CommandError> {
        let lock = self.lock(repo)?;
        crate::data::lock::check_rwlock(&repo.dvc_dir, &[], paths)?;
        Ok(lock)
    }

    /// Print a line to stdout unless `-q`.
    pub fn out(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            println!("{line}");
        }
    }
}

/// Turn user-given paths into absolute, lexically normalized paths.
pub fn abs_targets(cwd: &Path, targets: &[String]) -> Vec<PathBuf> {
    targets
        .iter()
        .map(|t| crate::data::pathsafe::normalize(&cwd.join(t)))
        .collect()
}

/// dvc's `--glob` (`glob_targets`: Python's `iglob` with `recursive=True`): expand each
/// target's shell-style wildcards against the filesystem; `**` matches any depth, and a
/// wildcard does not match a name starting with `.` unless the pattern does. No match at
/// all is dvc's error.
pub fn glob_targets(
    cwd: &Path,
    targets: &[String],
    glob: bool,
) -> Result<Vec<String>, CommandError> {
    if !glob {
        return Ok(targets.to_vec());
    }
    let mut found = Vec::new();
    for t in targets {
        found.extend(glob_one(cwd, t)?);
    }
    if found.is_empty() {
        let listed: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        return Err(CommandError::failed(format!(
            "Glob [{}] has no matches.",
            listed.join(", ")
        )));
    }
    Ok(found)
}

fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

fn glob_one(cwd: &Path, pattern: &str) -> Result<Vec<String>, CommandError> {
    let join_shown = |shown: &str, name: &str| -> String {
        if shown.is_empty() {
            name.to_string()
        } else if shown.ends_with('/') {
            format!("{shown}{name}")
        } else {
            format!("{shown}/{name}")
        }
    };
    let entries = |dir: &Path| -> Vec<(String, bool)> {
        let mut v: Vec<(String, bool)> = fs_err::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| {
                        let name = e.file_name().into_string().ok()?;
                        let is_dir = e.path().is_dir();
                        Some((name, is_dir))
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let absolute = pattern.starts_with('/');
    let (mut current, parts): (Vec<(String, PathBuf)>, Vec<&str>) = (
        vec![if absolute {
            ("/".to_string(), PathBuf::from("/"))
        } else {
            (String::new(), cwd.to_path_buf())
        }],
        pattern.split('/').filter(|p| !p.is_empty()).collect(),
    );
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = Vec::new();
        for (shown, path) in &current {
            if *part == "**" {
                // Zero or more directories (files too when it ends the pattern).
                let mut stack = vec![(shown.clone(), path.clone())];
                while let Some((s, p)) = stack.pop() {
                    let here = if s.is_empty() || !last {
                        s.clone()
                    } else {
                        join_shown(&s, "")
                    };
                    next.push((here, p.clone()));
                    let mut children = Vec::new();
                    for (name, is_dir) in entries(&p) {
                        if name.starts_with('.') {
                            continue;
                        }
                        if is_dir {
                            children.push((join_shown(&s, &name), p.join(&name)));
                        } else if last {
                            next.push((join_shown(&s, &name), p.join(&name)));
                        }
                    }
                    stack.extend(children.into_iter().rev());
                }
            } else if has_magic(part) {
                let matcher = globset::GlobBuilder::new(part)
                    .literal_separator(true)
                    .backslash_escape(false)
                    .build()
                    .map_err(|e| CommandError::failed(format!("invalid glob '{pattern}': {e}")))?
                    .compile_matcher();
                for (name, is_dir) in entries(path) {
                    if name.starts_with('.') && !part.starts_with('.') {
                        continue;
                    }
                    if (last || is_dir) && matcher.is_match(&name) {
                        next.push((join_shown(shown, &name), path.join(&name)));
                    }
                }
            } else {
                let p = path.join(part);
                let exists = if last {
                    fs_err::symlink_metadata(&p).is_ok()
                } else {
                    p.is_dir()
                };
                if exists {
                    next.push((join_shown(shown, part), p));
                }
            }
        }
        current = next;
    }
    Ok(current
        .into_iter()
        .map(|(s, _)| s)
        .filter(|s| !s.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (architecture issue): a second context used to claim the `-j` it was
    /// given while the global pool kept its first size.
    #[test]
    fn glob_targets_follow_python_iglob() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path();
        for f in ["a.txt", "b.txt", ".h.txt", "d/c.txt", "d/e/f.txt"] {
            let p = root.join(f);
            fs_err::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs_err::write(&p, "x").expect("write");
        }
        let g = |p: &str| glob_targets(root, &[p.to_string()], true).map_err(|e| e.message());
        assert_eq!(g("*.txt").unwrap(), vec!["a.txt", "b.txt"]);
        assert_eq!(g(".*.txt").unwrap(), vec![".h.txt"]);
        assert_eq!(g("d/*/f.txt").unwrap(), vec!["d/e/f.txt"]);
        assert_eq!(g("**/*.txt").unwrap().len(), 4);
        assert_eq!(g("x*").unwrap_err(), "Glob ['x*'] has no matches.");
        assert_eq!(
            glob_targets(root, &["x*".into()], false).unwrap(),
            vec!["x*"]
        );
    }

    #[test]
    fn jobs_is_the_real_pool_size() {
        let first = Context::new(true, 0, Some(3), ProcessEnv::default());
        let second = Context::new(true, 0, Some(7), ProcessEnv::default());
        assert_eq!(first.jobs, rayon::current_num_threads());
        assert_eq!(second.jobs, rayon::current_num_threads());
        assert_eq!(
            second.jobs_flag,
            Some(7),
            "transfers still get the -j asked for"
        );
    }
}

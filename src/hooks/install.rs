//! `git dvc install` / `git dvc uninstall`: git config, attributes and hook shims
//! (DESIGN.md "Git integration", spec/git-integration.md §7).
//!
//! What install writes (local scope unless `--global`):
//! - config: `filter.dvc.process=git-dvc-filter` (one word, so a missing binary means
//!   passthrough; never `required`), `diff.dvc.textconv`, `merge.dvc.name` and
//!   `merge.dvc.driver` (same driver name and `%O %A %B` contract as DVC's);
//! - attributes: [`ATTRIBUTE_LINES`] in `$GIT_COMMON_DIR/info/attributes`, or in the
//!   global attributes file (`core.attributesFile`, else `$XDG_CONFIG_HOME/git/attributes`,
//!   else `~/.config/git/attributes`);
//! - hooks (local only): one `#!/bin/sh` shim per [`HookName`] in `git rev-parse
//!   --git-path hooks`, carrying [`SHIM_MARKER`] and calling `git dvc hook <name> "$@"`.
//!
//! Existing hooks: our own shim (any version) is rewritten in place; a hook written by
//! `dvc install` is moved to `<hook>.dvc-bak` and replaced (running both would check out
//! twice, dvc#10584); any other hook is moved to `<hook>.git-dvc-chained` and the shim
//! runs it first, respecting its exit status. Renames keep bytes and mode, so uninstall
//! restores exactly what was there. Every check runs before the first write, so a
//! refused install changes nothing.
//!
//! Foreign values of our config keys are refused unless `--force`, except DVC's own merge
//! driver, which is replaced and restored on uninstall.

use super::HookName;
use crate::git::{self, ConfigScope, Git};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `filter.dvc.process`.
pub const FILTER_PROCESS: &str = "git-dvc-filter";
/// `diff.dvc.textconv`.
pub const TEXTCONV: &str = "git dvc textconv";
/// `merge.dvc.name`.
pub const MERGE_NAME: &str = "DVC merge driver (git-dvc)";
/// `merge.dvc.driver`.
pub const MERGE_DRIVER: &str = "git dvc merge-driver --ancestor %O --our %A --their %B";
/// What `dvc install` writes for `merge.dvc.name` (dvc-format.md §9).
pub const DVC_MERGE_NAME: &str = "DVC merge driver";
/// What `dvc install` writes for `merge.dvc.driver` (note the trailing space).
pub const DVC_MERGE_DRIVER: &str = "dvc git-hook merge-driver --ancestor %O --our %A --their %B ";
/// Set when install replaced DVC's merge driver, so uninstall puts it back.
const REPLACED_DVC_MERGE_KEY: &str = "gitdvc.install.replacedDvcMerge";

/// The attribute lines install adds.
pub const ATTRIBUTE_LINES: [&str; 2] = [
    "*.dvc filter=dvc diff=dvc merge=dvc",
    "dvc.lock filter=dvc diff=dvc",
];

/// Prefix of the marker line in every shim; the version number follows.
pub const SHIM_MARKER: &str = "# git-dvc hook shim v";
/// Current shim version (bump when the text changes; older versions are upgraded).
pub const SHIM_VERSION: u32 = 1;
/// Suffix of a user's hook kept and chained by the shim.
pub const CHAINED_SUFFIX: &str = ".git-dvc-chained";
/// Suffix of a `dvc install` hook we replaced.
pub const DVC_BACKUP_SUFFIX: &str = ".dvc-bak";

/// Install and uninstall errors.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A git command failed.
    #[error(transparent)]
    Git(#[from] git::Error),
    /// A file operation failed.
    #[error("could not {action} `{}`", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Our config keys hold values that are not ours (use `--force`).
    #[error("{}", foreign_message(.0))]
    ForeignConfig(Vec<ConfigConflict>),
    /// A hook must be kept aside but the place for it is taken.
    #[error("cannot keep the existing {hook} hook: `{}` already exists", slot.display())]
    SlotTaken {
        /// The hook.
        hook: HookName,
        /// The occupied path.
        slot: PathBuf,
    },
    /// Neither `core.attributesFile`, `XDG_CONFIG_HOME` nor `HOME` tells where global attributes go.
    #[error("cannot find the global attributes file: set `core.attributesFile` or HOME")]
    NoGlobalAttributesFile,
}

fn foreign_message(conflicts: &[ConfigConflict]) -> String {
    let list: Vec<String> = conflicts.iter().map(ToString::to_string).collect();
    format!(
        "git config already has other values for git-dvc's keys: {}",
        list.join("; ")
    )
}

impl InstallError {
    fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> InstallError {
        let path = path.to_owned();
        move |source| InstallError::Io {
            action,
            path,
            source,
        }
    }
}

/// A config key that holds a foreign value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigConflict {
    /// The key.
    pub key: String,
    /// Its current value.
    pub current: String,
    /// What git-dvc wants.
    pub wanted: String,
}

impl fmt::Display for ConfigConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is `{}` (git-dvc wants `{}`)",
            self.key, self.current, self.wanted
        )
    }
}

/// What install/uninstall did, for the CLI to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A config key was set (`previous` is what it replaced).
    ConfigSet {
        /// The key.
        key: String,
        /// The new value.
        value: String,
        /// The replaced value, if any.
        previous: Option<String>,
    },
    /// A config key was removed.
    ConfigUnset {
        /// The key.
        key: String,
    },
    /// Attribute lines were added to a file.
    AttributesAdded {
        /// The attributes file.
        path: PathBuf,
    },
    /// Attribute lines were removed from a file.
    AttributesRemoved {
        /// The attributes file.
        path: PathBuf,
    },
    /// A shim was written where there was none (or ours was upgraded).
    HookInstalled {
        /// The hook.
        hook: HookName,
        /// Its path.
        path: PathBuf,
    },
    /// A foreign hook was kept aside and chained.
    HookChained {
        /// The hook.
        hook: HookName,
        /// Where the foreign hook now lives.
        kept: PathBuf,
    },
    /// A `dvc install` hook was replaced (backup kept).
    HookReplacedDvc {
        /// The hook.
        hook: HookName,
        /// The backup.
        backup: PathBuf,
    },
    /// Our shim was removed.
    HookRemoved {
        /// The hook.
        hook: HookName,
        /// Its path.
        path: PathBuf,
    },
    /// A hook kept aside at install was put back.
    HookRestored {
        /// The hook.
        hook: HookName,
        /// Its path.
        path: PathBuf,
    },
    /// At uninstall the hook was not ours any more; it was left alone.
    HookLeftAlone {
        /// The hook.
        hook: HookName,
        /// Its path.
        path: PathBuf,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::ConfigSet {
                key,
                value,
                previous: None,
            } => write!(f, "set `{key}` to `{value}`"),
            Change::ConfigSet {
                key,
                value,
                previous: Some(p),
            } => {
                write!(f, "set `{key}` to `{value}` (was `{p}`)")
            }
            Change::ConfigUnset { key } => write!(f, "removed `{key}`"),
            Change::AttributesAdded { path } => {
                write!(f, "added `filter=dvc` attributes to `{}`", path.display())
            }
            Change::AttributesRemoved { path } => {
                write!(f, "removed git-dvc attributes from `{}`", path.display())
            }
            Change::HookInstalled { hook, path } => {
                write!(f, "installed the {hook} hook in `{}`", path.display())
            }
            Change::HookChained { hook, kept } => {
                write!(
                    f,
                    "kept the existing {hook} hook as `{}`; it still runs first",
                    kept.display()
                )
            }
            Change::HookReplacedDvc { hook, backup } => {
                write!(
                    f,
                    "replaced dvc's {hook} hook (saved as `{}`)",
                    backup.display()
                )
            }
            Change::HookRemoved { hook, path } => {
                write!(f, "removed the {hook} hook `{}`", path.display())
            }
            Change::HookRestored { hook, path } => {
                write!(f, "restored the previous {hook} hook `{}`", path.display())
            }
            Change::HookLeftAlone { hook, path } => {
                write!(
                    f,
                    "left `{}` alone: the {hook} hook is not git-dvc's",
                    path.display()
                )
            }
        }
    }
}

/// Options of [`install`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InstallOptions {
    /// Local repository or global config.
    pub scope: ConfigScope,
    /// Overwrite foreign config values.
    pub force: bool,
}

/// Where the global attributes file lives when `core.attributesFile` is unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallEnv {
    /// `$HOME`.
    pub home: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME`.
    pub xdg_config_home: Option<PathBuf>,
}

impl From<&crate::env::ProcessEnv> for InstallEnv {
    fn from(env: &crate::env::ProcessEnv) -> Self {
        InstallEnv {
            home: env.home.clone(),
            xdg_config_home: env.xdg_config_home.clone(),
        }
    }
}

/// A hook file found in the hooks directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistingHook {
    /// No file.
    Missing,
    /// Our shim, of the given version.
    Ours(u32),
    /// Written by `dvc install`.
    Dvc,
    /// Anything else (the user's, husky's, git-lfs's...).
    Foreign,
}

/// Recognise a hook file's content.
pub fn classify_hook(hook: HookName, content: &[u8]) -> ExistingHook {
    let text = String::from_utf8_lossy(content);
    if let Some(version) = text.lines().find_map(|l| l.strip_prefix(SHIM_MARKER)) {
        let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(v) = digits.parse() {
            return ExistingHook::Ours(v);
        }
    }
    // dvc install: `#!<which sh>` then `exec dvc git-hook <name> $@` (dvc-format.md §9).
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let shebang_ok = lines
        .next()
        .is_some_and(|l| l.starts_with("#!") && l.ends_with("sh"));
    let body: Vec<&str> = lines.collect();
    let exec_unquoted = format!("exec dvc git-hook {} $@", hook.as_str());
    let exec_quoted = format!("exec dvc git-hook {} \"$@\"", hook.as_str());
    if shebang_ok && body.len() == 1 && (body[0] == exec_unquoted || body[0] == exec_quoted) {
        return ExistingHook::Dvc;
    }
    ExistingHook::Foreign
}

/// The shim for `hook`; `chained` adds running `<hook>.git-dvc-chained` first.
pub fn shim_text(hook: HookName, chained: bool) -> String {
    let name = hook.as_str();
    let mut s = format!(
        "#!/bin/sh\n{SHIM_MARKER}{SHIM_VERSION} ({name}): written by `git dvc install`; `git dvc uninstall` restores what was here.\n"
    );
    let pipe = if hook.reads_stdin() {
        "printf '%s' \"$input\" | "
    } else {
        ""
    };
    if chained {
        s.push_str("# The hook that was here before git-dvc runs first; its exit status counts.\n");
        s.push_str(&format!("chained=\"$0{CHAINED_SUFFIX}\"\n"));
        if hook.reads_stdin() {
            // Keep stdin byte for byte (trailing newlines included) for both hooks.
            s.push_str("input=$(cat; echo x); input=${input%x}\n");
        }
        if hook.can_abort() {
            s.push_str(&format!(
                "if [ -x \"$chained\" ]; then\n    {pipe}\"$chained\" \"$@\" || exit $?\nfi\n"
            ));
        } else {
            s.push_str(&format!("status=0\nif [ -x \"$chained\" ]; then\n    {pipe}\"$chained\" \"$@\" || status=$?\nfi\n"));
        }
    }
    let (missing_exit, consequence) = match hook.exit_code_when_missing() {
        0 if chained && !hook.can_abort() => ("$status".to_owned(), "DVC data was not updated"),
        0 => ("0".to_owned(), "DVC data was not updated"),
        code => (
            code.to_string(),
            "refusing to push, as DVC data would not be uploaded",
        ),
    };
    if hook.is_frequent() {
        // Every index write runs this hook: outside a DVC repository, or without git-dvc
        // (the other hooks say so), it costs one `sh` and stays silent.
        s.push_str(&format!(
            "[ -d .dvc ] && command -v git-dvc >/dev/null 2>&1 || exit {missing_exit}\n"
        ));
    } else {
        s.push_str(&format!(
        "if ! command -v git-dvc >/dev/null 2>&1; then\n    \
         echo >&2 \"git-dvc: this repository has git-dvc's {name} hook, but \\`git-dvc\\` is not on PATH: {consequence}.\"\n    \
         echo >&2 \"git-dvc: install git-dvc, or delete $0 to stop using it.\"\n    \
         exit {missing_exit}\nfi\n"
    ));
    }
    match (chained, hook.can_abort()) {
        (false, _) => s.push_str(&format!("exec git dvc hook {name} \"$@\"\n")),
        (true, true) => s.push_str(&format!("{pipe}exec git dvc hook {name} \"$@\"\n")),
        (true, false) => {
            s.push_str(&format!(
                "{pipe}git dvc hook {name} \"$@\" || exit $?\nexit $status\n"
            ));
        }
    }
    s
}

/// The config keys install sets, with their values.
pub const CONFIG: [(&str, &str); 4] = [
    ("filter.dvc.process", FILTER_PROCESS),
    ("diff.dvc.textconv", TEXTCONV),
    ("merge.dvc.name", MERGE_NAME),
    ("merge.dvc.driver", MERGE_DRIVER),
];

fn is_dvc_merge_value(key: &str, value: &str) -> bool {
    match key {
        "merge.dvc.name" => value == DVC_MERGE_NAME,
        "merge.dvc.driver" => value.trim() == DVC_MERGE_DRIVER.trim(),
        _ => false,
    }
}

fn is_true(value: &str) -> bool {
    matches!(
        value.to_ascii_lowercase().as_str(),
        "true" | "yes" | "on" | "1"
    )
}

/// One hook's install decision, computed before anything is written.
#[derive(Debug)]
struct HookPlan {
    hook: HookName,
    path: PathBuf,
    existing: ExistingHook,
}

/// Install git-dvc into the repository `git` runs in (or globally).
pub fn install(
    git: &Git,
    options: &InstallOptions,
    env: &InstallEnv,
) -> Result<Vec<Change>, InstallError> {
    let scope = options.scope;
    // --- checks, no writes ---
    let mut conflicts = Vec::new();
    let mut replaces_dvc_merge = false;
    let mut pending_config = Vec::new();
    for (key, wanted) in CONFIG {
        let current = git.config_get(scope, key)?;
        match current {
            Some(ref v) if v == wanted => {}
            Some(ref v) if is_dvc_merge_value(key, v) => {
                replaces_dvc_merge = true;
                pending_config.push((key, wanted, current.clone()));
            }
            Some(ref v) if !options.force => conflicts.push(ConfigConflict {
                key: key.to_owned(),
                current: v.clone(),
                wanted: wanted.to_owned(),
            }),
            _ => pending_config.push((key, wanted, current.clone())),
        }
    }
    let required = git.config_get(scope, "filter.dvc.required")?;
    if let Some(v) = required.as_deref().filter(|v| is_true(v))
        && !options.force
    {
        conflicts.push(ConfigConflict {
            key: "filter.dvc.required".to_owned(),
            current: v.to_owned(),
            wanted: "unset: a required filter makes checkouts fatal when it fails".to_owned(),
        });
    }
    if !conflicts.is_empty() {
        return Err(InstallError::ForeignConfig(conflicts));
    }
    let attributes = attributes_path(git, scope, env)?;
    let hook_plans = match scope {
        ConfigScope::Local => plan_hooks(&git.hooks_dir()?)?,
        ConfigScope::Global => Vec::new(),
    };

    // --- writes ---
    let mut changes = Vec::new();
    if replaces_dvc_merge {
        git.config_set(scope, REPLACED_DVC_MERGE_KEY, "true")?;
    }
    for (key, value, previous) in pending_config {
        git.config_set(scope, key, value)?;
        changes.push(Change::ConfigSet {
            key: key.to_owned(),
            value: value.to_owned(),
            previous,
        });
    }
    if required.as_deref().is_some_and(is_true) && git.config_unset(scope, "filter.dvc.required")? {
        changes.push(Change::ConfigUnset {
            key: "filter.dvc.required".to_owned(),
        });
    }
    if add_attribute_lines(&attributes)? {
        changes.push(Change::AttributesAdded { path: attributes });
    }
    for plan in hook_plans {
        apply_hook_plan(plan, &mut changes)?;
    }
    Ok(changes)
}

/// Install only the hooks (the filter does this lazily for repositories served through
/// a `--global` install).
pub fn install_hooks(git: &Git) -> Result<Vec<Change>, InstallError> {
    let plans = plan_hooks(&git.hooks_dir()?)?;
    let mut changes = Vec::new();
    for plan in plans {
        apply_hook_plan(plan, &mut changes)?;
    }
    Ok(changes)
}

/// Undo [`install`] for `scope`: our config values, our attribute lines, our hooks
/// (restoring what they replaced).
pub fn uninstall(
    git: &Git,
    scope: ConfigScope,
    env: &InstallEnv,
) -> Result<Vec<Change>, InstallError> {
    let mut changes = Vec::new();
    for (key, ours) in CONFIG {
        if git.config_get(scope, key)?.as_deref() == Some(ours) && git.config_unset(scope, key)? {
            changes.push(Change::ConfigUnset {
                key: key.to_owned(),
            });
        }
    }
    if git
        .config_get(scope, REPLACED_DVC_MERGE_KEY)?
        .as_deref()
        .is_some_and(is_true)
    {
        for (key, value) in [
            ("merge.dvc.name", DVC_MERGE_NAME),
            ("merge.dvc.driver", DVC_MERGE_DRIVER),
        ] {
            if git.config_get(scope, key)?.is_none() {
                git.config_set(scope, key, value)?;
                changes.push(Change::ConfigSet {
                    key: key.to_owned(),
                    value: value.to_owned(),
                    previous: None,
                });
            }
        }
        git.config_unset(scope, REPLACED_DVC_MERGE_KEY)?;
    }
    for section in ["filter.dvc", "diff.dvc", "merge.dvc", "gitdvc.install"] {
        git.config_remove_section_if_empty(scope, section)?;
    }
    let attributes = attributes_path(git, scope, env)?;
    if remove_attribute_lines(&attributes)? {
        changes.push(Change::AttributesRemoved { path: attributes });
    }
    if scope == ConfigScope::Local {
        let dir = git.hooks_dir()?;
        for hook in HookName::ALL {
            uninstall_hook(&dir, hook, &mut changes)?;
        }
    }
    Ok(changes)
}

/// The attributes file for `scope`.
pub fn attributes_path(
    git: &Git,
    scope: ConfigScope,
    env: &InstallEnv,
) -> Result<PathBuf, InstallError> {
    match scope {
        ConfigScope::Local => Ok(git.common_dir()?.join("info").join("attributes")),
        ConfigScope::Global => {
            if let Some(path) = git.config_get_path(ConfigScope::Global, "core.attributesFile")?
                && !path.is_empty()
            {
                return Ok(PathBuf::from(path));
            }
            if let Some(xdg) = &env.xdg_config_home {
                return Ok(xdg.join("git").join("attributes"));
            }
            env.home
                .as_ref()
                .map(|home| home.join(".config").join("git").join("attributes"))
                .ok_or(InstallError::NoGlobalAttributesFile)
        }
    }
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, InstallError> {
    match fs_err::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(InstallError::io("read", path)(e)),
    }
}

/// Append the missing [`ATTRIBUTE_LINES`]; returns whether the file changed.
fn add_attribute_lines(path: &Path) -> Result<bool, InstallError> {
    let existing = read_optional(path)?.unwrap_or_default();
    let text = String::from_utf8_lossy(&existing);
    let present: Vec<&str> = text.lines().map(str::trim).collect();
    let missing: Vec<&str> = ATTRIBUTE_LINES
        .iter()
        .copied()
        .filter(|l| !present.contains(l))
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    let mut bytes = existing.clone();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    for line in missing {
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
    }
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent).map_err(InstallError::io("create", parent))?;
    }
    write_atomic(path, &bytes, None)?;
    Ok(true)
}

/// Remove our attribute lines; delete the file when nothing else is left.
fn remove_attribute_lines(path: &Path) -> Result<bool, InstallError> {
    let Some(existing) = read_optional(path)? else {
        return Ok(false);
    };
    let text = String::from_utf8_lossy(&existing);
    let kept: Vec<&str> = text
        .split_inclusive('\n')
        .filter(|l| !ATTRIBUTE_LINES.contains(&l.trim()))
        .collect();
    let new_text: String = kept.concat();
    if new_text.len() == text.len() {
        return Ok(false);
    }
    if new_text.is_empty() {
        fs_err::remove_file(path).map_err(InstallError::io("remove", path))?;
    } else {
        write_atomic(path, new_text.as_bytes(), None)?;
    }
    Ok(true)
}

fn side_path(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// `symlink_metadata` existence: a dangling symlink still counts as "there".
fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

fn plan_hooks(dir: &Path) -> Result<Vec<HookPlan>, InstallError> {
    let mut plans = Vec::new();
    for hook in HookName::ALL {
        let path = dir.join(hook.as_str());
        let existing = if !exists(&path) {
            ExistingHook::Missing
        } else if path.is_file() {
            let content = fs_err::read(&path).map_err(InstallError::io("read", &path))?;
            classify_hook(hook, &content)
        } else {
            // A dangling symlink or something odd: keep it aside like any foreign hook.
            ExistingHook::Foreign
        };
        let slot = match existing {
            ExistingHook::Dvc => Some(side_path(&path, DVC_BACKUP_SUFFIX)),
            ExistingHook::Foreign => Some(side_path(&path, CHAINED_SUFFIX)),
            ExistingHook::Missing | ExistingHook::Ours(_) => None,
        };
        if let Some(slot) = slot
            && exists(&slot)
        {
            return Err(InstallError::SlotTaken { hook, slot });
        }
        plans.push(HookPlan {
            hook,
            path,
            existing,
        });
    }
    Ok(plans)
}

fn apply_hook_plan(plan: HookPlan, changes: &mut Vec<Change>) -> Result<(), InstallError> {
    let HookPlan {
        hook,
        path,
        existing,
    } = plan;
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(InstallError::io("create", dir))?;
    }
    let chained_path = side_path(&path, CHAINED_SUFFIX);
    match existing {
        ExistingHook::Dvc => {
            let backup = side_path(&path, DVC_BACKUP_SUFFIX);
            fs_err::rename(&path, &backup).map_err(InstallError::io("rename", &path))?;
            changes.push(Change::HookReplacedDvc { hook, backup });
        }
        ExistingHook::Foreign => {
            fs_err::rename(&path, &chained_path).map_err(InstallError::io("rename", &path))?;
            changes.push(Change::HookChained {
                hook,
                kept: chained_path.clone(),
            });
        }
        ExistingHook::Missing | ExistingHook::Ours(_) => {}
    }
    // A chained hook left from an earlier install keeps being chained.
    let text = shim_text(hook, exists(&chained_path));
    if existing == ExistingHook::Ours(SHIM_VERSION)
        && read_optional(&path)?.as_deref() == Some(text.as_bytes())
        && is_executable(&path)
    {
        return Ok(());
    }
    write_atomic(&path, text.as_bytes(), Some(0o755))?;
    changes.push(Change::HookInstalled { hook, path });
    Ok(())
}

fn uninstall_hook(
    dir: &Path,
    hook: HookName,
    changes: &mut Vec<Change>,
) -> Result<(), InstallError> {
    let path = dir.join(hook.as_str());
    let chained = side_path(&path, CHAINED_SUFFIX);
    let backup = side_path(&path, DVC_BACKUP_SUFFIX);
    if !exists(&path) {
        return Ok(());
    }
    let ours = path.is_file()
        && matches!(
            classify_hook(
                hook,
                &fs_err::read(&path).map_err(InstallError::io("read", &path))?
            ),
            ExistingHook::Ours(_)
        );
    if !ours {
        if exists(&chained) || exists(&backup) {
            changes.push(Change::HookLeftAlone { hook, path });
        }
        return Ok(());
    }
    fs_err::remove_file(&path).map_err(InstallError::io("remove", &path))?;
    changes.push(Change::HookRemoved {
        hook,
        path: path.clone(),
    });
    for kept in [chained, backup] {
        if exists(&kept) {
            fs_err::rename(&kept, &path).map_err(InstallError::io("rename", &kept))?;
            changes.push(Change::HookRestored { hook, path });
            break;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_path: &Path) -> bool {
    true
}

/// Write `bytes` to a temp file next to `path`, set `mode` (or keep the old file's), rename.
fn write_atomic(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), InstallError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".git-dvc-")
        .tempfile_in(dir)
        .map_err(InstallError::io("create a temporary file in", dir))?;
    tmp.write_all(bytes)
        .map_err(InstallError::io("write", tmp.path()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = mode
            .or_else(|| {
                path.metadata()
                    .ok()
                    .map(|m| m.permissions().mode() & 0o7777)
            })
            .unwrap_or(0o644);
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(InstallError::io("set permissions of", tmp.path()))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.persist(path).map_err(|e| InstallError::Io {
        action: "write",
        path: path.to_owned(),
        source: e.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::tests::{Scratch, scratch};
    use std::collections::BTreeMap;
    use std::os::unix::fs::PermissionsExt;

    fn local() -> InstallOptions {
        InstallOptions {
            scope: ConfigScope::Local,
            force: false,
        }
    }

    fn env(s: &Scratch) -> InstallEnv {
        InstallEnv {
            home: Some(s.home.path().to_owned()),
            xdg_config_home: Some(s.home.path().join("xdg")),
        }
    }

    /// Every file under `.git` except the index/objects/logs noise: name → (bytes, mode).
    fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
        let mut out = BTreeMap::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(d) = stack.pop() {
            for entry in fs_err::read_dir(&d).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                let meta = path.symlink_metadata().unwrap();
                if meta.is_dir() {
                    stack.push(path);
                } else if meta.file_type().is_symlink() {
                    let target = fs_err::read_link(&path).unwrap();
                    out.insert(path, (target.to_string_lossy().as_bytes().to_vec(), 0));
                } else {
                    out.insert(
                        path,
                        (
                            fs_err::read(entry.path()).unwrap(),
                            meta.permissions().mode(),
                        ),
                    );
                }
            }
        }
        out
    }

    fn hook_path(s: &Scratch, name: &str) -> PathBuf {
        s.dir.path().join(".git/hooks").join(name)
    }

    fn write_hook(path: &Path, text: &str, mode: u32) {
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, text).unwrap();
        fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn fresh_install_and_uninstall_restore_everything() {
        let s = scratch();
        let git_dir = s.dir.path().join(".git");
        let before = snapshot(&git_dir);
        let changes = install(&s.git, &local(), &env(&s)).unwrap();
        assert!(
            changes
                .iter()
                .any(|c| matches!(c, Change::AttributesAdded { .. }))
        );

        let g = &s.git;
        assert_eq!(
            g.config_get(ConfigScope::Local, "filter.dvc.process")
                .unwrap()
                .as_deref(),
            Some(FILTER_PROCESS)
        );
        assert_eq!(
            g.config_get(ConfigScope::Local, "diff.dvc.textconv")
                .unwrap()
                .as_deref(),
            Some(TEXTCONV)
        );
        assert_eq!(
            g.config_get(ConfigScope::Local, "merge.dvc.driver")
                .unwrap()
                .as_deref(),
            Some(MERGE_DRIVER)
        );
        assert_eq!(
            g.config_get(ConfigScope::Local, "filter.dvc.required")
                .unwrap(),
            None
        );
        let attrs = fs_err::read_to_string(git_dir.join("info/attributes")).unwrap();
        assert_eq!(
            attrs,
            "*.dvc filter=dvc diff=dvc merge=dvc\ndvc.lock filter=dvc diff=dvc\n"
        );
        for hook in HookName::ALL {
            let path = hook_path(&s, hook.as_str());
            let text = fs_err::read_to_string(&path).unwrap();
            assert_eq!(text, shim_text(hook, false));
            assert_eq!(path.metadata().unwrap().permissions().mode() & 0o777, 0o755);
        }
        // Idempotent: nothing changes the second time.
        let installed = snapshot(&git_dir);
        assert_eq!(install(&s.git, &local(), &env(&s)).unwrap(), Vec::new());
        assert_eq!(snapshot(&git_dir), installed);

        uninstall(&s.git, ConfigScope::Local, &env(&s)).unwrap();
        assert_eq!(snapshot(&git_dir), before);
    }

    #[test]
    fn foreign_hooks_are_chained_and_restored_byte_for_byte() {
        let s = scratch();
        let git_dir = s.dir.path().join(".git");
        write_hook(
            &hook_path(&s, "pre-push"),
            "#!/bin/sh\necho user pre-push\nexit 0",
            0o700,
        );
        write_hook(
            &hook_path(&s, "post-checkout"),
            "#!/usr/bin/env bash\ntrue\n",
            0o751,
        );
        fs_err::create_dir_all(git_dir.join("info")).unwrap();
        fs_err::write(git_dir.join("info/attributes"), "*.bin -diff").unwrap();
        s.git
            .config_set(ConfigScope::Local, "diff.dvc.other", "keep")
            .unwrap();
        let before = snapshot(&git_dir);

        let changes = install(&s.git, &local(), &env(&s)).unwrap();
        let chained: Vec<HookName> = changes
            .iter()
            .filter_map(|c| {
                if let Change::HookChained { hook, .. } = c {
                    Some(*hook)
                } else {
                    None
                }
            })
            .collect();
        assert_eq!(chained, vec![HookName::PostCheckout, HookName::PrePush]);
        assert_eq!(
            fs_err::read_to_string(hook_path(&s, "pre-push")).unwrap(),
            shim_text(HookName::PrePush, true)
        );
        assert_eq!(
            fs_err::read_to_string(hook_path(&s, "pre-push.git-dvc-chained")).unwrap(),
            "#!/bin/sh\necho user pre-push\nexit 0"
        );
        let attrs = fs_err::read_to_string(git_dir.join("info/attributes")).unwrap();
        assert_eq!(
            attrs,
            "*.bin -diff\n*.dvc filter=dvc diff=dvc merge=dvc\ndvc.lock filter=dvc diff=dvc\n"
        );
        // idempotent with chains too
        assert_eq!(install(&s.git, &local(), &env(&s)).unwrap(), Vec::new());

        uninstall(&s.git, ConfigScope::Local, &env(&s)).unwrap();
        let after = snapshot(&git_dir);
        for (path, entry) in &before {
            if path.ends_with("info/attributes") {
                // The newline added after the user's last line stays.
                assert_eq!(after[path].0, b"*.bin -diff\n");
                continue;
            }
            assert_eq!(after.get(path), Some(entry), "{}", path.display());
        }
        assert_eq!(after.len(), before.len());
    }

    #[test]
    fn dvc_hooks_are_replaced_and_restored() {
        let s = scratch();
        let git_dir = s.dir.path().join(".git");
        for name in ["pre-commit", "post-checkout", "pre-push"] {
            write_hook(
                &hook_path(&s, name),
                &format!("#!/usr/bin/sh\nexec dvc git-hook {name} $@\n"),
                0o777,
            );
        }
        s.git
            .config_set(ConfigScope::Local, "merge.dvc.name", DVC_MERGE_NAME)
            .unwrap();
        s.git
            .config_set(ConfigScope::Local, "merge.dvc.driver", DVC_MERGE_DRIVER)
            .unwrap();
        let before = snapshot(&git_dir);

        let changes = install(&s.git, &local(), &env(&s)).unwrap();
        assert_eq!(
            changes
                .iter()
                .filter(|c| matches!(c, Change::HookReplacedDvc { .. }))
                .count(),
            3
        );
        let pre_commit = fs_err::read_to_string(hook_path(&s, "pre-commit")).unwrap();
        assert_eq!(pre_commit, shim_text(HookName::PreCommit, false));
        assert_eq!(
            s.git
                .config_get(ConfigScope::Local, "merge.dvc.driver")
                .unwrap()
                .as_deref(),
            Some(MERGE_DRIVER)
        );

        uninstall(&s.git, ConfigScope::Local, &env(&s)).unwrap();
        let after = snapshot(&git_dir);
        for (path, entry) in &before {
            if path.ends_with("config") {
                continue;
            }
            assert_eq!(after.get(path), Some(entry), "{}", path.display());
        }
        assert_eq!(
            s.git
                .config_get(ConfigScope::Local, "merge.dvc.driver")
                .unwrap()
                .as_deref(),
            Some(DVC_MERGE_DRIVER)
        );
        assert_eq!(
            s.git
                .config_get(ConfigScope::Local, "merge.dvc.name")
                .unwrap()
                .as_deref(),
            Some(DVC_MERGE_NAME)
        );
        assert_eq!(
            s.git
                .config_get(ConfigScope::Local, REPLACED_DVC_MERGE_KEY)
                .unwrap(),
            None
        );
    }

    #[test]
    fn foreign_config_is_refused_without_force_and_nothing_is_written() {
        let s = scratch();
        let git_dir = s.dir.path().join(".git");
        s.git
            .config_set(ConfigScope::Local, "filter.dvc.process", "my-filter")
            .unwrap();
        s.git
            .config_set(ConfigScope::Local, "filter.dvc.required", "true")
            .unwrap();
        let before = snapshot(&git_dir);
        let err = install(&s.git, &local(), &env(&s)).unwrap_err();
        let InstallError::ForeignConfig(conflicts) = &err else {
            panic!("{err}")
        };
        assert_eq!(conflicts.len(), 2);
        assert!(
            err.to_string()
                .contains("`filter.dvc.process` is `my-filter`")
        );
        assert_eq!(snapshot(&git_dir), before);

        install(
            &s.git,
            &InstallOptions {
                force: true,
                ..local()
            },
            &env(&s),
        )
        .unwrap();
        assert_eq!(
            s.git
                .config_get(ConfigScope::Local, "filter.dvc.process")
                .unwrap()
                .as_deref(),
            Some(FILTER_PROCESS)
        );
        assert_eq!(
            s.git
                .config_get(ConfigScope::Local, "filter.dvc.required")
                .unwrap(),
            None
        );
    }

    #[test]
    fn taken_chain_slot_is_refused() {
        let s = scratch();
        write_hook(&hook_path(&s, "post-merge"), "#!/bin/sh\nhusky\n", 0o755);
        write_hook(
            &hook_path(&s, "post-merge.git-dvc-chained"),
            "#!/bin/sh\nold\n",
            0o755,
        );
        let err = install(&s.git, &local(), &env(&s)).unwrap_err();
        assert!(
            matches!(
                err,
                InstallError::SlotTaken {
                    hook: HookName::PostMerge,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            !hook_path(&s, "pre-commit").exists(),
            "nothing written on refusal"
        );
    }

    #[test]
    fn hooks_follow_core_hooks_path_and_outdated_shims_upgrade() {
        let s = scratch();
        s.git
            .config_set(ConfigScope::Local, "core.hooksPath", ".husky/_")
            .unwrap();
        install(&s.git, &local(), &env(&s)).unwrap();
        let dir = s.dir.path().join(".husky/_");
        assert!(dir.join("pre-push").is_file());
        assert!(!hook_path(&s, "pre-push").exists());
        // An older shim version is recognised as ours and rewritten.
        let old = shim_text(HookName::PostMerge, false).replace(
            &format!("{SHIM_MARKER}{SHIM_VERSION}"),
            &format!("{SHIM_MARKER}0"),
        );
        fs_err::write(dir.join("post-merge"), &old).unwrap();
        let changes = install(&s.git, &local(), &env(&s)).unwrap();
        assert_eq!(
            changes,
            vec![Change::HookInstalled {
                hook: HookName::PostMerge,
                path: dir.join("post-merge")
            }]
        );
        uninstall(&s.git, ConfigScope::Local, &env(&s)).unwrap();
        assert_eq!(fs_err::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn global_install_uses_global_config_and_attributes() {
        let s = scratch();
        let options = InstallOptions {
            scope: ConfigScope::Global,
            force: false,
        };
        install(&s.git, &options, &env(&s)).unwrap();
        let global_attrs = s.home.path().join("xdg/git/attributes");
        assert!(
            fs_err::read_to_string(&global_attrs)
                .unwrap()
                .contains("*.dvc filter=dvc")
        );
        assert_eq!(
            s.git
                .config_get(ConfigScope::Global, "filter.dvc.process")
                .unwrap()
                .as_deref(),
            Some(FILTER_PROCESS)
        );
        assert_eq!(
            s.git
                .config_get(ConfigScope::Local, "filter.dvc.process")
                .unwrap(),
            None
        );
        assert!(!hook_path(&s, "pre-push").exists());

        // core.attributesFile wins, with ~ expanded.
        s.git
            .config_set(
                ConfigScope::Global,
                "core.attributesFile",
                "~/my-attributes",
            )
            .unwrap();
        let path = attributes_path(&s.git, ConfigScope::Global, &env(&s)).unwrap();
        assert!(
            path.ends_with("my-attributes") && path.is_absolute(),
            "{path:?}"
        );
        s.git
            .config_unset(ConfigScope::Global, "core.attributesFile")
            .unwrap();

        uninstall(&s.git, ConfigScope::Global, &env(&s)).unwrap();
        assert!(!global_attrs.exists());
        assert_eq!(
            s.git
                .config_get(ConfigScope::Global, "filter.dvc.process")
                .unwrap(),
            None
        );
    }

    #[test]
    fn classify() {
        let h = HookName::PrePush;
        assert_eq!(
            classify_hook(h, b"#!/usr/bin/sh\nexec dvc git-hook pre-push $@\n"),
            ExistingHook::Dvc
        );
        assert_eq!(
            classify_hook(h, b"#!/bin/sh\nexec dvc git-hook pre-push \"$@\"\n"),
            ExistingHook::Dvc
        );
        assert_eq!(
            classify_hook(h, b"#!/bin/sh\nexec dvc git-hook pre-commit $@\n"),
            ExistingHook::Foreign
        );
        assert_eq!(
            classify_hook(h, b"#!/bin/sh\nexec dvc git-hook pre-push $@\necho more\n"),
            ExistingHook::Foreign
        );
        assert_eq!(
            classify_hook(h, shim_text(h, true).as_bytes()),
            ExistingHook::Ours(SHIM_VERSION)
        );
        assert_eq!(classify_hook(h, b""), ExistingHook::Foreign);
        assert_eq!(classify_hook(h, b"\xff\xfe"), ExistingHook::Foreign);
    }

    /// Run the shim for `hook` with a fake `git-dvc` (which logs argv and stdin) and an
    /// optional chained hook; returns (exit code, stderr, log).
    fn run_shim(
        hook: HookName,
        chained: Option<&str>,
        git_dvc_rc: Option<i32>,
        stdin: &str,
    ) -> (i32, String, String) {
        use std::process::{Command, Stdio};
        let dir = tempfile::tempdir().unwrap();
        let hooks = dir.path().join("hooks");
        let bin = dir.path().join("bin");
        let log = dir.path().join("log");
        fs_err::create_dir_all(&bin).unwrap();
        write_hook(
            &hooks.join(hook.as_str()),
            &shim_text(hook, chained.is_some()),
            0o755,
        );
        if let Some(body) = chained {
            write_hook(
                &side_path(&hooks.join(hook.as_str()), CHAINED_SUFFIX),
                body,
                0o755,
            );
        }
        let mut path = std::env::join_paths([bin.clone()]).unwrap();
        if let Some(rc) = git_dvc_rc {
            write_hook(
                &bin.join("git-dvc"),
                &format!("#!/bin/sh\n{{ echo \"git-dvc $*\"; cat; }} >> \"$LOG\"\nexit {rc}\n"),
                0o755,
            );
            // `git dvc` needs git itself and `cat`.
            let system = std::env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![bin.clone()];
            dirs.extend(std::env::split_paths(&system));
            path = std::env::join_paths(dirs).unwrap();
        } else if chained.is_some() {
            // The chained hook and the stdin replay need `cat`, but git-dvc must be missing.
            fs_err::os::unix::fs::symlink(which("cat"), bin.join("cat")).unwrap();
        }
        let spawn = || {
            Command::new(hooks.join(hook.as_str()))
                .args(["origin", "/srv/x.git"])
                .env("PATH", &path)
                .env("LOG", &log)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
        };
        // ETXTBSY: another test thread may fork while a script we just wrote is still open.
        let mut attempt = 0;
        let mut child = loop {
            match spawn() {
                Err(e) if e.raw_os_error() == Some(26) && attempt < 20 => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other.unwrap(),
            }
        };
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let log = fs_err::read_to_string(&log).unwrap_or_default();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            log,
        )
    }

    fn which(cmd: &str) -> PathBuf {
        let system = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&system)
            .map(|d| d.join(cmd))
            .find(|p| p.is_file())
            .unwrap()
    }

    const CHAINED_LOGGER: &str =
        "#!/bin/sh\n{ echo \"chained $*\"; cat; } >> \"$LOG\"\nexit ${CHAINED_RC:-0}\n";

    #[test]
    fn shim_runs_chained_hook_first_with_the_same_stdin() {
        let stdin = "refs/heads/main 1111 refs/heads/main 0000\n\n";
        let (rc, _, log) = run_shim(HookName::PrePush, Some(CHAINED_LOGGER), Some(0), stdin);
        assert_eq!(rc, 0);
        assert_eq!(
            log,
            format!(
                "chained origin /srv/x.git\n{stdin}git-dvc hook pre-push origin /srv/x.git\n{stdin}"
            )
        );

        let failing = CHAINED_LOGGER.replace("${CHAINED_RC:-0}", "3");
        let (rc, _, log) = run_shim(HookName::PrePush, Some(&failing), Some(0), stdin);
        assert_eq!(rc, 3, "a failing chained pre-push aborts the push");
        assert!(!log.contains("git-dvc hook"), "{log}");

        // post-* hooks: ours still runs, the chained status is kept.
        let failing = CHAINED_LOGGER.replace("${CHAINED_RC:-0}", "4");
        let (rc, _, log) = run_shim(HookName::PostCheckout, Some(&failing), Some(0), "");
        assert_eq!(rc, 4);
        assert!(
            log.contains("git-dvc hook post-checkout origin /srv/x.git"),
            "{log}"
        );
        let (rc, _, _) = run_shim(HookName::PostMerge, Some(CHAINED_LOGGER), Some(5), "");
        assert_eq!(rc, 5, "our own failure (gitdvc.strict) counts too");
    }

    #[test]
    fn shim_without_chain_passes_args_stdin_and_status() {
        let (rc, _, log) = run_shim(HookName::PostRewrite, None, Some(0), "a b\n");
        assert_eq!(
            (rc, log.as_str()),
            (0, "git-dvc hook post-rewrite origin /srv/x.git\na b\n")
        );
        let (rc, _, _) = run_shim(HookName::PreCommit, None, Some(1), "");
        assert_eq!(rc, 1);
    }

    #[test]
    fn shim_explains_a_missing_git_dvc() {
        for hook in HookName::ALL {
            let (rc, stderr, _) = run_shim(hook, None, None, "");
            assert_eq!(rc, hook.exit_code_when_missing(), "{hook}");
            if hook.is_frequent() {
                // Runs on every index write: silent (the other hooks explain).
                assert!(stderr.is_empty(), "{hook}: {stderr}");
                continue;
            }
            assert!(
                stderr.contains("`git-dvc` is not on PATH"),
                "{hook}: {stderr}"
            );
        }
        let (rc, _, log) = run_shim(HookName::PostCheckout, Some(CHAINED_LOGGER), None, "");
        assert_eq!(rc, 0);
        assert!(
            log.starts_with("chained"),
            "the chained hook still ran: {log}"
        );
        let (rc, _, _) = run_shim(HookName::PrePush, Some(CHAINED_LOGGER), None, "x\n");
        assert_eq!(rc, 1);
    }
}

//! git-dvc's own settings: the `gitdvc.*` keys of git config, read once into one typed
//! struct (`git config -z --get-regexp ^gitdvc\.`, every scope, last value wins as in git).

use super::Git;
use crate::data::durability::Fsync;
use std::collections::BTreeMap;

/// Every `gitdvc.*` setting git-dvc honours, with its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitDvcSettings {
    /// `gitdvc.strict` (false): post-* hooks exit 1 when something went wrong.
    pub strict: bool,
    /// `gitdvc.autostage` (true): pre-commit brings changed pointers up to date.
    pub autostage: bool,
    /// `gitdvc.autofetch` (true): missing objects are fetched when pointers are checked out.
    pub autofetch: bool,
    /// `gitdvc.autoInstallHooks` (true): a `--global` filter installs missing hooks.
    pub auto_install_hooks: bool,
    /// `gitdvc.allowIncompletePush` (false): pre-push warns instead of refusing.
    pub allow_incomplete_push: bool,
    /// `gitdvc.remote.<git remote>`: the DVC remote pre-push uploads to for that git
    /// remote (keys lowercased).
    remotes: BTreeMap<String, String>,
}

impl Default for GitDvcSettings {
    fn default() -> Self {
        GitDvcSettings {
            strict: false,
            autostage: true,
            autofetch: true,
            auto_install_hooks: true,
            allow_incomplete_push: false,
            remotes: BTreeMap::new(),
        }
    }
}

/// git's boolean spellings; `None` for anything else.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" | "" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

impl GitDvcSettings {
    /// From (key, value) pairs in git's order; a key without `=` has the value `true`.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut s = GitDvcSettings::default();
        for (key, value) in pairs {
            let key = key.to_ascii_lowercase();
            let flag = |current: bool| parse_bool(value).unwrap_or(current);
            match key.as_str() {
                "gitdvc.strict" => s.strict = flag(s.strict),
                "gitdvc.autostage" => s.autostage = flag(s.autostage),
                "gitdvc.autofetch" => s.autofetch = flag(s.autofetch),
                "gitdvc.autoinstallhooks" => s.auto_install_hooks = flag(s.auto_install_hooks),
                "gitdvc.allowincompletepush" => {
                    s.allow_incomplete_push = flag(s.allow_incomplete_push)
                }
                _ => {
                    if let Some(remote) = key.strip_prefix("gitdvc.remote.") {
                        s.remotes.insert(remote.to_owned(), value.to_owned());
                    }
                }
            }
        }
        s
    }

    /// The DVC remote mapped to git remote `git_remote` (`gitdvc.remote.<name>`).
    pub fn dvc_remote_for(&self, git_remote: &str) -> Option<&str> {
        self.remotes
            .get(&git_remote.to_ascii_lowercase())
            .map(String::as_str)
    }
}

impl Git {
    /// `gitdvc.fsync` (none when unset or when git cannot be asked). A value git-dvc does
    /// not know is warned about and taken as `all`: the setting asks for durability, so a
    /// misspelling must not quietly turn it off.
    pub fn fsync_setting(&self) -> Fsync {
        match self.run(&["config", "--get", "gitdvc.fsync"]) {
            Ok(bytes) => {
                let value = String::from_utf8_lossy(&bytes);
                Fsync::parse(value.trim_end_matches('\n')).unwrap_or_else(|e| {
                    tracing::warn!("{e}; fsyncing everything");
                    Fsync::all()
                })
            }
            Err(e) => {
                if e.exit_code() != Some(1) {
                    tracing::debug!("git-dvc: cannot read gitdvc.fsync: {e}");
                }
                Fsync::default()
            }
        }
    }

    /// Read every `gitdvc.*` key once. Unreadable config yields the defaults (a hook must
    /// not fail git over its own settings).
    pub fn gitdvc_settings(&self) -> GitDvcSettings {
        let bytes = match self.run(&["config", "-z", "--get-regexp", "^gitdvc\\."]) {
            Ok(bytes) => bytes,
            Err(e) => {
                if e.exit_code() != Some(1) {
                    tracing::debug!("git-dvc: cannot read gitdvc.* settings: {e}");
                }
                return GitDvcSettings::default();
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        GitDvcSettings::from_pairs(text.split('\0').filter(|e| !e.is_empty()).map(|e| {
            match e.split_once('\n') {
                Some((k, v)) => (k, v),
                None => (e, "true"),
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_git_booleans_last_wins() {
        let s = GitDvcSettings::from_pairs([
            ("gitdvc.strict", "yes"),
            ("gitdvc.autostage", "true"),
            ("gitdvc.autostage", "off"),
            ("gitdvc.autoInstallHooks", "false"),
            ("gitdvc.autofetch", "maybe"),
            ("gitdvc.remote.Origin", "store"),
        ]);
        assert!(s.strict);
        assert!(!s.autostage);
        assert!(!s.auto_install_hooks);
        assert!(s.autofetch, "an unreadable value keeps the default");
        assert!(!s.allow_incomplete_push);
        assert_eq!(s.dvc_remote_for("origin"), Some("store"));
        assert_eq!(s.dvc_remote_for("ORIGIN"), Some("store"));
        assert_eq!(s.dvc_remote_for("upstream"), None);
    }
}

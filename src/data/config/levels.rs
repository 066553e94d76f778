//! The four levels (system, global, repo, local) and [`Config`], all of them loaded: merged
//! views, validation naming the file that set a bad key, in-place writes of one level
//! (`dvc config`, `dvc remote`), typed accessors (`core.*`, `cache.*`, remotes) and
//! [`OptionName`], the dotted names of `dvc config`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::configobj::{parse_configobj, parse_named, render_level};
use super::error::ConfigError;
use super::paths::{
    is_path_option, is_url, map_path_options, renormalize_stored, resolve_path, store_path,
};
use super::schema::{SCHEMA_SECTIONS, check_schema, parse_bool, parse_py_int, url_scheme};
use super::value::{Item, Table, Value, merge};
use crate::data::odb::LinkType;

/// A config level, lowest priority first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `/etc/xdg/dvc/config` or `$DVC_SYSTEM_CONFIG_DIR/config`.
    System,
    /// `~/.config/dvc/config` or `$DVC_GLOBAL_CONFIG_DIR/config`.
    Global,
    /// `.dvc/config`.
    Repo,
    /// `.dvc/config.local`.
    Local,
}

impl Level {
    /// All levels, lowest priority first.
    pub const ALL: [Level; 4] = [Level::System, Level::Global, Level::Repo, Level::Local];

    /// dvc's name for the level.
    pub fn name(self) -> &'static str {
        match self {
            Level::System => "system",
            Level::Global => "global",
            Level::Repo => "repo",
            Level::Local => "local",
        }
    }

    /// True for the levels that live in `.dvc/`.
    pub fn is_repo_level(self) -> bool {
        matches!(self, Level::Repo | Level::Local)
    }
}

/// Where the config files are.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The `.dvc` directory; `None` outside a repository (only system and global load).
    pub dvc_dir: Option<PathBuf>,
    /// Directory of the system config (`/etc/xdg/dvc`); `None` skips the level.
    pub system_dir: Option<PathBuf>,
    /// Directory of the global config (`~/.config/dvc`); `None` skips the level.
    pub global_dir: Option<PathBuf>,
    /// Home directory, for `~` in path options.
    pub home_dir: Option<PathBuf>,
    /// Validate against dvc's schema (dvc's `validate=True`). `config`/`remote` load without.
    pub validate: bool,
}

/// One level as loaded: its file and its dvc-style table (named sections folded, paths as
/// stored in the file, keys lowercased).
#[derive(Debug, Clone)]
struct LevelData {
    level: Level,
    file: PathBuf,
    conf: Table,
}

/// A remote's settings, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteConfig {
    /// Lowercased name.
    pub name: String,
    /// The url: an absolute path for local remotes, verbatim for URLs.
    pub url: String,
    /// Parsed location.
    pub location: RemoteLocation,
    /// All other options as strings (lists joined with `,`), path options resolved.
    pub options: BTreeMap<String, String>,
}

/// Where a remote lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteLocation {
    /// A local directory.
    Local(PathBuf),
    /// `s3://bucket/prefix`.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix without leading or trailing `/` (may be empty).
        prefix: String,
    },
    /// Any other scheme (unsupported by git-dvc's transfer code).
    Other {
        /// The lowercased scheme.
        scheme: String,
    },
}

impl RemoteConfig {
    /// A string option.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options.get(key).map(String::as_str)
    }
    /// A boolean option (validated on load), or `default`.
    pub fn bool_option(&self, key: &str, default: bool) -> bool {
        self.option(key).and_then(parse_bool).unwrap_or(default)
    }
    /// `jobs`, if set.
    pub fn jobs(&self) -> Option<usize> {
        self.option("jobs")
            .and_then(parse_py_int)
            .and_then(|n| usize::try_from(n).ok())
    }
    /// `verify` (default false).
    pub fn verify(&self) -> bool {
        self.bool_option("verify", false)
    }
}

/// Options whose values are secrets: never print them.
pub const SECRET_OPTIONS: [&str; 12] = [
    "secret_access_key",
    "session_token",
    "password",
    "passphrase",
    "sse_customer_key",
    "account_key",
    "client_secret",
    "connection_string",
    "sas_token",
    "oss_key_secret",
    "gdrive_client_secret",
    "token",
];

/// True for an option whose value must never be printed.
pub fn is_secret_option(key: &str) -> bool {
    SECRET_OPTIONS.contains(&key) || key.ends_with("_token") || key.ends_with("secret")
}

/// DVC's config, all levels loaded.
#[derive(Debug, Clone)]
pub struct Config {
    options: LoadOptions,
    levels: Vec<LevelData>,
}

fn read_level(file: &Path) -> Result<Table, ConfigError> {
    let bytes = match fs_err::read(file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(parse_named(Table::new())),
        Err(e) => {
            return Err(ConfigError::Io {
                action: "read",
                file: file.to_path_buf(),
                source: e,
            });
        }
    };
    let raw = parse_configobj(&bytes).map_err(|message| ConfigError::Parse {
        file: file.to_path_buf(),
        message,
    })?;
    Ok(parse_named(raw))
}

/// dvc's `load_one` adds every schema section (empty) after the loaded ones.
pub(super) fn with_default_sections(mut conf: Table) -> Table {
    for s in SCHEMA_SECTIONS {
        if !conf.contains(s) {
            conf.insert(s, Item::Table(Table::new()));
        }
    }
    conf
}

fn dir_of(file: &Path) -> PathBuf {
    file.parent().map(Path::to_path_buf).unwrap_or_default()
}

impl Config {
    /// Load and validate all levels of the repository whose `.dvc` is `dvc_dir`.
    pub fn load(
        dvc_dir: &Path,
        system_dir: Option<&Path>,
        global_dir: Option<&Path>,
    ) -> Result<Config, ConfigError> {
        Config::load_with(LoadOptions {
            dvc_dir: Some(dvc_dir.to_path_buf()),
            system_dir: system_dir.map(Path::to_path_buf),
            global_dir: global_dir.map(Path::to_path_buf),
            home_dir: None,
            validate: true,
        })
    }

    /// Load with explicit options.
    pub fn load_with(options: LoadOptions) -> Result<Config, ConfigError> {
        let mut config = Config {
            options,
            levels: Vec::new(),
        };
        config.reload()?;
        Ok(config)
    }

    fn reload(&mut self) -> Result<(), ConfigError> {
        let mut levels = Vec::new();
        for level in Level::ALL {
            if let Some(file) = self.file(level) {
                let conf = read_level(&file)?;
                levels.push(LevelData { level, file, conf });
            }
        }
        self.levels = levels;
        if self.options.validate {
            self.validate()?;
        }
        Ok(())
    }

    /// The file of a level, if that level exists here.
    pub fn file(&self, level: Level) -> Option<PathBuf> {
        match level {
            Level::System => self.options.system_dir.as_ref().map(|d| d.join("config")),
            Level::Global => self.options.global_dir.as_ref().map(|d| d.join("config")),
            Level::Repo => self.options.dvc_dir.as_ref().map(|d| d.join("config")),
            Level::Local => self
                .options
                .dvc_dir
                .as_ref()
                .map(|d| d.join("config.local")),
        }
    }

    /// True when loaded inside a repository.
    pub fn in_repo(&self) -> bool {
        self.options.dvc_dir.is_some()
    }

    /// The levels present, lowest priority first.
    pub fn levels(&self) -> Vec<Level> {
        self.levels.iter().map(|l| l.level).collect()
    }

    fn data(&self, level: Level) -> Option<&LevelData> {
        self.levels.iter().find(|l| l.level == level)
    }

    /// One level as dvc's `load_one` sees it: named sections folded, every schema section
    /// present (empty ones appended), path options resolved to absolute paths (for display).
    pub fn read_level_resolved(&self, level: Level) -> Table {
        let Some(d) = self.data(level) else {
            return with_default_sections(parse_named(Table::new()));
        };
        self.resolved(d)
    }

    fn resolved(&self, d: &LevelData) -> Table {
        let mut conf = d.conf.clone();
        let dir = dir_of(&d.file);
        let home = self.options.home_dir.clone();
        map_path_options(&mut conf, &|v| resolve_path(v, &dir, home.as_deref()));
        with_default_sections(conf)
    }

    /// One level for editing: as stored (relative paths unresolved), every schema section
    /// present. Pass the edited table to [`Config::write_level`].
    pub fn edit_level(&self, level: Level) -> Result<Table, ConfigError> {
        if level.is_repo_level() && !self.in_repo() {
            return Err(ConfigError::other("Not inside a DVC repo"));
        }
        Ok(with_default_sections(
            self.data(level)
                .map(|d| d.conf.clone())
                .unwrap_or_else(|| parse_named(Table::new())),
        ))
    }

    /// Merge of the levels strictly below `level` (all levels with `None`), paths resolved.
    pub fn merged_below(&self, level: Option<Level>) -> Table {
        let mut merged = Table::new();
        for d in &self.levels {
            if Some(d.level) == level {
                break;
            }
            merge(&mut merged, &self.resolved(d));
        }
        merged
    }

    /// The config with the file `file` merged over every level, its relative paths
    /// resolved from its directory: what `get`/`import --config FILE` apply to a source
    /// repository. Read only: nothing writes the overlay.
    pub fn with_overlay(mut self, file: &Path) -> Result<Config, ConfigError> {
        let bytes = fs_err::read(file).map_err(|e| ConfigError::Io {
            action: "read",
            file: file.to_path_buf(),
            source: e,
        })?;
        let raw = parse_configobj(&bytes).map_err(|message| ConfigError::Parse {
            file: file.to_path_buf(),
            message,
        })?;
        self.levels.push(LevelData {
            level: Level::Local,
            file: file.to_path_buf(),
            conf: parse_named(raw),
        });
        Ok(self)
    }

    /// The merged view of every level, paths resolved.
    pub fn merged(&self) -> Table {
        self.merged_below(None)
    }

    /// Validate the merged config against dvc's schema.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check(&self.merged())
    }

    fn check(&self, merged: &Table) -> Result<(), ConfigError> {
        check_schema(merged).map_err(|inv| {
            let file = self.defining_file(&inv.path);
            ConfigError::Invalid {
                file,
                key_path: inv.path,
                message: inv.message,
            }
        })
    }

    /// The highest-priority file that contains `path`.
    fn defining_file(&self, path: &[String]) -> Option<PathBuf> {
        self.levels.iter().rev().find_map(|d| {
            let mut t = &d.conf;
            for (i, k) in path.iter().enumerate() {
                match t.get(k) {
                    Some(Item::Table(sub)) => t = sub,
                    Some(Item::Value(_)) if i + 1 == path.len() => return Some(d.file.clone()),
                    _ => return None,
                }
            }
            Some(d.file.clone())
        })
    }

    /// Validate and write an edited level (from [`Config::edit_level`]), then reload.
    ///
    /// Like dvc's `Config.edit`: stored relative paths are re-normalized, the levels below
    /// merged with this one must pass the schema, the whole file is re-serialized in place.
    pub fn write_level(&mut self, level: Level, mut conf: Table) -> Result<(), ConfigError> {
        let file = self
            .file(level)
            .ok_or_else(|| ConfigError::other("Not inside a DVC repo"))?;
        let dir = dir_of(&file);
        map_path_options(&mut conf, &|v| renormalize_stored(v, &dir));
        self.check_level(level, &conf)?;
        let text = render_level(&conf).map_err(|(what, reason)| ConfigError::Unwritable {
            file: file.clone(),
            what: if what.is_empty() {
                "a non-ASCII value".to_string()
            } else {
                format!("'{what}'")
            },
            reason,
        })?;
        if let Some(parent) = file.parent() {
            fs_err::create_dir_all(parent).map_err(|e| ConfigError::Io {
                action: "write",
                file: file.clone(),
                source: e,
            })?;
        }
        // dvc (configobj) rewrites the file in place; a temp file and a rename give the
        // same bytes and mode, and a crash or a full disk never leaves it half written.
        crate::data::atomic::write(&file, text.as_bytes()).map_err(|e| ConfigError::Io {
            action: "write",
            file: file.clone(),
            source: e,
        })?;
        // dvc's `edit` then reloads with validation: a config that is invalid as a whole is
        // reported (exit 251) even though this level was written.
        let validate = self.options.validate;
        self.options.validate = false;
        let reloaded = self.reload();
        self.options.validate = validate;
        reloaded?;
        self.validate()
    }

    /// Validate an edited level merged over the levels below it (what dvc's `edit` checks
    /// before writing).
    pub fn check_level(&self, level: Level, conf: &Table) -> Result<(), ConfigError> {
        let file = self
            .file(level)
            .ok_or_else(|| ConfigError::other("Not inside a DVC repo"))?;
        let dir = dir_of(&file);
        let mut merged = self.merged_below(Some(level));
        let mut resolved = conf.clone();
        let home = self.options.home_dir.clone();
        map_path_options(&mut resolved, &|v| resolve_path(v, &dir, home.as_deref()));
        merge(&mut merged, &resolved);
        check_schema(&merged).map_err(|inv| {
            let here = table_has_path(conf, &inv.path);
            ConfigError::Invalid {
                file: if here {
                    Some(file.clone())
                } else {
                    self.defining_file(&inv.path)
                },
                key_path: inv.path,
                message: inv.message,
            }
        })
    }

    /// `dvc config [--level] section.key value`: set one option (dotted name; the remote form
    /// is `remote.<name>.<key>`). Relative path options are taken relative to `cwd`.
    pub fn set(
        &mut self,
        level: Level,
        name: &str,
        value: &str,
        cwd: &Path,
    ) -> Result<(), ConfigError> {
        let key = OptionName::parse(name)?;
        let mut conf = self.edit_level(level)?;
        let file = self
            .file(level)
            .ok_or_else(|| ConfigError::other("Not inside a DVC repo"))?;
        let section_kind = key.top.as_deref().unwrap_or(&key.section);
        let value = if is_path_option(section_kind, &key.option) {
            store_path(value, cwd, &dir_of(&file))
        } else {
            value.to_string()
        };
        key.target_mut(&mut conf).set_str(key.option.clone(), value);
        self.write_level(level, conf)
    }

    /// `dvc config --unset`: remove one option; a missing one is dvc's error.
    pub fn unset(&mut self, level: Level, name: &str) -> Result<(), ConfigError> {
        let key = OptionName::parse(name)?;
        let mut conf = self.edit_level(level)?;
        key.check(&conf)?;
        key.target_mut(&mut conf).remove(&key.option);
        self.write_level(level, conf)
    }

    // ---- typed accessors (merged view) -------------------------------------------------

    fn lookup(&self, section: &str, key: &str) -> Option<(&Value, &LevelData)> {
        self.levels.iter().rev().find_map(|d| {
            d.conf
                .table(section)
                .and_then(|t| t.value(key))
                .map(|v| (v, d))
        })
    }

    fn lookup_str(&self, section: &str, key: &str) -> Option<&str> {
        self.lookup(section, key).and_then(|(v, _)| v.as_str())
    }

    fn lookup_bool(&self, section: &str, key: &str, default: bool) -> bool {
        self.lookup_str(section, key)
            .and_then(parse_bool)
            .unwrap_or(default)
    }

    /// `core.remote`, lowercased (schema `Lower`).
    pub fn core_remote(&self) -> Option<String> {
        self.lookup("core", "remote")
            .map(|(v, _)| v.display().to_lowercase())
    }
    /// `core.autostage` (default false).
    pub fn core_autostage(&self) -> bool {
        self.lookup_bool("core", "autostage", false)
    }
    /// `core.autostage` when some config level sets it (git-dvc stages unless it is
    /// explicitly false).
    pub fn core_autostage_set(&self) -> Option<bool> {
        self.lookup_str("core", "autostage").and_then(parse_bool)
    }
    /// `core.no_scm` (default false).
    pub fn core_no_scm(&self) -> bool {
        self.lookup_bool("core", "no_scm", false)
    }
    /// `core.hardlink_lock` (default false).
    pub fn core_hardlink_lock(&self) -> bool {
        self.lookup_bool("core", "hardlink_lock", false)
    }
    /// `core.checksum_jobs`.
    pub fn core_checksum_jobs(&self) -> Option<usize> {
        self.lookup_str("core", "checksum_jobs")
            .and_then(parse_py_int)
            .and_then(|n| usize::try_from(n).ok())
    }
    /// `core.site_cache_dir` (verbatim, not path-resolved by dvc).
    pub fn core_site_cache_dir(&self) -> Option<String> {
        self.lookup_str("core", "site_cache_dir")
            .map(str::to_string)
    }
    /// `cache.dir`, absolute (a relative value is relative to the directory of the file that
    /// set it). `None` means the default `.dvc/cache`.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        let (v, d) = self.lookup("cache", "dir")?;
        let v = v.as_str()?;
        Some(PathBuf::from(resolve_path(
            v,
            &dir_of(&d.file),
            self.options.home_dir.as_deref(),
        )))
    }
    /// `cache.type` in order (default `reflink,copy`); unknown names are an error.
    pub fn cache_types(&self) -> Result<Vec<LinkType>, ConfigError> {
        let Some((v, d)) = self.lookup("cache", "type") else {
            return Ok(crate::data::odb::DEFAULT_LINK_TYPES.to_vec());
        };
        let names: Vec<String> = match v {
            Value::Str(s) => s.split(',').map(|t| t.trim().to_string()).collect(),
            Value::List(l) => l.clone(),
        };
        let mut out = Vec::new();
        for n in &names {
            match LinkType::parse(n) {
                Some(t) => out.push(t),
                None => {
                    return Err(ConfigError::Invalid {
                        file: Some(d.file.clone()),
                        key_path: vec!["cache".into(), "type".into()],
                        message: format!("Unsupported cache type(s): {n} for dictionary value"),
                    });
                }
            }
        }
        Ok(out)
    }
    /// `cache.shared` (only `group` is valid).
    pub fn cache_shared(&self) -> Option<String> {
        self.lookup_str("cache", "shared").map(str::to_lowercase)
    }
    /// `cache.verify` (default false).
    pub fn cache_verify(&self) -> bool {
        self.lookup_bool("cache", "verify", false)
    }

    /// Remote names in merged order.
    pub fn remote_names(&self) -> Vec<String> {
        self.merged()
            .table("remote")
            .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default()
    }

    /// One remote, merged over the levels, paths resolved.
    pub fn remote(&self, name: &str) -> Result<RemoteConfig, ConfigError> {
        let merged = self.merged();
        let t = merged
            .table("remote")
            .and_then(|r| r.table(name))
            .ok_or_else(|| ConfigError::other(format!("remote '{name}' doesn't exist.")))?;
        let url = t.str("url").ok_or_else(|| ConfigError::Invalid {
            file: self.defining_file(&["remote".into(), name.into()]),
            key_path: vec!["remote".into(), name.into()],
            message: "expected 'url' for dictionary value".into(),
        })?;
        let location = remote_location(url);
        let mut options = BTreeMap::new();
        for (k, item) in t.iter() {
            if let Item::Value(v) = item
                && k != "url"
            {
                options.insert(
                    k.to_string(),
                    match v {
                        Value::Str(s) => s.clone(),
                        Value::List(l) => l.join(","),
                    },
                );
            }
        }
        Ok(RemoteConfig {
            name: name.to_string(),
            url: url.to_string(),
            location,
            options,
        })
    }

    /// The remote named by `core.remote`, if any.
    pub fn default_remote(&self) -> Result<Option<RemoteConfig>, ConfigError> {
        match self.core_remote() {
            Some(name) => self.remote(&name).map(Some),
            None => Ok(None),
        }
    }
}

/// Where the remote at `url` lives (its scheme and, for S3, bucket and prefix).
pub fn remote_location(url: &str) -> RemoteLocation {
    let (scheme, netloc) = url_scheme(url);
    if !netloc || scheme.is_empty() {
        if scheme == "file" {
            RemoteLocation::Local(PathBuf::from(url.trim_start_matches("file://")))
        } else if is_url(url) {
            RemoteLocation::Other { scheme }
        } else {
            RemoteLocation::Local(PathBuf::from(url))
        }
    } else if scheme == "s3" {
        let rest = url.split_once("://").map(|x| x.1).unwrap_or("");
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        RemoteLocation::S3 {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        }
    } else {
        RemoteLocation::Other { scheme }
    }
}

fn table_has_path(conf: &Table, path: &[String]) -> bool {
    let mut t = conf;
    for (i, k) in path.iter().enumerate() {
        match t.get(k) {
            Some(Item::Table(sub)) => t = sub,
            Some(Item::Value(_)) => return i + 1 == path.len(),
            None => return false,
        }
    }
    true
}

/// A parsed `dvc config` option name: `section.option` or `remote.name.option` /
/// `db.name.option` (section and option lowercased, like dvc's `_name_type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionName {
    /// `remote` or `db` for the three-part form.
    pub top: Option<String>,
    /// Section (or remote name).
    pub section: String,
    /// Option.
    pub option: String,
}

impl OptionName {
    /// `^((remote|db)\.)?([^.]*)\.([^.]*)$`
    pub fn parse(name: &str) -> Result<OptionName, ConfigError> {
        let parts: Vec<&str> = name.split('.').collect();
        let bad = || {
            ConfigError::other(
                "name argument should look like remote.name.option or db.name.option or section.option",
            )
        };
        match parts.as_slice() {
            [top, section, option] if *top == "remote" || *top == "db" => Ok(OptionName {
                top: Some(top.to_string()),
                section: section.to_lowercase(),
                option: option.to_lowercase(),
            }),
            [section, option] => Ok(OptionName {
                top: None,
                section: section.to_lowercase(),
                option: option.to_lowercase(),
            }),
            _ => Err(bad()),
        }
    }

    /// The table holding `option` inside a level table.
    pub fn target<'a>(&self, conf: &'a Table) -> Option<&'a Table> {
        let base = match &self.top {
            Some(top) => conf.table(top)?,
            None => conf,
        };
        base.table(&self.section)
    }

    fn target_mut<'a>(&self, conf: &'a mut Table) -> &'a mut Table {
        let base = match &self.top {
            Some(top) => conf.table_mut(top),
            None => conf,
        };
        base.table_mut(&self.section)
    }

    /// dvc's `_check`: the section and option exist in `conf` (a level or merged table).
    pub fn check(&self, conf: &Table) -> Result<(), ConfigError> {
        let kind = self.top.as_deref().unwrap_or("section");
        let base = match &self.top {
            Some(top) => conf.table(top),
            None => Some(conf),
        };
        let section = base.and_then(|b| b.get(&self.section));
        let Some(section) = section else {
            return Err(ConfigError::other(format!(
                "{kind} '{}' doesn't exist",
                self.section
            )));
        };
        let has = matches!(section, Item::Table(t) if t.contains(&self.option));
        if !has {
            return Err(ConfigError::other(format!(
                "option '{}' doesn't exist in {kind} '{}'",
                self.option, self.section
            )));
        }
        Ok(())
    }

    /// The value in `conf`, if present.
    pub fn get<'a>(&self, conf: &'a Table) -> Option<&'a Value> {
        self.target(conf).and_then(|t| t.value(&self.option))
    }
}

/// dvc's `flatten`: `remote.myremote.url=/srv/store` lines of a table.
pub fn flatten(conf: &Table) -> Vec<(String, Value)> {
    fn walk(t: &Table, prefix: &str, out: &mut Vec<(String, Value)>) {
        for (k, item) in t.iter() {
            let key = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            };
            match item {
                Item::Value(v) => out.push((key, v.clone())),
                Item::Table(sub) => walk(sub, &key, out),
            }
        }
    }
    let mut out = Vec::new();
    walk(conf, "", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pathsafe::normpath;

    #[test]
    fn option_names() {
        let n = OptionName::parse("Core.Remote").expect("ok");
        assert_eq!(
            (n.top, n.section.as_str(), n.option.as_str()),
            (None, "core", "remote")
        );
        let n = OptionName::parse("remote.MyR.url").expect("ok");
        assert_eq!(
            (n.top.as_deref(), n.section.as_str()),
            (Some("remote"), "myr")
        );
        assert!(OptionName::parse("foo").is_err());
        assert!(OptionName::parse("a.b.c").is_err());
    }

    #[test]
    fn levels_merge_and_typed_accessors_resolve() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dvc = tmp.path().join(".dvc");
        let glob = tmp.path().join("glob");
        fs_err::create_dir_all(&dvc).expect("mkdir");
        fs_err::create_dir_all(&glob).expect("mkdir");
        fs_err::write(
            glob.join("config"),
            "[core]\n    remote = G\n[cache]\n    dir = gcache\n",
        )
        .expect("write");
        fs_err::write(
            dvc.join("config"),
            "[core]\n    remote = r\n['remote \"r\"']\n    url = ../../store\n    region = x\n[cache]\n    type = hardlink,symlink\n",
        )
        .expect("write");
        fs_err::write(dvc.join("config.local"), "['remote \"r\"']\n    jobs = 4\n").expect("write");
        // region on a local remote is invalid, and the error names the file that set it.
        let err = Config::load(&dvc, None, Some(&glob)).expect_err("invalid");
        assert_eq!(err.file(), Some(dvc.join("config").as_path()));
        fs_err::write(
            dvc.join("config"),
            "[core]\n    remote = R\n['remote \"r\"']\n    url = ../../store\n[cache]\n    type = hardlink,symlink\n",
        )
        .expect("write");
        let c = Config::load(&dvc, None, Some(&glob)).expect("valid");
        assert_eq!(c.core_remote().as_deref(), Some("r"));
        assert_eq!(c.cache_dir(), Some(glob.join("gcache")));
        assert_eq!(
            c.cache_types().expect("types"),
            vec![LinkType::Hardlink, LinkType::Symlink]
        );
        let r = c.default_remote().expect("ok").expect("some");
        let store = normpath(&tmp.path().join("../store"));
        assert_eq!(r.location, RemoteLocation::Local(store));
        assert_eq!(r.jobs(), Some(4));
        assert!(!c.core_autostage());
    }

    #[test]
    fn set_and_unset_write_dvc_bytes() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        let dvc = root.join(".dvc");
        fs_err::create_dir_all(&dvc).expect("mkdir");
        fs_err::write(dvc.join("config"), "").expect("write");
        let mut c = Config::load(&dvc, None, None).expect("load");
        c.set(Level::Repo, "remote.rel.url", "../relremote", root)
            .expect("set");
        c.set(Level::Repo, "cache.type", "reflink, hardlink,copy", root)
            .expect("set");
        c.set(Level::Repo, "core.autostage", "true", root)
            .expect("set");
        assert_eq!(
            fs_err::read_to_string(dvc.join("config")).expect("read"),
            "[cache]\n    type = \"reflink, hardlink,copy\"\n[core]\n    autostage = true\n['remote \"rel\"']\n    url = ../../relremote\n"
        );
        let e = c
            .set(Level::Repo, "core.nonexist", "x", root)
            .expect_err("invalid");
        assert_eq!(
            e.to_string(),
            "config file error: extra keys not allowed @ data['core']['nonexist']"
        );
        let e = c.unset(Level::Repo, "core.remote").expect_err("missing");
        assert_eq!(
            e.to_string(),
            "config file error: option 'remote' doesn't exist in section 'core'"
        );
        c.unset(Level::Repo, "core.autostage").expect("unset");
        c.unset(Level::Repo, "cache.type").expect("unset");
        assert_eq!(
            fs_err::read_to_string(dvc.join("config")).expect("read"),
            "['remote \"rel\"']\n    url = ../../relremote\n"
        );
        // Non-ASCII is refused and the file is left untouched (dvc truncates it).
        let before = fs_err::read(dvc.join("config")).expect("read");
        assert!(c.set(Level::Repo, "remote.u.url", "/srv/ü", root).is_err());
        assert_eq!(fs_err::read(dvc.join("config")).expect("read"), before);
    }
}

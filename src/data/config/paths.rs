//! Path-valued options (`url`, `cache.dir`, `credentialpath`, …; dvc's `_map_dirs`): stored
//! relative to the directory of the file holding them (spec §6.3), rewritten from the
//! caller's cwd on `dvc config`, and resolved against the file's directory when read. URLs
//! and absolute paths are kept verbatim, `~` is expanded only when resolving. The lexical
//! path arithmetic itself is [`crate::data::pathsafe`]'s.

use std::path::Path;

use super::value::{Item, Table, Value};
use crate::data::pathsafe::{normpath, relpath};

/// Options whose relative values are relative to the holding file's directory (`_map_dirs`).
const REMOTE_PATH_KEYS: [&str; 8] = [
    "url",
    "gdrive_user_credentials_file",
    "gdrive_service_account_json_file_path",
    "credentialpath",
    "configpath",
    "keyfile",
    "cert_path",
    "key_path",
];
const MACHINE_PATH_KEYS: [&str; 2] = ["startup_script", "setup_script"];

/// True for `section.key` (with `remote.<name>.key` given as `("remote", key)`) path options.
pub fn is_path_option(section: &str, key: &str) -> bool {
    match section {
        "cache" => key == "dir",
        "remote" => REMOTE_PATH_KEYS.contains(&key),
        "machine" => MACHINE_PATH_KEYS.contains(&key),
        _ => false,
    }
}

/// `\w+://` at the start.
pub(super) fn is_url(s: &str) -> bool {
    let word = s
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .count();
    word > 0 && s.chars().skip(word).take(3).collect::<String>() == "://"
}

/// `~` and `~/…` expand with the home directory; `~user/…` is assumed to name a real user and
/// is kept verbatim (dvc keeps every path `expanduser` changes verbatim).
fn is_tilde(s: &str) -> bool {
    s.starts_with('~')
}

/// How a path option given on the command line is stored in the file in `conf_dir`:
/// relative values are taken relative to `cwd` and rewritten relative to `conf_dir`
/// (`../relremote` from the repo root → `../../relremote` in `.dvc/config`); URLs, `~` paths
/// and absolute paths are kept verbatim.
pub fn store_path(value: &str, cwd: &Path, conf_dir: &Path) -> String {
    if is_url(value) || is_tilde(value) || value.starts_with('/') {
        return value.to_string();
    }
    relpath(&normpath(&cwd.join(value)), &normpath(conf_dir))
}

/// Re-normalize a stored relative path (what dvc's load + save round trip does).
pub(super) fn renormalize_stored(value: &str, conf_dir: &Path) -> String {
    store_path(value, conf_dir, conf_dir)
}

/// Resolve a stored path option against its file's directory, like dvc's `_resolve`.
pub fn resolve_path(value: &str, conf_dir: &Path, home: Option<&Path>) -> String {
    if is_url(value) || value.starts_with('/') {
        return value.to_string();
    }
    if let Some(rest) = value.strip_prefix('~') {
        if (rest.is_empty() || rest.starts_with('/'))
            && let Some(home) = home
        {
            let h = home.to_string_lossy();
            let h = h.trim_end_matches('/');
            let joined = format!("{h}{rest}");
            return if joined.is_empty() {
                "/".to_string()
            } else {
                joined
            };
        }
        return value.to_string();
    }
    normpath(&conf_dir.join(value))
        .to_string_lossy()
        .into_owned()
}

pub(super) fn map_path_options(conf: &mut Table, f: &dyn Fn(&str) -> String) {
    if let Some(Item::Table(cache)) = conf.get_mut("cache")
        && let Some(Item::Value(Value::Str(v))) = cache.get_mut("dir")
    {
        *v = f(v);
    }
    for (kind, keys) in [
        ("remote", &REMOTE_PATH_KEYS[..]),
        ("machine", &MACHINE_PATH_KEYS[..]),
    ] {
        if let Some(Item::Table(named)) = conf.get_mut(kind) {
            for (_, item) in named.entries.iter_mut() {
                if let Item::Table(t) = item {
                    for key in keys {
                        if let Some(Item::Value(Value::Str(v))) = t.get_mut(key) {
                            *v = f(v);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_stored_relative_to_the_config_dir() {
        let root = Path::new("/r");
        let dvc = Path::new("/r/.dvc");
        assert_eq!(store_path("../relremote", root, dvc), "../../relremote");
        assert_eq!(
            store_path("../x", Path::new("/r/sub/deep"), dvc),
            "../sub/x"
        );
        assert_eq!(
            store_path("./x", Path::new("/r/sub/deep"), dvc),
            "../sub/deep/x"
        );
        assert_eq!(
            store_path("foo/../bar", Path::new("/r/sub/deep"), dvc),
            "../sub/deep/bar"
        );
        assert_eq!(store_path("", Path::new("/r/sub/deep"), dvc), "../sub/deep");
        assert_eq!(
            store_path("C:\\x", Path::new("/r/sub/deep"), dvc),
            "../sub/deep/C:\\x"
        );
        assert_eq!(store_path("~/x/y", root, dvc), "~/x/y");
        assert_eq!(store_path("s3://b/p", root, dvc), "s3://b/p");
        assert_eq!(store_path("/abs/", root, dvc), "/abs/");
        assert_eq!(renormalize_stored(".", dvc), ".");
        assert_eq!(resolve_path("../../relremote", dvc, None), "/relremote");
        assert_eq!(
            resolve_path("~/x", dvc, Some(Path::new("/home/u/"))),
            "/home/u/x"
        );
    }
}

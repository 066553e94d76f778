//! dvc's voluptuous schema (`dvc/config_schema.py`): which sections and keys exist, their
//! types and ranges per remote URL scheme, and voluptuous' messages byte for byte
//! (`extra keys not allowed`, `expected int for dictionary value`, …). Also the Python
//! `int()` / dvc `Bool` parsing the typed accessors share.

use std::fmt;

use super::configobj::is_py_space;
use super::value::{Item, Table, Value};
use crate::data::odb::LinkType;

#[derive(Clone, Copy)]
enum Ty {
    /// `str`
    Str,
    /// dvc's `Bool`: `true`/`false`, any case.
    Bool,
    /// `All(Coerce(int), Range(min, max))`
    Int(Option<i64>, Option<i64>),
    /// `All(Coerce(float), Range(min))`
    Float(Option<f64>),
    /// `supported_cache_type`
    CacheType,
    /// `All(Lower, Choices(...))`
    Choice(&'static [&'static str]),
    /// `Any(Bool, str)`
    BoolOrStr,
    /// Python `bool` / `int` type checks: never satisfied by file strings.
    PyType(&'static str),
    /// `Lower` (anything goes).
    Lower,
}

type Fields = &'static [(&'static str, Ty)];

const BOOL_CHOICES: Ty = Ty::Bool;

const CORE: Fields = &[
    ("remote", Ty::Lower),
    ("checksum_jobs", Ty::Int(Some(1), None)),
    ("interactive", BOOL_CHOICES),
    ("analytics", Ty::Bool),
    ("hardlink_lock", Ty::Bool),
    ("no_scm", Ty::Bool),
    ("autostage", Ty::Bool),
    ("experiments", Ty::Bool),
    ("check_update", Ty::Bool),
    ("site_cache_dir", Ty::Str),
    ("machine", Ty::Lower),
];
const LOCAL_COMMON: Fields = &[
    ("type", Ty::CacheType),
    ("protected", Ty::Bool),
    ("shared", Ty::Choice(&["group"])),
    ("slow_link_warning", Ty::Bool),
    ("verify", Ty::Bool),
];
const CACHE: Fields = &[
    ("local", Ty::Str),
    ("s3", Ty::Str),
    ("gs", Ty::Str),
    ("hdfs", Ty::Str),
    ("webhdfs", Ty::Str),
    ("ssh", Ty::Str),
    ("azure", Ty::Str),
    ("dir", Ty::Str),
];
const REMOTE_COMMON: Fields = &[
    ("url", Ty::Str),
    ("checksum_jobs", Ty::Int(Some(1), None)),
    ("jobs", Ty::Int(Some(1), None)),
    ("worktree", Ty::Bool),
    ("no_traverse", Ty::Bool),
    ("version_aware", Ty::Bool),
];
const S3: Fields = &[
    ("region", Ty::Str),
    ("profile", Ty::Str),
    ("credentialpath", Ty::Str),
    ("configpath", Ty::Str),
    ("endpointurl", Ty::Str),
    ("access_key_id", Ty::Str),
    ("secret_access_key", Ty::Str),
    ("session_token", Ty::Str),
    ("listobjects", Ty::Bool),
    ("use_ssl", Ty::Bool),
    ("allow_anonymous_login", Ty::Bool),
    ("ssl_verify", Ty::BoolOrStr),
    ("sse", Ty::Str),
    ("sse_kms_key_id", Ty::Str),
    ("sse_customer_algorithm", Ty::Str),
    ("sse_customer_key", Ty::Str),
    ("acl", Ty::Str),
    ("grant_read", Ty::Str),
    ("grant_read_acp", Ty::Str),
    ("grant_write_acp", Ty::Str),
    ("grant_full_control", Ty::Str),
    ("cache_regions", Ty::PyType("bool")),
    ("read_timeout", Ty::Int(None, None)),
    ("connect_timeout", Ty::Int(None, None)),
    ("verify", Ty::Bool),
];
const GS: Fields = &[
    ("projectname", Ty::Str),
    ("credentialpath", Ty::Str),
    ("endpointurl", Ty::Str),
    ("verify", Ty::Bool),
    ("allow_anonymous_login", Ty::Bool),
];
const SSH: Fields = &[
    ("type", Ty::CacheType),
    ("port", Ty::Int(None, None)),
    ("user", Ty::Str),
    ("password", Ty::Str),
    ("ask_password", Ty::Bool),
    ("passphrase", Ty::Str),
    ("ask_passphrase", Ty::Bool),
    ("keyfile", Ty::Str),
    ("timeout", Ty::Int(None, None)),
    ("gss_auth", Ty::Bool),
    ("allow_agent", Ty::Bool),
    ("max_sessions", Ty::Int(None, None)),
    ("verify", Ty::Bool),
];
const HDFS: Fields = &[
    ("user", Ty::Str),
    ("kerb_ticket", Ty::Str),
    ("replication", Ty::PyType("int")),
];
const WEBHDFS: Fields = &[
    ("kerberos", Ty::Bool),
    ("kerberos_principal", Ty::Str),
    ("proxy_to", Ty::Str),
    ("ssl_verify", Ty::BoolOrStr),
    ("token", Ty::Str),
    ("use_https", Ty::Bool),
    ("user", Ty::Str),
    ("password", Ty::Str),
    ("data_proxy_target", Ty::Str),
    ("verify", Ty::Bool),
];
const AZURE: Fields = &[
    ("connection_string", Ty::Str),
    ("sas_token", Ty::Str),
    ("account_name", Ty::Str),
    ("account_key", Ty::Str),
    ("tenant_id", Ty::Str),
    ("client_id", Ty::Str),
    ("client_secret", Ty::Str),
    ("allow_anonymous_login", Ty::Bool),
    ("exclude_environment_credential", Ty::Bool),
    ("exclude_visual_studio_code_credential", Ty::Bool),
    ("exclude_shared_token_cache_credential", Ty::Bool),
    ("exclude_managed_identity_credential", Ty::Bool),
    ("verify", Ty::Bool),
    ("timeout", Ty::Int(None, None)),
    ("read_timeout", Ty::Int(None, None)),
    ("connection_timeout", Ty::Int(None, None)),
];
const OSS: Fields = &[
    ("oss_key_id", Ty::Str),
    ("oss_key_secret", Ty::Str),
    ("oss_endpoint", Ty::Str),
    ("verify", Ty::Bool),
];
const GDRIVE: Fields = &[
    ("profile", Ty::Str),
    ("gdrive_use_service_account", Ty::Bool),
    ("gdrive_client_id", Ty::Str),
    ("gdrive_client_secret", Ty::Str),
    ("gdrive_user_credentials_file", Ty::Str),
    ("gdrive_service_account_user_email", Ty::Str),
    ("gdrive_service_account_json_file_path", Ty::Str),
    ("gdrive_trash_only", Ty::Bool),
    ("gdrive_acknowledge_abuse", Ty::Bool),
    ("verify", Ty::Bool),
];
const HTTP: Fields = &[
    ("auth", Ty::Choice(&["basic", "digest", "custom"])),
    ("custom_auth_header", Ty::Str),
    ("user", Ty::Str),
    ("password", Ty::Str),
    ("ask_password", Ty::Bool),
    ("ssl_verify", Ty::BoolOrStr),
    ("method", Ty::Str),
    ("connect_timeout", Ty::Float(Some(0.0))),
    ("read_timeout", Ty::Float(Some(0.0))),
    ("verify", Ty::Bool),
];
const WEBDAV: Fields = &[
    ("user", Ty::Str),
    ("password", Ty::Str),
    ("ask_password", Ty::Bool),
    ("token", Ty::Str),
    ("bearer_token_command", Ty::Str),
    ("custom_auth_header", Ty::Str),
    ("cert_path", Ty::Str),
    ("key_path", Ty::Str),
    ("timeout", Ty::Int(None, None)),
    ("ssl_verify", Ty::BoolOrStr),
    ("verify", Ty::Bool),
];
const STATE: Fields = &[
    ("dir", Ty::Str),
    ("row_limit", Ty::Int(Some(1), None)),
    ("row_cleanup_quota", Ty::Int(Some(0), Some(100))),
];
const INDEX: Fields = &[("dir", Ty::Str)];
const MACHINE: Fields = &[
    ("cloud", Ty::Choice(&["aws", "azure"])),
    (
        "region",
        Ty::Choice(&["us-west", "us-east", "eu-west", "eu-north"]),
    ),
    ("image", Ty::Str),
    ("spot", Ty::Bool),
    ("spot_price", Ty::Float(None)),
    ("instance_hdd_size", Ty::Int(None, None)),
    ("instance_type", Ty::Lower),
    ("instance_gpu", Ty::Lower),
    ("ssh_private", Ty::Str),
    ("startup_script", Ty::Str),
    ("setup_script", Ty::Str),
];
const PLOTS: Fields = &[
    ("html_template", Ty::Str),
    ("auto_open", Ty::Bool),
    ("out_dir", Ty::Str),
];
const EXP: Fields = &[
    ("code", Ty::Str),
    ("data", Ty::Str),
    ("models", Ty::Str),
    ("metrics", Ty::Str),
    ("params", Ty::Str),
    ("plots", Ty::Str),
    ("live", Ty::Str),
    ("auto_push", Ty::Bool),
    ("git_remote", Ty::Str),
];
const PARSING: Fields = &[
    ("bool", Ty::Choice(&["store_true", "boolean_optional"])),
    ("list", Ty::Choice(&["nargs", "append"])),
];
const HYDRA: Fields = &[
    ("enabled", Ty::Bool),
    ("config_dir", Ty::Str),
    ("config_module", Ty::Str),
    ("config_name", Ty::Str),
    ("plugins_path", Ty::Str),
];
const STUDIO: Fields = &[
    ("token", Ty::Str),
    ("url", Ty::Str),
    ("repo_url", Ty::Str),
    ("offline", Ty::Bool),
];
const DB: Fields = &[
    ("url", Ty::Str),
    ("username", Ty::Str),
    ("password", Ty::Str),
];

/// Top-level sections in dvc's schema order (also the order new sections are appended in).
pub(super) const SCHEMA_SECTIONS: [&str; 13] = [
    "core", "cache", "remote", "state", "index", "machine", "feature", "plots", "exp", "parsing",
    "hydra", "studio", "db",
];

fn remote_fields(scheme: &str) -> Option<Vec<Fields>> {
    Some(match scheme {
        "" => vec![LOCAL_COMMON, REMOTE_COMMON],
        "s3" => vec![S3, REMOTE_COMMON],
        "gs" => vec![GS, REMOTE_COMMON],
        "ssh" => vec![SSH, REMOTE_COMMON],
        "hdfs" => vec![HDFS, REMOTE_COMMON],
        "webhdfs" => vec![WEBHDFS, REMOTE_COMMON],
        "azure" => vec![AZURE, REMOTE_COMMON],
        "oss" => vec![OSS, REMOTE_COMMON],
        "gdrive" => vec![GDRIVE, REMOTE_COMMON],
        "http" | "https" => vec![HTTP, REMOTE_COMMON],
        "webdav" | "webdavs" => vec![WEBDAV, REMOTE_COMMON],
        "remote" => vec![],
        _ => return None,
    })
}

/// Python `urlparse` scheme and whether a netloc is present.
pub(super) fn url_scheme(url: &str) -> (String, bool) {
    let mut scheme = String::new();
    let mut rest = url;
    if let Some(i) = url.find(':') {
        let cand = &url[..i];
        let ok = cand.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && cand
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if ok {
            scheme = cand.to_ascii_lowercase();
            rest = &url[i + 1..];
        }
    }
    let netloc = rest
        .strip_prefix("//")
        .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
        .unwrap_or("");
    (scheme, !netloc.is_empty())
}

pub(super) struct Invalid {
    pub(super) path: Vec<String>,
    pub(super) message: String,
}

fn invalid(path: &[&str], message: impl Into<String>) -> Invalid {
    Invalid {
        path: path.iter().map(|s| s.to_string()).collect(),
        message: message.into(),
    }
}

fn value_err(path: &[&str], msg: impl fmt::Display) -> Invalid {
    invalid(path, format!("{msg} for dictionary value"))
}

/// Python `int(str)`.
pub fn parse_py_int(s: &str) -> Option<i64> {
    let t = s.trim_matches(is_py_space);
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let v: i64 = digits.replace('_', "").parse().ok()?;
    Some(if neg { -v } else { v })
}

fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim_matches(is_py_space).replace('_', "");
    match t.to_ascii_lowercase().trim_start_matches(['+', '-']) {
        "inf" | "infinity" | "nan" => return t.parse::<f64>().ok().or(Some(f64::INFINITY)),
        _ => {}
    }
    t.parse().ok()
}

/// dvc's `Bool`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

fn check_value(ty: Ty, value: &Item, path: &[&str]) -> Result<(), Invalid> {
    let v = match value {
        Item::Value(v) => v,
        Item::Table(_) => {
            return match ty {
                Ty::Str | Ty::BoolOrStr => Err(value_err(path, "expected str")),
                _ => Err(value_err(path, type_message(ty))),
            };
        }
    };
    let s = match (ty, v) {
        (Ty::Lower, _) => return Ok(()),
        (Ty::CacheType, Value::List(items)) => {
            return check_cache_types(items.iter().map(|s| s.as_str()), path);
        }
        (_, Value::List(_)) => {
            return Err(value_err(
                path,
                if matches!(ty, Ty::BoolOrStr) {
                    "expected str".to_string()
                } else {
                    type_message(ty)
                },
            ));
        }
        (_, Value::Str(s)) => s.as_str(),
    };
    match ty {
        Ty::Str | Ty::BoolOrStr | Ty::Lower => Ok(()),
        Ty::Bool => parse_bool(s)
            .map(|_| ())
            .ok_or_else(|| value_err(path, "expected true or false")),
        Ty::Int(min, max) => {
            let n = parse_py_int(s).ok_or_else(|| value_err(path, "expected int"))?;
            if let Some(m) = min.filter(|m| n < *m) {
                return Err(value_err(path, format!("value must be at least {m}")));
            }
            if let Some(m) = max.filter(|m| n > *m) {
                return Err(value_err(path, format!("value must be at most {m}")));
            }
            Ok(())
        }
        Ty::Float(min) => {
            let f = parse_py_float(s).ok_or_else(|| value_err(path, "expected float"))?;
            if let Some(m) = min.filter(|m| f < *m) {
                return Err(value_err(path, format!("value must be at least {m}")));
            }
            Ok(())
        }
        Ty::CacheType => check_cache_types(s.split(',').map(str::trim), path),
        Ty::Choice(choices) => {
            if choices.contains(&s.to_lowercase().as_str()) {
                Ok(())
            } else {
                Err(value_err(
                    path,
                    format!("expected one of {}", choices.join(", ")),
                ))
            }
        }
        Ty::PyType(t) => Err(value_err(path, format!("expected {t}"))),
    }
}

fn type_message(ty: Ty) -> String {
    match ty {
        Ty::Bool => "expected true or false".into(),
        Ty::Int(..) => "expected int".into(),
        Ty::Float(_) => "expected float".into(),
        Ty::Choice(c) => format!("expected one of {}", c.join(", ")),
        Ty::PyType(t) => format!("expected {t}"),
        _ => "expected str".into(),
    }
}

fn check_cache_types<'a>(
    types: impl Iterator<Item = &'a str>,
    path: &[&str],
) -> Result<(), Invalid> {
    let mut bad: Vec<&str> = Vec::new();
    for t in types {
        if LinkType::parse(t).is_none() && !bad.contains(&t) {
            bad.push(t);
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(value_err(
            path,
            format!("Unsupported cache type(s): {}", bad.join(", ")),
        ))
    }
}

fn check_fields(
    table: &Table,
    fields: &[Fields],
    path: &[&str],
    extra_ok: bool,
) -> Result<(), Invalid> {
    for (key, item) in table.iter() {
        let mut p = path.to_vec();
        p.push(key);
        match fields
            .iter()
            .flat_map(|f| f.iter())
            .find(|(k, _)| *k == key)
        {
            Some((_, ty)) => check_value(*ty, item, &p)?,
            None if extra_ok => {}
            None => return Err(invalid(&p, "extra keys not allowed")),
        }
    }
    Ok(())
}

fn as_table<'a>(item: &'a Item, path: &[&str]) -> Result<&'a Table, Invalid> {
    match item {
        Item::Table(t) => Ok(t),
        Item::Value(_) => Err(value_err(path, "expected a dictionary")),
    }
}

fn check_remote(item: &Item, path: &[&str]) -> Result<(), Invalid> {
    let t = as_table(item, path)?;
    let url = match t.get("url") {
        None => return Err(value_err(path, "expected 'url'")),
        Some(Item::Value(Value::Str(u))) => u.clone(),
        Some(_) => {
            let mut p = path.to_vec();
            p.push("url");
            return Err(value_err(&p, "expected str"));
        }
    };
    let (scheme, netloc) = url_scheme(&url);
    let scheme = if netloc { scheme } else { String::new() };
    let fields = remote_fields(&scheme)
        .ok_or_else(|| value_err(path, format!("Unsupported URL type {scheme}://")))?;
    if scheme == "remote" {
        return Ok(());
    }
    check_fields(t, &fields, path, false)
}

pub(super) fn check_schema(conf: &Table) -> Result<(), Invalid> {
    for (section, item) in conf.iter() {
        let path = [section];
        let fields: &[Fields] = match section {
            "core" => &[CORE],
            "cache" => &[CACHE, LOCAL_COMMON],
            "state" => &[STATE],
            "index" => &[INDEX],
            "plots" => &[PLOTS],
            "exp" => &[EXP],
            "parsing" => &[PARSING],
            "hydra" => &[HYDRA],
            "studio" => &[STUDIO],
            "feature" => {
                // FeatureSchema: unknown keys are dropped with a warning, `machine` is a Bool.
                let t = as_table(item, &path)?;
                check_fields(t, &[&[("machine", Ty::Bool)]], &path, true)?;
                continue;
            }
            "remote" | "machine" | "db" => {
                let t = as_table(item, &path)?;
                for (name, sub) in t.iter() {
                    let p = [section, name];
                    match section {
                        "remote" => check_remote(sub, &p)?,
                        "machine" => check_fields(as_table(sub, &p)?, &[MACHINE], &p, false)?,
                        _ => check_fields(as_table(sub, &p)?, &[DB], &p, false)?,
                    }
                }
                continue;
            }
            _ => return Err(invalid(&path, "extra keys not allowed")),
        };
        let t = as_table(item, &path)?;
        check_fields(t, fields, &path, false)?;
        if section == "hydra" && t.contains("config_dir") && t.contains("config_module") {
            return Err(invalid(
                &path,
                "two or more values in the same group of exclusion 'config_source'",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::config::configobj::{parse_configobj, parse_named};
    use crate::data::config::error::format_key_path;
    use crate::data::config::levels::with_default_sections;

    fn level(text: &str) -> Table {
        parse_named(parse_configobj(text.as_bytes()).expect("parses"))
    }

    #[test]
    fn validation_messages_match_dvc() {
        let msg = |text: &str| {
            let conf = with_default_sections(level(text));
            let inv = check_schema(&conf).expect_err("invalid");
            format!("{} @ {}", inv.message, format_key_path(&inv.path))
        };
        assert_eq!(
            msg("[core]\n    nonexist = x\n"),
            "extra keys not allowed @ data['core']['nonexist']"
        );
        assert_eq!(
            msg("[core]\n    autostage = maybe\n"),
            "expected true or false for dictionary value @ data['core']['autostage']"
        );
        assert_eq!(
            msg("['remote \"x\"']\n    url = /a\n    jobs = 0\n"),
            "value must be at least 1 for dictionary value @ data['remote']['x']['jobs']"
        );
        assert_eq!(
            msg("['remote \"x\"']\n    url = /a\n    jobs = abc\n"),
            "expected int for dictionary value @ data['remote']['x']['jobs']"
        );
        assert_eq!(
            msg("['remote \"x\"']\n    region = a\n"),
            "expected 'url' for dictionary value @ data['remote']['x']"
        );
        assert_eq!(
            msg("['remote \"x\"']\n    url = foo://a/b\n"),
            "Unsupported URL type foo:// for dictionary value @ data['remote']['x']"
        );
        assert_eq!(
            msg("['remote \"x\"']\n    url = /a\n    region = x\n"),
            "extra keys not allowed @ data['remote']['x']['region']"
        );
        assert_eq!(
            msg("[cache]\n    type = foo,copy\n"),
            "Unsupported cache type(s): foo for dictionary value @ data['cache']['type']"
        );
        // List items are compared exactly, as dvc does: a quoted ` copy` is not `copy`.
        assert_eq!(
            msg("[cache]\n    type = ' copy', reflink\n"),
            "Unsupported cache type(s):  copy for dictionary value @ data['cache']['type']"
        );
        assert_eq!(
            msg("[cache]\n    shared = x\n"),
            "expected one of group for dictionary value @ data['cache']['shared']"
        );
        assert_eq!(
            msg("[foo]\n    a = b\n"),
            "extra keys not allowed @ data['foo']"
        );
        assert_eq!(
            msg("['remote \"x\"']\n    url = s3://a/b\n    cache_regions = true\n"),
            "expected bool for dictionary value @ data['remote']['x']['cache_regions']"
        );
        let ok = with_default_sections(level(
            "[core]\n    autostage = TRUE\n[cache]\n    type = \"reflink, hardlink,copy\"\n    shared = GROUP\n['remote \"s3r\"']\n    url = s3://b/p\n    use_ssl = false\n    jobs = 3\n",
        ));
        assert!(check_schema(&ok).is_ok());
    }
}

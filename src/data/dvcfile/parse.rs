//! Reading a `.dvc` file: YAML through `serde_yaml`, then validated like dvc's voluptuous
//! schema (`dvc/schema.py`, `dvc/output.py`) with dvc's wording (`extra keys not allowed, in
//! outs -> 0 -> extra`). Checksums are lowercased, ints coerced to strings, and an empty
//! document is an empty stage. The entry checks here are shared with `dvc.lock` reading.

use serde_yaml::Value;

use super::{DvcFile, FileEntry, Out, ParseError, err};

const TOP_KEYS: &[&str] = &[
    "md5",
    "wdir",
    "deps",
    "outs",
    "frozen",
    "locked",
    "meta",
    "always_changed",
    "desc",
];
/// `dvc/output.py` `SCHEMA` (ARTIFACT + ANNOTATION + cache/remote/push/files/fs_config).
const OUT_KEYS: &[&str] = &[
    "md5",
    "checksum",
    "etag",
    "size",
    "nfiles",
    "isexec",
    "version_id",
    "path",
    "persist",
    "cloud",
    "hash",
    "desc",
    "type",
    "labels",
    "meta",
    "cache",
    "remote",
    "push",
    "files",
    "fs_config",
];
/// `dvc/dependency/__init__.py` `SCHEMA`.
const DEP_KEYS: &[&str] = &[
    "md5",
    "checksum",
    "etag",
    "size",
    "nfiles",
    "isexec",
    "version_id",
    "path",
    "persist",
    "cloud",
    "hash",
    "repo",
    "db",
    "files",
    "fs_config",
];

/// The largest `.dvc` or `dvc.lock` text parsed (32 MiB). Real ones are a few KiB;
/// parsing costs several times the text in memory, so a file of hundreds of MiB (a
/// hostile or broken one) is refused up front rather than parsed.
pub const MAX_STAGE_FILE: usize = 32 << 20;

/// Flow collections (`[`, `{`) nested deeper than this are refused before parsing.
/// libyaml's scanner is quadratic in the flow depth (each token rescans the open
/// levels), so `[[[[…` 200,000 deep ran for minutes before serde_yaml's own recursion
/// limit (128, the same as this) could refuse it, and the limit bounds the cost per
/// token. Only brackets that open or nest flow collections count: not those inside
/// quoted, plain or block scalars (a value with 200 `[` in it is a value), nor comments.
const MAX_FLOW_DEPTH: usize = 128;

fn flow_depth_exceeds(text: &str, limit: usize) -> bool {
    let bytes = text.as_bytes();
    let n = bytes.len();
    // Flow depth, an open quoted scalar, and the indentation of the line whose plain or
    // block scalar may go on over the more indented lines below it.
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut scalar_indent: Option<usize> = None;
    let mut i = 0;
    let is_space = |b: u8| b == b' ' || b == b'\t';
    let ends_token = |j: usize| j >= n || matches!(bytes[j], b' ' | b'\t' | b'\n' | b'\r');
    while i < n {
        // At the start of a line.
        let line_start = i;
        while i < n && is_space(bytes[i]) {
            i += 1;
        }
        let indent = i - line_start;
        if quote.is_none()
            && depth == 0
            && let Some(k) = scalar_indent
        {
            let blank = i >= n || bytes[i] == b'\n' || bytes[i] == b'#';
            if blank || indent > k {
                // A continuation of the scalar (or a blank or comment line).
                while i < n && bytes[i] != b'\n' {
                    i += 1;
                }
                i += 1;
                continue;
            }
            scalar_indent = None;
        }
        // The rest of the line.
        let mut token_start = true;
        let mut first_token = true;
        while i < n && bytes[i] != b'\n' {
            let b = bytes[i];
            if let Some(q) = quote {
                if q == b'"' && b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                    token_start = false;
                }
                i += 1;
                continue;
            }
            if b == b'#' && (i == line_start || is_space(bytes[i - 1])) {
                // A comment, to the end of the line.
                while i < n && bytes[i] != b'\n' {
                    i += 1;
                }
                break;
            }
            if depth > 0 {
                match b {
                    b'[' | b'{' => {
                        depth += 1;
                        if depth > limit {
                            return true;
                        }
                    }
                    b']' | b'}' => depth -= 1,
                    b'\'' | b'"'
                        if matches!(bytes[i - 1], b' ' | b'\t' | b'[' | b'{' | b',' | b':') =>
                    {
                        quote = Some(b)
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            // Block context.
            if is_space(b) {
                token_start = true;
                i += 1;
                continue;
            }
            if !token_start {
                i += 1;
                continue;
            }
            match b {
                b'[' | b'{' => {
                    depth = 1;
                    i += 1;
                }
                b'\'' | b'"' => {
                    quote = Some(b);
                    i += 1;
                }
                b'-' | b'?' | b':' if ends_token(i + 1) => i += 1,
                b'|' | b'>' => {
                    // A block scalar: its lines are the more indented ones below.
                    scalar_indent = Some(indent);
                    while i < n && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'&' | b'!' | b'*' => {
                    // An anchor, tag or alias: a word.
                    while i < n && !ends_token(i) {
                        i += 1;
                    }
                }
                _ => {
                    // A plain scalar: a key if `: ` ends it on this line, else a value
                    // that may go on over the more indented lines below.
                    let mut j = i;
                    let mut key = false;
                    while j < n && bytes[j] != b'\n' {
                        if bytes[j] == b':' && ends_token(j + 1) {
                            key = true;
                            break;
                        }
                        if bytes[j] == b'#' && is_space(bytes[j - 1]) {
                            break;
                        }
                        j += 1;
                    }
                    if !key && (j >= n || bytes[j] == b'\n') {
                        // Its parent is the key or entry of this line, or, for a value
                        // on a line of its own, a node indented less than it.
                        scalar_indent = Some(if first_token {
                            indent.saturating_sub(1)
                        } else {
                            indent
                        });
                    }
                    i = j;
                    token_start = false;
                    first_token = false;
                    continue;
                }
            }
            token_start = false;
            first_token = false;
        }
        i += 1;
    }
    false
}

pub(crate) fn load(text: &str) -> Result<Value, ParseError> {
    // serde_yaml rejects multi-document streams and conflict markers with an error; it never
    // panics on input. Recursion (128) and alias expansion are bounded by the library;
    // size and flow depth, which it would spend minutes on first, are bounded here.
    if text.len() > MAX_STAGE_FILE {
        return err(format!(
            "the file is {} bytes, larger than the {} MiB a stage file may be",
            text.len(),
            MAX_STAGE_FILE >> 20
        ));
    }
    if flow_depth_exceeds(text, MAX_FLOW_DEPTH) {
        return err(format!(
            "invalid YAML (possible merge conflicts): collections nested deeper than {MAX_FLOW_DEPTH} levels"
        ));
    }
    match serde_yaml::from_str::<Value>(text) {
        Ok(v) if needs_ruamel_numbers(&v, None) => Ok(ruamel_numbers(text, v)),
        Ok(v) => Ok(v),
        Err(e) => err(format!("invalid YAML (possible merge conflicts): {e}")),
    }
}

/// Whether `v` holds a number that may be a string to ruamel: any float, and an int
/// outside `size`/`nfiles`.
fn needs_ruamel_numbers(v: &Value, key: Option<&str>) -> bool {
    match v {
        Value::Number(n) => n.is_f64() || !matches!(key, Some("size" | "nfiles")),
        Value::Sequence(items) => items.iter().any(|i| needs_ruamel_numbers(i, None)),
        Value::Mapping(m) => m.iter().any(|(k, v)| needs_ruamel_numbers(v, k.as_str())),
        Value::Tagged(t) => needs_ruamel_numbers(&t.value, key),
        _ => false,
    }
}

/// dvc reads its files with ruamel's YAML 1.2 resolver, libyaml's reader (serde_yaml)
/// takes more plain scalars for numbers: `.3e3`, `-.5`, `0b1` are strings to dvc, and
/// it writes them unquoted (`path: .3e3`). Every number of `v` whose text ruamel would
/// not take for one becomes that text, as a string. The text is read again with the
/// shape of `v` as a guide, asking for the raw scalar where `v` has a number.
fn ruamel_numbers(text: &str, v: Value) -> Value {
    use serde::de::DeserializeSeed;
    let de = serde_yaml::Deserializer::from_str(text);
    Shaped(&v).deserialize(de).unwrap_or(v)
}

/// Whether ruamel's YAML 1.2 resolver takes the plain scalar `raw` for an int or a float
/// (its `VersionedResolver` rules for 1.2, first character included).
pub(crate) fn ruamel_number(raw: &str) -> bool {
    fn run(s: &str, ok: impl Fn(u8) -> bool) -> bool {
        s.bytes().all(|b| ok(b) || b == b'_')
    }
    fn some(s: &str, ok: impl Fn(u8) -> bool) -> bool {
        !s.is_empty() && run(s, ok)
    }
    let dec = |b: u8| b.is_ascii_digit();
    let Some(first) = raw.bytes().next() else {
        return false;
    };
    if !b"-+0123456789.".contains(&first) {
        return false;
    }
    let body = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    // [-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?[0-9_]+ | [-+]?0x[0-9a-fA-F_]+
    if body
        .strip_prefix("0b")
        .is_some_and(|d| some(d, |b| b == b'0' || b == b'1'))
        || body
            .strip_prefix("0o")
            .is_some_and(|d| some(d, |b| (b'0'..=b'7').contains(&b)))
        || some(body, dec)
        || body
            .strip_prefix("0x")
            .is_some_and(|d| some(d, |b| b.is_ascii_hexdigit()))
    {
        return true;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let exponent_ok = |signed: bool| match exponent {
        None => true,
        Some(e) => {
            let digits = e.strip_prefix(['-', '+']);
            (digits.is_some() || !signed) && {
                let d = digits.unwrap_or(e);
                !d.is_empty() && d.bytes().all(dec)
            }
        }
    };
    let leading_digit = |s: &str| s.bytes().next().is_some_and(dec);
    let float = match mantissa.split_once('.') {
        // [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)?
        Some((int, frac)) if leading_digit(int) && run(int, dec) && run(frac, dec) => {
            exponent_ok(false)
        }
        // [-+]?\.[0-9_]+([eE][-+][0-9]+)?
        Some(("", frac)) if some(frac, dec) => exponent_ok(true),
        // [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        None if exponent.is_some() && leading_digit(mantissa) && run(mantissa, dec) => {
            exponent_ok(false)
        }
        _ => false,
    };
    float || matches!(body, ".inf" | ".Inf" | ".INF") || matches!(raw, ".nan" | ".NaN" | ".NAN")
}

/// A seed that deserializes the same document again, following the shape of a value
/// already loaded, and reads the raw text wherever that value has a number.
struct Shaped<'a>(&'a Value);

impl<'de> serde::de::DeserializeSeed<'de> for Shaped<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        struct Visit<'a>(&'a Value);
        impl<'de> serde::de::Visitor<'de> for Visit<'_> {
            type Value = Value;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the value read before")
            }
            fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<Value, E> {
                Ok(if ruamel_number(raw) {
                    self.0.clone()
                } else {
                    Value::String(raw.to_string())
                })
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let Value::Sequence(items) = self.0 else {
                    return Err(serde::de::Error::custom("shape changed"));
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match a.next_element_seed(Shaped(item))? {
                        Some(v) => out.push(v),
                        None => return Err(serde::de::Error::custom("shape changed")),
                    }
                }
                Ok(Value::Sequence(out))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
                let Value::Mapping(map) = self.0 else {
                    return Err(serde::de::Error::custom("shape changed"));
                };
                let mut out = serde_yaml::Mapping::new();
                while let Some(k) = a.next_key::<Value>()? {
                    let Some(child) = map.get(&k) else {
                        return Err(serde::de::Error::custom("shape changed"));
                    };
                    let v = a.next_value_seed(Shaped(child))?;
                    out.insert(k, v);
                }
                Ok(Value::Mapping(out))
            }
        }
        match self.0 {
            Value::Number(_) => d.deserialize_str(Visit(self.0)),
            Value::Sequence(_) => d.deserialize_seq(Visit(self.0)),
            Value::Mapping(_) => d.deserialize_map(Visit(self.0)),
            other => {
                <serde::de::IgnoredAny as serde::Deserialize>::deserialize(d)?;
                Ok(other.clone())
            }
        }
    }
}

pub(super) fn where_(path: &[String]) -> String {
    path.join(" -> ")
}

pub(super) fn key_str(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default(),
    }
}

pub(super) fn check_keys(
    map: &serde_yaml::Mapping,
    allowed: &[&str],
    path: &[String],
) -> Result<(), ParseError> {
    for k in map.keys() {
        let name = key_str(k);
        if !matches!(k, Value::String(_)) || !allowed.contains(&name.as_str()) {
            let mut p = path.to_vec();
            p.push(name);
            return err(format!("extra keys not allowed, in {}", where_(&p)));
        }
    }
    Ok(())
}

pub(super) fn at(path: &[String], key: &str) -> String {
    let mut p = path.to_vec();
    p.push(key.to_string());
    where_(&p)
}

/// DVC's `CHECKSUM_SCHEMA`: None/empty → None; str or int, at least 3 chars, lowercased.
fn checksum(v: Option<&Value>, path: &[String], key: &str) -> Result<Option<String>, ParseError> {
    let s = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(_) => return err(format!("not a valid value, in {}", at(path, key))),
    };
    if s.chars().count() < 3 {
        return err(format!("not a valid value, in {}", at(path, key)));
    }
    Ok(Some(s.to_lowercase()))
}

fn opt_u64(v: Option<&Value>, path: &[String], key: &str) -> Result<Option<u64>, ParseError> {
    match v {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(x) => Ok(Some(x)),
            None => err(format!("expected int, in {}", at(path, key))),
        },
        Some(_) => err(format!("expected int, in {}", at(path, key))),
    }
}

fn opt_bool(v: Option<&Value>, path: &[String], key: &str) -> Result<Option<bool>, ParseError> {
    match v {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => err(format!("expected bool, in {}", at(path, key))),
    }
}

fn opt_str(v: Option<&Value>, path: &[String], key: &str) -> Result<Option<String>, ParseError> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => err(format!("expected str, in {}", at(path, key))),
    }
}

/// Validate one out/dep/lock entry and convert it.
fn entry(v: &Value, allowed: &[&str], path: &[String]) -> Result<Out, ParseError> {
    let Value::Mapping(map) = v else {
        return err(format!("expected a dictionary, in {}", where_(path)));
    };
    check_keys(map, allowed, path)?;
    let get = |k: &str| map.get(k);
    let Some(p) = opt_str(get("path"), path, "path")? else {
        return err(format!(
            "required key not provided, in {}",
            at(path, "path")
        ));
    };
    checksum(get("checksum"), path, "checksum")?;
    if let Some(Value::Number(_) | Value::Sequence(_) | Value::Mapping(_) | Value::Bool(_)) =
        get("etag")
    {
        // CASE_SENSITIVE_CHECKSUM_SCHEMA: ints are fine; containers are not.
        if !matches!(get("etag"), Some(Value::Number(_))) {
            return err(format!("not a valid value, in {}", at(path, "etag")));
        }
    }
    let version_id = opt_str(get("version_id"), path, "version_id")?;
    opt_bool(get("persist"), path, "persist")?;
    let cloud_version = cloud(get("cloud"), path)?;
    let files = match get("files") {
        None | Some(Value::Null) => None,
        Some(Value::Sequence(items)) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let mut p = path.to_vec();
                    p.push("files".into());
                    p.push(i.to_string());
                    file_entry(v, &p)
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return err(format!("expected a list, in {}", at(path, "files"))),
    };
    let mut md5 = checksum(get("md5"), path, "md5")?;
    let mut size = opt_u64(get("size"), path, "size")?;
    let mut nfiles = opt_u64(get("nfiles"), path, "nfiles")?;
    // dvc's `_compute_meta_hash_info_from_files`: a non-empty list decides the hash.
    if let Some(list) = files.as_ref().filter(|f| !f.is_empty()) {
        md5 = Some(crate::data::tree::listed_oid(
            list.iter().map(|f| (f.relpath.as_str(), f.md5.as_deref())),
        ));
        size = Some(list.iter().filter_map(|f| f.size).sum());
        nfiles = Some(list.len() as u64);
    }
    Ok(Out {
        path: p,
        md5,
        size,
        nfiles,
        isexec: opt_bool(get("isexec"), path, "isexec")?.unwrap_or(false),
        hash: opt_str(get("hash"), path, "hash")?,
        cache: opt_bool(get("cache"), path, "cache")?.unwrap_or(true),
        push: opt_bool(get("push"), path, "push")?.unwrap_or(true),
        remote: opt_str(get("remote"), path, "remote")?,
        versioned: version_id.is_some_and(|v| !v.is_empty()) || cloud_version,
        cloud_meta: ["cloud", "etag", "version_id", "checksum"]
            .iter()
            .any(|k| get(k).is_some()),
        files,
    })
}

/// dvc's `CLOUD_SCHEMA` (`{remote: {meta and checksums}}`, at most one remote). Returns
/// whether it records a `version_id`.
fn cloud(v: Option<&Value>, path: &[String]) -> Result<bool, ParseError> {
    let Some(v) = v else { return Ok(false) };
    let Value::Mapping(m) = v else {
        return err(format!("expected a dictionary, in {}", at(path, "cloud")));
    };
    if m.len() > 1 {
        return err(format!(
            "length of value must be at most 1, in {}",
            at(path, "cloud")
        ));
    }
    let mut versioned = false;
    for (remote, meta) in m {
        let mut p = path.to_vec();
        p.push("cloud".into());
        p.push(key_str(remote));
        let Value::Mapping(meta) = meta else {
            return err(format!("expected a dictionary, in {}", where_(&p)));
        };
        check_keys(meta, CLOUD_META_KEYS, &p)?;
        let get = |k: &str| meta.get(k);
        checksum(get("md5"), &p, "md5")?;
        checksum(get("checksum"), &p, "checksum")?;
        opt_u64(get("size"), &p, "size")?;
        opt_u64(get("nfiles"), &p, "nfiles")?;
        opt_bool(get("isexec"), &p, "isexec")?;
        versioned |= opt_str(get("version_id"), &p, "version_id")?.is_some_and(|v| !v.is_empty());
    }
    Ok(versioned)
}

/// `META_SCHEMA | CHECKSUMS_SCHEMA`, the keys of a `cloud:` remote entry.
const CLOUD_META_KEYS: &[&str] = &[
    "size",
    "nfiles",
    "isexec",
    "version_id",
    "md5",
    "etag",
    "checksum",
];

/// `DIR_FILES_SCHEMA`: one entry of a `files:` list.
const FILE_KEYS: &[&str] = &[
    "md5",
    "etag",
    "checksum",
    "size",
    "nfiles",
    "isexec",
    "version_id",
    "relpath",
    "cloud",
];

fn file_entry(v: &Value, path: &[String]) -> Result<FileEntry, ParseError> {
    let Value::Mapping(map) = v else {
        return err(format!("expected a dictionary, in {}", where_(path)));
    };
    check_keys(map, FILE_KEYS, path)?;
    let get = |k: &str| map.get(k);
    let Some(relpath) = opt_str(get("relpath"), path, "relpath")? else {
        return err(format!(
            "required key not provided, in {}",
            at(path, "relpath")
        ));
    };
    checksum(get("checksum"), path, "checksum")?;
    opt_u64(get("nfiles"), path, "nfiles")?;
    opt_str(get("version_id"), path, "version_id")?;
    cloud(get("cloud"), path)?;
    let cloud = match get("cloud") {
        Some(Value::Mapping(m)) => m.iter().next().map(|(remote, meta)| {
            let fields = ["etag", "checksum", "version_id"]
                .iter()
                .filter_map(|k| {
                    let v = match meta.get(*k)? {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    (!v.is_empty()).then(|| (k.to_string(), v))
                })
                .collect();
            (key_str(remote), fields)
        }),
        _ => None,
    };
    Ok(FileEntry {
        relpath,
        md5: checksum(get("md5"), path, "md5")?,
        size: opt_u64(get("size"), path, "size")?,
        isexec: opt_bool(get("isexec"), path, "isexec")?.unwrap_or(false),
        cloud,
    })
}

pub(super) fn entry_list(
    v: Option<&Value>,
    allowed: &[&str],
    name: &str,
    prefix: &[String],
) -> Result<Vec<Out>, ParseError> {
    let path = {
        let mut p = prefix.to_vec();
        p.push(name.to_string());
        p
    };
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Sequence(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let mut p = path.clone();
                p.push(i.to_string());
                entry(item, allowed, &p)
            })
            .collect(),
        Some(_) => err(format!("expected a list, in {}", where_(&path))),
    }
}

/// The `repo:` of an import dep (`dvc import`): `url`, `rev`, `rev_lock`.
fn import_source(dep: &Value) -> Option<super::ImportSource> {
    let repo = dep.get("repo")?;
    let text = |k: &str| match repo.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let pairs = |v: Option<&Value>| -> Vec<(String, String)> {
        v.and_then(Value::as_mapping)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar(v)?)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut settings = super::SourceSettings::default();
    match repo.get("config") {
        Some(Value::String(s)) => settings.config_file = Some(s.clone()),
        Some(Value::Mapping(m)) => {
            let name = m
                .get("core")
                .and_then(|c| c.get("remote"))
                .and_then(Value::as_str)
                .map(str::to_string);
            if let Some(name) = &name {
                settings.remote_config = pairs(m.get("remote").and_then(|r| r.get(name.as_str())));
            }
            settings.remote = name;
        }
        _ => {}
    }
    match repo.get("remote") {
        Some(Value::String(s)) => settings.remote = Some(s.clone()),
        Some(v @ Value::Mapping(_)) => settings.remote_config = pairs(Some(v)),
        _ => {}
    }
    Some(super::ImportSource {
        path: dep.get("path").and_then(Value::as_str)?.to_string(),
        url: text("url")?,
        rev: text("rev"),
        rev_lock: text("rev_lock"),
        settings,
    })
}

/// Parse and validate a `.dvc` file.
pub fn parse(text: &str) -> Result<DvcFile, ParseError> {
    let doc = load(text)?;
    let map = match doc {
        Value::Null => return Ok(DvcFile::default()),
        Value::Mapping(m) => m,
        _ => return err("expected a dictionary"),
    };
    check_keys(&map, TOP_KEYS, &[])?;
    let root: Vec<String> = Vec::new();
    let md5 = checksum(map.get("md5"), &root, "md5")?;
    let wdir = match map.get("wdir") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return err("expected str, in wdir"),
    };
    let frozen = opt_bool(map.get("frozen"), &root, "frozen")?.unwrap_or(false);
    opt_bool(map.get("locked"), &root, "locked")?;
    opt_bool(map.get("always_changed"), &root, "always_changed")?;
    let desc = opt_str(map.get("desc"), &root, "desc")?;
    let deps = entry_list(map.get("deps"), DEP_KEYS, "deps", &root)?;
    let repo_import = map
        .get("deps")
        .and_then(Value::as_sequence)
        .is_some_and(|d| d.iter().any(|d| d.get("repo").is_some()));
    let outs = entry_list(map.get("outs"), OUT_KEYS, "outs", &root)?;
    let import = map
        .get("deps")
        .and_then(Value::as_sequence)
        .and_then(|d| d.first())
        .and_then(import_source);
    Ok(DvcFile {
        outs,
        deps,
        frozen,
        md5,
        wdir,
        desc,
        repo_import,
        import,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only brackets that open flow collections count toward the depth limit (the yaml
    /// fuzz target found a path of 200 `[` written plain and then refused).
    #[test]
    fn flow_depth_counts_flow_collections_only() {
        let deep = |d: usize| format!("{}{}", "[".repeat(d), "]".repeat(d));
        let brackets = "[".repeat(200);
        let over = [
            format!("outs: {}\n", deep(129)),
            format!("- {}\n", deep(129)),
            format!("a:\n  b: {{x: {}}}\n", deep(128)),
            format!("k: [a, '{brackets}', {}]\n", deep(128)),
        ];
        for text in &over {
            assert!(flow_depth_exceeds(text, MAX_FLOW_DEPTH), "{text}");
        }
        let within = [
            format!("outs: {}\n", deep(128)),
            format!("path: a{brackets}\n"),
            format!("k:\n  x{brackets}\n  {brackets}\n"),
            format!("k: |\n  {brackets}\n  {{{brackets}\nn: 1\n"),
            format!("k: '{brackets}'\n"),
            format!("k: \"{brackets}\\\"\"\n"),
            format!("k: x # {brackets}\n"),
            format!("? ''(M@?''{brackets}\n: v\n"),
            format!("k: \n  ?''(['':''{brackets}':''\n"),
            format!("k: &a x{brackets}\n"),
        ];
        for text in &within {
            assert!(!flow_depth_exceeds(text, MAX_FLOW_DEPTH), "{text}");
        }
        // What is within the limit and valid YAML loads.
        for text in &within[1..7] {
            assert!(load(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn parse_validates_like_dvc() {
        let e = |t: &str| parse(t).expect_err(t).message;
        assert_eq!(
            e("outs:\n- md5: abc\n  path: x\n  extra: 1\n"),
            "extra keys not allowed, in outs -> 0 -> extra"
        );
        assert_eq!(
            e("unknown: 1\nouts:\n- path: x\n"),
            "extra keys not allowed, in unknown"
        );
        assert_eq!(
            e("outs:\n- path: x\n  metric: true\n"),
            "extra keys not allowed, in outs -> 0 -> metric"
        );
        assert_eq!(
            e("deps:\n- path: x\n  foo: 1\n"),
            "extra keys not allowed, in deps -> 0 -> foo"
        );
        assert_eq!(
            e("outs:\n- md5: abc\n"),
            "required key not provided, in outs -> 0 -> path"
        );
        assert_eq!(e("[1]\n"), "expected a dictionary");
        assert_eq!(e("just a string"), "expected a dictionary");
        assert_eq!(
            e("outs:\n- md5: ab\n  path: x\n"),
            "not a valid value, in outs -> 0 -> md5"
        );
        assert_eq!(
            e("outs:\n- md5: 123\n  path: x\n  size: abc\n"),
            "expected int, in outs -> 0 -> size"
        );
        assert_eq!(e("outs: 5\n"), "expected a list, in outs");
        assert_eq!(
            e("md5: 12\nouts:\n- path: x\n"),
            "not a valid value, in md5"
        );
        assert_eq!(
            e("outs:\n- path: x\n  isexec: 1\n"),
            "expected bool, in outs -> 0 -> isexec"
        );
        assert_eq!(e("outs:\n- 5\n"), "expected a dictionary, in outs -> 0");
        assert!(e("<<<<<<< HEAD\nouts:\n=======\n>>>>>>> b\n").starts_with("invalid YAML"));
        assert!(e("outs:\n- md5: [\n").starts_with("invalid YAML"));
        assert!(e("\t\x00garbage: : :").starts_with("invalid YAML"));
        // Accepted by dvc too.
        assert!(parse("").expect("empty is {}").outs.is_empty());
        assert!(parse("# only a comment\n").expect("empty").outs.is_empty());
        assert!(parse("outs:\n").expect("null outs").outs.is_empty());
        let f = parse("outs:\n- path: x\n  etag: abc\n  version_id: v\n  persist: true\n  md5:\n")
            .expect("ok");
        assert_eq!(f.outs[0].md5, None);
        let f = parse("outs:\n- md5: ABCDEF\n  path: x\n- md5: 12345\n  path: y\n").expect("ok");
        assert_eq!(f.outs[0].md5.as_deref(), Some("abcdef"));
        assert_eq!(f.outs[1].md5.as_deref(), Some("12345"));
        assert!(f.outs[0].cache && f.outs[0].push);
    }

    #[test]
    fn parse_import_stage() {
        let text = "md5: 7debc004fdfd7a0694f869a90fba2759\nfrozen: true\ndeps:\n- path: d\n  repo:\n    url: /home/u/src-repo\n    rev_lock: a3d3de64a396f2cc2674b01e4bbae164f8c96f00\nouts:\n- md5: d51834de0d0bf85d6a6c9a4c881ad503.dir\n  size: 4\n  nfiles: 2\n  hash: md5\n  path: imp_d\n";
        let f = parse(text).expect("ok");
        assert!(f.frozen);
        assert_eq!(f.md5.as_deref(), Some("7debc004fdfd7a0694f869a90fba2759"));
        assert_eq!(f.deps.len(), 1);
        assert!(f.outs[0].is_dir());
    }
}

#[cfg(test)]
mod ruamel_tests {
    use super::*;

    /// What ruamel 0.18 (dvc 3.67.1's) loads each plain scalar as: checked with
    /// `YAML().load('k: ' + s)` in dvc's environment.
    #[test]
    fn numbers_are_ruamels() {
        for n in [
            "-.5", "+.5", ".5", ".5e+3", "1e3", "1.", "0b1", "0o7", "0x1F", "1_0", ".inf", "-.inf",
            ".NaN", "+12", "1__0", "007", "1.5e-3",
        ] {
            assert!(ruamel_number(n), "{n} is a number to ruamel");
        }
        for s in [
            ".3e3", ".5e3", "+-5", "0x-1", "1.5e", "12:30", "0o-4", "_1", "", "-", ".", "e3", "1e",
            "0b2", "0xg",
        ] {
            assert!(!ruamel_number(s), "{s:?} is a string to ruamel");
        }
    }

    /// dvc writes `path: .3e3` unquoted (ruamel reads it as a string); libyaml would
    /// read a float, and the file would not validate.
    #[test]
    fn plain_scalars_that_ruamel_reads_as_strings_stay_strings() {
        let f = parse("outs:\n- md5: 764efa883dda1e11db47671c4a3bbd9e\n  size: 3\n  hash: md5\n  path: .3e3\n")
            .expect("dvc's own file");
        assert_eq!(f.outs[0].path, ".3e3");
        assert_eq!(f.outs[0].size, Some(3));
        let f = parse("outs:\n- path: 0x-1\n  desc: +-5\n").expect("strings to ruamel");
        assert_eq!(f.outs[0].path, "0x-1");
        // A number to ruamel is still refused where dvc refuses it.
        let e = parse("outs:\n- path: 1.5\n").expect_err("a float path");
        assert!(e.to_string().contains("expected str"), "{e}");
    }
}

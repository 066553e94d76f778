//! `.dvc` and `dvc.lock` files: parsing, fresh writing and lossless rewriting (spec §1, §11).
//! Pure: converts text and types, touches no filesystem.
//!
//! **Reading** goes through `serde_yaml` into a `Value`, then is validated like DVC's
//! voluptuous schema (dvc 3.67.1 `dvc/schema.py`, `dvc/output.py`): unknown keys, wrong types
//! and short checksums are errors with DVC's wording (`extra keys not allowed, in outs -> 0 ->
//! extra`). Checksums are lowercased and ints coerced to strings. An empty document is an
//! empty stage, as in DVC (`yaml.load(text) or {}`).
//!
//! **Fresh writing** ([`render_new`]) emits DVC's key order through [`super::yaml`], our
//! ruamel-compatible scalar emitter.
//!
//! **Rewriting** ([`rewrite`], [`rewrite_lock`]) is a *line-level editor* for the block-style
//! subset DVC writes, not a YAML re-serializer. Why: DVC re-parses the old text with ruamel's
//! round-trip loader, applies a recursive diff (`apply_diff`) and dumps it again, which keeps
//! comments, key order and annotations. Re-serializing from `serde_yaml` would lose all of
//! those, and a general lossless YAML library would still not reproduce ruamel's choices.
//! The observable effect of DVC's diff on an out is small and local, so we reproduce it on
//! lines:
//! - a changed value is replaced in place; an inline comment stays at its original column
//!   (or one space after the new value, as ruamel's `write_comment` does);
//! - a key that no longer applies (`isexec` cleared, `nfiles` of a file, `cache: true`,
//!   `push: true`, `persist: false`) is deleted together with its inline comment and the
//!   comment/blank lines that follow it (ruamel attaches those to the key);
//! - a key new to the out is appended at the end of the out's mapping, after any trailing
//!   comment lines (observed: `  # after meta⏎# trailing⏎  isexec: true⏎  hash: md5⏎`).
//!
//! Known difference: ruamel also normalizes *untouched* formatting of a hand-edited file
//! (sequence indentation, quotes, extra spaces after `:`). We keep the user's bytes there.
//! Files written by DVC (or by us) are already normalized, so the bytes match DVC's.
//!
//! `dvc.lock` stages are replaced whole by DVC (`data["stages"].update(...)`), so an updated
//! lock entry is re-rendered fresh in lock key order (`path, hash, md5, size, nfiles, isexec`).
//!
//! Invariant: no function here panics on any input text; hostile or unparseable text
//! (conflict markers, flow style we cannot edit) yields [`ParseError`].

use serde_yaml::Value;

use super::yaml;

/// One output (`outs:` entry) of a `.dvc` file or a `dvc.lock` stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out {
    /// Path relative to the `.dvc` file's directory (or the dvc.yaml dir + wdir), `/`-separated.
    pub path: String,
    /// Lowercased checksum; directories end in `.dir`. None when not yet computed.
    pub md5: Option<String>,
    /// Total byte size.
    pub size: Option<u64>,
    /// File count for directory outs.
    pub nfiles: Option<u64>,
    /// Executable bit (single-file outs only).
    pub isexec: bool,
    /// `Some("md5")` for 3.x outs; `None` means legacy 2.x `md5-dos2unix`.
    pub hash: Option<String>,
    /// `cache: false` outs are not cached.
    pub cache: bool,
    /// `push: false` outs are not pushed.
    pub push: bool,
    /// Per-out remote name.
    pub remote: Option<String>,
}

/// `cache` and `push` default to true, as in DVC.
impl Default for Out {
    fn default() -> Self {
        Out {
            path: String::new(),
            md5: None,
            size: None,
            nfiles: None,
            isexec: false,
            hash: None,
            cache: true,
            push: true,
            remote: None,
        }
    }
}

impl Out {
    /// A 2.x out (no `hash:` key): md5-dos2unix and the legacy cache layout.
    pub fn is_legacy(&self) -> bool {
        self.hash.is_none()
    }
    /// A directory out (md5 ends in `.dir`).
    pub fn is_dir(&self) -> bool {
        self.md5.as_deref().is_some_and(|m| m.ends_with(".dir"))
    }
}

/// Error parsing (or editing) a `.dvc` / `dvc.lock` file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// Human readable reason, DVC-style where possible
    /// (`extra keys not allowed, in outs -> 0 -> extra`).
    pub message: String,
}

fn err<T>(message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        message: message.into(),
    })
}

/// A parsed `.dvc` file.
#[derive(Debug, Clone, Default)]
pub struct DvcFile {
    /// The outs, in file order.
    pub outs: Vec<Out>,
    /// Deps (import stages have them), validated like outs but with the dep schema.
    pub deps: Vec<Out>,
    /// `frozen: true`.
    pub frozen: bool,
    /// The stage md5 (imports).
    pub md5: Option<String>,
    /// `wdir:` (rare in `.dvc` files); paths are relative to it.
    pub wdir: Option<String>,
    /// Top-level `desc:`.
    pub desc: Option<String>,
}

// ---------------------------------------------------------------------------------------
// Reading and validation
// ---------------------------------------------------------------------------------------

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
/// `dvc/schema.py` `DATA_SCHEMA` (lock deps and outs).
const LOCK_ENTRY_KEYS: &[&str] = &[
    "md5",
    "checksum",
    "etag",
    "size",
    "nfiles",
    "isexec",
    "version_id",
    "path",
    "cloud",
    "files",
    "hash",
    "dataset",
];

fn load(text: &str) -> Result<Value, ParseError> {
    // serde_yaml rejects multi-document streams and conflict markers with an error; it never
    // panics on input. Recursion and alias expansion are bounded by the library.
    match serde_yaml::from_str::<Value>(text) {
        Ok(v) => Ok(v),
        Err(e) => err(format!("invalid YAML (possible merge conflicts): {e}")),
    }
}

fn where_(path: &[String]) -> String {
    path.join(" -> ")
}

fn key_str(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default(),
    }
}

fn check_keys(
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

fn at(path: &[String], key: &str) -> String {
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
    opt_str(get("version_id"), path, "version_id")?;
    opt_bool(get("persist"), path, "persist")?;
    Ok(Out {
        path: p,
        md5: checksum(get("md5"), path, "md5")?,
        size: opt_u64(get("size"), path, "size")?,
        nfiles: opt_u64(get("nfiles"), path, "nfiles")?,
        isexec: opt_bool(get("isexec"), path, "isexec")?.unwrap_or(false),
        hash: opt_str(get("hash"), path, "hash")?,
        cache: opt_bool(get("cache"), path, "cache")?.unwrap_or(true),
        push: opt_bool(get("push"), path, "push")?.unwrap_or(true),
        remote: opt_str(get("remote"), path, "remote")?,
    })
}

fn entry_list(
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
    let outs = entry_list(map.get("outs"), OUT_KEYS, "outs", &root)?;
    Ok(DvcFile {
        outs,
        deps,
        frozen,
        md5,
        wdir,
        desc,
    })
}

// ---------------------------------------------------------------------------------------
// Fresh writing
// ---------------------------------------------------------------------------------------

/// A scalar value we write.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scalar {
    Str(String),
    Int(u64),
    Bool(bool),
}

impl Scalar {
    /// `key: value` with keys at `indent`, the key starting at `key_column`.
    fn render(&self, key: &str, key_column: usize, indent: usize) -> String {
        match self {
            Scalar::Str(s) => yaml::key_value(key, s, key_column, indent),
            Scalar::Int(n) => format!("{key}: {n}"),
            Scalar::Bool(b) => format!("{key}: {b}"),
        }
    }
    /// Python equality with a loaded value (`value != dest[key]` in `apply_diff`).
    fn equals(&self, v: Option<&Value>) -> bool {
        match (self, v) {
            (Scalar::Str(s), Some(Value::String(o))) => s == o,
            (Scalar::Int(n), Some(Value::Number(o))) => o.as_u64() == Some(*n),
            (Scalar::Bool(b), Some(Value::Bool(o))) => b == o,
            _ => false,
        }
    }
}

/// The `.dvc` out keys DVC's `dumpd` produces that this crate models, in fresh order.
fn out_fields(out: &Out) -> Vec<(&'static str, Scalar)> {
    let mut f = Vec::new();
    if let Some(m) = &out.md5 {
        f.push(("md5", Scalar::Str(m.clone())));
    }
    if let Some(s) = out.size {
        f.push(("size", Scalar::Int(s)));
    }
    if let Some(n) = out.nfiles {
        f.push(("nfiles", Scalar::Int(n)));
    }
    if out.isexec {
        f.push(("isexec", Scalar::Bool(true)));
    }
    if let Some(h) = &out.hash {
        f.push(("hash", Scalar::Str(h.clone())));
    }
    f.push(("path", Scalar::Str(out.path.clone())));
    if !out.cache {
        f.push(("cache", Scalar::Bool(false)));
    }
    if let Some(r) = out.remote.as_ref().filter(|r| !r.is_empty()) {
        f.push(("remote", Scalar::Str(r.clone())));
    }
    if !out.push {
        f.push(("push", Scalar::Bool(false)));
    }
    f
}

/// Render one block-sequence item (`- k: v⏎  k: v⏎`) with the dash at `dash_indent`.
fn render_item(fields: &[(&str, Scalar)], dash_indent: usize) -> String {
    let k = dash_indent + 2;
    let mut out = String::new();
    for (i, (key, value)) in fields.iter().enumerate() {
        if i == 0 {
            out.push_str(&" ".repeat(dash_indent));
            out.push_str("- ");
        } else {
            out.push_str(&" ".repeat(k));
        }
        out.push_str(&value.render(key, k, k));
        out.push('\n');
    }
    out
}

/// A fresh `.dvc` file as `dvc add` writes it:
/// `outs:⏎- md5: …⏎  size: …⏎  nfiles: …⏎  isexec: true⏎  hash: md5⏎  path: …⏎`.
pub fn render_new(outs: &[Out]) -> String {
    let mut text = String::from("outs:\n");
    for out in outs {
        text.push_str(&render_item(&out_fields(out), 0));
    }
    text
}

// ---------------------------------------------------------------------------------------
// Line-level editing
// ---------------------------------------------------------------------------------------

/// The new hash state of one out. Each field is "set to this" or, when `None`/`false`,
/// "remove the key". Build it from the engine's result with [`OutUpdate::from_out`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutUpdate {
    /// New checksum (`None`: no `md5` key, e.g. `--no-commit` of nothing).
    pub md5: Option<String>,
    /// New size.
    pub size: Option<u64>,
    /// New file count (directories only).
    pub nfiles: Option<u64>,
    /// Executable bit; `false` removes `isexec`.
    pub isexec: bool,
    /// `Some("md5")` for 3.x; `None` keeps/makes the out legacy (no `hash` key).
    pub hash: Option<String>,
}

impl OutUpdate {
    /// Take the hash state of `out`.
    pub fn from_out(out: &Out) -> OutUpdate {
        OutUpdate {
            md5: out.md5.clone(),
            size: out.size,
            nfiles: out.nfiles,
            isexec: out.isexec,
            hash: out.hash.clone(),
        }
    }
}

fn content(line: &str) -> &str {
    let l = line.strip_suffix('\n').unwrap_or(line);
    l.strip_suffix('\r').unwrap_or(l)
}

fn leading_spaces(line: &str) -> usize {
    line.bytes().take_while(|&c| c == b' ').count()
}

/// Blank or comment-only.
fn is_trivia(line: &str) -> bool {
    let t = content(line).trim_start_matches([' ', '\t']);
    t.is_empty() || t.starts_with('#')
}

/// `s` spaces, `-`, then a space or end of line.
fn is_dash_at(line: &str, s: usize) -> bool {
    let c = content(line);
    leading_spaces(c) == s
        && c[s..].starts_with('-')
        && matches!(c.as_bytes().get(s + 1), None | Some(b' ' | b'\t'))
}

/// Parse `key:` on a line whose key starts at byte `indent`. Returns the (unquoted) key and
/// the byte offset right after the `:`.
fn parse_key(line: &str, indent: usize) -> Option<(String, usize)> {
    let c = content(line);
    if leading_spaces(c) != indent {
        return None;
    }
    let rest = &c[indent..];
    let first = rest.chars().next()?;
    if first == '#' || first == '\t' || is_dash_at(c, indent) || first == '?' {
        return None;
    }
    let sep_ok = |after: usize| matches!(c.as_bytes().get(after), None | Some(b' ' | b'\t'));
    match first {
        '\'' | '"' => {
            let (close, key) = scan_quoted_str(rest, first)?;
            let colon = indent + close;
            (c.as_bytes().get(colon) == Some(&b':') && sep_ok(colon + 1)).then(|| (key, colon + 1))
        }
        _ => {
            let bytes = rest.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b':' && sep_ok(indent + i + 1) {
                    let key = rest[..i].trim_end().to_string();
                    return (!key.is_empty()).then_some((key, indent + i + 1));
                }
                if bytes[i] == b'#' && i > 0 && matches!(bytes[i - 1], b' ' | b'\t') {
                    return None;
                }
                i += 1;
            }
            None
        }
    }
}

/// A one-line quoted scalar at the start of `s`: (byte offset after the closing quote,
/// unescaped text; only the escapes a key may need are decoded).
fn scan_quoted_str(s: &str, quote: char) -> Option<(usize, String)> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, ch)) = chars.next() {
        if quote == '\'' && ch == '\'' {
            if chars.peek().map(|&(_, c)| c) == Some('\'') {
                chars.next();
                out.push('\'');
                continue;
            }
            return Some((i + 1, out));
        }
        if quote == '"' && ch == '\\' {
            let (_, esc) = chars.next()?;
            out.push(match esc {
                'n' => '\n',
                't' => '\t',
                other => other,
            });
            continue;
        }
        if quote == '"' && ch == '"' {
            return Some((i + 1, out));
        }
        out.push(ch);
    }
    None
}

/// Column (in code points) and text of a `#` comment starting at or after byte `from`,
/// where `from` is outside any scalar (whitespace before the comment allowed).
fn comment_after(c: &str, from: usize) -> Option<(usize, String)> {
    let rest = c.get(from..)?;
    let t = rest.trim_start_matches([' ', '\t']);
    t.starts_with('#').then(|| {
        let pos = c.len() - t.len();
        (c[..pos].chars().count(), t.to_string())
    })
}

/// A comment inside a plain scalar's line: the first `#` preceded by a space or tab.
fn plain_comment(c: &str, from: usize) -> Option<(usize, String)> {
    let bytes = c.as_bytes();
    (from.max(1)..bytes.len())
        .find(|&i| bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t'))
        .map(|i| (c[..i].chars().count(), c[i..].to_string()))
}

/// Where a value that starts at byte `after` of line `li` ends (exclusive line index), and
/// its trailing comment. `k` is the mapping's key indent; lines at or past `limit` are
/// not considered.
fn value_extent(
    lines: &[String],
    li: usize,
    after: usize,
    k: usize,
    limit: usize,
) -> (usize, Option<(usize, String)>) {
    let c = content(&lines[li]);
    let rest = &c[after..];
    let start = after + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
    let first = c[start..].chars().next();
    match first {
        Some(q @ ('\'' | '"')) => {
            // A quoted scalar, possibly folded over several lines.
            let mut line = li;
            let mut text = c[start..].to_string();
            loop {
                if let Some((close, _)) = scan_quoted_str(&text, q) {
                    let lc = content(&lines[line]);
                    let offset = lc.len() - (text.len() - close);
                    return (line + 1, comment_after(lc, offset));
                }
                line += 1;
                if line >= limit {
                    return (li + 1, None);
                }
                text.push(' ');
                text.push_str(content(&lines[line]).trim_start());
            }
        }
        None | Some('#' | '|' | '>') => {
            // Value on the following lines (nested collection or block scalar).
            let comment = if first == Some('#') {
                comment_after(c, start)
            } else {
                plain_comment(c, start)
            };
            let mut end = li + 1;
            let mut j = li + 1;
            while j < limit {
                let l = &lines[j];
                if content(l).trim().is_empty() {
                    j += 1;
                    continue;
                }
                if leading_spaces(l) <= k && !(first.is_none() && is_dash_at(l, k)) {
                    break;
                }
                if !is_trivia(l) {
                    end = j + 1;
                }
                j += 1;
            }
            (end, comment)
        }
        Some(_) => {
            // A plain scalar (or flow collection), continued on more-indented lines.
            if let Some(comment) = plain_comment(c, start) {
                return (li + 1, Some(comment));
            }
            let mut end = li + 1;
            let mut j = li + 1;
            while j < limit {
                let l = &lines[j];
                if content(l).trim().is_empty() {
                    j += 1;
                    continue;
                }
                if is_trivia(l) || leading_spaces(l) <= k {
                    break;
                }
                end = j + 1;
                if let Some(comment) = plain_comment(content(l), 0) {
                    return (end, Some(comment));
                }
                j += 1;
            }
            (end, None)
        }
    }
}

/// One `key: value` of a block mapping, by line indices.
#[derive(Debug)]
struct Entry {
    key: String,
    /// The key's line.
    line: usize,
    /// Byte offset after the `:`.
    after: usize,
    /// End (exclusive) of the value's lines.
    value_end: usize,
    /// End (exclusive) of the entry including the comment/blank lines after it.
    span_end: usize,
    /// Trailing comment of the value: (column, text).
    comment: Option<(usize, String)>,
}

/// The entries of the block mapping with keys at `k` in lines `[start, end)`.
fn entries(lines: &[String], start: usize, end: usize, k: usize) -> Vec<Entry> {
    let mut found: Vec<Entry> = Vec::new();
    let mut i = start;
    while i < end {
        if let Some((key, after)) = parse_key(&lines[i], k) {
            let (value_end, comment) = value_extent(lines, i, after, k, end);
            if let Some(prev) = found.last_mut() {
                prev.span_end = i;
            }
            found.push(Entry {
                key,
                line: i,
                after,
                value_end,
                span_end: end,
                comment,
            });
            i = value_end.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

/// A block-sequence item: (dash line, end line, dash indent).
type Span = (usize, usize, usize);

/// Block-sequence items in `[start, end)`.
fn seq_items(lines: &[String], start: usize, end: usize) -> Option<Vec<Span>> {
    let first = (start..end).find(|&i| !is_trivia(&lines[i]))?;
    let s = leading_spaces(&lines[first]);
    if !is_dash_at(&lines[first], s) {
        return None;
    }
    let starts: Vec<usize> = (first..end).filter(|&i| is_dash_at(&lines[i], s)).collect();
    Some(
        starts
            .iter()
            .enumerate()
            .map(|(n, &st)| (st, starts.get(n + 1).copied().unwrap_or(end), s))
            .collect(),
    )
}

/// A pending change: replace lines `[start, end)` with `text` (whole lines).
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

fn apply_edits(lines: &[String], mut edits: Vec<Edit>) -> String {
    // Later edits first so indices stay valid; insertions (empty ranges) before a deletion
    // that ends at the same place.
    edits.sort_by(|a, b| {
        b.start
            .cmp(&a.start)
            .then((a.end - a.start).cmp(&(b.end - b.start)))
    });
    let mut out: Vec<String> = lines.to_vec();
    for e in edits {
        let start = e.start.min(out.len());
        let end = e.end.min(out.len()).max(start);
        let new: Vec<String> = e.text.split_inclusive('\n').map(str::to_string).collect();
        out.splice(start..end, new);
    }
    let mut text = String::new();
    for line in out {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&line);
    }
    text
}

/// The lines of one block-sequence item, viewed with its dash blanked so that its first
/// key sits at the item's key indent.
struct Item {
    /// Lines with the dash replaced by a space on the dash line.
    view: Vec<String>,
    dash: usize,
    end: usize,
    /// Key indent.
    k: usize,
    /// The dash line's first `k` bytes (`- ` / `  - `).
    dash_prefix: String,
    entries: Vec<Entry>,
}

fn item(lines: &[String], dash: usize, end: usize, s: usize) -> Result<Item, ParseError> {
    let mut view = lines.to_vec();
    let dl = content(&lines[dash]);
    let after_dash = &dl[s + 1..];
    let spaces = after_dash.len() - after_dash.trim_start_matches(' ').len();
    let k = if after_dash.trim().is_empty() || after_dash.trim_start().starts_with('#') {
        (dash + 1..end)
            .find(|&i| !is_trivia(&lines[i]))
            .map(|i| leading_spaces(&lines[i]))
            .unwrap_or(s + 2)
    } else {
        s + 1 + spaces
    };
    let mut blanked = lines[dash].clone();
    blanked.replace_range(s..s + 1, " ");
    view[dash] = blanked;
    let dash_prefix = dl
        .get(..k)
        .filter(|p| p.trim_start().starts_with('-'))
        .unwrap_or("- ")
        .to_string();
    let entries = entries(&view, dash, end, k);
    if entries.is_empty() {
        return err("cannot edit a sequence item that is not a block mapping");
    }
    Ok(Item {
        view,
        dash,
        end,
        k,
        dash_prefix,
        entries,
    })
}

impl Item {
    fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The text of an entry's key line rewritten with a new value, keeping the comment.
    fn replaced_line(&self, e: &Entry, key: &str, value: &Scalar, prefix: &str) -> String {
        let mut line = format!("{prefix}{}", value.render(key, self.k, self.k));
        if let Some((col, comment)) = &e.comment {
            let last_col = line
                .rsplit('\n')
                .next()
                .map(|l| l.chars().count())
                .unwrap_or(0);
            let spaces = col.saturating_sub(last_col).max(1);
            line.push_str(&" ".repeat(spaces));
            line.push_str(comment);
        }
        line.push('\n');
        line
    }

    /// Edits making this item's managed keys equal `desired` (in fresh order; `None` =
    /// remove). `drop` lists (key, value) pairs DVC's dump omits, removed when present.
    fn edits(
        &self,
        old: &serde_yaml::Mapping,
        desired: &[(&str, Option<Scalar>)],
        drop: &[(&str, Value)],
    ) -> Vec<Edit> {
        let mut edits = Vec::new();
        let mut deleted: Vec<usize> = Vec::new(); // entry indices
        let mut replaced: Vec<(usize, &str, Scalar)> = Vec::new();
        let mut appended = String::new();
        for (key, want) in desired {
            let idx = self.entries.iter().position(|e| e.key == *key);
            match (idx, want) {
                (Some(i), None) => deleted.push(i),
                (Some(i), Some(v)) if !v.equals(old.get(*key)) => {
                    replaced.push((i, key, v.clone()))
                }
                (Some(_), Some(_)) => {}
                (None, Some(v)) => {
                    appended.push_str(&" ".repeat(self.k));
                    appended.push_str(&v.render(key, self.k, self.k));
                    appended.push('\n');
                }
                (None, None) => {}
            }
        }
        for (key, value) in drop {
            if let Some(i) = self.entries.iter().position(|e| e.key == *key)
                && old.get(*key) == Some(value)
                && !deleted.contains(&i)
            {
                deleted.push(i);
            }
        }
        // The first surviving entry carries the dash.
        let first_survivor = (0..self.entries.len()).find(|i| !deleted.contains(i));
        let dash_moves = deleted.iter().any(|&i| self.entries[i].line == self.dash);
        let spaces = " ".repeat(self.k);
        let prefix_for = |i: usize| -> &str {
            let e = &self.entries[i];
            if e.line == self.dash || (dash_moves && Some(i) == first_survivor) {
                &self.dash_prefix
            } else {
                &spaces
            }
        };
        for &i in &deleted {
            let e = &self.entries[i];
            edits.push(Edit {
                start: e.line,
                end: e.span_end,
                text: String::new(),
            });
        }
        for (i, key, value) in &replaced {
            let e = &self.entries[*i];
            let text = self.replaced_line(e, key, value, prefix_for(*i));
            edits.push(Edit {
                start: e.line,
                end: e.value_end,
                text,
            });
        }
        if dash_moves
            && let Some(i) = first_survivor
            && !replaced.iter().any(|(r, _, _)| *r == i)
        {
            let e = &self.entries[i];
            let line = &self.view[e.line];
            let text = format!("{}{}", self.dash_prefix, &line[self.k.min(line.len())..]);
            edits.push(Edit {
                start: e.line,
                end: e.line + 1,
                text,
            });
        }
        if !appended.is_empty() {
            edits.push(Edit {
                start: self.end,
                end: self.end,
                text: appended,
            });
        }
        edits
    }
}

/// Locate the block sequence under top-level-or-nested key `key` of the mapping with keys
/// at `k` in `[start, end)`.
fn find_seq(
    lines: &[String],
    start: usize,
    end: usize,
    k: usize,
    key: &str,
) -> Result<Option<Vec<Span>>, ParseError> {
    let es = entries(lines, start, end, k);
    let Some(e) = es.iter().find(|e| e.key == key) else {
        return Ok(None);
    };
    let c = content(&lines[e.line]);
    let rest = c[e.after..].trim_start_matches([' ', '\t']);
    if !(rest.is_empty() || rest.starts_with('#')) {
        return err(format!(
            "cannot edit `{key}` written in flow style; rewrite it in block style"
        ));
    }
    match seq_items(lines, e.line + 1, e.span_end) {
        Some(items) => Ok(Some(items)),
        None => err(format!("cannot edit `{key}`: not a block sequence")),
    }
}

fn desired_dvc(u: &OutUpdate) -> Vec<(&'static str, Option<Scalar>)> {
    vec![
        ("md5", u.md5.clone().map(Scalar::Str)),
        ("size", u.size.map(Scalar::Int)),
        ("nfiles", u.nfiles.map(Scalar::Int)),
        ("isexec", u.isexec.then_some(Scalar::Bool(true))),
        ("hash", u.hash.clone().map(Scalar::Str)),
    ]
}

/// Keys DVC's `dumpd` leaves out when they hold their default, so a rewrite deletes them.
fn dvc_defaults() -> Vec<(&'static str, Value)> {
    vec![
        ("cache", Value::Bool(true)),
        ("push", Value::Bool(true)),
        ("persist", Value::Bool(false)),
        ("isexec", Value::Bool(false)),
    ]
}

/// Losslessly update outs of an existing `.dvc` text: `updates` pairs an index into
/// `parse(text)?.outs` with that out's new hash state. See the module docs for the rules.
pub fn rewrite(text: &str, updates: &[(usize, OutUpdate)]) -> Result<String, ParseError> {
    let doc = load(text)?;
    parse(text)?;
    let Some(Value::Sequence(outs)) = doc.get("outs") else {
        return if updates.is_empty() {
            Ok(text.to_string())
        } else {
            err("no `outs` to update")
        };
    };
    let lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let Some(items) = find_seq(&lines, 0, lines.len(), 0, "outs")? else {
        return err("cannot locate `outs` in the file");
    };
    if items.len() != outs.len() {
        return err("cannot edit `outs`: unexpected layout");
    }
    let mut edits = Vec::new();
    for (index, update) in updates {
        let (Some(&(dash, end, s)), Some(Value::Mapping(old))) =
            (items.get(*index), outs.get(*index))
        else {
            return err(format!("no out number {index} in the file"));
        };
        let it = item(&lines, dash, end, s)?;
        if it.get("path").is_none() {
            return err("cannot edit `outs`: unexpected layout");
        }
        edits.extend(it.edits(old, &desired_dvc(update), &dvc_defaults()));
    }
    Ok(apply_edits(&lines, edits))
}

// ---------------------------------------------------------------------------------------
// dvc.lock
// ---------------------------------------------------------------------------------------

/// One stage of a `dvc.lock`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockStage {
    /// Stage name (`train`, `build@0`, …).
    pub name: String,
    /// Deps with their recorded hashes.
    pub deps: Vec<Out>,
    /// Outs. `cache`/`push`/`remote` are DVC's defaults here: those flags live in dvc.yaml.
    pub outs: Vec<Out>,
}

/// A parsed `dvc.lock` (schema `2.0`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockFile {
    /// Stages in file order.
    pub stages: Vec<LockStage>,
}

/// Parse and validate a `dvc.lock` (DVC's `LOCKFILE_SCHEMA`).
pub fn parse_lock(text: &str) -> Result<LockFile, ParseError> {
    let map = match load(text)? {
        Value::Null => return Ok(LockFile::default()),
        Value::Mapping(m) => m,
        _ => return err("expected a dictionary"),
    };
    check_keys(&map, &["schema", "datasets", "stages"], &[])?;
    match map.get("schema") {
        Some(Value::String(s)) if s == "2.0" => {}
        Some(_) => return err("invalid schema version, in schema"),
        None => return err("required key not provided, in schema"),
    }
    let mut stages = Vec::new();
    match map.get("stages") {
        None | Some(Value::Null) => {}
        Some(Value::Mapping(sm)) => {
            for (k, v) in sm {
                let name = key_str(k);
                let path = vec!["stages".to_string(), name.clone()];
                let Value::Mapping(stage) = v else {
                    return err(format!("expected a dictionary, in {}", where_(&path)));
                };
                check_keys(stage, &["cmd", "deps", "params", "outs"], &path)?;
                match stage.get("cmd") {
                    Some(Value::String(_) | Value::Sequence(_)) => {}
                    Some(_) => return err(format!("expected str, in {}", at(&path, "cmd"))),
                    None => {
                        return err(format!(
                            "required key not provided, in {}",
                            at(&path, "cmd")
                        ));
                    }
                }
                let deps = entry_list(stage.get("deps"), LOCK_ENTRY_KEYS, "deps", &path)?;
                let outs = entry_list(stage.get("outs"), LOCK_ENTRY_KEYS, "outs", &path)?;
                stages.push(LockStage { name, deps, outs });
            }
        }
        Some(_) => return err("expected a dictionary, in stages"),
    }
    Ok(LockFile { stages })
}

/// Update outs of stage `stage` in a `dvc.lock` text. Each updated entry is re-rendered in
/// lock key order (`path, hash, md5, size, nfiles, isexec`), as DVC replaces the whole
/// stage; entries not updated, other stages and comments are kept as they are. Keys of an
/// updated entry that we do not model (`cloud`, `files`, …) are kept after ours.
pub fn rewrite_lock(
    text: &str,
    stage: &str,
    updates: &[(usize, OutUpdate)],
) -> Result<String, ParseError> {
    let lock = parse_lock(text)?;
    let Some(parsed) = lock.stages.iter().find(|s| s.name == stage) else {
        return err(format!("no stage '{stage}' in dvc.lock"));
    };
    let lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let top = entries(&lines, 0, lines.len(), 0);
    let Some(stages_entry) = top.iter().find(|e| e.key == "stages") else {
        return err("cannot locate `stages` in dvc.lock");
    };
    let (s_start, s_end) = (stages_entry.line + 1, stages_entry.span_end);
    let Some(first) = (s_start..s_end).find(|&i| !is_trivia(&lines[i])) else {
        return err("cannot locate `stages` in dvc.lock");
    };
    let stage_indent = leading_spaces(&lines[first]);
    let stage_entries = entries(&lines, s_start, s_end, stage_indent);
    let Some(st) = stage_entries.iter().find(|e| e.key == stage) else {
        return err(format!("cannot locate stage '{stage}' in dvc.lock"));
    };
    let Some(body) = (st.line + 1..st.span_end).find(|&i| !is_trivia(&lines[i])) else {
        return err(format!("cannot edit stage '{stage}': unexpected layout"));
    };
    let body_indent = leading_spaces(&lines[body]);
    let Some(items) = find_seq(&lines, st.line + 1, st.span_end, body_indent, "outs")? else {
        return err(format!("stage '{stage}' has no outs"));
    };
    if items.len() != parsed.outs.len() {
        return err(format!("cannot edit stage '{stage}': unexpected layout"));
    }
    let mut edits = Vec::new();
    for (index, u) in updates {
        let (Some(&(dash, end, s)), Some(old)) = (items.get(*index), parsed.outs.get(*index))
        else {
            return err(format!("no out number {index} in stage '{stage}'"));
        };
        let it = item(&lines, dash, end, s)?;
        if it.get("path").is_none() {
            return err(format!("cannot edit stage '{stage}': unexpected layout"));
        }
        let mut fields: Vec<(&str, Scalar)> = vec![("path", Scalar::Str(old.path.clone()))];
        if let Some(h) = &u.hash {
            fields.push(("hash", Scalar::Str(h.clone())));
        }
        if let Some(m) = &u.md5 {
            fields.push(("md5", Scalar::Str(m.clone())));
        }
        if let Some(n) = u.size {
            fields.push(("size", Scalar::Int(n)));
        }
        if let Some(n) = u.nfiles {
            fields.push(("nfiles", Scalar::Int(n)));
        }
        if u.isexec {
            fields.push(("isexec", Scalar::Bool(true)));
        }
        let mut text = String::new();
        for (n, (key, value)) in fields.iter().enumerate() {
            text.push_str(if n == 0 { &it.dash_prefix } else { "" });
            if n > 0 {
                text.push_str(&" ".repeat(it.k));
            }
            text.push_str(&value.render(key, it.k, it.k));
            text.push('\n');
        }
        const MODELLED: &[&str] = &["path", "hash", "md5", "size", "nfiles", "isexec"];
        let mut last_end = dash;
        for e in &it.entries {
            if !MODELLED.contains(&e.key.as_str()) {
                for line in &lines[e.line..e.value_end] {
                    text.push_str(line);
                    if !line.ends_with('\n') {
                        text.push('\n');
                    }
                }
            }
            last_end = last_end.max(e.value_end);
        }
        // Keep comment/blank lines that trail the entry (they separate it from the next).
        let trailing_start = it.entries.last().map_or(end, |e| e.value_end).max(last_end);
        edits.push(Edit {
            start: dash,
            end: trailing_start,
            text,
        });
    }
    Ok(apply_edits(&lines, edits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upd(
        md5: &str,
        size: u64,
        nfiles: Option<u64>,
        isexec: bool,
        hash: Option<&str>,
    ) -> OutUpdate {
        OutUpdate {
            md5: Some(md5.into()),
            size: Some(size),
            nfiles,
            isexec,
            hash: hash.map(Into::into),
        }
    }

    #[test]
    fn render_new_matches_dvc_add() {
        let file = Out {
            path: "foo.txt".into(),
            md5: Some("b1946ac92492d2347c6235b4d2611184".into()),
            size: Some(6),
            hash: Some("md5".into()),
            ..Out::default()
        };
        assert_eq!(
            render_new(std::slice::from_ref(&file)),
            "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: foo.txt\n"
        );
        let dir = Out {
            path: "data".into(),
            md5: Some("81b9e20cc5e2a0d78483cfbb6454ec68.dir".into()),
            size: Some(18),
            nfiles: Some(5),
            hash: Some("md5".into()),
            ..Out::default()
        };
        assert_eq!(
            render_new(&[dir]),
            "outs:\n- md5: 81b9e20cc5e2a0d78483cfbb6454ec68.dir\n  size: 18\n  nfiles: 5\n  hash: md5\n  path: data\n"
        );
        let exec = Out {
            path: "run.sh".into(),
            md5: Some("46bbbe8aa98cc0714426e948474eaaf4".into()),
            size: Some(18),
            isexec: true,
            hash: Some("md5".into()),
            cache: false,
            push: false,
            remote: Some("myremote".into()),
            ..Out::default()
        };
        assert_eq!(
            render_new(&[exec]),
            "outs:\n- md5: 46bbbe8aa98cc0714426e948474eaaf4\n  size: 18\n  isexec: true\n  hash: md5\n  path: run.sh\n  cache: false\n  remote: myremote\n  push: false\n"
        );
        // Quoting and folding of paths and digit-only md5s.
        let odd = Out {
            path: "true".into(),
            md5: Some("01234567890123456789012345678901".into()),
            ..Out::default()
        };
        assert_eq!(
            render_new(&[odd]),
            "outs:\n- md5: '01234567890123456789012345678901'\n  path: 'true'\n"
        );
        let long = Out {
            path: "x".repeat(73),
            ..Out::default()
        };
        assert_eq!(
            render_new(&[long]),
            format!("outs:\n- path: \n    {}\n", "x".repeat(73))
        );
    }

    #[test]
    fn parse_round_trip_of_render() {
        let outs = vec![
            Out {
                path: "a b".into(),
                md5: Some("d41d8cd98f00b204e9800998ecf8427e".into()),
                size: Some(0),
                hash: Some("md5".into()),
                ..Out::default()
            },
            Out {
                path: "yes".into(),
                md5: Some("0123".into()),
                size: Some(1),
                isexec: true,
                hash: None,
                push: false,
                ..Out::default()
            },
            Out {
                path: "it's: #weird\ttab".into(),
                md5: Some("1e5".into()),
                nfiles: Some(2),
                hash: Some("md5".into()),
                cache: false,
                ..Out::default()
            },
            Out {
                path: format!("{} end", "long word ".repeat(12)),
                remote: Some("r".into()),
                ..Out::default()
            },
        ];
        let text = render_new(&outs);
        let parsed = parse(&text).expect("parses");
        assert_eq!(parsed.outs, outs);
        assert!(parsed.outs[1].is_legacy());
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

    /// Observed: dvc 3.67.1 `dvc commit -f` after `echo hello world > foo; chmod +x foo`.
    #[test]
    fn rewrite_keeps_comments_and_appends_after_trailing_comments() {
        let before = "# top comment\nouts:\n- md5: b1946ac92492d2347c6235b4d2611184   # hash comment\n  size: 6 # size c\n  path: foo\n  desc: my desc\n  meta:\n    a: 1\n  # after meta\n# trailing\n";
        let after = "# top comment\nouts:\n- md5: 6f5902ac237024bdd0c176cb93063dc4   # hash comment\n  size: 12 # size c\n  path: foo\n  desc: my desc\n  meta:\n    a: 1\n  # after meta\n# trailing\n  isexec: true\n  hash: md5\n";
        let got = rewrite(
            before,
            &[(
                0,
                upd(
                    "6f5902ac237024bdd0c176cb93063dc4",
                    12,
                    None,
                    true,
                    Some("md5"),
                ),
            )],
        )
        .expect("ok");
        assert_eq!(got, after);
        assert_eq!(parse(&got).expect("valid").outs[0].size, Some(12));
    }

    /// Observed: shrinking value keeps the comment column; isexec removed; hash appended
    /// after the out's trailing comment; a legacy out with unchanged data stays legacy.
    #[test]
    fn rewrite_two_outs() {
        let before = "outs:\n- md5: 6f5902ac237024bdd0c176cb93063dc4\n  size: 1200     # size c\n  isexec: true\n  path: foo\n  # between outs\n- md5: 3b5d5c3712955042212316173ccf37be\n  size: 2\n  path: bar\n  # before meta\nmeta: {x: 1}\n";
        let after = "outs:\n- md5: 6f5902ac237024bdd0c176cb93063dc4\n  size: 12       # size c\n  path: foo\n  # between outs\n- md5: 764efa883dda1e11db47671c4a3bbd9e\n  size: 3\n  path: bar\n  # before meta\n  hash: md5\nmeta: {x: 1}\n";
        let got = rewrite(
            before,
            &[
                (
                    0,
                    upd("6f5902ac237024bdd0c176cb93063dc4", 12, None, false, None),
                ),
                (
                    1,
                    upd(
                        "764efa883dda1e11db47671c4a3bbd9e",
                        3,
                        None,
                        false,
                        Some("md5"),
                    ),
                ),
            ],
        )
        .expect("ok");
        assert_eq!(got, after);
    }

    /// Observed: deleting a key deletes its inline comment and the comment/blank lines
    /// after it; a deleted first key passes the dash on; `cache: true` is dropped.
    #[test]
    fn rewrite_deletes_keys_with_their_comments() {
        let foo = "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  path: foo\n  isexec: true   # exec comment\n  # after isexec\n\n  # more\n";
        let got = rewrite(
            foo,
            &[(
                0,
                upd("b1946ac92492d2347c6235b4d2611184", 6, None, false, None),
            )],
        )
        .expect("ok");
        assert_eq!(
            got,
            "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  path: foo\n"
        );
        let bar = "outs:\n- isexec: false # first\n  md5: 3b5d5c3712955042212316173ccf37be\n  size: 2\n  hash: md5\n  path: bar\n  cache: true\n";
        let got = rewrite(
            bar,
            &[(
                0,
                upd(
                    "764efa883dda1e11db47671c4a3bbd9e",
                    3,
                    None,
                    false,
                    Some("md5"),
                ),
            )],
        )
        .expect("ok");
        assert_eq!(
            got,
            "outs:\n- md5: 764efa883dda1e11db47671c4a3bbd9e\n  size: 3\n  hash: md5\n  path: bar\n"
        );
    }

    /// Observed: a 2.x out re-added after its data changed gets `hash: md5` after `path`.
    #[test]
    fn rewrite_legacy_upgrade_and_dir_changes() {
        let legacy =
            "outs:\n- md5: dd8c6a395b5dd36c56d23275028f526c\n  size: 6\n  path: crlf.txt\n";
        let got = rewrite(
            legacy,
            &[(
                0,
                upd(
                    "59b0d7772f0561efb95518f3cb8abc60",
                    9,
                    None,
                    false,
                    Some("md5"),
                ),
            )],
        )
        .expect("ok");
        assert_eq!(
            got,
            "outs:\n- md5: 59b0d7772f0561efb95518f3cb8abc60\n  size: 9\n  path: crlf.txt\n  hash: md5\n"
        );
        // A file that became a directory: nfiles appended, unchanged keys untouched.
        let file = "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: data\n";
        let got = rewrite(
            file,
            &[(
                0,
                upd(
                    "81b9e20cc5e2a0d78483cfbb6454ec68.dir",
                    18,
                    Some(5),
                    false,
                    Some("md5"),
                ),
            )],
        )
        .expect("ok");
        assert_eq!(
            got,
            "outs:\n- md5: 81b9e20cc5e2a0d78483cfbb6454ec68.dir\n  size: 18\n  hash: md5\n  path: data\n  nfiles: 5\n"
        );
        // And back: nfiles removed.
        let back = rewrite(
            &got,
            &[(
                0,
                upd(
                    "b1946ac92492d2347c6235b4d2611184",
                    6,
                    None,
                    false,
                    Some("md5"),
                ),
            )],
        )
        .expect("ok");
        assert_eq!(back, file);
        // No change at all: identical bytes.
        assert_eq!(
            rewrite(
                file,
                &[(
                    0,
                    upd(
                        "b1946ac92492d2347c6235b4d2611184",
                        6,
                        None,
                        false,
                        Some("md5")
                    )
                )]
            )
            .expect("ok"),
            file
        );
    }

    #[test]
    fn rewrite_keeps_folded_and_quoted_values_and_annotations() {
        let path = "a very long file name with many words in it that certainly exceeds the eighty column limit.txt";
        let out = Out {
            path: path.into(),
            md5: Some("0123".into()),
            size: Some(1),
            hash: Some("md5".into()),
            ..Out::default()
        };
        let mut text = render_new(&[out]);
        assert!(text.contains("md5: '0123'\n"));
        assert!(text.contains("the \n    eighty"));
        text.push_str("  desc: |\n    multi\n    line\n  labels:\n  - x\n  remote: r # remote c\n  push: false\n");
        let got = rewrite(
            &text,
            &[(
                0,
                upd(
                    "b1946ac92492d2347c6235b4d2611184",
                    6,
                    None,
                    false,
                    Some("md5"),
                ),
            )],
        )
        .expect("ok");
        let expected = text
            .replace("md5: '0123'", "md5: b1946ac92492d2347c6235b4d2611184")
            .replace("size: 1\n", "size: 6\n");
        assert_eq!(got, expected);
        let parsed = parse(&got).expect("valid");
        assert_eq!(parsed.outs[0].path, path);
        assert!(!parsed.outs[0].push);
        // An md5 that was itself quoted over lines is replaced whole.
        let quoted = "outs:\n- path: x\n  md5: 'abc\n    def' # c\n  size: 1\n";
        let got = rewrite(
            quoted,
            &[(
                0,
                OutUpdate {
                    md5: Some("fff".into()),
                    size: Some(1),
                    ..OutUpdate::default()
                },
            )],
        )
        .expect("ok");
        assert_eq!(got, "outs:\n- path: x\n  md5: fff # c\n  size: 1\n");
    }

    #[test]
    fn rewrite_handles_hand_formatting() {
        // Indented sequence, no final newline, CRLF-free.
        let text = "outs:\n  - md5: b1946ac92492d2347c6235b4d2611184\n    size: 6\n    path: foo";
        let got = rewrite(
            text,
            &[(
                0,
                upd(
                    "6f5902ac237024bdd0c176cb93063dc4",
                    12,
                    None,
                    true,
                    Some("md5"),
                ),
            )],
        )
        .expect("ok");
        assert_eq!(
            got,
            "outs:\n  - md5: 6f5902ac237024bdd0c176cb93063dc4\n    size: 12\n    path: foo\n    isexec: true\n    hash: md5\n"
        );
        // Dash alone on its line.
        let text = "outs:\n-\n  path: foo\n  size: 1\n";
        let got = rewrite(
            text,
            &[(
                0,
                OutUpdate {
                    size: Some(2),
                    ..OutUpdate::default()
                },
            )],
        )
        .expect("ok");
        assert_eq!(got, "outs:\n-\n  path: foo\n  size: 2\n");
        // Flow style cannot be line-edited: an error, never a wrong file.
        let flow = "outs: [{path: foo, md5: abc}]\n";
        assert!(rewrite(flow, &[(0, OutUpdate::default())]).is_err());
        assert!(rewrite("<<<<<<< HEAD\n", &[]).is_err());
        assert!(rewrite("outs:\n- path: x\n", &[(3, OutUpdate::default())]).is_err());
    }

    const LOCK: &str = "schema: '2.0'\nstages:\n  build:\n    cmd: mkdir -p outdir && echo hello > outdir/file.txt && cp script.sh run.sh \n      && chmod +x run.sh\n    deps:\n    - path: in.txt\n      hash: md5\n      md5: 60b725f10c9c85c70d97880dfe8191b3\n      size: 2\n    outs:\n    - path: outdir\n      hash: md5\n      md5: 45b1eb2ff8072c35f82255c3c22c1ae9.dir\n      size: 2\n      nfiles: 1\n    - path: run.sh\n      hash: md5\n      md5: 3e2b31c72181b87149ff995e7202c0e3\n      size: 10\n      isexec: true\n  other:\n    cmd: echo\n    outs:\n    - path: legacy.txt\n      md5: dd8c6a395b5dd36c56d23275028f526c\n      size: 6\n";

    #[test]
    fn lock_parse() {
        let lock = parse_lock(LOCK).expect("ok");
        assert_eq!(lock.stages.len(), 2);
        assert_eq!(lock.stages[0].name, "build");
        assert_eq!(lock.stages[0].deps[0].path, "in.txt");
        assert!(lock.stages[0].outs[0].is_dir());
        assert!(lock.stages[0].outs[1].isexec);
        assert!(lock.stages[1].outs[0].is_legacy());
        assert!(parse_lock("schema: '1.0'\n").is_err());
        assert_eq!(
            parse_lock("schema: '2.0'\nstages:\n  s:\n    cmd: x\n    outs:\n    - path: a\n      cache: false\n").expect_err("x").message,
            "extra keys not allowed, in stages -> s -> outs -> 0 -> cache"
        );
        assert!(parse_lock("schema: '2.0'\nstages:\n  s:\n    outs: []\n").is_err());
        assert!(parse_lock("<<<<<<< ours\n").is_err());
    }

    #[test]
    fn lock_rewrite() {
        let got = rewrite_lock(
            LOCK,
            "build",
            &[(
                1,
                upd(
                    "b1946ac92492d2347c6235b4d2611184",
                    6,
                    None,
                    false,
                    Some("md5"),
                ),
            )],
        )
        .expect("ok");
        let expected = LOCK.replace(
            "    - path: run.sh\n      hash: md5\n      md5: 3e2b31c72181b87149ff995e7202c0e3\n      size: 10\n      isexec: true\n",
            "    - path: run.sh\n      hash: md5\n      md5: b1946ac92492d2347c6235b4d2611184\n      size: 6\n",
        );
        assert_eq!(got, expected);
        // A legacy entry gains `hash` right after `path` (fresh lock order).
        let got = rewrite_lock(
            LOCK,
            "other",
            &[(
                0,
                upd(
                    "59b0d7772f0561efb95518f3cb8abc60",
                    9,
                    None,
                    false,
                    Some("md5"),
                ),
            )],
        )
        .expect("ok");
        assert!(got.ends_with("    - path: legacy.txt\n      hash: md5\n      md5: 59b0d7772f0561efb95518f3cb8abc60\n      size: 9\n"));
        assert_eq!(
            parse_lock(&got).expect("valid").stages[1].outs[0].size,
            Some(9)
        );
        assert!(rewrite_lock(LOCK, "missing", &[]).is_err());
    }
    /// Observed: dvc 3.67.1 `dvc commit -f build` after changing both outs (exec bit cleared).
    #[test]
    fn lock_rewrite_matches_dvc_commit() {
        let before = "schema: '2.0'\nstages:\n  build:\n    cmd: mkdir -p outdir && echo hello > outdir/file.txt && printf 'echo hi\\n' >\n      run.sh && chmod +x run.sh\n    deps:\n    - path: in.txt\n      hash: md5\n      md5: ba8d2b9408ed255ee92a112fe7ba59be\n      size: 3\n    outs:\n    - path: outdir\n      hash: md5\n      md5: 9b115c75ca3be582da4d2c88ee2a1d93.dir\n      size: 6\n      nfiles: 1\n    - path: run.sh\n      hash: md5\n      md5: 9a312c9d8b035b8c2da417b451f8f92d\n      size: 8\n      isexec: true\n  second:\n    cmd: echo x > x.txt\n    outs:\n    - path: x.txt\n      hash: md5\n      md5: 401b30e3b8b5d629635a5c613cdb7919\n      size: 2\n";
        let after = "schema: '2.0'\nstages:\n  build:\n    cmd: mkdir -p outdir && echo hello > outdir/file.txt && printf 'echo hi\\n' >\n      run.sh && chmod +x run.sh\n    deps:\n    - path: in.txt\n      hash: md5\n      md5: ba8d2b9408ed255ee92a112fe7ba59be\n      size: 3\n    outs:\n    - path: outdir\n      hash: md5\n      md5: 1330ce08a4d4d1263bae6a76aead7b79.dir\n      size: 8\n      nfiles: 2\n    - path: run.sh\n      hash: md5\n      md5: 4832f544917fb74f4ea54aad6a278984\n      size: 13\n  second:\n    cmd: echo x > x.txt\n    outs:\n    - path: x.txt\n      hash: md5\n      md5: 401b30e3b8b5d629635a5c613cdb7919\n      size: 2\n";
        let parsed = parse_lock(after).expect("valid");
        let updates: Vec<(usize, OutUpdate)> = parsed.stages[0]
            .outs
            .iter()
            .map(OutUpdate::from_out)
            .enumerate()
            .collect();
        assert_eq!(rewrite_lock(before, "build", &updates).expect("ok"), after);
    }
}

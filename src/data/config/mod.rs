//! DVC's INI config files, read and written exactly as dvc 3.67.1 (configobj 5.0.9) does.
//!
//! Model (mirrors `dvc/config.py`):
//! - Four levels, lowest priority first: system, global, repo (`.dvc/config`), local
//!   (`.dvc/config.local`). The caller passes the directories in; this module never reads
//!   environment variables.
//! - Each file is parsed with configobj's grammar (spec §6.2): `[section]` markers (quoted or
//!   not), `key = value` lines, inline `# comments`, `"…"`/`'…'`/`'''…'''` quoting and unquoted
//!   `a, b` lists. Keys and section names are lowercased on load, then `remote "name"`,
//!   `machine "name"` and `db "name"` sections are folded into nested tables
//!   (`remote -> name -> key`), exactly like dvc's `_parse_named`.
//! - Writes re-serialize the whole level from that nested table (`_pack_named` + configobj's
//!   writer): comments are lost, no blank lines, 4-space indentation, plain sections in loaded
//!   order, then named sections; empty plain sections are dropped. An empty level is written
//!   as a single `\n` (observed).
//! - Path-valued options (`url`, `cache.dir`, `credentialpath`, …) are stored relative to the
//!   directory of the file holding them (spec §6.3) and resolved against it when read.
//!
//! Invariants: parsing never panics on hostile bytes; a value dvc could not write (non-ASCII,
//! or with both quote kinds where configobj cannot quote it) is refused *before* the file is
//! touched (dvc 3.67.1 truncates the file in that case: we do not copy that bug).
//!
//! Validation follows dvc's voluptuous schema (`dvc/config_schema.py`) and produces its
//! messages byte for byte (`extra keys not allowed @ data['core']['nonexist']`), plus the path
//! of the file that set the offending key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The path arithmetic of this module lives in [`crate::data::pathsafe`]; re-exported here.
pub use crate::data::pathsafe::{normpath, relpath};

/// `cache.type` values are the engine's link types.
pub use crate::data::odb::LinkType;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Everything that can go wrong loading, validating or writing DVC config.
///
/// `Display` renders dvc's own text (`config file error: …`) so the CLI can print it verbatim;
/// [`ConfigError::file`] names the file involved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// configobj could not parse the file (`Parse error in value at line 2.`).
    #[error("config file error: {message}")]
    Parse {
        /// The file.
        file: PathBuf,
        /// configobj's message, e.g. `Duplicate keyword name at line 3.`.
        message: String,
    },
    /// The merged config does not pass dvc's schema.
    #[error("config file error: {message} @ {}", format_key_path(.key_path))]
    Invalid {
        /// The highest-priority file that sets the offending key, when one does.
        file: Option<PathBuf>,
        /// Path of the key, e.g. `["core", "autostage"]`.
        key_path: Vec<String>,
        /// voluptuous' message including its `for dictionary value` suffix where dvc has it.
        message: String,
    },
    /// A command-level config error with dvc's message (`remote 'x' doesn't exist.`).
    #[error("config file error: {message}")]
    Other {
        /// The message after `config file error: `.
        message: String,
    },
    /// A value that configobj (and so dvc) cannot write to a file.
    #[error("config file error: cannot write {what} to '{}': {reason}", file.display())]
    Unwritable {
        /// The file we refused to write.
        file: PathBuf,
        /// What could not be written (`value of 'remote.x.url'`).
        what: String,
        /// Why.
        reason: String,
    },
    /// Reading or writing a config file failed.
    #[error("config file error: cannot {action} '{}': {source}", file.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        file: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

impl ConfigError {
    /// The file the error is about, when known.
    pub fn file(&self) -> Option<&Path> {
        match self {
            ConfigError::Parse { file, .. }
            | ConfigError::Unwritable { file, .. }
            | ConfigError::Io { file, .. } => Some(file),
            ConfigError::Invalid { file, .. } => file.as_deref(),
            ConfigError::Other { .. } => None,
        }
    }

    /// True for configobj parse errors (dvc prints their message twice, as `msg: msg`).
    pub fn is_parse(&self) -> bool {
        matches!(self, ConfigError::Parse { .. })
    }

    fn other(message: impl Into<String>) -> Self {
        ConfigError::Other {
            message: message.into(),
        }
    }
}

fn format_key_path(path: &[String]) -> String {
    let mut s = String::from("data");
    for k in path {
        s.push('[');
        s.push_str(&py_repr(k));
        s.push(']');
    }
    s
}

/// Python's `repr()` of a `str` (used in dvc's messages).
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

// ---------------------------------------------------------------------------------------------
// Values and tables
// ---------------------------------------------------------------------------------------------

/// A configobj value: a string, or a list (an unquoted `a, b` on read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A single string.
    Str(String),
    /// A comma list.
    List(Vec<String>),
}

impl Value {
    /// The string, if this is not a list.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::List(_) => None,
        }
    }

    /// How dvc prints it (`str()` of the Python value: a list prints as `['a', 'b']`).
    pub fn display(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::List(items) => {
                let inner: Vec<String> = items.iter().map(|i| py_repr(i)).collect();
                format!("[{}]", inner.join(", "))
            }
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
        }
    }
}

/// An entry of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A scalar or list.
    Value(Value),
    /// A nested section.
    Table(Table),
}

/// An insertion-ordered map, like the Python dicts dvc keeps its config in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    entries: Vec<(String, Item)>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Table::default()
    }
    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Item)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Look up an entry.
    pub fn get(&self, key: &str) -> Option<&Item> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    /// Mutable lookup.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Item> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
    /// True when `key` is present.
    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// Insert; an existing key keeps its position (Python dict semantics).
    pub fn insert(&mut self, key: impl Into<String>, item: Item) {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => *slot = item,
            None => self.entries.push((key, item)),
        }
    }
    /// Remove and return an entry.
    pub fn remove(&mut self, key: &str) -> Option<Item> {
        let pos = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(pos).1)
    }
    /// A nested table.
    pub fn table(&self, key: &str) -> Option<&Table> {
        match self.get(key) {
            Some(Item::Table(t)) => Some(t),
            _ => None,
        }
    }
    /// A nested table, created (appended) when missing or not a table.
    pub fn table_mut(&mut self, key: &str) -> &mut Table {
        let pos = match self.entries.iter().position(|(k, _)| k == key) {
            Some(p) => p,
            None => {
                self.entries
                    .push((key.to_string(), Item::Table(Table::new())));
                self.entries.len() - 1
            }
        };
        let slot = &mut self.entries[pos].1;
        if !matches!(slot, Item::Table(_)) {
            *slot = Item::Table(Table::new());
        }
        let Item::Table(t) = slot else {
            unreachable!("holds because a table was stored in this slot just above")
        };
        t
    }
    /// A scalar value.
    pub fn value(&self, key: &str) -> Option<&Value> {
        match self.get(key) {
            Some(Item::Value(v)) => Some(v),
            _ => None,
        }
    }
    /// A string value (not a list).
    pub fn str(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(Value::as_str)
    }
    /// Set a string value.
    pub fn set_str(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.insert(key, Item::Value(Value::Str(value.into())));
    }
}

/// dvc's `merge`: recursive, later values win, tables merge key by key.
pub fn merge(into: &mut Table, update: &Table) {
    for (key, val) in update.iter() {
        match (into.get_mut(key), val) {
            (Some(Item::Table(dst)), Item::Table(src)) => merge(dst, src),
            _ => into.insert(key, val.clone()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// configobj parsing
// ---------------------------------------------------------------------------------------------

/// Parse configobj text into a table of sections (names and keys lowercased, as dvc does),
/// *before* named sections are folded. Errors carry configobj's message.
pub fn parse_configobj(bytes: &[u8]) -> Result<Table, String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let pos = e.valid_up_to();
            let byte = bytes.get(pos).copied().unwrap_or(0);
            return Err(format!(
                "'utf-8' codec can't decode byte 0x{byte:02x} in position {pos}: invalid start byte"
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Python opened the file in text mode (universal newlines), then `str.splitlines`.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines = split_lines(&text);
    let raw = parse_lines(&lines)?;
    Ok(lower_keys(raw))
}

fn split_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if matches!(
            c,
            '\n' | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        ) {
            if c != '\n' {
                cur.push(c);
            }
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn lower_keys(table: Table) -> Table {
    let mut out = Table::new();
    for (k, v) in table.entries {
        let v = match v {
            Item::Table(t) => Item::Table(lower_keys(t)),
            other => other,
        };
        out.insert(k.to_lowercase(), v);
    }
    out
}

struct ParseErr {
    line: usize,
    message: &'static str,
    detail: Option<String>,
}

fn parse_lines(lines: &[String]) -> Result<Table, String> {
    let mut root = Table::new();
    // Path of the current section from the root (depth = len).
    let mut path: Vec<String> = Vec::new();
    let mut errors: Vec<ParseErr> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        let idx = i;
        i += 1;
        let sline = line.trim();
        if sline.is_empty() || sline.starts_with('#') {
            continue;
        }
        if let Some(marker) = parse_section_marker(line) {
            let (open, name, close) = marker;
            if open != close {
                errors.push(ParseErr {
                    line: idx,
                    message: "Cannot compute the section depth",
                    detail: None,
                });
                continue;
            }
            let depth = path.len();
            let parent_len = if open < depth {
                open - 1
            } else if open == depth {
                depth.saturating_sub(1)
            } else if open == depth + 1 {
                depth
            } else {
                errors.push(ParseErr {
                    line: idx,
                    message: "Section too nested",
                    detail: None,
                });
                continue;
            };
            let name = unquote(&name);
            let parent = table_at(&mut root, &path[..parent_len]);
            if parent.contains(&name) {
                errors.push(ParseErr {
                    line: idx,
                    message: "Duplicate section name",
                    detail: None,
                });
                continue;
            }
            parent.insert(name.clone(), Item::Table(Table::new()));
            path.truncate(parent_len);
            path.push(name);
            continue;
        }
        let Some((key, value)) = parse_keyword(line) else {
            errors.push(ParseErr {
                line: idx,
                message: "Invalid line",
                detail: Some(py_repr(line)),
            });
            continue;
        };
        let parsed = if value.starts_with("'''") || value.starts_with("\"\"\"") {
            match parse_multiline(&value, lines, &mut i) {
                Ok(v) => v,
                Err(at) => {
                    errors.push(ParseErr {
                        line: at,
                        message: "Parse error in multiline value",
                        detail: None,
                    });
                    continue;
                }
            }
        } else {
            match parse_value(&value) {
                Some(v) => v,
                None => {
                    errors.push(ParseErr {
                        line: idx,
                        message: "Parse error in value",
                        detail: None,
                    });
                    continue;
                }
            }
        };
        let key = unquote(&key);
        let section = table_at(&mut root, &path);
        if section.contains(&key) {
            errors.push(ParseErr {
                line: idx,
                message: "Duplicate keyword name",
                detail: None,
            });
            continue;
        }
        section.insert(key, Item::Value(parsed));
    }
    match errors.len() {
        0 => Ok(root),
        1 => {
            let e = &errors[0];
            Err(match &e.detail {
                Some(d) => format!(
                    "Invalid line ({d}) (matched as neither section nor keyword) at line {}.",
                    e.line + 1
                ),
                None => format!("{} at line {}.", e.message, e.line + 1),
            })
        }
        _ => Err(format!(
            "Parsing failed with several errors.\nFirst error at line {}.",
            errors[0].line + 1
        )),
    }
}

fn table_at<'a>(root: &'a mut Table, path: &[String]) -> &'a mut Table {
    let mut t = root;
    for p in path {
        t = t.table_mut(p);
    }
    t
}

fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
        return s[1..s.len() - 1].to_string();
    }
    s.to_string()
}

fn is_py_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}')
}

fn skip_ws(chars: &[char], mut p: usize) -> usize {
    while p < chars.len() && is_py_space(chars[p]) {
        p += 1;
    }
    p
}

/// For every position `p` of a line: `Some(n)` when `(\s*\])+\s*(#.*)?$` matches at `p` with
/// `n` closing brackets (the greedy bracket group is decisive). Computed right to left in O(n)
/// so hostile lines full of brackets stay linear per candidate.
fn section_tails(chars: &[char]) -> Vec<Option<usize>> {
    let n = chars.len();
    // rest_ok[p]: `\s*(#.*)?$` matches at p.
    let mut rest_ok = vec![false; n + 1];
    rest_ok[n] = true;
    for p in (0..n).rev() {
        rest_ok[p] = chars[p] == '#' || (is_py_space(chars[p]) && rest_ok[p + 1]);
    }
    // groups[p]: (count of `\s*]` groups greedily matched from p, end position).
    let mut groups: Vec<(usize, usize)> = vec![(0, n); n + 1];
    let mut next_non_ws = n;
    for p in (0..=n).rev() {
        if p < n && !is_py_space(chars[p]) {
            next_non_ws = p;
        }
        groups[p] = if next_non_ws < n && chars[next_non_ws] == ']' {
            let (c, e) = groups[next_non_ws + 1];
            (c + 1, e)
        } else {
            (0, p)
        };
    }
    (0..=n)
        .map(|p| {
            let (count, end) = groups[p];
            (count > 0 && rest_ok[end]).then_some(count)
        })
        .collect()
}

/// configobj's `_sectionmarker`: (opening brackets, raw name, closing brackets).
fn parse_section_marker(line: &str) -> Option<(usize, String, usize)> {
    let chars: Vec<char> = line.chars().collect();
    let start = skip_ws(&chars, 0);
    if chars.get(start) != Some(&'[') {
        return None;
    }
    let tails = section_tails(&chars);
    // Greedy `(\[\s*)+`, backtracking to fewer brackets if the rest does not match.
    let mut opens = Vec::new();
    let mut p = start;
    while p < chars.len() && chars[p] == '[' {
        p = skip_ws(&chars, p + 1);
        opens.push(p);
    }
    for (n, &name_start) in opens.iter().enumerate().rev() {
        if let Some((name, close)) = section_name(&chars, &tails, name_start) {
            return Some((n + 1, name, close));
        }
    }
    None
}

fn section_name(chars: &[char], tails: &[Option<usize>], p: usize) -> Option<(String, usize)> {
    let first = *chars.get(p)?;
    if first == '"' || first == '\'' {
        // `"\s*\S.*?\s*"`: at least one non-space inside, lazily up to a closing quote.
        let mut seen_non_space = false;
        for q in p + 1..chars.len() {
            if chars[q] == first
                && seen_non_space
                && let Some(close) = tails[q + 1]
            {
                return Some((chars[p..=q].iter().collect(), close));
            }
            seen_non_space |= !is_py_space(chars[q]);
        }
        None
    } else if !is_py_space(first) {
        (p + 1..=chars.len())
            .find_map(|e| tails[e].map(|close| (chars[p..e].iter().collect(), close)))
    } else {
        None
    }
}

/// configobj's `_keyword`: (raw key, raw value with comment).
fn parse_keyword(line: &str) -> Option<(String, String)> {
    let chars: Vec<char> = line.chars().collect();
    let p = skip_ws(&chars, 0);
    let first = *chars.get(p)?;
    let after_eq = |q: usize| -> Option<usize> {
        let r = skip_ws(&chars, q);
        (r < chars.len() && chars[r] == '=').then(|| skip_ws(&chars, r + 1))
    };
    if first == '"' || first == '\'' {
        for q in p + 1..chars.len() {
            if chars[q] == first
                && let Some(v) = after_eq(q + 1)
            {
                return Some((chars[p..=q].iter().collect(), chars[v..].iter().collect()));
            }
        }
        None
    } else if first == '=' {
        None
    } else {
        let eq = (p + 1..chars.len()).find(|&q| chars[q] == '=')?;
        let key: String = chars[p..eq].iter().collect();
        let v = skip_ws(&chars, eq + 1);
        Some((
            key.trim_end_matches(is_py_space).to_string(),
            chars[v..].iter().collect(),
        ))
    }
}

/// configobj's `_handle_value` with `list_values=True`: `None` is "Parse error in value".
fn parse_value(value: &str) -> Option<Value> {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let is_tail = |p: usize| -> bool {
        let r = skip_ws(&chars, p);
        r == n || chars[r] == '#'
    };
    if chars.first() == Some(&',') {
        return is_tail(1).then(|| Value::List(Vec::new()));
    }
    let mut items: Vec<String> = Vec::new();
    let mut p = 0;
    loop {
        if p >= n || chars[p] == '#' {
            // Empty single value (or nothing after a trailing comma).
            return Some(if items.is_empty() {
                Value::Str(String::new())
            } else {
                Value::List(items)
            });
        }
        let c = chars[p];
        if c == ',' {
            return None;
        }
        if c == '"' || c == '\'' {
            // As a list item: the first closing quote followed by `\s*,` (lazy `".*?"`).
            let as_item = (p + 1..n).find(|&q| {
                chars[q] == c && {
                    let r = skip_ws(&chars, q + 1);
                    r < n && chars[r] == ','
                }
            });
            if let Some(q) = as_item {
                items.push(chars[p + 1..q].iter().collect());
                let r = skip_ws(&chars, q + 1);
                p = skip_ws(&chars, r + 1);
                continue;
            }
            let single = (p + 1..n).find(|&q| chars[q] == c && is_tail(q + 1))?;
            items.push(chars[p + 1..single].iter().collect());
            return Some(finish(items));
        }
        // Unquoted: up to the first `,` (a list item) or `#` (comment) or the end.
        let stop = (p..n)
            .find(|&q| chars[q] == ',' || chars[q] == '#')
            .unwrap_or(n);
        let token: String = chars[p..stop].iter().collect();
        let token = token.trim_end_matches(is_py_space).to_string();
        if stop < n && chars[stop] == ',' {
            items.push(token);
            p = skip_ws(&chars, stop + 1);
            continue;
        }
        items.push(token);
        return Some(finish(items));
    }
}

fn finish(mut items: Vec<String>) -> Value {
    if items.len() == 1 {
        Value::Str(items.pop().unwrap_or_default())
    } else {
        Value::List(items)
    }
}

/// Triple-quoted values, possibly spanning lines. `Err(line index)` on error.
fn parse_multiline(value: &str, lines: &[String], next: &mut usize) -> Result<Value, usize> {
    let quot = &value[..3];
    let rest = &value[3..];
    let tail_ok = |s: &str| {
        let t = s.trim_start_matches(is_py_space);
        t.is_empty() || t.starts_with('#')
    };
    if let Some(end) = rest.find(quot) {
        // Single-line form `'''(.*?)'''\s*(#.*)?$`; lazily the first closing quote that works.
        let mut at = Some(end);
        while let Some(e) = at {
            if tail_ok(&rest[e + 3..]) {
                return Ok(Value::Str(rest[..e].to_string()));
            }
            let from = e + 1;
            at = rest
                .get(from..)
                .and_then(|r| r.find(quot))
                .map(|x| x + from);
        }
        return Err(next.saturating_sub(1));
    }
    let mut acc = rest.to_string();
    loop {
        let Some(line) = lines.get(*next) else {
            return Err(lines.len().saturating_sub(1));
        };
        *next += 1;
        acc.push('\n');
        match line.find(quot) {
            None => acc.push_str(line),
            Some(e) => {
                if !tail_ok(&line[e + 3..]) {
                    return Err(*next - 1);
                }
                acc.push_str(&line[..e]);
                return Ok(Value::Str(acc));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// configobj writing
// ---------------------------------------------------------------------------------------------

const WSPACE_PLUS: &[char] = &[' ', '\r', '\n', '\u{0b}', '\t', '\'', '"'];

/// configobj's `_quote`. `multiline` is true for values, false for keys and list members.
fn quote(value: &str, multiline: bool) -> Result<String, String> {
    if value.is_empty() {
        return Ok("\"\"".to_string());
    }
    let has_s = value.contains('\'');
    let has_d = value.contains('"');
    let need_triple = multiline && ((has_s && has_d) || value.contains('\n'));
    let single_quote = |v: &str| -> Result<char, String> {
        if v.contains('\'') && v.contains('"') {
            Err(format!("Value {} cannot be safely quoted.", py_repr(v)))
        } else if v.contains('"') {
            Ok('\'')
        } else {
            Ok('"')
        }
    };
    let mut quot: Option<&str> = None;
    let mut q_single: Option<char> = None;
    if !need_triple {
        if value.contains('\n') {
            return Err(format!("Value {} cannot be safely quoted.", py_repr(value)));
        }
        let first = value.chars().next().unwrap_or(' ');
        let last = value.chars().last().unwrap_or(' ');
        if !WSPACE_PLUS.contains(&first) && !WSPACE_PLUS.contains(&last) && !value.contains(',') {
            // bare, unless it has a `#`
        } else {
            q_single = Some(single_quote(value)?);
        }
    } else {
        if value.contains("\"\"\"") && value.contains("'''") {
            return Err(format!("Value {} cannot be safely quoted.", py_repr(value)));
        }
        // configobj's `_get_triple_quote`: `'''` unless the value contains `"""`.
        quot = Some(if value.contains("\"\"\"") {
            "\"\"\""
        } else {
            "'''"
        });
    }
    if let Some(t) = quot {
        return Ok(format!("{t}{value}{t}"));
    }
    if q_single.is_none() && value.contains('#') {
        q_single = Some(single_quote(value)?);
    }
    Ok(match q_single {
        Some(q) => format!("{q}{value}{q}"),
        None => value.to_string(),
    })
}

fn quote_value(value: &Value) -> Result<String, String> {
    match value {
        Value::Str(s) => quote(s, true),
        Value::List(items) => match items.len() {
            0 => Ok(",".to_string()),
            1 => Ok(format!("{},", quote(&items[0], false)?)),
            _ => {
                let q: Result<Vec<String>, String> =
                    items.iter().map(|i| quote(i, false)).collect();
                Ok(q?.join(", "))
            }
        },
    }
}

/// Render a configobj section tree (already packed: `remote "x"` keys) as configobj writes it.
fn write_configobj(table: &Table) -> Result<String, (String, String)> {
    let mut out: Vec<String> = Vec::new();
    write_section(table, 0, &mut out, &mut Vec::new())?;
    let mut text = out.join("\n");
    text.push('\n');
    Ok(text)
}

fn write_section(
    table: &Table,
    depth: usize,
    out: &mut Vec<String>,
    path: &mut Vec<String>,
) -> Result<(), (String, String)> {
    let indent = "    ".repeat(depth);
    let err = |path: &[String], key: &str, e: String| {
        let mut p = path.to_vec();
        p.push(key.to_string());
        (p.join("."), e)
    };
    for (key, item) in table.iter() {
        if let Item::Value(v) = item {
            let k = quote(key, false).map_err(|e| err(path, key, e))?;
            let v = quote_value(v).map_err(|e| err(path, key, e))?;
            out.push(format!("{indent}{k} = {v}"));
        }
    }
    for (key, item) in table.iter() {
        if let Item::Table(t) = item {
            let k = quote(key, false).map_err(|e| err(path, key, e))?;
            let open = "[".repeat(depth + 1);
            let close = "]".repeat(depth + 1);
            out.push(format!("{indent}{open}{k}{close}"));
            path.push(key.to_string());
            write_section(t, depth + 1, out, path)?;
            path.pop();
        }
    }
    Ok(())
}

/// Named-section kinds, in the order dvc writes them after the plain sections.
const NAMED: [&str; 3] = ["remote", "machine", "db"];

/// dvc's `_parse_named`: `remote "x"` sections become `remote -> x`.
fn parse_named(conf: Table) -> Table {
    let mut result = Table::new();
    for kind in NAMED {
        result.insert(kind, Item::Table(Table::new()));
    }
    for (section, val) in conf.entries {
        if let Some((kind, name)) = split_named(&section) {
            result.table_mut(kind).insert(name, val);
        } else {
            result.insert(section, val);
        }
    }
    result
}

/// `^\s*(remote|machine|db)\s*"(.*)"\s*$`
fn split_named(section: &str) -> Option<(&'static str, String)> {
    let s = section.trim_start_matches(is_py_space);
    let kind = NAMED.into_iter().find(|k| s.starts_with(k))?;
    let rest = s[kind.len()..].trim_start_matches(is_py_space);
    let rest = rest.strip_prefix('"')?;
    let rest = rest.trim_end_matches(is_py_space);
    let name = rest.strip_suffix('"')?;
    Some((kind, name.to_string()))
}

/// dvc's `_pack_named` + configobj writer: the exact bytes of a level file.
pub fn render_level(conf: &Table) -> Result<String, (String, String)> {
    let mut packed = Table::new();
    // `compact`: drop falsy top-level entries.
    for (k, v) in conf.iter() {
        let falsy = match v {
            Item::Table(t) => t.is_empty(),
            Item::Value(v) => v.is_empty(),
        };
        if !falsy {
            packed.insert(k, v.clone());
        }
    }
    for kind in NAMED {
        if let Some(named) = conf.table(kind) {
            for (name, val) in named.iter() {
                packed.insert(format!("{kind} \"{name}\""), val.clone());
            }
        }
        packed.remove(kind);
    }
    let text = write_configobj(&packed)?;
    if let Some(c) = text.chars().find(|c| !c.is_ascii()) {
        return Err((
            String::new(),
            format!(
                "'ascii' codec can't encode character {}",
                py_repr(&c.to_string())
            ),
        ));
    }
    Ok(text)
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

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
fn is_url(s: &str) -> bool {
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
fn renormalize_stored(value: &str, conf_dir: &Path) -> String {
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

fn map_path_options(conf: &mut Table, f: &dyn Fn(&str) -> String) {
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

// ---------------------------------------------------------------------------------------------
// Schema (dvc/config_schema.py)
// ---------------------------------------------------------------------------------------------

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
const SCHEMA_SECTIONS: [&str; 13] = [
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
fn url_scheme(url: &str) -> (String, bool) {
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

struct Invalid {
    path: Vec<String>,
    message: String,
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

fn check_schema(conf: &Table) -> Result<(), Invalid> {
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

// ---------------------------------------------------------------------------------------------
// Levels and the loaded config
// ---------------------------------------------------------------------------------------------

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
fn with_default_sections(mut conf: Table) -> Table {
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
            merge(&mut merged, &self.read_level_resolved(d.level));
        }
        merged
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
        // In place, like dvc (configobj opens the file "wb"); the bytes are fully computed
        // before the file is truncated, so a failure above never empties it.
        fs_err::write(&file, text.as_bytes()).map_err(|e| ConfigError::Io {
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
        let (scheme, netloc) = url_scheme(url);
        let location = if !netloc || scheme.is_empty() {
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
        };
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

    fn level(text: &str) -> Table {
        parse_named(parse_configobj(text.as_bytes()).expect("parses"))
    }

    fn roundtrip(text: &str) -> String {
        render_level(&with_default_sections(level(text))).expect("renders")
    }

    #[test]
    fn spec_example_round_trips_byte_exactly() {
        let text = "[core]\n    remote = myremote\n    autostage = true\n['remote \"myremote\"']\n    url = /srv/store\n['remote \"s3r\"']\n    url = s3://bucket/prefix\n    endpointurl = http://localhost:9000\n    region = us-east-1\n    use_ssl = false\n['remote \"rel\"']\n    url = ../../relremote\n";
        assert_eq!(roundtrip(text), text);
    }

    #[test]
    fn comments_blank_lines_and_case_are_normalized() {
        let text = "# top\n\n[Core] # c\n  Remote = MyR # x\n\n[remote \"X\"]\nURL = /a\n[cache]\n    type = reflink,copy # c\n";
        assert_eq!(
            roundtrip(text),
            "[core]\n    remote = MyR\n[cache]\n    type = reflink, copy\n['remote \"x\"']\n    url = /a\n"
        );
    }

    #[test]
    fn empty_level_writes_a_single_newline() {
        assert_eq!(roundtrip(""), "\n");
    }

    #[test]
    fn value_quoting_matches_configobj() {
        let cases = [
            ("https://h/p?a=1#frag", "\"https://h/p?a=1#frag\""),
            ("a,b", "\"a,b\""),
            ("/it's here", "/it's here"),
            ("/a\"b", "/a\"b"),
            ("/a\"b'c", "'''/a\"b'c'''"),
            (" lead\"q'", "''' lead\"q''''"),
            ("/trail ", "\"/trail \""),
            ("", "\"\""),
            ("'x", "\"'x\""),
            ("\"x", "'\"x'"),
            ("reflink, hardlink,copy", "\"reflink, hardlink,copy\""),
            ("a\nb", "'''a\nb'''"),
        ];
        for (v, want) in cases {
            assert_eq!(quote(v, true).expect("quotable"), want, "{v:?}");
        }
        assert_eq!(
            quote("remote \"x\"", false).expect("quotable"),
            "'remote \"x\"'"
        );
        assert!(quote("remote \"it's\"", false).is_err());
        assert_eq!(quote_value(&Value::List(vec![])).expect("ok"), ",");
        assert_eq!(
            quote_value(&Value::List(vec!["a".into()])).expect("ok"),
            "a,"
        );
    }

    #[test]
    fn values_parse_like_configobj() {
        let cases: [(&str, Value); 13] = [
            ("a", Value::Str("a".into())),
            ("a b  # c", Value::Str("a b".into())),
            ("http://x#frag", Value::Str("http://x".into())),
            ("\"http://x#frag\"", Value::Str("http://x#frag".into())),
            ("a,b", Value::List(vec!["a".into(), "b".into()])),
            ("a , b,", Value::List(vec!["a".into(), "b".into()])),
            ("a,", Value::List(vec!["a".into()])),
            (",", Value::List(vec![])),
            ("", Value::Str(String::new())),
            ("# only comment", Value::Str(String::new())),
            ("\"a,b\", c", Value::List(vec!["a,b".into(), "c".into()])),
            ("it's", Value::Str("it's".into())),
            ("'x y' # c", Value::Str("x y".into())),
        ];
        for (text, want) in cases {
            assert_eq!(parse_value(text), Some(want), "{text:?}");
        }
        for bad in ["\"a\" x", "a,,b", ",a", "\"unterminated"] {
            assert_eq!(parse_value(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn triple_quoted_values_parse() {
        let t = level("[remote \"x\"]\n    url = '''/a\"b'c'''\n    password = '''one\ntwo'''\n");
        let r = t
            .table("remote")
            .and_then(|r| r.table("x"))
            .expect("remote");
        assert_eq!(r.str("url"), Some("/a\"b'c"));
        assert_eq!(r.str("password"), Some("one\ntwo"));
    }

    #[test]
    fn parse_errors_carry_configobj_messages() {
        let err = |t: &str| parse_configobj(t.as_bytes()).expect_err("fails");
        assert_eq!(
            err("[core]\nfoo\n"),
            "Invalid line ('foo') (matched as neither section nor keyword) at line 2."
        );
        assert_eq!(
            err("[core]\n    remote = \"a\" x\n"),
            "Parse error in value at line 2."
        );
        assert_eq!(
            err("[core]\n    remote = a\n    remote = b\n"),
            "Duplicate keyword name at line 3."
        );
        assert_eq!(err("[core]\n[core]\n"), "Duplicate section name at line 2.");
        assert_eq!(err("[[core]]\n"), "Section too nested at line 1.");
        assert_eq!(
            err("[core]\nfoo\nbar\n"),
            "Parsing failed with several errors.\nFirst error at line 2."
        );
        assert!(parse_configobj(b"[core]\n\xff\n").is_err());
    }

    #[test]
    fn section_markers() {
        assert_eq!(
            parse_section_marker("['remote \"x\"']"),
            Some((1, "'remote \"x\"'".into(), 1))
        );
        assert_eq!(
            parse_section_marker("[ core ] # c"),
            Some((1, "core".into(), 1))
        );
        assert_eq!(parse_section_marker("[a]b]"), Some((1, "a]b".into(), 1)));
        assert_eq!(parse_section_marker("[core"), None);
    }

    #[test]
    fn hostile_input_never_panics() {
        let samples: [&[u8]; 8] = [
            b"[",
            b"]",
            b"=",
            b"'''",
            b"[core]\n x = '''\n",
            b"\"=\"",
            b"[\"]\n",
            b"[core]\n k = '''a''' b\n",
        ];
        for s in samples {
            let _ = parse_configobj(s);
        }
        let mut noise = Vec::new();
        for i in 0..4096u32 {
            noise.push((i.wrapping_mul(2654435761) >> 13) as u8 % 96 + 32);
            if i % 37 == 0 {
                noise.push(b'\n');
            }
        }
        let _ = parse_configobj(&noise);
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

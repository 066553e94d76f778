//! configobj 5.0.9's INI grammar (spec §6.2), read and written byte for byte as dvc
//! 3.67.1 does: [`parse_configobj`] (sections, keywords, quoting, comma lists, triple-quoted
//! values and configobj's error messages), dvc's `_parse_named` folding of `remote "x"`
//! sections into nested tables, and [`render_level`] (`_pack_named` + configobj's writer).
//! Writing re-serializes the whole level: comments and blank lines are not kept.
//!
//! Invariant: parsing never panics on hostile bytes; a value configobj could not quote is
//! an error before anything is written.

use super::error::py_repr;
use super::value::{Item, Table, Value};

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

pub(super) fn is_py_space(c: char) -> bool {
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
        let Some(first) = line.find(quot) else {
            acc.push_str(line);
            continue;
        };
        // The closing line `^(.*?)'''\s*(#.*)?$`: lazily the first quote that works, so
        // `y''''` ends the value with `y'` (configobj reads it so).
        let mut at = Some(first);
        while let Some(e) = at {
            if tail_ok(&line[e + 3..]) {
                acc.push_str(&line[..e]);
                return Ok(Value::Str(acc));
            }
            let from = e + 1;
            at = line
                .get(from..)
                .and_then(|r| r.find(quot))
                .map(|x| x + from);
        }
        return Err(*next - 1);
    }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

const WSPACE_PLUS: &[char] = &[' ', '\r', '\n', '\u{0b}', '\t', '\'', '"'];

/// Line boundaries of Python's `str.splitlines` besides `\n`.
const SPLITLINES_BREAKS: &[char] = &[
    '\r', '\u{0b}', '\u{0c}', '\u{1c}', '\u{1d}', '\u{1e}', '\u{85}', '\u{2028}', '\u{2029}',
];

/// configobj's `_quote`. `multiline` is true for values, false for keys and list members.
fn quote(value: &str, multiline: bool) -> Result<String, String> {
    if value.is_empty() {
        return Ok("\"\"".to_string());
    }
    // configobj reads a file with `splitlines`, which also ends a line at these: a value
    // holding one would read back otherwise (dvc writes it anyway; found by fuzzing).
    // Nor does a control character survive: Python's `strip` takes \x1c-\x1f as
    // whitespace, and a bare value loses it.
    if value.contains(SPLITLINES_BREAKS)
        || value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!("Value {} cannot be safely quoted.", py_repr(value)));
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
            let line = entry_line(key, v).map_err(|e| err(path, key, e))?;
            out.push(format!("{indent}{line}"));
        }
    }
    for (key, item) in table.iter() {
        if let Item::Table(t) = item {
            let line = section_line(key, depth + 1).map_err(|e| err(path, key, e))?;
            out.push(format!("{indent}{line}"));
            path.push(key.to_string());
            write_section(t, depth + 1, out, path)?;
            path.pop();
        }
    }
    Ok(())
}

/// The other quotings to try where configobj's own would not read back.
fn requoted(text: &str) -> [String; 2] {
    [format!("\"{text}\""), format!("'{text}'")]
}

fn unsafe_quote(text: &str) -> String {
    format!("Value {} cannot be safely quoted.", py_repr(text))
}

/// `key = value` as configobj writes it. Where configobj's choice would read back as
/// something else (a bare key holding `=` or starting with `[`, a value in `'''` that
/// holds `'''`: configobj writes them so, and dvc with it), the first other quoting that
/// reads back is taken; when none does, the entry is refused. Every line written is read
/// back before it is kept, so no entry can come back as another (found by fuzzing).
fn entry_line(key: &str, value: &Value) -> Result<String, String> {
    let first_key = quote(key, false)?;
    let first_value = quote_value(value)?;
    let mut values = vec![first_value];
    if let Value::Str(s) = value {
        let [d, q] = requoted(s);
        values.extend([d, q, format!("\"\"\"{s}\"\"\""), format!("'''{s}'''")]);
    }
    let mut keys = vec![first_key];
    keys.extend(requoted(key));
    for k in &keys {
        for v in &values {
            let line = format!("{k} = {v}");
            if entry_reads_back(&line, key, value) {
                return Ok(line);
            }
        }
    }
    let bad_key = !keys
        .iter()
        .any(|k| entry_reads_back(&format!("{k} = x"), key, &Value::Str("x".into())));
    Err(unsafe_quote(if bad_key {
        key
    } else {
        match value {
            Value::Str(s) => s,
            Value::List(_) => key,
        }
    }))
}

fn entry_reads_back(line: &str, key: &str, value: &Value) -> bool {
    match parse_lines(&split_lines(line)) {
        Ok(t) => matches!(
            t.entries.as_slice(),
            [(k, Item::Value(v))] if k == key && v == value
        ),
        Err(_) => false,
    }
}

/// A section header at `depth`, quoted as configobj does, or otherwise where that would
/// not read back (a name holding `]`); refused when no quoting reads back.
fn section_line(key: &str, depth: usize) -> Result<String, String> {
    let open = "[".repeat(depth);
    let close = "]".repeat(depth);
    let mut names = vec![quote(key, false)?];
    names.extend(requoted(key));
    names
        .iter()
        .map(|k| format!("{open}{k}{close}"))
        .find(|line| {
            parse_section_marker(line)
                .is_some_and(|(o, name, c)| o == depth && c == depth && unquote(&name) == key)
        })
        .ok_or_else(|| unsafe_quote(key))
}

/// Named-section kinds, in the order dvc writes them after the plain sections.
const NAMED: [&str; 3] = ["remote", "machine", "db"];

/// dvc's `_parse_named`: `remote "x"` sections become `remote -> x`.
pub fn parse_named(conf: Table) -> Table {
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

/// dvc's `compact`: the config less its falsy (empty) top-level entries, which the
/// writer drops.
pub fn compact(conf: &Table) -> Table {
    let mut kept = Table::new();
    for (k, v) in conf.iter() {
        let falsy = match v {
            Item::Table(t) => t.is_empty(),
            Item::Value(v) => v.is_empty(),
        };
        if !falsy {
            kept.insert(k, v.clone());
        }
    }
    kept
}

/// dvc's `_pack_named` + configobj writer: the exact bytes of a level file.
pub fn render_level(conf: &Table) -> Result<String, (String, String)> {
    let mut packed = compact(conf);
    for kind in NAMED {
        // A value where a table of named sections belongs would be lost on the way out;
        // the schema refuses it on load, and the writer refuses it too.
        if let Some(Item::Value(_)) = conf.get(kind) {
            return Err((
                kind.to_string(),
                "expected a dictionary for dictionary value".to_string(),
            ));
        }
        if let Some(named) = conf.table(kind) {
            // Each named section is a table (dvc's schema); a value would be written as
            // a top-level key that reads back as something else.
            if let Some((name, _)) = named.iter().find(|(_, v)| matches!(v, Item::Value(_))) {
                return Err((
                    format!("{kind}.{name}"),
                    "expected a dictionary for dictionary value".to_string(),
                ));
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::config::levels::with_default_sections;

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

    /// Found by afl: configobj ends a multi-line value at the last `'''` of its closing
    /// line that leaves only a comment after it, so `y''''` is `y'`.
    #[test]
    fn a_multiline_value_ends_at_the_closing_quote_configobj_takes() {
        let t = parse_configobj(b"sa = '''\"#\"\ny''''\n").expect("configobj reads it");
        assert_eq!(
            t.get("sa"),
            Some(&Item::Value(Value::Str("\"#\"\ny'".into())))
        );
    }

    /// Found by afl: a value where dvc's schema wants named sections (`remote = x`, or
    /// `[remote]` holding `name = x`) would be dropped or written as a top-level key; the
    /// writer refuses it, as dvc's schema refuses it on load.
    #[test]
    fn values_where_named_sections_belong_are_refused() {
        for text in [&b"remote = x\n"[..], b"[remote]\n    a = x\n"] {
            let t = parse_named(parse_configobj(text).expect("parses"));
            let e = render_level(&t).expect_err("refused");
            assert!(e.1.contains("expected a dictionary"), "{e:?}");
        }
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

    /// Where configobj's own quoting would read back as another entry, the writer takes
    /// another that reads back, or refuses; what it writes always reads back as itself.
    #[test]
    fn entries_configobj_would_write_unreadably_are_requoted_or_refused() {
        let entry = |k: &str, v: &str| entry_line(k, &Value::Str(v.into()));
        // A bare key ends at its first `=`.
        assert_eq!(entry("=", "5").expect("quotable"), "\"=\" = 5");
        assert_eq!(entry("mm=mm", "x").expect("quotable"), "\"mm=mm\" = x");
        assert_eq!(entry("a =", "*").expect("quotable"), "\"a =\" = *");
        // A line that starts with `[` and ends with `]` is a section.
        assert_eq!(entry("[a", "b]").expect("quotable"), "[a = \"b]\"");
        // configobj puts a value without `"""` in `'''`, even when it holds `'''`.
        assert_eq!(
            entry("k", "a'''\nb").expect("quotable"),
            "k = \"\"\"a'''\nb\"\"\""
        );
        assert!(entry("k", "a'''\n\"\"\"b").is_err());
        // A section name holding `]` is quoted; one that no quoting keeps is refused.
        assert_eq!(section_line("a]b", 1).expect("quotable"), "[a]b]");
        assert_eq!(section_line("a] #c", 1).expect("quotable"), "[\"a] #c\"]");
        assert_eq!(
            section_line("a] #\"x", 2).expect("quotable"),
            "[['a] #\"x']]"
        );
        assert!(section_line("a]' #\"x", 1).is_err());
        // Ordinary entries keep configobj's bytes.
        assert_eq!(
            entry("url", "s3://b/p").expect("quotable"),
            "url = s3://b/p"
        );
        assert_eq!(
            section_line("remote \"x\"", 1).expect("ok"),
            "['remote \"x\"']"
        );
        let mut t = Table::new();
        t.insert("core", Item::Table(Table::new()));
        t.table_mut("core")
            .insert("k=v", Item::Value(Value::Str("1".into())));
        t.table_mut("core")
            .insert("a] #b", Item::Table(Table::new()));
        let text = render_level(&t).expect("renders");
        assert_eq!(text, "[core]\n    \"k=v\" = 1\n    [[\"a] #b\"]]\n");
        assert_eq!(
            parse_named(parse_configobj(text.as_bytes()).expect("reads")),
            {
                let mut want = parse_named(Table::new());
                want.insert("core", t.get("core").cloned().expect("core"));
                want
            }
        );
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
}

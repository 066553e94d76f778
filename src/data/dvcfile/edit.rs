//! Lossless rewriting of a `.dvc` file's outs ([`rewrite`]): a line-level editor for the
//! block-style YAML subset dvc writes, reproducing the effect of dvc's ruamel round trip
//! and `apply_diff` (values replaced in place with their comments, stale keys deleted with
//! their trailing comments, new keys appended; see the module docs of `dvcfile`). The
//! block-mapping and sequence scanning here is shared with the `dvc.lock` rewriter.

use serde_yaml::Value;

use super::parse::{load, parse};
use super::render::Scalar;
use super::{DvcFile, Out, ParseError, err};

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
    /// A cloud-versioned directory out: write this `files:` list, and no `md5`, `size`
    /// or `nfiles`, in a `.dvc` file (dvc's `dumpd(with_files)`); a `dvc.lock` entry
    /// gets `md5`, `size` and `nfiles` and loses its list. `None` removes a `files:` key.
    pub files: Option<Vec<FileUpdate>>,
    /// Remove `cloud:` (and `etag`, `version_id`, `checksum`): the recorded remote
    /// version no longer names these bytes.
    pub drop_cloud: bool,
}

/// One entry of a `files:` list to write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileUpdate {
    /// Path inside the directory.
    pub relpath: String,
    /// Its md5.
    pub md5: String,
    /// Its size, when known.
    pub size: Option<u64>,
    /// Executable bit.
    pub isexec: bool,
    /// The entry is unchanged and keeps what was recorded beside its hash (`cloud:`,
    /// `version_id`, …: dvc's `update_meta`); else those keys go.
    pub keep: bool,
    /// The recorded `cloud:` entry (for writing a kept entry afresh).
    pub cloud: Option<(String, Vec<(String, String)>)>,
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
            files: out.files.as_ref().filter(|f| !f.is_empty()).map(|files| {
                files
                    .iter()
                    .map(|f| FileUpdate {
                        relpath: f.relpath.clone(),
                        md5: f.md5.clone().unwrap_or_default(),
                        size: f.size,
                        isexec: f.isexec,
                        keep: true,
                        cloud: f.cloud.clone(),
                    })
                    .collect()
            }),
            drop_cloud: false,
        }
    }
}

/// Keys a changed `files:` entry loses (dvc writes only `relpath`, `md5`, `size` and
/// `isexec` for a file it hashed).
const FILE_META_KEYS: &[&str] = &["cloud", "etag", "version_id", "checksum", "nfiles"];

/// A fresh `files:` list as ruamel writes it under a key at column `k`.
fn render_files(files: &[FileUpdate], k: usize) -> String {
    let mut text = String::new();
    for f in files {
        let kk = k + 2;
        let mut fields: Vec<(&str, Scalar)> = vec![
            ("relpath", Scalar::Str(f.relpath.clone())),
            ("md5", Scalar::Str(f.md5.clone())),
        ];
        if let Some(n) = f.size {
            fields.push(("size", Scalar::Int(n)));
        }
        if f.isexec {
            fields.push(("isexec", Scalar::Bool(true)));
        }
        for (i, (key, value)) in fields.iter().enumerate() {
            text.push_str(&" ".repeat(if i == 0 { k } else { kk }));
            text.push_str(if i == 0 { "- " } else { "" });
            text.push_str(&value.render(key, kk, kk));
            text.push('\n');
        }
        if let Some((remote, meta)) = f.cloud.as_ref().filter(|_| f.keep) {
            text.push_str(&format!(
                "{}cloud:\n{}{remote}:\n",
                " ".repeat(kk),
                " ".repeat(kk + 2)
            ));
            for (key, value) in meta {
                text.push_str(&" ".repeat(kk + 4));
                text.push_str(&Scalar::Str(value.clone()).render(key, kk + 4, kk + 4));
                text.push('\n');
            }
        }
    }
    text
}

/// Edits making the out item `it` hold the `files:` list `files`: entry by entry when the
/// recorded list has as many entries (dvc's `apply_diff` on lists of equal length), else
/// the whole list written afresh.
fn files_edits(
    lines: &[String],
    it: &Item,
    old: &serde_yaml::Mapping,
    files: &[FileUpdate],
) -> Result<Vec<Edit>, ParseError> {
    let old_list = match old.get("files") {
        Some(Value::Sequence(s)) => Some(s),
        _ => None,
    };
    let entry = it.get("files");
    if let (Some(e), Some(old_list)) = (entry, old_list)
        && old_list.len() == files.len()
        && let Some(spans) = seq_items(lines, e.line + 1, e.span_end)
        && spans.len() == files.len()
    {
        let mut edits = Vec::new();
        for (&(dash, end, s), (f, old_v)) in spans.iter().zip(files.iter().zip(old_list)) {
            let Value::Mapping(om) = old_v else {
                return err("cannot edit `files`: unexpected layout");
            };
            let fi = item(lines, dash, end, s)?;
            let mut desired: Vec<(&str, Option<Scalar>)> = vec![
                ("relpath", Some(Scalar::Str(f.relpath.clone()))),
                ("md5", Some(Scalar::Str(f.md5.clone()))),
                ("size", f.size.map(Scalar::Int)),
                ("isexec", f.isexec.then_some(Scalar::Bool(true))),
            ];
            if !f.keep {
                desired.extend(FILE_META_KEYS.iter().map(|k| (*k, None)));
            }
            edits.extend(fi.edits(om, &desired, &[("isexec", Value::Bool(false))]));
        }
        return Ok(edits);
    }
    let block = render_files(files, it.k);
    Ok(vec![match entry {
        Some(e) => {
            let prefix = if e.line == it.dash {
                it.dash_prefix.clone()
            } else {
                " ".repeat(it.k)
            };
            Edit {
                start: e.line,
                end: e.value_end,
                text: format!("{prefix}files:\n{block}"),
            }
        }
        None => Edit {
            start: it.end,
            end: it.end,
            text: format!("{}files:\n{block}", " ".repeat(it.k)),
        },
    }])
}

fn content(line: &str) -> &str {
    let l = line.strip_suffix('\n').unwrap_or(line);
    l.strip_suffix('\r').unwrap_or(l)
}

pub(super) fn leading_spaces(line: &str) -> usize {
    line.bytes().take_while(|&c| c == b' ').count()
}

/// Blank or comment-only.
pub(super) fn is_trivia(line: &str) -> bool {
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
pub(super) struct Entry {
    pub(super) key: String,
    /// The key's line.
    pub(super) line: usize,
    /// Byte offset after the `:`.
    pub(super) after: usize,
    /// End (exclusive) of the value's lines.
    pub(super) value_end: usize,
    /// End (exclusive) of the entry including the comment/blank lines after it.
    pub(super) span_end: usize,
    /// Trailing comment of the value: (column, text).
    pub(super) comment: Option<(usize, String)>,
}

/// The entries of the block mapping with keys at `k` in lines `[start, end)`.
pub(super) fn entries(lines: &[String], start: usize, end: usize, k: usize) -> Vec<Entry> {
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
pub(super) struct Edit {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) text: String,
}

pub(super) fn apply_edits(lines: &[String], mut edits: Vec<Edit>) -> String {
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
pub(super) struct Item {
    /// Lines with the dash replaced by a space on the dash line.
    view: Vec<String>,
    dash: usize,
    end: usize,
    /// Key indent.
    pub(super) k: usize,
    /// The dash line's first `k` bytes (`- ` / `  - `).
    pub(super) dash_prefix: String,
    pub(super) entries: Vec<Entry>,
}

pub(super) fn item(
    lines: &[String],
    dash: usize,
    end: usize,
    s: usize,
) -> Result<Item, ParseError> {
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
    pub(super) fn get(&self, key: &str) -> Option<&Entry> {
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
pub(super) fn find_seq(
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
    // With a `files:` list, dvc's `dumpd` writes no hash or meta beside it.
    let listed = u.files.is_some();
    let mut desired = vec![
        ("md5", u.md5.clone().filter(|_| !listed).map(Scalar::Str)),
        ("size", u.size.filter(|_| !listed).map(Scalar::Int)),
        ("nfiles", u.nfiles.filter(|_| !listed).map(Scalar::Int)),
        (
            "isexec",
            (u.isexec && !listed).then_some(Scalar::Bool(true)),
        ),
        ("hash", u.hash.clone().map(Scalar::Str)),
    ];
    if !listed {
        desired.push(("files", None));
    }
    if u.drop_cloud || listed {
        desired.extend(["cloud", "etag", "version_id", "checksum"].map(|k| (k, None)));
    }
    desired
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
    let text = &*super::lf(text);
    let doc = load(text)?;
    let before = parse(text)?;
    if updates.is_empty() {
        return Ok(text.to_string());
    }
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
        if let Some(files) = &update.files {
            edits.extend(files_edits(&lines, &it, old, files)?);
        }
    }
    let edited = apply_edits(&lines, edits);
    check_edit(&before, &edited, updates)?;
    Ok(edited)
}

/// The line editor follows the block layout dvc writes. Its result must mean what was
/// asked: the edited outs carry the new hash, and nothing else changed. A layout it
/// misreads (a quoted value over several lines, a key repeated) is an error, never a
/// file with another meaning.
fn check_edit(
    before: &DvcFile,
    edited: &str,
    updates: &[(usize, OutUpdate)],
) -> Result<(), ParseError> {
    const WHY: &str = "cannot edit `outs`: the file's layout is beyond the line editor \
        (a value over several lines?); write it in dvc's block style";
    let Ok(after) = parse(edited) else {
        return err(WHY);
    };
    let rest_kept = after.outs.len() == before.outs.len()
        && after.deps == before.deps
        && after.frozen == before.frozen
        && after.md5 == before.md5
        && after.wdir == before.wdir
        && after.desc == before.desc;
    if !rest_kept {
        return err(WHY);
    }
    for (i, (was, now)) in before.outs.iter().zip(&after.outs).enumerate() {
        let kept = match updates.iter().rev().find(|(j, _)| *j == i) {
            None => was == now,
            Some((_, u)) => {
                now.path == was.path
                    && (u.files.is_some() || (now.md5 == u.md5 && now.size == u.size))
            }
        };
        if !kept {
            return err(WHY);
        }
    }
    Ok(())
}

/// Append `hash: md5` to each URL dep that lacks it, as dvc's dump of an import stage
/// does (see `stage_md5::needs_dep_hash`). Other bytes are kept.
pub fn add_dep_hashes(text: &str) -> Result<String, ParseError> {
    let doc = load(text)?;
    let Some(Value::Sequence(deps)) = doc.get("deps") else {
        return Ok(text.to_string());
    };
    if !deps
        .iter()
        .any(|d| matches!(d, Value::Mapping(m) if super::stage_md5::needs_dep_hash(m)))
    {
        return Ok(text.to_string());
    }
    let lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let Some(items) = find_seq(&lines, 0, lines.len(), 0, "deps")? else {
        return Ok(text.to_string());
    };
    if items.len() != deps.len() {
        return err("cannot edit `deps`: unexpected layout");
    }
    let mut edits = Vec::new();
    for (&(dash, end, s), d) in items.iter().zip(deps) {
        if let Value::Mapping(m) = d
            && super::stage_md5::needs_dep_hash(m)
        {
            let it = item(&lines, dash, end, s)?;
            edits.extend(it.edits(m, &[("hash", Some(Scalar::Str("md5".into())))], &[]));
        }
    }
    let edited = apply_edits(&lines, edits);
    // As in `rewrite`: a layout the editor misreads is an error, not a new meaning.
    let (Ok(was), Ok(now)) = (load(text), load(&edited)) else {
        return err("cannot edit `deps`: the file's layout is beyond the line editor");
    };
    let without_hashes = |v: &Value| -> Value {
        let mut v = v.clone();
        if let Some(Value::Sequence(deps)) = v.get_mut("deps") {
            for d in deps {
                if let Value::Mapping(m) = d {
                    m.remove("hash");
                }
            }
        }
        v
    };
    if without_hashes(&was) != without_hashes(&now) {
        return err("cannot edit `deps`: the file's layout is beyond the line editor");
    }
    Ok(edited)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dvcfile::render_new;

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
            ..OutUpdate::default()
        }
    }

    /// Found by afl: a double-quoted path over two lines, whose second line starts like
    /// a top-level key. The line editor would insert `size:` inside the quoted value; the
    /// edit is refused instead, so the file keeps its meaning.
    #[test]
    fn an_edit_the_line_editor_would_misplace_is_refused() {
        let text =
            "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: \"f\n''txt\nouts: x\"\n";
        let before = parse(text).expect("valid YAML: one out");
        assert_eq!(before.outs[0].path, "f ''txt outs: x");
        let got = rewrite(
            text,
            &[(
                0,
                upd(
                    "6f5902ac237024bdd0c176cb93063dc4",
                    12,
                    None,
                    false,
                    Some("md5"),
                ),
            )],
        );
        let e = got.expect_err("a misplaced edit must be refused");
        assert!(e.to_string().contains("beyond the line editor"), "{e}");
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
}

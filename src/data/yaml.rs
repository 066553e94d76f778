//! A tiny YAML *emitter* for the subset DVC writes in `.dvc` and `dvc.lock` files.
//!
//! DVC dumps through ruamel.yaml's round-trip dumper (YAML 1.2, block style, width 80,
//! `allow_unicode=True`). To be byte-compatible we reproduce exactly the two decisions
//! ruamel makes for a string scalar (spec §1.3):
//!
//! 1. **Style**: plain when the YAML 1.2 resolver would read the text back as a string *and*
//!    ruamel's `analyze_scalar` allows a block plain scalar; otherwise double quotes when the
//!    text contains `'`, a line break or a character that is only legal double-quoted, else
//!    single quotes.
//! 2. **Folding**: ruamel's `write_plain` / `write_single_quoted` / `write_double_quoted`
//!    break long scalars at spaces once the column passes 80 (and `write_plain` also moves a
//!    word that would cross column 80 onto its own line, leaving a trailing space behind).
//!    Columns count Unicode code points, as Python's `len` does.
//!
//! Reading is not done here: `serde_yaml` reads values (see `dvcfile`).
//!
//! Invariant: for every input this module returns text that a YAML 1.2 parser reads back
//! as the same string; it never panics.

/// ruamel's default `best_width`.
pub const BEST_WIDTH: usize = 80;

/// How a string scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    /// Unquoted.
    Plain,
    /// `'…'` with `'` doubled.
    SingleQuoted,
    /// `"…"` with backslash escapes.
    DoubleQuoted,
}

fn is_dec(c: u8) -> bool {
    c.is_ascii_digit()
}

/// Strip an optional leading `-`/`+`.
fn strip_sign(s: &[u8]) -> &[u8] {
    match s.first() {
        Some(b'-' | b'+') => &s[1..],
        _ => s,
    }
}

/// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?[0-9_]+ | [-+]?0x[0-9a-fA-F_]+`
fn is_yaml12_int(s: &[u8]) -> bool {
    let b = strip_sign(s);
    let all = |t: &[u8], f: fn(u8) -> bool| !t.is_empty() && t.iter().all(|&c| f(c));
    if let Some(rest) = b.strip_prefix(b"0b")
        && all(rest, |c| c == b'0' || c == b'1' || c == b'_')
    {
        return true;
    }
    if let Some(rest) = b.strip_prefix(b"0x")
        && all(rest, |c| c.is_ascii_hexdigit() || c == b'_')
    {
        return true;
    }
    if let Some(rest) = b.strip_prefix(b"0o")
        && all(rest, |c| (b'0'..=b'7').contains(&c) || c == b'_')
    {
        return true;
    }
    // `0[0-7_]+` is covered by `[0-9_]+`.
    all(b, |c| is_dec(c) || c == b'_')
}

/// Consume `[0-9_]*` and return the rest.
fn skip_dec_us(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| is_dec(c) || c == b'_').count();
    &s[n..]
}

/// `[eE][-+]?[0-9]+` exactly (sign optional unless `sign_required`).
fn is_exponent(s: &[u8], sign_required: bool) -> bool {
    let Some(rest) = s.strip_prefix(b"e").or_else(|| s.strip_prefix(b"E")) else {
        return false;
    };
    let digits = match rest.first() {
        Some(b'-' | b'+') => &rest[1..],
        _ if sign_required => return false,
        _ => rest,
    };
    !digits.is_empty() && digits.iter().all(|&c| is_dec(c))
}

/// ruamel's YAML 1.2 float resolver:
/// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+]?[0-9]+)? | [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+ |
///  [-+]?\.[0-9_]+([eE][-+][0-9]+)? | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`
fn is_yaml12_float(s: &[u8]) -> bool {
    if matches!(s, b".nan" | b".NaN" | b".NAN") {
        return true;
    }
    let b = strip_sign(s);
    if matches!(b, b".inf" | b".Inf" | b".INF") {
        return true;
    }
    match b.first() {
        Some(c) if is_dec(*c) => {
            let rest = skip_dec_us(&b[1..]);
            if let Some(frac) = rest.strip_prefix(b".") {
                let after = skip_dec_us(frac);
                after.is_empty() || is_exponent(after, false)
            } else {
                is_exponent(rest, false)
            }
        }
        Some(b'.') => {
            let frac = &b[1..];
            let after = skip_dec_us(frac);
            after.len() < frac.len() && (after.is_empty() || is_exponent(after, true))
        }
        _ => false,
    }
}

fn take_digits(s: &[u8], min: usize, max: usize) -> Option<&[u8]> {
    let n = s.iter().take(max).take_while(|&&c| is_dec(c)).count();
    (n >= min).then(|| &s[n..])
}

/// ruamel's timestamp resolver: `YYYY-MM-DD` or
/// `YYYY-M?M-D?D([Tt]|[ \t]+)H?H:MM:SS(\.[0-9]*)?([ \t]*(Z|[-+]H?H(:MM)?))?`.
fn is_yaml_timestamp(s: &[u8]) -> bool {
    fn date(s: &[u8], short_ok: bool) -> Option<&[u8]> {
        let (lo, hi) = if short_ok { (1, 2) } else { (2, 2) };
        let s = take_digits(s, 4, 4)?;
        let s = s.strip_prefix(b"-")?;
        let s = take_digits(s, lo, hi)?;
        let s = s.strip_prefix(b"-")?;
        take_digits(s, lo, hi)
    }
    if date(s, false).is_some_and(<[u8]>::is_empty) {
        return true;
    }
    let Some(mut r) = date(s, true) else {
        return false;
    };
    match r.first() {
        Some(b'T' | b't') => r = &r[1..],
        Some(b' ' | b'\t') => {
            let n = r.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
            r = &r[n..];
        }
        _ => return false,
    }
    let Some(r) = take_digits(r, 1, 2) else {
        return false;
    };
    let Some(r) = r.strip_prefix(b":") else {
        return false;
    };
    let Some(r) = take_digits(r, 2, 2) else {
        return false;
    };
    let Some(r) = r.strip_prefix(b":") else {
        return false;
    };
    let Some(mut r) = take_digits(r, 2, 2) else {
        return false;
    };
    if let Some(frac) = r.strip_prefix(b".") {
        let n = frac.iter().take_while(|&&c| is_dec(c)).count();
        r = &frac[n..];
    }
    let n = r.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
    let tz = &r[n..];
    if tz.is_empty() {
        return n == 0;
    }
    if tz == b"Z" {
        return true;
    }
    let Some(tz) = tz.strip_prefix(b"-").or_else(|| tz.strip_prefix(b"+")) else {
        return false;
    };
    let Some(tz) = take_digits(tz, 1, 2) else {
        return false;
    };
    if tz.is_empty() {
        return true;
    }
    tz.strip_prefix(b":")
        .and_then(|t| take_digits(t, 2, 2))
        .is_some_and(<[u8]>::is_empty)
}

/// True when ruamel's YAML 1.2 resolver reads the plain scalar `s` as something other than
/// a string (bool, null, int, float, timestamp, merge `<<` or value `=`).
///
/// Python's `re` `$` also matches before one trailing `\n`; such strings contain a line break
/// and are double-quoted anyway, so that detail does not change any output.
pub fn resolves_as_non_string(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "<<"
            | "="
    ) || (b.first().is_some_and(|c| b"-+0123456789".contains(c)) && is_yaml12_int(b))
        || is_yaml12_float(b)
        || is_yaml_timestamp(b)
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_ws_or_nul(c: char) -> bool {
    matches!(c, '\0' | ' ' | '\t' | '\r') || is_break(c)
}

/// Printable for ruamel with `allow_unicode=True` (otherwise "special").
fn is_printable(c: char) -> bool {
    c == '\n'
        || ('\x20'..='\x7e').contains(&c)
        || ((c == '\u{85}'
            || ('\u{a0}'..='\u{d7ff}').contains(&c)
            || ('\u{e000}'..='\u{fffd}').contains(&c)
            || c >= '\u{10000}')
            && c != '\u{feff}')
}

/// The parts of ruamel's `analyze_scalar` that matter for block context.
struct Analysis {
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn analyze(s: &str) -> Analysis {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return Analysis {
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_by_ws = true;
    let mut followed_by_ws = chars.len() == 1 || is_ws_or_nul(chars[1]);
    let (mut previous_space, mut previous_break) = (false, false);
    let last = chars.len() - 1;
    for (index, &ch) in chars.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                block_indicators = true;
            }
            if (ch == '?' || ch == ':') && followed_by_ws {
                block_indicators = true;
            }
            if ch == '-' && followed_by_ws {
                block_indicators = true;
            }
        } else {
            if ch == ':' && followed_by_ws {
                block_indicators = true;
            }
            if ch == '#' && preceded_by_ws {
                block_indicators = true;
            }
        }
        if is_break(ch) {
            line_breaks = true;
        }
        if !is_printable(ch) {
            special = true;
        }
        if ch == ' ' {
            leading_space |= index == 0;
            trailing_space |= index == last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            leading_break |= index == 0;
            trailing_break |= index == last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = is_ws_or_nul(ch);
        followed_by_ws = index + 2 >= chars.len() || is_ws_or_nul(chars[index + 2]);
    }
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_block_plain = false;
    }
    if break_space || special || space_break {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks || block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        allow_block_plain,
        allow_single_quoted,
    }
}

/// The style ruamel chooses for a string value in block context (ruamel
/// `choose_scalar_style` with no requested style and a non-simple-key context).
pub fn choose_style(s: &str) -> ScalarStyle {
    let analysis = analyze(s);
    if !resolves_as_non_string(s) && analysis.allow_block_plain {
        return ScalarStyle::Plain;
    }
    // ruamel writes a NEL (U+0085) raw inside single quotes, where every reader, ruamel
    // too, folds it into a space: escape it (`\N`) so that it reads back as written
    // (found by `data::props`; dvc's bytes differ here, and lose the character).
    if s.contains('\'') || s.contains('\n') || s.contains('\u{85}') {
        return ScalarStyle::DoubleQuoted;
    }
    if analysis.allow_single_quoted {
        ScalarStyle::SingleQuoted
    } else {
        ScalarStyle::DoubleQuoted
    }
}

/// The slice of ruamel's `Emitter` state that scalar writing touches.
struct Emitter {
    out: String,
    column: usize,
    indent: usize,
    whitespace: bool,
    indention: bool,
}

impl Emitter {
    fn write(&mut self, data: &[char]) {
        self.column += data.len();
        self.out.extend(data.iter());
    }
    fn write_str(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }
    fn write_line_break(&mut self) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push('\n');
    }
    /// ruamel `write_indent`.
    fn write_indent(&mut self) {
        let indent = self.indent;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.write_line_break();
        }
        if self.column < indent {
            self.whitespace = true;
            for _ in self.column..indent {
                self.out.push(' ');
            }
            self.column = indent;
        }
    }
    /// ruamel `write_indicator(indicator, need_whitespace=True)`.
    fn write_open_indicator(&mut self, indicator: &str) {
        if !self.whitespace {
            self.write_str(" ");
        }
        self.write_str(indicator);
        self.whitespace = false;
        self.indention = false;
    }

    /// ruamel `write_plain(text, split=True)`; `text` has no line breaks here (plain
    /// scalars with breaks are never chosen).
    fn write_plain(&mut self, text: &[char]) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write_str(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let mut spaces = false;
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column >= BEST_WIDTH {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write(&text[start..end]);
                    }
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                let data = &text[start..end];
                // Spaces already written before this word: a line break after more than
                // one of them reads back as one space (readers drop trailing spaces), so
                // the word then stays on its line. ruamel moves it anyway and loses the
                // spaces (found by `data::props`).
                let spaces_before = text[..start]
                    .iter()
                    .rev()
                    .take_while(|c| **c == ' ')
                    .count();
                if data.len() + self.column > BEST_WIDTH
                    && self.column > self.indent
                    && spaces_before <= 1
                {
                    // ruamel: "words longer than line length get a line of their own".
                    self.write_indent();
                }
                self.write(data);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
            }
            end += 1;
        }
    }

    /// ruamel `write_single_quoted(text, split=True)`.
    fn write_single_quoted(&mut self, text: &[char]) {
        self.write_open_indicator("'");
        let mut spaces = false;
        let mut breaks = false;
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && start != 0
                        && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|c| !is_break(c)) {
                    if text[start] == '\n' {
                        self.write_line_break();
                    }
                    for &br in &text[start..end] {
                        if br == '\n' {
                            self.write_line_break();
                        } else {
                            self.out.push(br);
                            self.whitespace = true;
                            self.indention = true;
                            self.column = 0;
                        }
                    }
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || c == '\'' || is_break(c)) && start < end {
                self.write(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write_str("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
        self.write_str("'");
        self.whitespace = false;
        self.indention = false;
    }

    /// ruamel `write_double_quoted(text, split=True)`.
    fn write_double_quoted(&mut self, text: &[char]) {
        self.write_open_indicator("\"");
        let mut start = 0;
        let mut end = 0;
        while end <= text.len() {
            let ch = text.get(end).copied();
            let needs_escape = match ch {
                None => true,
                Some(c) => {
                    matches!(
                        c,
                        '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
                    ) || !(('\x20'..='\x7e').contains(&c)
                        || ('\u{a0}'..='\u{d7ff}').contains(&c)
                        || ('\u{e000}'..='\u{fffd}').contains(&c)
                        || c >= '\u{10000}')
                }
            };
            if needs_escape {
                if start < end {
                    self.write(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    let data = match c {
                        '\0' => "\\0".to_string(),
                        '\x07' => "\\a".to_string(),
                        '\x08' => "\\b".to_string(),
                        '\t' => "\\t".to_string(),
                        '\n' => "\\n".to_string(),
                        '\x0b' => "\\v".to_string(),
                        '\x0c' => "\\f".to_string(),
                        '\r' => "\\r".to_string(),
                        '\x1b' => "\\e".to_string(),
                        '"' => "\\\"".to_string(),
                        '\\' => "\\\\".to_string(),
                        '\u{85}' => "\\N".to_string(),
                        '\u{a0}' => "\\_".to_string(),
                        '\u{2028}' => "\\L".to_string(),
                        '\u{2029}' => "\\P".to_string(),
                        c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                        c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                        c => format!("\\U{:08X}", c as u32),
                    };
                    self.write_str(&data);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                && (self.column + end) as isize - start as isize > BEST_WIDTH as isize
            {
                self.fold_double_quoted(text, &mut start, end);
            }
            end += 1;
        }
        self.write_str("\"");
        self.whitespace = false;
        self.indention = false;
    }

    /// The line-folding branch of ruamel's `write_double_quoted` (0.19): break before
    /// `text[end]`, with a trailing `\` unless the break can stand for a folded space.
    fn fold_double_quoted(&mut self, text: &[char], start: &mut usize, end: usize) {
        let mut need_backslash = true;
        if let Some(offset) = text[end..].iter().position(|&c| c == ' ') {
            let mut space_pos = end + offset;
            if let Some(nl) = text[end..space_pos].iter().position(|&c| c == '\n') {
                space_pos = end + nl;
            }
            // Python raises IndexError (caught: keep the backslash) past the end.
            if let Some(&next) = text.get(space_pos + 1) {
                if text[space_pos] == '\n' && next != ' ' {
                    // keep the backslash
                } else if !text[end..space_pos].contains(&'"')
                    && !text[end..space_pos].contains(&'\'')
                    && next != ' '
                    && next != '\n'
                    && !(text[end - 1] == ' ' && text[end] == ' ')
                    && *start != end
                    // ruamel 0.19 drops the backslash at a break that is not at a space
                    // too (after an escape, say), and the break then reads back as a
                    // space that was never there: keep it (found by `data::props`).
                    && text[end] == ' '
                {
                    need_backslash = false;
                }
            }
        }
        let mut data: Vec<char> = if *start < end {
            text[*start..end].to_vec()
        } else {
            Vec::new()
        };
        if need_backslash {
            data.push('\\');
        }
        if *start < end {
            *start = end;
        }
        self.write(&data);
        self.write_indent();
        self.whitespace = false;
        self.indention = false;
        if text.get(*start) == Some(&' ') {
            if need_backslash {
                self.write_str("\\");
            } else {
                *start += 1;
            }
        }
    }
}

/// Render a string scalar the way ruamel writes it as the value of a block-mapping key.
///
/// `column` is the output column right after the key's `:` (e.g. 7 for `  path:`), and
/// `indent` the indentation of continuation lines (the mapping's indent + 2, e.g. 4 for an
/// out of a `.dvc` file). The result starts with the separator (normally one space) and has
/// no final newline. Example: `mapping_value("foo.txt", 7, 4) == " foo.txt"`.
pub fn mapping_value(value: &str, column: usize, indent: usize) -> String {
    let text: Vec<char> = value.chars().collect();
    let mut emitter = Emitter {
        out: String::new(),
        column,
        indent,
        whitespace: false,
        indention: false,
    };
    match choose_style(value) {
        ScalarStyle::Plain => emitter.write_plain(&text),
        ScalarStyle::SingleQuoted => emitter.write_single_quoted(&text),
        ScalarStyle::DoubleQuoted => emitter.write_double_quoted(&text),
    }
    emitter.out
}

/// `key: value` for a string value in a block mapping whose keys sit at `indent`, where
/// the key itself starts at `key_column` (differs from `indent` only after a `- `).
/// Returns the line(s) without a final newline and without the leading indentation.
pub fn key_value(key: &str, value: &str, key_column: usize, indent: usize) -> String {
    let column = key_column + key.chars().count() + 1;
    format!("{key}:{}", mapping_value(value, column, indent + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(s: &str) -> ScalarStyle {
        choose_style(s)
    }

    #[test]
    fn plain_names_from_spec() {
        for s in [
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "Yes",
            "NO",
            "-lead",
            "a:b",
            "with space",
            "ü",
            "日本",
            "emoji😀",
            "x'y",
            "x\"y",
            "?x",
            "a,b",
            "--",
            "a\\b",
            "foo.txt",
            "data",
            "81b9e20cc5e2a0d78483cfbb6454ec68.dir",
            "b1946ac92492d2347c6235b4d2611184",
        ] {
            // x'y contains a quote but is plain: the quote rule only applies once plain fails.
            assert_eq!(style(s), ScalarStyle::Plain, "{s:?}");
        }
    }

    #[test]
    fn single_quoted_from_spec() {
        for s in [
            "true",
            "False",
            "null",
            "~",
            "123",
            "1.5",
            "0x10",
            "1e3",
            "010",
            "2020-01-01",
            "a: b",
            "#x",
            "x #y",
            "@x",
            "%x",
            "!x",
            "*x",
            "&x",
            "[x",
            "{x",
            "trail ",
            " lead",
            ".inf",
            ".nan",
            "=",
            "|x",
            ">x",
            "x:",
            "-",
            "",
            "<<",
            "0b101",
            "0o17",
            "-12",
            "+1.",
            ".5",
            "1_000",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "---x",
            "...",
            "`x",
        ] {
            assert_eq!(style(s), ScalarStyle::SingleQuoted, "{s:?}");
        }
    }

    #[test]
    fn double_quoted_from_spec() {
        for s in ["'q", "tab\tx", "a\nb", "x\u{7f}", "bom\u{feff}", "a: 'b'"] {
            assert_eq!(style(s), ScalarStyle::DoubleQuoted, "{s:?}");
        }
    }

    #[test]
    fn resolver_edges() {
        assert!(!resolves_as_non_string("1.5.3"));
        assert!(!resolves_as_non_string("0x"));
        assert!(!resolves_as_non_string("1e"));
        assert!(!resolves_as_non_string(".e3"));
        assert!(resolves_as_non_string("1e10"));
        assert!(resolves_as_non_string("12e34"));
        assert!(!resolves_as_non_string(".5e3")); // 1.2 needs a sign in the exponent here
        assert!(resolves_as_non_string(".5e+3"));
        assert!(!resolves_as_non_string("2020-1-1"));
        assert!(resolves_as_non_string("2020-1-1T1:00:00"));
        assert!(!resolves_as_non_string("yes"));
        assert!(resolves_as_non_string("0123456789"));
        assert!(!resolves_as_non_string("0123456789abcdef0123456789abcdef"));
        // An all-digit md5 or digits-e-digits must be quoted (spec §1.3).
        assert!(resolves_as_non_string("01234567890123456789012345678901"));
        assert!(resolves_as_non_string("0123456789012345e0123456789012345"));
    }

    #[test]
    fn short_values() {
        assert_eq!(key_value("path", "foo.txt", 2, 2), "path: foo.txt");
        assert_eq!(key_value("path", "true", 2, 2), "path: 'true'");
        assert_eq!(key_value("path", "it's", 2, 2), "path: it's");
        assert_eq!(key_value("path", "'q", 2, 2), "path: \"'q\"");
        assert_eq!(key_value("path", "tab\tx", 2, 2), "path: \"tab\\tx\"");
        assert_eq!(key_value("path", "a\nb", 2, 2), "path: \"a\\nb\"");
        assert_eq!(key_value("path", "", 2, 2), "path: ''");
        assert_eq!(key_value("md5", "0123", 2, 2), "md5: '0123'");
    }

    #[test]
    fn long_word_wraps_with_trailing_space() {
        let x72 = "x".repeat(72);
        assert_eq!(key_value("path", &x72, 2, 2), format!("path: {x72}"));
        let x73 = "x".repeat(73);
        assert_eq!(key_value("path", &x73, 2, 2), format!("path: \n    {x73}"));
        // Code points, not bytes.
        let u72 = "ü".repeat(72);
        assert_eq!(key_value("path", &u72, 2, 2), format!("path: {u72}"));
    }

    /// Bytes observed from dvc 3.67.1 / ruamel 0.19.1 (`dumps_yaml`), one per style.
    #[test]
    fn folding_matches_ruamel() {
        let w = "word ".repeat(20);
        let line = |v: &str| key_value("path", v, 2, 2);
        assert_eq!(
            line(
                "a very long file name with many words in it that certainly exceeds the eighty column limit.txt"
            ),
            "path: a very long file name with many words in it that certainly exceeds the \n    eighty column limit.txt"
        );
        assert_eq!(
            line(&format!("true {w}end")),
            "path: true word word word word word word word word word word word word word \n    word word word word word word word end"
        );
        assert_eq!(
            line(&format!("#x {w}end")),
            "path: '#x word word word word word word word word word word word word word word\n    word word word word word word end'"
        );
        assert_eq!(
            line(&format!("tab\there {w}end")),
            "path: \"tab\\there word word word word word word word word word word word word word\n    word word word word word word word end\""
        );
        assert_eq!(
            key_value(
                "cmd",
                "mkdir -p outdir && echo hello > outdir/file.txt && cp script.sh run.sh && chmod +x run.sh",
                4,
                4
            ),
            "cmd: mkdir -p outdir && echo hello > outdir/file.txt && cp script.sh run.sh \n      && chmod +x run.sh"
        );
        // A single space at column 80 exactly becomes the line break (`>=` in write_plain).
        assert_eq!(
            key_value(
                "cmd",
                "mkdir -p outdir && echo hello > outdir/file.txt && printf 'echo hi\\n' > run.sh && chmod +x run.sh",
                4,
                4
            ),
            "cmd: mkdir -p outdir && echo hello > outdir/file.txt && printf 'echo hi\\n' >\n      run.sh && chmod +x run.sh"
        );
        let u73 = "ü".repeat(73);
        assert_eq!(line(&u73), format!("path: \n    {u73}"));
    }

    #[test]
    fn first_character_dispatch() {
        // `_` is not in the int resolver's first-character list.
        assert_eq!(style("_"), ScalarStyle::Plain);
        assert_eq!(style("_9"), ScalarStyle::Plain);
        assert_eq!(style("-_"), ScalarStyle::SingleQuoted);
    }
}

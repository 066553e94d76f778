//! What commands print: dvc's output conventions shared by several commands (Python-style
//! JSON, paths relative to the working directory). No command logic lives here.

/// `path` as dvc shows it: relative to the working directory (with `../` when outside).
pub fn relative_to_cwd(path: &std::path::Path, cwd: &std::path::Path) -> String {
    crate::data::pathsafe::relpath(path, cwd)
}

/// Render JSON like Python's `json.dumps` (`", "` and `": "` separators, ASCII escapes).
pub fn python_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    write_py(v, &mut out);
    out
}

fn write_py(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            out.push('{');
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py_str(k, out);
                out.push_str(": ");
                write_py(val, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, val) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py(val, out);
            }
            out.push(']');
        }
        Value::String(s) => write_py_str(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_py_str(s: &str, out: &mut String) {
    crate::data::tree::push_json_string(out, s);
}

/// `file` or `files`.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "file" } else { "files" }
}

/// dvc's `humanize.get_summary`: `1 file fetched`, `4 files fetched and 3 files added`.
pub fn summary_line(parts: &[(usize, &str)]) -> Option<String> {
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {} {what}", plural(*n)))
        .collect();
    match words.len() {
        0 => None,
        1 => Some(words[0].clone()),
        n => Some(format!(
            "{} and {}",
            words[..n - 1].join(", "),
            words[n - 1]
        )),
    }
}

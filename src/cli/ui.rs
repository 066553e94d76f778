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

/// The footer dvc prints after an unexpected error.
pub const SUPPORT: &str =
    "Having any troubles? Hit us up at https://dvc.org/support, we are always happy to help!";

/// dvc's `-q` silences its own error messages too (the logger drops everything below
/// CRITICAL): keep the exit code and print nothing, except the support footer of an
/// unexpected error, which dvc prints outside its logger.
pub fn quiet_errors(ctx: &super::Context, result: super::CommandResult) -> super::CommandResult {
    match result {
        Err(e) if ctx.quiet => {
            if e.message().ends_with(SUPPORT) {
                eprintln!("\n{SUPPORT}");
            }
            Err(super::CommandError::silent(e.exit_code()))
        }
        other => other,
    }
}

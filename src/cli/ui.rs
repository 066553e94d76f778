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

/// dvc's `ui.confirm` (gc, destroy): ask on stdout whatever stdin is, `statement [y/n]: `;
/// end of input or "no" refuses.
pub fn confirm(statement: &str) -> bool {
    ask_yes_no(&format!("{statement} [y/n]: "))
}

/// dvc's `prompt.confirm` (commit): only when stdout is a terminal, else the answer is no
/// without asking; the prompt is `statement [y/n] `.
pub fn prompt_confirm(statement: &str) -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && ask_yes_no(&format!("{statement} [y/n] "))
}

/// The terminal prompt for `ask_password` / `ask_passphrase`: dvc's `getpass`, on the
/// controlling terminal (`/dev/tty`) without echo, each question asked once per process.
/// It asks only when stderr is a terminal (so a script or a test that captures the output
/// is never held waiting on a terminal it does not see); otherwise, or at end of input,
/// there is no answer.
pub fn secret_prompt() -> crate::data::remote::SecretPrompt {
    use std::collections::HashMap;
    use std::sync::Mutex;
    let asked: Mutex<HashMap<String, Option<String>>> = Mutex::new(HashMap::new());
    crate::data::remote::SecretPrompt::new(move |prompt| {
        // One question at a time, as dvc's lock around its prompt.
        let mut asked = asked.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(answer) = asked.get(prompt) {
            return answer.clone();
        }
        use std::io::IsTerminal;
        let answer = if std::io::stderr().is_terminal() {
            rpassword::prompt_password(prompt).ok()
        } else {
            None
        };
        asked.insert(prompt.to_string(), answer.clone());
        answer
    })
}

fn ask_yes_no(prompt: &str) -> bool {
    use std::io::{BufRead, Write};
    let mut stdout = std::io::stdout();
    let stdin = std::io::stdin();
    loop {
        let _ = write!(stdout, "{prompt}");
        let _ = stdout.flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        // `input()` drops the newline only: " y" is not an answer.
        match line.trim_end_matches(['\n', '\r']).to_lowercase().as_str() {
            "y" | "yes" => return true,
            "n" | "no" => return false,
            _ => {
                let _ = writeln!(
                    stdout,
                    "Your response must be one of: ['yes', 'no', 'y', 'n']. Please try again."
                );
            }
        }
    }
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

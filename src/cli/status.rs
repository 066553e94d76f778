//! `status`: which outs differ from their pointers or are missing from the cache.

use super::context::{abs_targets, repo_error};
use super::{CommandError, CommandResult, Context};
use crate::data::repo::TargetError;
use crate::data::status;

/// Arguments of `status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Limit to these `.dvc` files or out paths.
    pub targets: Vec<String>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// Compare the cache with a remote.
    #[arg(short = 'c', long = "cloud")]
    pub cloud: bool,
    /// Remote for `-c`.
    #[arg(short = 'r', long = "remote")]
    pub remote: Option<String>,
}

/// Map target errors.
pub fn target_error(e: TargetError) -> CommandError {
    match e {
        TargetError::Repo(r) => repo_error(r),
        other => CommandError::failed(other),
    }
}

/// Run `status`.
pub fn run(ctx: &Context, args: StatusArgs) -> CommandResult {
    if args.cloud || args.remote.is_some() {
        return super::transfer::cloud_status(
            ctx,
            &args.targets,
            args.remote.as_deref(),
            args.json,
        );
    }
    let repo = ctx.open_repo()?;
    let _lock = ctx.lock(&repo)?;
    let cwd = ctx.cwd()?;
    let stages = repo
        .stages_for_targets(&abs_targets(&cwd, &args.targets))
        .map_err(target_error)?;
    let report = status::status(&repo, &stages)
        .map_err(|e| CommandError::from_error(super::error::ErrorKind::Failed, &e))?;
    // dvc shows stage files and outs relative to the working directory.
    let shown = |rel: &str| super::checkout::relative_to_cwd(&repo.root.join(rel), &cwd);
    let report: Vec<(String, Vec<(String, status::OutState)>)> = report
        .into_iter()
        .map(|(stage, outs)| {
            let stage = if stage.ends_with(".dvc") {
                shown(&stage)
            } else {
                stage
            };
            (
                stage,
                outs.into_iter().map(|(p, s)| (shown(&p), s)).collect(),
            )
        })
        .collect();
    if ctx.quiet {
        // dvc: `-q` prints nothing; exit 1 when something changed, except with `--json`.
        return if report.is_empty() || args.json {
            Ok(())
        } else {
            Err(CommandError::silent(1))
        };
    }
    if args.json {
        let mut obj = serde_json::Map::new();
        for (stage, outs) in &report {
            let mut m = serde_json::Map::new();
            for (p, s) in outs {
                m.insert(p.clone(), serde_json::Value::String(s.word().into()));
            }
            let entry = serde_json::json!([{ "changed outs": m }]);
            obj.insert(stage.clone(), entry);
        }
        // dvc prints json.dumps default separators.
        println!("{}", python_json(&serde_json::Value::Object(obj)));
        return Ok(());
    }
    if ctx.quiet {
        return if report.is_empty() {
            Ok(())
        } else {
            Err(CommandError::silent(1))
        };
    }
    if report.is_empty() {
        if stages.is_empty() && args.targets.is_empty() {
            println!(
                "There are no data or pipelines tracked in this project yet.\nSee <https://dvc.org/doc/start> to get started!"
            );
        } else {
            println!("Data and pipelines are up to date.");
        }
        return Ok(());
    }
    let mut text = String::new();
    for (stage, outs) in &report {
        text.push_str(&format!("{stage}:\n\tchanged outs:\n"));
        for (p, s) in outs {
            text.push_str(&format!("\t\t{:<20}{p}\n", format!("{}:", s.word())));
        }
    }
    print!("{text}");
    Ok(())
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
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) >= 0x7f => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

//! `git dvc remote add|modify|list|default|remove|rename`, byte-compatible with `dvc remote`.
//!
//! Each subcommand edits one config level the way dvc's `CmdRemote*` classes do (including
//! their side effects: `remove` and `rename` also rewrite the levels above the edited one, so
//! `.dvc/config.local` appears as a single `\n` after `dvc remote remove`). Remote names are
//! lowercased (the new name of `rename` is not, as in dvc). Secrets never appear in output:
//! `list` prints only names and urls, with any password inside a url masked.

use std::path::Path;

use super::config::{LevelArgs, Session, load_session, print};
use super::{CommandError, CommandResult, Context};
use crate::data::config::{
    ConfigError, Item, Level, Table, Value, is_path_option, merge, py_repr, store_path,
};

/// Arguments of `remote`.
#[derive(Debug, clap::Args)]
pub struct RemoteArgs {
    /// The remote subcommand.
    #[command(subcommand)]
    pub command: RemoteCommand,
}

/// `remote` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum RemoteCommand {
    /// Add a new data remote.
    Add(AddArgs),
    /// Set/unset the default data remote.
    Default(DefaultArgs),
    /// Modify the configuration of a data remote.
    Modify(ModifyArgs),
    /// List all available data remotes.
    List(ListArgs),
    /// Remove a data remote.
    Remove(RemoveArgs),
    /// Rename a DVC remote.
    Rename(RenameArgs),
}

/// `remote add`.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    #[command(flatten)]
    /// Which config file.
    pub level: LevelArgs,
    /// Set as default remote.
    #[arg(short = 'd', long)]
    pub default: bool,
    /// Force overwriting existing configs.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Name of the remote.
    pub name: String,
    /// Remote location (a path or URL).
    pub url: String,
}

/// `remote default`.
#[derive(Debug, clap::Args)]
pub struct DefaultArgs {
    #[command(flatten)]
    /// Which config file.
    pub level: LevelArgs,
    /// Unset default remote.
    #[arg(short = 'u', long)]
    pub unset: bool,
    /// Name of the remote.
    pub name: Option<String>,
}

/// `remote modify`.
#[derive(Debug, clap::Args)]
pub struct ModifyArgs {
    #[command(flatten)]
    /// Which config file.
    pub level: LevelArgs,
    /// Unset option.
    #[arg(short = 'u', long)]
    pub unset: bool,
    /// Name of the remote.
    pub name: String,
    /// Name of the option to modify.
    pub option: String,
    /// Value of the option.
    #[arg(allow_negative_numbers = true)]
    pub value: Option<String>,
}

/// `remote list`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[command(flatten)]
    /// Which config file.
    pub level: LevelArgs,
}

/// `remote remove`.
#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    /// Which config file.
    pub level: LevelArgs,
    /// Name of the remote to remove.
    pub name: String,
}

/// `remote rename`.
#[derive(Debug, clap::Args)]
pub struct RenameArgs {
    #[command(flatten)]
    /// Which config file.
    pub level: LevelArgs,
    /// Remote to be renamed.
    pub name: String,
    /// New name of the remote.
    pub new: String,
}

/// Run `remote`.
pub fn run(ctx: &Context, args: RemoteArgs) -> CommandResult {
    let mut session = load_session(&ctx.env)?;
    match args.command {
        RemoteCommand::Add(a) => add(&mut session, a),
        RemoteCommand::Default(a) => default(&mut session, a),
        RemoteCommand::Modify(a) => modify(&mut session, a),
        RemoteCommand::List(a) => list(&session, a),
        RemoteCommand::Remove(a) => remove(&mut session, a),
        RemoteCommand::Rename(a) => rename(&mut session, a),
    }
}

fn cfg_err(message: impl Into<String>) -> CommandError {
    CommandError::from(ConfigError::Other {
        message: message.into(),
    })
}

fn edit(session: &Session, level: Level) -> Result<Table, CommandError> {
    session.config.edit_level(level).map_err(CommandError::from)
}

fn write(session: &mut Session, level: Level, conf: Table) -> CommandResult {
    session
        .config
        .write_level(level, conf)
        .map_err(CommandError::from)
}

fn remotes(conf: &Table) -> Option<&Table> {
    conf.table("remote")
}

fn has_remote(conf: &Table, name: &str) -> bool {
    remotes(conf).is_some_and(|r| r.contains(name))
}

fn core_remote(conf: &Table) -> Option<&Value> {
    conf.table("core").and_then(|c| c.value("remote"))
}

fn is_default(conf: &Table, name: &str) -> bool {
    core_remote(conf).is_some_and(|v| v.as_str() == Some(name))
}

/// A path option typed on the command line, stored relative to the level file's directory.
fn stored_value(session: &Session, level: Level, option: &str, value: &str) -> String {
    match session
        .config
        .file(level)
        .and_then(|f| f.parent().map(Path::to_path_buf))
    {
        Some(dir) if is_path_option("remote", option) => store_path(value, &session.cwd, &dir),
        _ => value.to_string(),
    }
}

fn add(session: &mut Session, a: AddArgs) -> CommandResult {
    let name = a.name.to_lowercase();
    let level = a.level.level().unwrap_or(Level::Repo);
    if a.default {
        print(&format!("Setting '{name}' as a default remote.\n"));
    }
    let mut conf = edit(session, level)?;
    if has_remote(&conf, &name) && !a.force {
        return Err(cfg_err(format!(
            "remote '{name}' already exists. Use `-f|--force` to overwrite it."
        )));
    }
    let mut remote = Table::new();
    remote.set_str("url", stored_value(session, level, "url", &a.url));
    conf.table_mut("remote")
        .insert(name.clone(), Item::Table(remote));
    if a.default {
        conf.table_mut("core").set_str("remote", name);
    }
    write(session, level, conf)
}

fn default(session: &mut Session, a: DefaultArgs) -> CommandResult {
    let level = a.level.level();
    let name = a.name.map(|n| n.to_lowercase());
    match name {
        None if !a.unset => {
            let conf = match level {
                Some(l) => {
                    session.levels_for(Some(l))?;
                    session.config.read_level_resolved(l)
                }
                None => session.config.merged(),
            };
            match core_remote(&conf) {
                Some(v) => print(&format!("{}\n", v.display())),
                None => {
                    print("No default remote set\n");
                    return Err(CommandError::silent(1));
                }
            }
            Ok(())
        }
        _ => {
            let level = level.unwrap_or(Level::Repo);
            let mut conf = edit(session, level)?;
            if a.unset {
                conf.table_mut("core").remove("remote");
            } else {
                let name = name.unwrap_or_default();
                let below = session.config.merged_below(Some(level));
                if has_remote(&conf, &name) || has_remote(&below, &name) {
                    conf.table_mut("core").set_str("remote", name);
                } else {
                    return Err(cfg_err("default remote must be present in remote list."));
                }
            }
            write(session, level, conf)
        }
    }
}

fn modify(session: &mut Session, a: ModifyArgs) -> CommandResult {
    let name = a.name.to_lowercase();
    let level = a.level.level();
    let target = level.unwrap_or(Level::Repo);
    let mut conf = edit(session, target)?;
    let mut merged = session.config.merged_below(level);
    merge(&mut merged, &conf);
    if !has_remote(&merged, &name) {
        return Err(cfg_err(format!("remote '{name}' doesn't exist.")));
    }
    // The option keeps its case (dvc does not lowercase it, so `Region` fails validation).
    let section = conf.table_mut("remote").table_mut(&name);
    if a.unset {
        section.remove(&a.option);
        return write(session, target, conf);
    }
    match a.value.as_deref() {
        Some(v) => {
            let v = stored_value(session, target, &a.option, v);
            conf.table_mut("remote")
                .table_mut(&name)
                .set_str(a.option.clone(), v);
            write(session, target, conf)
        }
        None => {
            // dvc stores Python `None`, which fails validation for every typed option
            // (`expected str`, `expected int`, ...); an empty list reproduces those messages.
            section.insert(a.option.clone(), Item::Value(Value::List(Vec::new())));
            session
                .config
                .check_level(target, &conf)
                .map_err(CommandError::from)?;
            conf.table_mut("remote")
                .table_mut(&name)
                .set_str(a.option.clone(), "None");
            write(session, target, conf)
        }
    }
}

fn list(session: &Session, a: ListArgs) -> CommandResult {
    let level = a.level.level();
    let conf = match level {
        Some(l) => {
            session.levels_for(Some(l))?;
            session.config.read_level_resolved(l)
        }
        None => session.config.merged(),
    };
    let default = core_remote(&conf)
        .and_then(Value::as_str)
        .map(str::to_string);
    let width = terminal_width(&session.env);
    let mut out = String::new();
    if let Some(remotes) = remotes(&conf) {
        for (name, item) in remotes.iter() {
            let url = match item {
                Item::Table(t) => t.value("url").map(Value::display),
                Item::Value(_) => None,
            };
            let Some(url) = url else {
                // dvc prints the remotes before the one that breaks it.
                print(&out);
                return Err(CommandError::unhandled(format!(
                    "unexpected error - {}\n\nHaving any troubles? Hit us up at https://dvc.org/support, we are always happy to help!",
                    py_repr("url")
                )));
            };
            let mut text = format!("{name}\t{}", redact_url(&url));
            if default.as_deref() == Some(name) {
                text.push_str("\t(default)");
            }
            for line in rich_wrap(&expand_tabs(&text), width) {
                out.push_str(&line);
                out.push('\n');
            }
        }
    }
    print(&out);
    Ok(())
}

fn remove(session: &mut Session, a: RemoveArgs) -> CommandResult {
    let name = a.name.to_lowercase();
    let level = a.level.level().unwrap_or(Level::Repo);
    let mut conf = edit(session, level)?;
    if !has_remote(&conf, &name) {
        return Err(cfg_err(format!("remote '{name}' doesn't exist.")));
    }
    conf.table_mut("remote").remove(&name);
    write(session, level, conf)?;
    // dvc then drops `core.remote` naming it from every level from the top down to this one,
    // rewriting each (creating `.dvc/config.local` as "\n" when it was absent).
    for l in Level::ALL.into_iter().rev() {
        let mut conf = edit(session, l)?;
        if is_default(&conf, &name) {
            conf.table_mut("core").remove("remote");
        }
        write(session, l, conf)?;
        if l == level {
            break;
        }
    }
    Ok(())
}

fn rename(session: &mut Session, a: RenameArgs) -> CommandResult {
    let name = a.name.to_lowercase();
    let new = a.new;
    let level = a.level.level().unwrap_or(Level::Repo);
    if has_remote(&session.config.merged(), &new) {
        return Err(cfg_err(format!(
            "Rename failed. Remote name {} already exists.",
            py_repr(&new)
        )));
    }
    let mut conf = edit(session, level)?;
    if !has_remote(&conf, &name) {
        return Err(cfg_err(format!("remote '{name}' doesn't exist.")));
    }
    let remotes = conf.table_mut("remote");
    if let Some(item) = remotes.remove(&name) {
        remotes.insert(new.clone(), item);
    }
    if is_default(&conf, &name) {
        conf.table_mut("core").set_str("remote", new.clone());
    }
    write(session, level, conf)?;
    for l in Level::ALL.into_iter().rev() {
        if l == level {
            break;
        }
        let mut conf = edit(session, l)?;
        if is_default(&conf, &name) {
            conf.table_mut("core").set_str("remote", new.clone());
        }
        write(session, l, conf)?;
    }
    Ok(())
}

/// `scheme://user:password@host/…` → `scheme://user:***@host/…`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((userinfo, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
        None => url.to_string(),
    }
}

/// rich's `Text.expand_tabs(8)`.
fn expand_tabs(text: &str) -> String {
    let mut out = String::new();
    let mut col = 0;
    for c in text.chars() {
        if c == '\t' {
            let n = 8 - col % 8;
            out.push_str(&" ".repeat(n));
            col += n;
        } else {
            out.push(c);
            col += 1;
        }
    }
    out
}

/// The width rich wraps styled output at: `$COLUMNS`, the terminal's width, else 80.
fn terminal_width(env: &crate::env::ProcessEnv) -> usize {
    if let Some(c) = env.columns.filter(|c| *c > 0) {
        return c;
    }
    // SAFETY: TIOCGWINSZ fills a plain struct; failure (not a tty) leaves it zeroed.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
    if r == 0 && ws.ws_col > 0 {
        usize::from(ws.ws_col)
    } else {
        80
    }
}

/// rich's `divide_line` with folding: words (`\s*\S+\s*`) move to the next line when they do
/// not fit; words longer than the width are chopped.
fn rich_wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let width = width.max(1);
    // Word spans.
    let mut words = Vec::new();
    let mut p = 0;
    while p < chars.len() {
        let start = p;
        while p < chars.len() && chars[p].is_whitespace() {
            p += 1;
        }
        if p == chars.len() {
            break;
        }
        while p < chars.len() && !chars[p].is_whitespace() {
            p += 1;
        }
        while p < chars.len() && chars[p].is_whitespace() {
            p += 1;
        }
        words.push((start, p));
    }
    let mut breaks = Vec::new();
    let mut offset = 0;
    for (start, end) in words {
        let word = &chars[start..end];
        let trimmed = word.iter().rev().skip_while(|c| c.is_whitespace()).count();
        if width.saturating_sub(offset) >= trimmed {
            offset += word.len();
        } else if trimmed > width {
            let mut s = start;
            let chunks: Vec<&[char]> = word.chunks(width).collect();
            for (i, chunk) in chunks.iter().enumerate() {
                if s > 0 {
                    breaks.push(s);
                }
                if i + 1 == chunks.len() {
                    offset = chunk.len();
                } else {
                    s += chunk.len();
                }
            }
        } else if offset > 0 && start > 0 {
            breaks.push(start);
            offset = word.len();
        }
    }
    let mut lines = Vec::new();
    let mut last = 0;
    for b in breaks {
        if b > last {
            lines.push(chars[last..b].iter().collect());
            last = b;
        }
    }
    lines.push(chars[last..].iter().collect());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines_match_rich() {
        assert_eq!(
            expand_tabs("myremote\t/srv/store\t(default)"),
            "myremote        /srv/store      (default)"
        );
        assert_eq!(
            expand_tabs("s3r\ts3://bucket/prefix"),
            "s3r     s3://bucket/prefix"
        );
        let long = format!("/srv/{}/{}", "a".repeat(96), "b".repeat(26));
        let lines = rich_wrap(&expand_tabs(&format!("longr\t{long}")), 80);
        assert_eq!(
            lines,
            vec![
                "longr   ".to_string(),
                long[..80].to_string(),
                long[80..].to_string()
            ]
        );
        assert_eq!(rich_wrap("a       /b", 80), vec!["a       /b".to_string()]);
    }

    #[test]
    fn urls_with_passwords_are_masked() {
        assert_eq!(redact_url("https://u:pw@h/p"), "https://u:***@h/p");
        assert_eq!(redact_url("s3://bucket/p@x"), "s3://bucket/p@x");
        assert_eq!(redact_url("/srv/store"), "/srv/store");
    }
}

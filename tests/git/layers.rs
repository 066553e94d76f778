//! The architecture, checked: imports between the crate's layers go one way
//! (`cli` → `hooks`, `filter` → `worktree` → `data` and `git`; `env` beside them), there is
//! no cycle between top-level modules nor between the commands inside `cli`, only `env`
//! reads the process environment, and file IO outside the opted-out hot paths goes
//! through fs-err. See docs/ARCHITECTURE.md.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/` and every `.rs` file under it.
fn src_files() -> (PathBuf, Vec<PathBuf>) {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    (root, files)
}

/// The file's code without its unit tests (by convention the `#[cfg(test)]` module is
/// last) and without comments.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("read source");
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => &text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Top-level module of a file under `src/`: `data`, `cli`, ..., or `root`/`bin`.
fn top_module(rel: &Path) -> String {
    let first = rel.components().next().expect("component");
    let first = first.as_os_str().to_string_lossy();
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => "root".into(),
        Some(name) => name.into(),
        None => first.into_owned(),
    }
}

/// `crate::<name>` references in `text`.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            refs.insert(name);
        }
        rest = after;
    }
    refs
}

/// Which top-level modules each top-level module may import.
fn allowed(module: &str) -> Option<&'static [&'static str]> {
    Some(match module {
        "data" => &["data"],
        "git" => &["git", "data"],
        "env" => &["env", "data"],
        "worktree" => &["worktree", "data", "git", "env"],
        "progress" => &["progress", "data"],
        "filter" => &["filter", "worktree", "data", "git", "env", "progress"],
        "hooks" => &["hooks", "worktree", "data", "git", "env", "progress"],
        "fuzzing" => &["fuzzing", "data", "filter"],
        "cli" => &[
            "cli", "hooks", "filter", "worktree", "data", "git", "env", "progress",
        ],
        // The binaries and lib.rs are glue.
        "root" | "bin" => return None,
        _ => &[],
    })
}

fn top_level_graph() -> BTreeMap<String, BTreeSet<String>> {
    let (root, files) = src_files();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(&root).expect("under src");
        let module = top_module(rel);
        let refs = crate_refs(&code(&file));
        graph
            .entry(module.clone())
            .or_default()
            .extend(refs.into_iter().filter(|r| *r != module));
    }
    graph
}

#[test]
fn imports_go_one_way() {
    let (root, files) = src_files();
    let mut violations = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&root).expect("under src");
        let module = top_module(rel);
        let Some(allowed) = allowed(&module) else {
            continue;
        };
        for r in crate_refs(&code(file)) {
            if !allowed.contains(&r.as_str()) {
                violations.push(format!("{} imports crate::{r}", rel.display()));
            }
        }
        let text = code(file);
        if module == "data" {
            for forbidden in ["clap::", "indicatif::", "git_dvc::"] {
                if text.contains(forbidden) {
                    violations.push(format!("{} uses {forbidden}", rel.display()));
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "layering violations:\n{}",
        violations.join("\n")
    );
}

/// The check itself must be able to fail: a `data` file naming `crate::git` is caught.
#[test]
fn layer_check_catches_an_upward_import() {
    let refs = crate_refs("use crate::git::Git;\nfn f() { crate::worktree::lock(); }");
    let allowed = allowed("data").expect("rules for data");
    let bad: Vec<_> = refs
        .iter()
        .filter(|r| !allowed.contains(&r.as_str()))
        .collect();
    assert_eq!(bad, vec!["git", "worktree"]);
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if next != node
                && let Some(c) = visit(next, graph, stack, done)
            {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_cycle_between_top_level_modules() {
    let mut graph = top_level_graph();
    graph.remove("root");
    graph.remove("bin");
    for edges in graph.values_mut() {
        edges.remove("root");
    }
    assert_eq!(find_cycle(&graph), None, "graph: {graph:?}");
}

#[test]
fn cycle_check_can_fail() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("a".into());
    assert!(find_cycle(&graph).is_some());
}

/// Inside `cli`, the commands' files form no cycle (`mod.rs`, the dispatcher, and the
/// names it re-exports are left out).
#[test]
fn no_cycle_between_cli_commands() {
    let dir = src().join("cli");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("read cli") {
        let path = entry.expect("entry").path();
        if let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            && path.extension().is_some_and(|e| e == "rs")
            && stem != "mod"
        {
            names.insert(stem.to_owned());
        }
    }
    for name in &names {
        let text = code(&dir.join(format!("{name}.rs")));
        let mut edges = BTreeSet::new();
        for prefix in ["super::", "crate::cli::"] {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(prefix) {
                let after = &rest[i + prefix.len()..];
                let target: String = after
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if names.contains(&target) && target != *name {
                    edges.insert(target);
                }
                rest = after;
            }
        }
        graph.insert(name.clone(), edges);
    }
    assert_eq!(find_cycle(&graph), None, "cli graph: {graph:?}");
}

/// Only `src/env.rs` reads the process environment; everything else gets a `ProcessEnv`.
#[test]
fn only_env_reads_the_environment() {
    let (root, files) = src_files();
    let mut violations = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&root).expect("under src");
        if rel == Path::new("env.rs") {
            continue;
        }
        let text = code(file);
        for call in [
            "env::var(",
            "env::var_os(",
            "env::vars(",
            "env::args(",
            "env::current_dir(",
        ] {
            if text.contains(call) {
                violations.push(format!("{} calls std::{call}..)", rel.display()));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "read the environment through ProcessEnv:\n{}",
        violations.join("\n")
    );
}

/// Outside the hot-path modules that opt out in their header, no std::fs function that
/// fs-err replaces is called (clippy.toml says the same for `cargo clippy`).
#[test]
fn file_io_goes_through_fs_err() {
    let (root, files) = src_files();
    let mut violations = Vec::new();
    for file in &files {
        let text = code(file);
        if text.contains("#![expect(\n    clippy::disallowed_methods") {
            continue;
        }
        let rel = file.strip_prefix(&root).expect("under src");
        for (n, line) in text.lines().enumerate() {
            let Some(i) = line.find("std::fs::") else {
                continue;
            };
            let after = &line[i + "std::fs::".len()..];
            let is_call = after
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .next()
                .is_some_and(|name| {
                    name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                        || name.starts_with("File::")
                });
            let excused = text
                .lines()
                .skip(n.saturating_sub(4))
                .take(4)
                .any(|l| l.contains("clippy::disallowed_methods"));
            if is_call && !excused {
                violations.push(format!("{}:{}: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "use fs_err (or data::atomic::write):\n{}",
        violations.join("\n")
    );
}

//! The little git-dvc needs from `dvc.yaml`: per stage, `wdir` and the out flags that
//! live only there (`cache: false`, `persist`, `push: false`, `remote:`), and the order in
//! which dvc lists the outs (`outs`, then `metrics`, then `plots`, as written). Running
//! pipelines is out of scope; `dvc.lock` holds the hashes.
//!
//! Stage names and out paths are resolved the way dvc's `dvc/parsing` does for the
//! common cases, because the lock file names the *generated* stages (`loop@a`,
//! `train@gpu-v1`) and interpolated paths (`${name}.txt` -> `model.txt`): `vars:` (inline
//! mappings and files, `params.yaml` by default), stage `vars:`, `foreach:` (list or
//! mapping, with `item` and `key`), `matrix:` and `${a.b[0]}` interpolation. What cannot
//! be resolved stays literal and matches no lock entry (the out keeps dvc's defaults).

use serde_yaml::{Mapping, Value};
use std::collections::HashMap;
use std::path::Path;

/// Flags of one out declared in `dvc.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFlags {
    /// `cache:` (default true).
    pub cache: bool,
    /// `persist:` (default false).
    pub persist: bool,
    /// `push:` (default true).
    pub push: bool,
    /// `remote:`.
    pub remote: Option<String>,
    /// Position among the stage's outs, metrics and plots (dvc's order in `status`).
    pub order: usize,
    /// Which list declares it (`fetch --type`).
    pub kind: OutKind,
}

/// The `dvc.yaml` list an out is declared in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OutKind {
    /// `outs:`.
    #[default]
    Out,
    /// `metrics:`.
    Metric,
    /// `plots:`.
    Plot,
}

impl Default for OutFlags {
    fn default() -> Self {
        OutFlags {
            cache: true,
            persist: false,
            push: true,
            remote: None,
            order: 0,
            kind: OutKind::Out,
        }
    }
}

/// What `dvc.yaml` says about one stage.
#[derive(Debug, Clone, Default)]
pub struct StageFlags {
    /// `wdir:`.
    pub wdir: Option<String>,
    /// Out path -> flags, for outs, metrics and plots.
    pub outs: HashMap<String, OutFlags>,
}

/// Read `dvc.yaml` leniently: a missing or unreadable file means "no flags" (the lock
/// file alone still describes the outs). `vars` files are read beside it.
pub fn read_flags(path: &Path) -> HashMap<String, StageFlags> {
    let dir = path.parent().unwrap_or(Path::new("."));
    match fs_err::read_to_string(path) {
        Ok(text) => flags_with_files(&text, &|rel| fs_err::read_to_string(dir.join(rel)).ok()),
        Err(_) => HashMap::new(),
    }
}

/// [`read_flags`] on `dvc.yaml` text (e.g. a blob from a past revision), with no `vars`
/// files to read.
pub fn flags_from_text(text: &str) -> HashMap<String, StageFlags> {
    flags_with_files(text, &|_| None)
}

/// [`read_flags`] on `dvc.yaml` text; `read` gives the text of a file relative to the
/// `dvc.yaml` directory (`params.yaml` and other `vars` files).
pub fn flags_with_files(
    text: &str,
    read: &dyn Fn(&str) -> Option<String>,
) -> HashMap<String, StageFlags> {
    let mut out = HashMap::new();
    let Ok(doc) = serde_yaml::from_str::<Value>(text) else {
        return out;
    };
    let Some(stages) = doc.get("stages").and_then(|s| s.as_mapping()) else {
        return out;
    };
    let mut context = Mapping::new();
    let explicit = doc.get("vars").and_then(Value::as_sequence);
    let names_default = explicit.is_some_and(|v| {
        v.iter().any(|i| {
            i.as_str()
                .is_some_and(|s| s.split(':').next() == Some("params.yaml"))
        })
    });
    if !names_default {
        load_vars_file(&mut context, "params.yaml", read);
    }
    load_vars(&mut context, doc.get("vars"), read);
    for (name, stage) in stages {
        let Some(name) = name.as_str() else { continue };
        let Some(def) = stage.as_mapping() else {
            continue;
        };
        if let Some(foreach) = def.get("foreach") {
            let iterable = resolve_value(foreach, &context);
            let Some(template) = def.get("do") else {
                continue;
            };
            for (key, item) in normalized(&iterable) {
                let mut ctx = context.clone();
                ctx.insert("item".into(), item.clone());
                if matches!(iterable, Value::Mapping(_)) {
                    ctx.insert("key".into(), Value::String(key.clone()));
                }
                add_stage(&mut out, format!("{name}@{key}"), template, ctx, read);
            }
        } else if let Some(matrix) = def.get("matrix") {
            let matrix = resolve_value(matrix, &context);
            let Some(m) = matrix.as_mapping() else {
                continue;
            };
            for (key, item) in matrix_items(m) {
                let mut ctx = context.clone();
                ctx.insert("item".into(), item);
                add_stage(&mut out, format!("{name}@{key}"), stage, ctx, read);
            }
        } else {
            add_stage(&mut out, name.to_string(), stage, context.clone(), read);
        }
    }
    out
}

fn add_stage(
    out: &mut HashMap<String, StageFlags>,
    name: String,
    def: &Value,
    mut ctx: Mapping,
    read: &dyn Fn(&str) -> Option<String>,
) {
    load_vars(&mut ctx, def.get("vars"), read);
    let mut flags = StageFlags {
        wdir: def
            .get("wdir")
            .and_then(|w| w.as_str())
            .map(|w| interpolate(w, &ctx)),
        ..StageFlags::default()
    };
    let mut order = 0;
    for (key, kind) in [
        ("outs", OutKind::Out),
        ("metrics", OutKind::Metric),
        ("plots", OutKind::Plot),
    ] {
        let Some(list) = def.get(key).and_then(|l| l.as_sequence()) else {
            continue;
        };
        for item in list {
            if let Some(p) = item.as_str() {
                let p = interpolate(p, &ctx);
                flags.outs.entry(p).or_insert(OutFlags {
                    order,
                    kind,
                    ..OutFlags::default()
                });
                order += 1;
            } else if let Some(m) = item.as_mapping() {
                for (p, opts) in m {
                    let Some(p) = p.as_str() else { continue };
                    let get_bool = |k: &str| opts.get(k).and_then(|v| v.as_bool());
                    flags.outs.entry(interpolate(p, &ctx)).or_insert(OutFlags {
                        cache: get_bool("cache").unwrap_or(true),
                        persist: get_bool("persist").unwrap_or(false),
                        push: get_bool("push").unwrap_or(true),
                        remote: opts
                            .get("remote")
                            .and_then(|v| v.as_str())
                            .map(|r| interpolate(r, &ctx)),
                        order,
                        kind,
                    });
                    order += 1;
                }
            }
        }
    }
    out.insert(name, flags);
}

/// `vars:` entries: inline mappings, or files (`f.yaml`, `f.yaml:a,b`), merged in order.
fn load_vars(ctx: &mut Mapping, vars: Option<&Value>, read: &dyn Fn(&str) -> Option<String>) {
    let Some(list) = vars.and_then(Value::as_sequence) else {
        return;
    };
    for v in list {
        match v {
            Value::Mapping(m) => merge(ctx, m),
            Value::String(s) => load_vars_file(ctx, s, read),
            _ => {}
        }
    }
}

fn load_vars_file(ctx: &mut Mapping, spec: &str, read: &dyn Fn(&str) -> Option<String>) {
    let (file, keys) = match spec.split_once(':') {
        Some((f, k)) => (f, Some(k)),
        None => (spec, None),
    };
    let Some(Value::Mapping(m)) = read(file).and_then(|t| serde_yaml::from_str(&t).ok()) else {
        return;
    };
    match keys {
        None => merge(ctx, &m),
        Some(keys) => {
            for k in keys.split(',').map(str::trim) {
                if let Some(v) = lookup(&Value::Mapping(m.clone()), k) {
                    ctx.insert(Value::String(k.to_string()), v.clone());
                }
            }
        }
    }
}

fn merge(ctx: &mut Mapping, m: &Mapping) {
    for (k, v) in m {
        ctx.insert(k.clone(), v.clone());
    }
}

/// dvc's `normalized_iterable` for `foreach`: mapping keys, list indexes when the list
/// holds containers, else the items themselves.
fn normalized(iterable: &Value) -> Vec<(String, Value)> {
    match iterable {
        Value::Mapping(m) => m.iter().map(|(k, v)| (to_str(k), v.clone())).collect(),
        Value::Sequence(items) => {
            let composite = items
                .iter()
                .any(|v| matches!(v, Value::Mapping(_) | Value::Sequence(_)));
            items
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let key = if composite { i.to_string() } else { to_str(v) };
                    (key, v.clone())
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// dvc's matrix product: names join `value` (or `key<index>` for containers) with `-`.
fn matrix_items(m: &Mapping) -> Vec<(String, Value)> {
    let mut combos: Vec<(Vec<String>, Mapping)> = vec![(Vec::new(), Mapping::new())];
    for (k, values) in m {
        let Some(values) = values.as_sequence() else {
            return Vec::new();
        };
        let mut next = Vec::new();
        for (frags, d) in &combos {
            for (i, v) in values.iter().enumerate() {
                let mut frags = frags.clone();
                frags.push(if matches!(v, Value::Mapping(_) | Value::Sequence(_)) {
                    format!("{}{i}", to_str(k))
                } else {
                    to_str(v)
                });
                let mut d = d.clone();
                d.insert(k.clone(), v.clone());
                next.push((frags, d));
            }
        }
        combos = next;
    }
    combos
        .into_iter()
        .map(|(f, d)| (f.join("-"), Value::Mapping(d)))
        .collect()
}

/// Resolve `${…}` in a value that may stand for a whole list or mapping.
fn resolve_value(v: &Value, ctx: &Mapping) -> Value {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if let Some(inner) = t.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
                && !inner.contains('}')
                && let Some(found) = lookup(&Value::Mapping(ctx.clone()), inner.trim())
            {
                return found.clone();
            }
            Value::String(interpolate(s, ctx))
        }
        other => other.clone(),
    }
}

/// Replace each `${key}` (not `\${`) with its value from `ctx`; unknown keys stay.
fn interpolate(s: &str, ctx: &Mapping) -> String {
    let root = Value::Mapping(ctx.clone());
    let mut out = String::new();
    let mut rest = s;
    while let Some(pos) = rest.find("${") {
        if pos > 0 && rest.as_bytes()[pos - 1] == b'\\' {
            out.push_str(&rest[..pos - 1]);
            out.push_str("${");
            rest = &rest[pos + 2..];
            continue;
        }
        let Some(end) = rest[pos..].find('}') else {
            break;
        };
        out.push_str(&rest[..pos]);
        let inner = rest[pos + 2..pos + end].trim();
        match lookup(&root, inner) {
            Some(v) => out.push_str(&to_str(v)),
            None => out.push_str(&rest[pos..pos + end + 1]),
        }
        rest = &rest[pos + end + 1..];
    }
    out.push_str(rest);
    out
}

/// `a.b[0].c` in a nested value.
fn lookup<'v>(root: &'v Value, key: &str) -> Option<&'v Value> {
    let mut cur = root;
    for part in key.replace('[', ".").replace(']', "").split('.') {
        if part.is_empty() {
            return None;
        }
        cur = match cur {
            Value::Mapping(m) => m.get(part)?,
            Value::Sequence(s) => s.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Python's `str` as dvc's `to_str` uses it (`true`/`false` for booleans).
fn to_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => "None".into(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim_end().to_string())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_stages_and_interpolated_paths() {
        let yaml = "vars:\n- name: nc2\n- cfg.yaml:sub\nstages:\n  build:\n    cmd: x\n    outs:\n    - c.txt\n    - ${name}.txt:\n        cache: false\n    - ${sub.out}:\n        push: false\n    metrics:\n    - m.json:\n        cache: false\n  loop:\n    foreach: [a, b]\n    do:\n      cmd: echo\n      outs:\n      - ${item}.txt:\n          cache: false\n  dicts:\n    foreach:\n      x: {f: one}\n    do:\n      cmd: echo\n      outs:\n      - ${key}-${item.f}:\n          persist: true\n  mat:\n    matrix:\n      os: [lin, mac]\n      v: [1]\n    cmd: echo\n    outs:\n    - ${item.os}${item.v}.bin:\n        remote: r\n";
        let read = |f: &str| match f {
            "cfg.yaml" => Some("sub:\n  out: deep.txt\n".to_string()),
            "params.yaml" => Some("other: 1\n".to_string()),
            _ => None,
        };
        let f = flags_with_files(yaml, &read);
        let b = &f["build"];
        assert!(b.outs["c.txt"].cache && b.outs["c.txt"].order == 0);
        assert!(!b.outs["nc2.txt"].cache);
        assert!(!b.outs["deep.txt"].push);
        assert_eq!(b.outs["m.json"].order, 3);
        assert!(!f["loop@a"].outs["a.txt"].cache);
        assert!(!f["loop@b"].outs["b.txt"].cache);
        assert!(f["dicts@x"].outs["x-one"].persist);
        assert_eq!(f["mat@lin-1"].outs["lin1.bin"].remote.as_deref(), Some("r"));
        assert!(f.contains_key("mat@mac-1"));
        assert_eq!(interpolate("a\\${b}c", &Mapping::new()), "a${b}c");
    }
}

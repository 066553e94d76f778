//! The stage checksum of a `.dvc` file with deps (imports): dvc's
//! `dvc/stage/utils.py::compute_md5`, the md5 of `json.dumps(d, sort_keys=True)` where
//! `d` is the stage's `dumpd()` without `md5`, `meta` and `desc`, and without the keys
//! `desc, type, labels, meta, locked, frozen, metric, persist, isexec, size, nfiles` at
//! any depth. dvc writes the file from `dumpd()`, so the file's own content stands for
//! it. A `dvc add` stage (no deps) has no stage md5.

use serde_yaml::Value;

use super::ParseError;
use super::parse::load;
use super::render::Scalar;

const EXCLUDED: &[&str] = &[
    "desc", "type", "labels", "meta", "locked", "frozen", "metric", "persist", "isexec", "size",
    "nfiles",
];

/// What the stage md5 of `text` should be (`None`: a stage without deps has none), and
/// what it records.
pub fn stage_md5(text: &str) -> Result<(Option<String>, Option<String>), ParseError> {
    let Value::Mapping(mut map) = load(text)? else {
        return Ok((None, None));
    };
    let recorded = match map.get("md5") {
        Some(Value::String(s)) => Some(s.to_lowercase()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let has_deps = matches!(map.get("deps"), Some(Value::Sequence(d)) if !d.is_empty());
    if !has_deps {
        return Ok((None, recorded));
    }
    for k in ["md5", "meta", "desc"] {
        map.remove(k);
    }
    // dvc's dump gives a URL dep `hash: md5` whether or not the file says so.
    if let Some(Value::Sequence(deps)) = map.get_mut("deps") {
        for d in deps.iter_mut() {
            if let Value::Mapping(d) = d
                && needs_dep_hash(d)
            {
                d.insert(Value::String("hash".into()), Value::String("md5".into()));
            }
        }
    }
    if map.get("wdir").and_then(Value::as_str) == Some(".") {
        map.remove("wdir");
    }
    let mut json = String::new();
    write_json(&Value::Mapping(map), &mut json);
    Ok((
        Some(crate::data::hash::md5_bytes(json.as_bytes())),
        recorded,
    ))
}

/// A dep whose path is a URL (`import-url`), without `repo:` and without `hash:`: dvc's
/// `dumpd` writes `hash: md5` for it (its hash name is the filesystem's checksum, not a
/// 2.x one), so a 2.x file gains the key when dvc writes it.
pub(super) fn needs_dep_hash(d: &serde_yaml::Mapping) -> bool {
    let url = d.get("path").and_then(Value::as_str).is_some_and(|p| {
        p.split_once("://").is_some_and(|(s, _)| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
    });
    url && d.get("repo").is_none() && d.get("hash").is_none()
}

/// `true` when the file records a stage md5 other than the one its content gives (dvc's
/// `changed checksum`).
pub fn stage_md5_changed(text: &str) -> bool {
    matches!(stage_md5(text), Ok((Some(want), have)) if have.as_deref() != Some(want.as_str()))
}

/// Rewrite the top-level `md5:` of an import stage to match its content, as dvc's dump
/// does (`md5` goes first when the file had none). Other lines are kept.
pub fn refresh_stage_md5(text: &str) -> Result<String, ParseError> {
    let (Some(want), have) = stage_md5(text)? else {
        return Ok(text.to_string());
    };
    if have.as_deref() == Some(want.as_str()) {
        return Ok(text.to_string());
    }
    let line = Scalar::Str(want).render("md5", 0, 0);
    let mut out = String::new();
    let mut done = false;
    for l in text.split_inclusive('\n') {
        if !done && l.starts_with("md5:") {
            // Keep an inline comment after the value (an md5 holds no ` #`).
            let rest = l.trim_end_matches('\n');
            let comment = rest.find(" #").map(|i| &rest[i..]).unwrap_or("");
            out.push_str(&line);
            out.push_str(comment);
            out.push('\n');
            done = true;
        } else {
            out.push_str(l);
        }
    }
    if !done {
        out = format!("{line}\n{text}");
    }
    Ok(out)
}

fn write_json(v: &Value, out: &mut String) {
    match v {
        Value::Mapping(m) => {
            let mut entries: Vec<(String, &Value)> = m
                .iter()
                .filter_map(|(k, v)| k.as_str().map(|k| (k.to_string(), v)))
                .filter(|(k, _)| !EXCLUDED.contains(&k.as_str()))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                crate::data::tree::push_json_string(out, k);
                out.push_str(": ");
                write_json(v, out);
            }
            out.push('}');
        }
        Value::Sequence(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json(v, out);
            }
            out.push(']');
        }
        Value::String(s) => crate::data::tree::push_json_string(out, s),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Null => out.push_str("null"),
        Value::Tagged(t) => write_json(&t.value, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Observed: `dvc import` and `dvc import-url` (dvc 3.67.1) wrote these md5s.
    #[test]
    fn matches_dvc() {
        let imp = "md5: 4dff399834420be02b93a7e91e03d2be\nfrozen: true\ndeps:\n- path: f.txt\n  repo:\n    url: /tmp/c11/t3src\n    rev_lock: f18915938c45f4a373b7de4985e7926d7940b52f\nouts:\n- md5: 9a8ad92c50cae39aa2c5604fd0ab6d8c\n  size: 2\n  hash: md5\n  path: imp_f.txt\n";
        assert!(!stage_md5_changed(imp));
        let url = "md5: 56d21f24e348bf5cc057c3afca62fda0\nfrozen: true\ndeps:\n- md5: e85dde330c34efb0e526ee3082e4353b\n  size: 2\n  hash: md5\n  path: u.txt\nouts:\n- md5: e85dde330c34efb0e526ee3082e4353b\n  size: 2\n  hash: md5\n  path: u2.txt\n";
        assert!(!stage_md5_changed(url));
        // After `dvc commit -f` of a changed out.
        let changed = imp
            .replace(
                "9a8ad92c50cae39aa2c5604fd0ab6d8c",
                "ec1bebaea2c042beb68f7679ddd106a4",
            )
            .replace("size: 2", "size: 8");
        assert!(stage_md5_changed(&changed));
        assert_eq!(
            refresh_stage_md5(&changed).expect("ok"),
            changed.replace(
                "4dff399834420be02b93a7e91e03d2be",
                "916a5b531859ea0aba44652ce6422874"
            )
        );
        assert!(!stage_md5_changed("outs:\n- md5: abc\n  path: x\n"));
    }
}

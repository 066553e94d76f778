//! Fresh writing: [`render_new`] emits a `.dvc` file in dvc's key order, as `dvc add` writes
//! it, through [`crate::data::yaml`] (our ruamel-compatible scalar emitter). [`Scalar`] is also
//! what the line editor and the `dvc.lock` rewriter write values with.

use serde_yaml::Value;

use super::Out;
use crate::data::yaml;

/// A scalar value we write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scalar {
    Str(String),
    Int(u64),
    Bool(bool),
}

impl Scalar {
    /// `key: value` with keys at `indent`, the key starting at `key_column`.
    pub(super) fn render(&self, key: &str, key_column: usize, indent: usize) -> String {
        match self {
            Scalar::Str(s) => yaml::key_value(key, s, key_column, indent),
            Scalar::Int(n) => format!("{key}: {n}"),
            Scalar::Bool(b) => format!("{key}: {b}"),
        }
    }
    /// Python equality with a loaded value (`value != dest[key]` in `apply_diff`).
    pub(super) fn equals(&self, v: Option<&Value>) -> bool {
        match (self, v) {
            (Scalar::Str(s), Some(Value::String(o))) => s == o,
            (Scalar::Int(n), Some(Value::Number(o))) => o.as_u64() == Some(*n),
            (Scalar::Bool(b), Some(Value::Bool(o))) => b == o,
            _ => false,
        }
    }
}

/// The `.dvc` out keys DVC's `dumpd` produces that this crate models, in fresh order.
fn out_fields(out: &Out) -> Vec<(&'static str, Scalar)> {
    let mut f = Vec::new();
    if let Some(m) = &out.md5 {
        f.push(("md5", Scalar::Str(m.clone())));
    }
    if let Some(s) = out.size {
        f.push(("size", Scalar::Int(s)));
    }
    if let Some(n) = out.nfiles {
        f.push(("nfiles", Scalar::Int(n)));
    }
    if out.isexec {
        f.push(("isexec", Scalar::Bool(true)));
    }
    if let Some(h) = &out.hash {
        f.push(("hash", Scalar::Str(h.clone())));
    }
    f.push(("path", Scalar::Str(out.path.clone())));
    if !out.cache {
        f.push(("cache", Scalar::Bool(false)));
    }
    if let Some(r) = out.remote.as_ref().filter(|r| !r.is_empty()) {
        f.push(("remote", Scalar::Str(r.clone())));
    }
    if !out.push {
        f.push(("push", Scalar::Bool(false)));
    }
    f
}

/// Render one block-sequence item (`- k: v⏎  k: v⏎`) with the dash at `dash_indent`.
fn render_item(fields: &[(&str, Scalar)], dash_indent: usize) -> String {
    let k = dash_indent + 2;
    let mut out = String::new();
    for (i, (key, value)) in fields.iter().enumerate() {
        if i == 0 {
            out.push_str(&" ".repeat(dash_indent));
            out.push_str("- ");
        } else {
            out.push_str(&" ".repeat(k));
        }
        out.push_str(&value.render(key, k, k));
        out.push('\n');
    }
    out
}

/// A fresh `.dvc` file as `dvc add` writes it:
/// `outs:⏎- md5: …⏎  size: …⏎  nfiles: …⏎  isexec: true⏎  hash: md5⏎  path: …⏎`.
pub fn render_new(outs: &[Out]) -> String {
    let mut text = String::from("outs:\n");
    for out in outs {
        text.push_str(&render_item(&out_fields(out), 0));
    }
    text
}

/// A fresh import stage as `dvc import` writes it, stage md5 included (`import --no-exec`
/// writes none: its stage is never run, and it has no `rev_lock` yet):
/// `md5: …⏎frozen: true⏎deps:⏎- path: …⏎  repo:⏎    url: …⏎    rev: …⏎    rev_lock: …⏎outs:⏎…`.
pub fn render_import(source: &super::ImportSource, out: &Out) -> Result<String, super::ParseError> {
    let mut text = String::from("frozen: true\ndeps:\n");
    text.push_str(&Scalar::Str(source.path.clone()).render("- path", 0, 2));
    text.push_str("\n  repo:\n");
    let mut repo = vec![("url", source.url.clone())];
    if let Some(r) = &source.rev {
        repo.push(("rev", r.clone()));
    }
    if let Some(r) = &source.rev_lock {
        repo.push(("rev_lock", r.clone()));
    }
    for (k, v) in repo {
        text.push_str("    ");
        text.push_str(&Scalar::Str(v).render(k, 4, 4));
        text.push('\n');
    }
    let line = |text: &mut String, indent: usize, k: &str, v: &str| {
        text.push_str(&" ".repeat(indent));
        text.push_str(&Scalar::Str(v.to_string()).render(k, indent, indent));
        text.push('\n');
    };
    let st = &source.settings;
    match (&st.remote, st.remote_config.is_empty()) {
        (Some(name), false) => {
            // dvc folds a remote with options into a config mapping.
            text.push_str("    config:\n      core:\n");
            line(&mut text, 8, "remote", name);
            text.push_str("      remote:\n");
            text.push_str(&format!("        {name}:\n"));
            for (k, v) in &st.remote_config {
                line(&mut text, 10, k, v);
            }
        }
        (remote, no_options) => {
            if let Some(c) = &st.config_file {
                line(&mut text, 4, "config", c);
            }
            if let Some(name) = remote {
                line(&mut text, 4, "remote", name);
            } else if !no_options {
                text.push_str("    remote:\n");
                for (k, v) in &st.remote_config {
                    line(&mut text, 6, k, v);
                }
            }
        }
    }
    text.push_str(&render_new(std::slice::from_ref(out)));
    if source.rev_lock.is_none() {
        return Ok(text);
    }
    super::refresh_stage_md5(&text)
}

/// The dep of an `import-url` stage whose source is a URL, as dvc's `dumpd` writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlDep {
    /// The URL as given.
    pub path: String,
    /// A directory's md5 (the oid of its ETag list).
    pub md5: Option<String>,
    /// S3's ETag of a file.
    pub etag: Option<String>,
    /// HTTP's checksum of a file.
    pub checksum: Option<String>,
    /// Bytes.
    pub size: Option<u64>,
    /// Files of a directory.
    pub nfiles: Option<u64>,
    /// A file's version id (`--version-aware`).
    pub version_id: Option<String>,
    /// `--fs-config` pairs in the order given (`version_aware` last, a boolean).
    pub fs_config: Vec<(String, String)>,
    /// `version_aware: true` in `fs_config`.
    pub version_aware: bool,
    /// A version-aware directory's files.
    pub files: Vec<UrlDepFile>,
}

/// One file of a version-aware directory dep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlDepFile {
    /// Path below the directory.
    pub relpath: String,
    /// S3's ETag.
    pub etag: Option<String>,
    /// Bytes.
    pub size: Option<u64>,
    /// The version id.
    pub version_id: Option<String>,
}

/// An `import-url` stage of a URL: `md5` (unless nothing is hashed: `--no-exec`),
/// `frozen: true`, the dep, and `out` (with `push: false` when version-aware).
pub fn render_url_import(dep: &UrlDep, out: &Out) -> Result<String, super::ParseError> {
    let mut f: Vec<(&str, Scalar)> = Vec::new();
    if let Some(m) = &dep.md5 {
        f.push(("md5", Scalar::Str(m.clone())));
    }
    if let Some(e) = &dep.etag {
        f.push(("etag", Scalar::Str(e.clone())));
    }
    if let Some(c) = &dep.checksum {
        f.push(("checksum", Scalar::Str(c.clone())));
    }
    if let Some(s) = dep.size {
        f.push(("size", Scalar::Int(s)));
    }
    if let Some(n) = dep.nfiles {
        f.push(("nfiles", Scalar::Int(n)));
    }
    if let Some(v) = &dep.version_id {
        f.push(("version_id", Scalar::Str(v.clone())));
    }
    f.push(("hash", Scalar::Str("md5".into())));
    f.push(("path", Scalar::Str(dep.path.clone())));
    let mut text = String::from("frozen: true\ndeps:\n");
    text.push_str(&render_item(&f, 0));
    if !dep.fs_config.is_empty() || dep.version_aware {
        text.push_str("  fs_config:\n");
        for (k, v) in &dep.fs_config {
            text.push_str("    ");
            text.push_str(&Scalar::Str(v.clone()).render(k, 4, 4));
            text.push('\n');
        }
        if dep.version_aware {
            text.push_str("    version_aware: true\n");
        }
    }
    if !dep.files.is_empty() {
        text.push_str("  files:\n");
        for file in &dep.files {
            let mut item = vec![("relpath", Scalar::Str(file.relpath.clone()))];
            if let Some(e) = &file.etag {
                item.push(("etag", Scalar::Str(e.clone())));
            }
            if let Some(s) = file.size {
                item.push(("size", Scalar::Int(s)));
            }
            if let Some(v) = &file.version_id {
                item.push(("version_id", Scalar::Str(v.clone())));
            }
            text.push_str(&render_item(&item, 2));
        }
    }
    text.push_str(&render_new(std::slice::from_ref(out)));
    let hashed =
        dep.md5.is_some() || dep.etag.is_some() || dep.checksum.is_some() || !dep.files.is_empty();
    if !hashed {
        return Ok(text);
    }
    super::refresh_stage_md5(&text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dvcfile::parse;

    #[test]
    fn render_new_matches_dvc_add() {
        let file = Out {
            path: "foo.txt".into(),
            md5: Some("b1946ac92492d2347c6235b4d2611184".into()),
            size: Some(6),
            hash: Some("md5".into()),
            ..Out::default()
        };
        assert_eq!(
            render_new(std::slice::from_ref(&file)),
            "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: foo.txt\n"
        );
        let dir = Out {
            path: "data".into(),
            md5: Some("81b9e20cc5e2a0d78483cfbb6454ec68.dir".into()),
            size: Some(18),
            nfiles: Some(5),
            hash: Some("md5".into()),
            ..Out::default()
        };
        assert_eq!(
            render_new(&[dir]),
            "outs:\n- md5: 81b9e20cc5e2a0d78483cfbb6454ec68.dir\n  size: 18\n  nfiles: 5\n  hash: md5\n  path: data\n"
        );
        let exec = Out {
            path: "run.sh".into(),
            md5: Some("46bbbe8aa98cc0714426e948474eaaf4".into()),
            size: Some(18),
            isexec: true,
            hash: Some("md5".into()),
            cache: false,
            push: false,
            remote: Some("myremote".into()),
            ..Out::default()
        };
        assert_eq!(
            render_new(&[exec]),
            "outs:\n- md5: 46bbbe8aa98cc0714426e948474eaaf4\n  size: 18\n  isexec: true\n  hash: md5\n  path: run.sh\n  cache: false\n  remote: myremote\n  push: false\n"
        );
        // Quoting and folding of paths and digit-only md5s.
        let odd = Out {
            path: "true".into(),
            md5: Some("01234567890123456789012345678901".into()),
            ..Out::default()
        };
        assert_eq!(
            render_new(&[odd]),
            "outs:\n- md5: '01234567890123456789012345678901'\n  path: 'true'\n"
        );
        let long = Out {
            path: "x".repeat(73),
            ..Out::default()
        };
        assert_eq!(
            render_new(&[long]),
            format!("outs:\n- path: \n    {}\n", "x".repeat(73))
        );
    }

    #[test]
    fn parse_round_trip_of_render() {
        let outs = vec![
            Out {
                path: "a b".into(),
                md5: Some("d41d8cd98f00b204e9800998ecf8427e".into()),
                size: Some(0),
                hash: Some("md5".into()),
                ..Out::default()
            },
            Out {
                path: "yes".into(),
                md5: Some("0123".into()),
                size: Some(1),
                isexec: true,
                hash: None,
                push: false,
                ..Out::default()
            },
            Out {
                path: "it's: #weird\ttab".into(),
                md5: Some("1e5".into()),
                nfiles: Some(2),
                hash: Some("md5".into()),
                cache: false,
                ..Out::default()
            },
            Out {
                path: format!("{} end", "long word ".repeat(12)),
                remote: Some("r".into()),
                ..Out::default()
            },
        ];
        let text = render_new(&outs);
        let parsed = parse(&text).expect("parses");
        assert_eq!(parsed.outs, outs);
        assert!(parsed.outs[1].is_legacy());
    }
}

//! The little git-dvc needs from `dvc.yaml`: per stage, `wdir` and the out flags that
//! live only there (`cache: false`, `push: false`, `remote:`). Running pipelines is out
//! of scope; `dvc.lock` holds the hashes.

use std::collections::HashMap;
use std::path::Path;

/// Flags of one out declared in `dvc.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFlags {
    /// `cache:` (default true).
    pub cache: bool,
    /// `push:` (default true).
    pub push: bool,
    /// `remote:`.
    pub remote: Option<String>,
}

impl Default for OutFlags {
    fn default() -> Self {
        OutFlags {
            cache: true,
            push: true,
            remote: None,
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
/// file alone still describes the outs).
pub fn read_flags(path: &Path) -> HashMap<String, StageFlags> {
    match fs_err::read_to_string(path) {
        Ok(text) => flags_from_text(&text),
        Err(_) => HashMap::new(),
    }
}

/// [`read_flags`] on `dvc.yaml` text (e.g. a blob from a past revision).
pub fn flags_from_text(text: &str) -> HashMap<String, StageFlags> {
    let mut out = HashMap::new();
    let Ok(doc) = serde_yaml::from_str::<serde_yaml::Value>(text) else {
        return out;
    };
    let Some(stages) = doc.get("stages").and_then(|s| s.as_mapping()) else {
        return out;
    };
    for (name, stage) in stages {
        let Some(name) = name.as_str() else { continue };
        let mut flags = StageFlags {
            wdir: stage
                .get("wdir")
                .and_then(|w| w.as_str())
                .map(str::to_string),
            ..StageFlags::default()
        };
        for key in ["outs", "metrics", "plots"] {
            let Some(list) = stage.get(key).and_then(|l| l.as_sequence()) else {
                continue;
            };
            for item in list {
                if let Some(p) = item.as_str() {
                    flags.outs.insert(p.to_string(), OutFlags::default());
                } else if let Some(m) = item.as_mapping() {
                    for (p, opts) in m {
                        let Some(p) = p.as_str() else { continue };
                        let get_bool = |k: &str| opts.get(k).and_then(|v| v.as_bool());
                        flags.outs.insert(
                            p.to_string(),
                            OutFlags {
                                cache: get_bool("cache").unwrap_or(true),
                                push: get_bool("push").unwrap_or(true),
                                remote: opts
                                    .get("remote")
                                    .and_then(|v| v.as_str())
                                    .map(str::to_string),
                            },
                        );
                    }
                }
            }
        }
        out.insert(name.to_string(), flags);
    }
    out
}

//! `.dvc` and `dvc.lock` files: parsing, fresh writing and lossless rewriting (spec §1, §11).
//! Pure: converts text and types, touches no filesystem.
//!
//! **Reading** goes through `serde_yaml` into a `Value`, then is validated like DVC's
//! voluptuous schema (dvc 3.67.1 `dvc/schema.py`, `dvc/output.py`): unknown keys, wrong types
//! and short checksums are errors with DVC's wording (`extra keys not allowed, in outs -> 0 ->
//! extra`). Checksums are lowercased and ints coerced to strings. An empty document is an
//! empty stage, as in DVC (`yaml.load(text) or {}`).
//!
//! **Fresh writing** ([`render_new`]) emits DVC's key order through [`super::yaml`], our
//! ruamel-compatible scalar emitter.
//!
//! **Rewriting** ([`rewrite`], [`rewrite_lock`]) is a *line-level editor* for the block-style
//! subset DVC writes, not a YAML re-serializer. Why: DVC re-parses the old text with ruamel's
//! round-trip loader, applies a recursive diff (`apply_diff`) and dumps it again, which keeps
//! comments, key order and annotations. Re-serializing from `serde_yaml` would lose all of
//! those, and a general lossless YAML library would still not reproduce ruamel's choices.
//! The observable effect of DVC's diff on an out is small and local, so we reproduce it on
//! lines:
//! - a changed value is replaced in place; an inline comment stays at its original column
//!   (or one space after the new value, as ruamel's `write_comment` does);
//! - a key that no longer applies (`isexec` cleared, `nfiles` of a file, `cache: true`,
//!   `push: true`, `persist: false`) is deleted together with its inline comment and the
//!   comment/blank lines that follow it (ruamel attaches those to the key);
//! - a key new to the out is appended at the end of the out's mapping, after any trailing
//!   comment lines (observed: `  # after meta⏎# trailing⏎  isexec: true⏎  hash: md5⏎`).
//!
//! Line ends are ruamel's: a CRLF file is rewritten with LF, even when no value changed
//! (dvc dumps every stage it commits).
//!
//! Known difference: ruamel also normalizes *untouched* formatting of a hand-edited file
//! (sequence indentation, quotes, extra spaces after `:`). We keep the user's bytes there.
//! Files written by DVC (or by us) are already normalized, so the bytes match DVC's.
//!
//! `dvc.lock` stages are replaced whole by DVC (`data["stages"].update(...)`), so an updated
//! lock entry is re-rendered fresh in lock key order (`path, hash, md5, size, nfiles, isexec`),
//! and every plain `cmd` is folded afresh, as ruamel re-emits plain strings.
//!
//! A `files:` list (cloud-versioned directory outs) is rewritten like dvc's `apply_diff`:
//! entry by entry when the new list has as many entries, else written afresh; entries
//! whose hash is unchanged keep their `cloud:` (dvc's `update_meta`).
//!
//! Invariant: no function here panics on any input text; hostile or unparseable text
//! (conflict markers, flow style we cannot edit) yields [`ParseError`].
//!
//! Layout: the types ([`Out`], [`DvcFile`], [`ParseError`]) are here; reading and validation
//! in `parse`, fresh writing in `render`, the line-level editor in `edit`, `dvc.lock` in
//! `lock`. Everything public is re-exported here, so callers name `dvcfile::X`.

mod edit;
mod lock;
mod parse;
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) use parse::{load as load_yaml, ruamel_number};
mod render;
mod stage_md5;

pub use edit::{FileUpdate, OutUpdate, add_dep_hashes, rewrite};
pub use lock::{LockFile, LockStage, parse_lock, rewrite_lock, rewrite_lock_entries};
pub use parse::{MAX_STAGE_FILE, parse};
pub use render::{UrlDep, UrlDepFile, render_import, render_new, render_url_import};
pub use stage_md5::{refresh_stage_md5, stage_md5, stage_md5_changed};

/// One output (`outs:` entry) of a `.dvc` file or a `dvc.lock` stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Out {
    /// Path relative to the `.dvc` file's directory (or the dvc.yaml dir + wdir), `/`-separated.
    pub path: String,
    /// Lowercased checksum; directories end in `.dir`. None when not yet computed.
    pub md5: Option<String>,
    /// Total byte size.
    pub size: Option<u64>,
    /// File count for directory outs.
    pub nfiles: Option<u64>,
    /// Executable bit (single-file outs only).
    pub isexec: bool,
    /// `Some("md5")` for 3.x outs; `None` means legacy 2.x `md5-dos2unix`.
    pub hash: Option<String>,
    /// `cache: false` outs are not cached.
    pub cache: bool,
    /// `push: false` outs are not pushed.
    pub push: bool,
    /// Per-out remote name.
    pub remote: Option<String>,
    /// The `files:` list of a cloud-versioned directory out (what a `version_aware`
    /// remote or `import-url --version-aware` writes), in file order. When it is not
    /// empty, dvc takes the out's hash from it (the tree built from the list) and ignores
    /// any `md5`: [`parse`] then fills `md5`, `size` and `nfiles` from it.
    pub files: Option<Vec<FileEntry>>,
    /// A `version_id` is recorded (beside the out's keys or in its `cloud:` entry): dvc
    /// then keeps the recorded meta (and `cloud:`) of an unchanged out on `commit -f`.
    pub versioned: bool,
    /// A `cloud:`, `etag`, `version_id` or `checksum` key is recorded beside the hash.
    pub cloud_meta: bool,
}

/// One entry of a `files:` list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileEntry {
    /// `/`-separated path inside the directory (untrusted: checked when it becomes a
    /// [`crate::data::tree::Tree`]).
    pub relpath: String,
    /// Lowercased md5, when recorded.
    pub md5: Option<String>,
    /// Size, when recorded.
    pub size: Option<u64>,
    /// `isexec: true`.
    pub isexec: bool,
    /// The `cloud:` entry: the remote's name and its `etag`, `checksum` and `version_id`
    /// (in that order, as dvc writes them back). dvc keeps it for an unchanged file on
    /// commit and drops it for a changed one.
    pub cloud: Option<(String, Vec<(String, String)>)>,
}

/// `cache` and `push` default to true, as in DVC.
impl Default for Out {
    fn default() -> Self {
        Out {
            path: String::new(),
            md5: None,
            size: None,
            nfiles: None,
            isexec: false,
            hash: None,
            cache: true,
            push: true,
            remote: None,
            files: None,
            versioned: false,
            cloud_meta: false,
        }
    }
}

impl Out {
    /// A 2.x out (no `hash:` key): md5-dos2unix and the legacy cache layout.
    pub fn is_legacy(&self) -> bool {
        self.hash.is_none()
    }
    /// A directory out (md5 ends in `.dir`).
    pub fn is_dir(&self) -> bool {
        self.md5.as_deref().is_some_and(|m| m.ends_with(".dir"))
    }
    /// Whether a `cloud:`, `etag`, `version_id` or `checksum` key is recorded.
    pub fn has_cloud_meta(&self) -> bool {
        self.cloud_meta
    }
    /// A directory out whose hash comes from a non-empty `files:` list.
    pub fn is_listed(&self) -> bool {
        self.files.as_ref().is_some_and(|f| !f.is_empty())
    }
    /// The manifest a non-empty `files:` list stands for, as dvc builds it
    /// (`Tree.from_list`): `None` when there is no list, or when it cannot be one (an
    /// entry without an md5, or an unsafe or duplicate relpath). The local cache need not
    /// hold its `.dir` object: checkout and transfers use this instead.
    pub fn listed_tree(&self) -> Option<crate::data::tree::Tree> {
        let files = self.files.as_ref().filter(|f| !f.is_empty())?;
        let mut entries = Vec::with_capacity(files.len());
        for f in files {
            entries.push(crate::data::tree::TreeEntry {
                relpath: f.relpath.clone(),
                md5: crate::data::tree::Md5Digest::from_hex(f.md5.as_deref()?)?,
            });
        }
        let tree = crate::data::tree::Tree::new(entries);
        // The same checks as a `.dir` read from the cache.
        crate::data::tree::Tree::parse(&tree.to_bytes()).ok()
    }
}

/// Error parsing (or editing) a `.dvc` / `dvc.lock` file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// Human readable reason, DVC-style where possible
    /// (`extra keys not allowed, in outs -> 0 -> extra`).
    pub message: String,
}

/// Line ends as ruamel writes them: its reader turns `\r\n` and a lone `\r` into `\n`,
/// so dvc rewrites a CRLF `.dvc` or `dvc.lock` with LF (observed on `dvc commit`).
fn lf(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\r') {
        std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn err<T>(message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        message: message.into(),
    })
}

/// A parsed `.dvc` file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DvcFile {
    /// The outs, in file order.
    pub outs: Vec<Out>,
    /// Deps (import stages have them), validated like outs but with the dep schema.
    pub deps: Vec<Out>,
    /// `frozen: true`.
    pub frozen: bool,
    /// The stage md5 (imports).
    pub md5: Option<String>,
    /// `wdir:` (rare in `.dvc` files); paths are relative to it.
    pub wdir: Option<String>,
    /// Top-level `desc:`.
    pub desc: Option<String>,
    /// A dep names a `repo:` (`dvc import`): dvc's status then warns of no frozen deps.
    pub repo_import: bool,
    /// The source of a `dvc import` (its first dep's `repo:`).
    pub import: Option<ImportSource>,
}

/// Where a `dvc import` comes from: `deps: [{path, repo: {url, rev, rev_lock}}]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSource {
    /// The path inside the source repository (untrusted).
    pub path: String,
    /// The source, as given to `import` (anything `git clone` takes).
    pub url: String,
    /// `--rev`, when one was given.
    pub rev: Option<String>,
    /// The commit the import is locked to.
    pub rev_lock: Option<String>,
    /// How to read the source besides its URL (`config`, `remote`).
    pub settings: SourceSettings,
}

/// What `import --config/--remote/--remote-config` records in `repo:`, as dvc's
/// `_dump_def_repo`: `config: FILE`, `remote: NAME`, `remote: {k: v}`, or with both a
/// remote and its options `config: {core: {remote: NAME}, remote: {NAME: {k: v}}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSettings {
    /// `--config FILE`, as given.
    pub config_file: Option<String>,
    /// `--remote NAME`.
    pub remote: Option<String>,
    /// `--remote-config` pairs, in the order given.
    pub remote_config: Vec<(String, String)>,
}

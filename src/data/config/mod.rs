//! DVC's INI config files, read and written exactly as dvc 3.67.1 (configobj 5.0.9) does.
//!
//! Model (mirrors `dvc/config.py`):
//! - Four levels, lowest priority first: system, global, repo (`.dvc/config`), local
//!   (`.dvc/config.local`). The caller passes the directories in; this module never reads
//!   environment variables.
//! - Each file is parsed with configobj's grammar (spec §6.2): `[section]` markers (quoted or
//!   not), `key = value` lines, inline `# comments`, `"…"`/`'…'`/`'''…'''` quoting and unquoted
//!   `a, b` lists. Keys and section names are lowercased on load, then `remote "name"`,
//!   `machine "name"` and `db "name"` sections are folded into nested tables
//!   (`remote -> name -> key`), exactly like dvc's `_parse_named`.
//! - Writes re-serialize the whole level from that nested table (`_pack_named` + configobj's
//!   writer): comments are lost, no blank lines, 4-space indentation, plain sections in loaded
//!   order, then named sections; empty plain sections are dropped. An empty level is written
//!   as a single `\n` (observed).
//! - Path-valued options (`url`, `cache.dir`, `credentialpath`, …) are stored relative to the
//!   directory of the file holding them (spec §6.3) and resolved against it when read.
//!
//! Invariants: parsing never panics on hostile bytes; a value dvc could not write (non-ASCII,
//! or with both quote kinds where configobj cannot quote it) is refused *before* the file is
//! touched (dvc 3.67.1 truncates the file in that case: we do not copy that bug).
//!
//! Validation follows dvc's voluptuous schema (`dvc/config_schema.py`) and produces its
//! messages byte for byte (`extra keys not allowed @ data['core']['nonexist']`), plus the path
//! of the file that set the offending key.
//!
//! Layout: [`ConfigError`] and [`py_repr`] in `error`; the [`Table`] model in `value`; the
//! configobj grammar (reading, writing, named-section folding) in `configobj`; path options
//! in `paths`; dvc's schema in `schema`; [`Level`]s and the loaded [`Config`] in `levels`.
//! Everything public is re-exported here, so callers name `config::X`.

mod configobj;
mod error;
mod levels;
mod paths;
mod schema;
mod value;

pub use configobj::{compact, parse_configobj, parse_named, render_level};
pub use error::{ConfigError, py_repr};
pub use levels::{
    Config, Level, LoadOptions, OptionName, RemoteConfig, RemoteLocation, SECRET_OPTIONS, flatten,
    is_secret_option, remote_location,
};
pub use paths::{is_path_option, resolve_path, store_path};
pub use schema::{parse_bool, parse_py_int};
pub use value::{Item, Table, Value, merge};

/// The path arithmetic of this module lives in [`crate::data::pathsafe`]; re-exported here.
pub use crate::data::pathsafe::{normpath, relpath};

/// `cache.type` values are the engine's link types.
pub use crate::data::odb::LinkType;

//! The merge driver's engine: a three-way merge of a `.dvc` whose single out is a
//! directory, at the `.dir` level (DESIGN.md: add, remove and change, with a conflict on
//! a file changed both ways). The merged `.dir` goes into the cache; the caller writes the
//! returned text over git's `%A` file.

use crate::data::dvcfile::{self, DvcFile, OutUpdate};
use crate::data::odb::{self, Odb};
use crate::data::tree::{self, Tree, TreeError};

/// Which version of the three a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `%O`.
    Ancestor,
    /// `%A`.
    Ours,
    /// `%B`.
    Theirs,
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Side::Ancestor => "ancestor",
            Side::Ours => "our",
            Side::Theirs => "their",
        })
    }
}

/// Why the pointers could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A version is not a valid `.dvc`.
    #[error("cannot parse the {side} version: {source}")]
    Parse {
        /// Which version.
        side: Side,
        /// Why.
        #[source]
        source: dvcfile::ParseError,
    },
    /// A version's `.dir` is not in the cache.
    #[error("{side}: {source}")]
    MissingManifest {
        /// Which version.
        side: Side,
        /// The cache's error.
        #[source]
        source: odb::Error,
    },
    /// A version's `.dir` is not a valid manifest.
    #[error("{side}: corrupt manifest {md5}: {source}")]
    CorruptManifest {
        /// Which version.
        side: Side,
        /// The manifest.
        md5: String,
        /// Why.
        #[source]
        source: TreeError,
    },
    /// The same paths changed both ways, or the pointers are not single directory outs.
    #[error("unable to auto-merge the following paths:\n{}", .0.join("\n"))]
    Conflict(Vec<String>),
    /// The merged `.dir` could not be stored.
    #[error("cannot store the merged manifest: {0}")]
    Store(#[source] odb::Error),
    /// The merged pointer could not be written.
    #[error("cannot write the merge: {0}")]
    Rewrite(#[source] dvcfile::ParseError),
}

/// What the merge decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// Keep our version as it is.
    Ours,
    /// Replace our version with this text.
    Text(String),
}

fn dir_out(odb: &Odb, text: &str, side: Side) -> Result<(DvcFile, Option<Tree>), Error> {
    if text.trim().is_empty() {
        return Ok((DvcFile::default(), None));
    }
    let parsed = dvcfile::parse(text).map_err(|source| Error::Parse { side, source })?;
    let tree = match parsed
        .outs
        .first()
        .and_then(|o| o.md5.clone().map(|m| (m, o.is_legacy())))
    {
        Some((md5, legacy)) if md5.ends_with(".dir") => {
            let bytes = odb
                .read(&md5, legacy)
                .map_err(|source| Error::MissingManifest { side, source })?;
            Some(
                Tree::parse(&bytes).map_err(|source| Error::CorruptManifest {
                    side,
                    md5,
                    source,
                })?,
            )
        }
        _ => None,
    };
    Ok((parsed, tree))
}

/// Merge three versions of a pointer (`%O`, `%A`, `%B` texts).
pub fn merge_pointers(
    odb: &Odb,
    ancestor: &str,
    ours: &str,
    theirs: &str,
) -> Result<Merged, Error> {
    let (o_file, our_tree) = dir_out(odb, ours, Side::Ours)?;
    let (t_file, their_tree) = dir_out(odb, theirs, Side::Theirs)?;
    let (a_file, anc_tree) = dir_out(odb, ancestor, Side::Ancestor)?;
    let md5 = |f: &DvcFile| f.outs.first().and_then(|o| o.md5.clone());
    let (o_md5, t_md5, a_md5) = (md5(&o_file), md5(&t_file), md5(&a_file));
    // Trivial cases first: one side unchanged, or both sides equal.
    if o_md5 == t_md5 || t_md5 == a_md5 {
        return Ok(Merged::Ours);
    }
    if o_md5 == a_md5 {
        return Ok(Merged::Text(theirs.to_owned()));
    }
    let whole = || {
        Error::Conflict(vec![
            o_file
                .outs
                .first()
                .map(|o| o.path.clone())
                .unwrap_or_default(),
        ])
    };
    if o_file.outs.len() != 1 || t_file.outs.len() != 1 {
        return Err(whole());
    }
    let (Some(our_tree), Some(their_tree)) = (our_tree, their_tree) else {
        return Err(whole());
    };
    let anc_tree = anc_tree.unwrap_or_else(|| Tree::new(Vec::new()));
    let merged = tree::merge(&anc_tree, &our_tree, &their_tree).map_err(|paths| {
        if paths.is_empty() {
            whole()
        } else {
            Error::Conflict(paths)
        }
    })?;
    let out = &o_file.outs[0];
    let legacy = out.is_legacy();
    let oid = merged.oid();
    odb.put_tree(&oid, legacy, &merged).map_err(Error::Store)?;
    // The size is the sum of the files' sizes, known only from the cache. When a file's
    // object is absent the total is unknown: leave `size` out rather than record a wrong
    // one (dvc treats a missing size as unknown and fills it in on its next commit).
    let size = merged
        .entries
        .iter()
        .map(|e| {
            fs_err::metadata(odb.path(&e.md5.hex(), legacy))
                .ok()
                .map(|m| m.len())
        })
        .sum::<Option<u64>>();
    if size.is_none() {
        tracing::warn!(
            "merged `{}`: some files are not in the cache, so its size is left out",
            out.path
        );
    }
    let update = OutUpdate {
        md5: Some(oid),
        size,
        nfiles: Some(merged.entries.len() as u64),
        isexec: false,
        hash: out.hash.clone(),
        ..OutUpdate::default()
    };
    let text = dvcfile::rewrite(ours, &[(0, update)]).map_err(Error::Rewrite)?;
    Ok(Merged::Text(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::odb::LinkType;
    use crate::data::tree::TreeEntry;

    fn put_file(odb: &Odb, content: &[u8]) -> String {
        let md5 = crate::data::hash::md5_bytes(content);
        odb.put_bytes(&md5, false, content).unwrap();
        md5
    }

    fn put_dir(odb: &Odb, entries: &[(&str, &str)]) -> String {
        let tree = Tree::new(
            entries
                .iter()
                .map(|(p, m)| TreeEntry {
                    relpath: p.to_string(),
                    md5: m.parse().expect("test md5"),
                })
                .collect(),
        );
        let oid = tree.oid();
        odb.put_bytes(&oid, false, &tree.to_bytes()).unwrap();
        oid
    }

    fn pointer(oid: &str, size: u64, nfiles: usize) -> String {
        format!("outs:\n- md5: {oid}\n  size: {size}\n  nfiles: {nfiles}\n  hash: md5\n  path: d\n")
    }

    /// Regression (architecture issue): the merge driver wrote `size: 0` (or a short
    /// total) when a file's object was missing from the cache.
    #[test]
    fn unknown_sizes_are_left_out_not_zeroed() {
        let dir = tempfile::tempdir().unwrap();
        let odb = Odb::new(dir.path().join("cache"), vec![LinkType::Copy]);
        let a = put_file(&odb, b"aaaa");
        let b = put_file(&odb, b"bb");
        let absent = "0123456789abcdef0123456789abcdef";
        let base = put_dir(&odb, &[("a", &a)]);
        let ours = put_dir(&odb, &[("a", &a), ("b", &b)]);
        let theirs = put_dir(&odb, &[("a", &a), ("c", absent)]);
        let merged = merge_pointers(
            &odb,
            &pointer(&base, 4, 1),
            &pointer(&ours, 6, 2),
            &pointer(&theirs, 9, 2),
        )
        .unwrap();
        let Merged::Text(text) = merged else {
            panic!("expected a merged pointer")
        };
        assert!(text.contains("nfiles: 3"), "{text}");
        assert!(!text.contains("size:"), "{text}");

        // With every object present the size is the exact sum.
        let c = put_file(&odb, b"ccc");
        let theirs = put_dir(&odb, &[("a", &a), ("c", &c)]);
        let Merged::Text(text) = merge_pointers(
            &odb,
            &pointer(&base, 4, 1),
            &pointer(&ours, 6, 2),
            &pointer(&theirs, 7, 2),
        )
        .unwrap() else {
            panic!("expected a merged pointer")
        };
        assert!(text.contains("size: 9\n"), "{text}");
    }

    #[test]
    fn conflicting_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let odb = Odb::new(dir.path().join("cache"), vec![LinkType::Copy]);
        let (x, y, z) = (
            put_file(&odb, b"x"),
            put_file(&odb, b"y"),
            put_file(&odb, b"z"),
        );
        let base = put_dir(&odb, &[("f", &x)]);
        let ours = put_dir(&odb, &[("f", &y)]);
        let theirs = put_dir(&odb, &[("f", &z)]);
        let err = merge_pointers(
            &odb,
            &pointer(&base, 1, 1),
            &pointer(&ours, 1, 1),
            &pointer(&theirs, 1, 1),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Conflict(p) if p == &vec!["f".to_string()]),
            "{err}"
        );
    }
}

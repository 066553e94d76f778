//! `post-index-change <worktree-updated> <skip-worktree-updated>`: git runs it after every
//! index write. It is the one hook that sees `reset --hard/--keep/--merge`, `stash`,
//! `read-tree -u`, `sparse-checkout` and conflicted merges, which fire no other hook.
//!
//! The filter already brings in the data of every pointer git writes; what no filter can
//! see is a pointer that *leaves* the worktree. So this hook keeps a snapshot of the
//! pointers in the index (`$GIT_DIR/dvc/index-pointers`, `<blob id> <path>` lines) and,
//! when git says it updated the worktree, removes the outs of pointers that left the index
//! (or became skip-worktree) since the last write, if their data is in the cache. Outs with
//! unsaved changes are kept with a warning, as after a branch switch.
//!
//! Index writes that do not touch the worktree (`git add`, `git rm`, commit, status's
//! refresh) only refresh the snapshot: removing a pointer with `git rm` never deletes data.
//! Writes of another index file (`GIT_INDEX_FILE` set elsewhere: stash's and partial
//! commits' temporary indexes) are ignored.

use super::{Error, HookName, ProcessEnv};
use crate::data::pointer;
use crate::git::Git;
use crate::worktree;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Typed input of `post-index-change`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostIndexChangeInput {
    /// git updated the worktree along with the index.
    pub worktree_updated: bool,
    /// skip-worktree bits may have changed (sparse checkout).
    pub skip_worktree_updated: bool,
}

/// Parse git's two `0`/`1` arguments.
pub fn parse(args: &[String]) -> Result<PostIndexChangeInput, Error> {
    let hook = HookName::PostIndexChange;
    let [a, b] = args else {
        return Err(Error::bad_input(
            hook,
            format!("expected 2 arguments, got {}", args.len()),
        ));
    };
    let flag = |s: &str| match s {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(Error::bad_input(hook, format!("unknown flag {other:?}"))),
    };
    Ok(PostIndexChangeInput {
        worktree_updated: flag(a)?,
        skip_worktree_updated: flag(b)?,
    })
}

/// One pointer path of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexPointer {
    /// A merged entry in the worktree, with its blob id.
    Blob(String),
    /// Unmerged (conflict stages): what it tracks is unknown until it is resolved.
    Conflicted,
    /// skip-worktree (outside a sparse checkout): not in the worktree.
    Skipped,
}

/// The snapshot file: what the pointers of the index were at the last index write.
#[derive(Debug, Clone)]
pub struct Snapshot {
    path: PathBuf,
}

impl Snapshot {
    /// The snapshot of the worktree whose git dir is `git_dir`.
    pub fn at(git_dir: &Path) -> Snapshot {
        Snapshot {
            path: git_dir.join("dvc").join("index-pointers"),
        }
    }

    /// The recorded pointers, or `None` when there is no (readable) snapshot yet.
    pub fn load(&self) -> Option<BTreeMap<String, IndexPointer>> {
        let text = fs_err::read_to_string(&self.path).ok()?;
        Some(parse_snapshot(&text))
    }

    /// Record `pointers`, writing only when the content changes.
    pub fn store(&self, pointers: &BTreeMap<String, IndexPointer>) -> std::io::Result<()> {
        let text = render_snapshot(pointers);
        if fs_err::read_to_string(&self.path).is_ok_and(|old| old == text) {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs_err::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        std::io::Write::write_all(&mut tmp, text.as_bytes())?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

fn render_snapshot(pointers: &BTreeMap<String, IndexPointer>) -> String {
    let mut text = String::new();
    for (path, p) in pointers {
        if path.contains('\n') {
            continue;
        }
        let id = match p {
            IndexPointer::Blob(id) => id.as_str(),
            IndexPointer::Conflicted => "-",
            IndexPointer::Skipped => "S",
        };
        text.push_str(id);
        text.push(' ');
        text.push_str(path);
        text.push('\n');
    }
    text
}

fn parse_snapshot(text: &str) -> BTreeMap<String, IndexPointer> {
    text.lines()
        .filter_map(|line| {
            let (id, path) = line.split_once(' ')?;
            let p = if id == "-" {
                IndexPointer::Conflicted
            } else if id == "S" {
                IndexPointer::Skipped
            } else if id.len() >= 40 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                IndexPointer::Blob(id.to_owned())
            } else {
                return None;
            };
            Some((path.to_owned(), p))
        })
        .collect()
}

/// The pointers of the index `git ls-files -s -t` prints: merged entries (in the worktree,
/// or skip-worktree), and unmerged paths.
pub fn parse_ls_files(bytes: &[u8]) -> BTreeMap<String, IndexPointer> {
    let mut out = BTreeMap::new();
    for entry in bytes.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let Ok(entry) = std::str::from_utf8(entry) else {
            continue;
        };
        // `<tag> <mode> <id> <stage>\t<path>`
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        if !pointer::is_pointer_path(path) {
            continue;
        }
        let fields: Vec<&str> = meta.split(' ').collect();
        let [tag, _mode, id, stage] = fields[..] else {
            continue;
        };
        if stage != "0" {
            out.insert(path.to_owned(), IndexPointer::Conflicted);
        } else if tag == "S" {
            out.insert(path.to_owned(), IndexPointer::Skipped);
        } else {
            out.insert(path.to_owned(), IndexPointer::Blob(id.to_owned()));
        }
    }
    out
}

/// Pointers that were in the worktree in `before` and are gone or different in `after`,
/// as (path, blob before, blob after). When git did not update the worktree, only those
/// that became skip-worktree count (sparse-checkout reports no worktree update). Conflicted
/// paths are left out: nothing is removed for a pointer whose content is unknown.
pub fn vanished(
    before: &BTreeMap<String, IndexPointer>,
    after: &BTreeMap<String, IndexPointer>,
    worktree_updated: bool,
) -> Vec<(String, String, Option<String>)> {
    let mut out = Vec::new();
    for (path, old) in before {
        let IndexPointer::Blob(old) = old else {
            continue;
        };
        match after.get(path) {
            Some(IndexPointer::Blob(new)) if new == old => {}
            Some(IndexPointer::Conflicted) => {}
            Some(IndexPointer::Skipped) => out.push((path.clone(), old.clone(), None)),
            _ if !worktree_updated => {}
            Some(IndexPointer::Blob(new)) => {
                out.push((path.clone(), old.clone(), Some(new.clone())));
            }
            None => out.push((path.clone(), old.clone(), None)),
        }
    }
    out
}

/// Run the hook. Exit 0 unless `gitdvc.strict=true` and an out could not be handled.
pub fn run(input: &PostIndexChangeInput, env: &ProcessEnv) -> Result<i32, Error> {
    // Hooks run in the worktree top: not a DVC repository, nothing to do.
    if !Path::new(".dvc").is_dir() {
        return Ok(0);
    }
    let read = match read_in_process(env) {
        Ok(read) => read,
        Err(why) => {
            tracing::debug!("git-dvc: post-index-change: {why}; asking git");
            read_with_git(env)?
        }
    };
    // A write of another index file: not this worktree's index.
    let Some((git_dir, listing)) = read else {
        return Ok(0);
    };
    let current = parse_ls_files(&listing);
    // git's flags are not reliable here: `sparse-checkout set` reports "0 0".
    if dvc_dir_skipped(&listing) {
        protect_dvc_dir();
    }
    let snapshot = Snapshot::at(&git_dir);
    let mut code = 0;
    if let Some(before) = snapshot.load() {
        let gone = vanished(&before, &current, input.worktree_updated);
        if !gone.is_empty() {
            code = remove_vanished(gone, &current, env);
        }
    }
    if let Err(e) = snapshot.store(&current) {
        tracing::debug!("git-dvc: cannot record the index's pointers: {e}");
    }
    Ok(code)
}

/// The git dir and the `ls-files -s -t -z` listing of the index this write left, read
/// through gix (no git process); `None` when the write was of another index file (stash's
/// and partial commits' temporary indexes). `Err` (why) when git is to be asked instead.
fn read_in_process(env: &ProcessEnv) -> Result<Option<(PathBuf, Vec<u8>)>, String> {
    let top = env.cwd().map_err(|e| e.to_string())?;
    let gix =
        crate::git::index::GixRepo::open(top, env.git_dir.as_deref()).map_err(|e| e.to_string())?;
    let git_dir = top.join(gix.git_dir());
    if let Some(index) = &env.git_index_file
        && !same_file(&top.join(index), &git_dir.join("index"))
    {
        return Ok(None);
    }
    let lock = git_dir.join("index.lock");
    let index = match lock.is_file().then(|| gix.index(top, Some(lock.as_path()))) {
        Some(Ok(index)) => index,
        Some(Err(e)) => {
            tracing::debug!(
                "git-dvc: index.lock is not readable as an index ({e}); reading the index"
            );
            gix.index(top, None).map_err(|e| e.to_string())?
        }
        None => gix.index(top, None).map_err(|e| e.to_string())?,
    };
    let mut listing = Vec::new();
    for (path, tag, mode, id, stage) in
        index.listing(|p| pointer::is_pointer_path(p) || p == DVC_CONFIG)
    {
        listing.extend_from_slice(format!("{tag} {mode:06o} {id} {stage}\t{path}").as_bytes());
        listing.push(0);
    }
    Ok(Some((git_dir, listing)))
}

/// [`read_in_process`] through git's CLI (`rev-parse`, `ls-files`).
fn read_with_git(env: &ProcessEnv) -> Result<Option<(PathBuf, Vec<u8>)>, Error> {
    let git = Git::current();
    let git_dir = git.git_dir()?;
    if let Some(index) = &env.git_index_file
        && !same_file(index, &git_dir.join("index"))
    {
        return Ok(None);
    }
    let mut pathspecs = pointer::POINTER_PATHSPECS.to_vec();
    pathspecs.push(DVC_CONFIG);
    // git runs this hook after closing the new index, and for some writes (`commit -a`,
    // `commit <paths>`) before renaming `index.lock` into place: then the lock holds what
    // the index is about to be.
    // An `index.lock` may also be another git process's, half-written (an IDE's
    // `git status` whose refresh fires this hook while a `git switch` writes its index):
    // when it does not read as an index, the index itself is what this write left.
    let lock = git_dir.join("index.lock");
    let listing = match lock
        .is_file()
        .then(|| git.ls_files_raw(&["-s", "-t"], &pathspecs, Some(lock.as_path())))
    {
        Some(Ok(listing)) => listing,
        Some(Err(e)) => {
            tracing::debug!(
                "git-dvc: index.lock is not readable as an index ({e}); reading the index"
            );
            git.ls_files_raw(&["-s", "-t"], &pathspecs, None)?
        }
        None => git.ls_files_raw(&["-s", "-t"], &pathspecs, None)?,
    };
    Ok(Some((git_dir, listing)))
}

fn remove_vanished(
    gone: Vec<(String, String, Option<String>)>,
    current: &BTreeMap<String, IndexPointer>,
    env: &ProcessEnv,
) -> i32 {
    let Some(hr) = super::open_for_post_hook(HookName::PostIndexChange, env) else {
        return 0;
    };
    let mut names = Vec::with_capacity(gone.len() * 2);
    for (_, old, new) in &gone {
        names.push(old.clone());
        names.push(new.clone().unwrap_or_else(|| old.clone()));
    }
    // Every other pointer in the worktree counts too: an out that moved to another
    // pointer (`git mv a.dvc b.dvc`, a `.dvc` turned pipeline output) is not orphaned.
    let others: Vec<(&String, &String)> = current
        .iter()
        .filter_map(|(path, p)| match p {
            IndexPointer::Blob(id) if !gone.iter().any(|(g, _, _)| g == path) => Some((path, id)),
            _ => None,
        })
        .collect();
    names.extend(others.iter().map(|(_, id)| (*id).clone()));
    let blobs = match hr.git.cat_file_batch(&names) {
        Ok(b) => b,
        Err(e) => {
            tracing::debug!("git-dvc: cannot read the pointers that left the index: {e}");
            return 0;
        }
    };
    let text = |b: Option<&Option<Vec<u8>>>| {
        b.and_then(|b| b.as_ref())
            .and_then(|b| String::from_utf8(b.clone()).ok())
    };
    let (pairs, rest) = blobs.split_at((gone.len() * 2).min(blobs.len()));
    let mut changes: Vec<(String, Option<String>, Option<String>)> = gone
        .iter()
        .zip(pairs.chunks(2))
        .filter_map(|((path, _, new), pair)| {
            // An old blob git no longer has: nothing is known about what it tracked.
            let old = text(pair.first())?;
            let new = if new.is_some() {
                Some(text(pair.get(1))?)
            } else {
                None
            };
            Some((path.clone(), Some(old), new))
        })
        .collect();
    for ((path, _), blob) in others.iter().zip(rest) {
        match text(Some(blob)) {
            Some(t) => changes.push(((*path).clone(), None, Some(t))),
            // Unknown content: its outs cannot be told apart, so remove nothing.
            None => return 0,
        }
    }
    let result = worktree::remove_vanished(&hr, changes);
    super::finish_post_hook(&hr, &result)
}

/// The tracked file whose skip-worktree bit says `.dvc/` left the sparse-checkout cone.
const DVC_CONFIG: &str = ".dvc/config";

/// The untracked file that keeps git from deleting `.dvc/` (and the cache in it).
pub const SPARSE_GUARD: &str = ".dvc/git-dvc-sparse-checkout.txt";

/// Whether `.dvc/config` is skip-worktree in `ls-files -s -t` output.
fn dvc_dir_skipped(listing: &[u8]) -> bool {
    listing
        .split(|&b| b == 0)
        .filter_map(|e| std::str::from_utf8(e).ok())
        .any(|e| e.starts_with("S ") && e.ends_with(&format!("\t{DVC_CONFIG}")))
}

/// `.dvc/` is outside the sparse-checkout cone. After this hook, cone mode deletes
/// out-of-cone directories that hold only tracked and ignored files: DVC's cache would go
/// with them. An untracked file makes git keep the directory (with a warning); write
/// one that says why, and tell the user.
fn protect_dvc_dir() {
    let guard = Path::new(SPARSE_GUARD);
    if !guard.exists() {
        let text = "git-dvc wrote this file: `.dvc/` is outside the sparse-checkout cone, and git\n\
                    would delete it, DVC's cache included. This untracked file makes git keep it.\n\
                    Run `git sparse-checkout add .dvc`, then delete this file.\n";
        if let Err(e) = fs_err::write(guard, text) {
            tracing::warn!("git-dvc: cannot protect `.dvc/` from sparse checkout: {e}");
            return;
        }
    }
    tracing::warn!(
        "git-dvc: `.dvc/` is outside the sparse-checkout cone, so git would delete DVC's cache; it was kept (see {SPARSE_GUARD}). Run `git sparse-checkout add .dvc`."
    );
}

/// Whether two paths name the same file (both must exist).
fn same_file(a: &Path, b: &Path) -> bool {
    match (fs_err::canonicalize(a), fs_err::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";

    fn map(entries: &[(&str, Option<&str>)]) -> BTreeMap<String, IndexPointer> {
        entries
            .iter()
            .map(|(p, id)| {
                let v = match id {
                    Some(id) => IndexPointer::Blob((*id).to_owned()),
                    None => IndexPointer::Conflicted,
                };
                ((*p).to_owned(), v)
            })
            .collect()
    }

    #[test]
    fn parses_flags() {
        let a = |x: &[&str]| x.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let input = parse(&a(&["1", "0"])).unwrap();
        assert!(input.worktree_updated && !input.skip_worktree_updated);
        assert!(parse(&a(&["1"])).is_err());
        assert!(parse(&a(&["2", "0"])).is_err());
        assert!(parse(&a(&["1", "0", "x"])).is_err());
    }

    #[test]
    fn ls_files_output_keeps_pointers_and_marks_conflicts_and_sparse() {
        let bytes = format!(
            "H 100644 {A} 0\tdata.dvc\0S 100644 {A} 0\tsparse/x.dvc\0\
             M 100644 {A} 1\tc.dvc\0M 100644 {B} 2\tc.dvc\0H 100644 {B} 0\tsub/dvc.lock\0\
             H 100644 {B} 0\tREADME\0garbage\0"
        );
        let got = parse_ls_files(bytes.as_bytes());
        let mut want = map(&[
            ("c.dvc", None),
            ("data.dvc", Some(A)),
            ("sub/dvc.lock", Some(B)),
        ]);
        want.insert("sparse/x.dvc".to_owned(), IndexPointer::Skipped);
        assert_eq!(got, want);
    }

    #[test]
    fn detects_a_skipped_dvc_dir() {
        let s = format!("H 100644 {A} 0\t.dvc/config\0");
        assert!(!dvc_dir_skipped(s.as_bytes()));
        let s = format!("H 100644 {A} 0\ta.dvc\0S 100644 {A} 0\t.dvc/config\0");
        assert!(dvc_dir_skipped(s.as_bytes()));
        let s = format!("S 100644 {A} 0\tsub/.dvc/config\0");
        assert!(!dvc_dir_skipped(s.as_bytes()));
    }

    #[test]
    fn vanished_lists_removed_and_changed_but_not_conflicted() {
        let before = map(&[
            ("a.dvc", Some(A)),
            ("b.dvc", Some(A)),
            ("c.dvc", Some(A)),
            ("d.dvc", Some(A)),
            ("e.dvc", None),
        ]);
        let mut after = map(&[("a.dvc", Some(A)), ("b.dvc", Some(B)), ("c.dvc", None)]);
        after.insert("e.dvc".to_owned(), IndexPointer::Skipped);
        assert_eq!(
            vanished(&before, &after, true),
            vec![
                ("b.dvc".to_owned(), A.to_owned(), Some(B.to_owned())),
                ("d.dvc".to_owned(), A.to_owned(), None),
            ]
        );
        // Without a worktree update only a pointer that became skip-worktree counts.
        after.insert("a.dvc".to_owned(), IndexPointer::Skipped);
        assert_eq!(
            vanished(&before, &after, false),
            vec![("a.dvc".to_owned(), A.to_owned(), None)]
        );
    }

    #[test]
    fn snapshot_round_trips_and_skips_unwritable_names() {
        let dir = tempfile::tempdir().unwrap();
        let s = Snapshot::at(dir.path());
        assert!(s.load().is_none());
        let mut m = map(&[("a b.dvc", Some(A)), ("c.dvc", None)]);
        s.store(&m).unwrap();
        assert_eq!(s.load().unwrap(), m);
        m.insert("bad\nname.dvc".to_owned(), IndexPointer::Blob(B.to_owned()));
        s.store(&m).unwrap();
        assert_eq!(s.load().unwrap().len(), 2);
        // Damaged lines are dropped, not trusted.
        fs_err::write(dir.path().join("dvc/index-pointers"), "zz a.dvc\nnospace\n").unwrap();
        assert!(s.load().unwrap().is_empty());
    }
}

//! The one classifier of pointer files: which paths hold DVC stages whose outs are data.
//!
//! A pointer is a `<name>.dvc` file (a non-empty name before the suffix) or a `dvc.lock`.
//! `dvc.yaml` describes pipelines; it names outs but records no hashes, so it is a stage
//! file ([`PointerKind::Pipeline`]) but not a pointer. Paths are top-relative and
//! `/`-separated, or plain file names.

/// Pathspecs that select pointer files in git (`*` matches `/` in git's default
/// pathspecs); [`is_pointer_path`] filters their `*dvc.lock` false positives
/// (`xdvc.lock`).
pub const POINTER_PATHSPECS: [&str; 2] = ["*.dvc", "*dvc.lock"];

/// What kind of DVC file a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointerKind {
    /// `x.dvc`: a single-stage file.
    DvcFile,
    /// `dvc.lock`: the lock of a pipeline file.
    Lock,
    /// `dvc.yaml`: a pipeline definition.
    Pipeline,
}

/// The last `/`-separated component of `path`.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Classify `path` (top-relative, `/`-separated, or a bare name).
pub fn classify(path: &str) -> Option<PointerKind> {
    let name = file_name(path);
    if name == "dvc.lock" {
        Some(PointerKind::Lock)
    } else if name == "dvc.yaml" {
        Some(PointerKind::Pipeline)
    } else if name.len() > ".dvc".len() && name.ends_with(".dvc") {
        Some(PointerKind::DvcFile)
    } else {
        None
    }
}

/// True for `x.dvc` and `dvc.lock` paths: the files that record hashes of data.
pub fn is_pointer_path(path: &str) -> bool {
    matches!(
        classify(path),
        Some(PointerKind::DvcFile | PointerKind::Lock)
    )
}

/// True for `x.dvc`, `dvc.lock` and `dvc.yaml`: every file that defines stages.
pub fn is_stage_file(path: &str) -> bool {
    classify(path).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_paths() {
        assert!(is_pointer_path("a.dvc"));
        assert!(is_pointer_path("d/e f.dvc"));
        assert!(is_pointer_path("dvc.lock"));
        assert!(is_pointer_path("sub/dvc.lock"));
        assert!(!is_pointer_path("xdvc.lock"));
        assert!(!is_pointer_path(".dvc"));
        assert!(!is_pointer_path("d/.dvc"));
        assert!(!is_pointer_path("a.dvc/x"));
        assert!(!is_pointer_path("dvc.yaml"));
        assert!(is_stage_file("sub/dvc.yaml"));
        assert_eq!(classify("a/b.dvc"), Some(PointerKind::DvcFile));
        assert_eq!(classify("a/dvc.lock"), Some(PointerKind::Lock));
        assert_eq!(classify("README"), None);
    }
}

//! afl.rs driver for [`git_dvc::fuzzing::dvcignore`].
fn main() {
    afl::fuzz!(|data: &[u8]| git_dvc::fuzzing::dvcignore(data));
}

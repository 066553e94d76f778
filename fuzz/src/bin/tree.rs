//! afl.rs driver for [`git_dvc::fuzzing::tree`].
fn main() {
    afl::fuzz!(|data: &[u8]| git_dvc::fuzzing::tree(data));
}

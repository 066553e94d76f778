//! afl.rs driver for [`git_dvc::fuzzing::lock`].
fn main() {
    afl::fuzz!(|data: &[u8]| git_dvc::fuzzing::lock(data));
}

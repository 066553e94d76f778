//! afl.rs driver for [`git_dvc::fuzzing::configobj`].
fn main() {
    afl::fuzz!(|data: &[u8]| git_dvc::fuzzing::configobj(data));
}

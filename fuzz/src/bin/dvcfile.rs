//! afl.rs driver for [`git_dvc::fuzzing::dvcfile`].
fn main() {
    afl::fuzz!(|data: &[u8]| git_dvc::fuzzing::dvcfile(data));
}

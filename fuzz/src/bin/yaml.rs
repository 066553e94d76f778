//! afl.rs driver for [`git_dvc::fuzzing::yaml_scalar`].
fn main() {
    afl::fuzz!(|data: &[u8]| git_dvc::fuzzing::yaml_scalar(data));
}

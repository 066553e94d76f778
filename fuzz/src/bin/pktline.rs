//! afl.rs driver for [`git_dvc::fuzzing::pktline`].
fn main() {
    afl::fuzz!(|data: &[u8]| git_dvc::fuzzing::pktline(data));
}

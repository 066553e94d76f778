#!/usr/bin/env bash
# Run the property tests of the parsers and writers (src/data/props.rs, and the pkt-line
# codec in src/filter/pktline.rs) for many cases.
#
#   scripts/fuzz.sh              # 100,000 cases per property
#   scripts/fuzz.sh 1000000      # more
#
# `cargo test` runs the same properties with 256 cases each, after replaying the
# failures kept in fuzz/regressions/ and the hostile inputs of fuzz/corpus/. A failure
# found here is written to fuzz/regressions/<target>.txt (commit it with its fix).
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-100000}
PROPTEST_CASES=$cases cargo test --release --lib props -- --test-threads 2

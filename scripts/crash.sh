#!/usr/bin/env bash
# Kill git-dvc with SIGKILL at seeded random moments, many times, during add, commit,
# checkout, push, pull, fetch and gc, and check the repository, cache and remote after
# each kill and after the rerun (tests/git/crash.rs).
#
#   scripts/crash.sh            # 200 kills per command
#   scripts/crash.sh 1000
#   CRASH_SEED=<seed> scripts/crash.sh 1   # replay the seed a failure printed
#
# `cargo test` runs the same loops with 4 kills per command.
set -euo pipefail
cd "$(dirname "$0")/.."
CRASH_ITERATIONS=${1:-200} cargo test --test git -- crash:: --nocapture --test-threads 1

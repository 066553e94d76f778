#!/usr/bin/env bash
# Race git-dvc against dvc, against itself, against a `git status` loop, a push against
# a gc on one remote, and two Unix users on one shared cache, many rounds each, and check
# the repository, cache and remote after every round (tests/git/concurrency.rs; needs
# root for the shared-cache test, which creates users).
#
#   scripts/concurrency.sh          # 50 rounds per race
#   scripts/concurrency.sh 500
#
# `cargo test` runs the same races with 2 rounds each.
set -euo pipefail
cd "$(dirname "$0")/.."
CONCURRENCY_ITERATIONS=${1:-50} cargo test --test git -- concurrency:: --nocapture --test-threads 1

#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers and writers of untrusted input with afl.rs
# (AFL++), on the stable toolchain. The targets are the functions of src/fuzzing.rs;
# fuzz/ holds their afl.rs drivers.
#
#   scripts/afl.sh                  # every target, 10 minutes each
#   scripts/afl.sh 3600 tree lock   # one hour each for two targets
#
# The first build instruments every dependency (an hour on two busy cores).
#
# Needs `cargo install cargo-afl` (which builds AFL++ for the toolchain on first use).
# Each target starts from fuzz/corpus/<target>/ and writes to fuzz/out/<target>/
# (ignored by git). At the end, the queue is minimized with afl-cmin and the inputs
# that add coverage are copied into fuzz/corpus/<target>/, which `cargo test` replays
# (fuzzing::tests::corpus_replays_through_every_target). A crash is copied to
# fuzz/crashes/<target>/ and makes the script fail: fix it, and keep the input in
# the corpus as its regression test.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(dvcfile lock yaml tree configobj dvcignore pktline)
fi
command -v cargo-afl >/dev/null || {
    echo "cargo-afl is missing: cargo install cargo-afl" >&2
    exit 2
}
# GIT_DVC_AFL_NO_BUILD=1 reuses the drivers already built.
[ "${GIT_DVC_AFL_NO_BUILD:-}" = 1 ] || cargo afl build
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_AFFINITY=1
# afl-cmin runs afl-showmap from PATH: take the one cargo-afl built, not a system AFL++'s.
aflrs_bin=$(ls -d "${XDG_DATA_HOME:-$HOME/.local/share}"/afl.rs/*/afl.rs-*/afl/bin 2>/dev/null | tail -1)
[ -n "$aflrs_bin" ] && export PATH="$aflrs_bin:$PATH"
failed=0
for t in "${targets[@]}"; do
    echo "== $t: ${seconds}s"
    rm -rf "out/$t" "out/$t.seeds"
    mkdir -p "out/$t.seeds"
    # Seeds: the corpus inputs up to 4 KiB that run in under 0.2 s (the large and slow
    # hand-made cases, such as the YAML bombs, would only slow the mutation down).
    for f in "corpus/$t"/*; do
        if [ "$(stat -c %s "$f")" -le 4096 ] &&
            timeout 0.2 "target/debug/$t" < "$f" > /dev/null 2>&1; then
            cp "$f" "out/$t.seeds/"
        fi
    done
    # -V: stop after that many seconds; -t: a run over 1 s is a hang; -G: inputs up
    # to 4 KiB (the large hand-made cases are replayed by cargo test, not mutated).
    cargo afl fuzz -V "$seconds" -t 1000 -G 4096 -i "out/$t.seeds" -o "out/$t" "target/debug/$t" \
        > "out/$t.log" 2>&1 || true
    stats="out/$t/default/fuzzer_stats"
    if [ -f "$stats" ]; then
        grep -E '^(execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg) ' "$stats"
    else
        echo "afl-fuzz did not start; see fuzz/out/$t.log" >&2
        tail -20 "out/$t.log" >&2
        failed=1
        continue
    fi
    crashes=(out/"$t"/default/crashes/id:*)
    if [ -e "${crashes[0]}" ]; then
        mkdir -p "crashes/$t"
        cp "${crashes[@]}" "crashes/$t/"
        echo "$t: ${#crashes[@]} crash(es), copied to fuzz/crashes/$t/" >&2
        failed=1
    fi
    # Keep the inputs that add coverage (minimized), named by their content.
    rm -rf "out/$t.cmin"
    # AFL_MAP_SIZE: afl-cmin otherwise takes the size the driver reports (about 25,000
    # edges for these), under which afl-showmap's cmin mode sees every run crash and keeps
    # nothing; 262144 holds every edge of these drivers (the .dvcignore one needs more than 65536).
    AFL_MAP_SIZE=262144 cargo afl cmin -i "$PWD/out/$t/default/queue" -o "$PWD/out/$t.cmin" \
        -- "$PWD/target/debug/$t" > "out/$t.cmin.log" 2>&1 || true
    if [ -z "$(ls -A "out/$t.cmin" 2>/dev/null)" ]; then
        echo "$t: afl-cmin kept nothing; see fuzz/out/$t.cmin.log" >&2
        failed=1
        continue
    fi
    if true; then
        added=0
        known=$(for f in "corpus/$t"/*; do md5sum < "$f"; done)
        for f in "out/$t.cmin"/*; do
            sum=$(md5sum < "$f")
            if ! grep -qF "$sum" <<< "$known"; then
                cp "$f" "corpus/$t/afl-${sum:0:16}"
                known+=$'\n'"$sum"
                added=$((added + 1))
            fi
        done
        echo "$t: $added new corpus inputs"
    else
        echo "$t: afl-cmin failed; see fuzz/out/$t.cmin.log" >&2
    fi
done
exit $failed

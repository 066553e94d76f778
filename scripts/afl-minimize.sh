#!/usr/bin/env bash
# Shrink the checked-in fuzz corpora to the inputs that add coverage, with afl-cmin.
#
#   scripts/afl-minimize.sh             # every target
#   scripts/afl-minimize.sh dvcfile     # one
#
# Only the inputs afl found (`afl-*`) are candidates for removal; the hand-made cases and
# the regression inputs (any other name) are always kept. Needs the drivers built
# (`cargo afl build` in fuzz/, or a run of scripts/afl.sh).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(dvcfile lock yaml tree configobj dvcignore pktline)
fi
command -v cargo-afl >/dev/null || {
    echo "cargo-afl is missing: cargo install cargo-afl" >&2
    exit 2
}
aflrs_bin=$(ls -d "${XDG_DATA_HOME:-$HOME/.local/share}"/afl.rs/*/afl.rs-*/afl/bin 2>/dev/null | tail -1)
[ -n "$aflrs_bin" ] && export PATH="$aflrs_bin:$PATH"
export AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1
for t in "${targets[@]}"; do
    [ -x "target/debug/$t" ] || {
        echo "$t: the driver is not built (cargo afl build in fuzz/)" >&2
        exit 2
    }
    rm -rf "out/$t.all" "out/$t.min"
    mkdir -p "out/$t.all"
    # The same seeds afl.sh mutates: up to 4 KiB, under 0.2 s.
    for f in "corpus/$t"/afl-*; do
        [ -e "$f" ] || continue
        if [ "$(stat -c %s "$f")" -le 4096 ] &&
            timeout 0.2 "target/debug/$t" < "$f" > /dev/null 2>&1; then
            cp "$f" "out/$t.all/"
        fi
    done
    before=$(ls "corpus/$t" | grep -c '^afl-' || true)
    # See afl.sh for AFL_MAP_SIZE.
    AFL_MAP_SIZE=262144 cargo afl cmin -i "$PWD/out/$t.all" -o "$PWD/out/$t.min" \
        -- "$PWD/target/debug/$t" > "out/$t.min.log" 2>&1 || true
    if [ -z "$(ls -A "out/$t.min" 2>/dev/null)" ]; then
        echo "$t: afl-cmin kept nothing; the corpus is left as it was (fuzz/out/$t.min.log)" >&2
        continue
    fi
    keep=$(for f in "out/$t.min"/*; do md5sum < "$f"; done)
    removed=0
    # Only the candidates can go: a larger or slower afl input stays.
    for f in "out/$t.all"/*; do
        [ -e "$f" ] || continue
        if ! grep -qF "$(md5sum < "$f")" <<< "$keep"; then
            rm "corpus/$t/$(basename "$f")"
            removed=$((removed + 1))
        fi
    done
    echo "$t: kept $((before - removed)) of $before afl inputs"
done

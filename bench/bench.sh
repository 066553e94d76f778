#!/usr/bin/env bash
# Benchmark git-dvc against dvc 3.67.1, side by side on the same data, in one run.
#
#   bench/bench.sh                 # 20,000 files, a 1 GiB file, median of 3 runs
#   bench/bench.sh --quick         # 2,000 files, a 128 MiB file
#   bench/bench.sh --only add,status --runs 5
#   bench/bench.sh --list          # the cases
#
# Other options go to bench/bench.py (--files N, --big-mib N, --runs N, --jobs N,
# --only a,b, --workdir DIR, --watchman auto|on|off). The work dir defaults to target/bench-work, on the same
# filesystem as the checkout; it is kept between runs so the dataset is generated once.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

args=()
quick=0
for a in "$@"; do
    case "$a" in
        --quick) quick=1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) args+=("$a") ;;
    esac
done
if [ "$quick" = 1 ]; then
    args=(--files 2000 --big-mib 128 "${args[@]}")
fi

target_dir=${CARGO_TARGET_DIR:-$root/target}
echo "== building git-dvc (release)" >&2
cargo build --release --bins >&2
echo "== building the floor program" >&2
mkdir -p "$target_dir/bench"
if [ ! -x "$target_dir/bench/floor" ] || [ bench/floor.rs -nt "$target_dir/bench/floor" ]; then
    rustc -O --edition 2021 bench/floor.rs -o "$target_dir/bench/floor"
fi
echo "== dvc oracle venv" >&2
venv=$(.ci/oracle-venv)
case "$venv" in /*) ;; *) venv=$root/$venv ;; esac

exec python3 bench/bench.py \
    --git-dvc "$target_dir/release/git-dvc" \
    --dvc "$venv/bin/dvc" \
    --floor "$target_dir/bench/floor" \
    --workdir "$target_dir/bench-work" \
    "${args[@]}"

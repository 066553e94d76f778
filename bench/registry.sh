#!/usr/bin/env bash
# Benchmark the registry commands of git-dvc against dvc 3.67.1, side by side, in one run.
#
#   bench/registry.sh                     # 20,000 small files, 3 runs
#   bench/registry.sh --files 500 --runs 1 --debug   # check that it runs (debug build)
#   BENCH_WORKDIR=/dev/shm/bench-registry bench/registry.sh   # on tmpfs
#
# Cases (a local registry: git repository, the dataset as one directory out, its cache):
#   import   `import <registry> data` into a fresh project (empty cache)
#   update   after one file of the registry's `data` changed and was committed,
#            `update data.dvc` in that project
# Prints the median wall time of each tool per case and dvc/git-dvc as a ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

files=20000
runs=3
profile=release
while [ $# -gt 0 ]; do
    case "$1" in
        --files) files=$2; shift ;;
        --runs) runs=$2; shift ;;
        --debug) profile=debug ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

target_dir=${CARGO_TARGET_DIR:-$root/target}
echo "== building git-dvc ($profile)" >&2
if [ "$profile" = release ]; then cargo build --release --bins >&2; else cargo build --bins >&2; fi
gd=$target_dir/$profile/git-dvc
echo "== dvc oracle venv" >&2
venv=${GIT_DVC_ORACLE_VENV:-$(.ci/oracle-venv)}
case "$venv" in /*) ;; *) venv=$root/$venv ;; esac
dvc=$venv/bin/dvc

work=${BENCH_WORKDIR:-$target_dir/bench-registry}
mkdir -p "$work"
export DVC_NO_ANALYTICS=1 GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export DVC_SITE_CACHE_DIR=$work/site-cache

dataset=$work/dataset-$files
if [ ! -d "$dataset" ]; then
    echo "== writing $files files" >&2
    python3 bench/mkdata.py "$dataset.tmp" "$files"
    mv "$dataset.tmp" "$dataset"
fi

rmrf() { chmod -R u+w "$@" 2>/dev/null || true; rm -rf "$@"; }

# ms <cmd...>: run in the current directory, print wall milliseconds; fail loudly.
ms() {
    local start end
    start=$(date +%s%N)
    if ! "$@" >"$work/last.log" 2>&1; then
        echo "FAILED: $* (in $PWD)" >&2
        cat "$work/last.log" >&2
        exit 1
    fi
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

declare -A times
garbage=()
cleanup() { if [ ${#garbage[@]} -gt 0 ]; then rmrf "${garbage[@]}"; fi; }
trap cleanup EXIT

# one_run <run> <tool-name> <tool>: a fresh registry and project; import, then change
# one file in the registry and update.
one_run() {
    local run=$1 name=$2 tool=$3
    local tag=$name-$run-$$
    local reg=$work/reg-$tag proj=$work/proj-$tag
    git init -q -b main "$reg"
    (cd "$reg" && "$dvc" init -q && cp -r "$dataset" data && "$gd" add -q data &&
        git add -A && git commit -qm data)
    git init -q -b main "$proj"
    (cd "$proj" && "$dvc" init -q && git commit -qm init)
    local t
    sync
    t=$(cd "$proj" && ms "$tool" import -q "$reg" data)
    times[import-$name]+="$t "
    # One file changes in the registry.
    local one
    one=$(cd "$reg/data" && find . -type f | sort | awk 'NR == 1')
    (cd "$reg" && chmod u+w "data/$one" && echo changed >>"data/$one" && "$gd" add -q data &&
        git add -A && git commit -qm change)
    sync
    t=$(cd "$proj" && ms "$tool" update -q data.dvc)
    times[update-$name]+="$t "
    # Check the result once: the project is up to date with the registry.
    local status
    status=$(cd "$proj" && "$dvc" status)
    [ "$status" = "Data and pipelines are up to date." ] || {
        echo "update left the project dirty ($name): $status" >&2
        exit 1
    }
    cmp -s "$reg/data/$one" "$proj/data/$one" || {
        echo "update did not bring the changed file ($name)" >&2
        exit 1
    }
    garbage+=("$reg" "$proj")
}

echo "== local registry, $files files, $runs runs" >&2
for r in $(seq "$runs"); do
    one_run "$r" dvc "$dvc"
    one_run "$r" git-dvc "$gd"
done

printf '\n%-12s %12s %12s %8s   (median wall ms; %s files)\n' case dvc git-dvc ratio "$files"
for c in import update; do
    # shellcheck disable=SC2086
    d=$(median ${times[$c-dvc]})
    # shellcheck disable=SC2086
    g=$(median ${times[$c-git-dvc]})
    ratio=$(awk -v d="$d" -v g="$g" 'BEGIN { printf "%.1fx", (g > 0) ? d / g : 0 }')
    printf '%-12s %12s %12s %8s\n' "$c" "$d" "$g" "$ratio"
done

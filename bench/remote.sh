#!/usr/bin/env bash
# Benchmark push and pull of git-dvc against dvc 3.67.1, side by side, in one run.
#
#   bench/remote.sh                       # 20,000 small files; local: 3 runs, S3: 1 run
#   bench/remote.sh --files 2000 --runs 5
#   bench/remote.sh --no-s3               # local remote only
#   bench/remote.sh --s3-runs 3
#
# Cases (each on a fresh, uniquely named remote so that no remote index helps either tool):
#   local push  push the dataset to an empty local directory remote
#   local pull  pull it into a fresh `git clone` (empty cache, empty workspace)
#   s3 push     push to an empty bucket on a loopback moto S3 server (dvc uses dvc-s3)
#   s3 pull     pull from it into a fresh clone
# Prints the median wall time of each tool per case and dvc/git-dvc as a ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

files=20000
runs=3
s3_runs=1
s3=1
while [ $# -gt 0 ]; do
    case "$1" in
        --files) files=$2; shift ;;
        --runs) runs=$2; shift ;;
        --s3-runs) s3_runs=$2; shift ;;
        --no-s3) s3=0 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

target_dir=${CARGO_TARGET_DIR:-$root/target}
echo "== building git-dvc (release)" >&2
cargo build --release --bins >&2
gd=$target_dir/release/git-dvc
echo "== dvc oracle venv" >&2
venv=$(.ci/oracle-venv)
case "$venv" in /*) ;; *) venv=$root/$venv ;; esac
dvc=$venv/bin/dvc
py=$venv/bin/python

work=$target_dir/bench-remote
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

# The source repository: the dataset tracked as one directory out, committed.
src=$work/src-$files
if [ ! -f "$src/data.dvc" ]; then
    echo "== preparing the source repository" >&2
    rm -rf "$src"
    git init -q -b main "$src"
    (cd "$src" && "$dvc" init -q && cp -r "$dataset" data && "$gd" add -q data &&
        git add -A && git commit -qm data)
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

# one_run <kind> <run> <tool-name> <tool>: push from the source repo to a fresh remote,
# then pull into a fresh clone.
one_run() {
    local kind=$1 run=$2 name=$3 tool=$4 url
    local tag=$kind-$name-$run-$$
    case "$kind" in
        local) url=$work/store-$tag ;;
        s3)
            url=s3://bench/$tag ;;
    esac
    (cd "$src" && "$dvc" remote add -q -f -d bench "$url" &&
        if [ "$kind" = s3 ]; then "$dvc" remote modify bench endpointurl "$endpoint"; fi)
    local t
    sync
    t=$(cd "$src" && ms "$tool" push -q)
    times[$kind-push-$name]+="$t "
    local clone=$work/clone-$tag
    rmrf "$clone"
    git clone -q "$src" "$clone"
    (cd "$clone" && "$dvc" remote add -q -f -d bench "$url" &&
        if [ "$kind" = s3 ]; then "$dvc" remote modify bench endpointurl "$endpoint"; fi)
    sync
    t=$(cd "$clone" && ms "$tool" pull -q)
    times[$kind-pull-$name]+="$t "
    # Check the result once: the clone is complete and clean.
    local status
    status=$(cd "$clone" && "$gd" status)
    [ "$status" = "Data and pipelines are up to date." ] || {
        echo "pull left the clone dirty ($name, $kind): $status" >&2
        exit 1
    }
    # Remotes and clones are deleted at the end only: on ext4, creating files right after
    # deleting a tree of 20,000 is several times slower, which would skew the next case.
    garbage+=("$clone")
    if [ "$kind" = local ]; then garbage+=("$url"); fi
}
garbage=()

echo "== local remote, $files files, $runs runs" >&2
for r in $(seq "$runs"); do
    one_run local "$r" dvc "$dvc"
    one_run local "$r" git-dvc "$gd"
done

moto_pid=
cleanup() {
    if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; fi
    if [ ${#garbage[@]} -gt 0 ]; then rmrf "${garbage[@]}"; fi
}
trap cleanup EXIT
if [ "$s3" = 1 ]; then
    port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    endpoint=http://127.0.0.1:$port
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
    moto_pid=$!
    for _ in $(seq 100); do
        if "$py" -c "import urllib.request; urllib.request.urlopen('$endpoint')" 2>/dev/null; then break; fi
        sleep 0.1
    done
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
    export AWS_EC2_METADATA_DISABLED=true
    "$py" -c "import boto3; boto3.client('s3', endpoint_url='$endpoint', region_name='us-east-1').create_bucket(Bucket='bench')"
    echo "== moto S3 at $endpoint, $files files, $s3_runs runs" >&2
    for r in $(seq "$s3_runs"); do
        one_run s3 "$r" dvc "$dvc"
        one_run s3 "$r" git-dvc "$gd"
    done
fi

printf '\n%-12s %12s %12s %8s   (median wall ms; %s files)\n' case dvc git-dvc ratio "$files"
cases="local-push local-pull"
if [ "$s3" = 1 ]; then cases="$cases s3-push s3-pull"; fi
for c in $cases; do
    # shellcheck disable=SC2086
    d=$(median ${times[$c-dvc]})
    # shellcheck disable=SC2086
    g=$(median ${times[$c-git-dvc]})
    ratio=$(awk -v d="$d" -v g="$g" 'BEGIN { printf "%.1fx", (g > 0) ? d / g : 0 }')
    printf '%-12s %12s %12s %8s\n' "$c" "$d" "$g" "$ratio"
done

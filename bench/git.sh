#!/usr/bin/env bash
# Benchmark git-dvc's git integration (hooks and filter) against plain git and against
# dvc 3.67.1's own hooks, on one repository tracking a 20,000-file directory.
#
#   bench/git.sh                      # 20,000 files, median of 5 runs
#   bench/git.sh --files 2000 --runs 3
#
# Cases (each a median of --runs runs; one repository copy per configuration):
#   commit   `git commit --allow-empty` with nothing to do:
#            no hooks | git-dvc installed | `dvc install` hooks
#   switch   a branch switch that changes one small pointer (both directions):
#            no hooks | git-dvc installed | `dvc install` hooks
#   full     switching from a branch without the directory to one with it: git-dvc
#            materializes all files through the filter, vs `dvc checkout` of the
#            missing directory (moved aside in both cases, see below)
#   delta    a switch that changes the directory's pointer (one file changed, one
#            added), vs a hook-less switch followed by `dvc checkout`
#
# Targets (DESIGN.md): hooks add <= 150 ms to commit and switch; full materialization
# >= 7x faster than dvc checkout. The work dir defaults to target/bench-git, on the
# same filesystem as the checkout; it is recreated on every run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
files=20000
runs=5
while [ $# -gt 0 ]; do
    case "$1" in
        --files) files=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

target_dir=${CARGO_TARGET_DIR:-$root/target}
echo "== building git-dvc (release)" >&2
(cd "$root" && cargo build --release --bins >&2)
venv=$(cd "$root" && .ci/oracle-venv)
case "$venv" in /*) ;; *) venv=$root/$venv ;; esac

work=$target_dir/bench-git
rm -rf "$work"
mkdir -p "$work/home"
# Hermetic git and dvc: no user config, no system config, git-dvc and dvc first on PATH.
export HOME=$work/home
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$work/home/.gitconfig
export DVC_NO_ANALYTICS=1 DVC_SITE_CACHE_DIR=$work/dvc-site DVC_GLOBAL_CONFIG_DIR=$work/dvc-global
export DVC_SYSTEM_CONFIG_DIR=$work/dvc-system
export PATH=$target_dir/release:$venv/bin:/usr/local/bin:/usr/bin:/bin
printf '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n' >"$GIT_CONFIG_GLOBAL"

# `timed OUTVAR cmd...`: run cmd, append its wall time in ms to the array OUTVAR.
timed() {
    local var=$1; shift
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>"$work/last.err" || { echo "FAILED: $*" >&2; cat "$work/last.err" >&2; exit 1; }
    t1=$(date +%s%N)
    eval "$var+=($(( (t1 - t0) / 1000000 )))"
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

echo "== building the repository ($files files)" >&2
base=$work/base
mkdir -p "$base"
cd "$base"
git init -q
git dvc init -q
git add -A && git commit -q -m init
python3 "$root/bench/mkdata.py" data "$files"
echo v1 >small.txt
git dvc add -q data small.txt
git add -A && git commit -q -m data
git checkout -q -b small2
echo v2 >small.txt
git dvc add -q small.txt
git commit -q -a -m small2
git checkout -q -b big2 main
echo changed >data/d000/f000000.bin
echo added >data/added.bin
git dvc add -q data
git commit -q -a -m big2
git checkout -q -b nodata main
git rm -q data.dvc
git commit -q -m nodata
git checkout -q main
git dvc checkout -q -f

for cfg in plain gitdvc dvchooks; do
    cp -a "$base" "$work/$cfg"
done
(cd "$work/gitdvc" && git dvc install >/dev/null)
(cd "$work/dvchooks" && dvc install >/dev/null)
# Warm every copy (state DBs, page cache) once.
for cfg in plain gitdvc dvchooks; do
    (cd "$work/$cfg" && git status -s >/dev/null && git dvc status -q >/dev/null && dvc status -q >/dev/null) || true
done

declare -A result
for cfg in plain gitdvc dvchooks; do
    cd "$work/$cfg"
    commit=() switch=()
    for _ in $(seq "$runs"); do
        timed commit git commit -q --allow-empty -m bench
        timed switch git checkout -q small2
        timed switch git checkout -q main
    done
    result[commit_$cfg]=$(median "${commit[@]}")
    result[switch_$cfg]=$(median "${switch[@]}")
done

echo "== full materialization ($files files)" >&2
# The directory is moved aside rather than deleted before each materialization, for both
# tools: ext4 makes creating files right after deleting thousands in the same place very
# slow (inode allocation skips recently deleted inodes), which would measure the
# filesystem, not the tools.
mkdir -p "$work/trash"
cd "$work/gitdvc"
full_ours=() full_dvc=() delta_ours=() delta_dvc=()
for i in $(seq "$runs"); do
    git -c core.hooksPath=/dev/null checkout -q nodata
    mv data "$work/trash/ours-$i"
    timed full_ours git checkout -q main
    [ -e data/d099/f019999.bin ] || [ "$files" != 20000 ] || { echo "data missing" >&2; exit 1; }
    timed delta_ours git checkout -q big2
    timed delta_ours git checkout -q main
done
cd "$work/plain"
for i in $(seq "$runs"); do
    mv data "$work/trash/dvc-$i"
    timed full_dvc dvc checkout -q
    git checkout -q big2
    timed delta_dvc dvc checkout -q
    git checkout -q main
    timed delta_dvc dvc checkout -q
done

rm -rf "$work/trash"
m() { median "$@"; }
fo=$(m "${full_ours[@]}") fd=$(m "${full_dvc[@]}") dlo=$(m "${delta_ours[@]}") dld=$(m "${delta_dvc[@]}")
cat <<EOF

git integration, $files files, median of $runs runs (ms)
case                          no hooks   git-dvc   dvc hooks   git-dvc overhead   dvc overhead
git commit (nothing to do)    $(printf '%8s  %8s  %10s  %17s  %13s' "${result[commit_plain]}" "${result[commit_gitdvc]}" "${result[commit_dvchooks]}" "$(( result[commit_gitdvc] - result[commit_plain] ))" "$(( result[commit_dvchooks] - result[commit_plain] ))")
switch, one small pointer     $(printf '%8s  %8s  %10s  %17s  %13s' "${result[switch_plain]}" "${result[switch_gitdvc]}" "${result[switch_dvchooks]}" "$(( result[switch_gitdvc] - result[switch_plain] ))" "$(( result[switch_dvchooks] - result[switch_plain] ))")

case                                   git-dvc (git switch)   dvc checkout   speed-up
full: directory materialized           $(printf '%20s  %13s  %8s' "$fo" "$fd" "$(python3 -c "print(f'{$fd/max($fo,1):.1f}x')")")
delta: directory pointer changed       $(printf '%20s  %13s  %8s' "$dlo" "$dld" "$(python3 -c "print(f'{$dld/max($dlo,1):.1f}x')")")
EOF

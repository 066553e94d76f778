#!/usr/bin/env bash
# Maintenance benchmark (issue 5): git-dvc against dvc 3.67.1 on the same repository.
#
#   bench/maint.sh                        # 20,000 files, 200 commits, median of 3 runs
#   bench/maint.sh --files 2000 --commits 50 --runs 3
#
# The history: one directory out of N files (bench/mkdata.py), then C commits that each
# change 3 files of it and re-add it (with git-dvc, which writes dvc's bytes). Built once
# into target/bench-maint/<N>-<C> and reused. Cases:
#   gc -A -f      before each run 100 unreferenced objects are dropped into the cache, so
#                 both tools walk every commit, expand every .dir and remove the same junk;
#   diff A B      between the first and the last revision of the directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

files=20000
commits=200
runs=3
while [ $# -gt 0 ]; do
    case "$1" in
        --files) files=$2; shift 2 ;;
        --commits) commits=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

target_dir=${CARGO_TARGET_DIR:-$root/target}
echo "== building git-dvc (release)" >&2
cargo build --release --bins >&2
gd=$target_dir/release/git-dvc
dvc=$target_dir/oracle-venv/bin/dvc
if [ ! -x "$dvc" ]; then
    venv=$(.ci/oracle-venv)
    case "$venv" in /*) ;; *) venv=$root/$venv ;; esac
    dvc=$venv/bin/dvc
fi

work=$target_dir/bench-maint/$files-$commits
export DVC_NO_ANALYTICS=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
    GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

if [ ! -f "$work/.built" ]; then
    echo "== building the history in $work ($files files, $commits commits)" >&2
    rm -rf "$work"
    mkdir -p "$work"
    cd "$work"
    git init -q -b main .
    "$gd" init -q
    python3 "$root/bench/mkdata.py" data "$files"
    "$gd" add -q data
    git add -A
    git commit -q -m "c0"
    for i in $(seq 1 "$commits"); do
        for k in 0 1 2; do
            n=$(( (i * 7919 + k * 104729) % files ))
            printf 'commit %d change %d\n' "$i" "$k" > "data/d$(printf %03d $((n % 100)))/f$(printf %06d $n).bin"
        done
        "$gd" add -q data
        git commit -q -am "c$i"
    done
    touch .built
    cd "$root"
fi

exec python3 - "$work" "$gd" "$dvc" "$runs" "$commits" <<'PY'
import os, statistics, subprocess, sys, time

work, gd, dvc, runs, commits = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])

def junk(tag):
    for i in range(100):
        oid = "%032x" % (hash((tag, i)) & ((1 << 128) - 1))
        d = os.path.join(work, ".dvc/cache/files/md5", oid[:2])
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, oid[2:])
        with open(p, "w") as f:
            f.write("junk %s %d\n" % (tag, i))
        os.chmod(p, 0o444)

def timed(cmd, prepare=None):
    out = []
    for r in range(runs):
        if prepare:
            prepare(r)
        t = time.perf_counter()
        p = subprocess.run(cmd, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out.append(time.perf_counter() - t)
        if p.returncode != 0:
            sys.exit("%s failed:\n%s%s" % (" ".join(cmd), p.stdout.decode(), p.stderr.decode()))
    return statistics.median(out), p.stdout.decode()

rows = []
g, gout = timed([gd, "gc", "-A", "-f"], lambda r: junk("g%d" % r))
d, dout = timed([dvc, "gc", "-A", "-f"], lambda r: junk("d%d" % r))
assert gout == dout, "gc output differs:\n%s\n%s" % (gout, dout)
rows.append(("gc -A -f (%d commits)" % commits, g, d))
a, b = "HEAD~%d" % commits, "HEAD"
g, gout = timed([gd, "diff", a, b])
d, dout = timed([dvc, "diff", a, b])
assert gout == dout, "diff output differs"
rows.append(("diff %s %s" % (a, b), g, d))
g, gout = timed([gd, "diff", a, b, "--json"])
d, dout = timed([dvc, "diff", a, b, "--json"])
assert gout == dout, "diff --json output differs"
rows.append(("diff --json", g, d))

print("%-28s %10s %10s %8s" % ("case (median of %d)" % runs, "git-dvc", "dvc", "speedup"))
for name, g, d in rows:
    print("%-28s %9.3fs %9.3fs %7.1fx" % (name, g, d, d / g))
PY

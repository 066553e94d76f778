#!/usr/bin/env bash
# Benchmark push and pull of git-dvc against dvc 3.67.1 (with its remote plugin), side by
# side on the same server, in one run, for each remote backend.
#
#   bench/remote.sh                              # every backend, 20,000 small files
#   bench/remote.sh --backends local,s3s-fs,ssh --files 2000 --runs 3
#   bench/remote.sh --workdir /dev/shm/bench-remote --git-dvc ./target/release/git-dvc
#
# Options:
#   --backends a,b,c   which backends (default: all, in this order)
#                        local   a local directory remote
#                        moto    S3 on moto (dvc-s3); moto-bound, both tools are slow
#                        s3s-fs  S3 on s3s-fs, a fast S3 server on a directory (dvc-s3)
#                        ssh     OpenSSH's sshd, root login with a generated key (dvc-ssh)
#                        webdav  wsgidav, anonymous (dvc-webdav)
#                        http    the tests' HTTP server, tests/servers/http_server.py (dvc-http)
#                        gs      fake-gcs-server, anonymous, `endpointurl` (dvc-gs)
#                        azure   Azurite, `connection_string` (dvc-azure)
#   --files N          the dataset's size (bench/mkdata.py: 512 B to 8 KiB each; default 20000)
#   --runs N           runs per backend (default: 3 for local, 1 for the others)
#   --workdir DIR      where the dataset, repositories, remotes and servers' data go
#                      (default <target>/bench-remote; e.g. a tmpfs such as /dev/shm/...)
#   --git-dvc PATH     the git-dvc binary to measure (or GIT_DVC_BIN); default: build it
#                      with `cargo build --release`
#   --target-dir DIR   the cargo target dir (default CARGO_TARGET_DIR, else target/), where
#                      the servers and dvc's venvs are found or provisioned as the tests do:
#                      oracle-venv (moto), oracle-remotes-venv (dvc with its plugins),
#                      azurite-<version> (npm), s3s-fs (`cargo install`, CARGO_BUILD_JOBS
#                      bounds its one-time build)
#
# Cases, per backend (each run on a fresh, uniquely named prefix, so that no remote index
# helps either tool; dvc and git-dvc take turns on the same server):
#   <backend> push  push the dataset (one directory out, committed) to the empty prefix
#                   (in an empty bucket of its own on the object stores)
#   <backend> pull  pull it into a fresh `git clone` (empty cache, empty workspace); the
#                   clone is then checked (every file there, `status` clean), so a broken
#                   run fails loudly instead of reporting a fast time
# Prints the median wall time of each tool per case and dvc/git-dvc as a ratio. Every
# server listens on 127.0.0.1 and is stopped on exit (Ctrl-C included); the run's remotes,
# clones and servers' data are deleted then too, the dataset and source repo are kept.
set -euo pipefail
caller=$PWD
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

all_backends=local,moto,s3s-fs,ssh,webdav,http,gs,azure
backends=$all_backends
files=20000
runs=
work=
gd=${GIT_DVC_BIN:-}
target_dir=${CARGO_TARGET_DIR:-$root/target}
while [ $# -gt 0 ]; do
    case "$1" in
        --backends) backends=$2; shift ;;
        --files) files=$2; shift ;;
        --runs) runs=$2; shift ;;
        --workdir) work=$2; shift ;;
        --git-dvc) gd=$2; shift ;;
        --target-dir) target_dir=$2; shift ;;
        -h|--help) sed -n '2,40p' "$0"; exit 0 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
IFS=, read -r -a selected <<<"$backends"
for b in "${selected[@]}"; do
    case ",$all_backends," in *",$b,"*) ;; *) echo "unknown backend $b (known: $all_backends)" >&2; exit 2 ;; esac
done
# Paths given relative are relative to where the script was started.
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$caller/$1" ;; esac; }
target_dir=$(abs "$target_dir")
work=$(abs "${work:-$target_dir/bench-remote}")
wants() { case ",$backends," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

# shellcheck source=bench/servers.sh
. "$root/bench/servers.sh"

if [ -n "$gd" ]; then
    gd=$(abs "$gd")
    [ -x "$gd" ] || { echo "no git-dvc binary at $gd" >&2; exit 2; }
else
    echo "== building git-dvc (release)" >&2
    CARGO_TARGET_DIR=$target_dir cargo build --release --bins >&2
    gd=$target_dir/release/git-dvc
fi

# Everything is provisioned before the runs, so that no install lands between two of them.
echo "== dvc with its remote plugins" >&2
remotes_venv=$(provision_remotes_venv)
dvc=$remotes_venv/bin/dvc
if wants moto; then
    echo "== dvc oracle venv (moto)" >&2
    oracle_venv=$(provision_oracle_venv)
fi
if wants s3s-fs; then provision_s3s_fs >/dev/null && provision_s3s_fs_shim >/dev/null; fi
if wants azure; then provision_azurite >/dev/null; fi
if wants ssh; then find_sshd >/dev/null; fi

mkdir -p "$work"
run_dir=$work/run-$$
mkdir -p "$run_dir"
# A home of the run's own: no user config of git, dvc or ssh; known_hosts for sshd.
export HOME=$run_dir/home XDG_CONFIG_HOME=$run_dir/home/.config XDG_CACHE_HOME=$run_dir/home/.cache
mkdir -p "$HOME"
export DVC_NO_ANALYTICS=1 GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 PYTHONDONTWRITEBYTECODE=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export DVC_SITE_CACHE_DIR=$work/site-cache
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
# gcsfs probes each bucket over gRPC, which the emulator never answers (as the tests set).
export GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false

rmrf() { chmod -R u+w "$@" 2>/dev/null || true; rm -rf "$@"; }
# Remotes, clones and servers' data are deleted at the end only: on ext4, creating files
# right after deleting a tree of 20,000 is several times slower, which would skew the next
# case.
garbage=("$run_dir")
cleanup() {
    stop_servers
    if [ ${#garbage[@]} -gt 0 ]; then rmrf "${garbage[@]}"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
    rmrf "$src"
    git init -q -b main "$src"
    (cd "$src" && "$dvc" init -q && cp -r "$dataset" data && "$gd" add -q data &&
        git add -A && git commit -qm data)
fi

# ms <cmd...>: run in the current directory, print wall milliseconds; fail loudly.
ms() {
    local start end
    start=$(date +%s%N)
    if ! "$@" >"$run_dir/last.log" 2>&1; then
        echo "FAILED: $* (in $PWD)" >&2
        cat "$run_dir/last.log" >&2
        exit 1
    fi
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

# remote_for <backend> <tag>: sets url and opts (key value ...) for a fresh prefix (in a
# fresh bucket on the object stores, see bench/servers.sh).
remote_for() {
    local b=$1 tag=$2
    opts=()
    case "$b" in
        local) url=$run_dir/local/$tag ;;
        moto) moto_bucket "$tag"; url=s3://$tag/data; opts=(endpointurl "$moto_endpoint") ;;
        s3s-fs) s3s_bucket "$tag"; url=s3://$tag/data; opts=(endpointurl "$s3s_endpoint") ;;
        ssh)
            url=ssh://$ssh_user@127.0.0.1:$ssh_port$ssh_root/$tag
            opts=(keyfile "$ssh_keyfile") ;;
        webdav)
            # dvc-webdav does not create the remote's root collection.
            mkdir -p "$webdav_root/$tag"
            url=$webdav_url/$tag ;;
        http) url=$http_url/$tag ;;
        gs)
            gcs_bucket "$tag"
            url=gs://$tag/data
            opts=(endpointurl "$gcs_endpoint" allow_anonymous_login true) ;;
        azure)
            azure_container "$tag"
            url=azure://$tag/data
            opts=(connection_string "$azure_connection_string") ;;
    esac
}

# use_remote <repo>: makes $url (with $opts) the repository's default remote `bench`.
use_remote() {
    if ! (
        cd "$1"
        "$gd" remote remove bench >/dev/null 2>&1 || true
        "$gd" remote add -q -d bench "$url"
        local i
        for ((i = 0; i < ${#opts[@]}; i += 2)); do
            "$gd" remote modify -q bench "${opts[i]}" "${opts[i + 1]}"
        done
    ) >"$run_dir/remote.log" 2>&1; then
        echo "FAILED: setting the remote $url in $1" >&2
        cat "$run_dir/remote.log" >&2
        exit 1
    fi
}

declare -A times

# one_run <backend> <run> <tool-name> <tool>: push from the source repo to a fresh prefix,
# then pull into a fresh clone and check the clone.
one_run() {
    local b=$1 run=$2 name=$3 tool=$4
    local tag=$b-$name-$run
    remote_for "$b" "$tag"
    use_remote "$src"
    local tp t
    sync
    tp=$(cd "$src" && ms "$tool" push -q)
    times[$b-push-$name]+="$tp "
    local clone=$run_dir/clone-$tag
    git clone -q "$src" "$clone"
    use_remote "$clone"
    sync
    t=$(cd "$clone" && ms "$tool" pull -q)
    times[$b-pull-$name]+="$t "
    local n status
    n=$( (find "$clone/data" -type f 2>/dev/null || true) | wc -l)
    status=$(cd "$clone" && "$gd" status)
    if [ "$n" != "$files" ] || [ "$status" != "Data and pipelines are up to date." ]; then
        echo "pull left the clone incomplete ($name, $b): $n of $files files; status: $status" >&2
        exit 1
    fi
    echo "   $b run $run, $name: push $tp ms, pull $t ms" >&2
}

for b in "${selected[@]}"; do
    n=${runs:-$([ "$b" = local ] && echo 3 || echo 1)}
    sdir=$run_dir/server-$b
    case "$b" in
        local) ;;
        moto) start_moto "$sdir" ;;
        s3s-fs) start_s3s_fs "$sdir" ;;
        ssh) start_sshd "$sdir" ;;
        webdav) start_wsgidav "$sdir" ;;
        http) start_http "$sdir" ;;
        gs) start_gcs "$sdir" ;;
        azure) start_azurite "$sdir" ;;
    esac
    echo "== $b, $files files, $n runs" >&2
    for r in $(seq "$n"); do
        one_run "$b" "$r" dvc "$dvc"
        one_run "$b" "$r" git-dvc "$gd"
    done
    stop_servers
done

printf '\n%-14s %12s %12s %8s   (median wall ms; %s files)\n' case dvc git-dvc ratio "$files"
for b in "${selected[@]}"; do
    for op in push pull; do
        # shellcheck disable=SC2086
        d=$(median ${times[$b-$op-dvc]})
        # shellcheck disable=SC2086
        g=$(median ${times[$b-$op-git-dvc]})
        ratio=$(awk -v d="$d" -v g="$g" 'BEGIN { printf "%.1fx", (g > 0) ? d / g : 0 }')
        printf '%-14s %12s %12s %8s\n' "$b $op" "$d" "$g" "$ratio"
    done
done

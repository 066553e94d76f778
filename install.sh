#!/usr/bin/env bash
# Build git-dvc, install `git-dvc` and `git-dvc-filter` into ${PREFIX:-$HOME/.local}/bin and
# the man pages into ${PREFIX:-$HOME/.local}/share/man/man1, then show it working in a
# throw-away demo repository.
#
# Needs only Rust (cargo) and git. (Python 3 is used by the test suite, not by git-dvc.)
#
#   ./install.sh                 # installs into ~/.local/bin
#   PREFIX=/usr/local ./install.sh
#   ./install.sh --no-demo       # install only
set -euo pipefail

demo=1
for arg in "$@"; do
    case "$arg" in
        --no-demo) demo=0 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown argument: $arg" >&2; exit 2 ;;
    esac
done

cd "$(dirname "$0")"
for tool in cargo git; do
    command -v "$tool" >/dev/null || { echo "install.sh: \`$tool\` is required but not on PATH" >&2; exit 1; }
done

prefix=${PREFIX:-$HOME/.local}
bindir=$prefix/bin

echo "==> cargo build --release"
cargo build --release --bins

target_dir=${CARGO_TARGET_DIR:-target}
mkdir -p "$bindir"
for bin in git-dvc git-dvc-filter; do
    # Install through a temp name and rename, so a running filter keeps its old inode.
    install -m 0755 "$target_dir/release/$bin" "$bindir/.$bin.tmp"
    mv -f "$bindir/.$bin.tmp" "$bindir/$bin"
    echo "installed $bindir/$bin"
done

mandir=$prefix/share/man/man1
"$bindir/git-dvc" generate-man "$mandir"
echo "installed man pages in $mandir (\`git dvc --help\` opens git-dvc(1))"

case ":$PATH:" in
    *":$bindir:"*) on_path=1 ;;
    *) on_path=0
       echo
       echo "note: $bindir is not on your PATH. Add it, e.g. in ~/.bashrc or ~/.profile:"
       echo "    export PATH=\"$bindir:\$PATH\""
       ;;
esac
export PATH="$bindir:$PATH"

[ "$demo" = 1 ] || exit 0

demo_dir=$(mktemp -d "${TMPDIR:-/tmp}/git-dvc-demo.XXXXXX")
trap 'rm -rf "$demo_dir"' EXIT
echo
echo "==> demo in $demo_dir (deleted afterwards)"
run() {
    echo
    echo "\$ $*"
    "$@"
}
cd "$demo_dir"
# A throw-away identity, only for this demo repository.
export GIT_AUTHOR_NAME="git-dvc demo" GIT_AUTHOR_EMAIL="demo@example.invalid"
export GIT_COMMITTER_NAME="git-dvc demo" GIT_COMMITTER_EMAIL="demo@example.invalid"
run git init -q
mkdir -p data/images
for i in 1 2 3; do printf 'sample %s\n' "$i" > "data/images/img$i.txt"; done
printf 'label,count\ncat,3\n' > data/labels.csv
run git dvc init
run git dvc add data/
run git dvc status
run git status --short
echo
echo "\$ cat data.dvc"
cat data.dvc
echo
echo "\$ cat .gitignore"
cat .gitignore
echo
echo "git-dvc $(git dvc --version 2>/dev/null | awk '{print $NF}') is installed."
[ "$on_path" = 1 ] || echo "Remember to put $bindir on your PATH."

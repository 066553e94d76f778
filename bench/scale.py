#!/usr/bin/env python3
"""Scale benchmark: every data-layer step at one large file count, with time and peak memory.

    python3 bench/scale.py --git-dvc target/release/git-dvc --files 1000000 \
        [--dvc PATH --dvc-max-files 200000] [--floor target/bench/floor] \
        [--workdir /dev/shm/git-dvc-scale] [--only add,status,...] [--hooks]

Each tool gets its own repository with the same generated files (bench/mkdata.py, so
N files of 512 B to 8 KiB in 100 directories), and runs these steps in order, once each
(at these sizes one run takes seconds to minutes; the spread between runs on tmpfs is a
few per cent):

    add              add of the fresh directory, empty cache (and the floor program:
                     hash and copy every file with no bookkeeping, bench/floor.rs)
    status           no-op status (after one untimed status)
    status-1         status after one file changed
    commit-1         `commit -f data.dvc` of that change
    push             push of everything to an empty local remote
    push-1           push after one more file changed and was committed
    checkout         checkout of the deleted workspace
    checkout-10      checkout after `git checkout` to a commit where ten files differ
    pull             pull into an empty cache and an empty workspace
    gc               `gc -w -f` with nothing to collect
    git-commit       (with --hooks) `git commit --allow-empty` with hooks installed,
                     against plain git on the same repository without hooks

With --shape, the data is one of the long deep/wide cases instead, and only add, status
and checkout run (each tool, same files):

    wide       --files N files in one folder (issue: 200,000)
    deep       --files N files spread over a chain of directories 30 levels deep
    sparse     one sparse file of --sparse-gib GiB (20 by default; a few real bytes at
               its start and end), with `cache.type = symlink` for both tools so the
               cache holds the only copy (a copy would fill a tmpfs)

Peak memory is the ru_maxrss of the command and everything it waited for (os.wait4).
dvc runs only when --files <= --dvc-max-files, because at a million files its steps
take hours. The default work directory is on tmpfs, so the shared disk's noise stays out
of the figures; pass --workdir on a real disk for a disk run.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = ["add", "status", "status-1", "commit-1", "push", "push-1", "checkout",
         "checkout-10", "pull", "gc", "git-commit"]


class Runner:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.workdir)
        self.env = dict(os.environ)
        self.env.update({
            "DVC_NO_ANALYTICS": "1",
            "DVC_SITE_CACHE_DIR": os.path.join(self.work, "dvc-site-cache"),
            "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
            "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
        })
        if args.watchman != "auto":
            # Through the environment, so the hooks git starts see it too.
            self.env.update({"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "gitdvc.watchman",
                             "GIT_CONFIG_VALUE_0": "true" if args.watchman == "on" else "false"})
        dirs = [os.path.dirname(os.path.abspath(args.git_dvc))]
        if args.dvc:
            dirs.append(os.path.dirname(os.path.abspath(args.dvc)))
        self.env["PATH"] = os.pathsep.join(dirs + [self.env.get("PATH", "")])

    def tool(self, name):
        if name == "dvc":
            return [os.path.abspath(self.args.dvc)]
        return [os.path.abspath(self.args.git_dvc)]

    def sh(self, cmd, cwd):
        p = subprocess.run(cmd, cwd=cwd, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise RuntimeError("%s failed in %s (%d): %s" % (
                " ".join(cmd), cwd, p.returncode, p.stderr.decode(errors="replace")[-2000:]))
        return p

    def measure(self, cmd, cwd):
        """(seconds, peak RSS in bytes) of one run of cmd."""
        start = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=self.env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        elapsed = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (
                " ".join(cmd), p.returncode, err.decode(errors="replace")[-2000:]))
        return elapsed, ru.ru_maxrss * 1024

    def rm(self, path):
        if os.path.islink(path) or os.path.isfile(path):
            os.unlink(path)
        elif os.path.isdir(path):
            shutil.rmtree(path)


def touch_one(path, tag):
    with open(path, "ab") as f:
        f.write(tag.encode())


def make_shape(a, data):
    """The data of --shape (see the module's doc)."""
    os.makedirs(data)
    if a.shape == "wide":
        for i in range(a.files):
            with open(os.path.join(data, "f%07d.txt" % i), "w") as f:
                f.write("wide file %d\n" % i)
    elif a.shape == "deep":
        dirs = [data]
        for level in range(30):
            dirs.append(os.path.join(dirs[-1], "level%02d" % level))
        os.makedirs(dirs[-1])
        for i in range(a.files):
            with open(os.path.join(dirs[1 + i % 30], "f%07d.txt" % i), "w") as f:
                f.write("deep file %d\n" % i)
    else:
        path = os.path.join(data, "sparse.bin")
        with open(path, "wb") as f:
            f.write(b"start of a sparse file\n")
            f.truncate(a.sparse_gib << 30)
            f.seek((a.sparse_gib << 30) - 4)
            f.write(b"end\n")


def run_shape(r, t, results):
    a = r.args
    repo = os.path.join(r.work, "repo-" + t)
    r.rm(repo)
    os.makedirs(repo)
    r.sh(["git", "init", "-q", "-b", "main"], repo)
    r.sh(r.tool(t) + ["init", "-q"], repo)
    if a.shape == "sparse":
        r.sh(r.tool(t) + ["config", "cache.type", "symlink"], repo)
    print("[%s] generating the %s data" % (t, a.shape), file=sys.stderr, flush=True)
    data = os.path.join(repo, "data")
    make_shape(a, data)
    for name, cmd in (("add", ["add", "-q", "data"]), ("status", ["status"]),
                      ("checkout", ["checkout", "-q"])):
        if name == "checkout":
            r.rm(data)
        print("[%s] %s" % (t, name), file=sys.stderr, flush=True)
        results[(name, t)] = r.measure(r.tool(t) + cmd, repo)
    if not a.keep:
        r.rm(repo)


def run_tool(r, t, results):
    a = r.args
    repo = os.path.join(r.work, "repo-" + t)
    remote = os.path.join(r.work, "remote-" + t)
    for p in (repo, remote, os.path.join(r.work, "floor-cache")):
        r.rm(p)
    os.makedirs(repo)
    r.sh(["git", "init", "-q", "-b", "main"], repo)
    r.sh(r.tool(t) + ["init", "-q"], repo)
    print("[%s] generating %d files" % (t, a.files), file=sys.stderr, flush=True)
    r.sh([sys.executable, os.path.join(HERE, "mkdata.py"), os.path.join(repo, "data"),
          str(a.files)], repo)
    data = os.path.join(repo, "data")
    first = os.path.join(data, "d000", "f%06d.bin" % 0)
    second = os.path.join(data, "d001", "f%06d.bin" % 1)

    def step(name, cmd, cwd=repo):
        if a.only and name not in a.only:
            return
        print("[%s] %s" % (t, name), file=sys.stderr, flush=True)
        results[(name, t)] = r.measure(cmd, cwd)

    def want(*names):
        return not a.only or any(n in a.only for n in names)

    if t == "git-dvc" and a.floor and want("add"):
        print("[floor] add", file=sys.stderr, flush=True)
        results[("add", "floor")] = r.measure(
            [os.path.abspath(a.floor), "-j", str(a.jobs), data,
             os.path.join(r.work, "floor-cache")], r.work)
        r.rm(os.path.join(r.work, "floor-cache"))
    # add always runs: every later step needs it.
    if a.only and "add" not in a.only:
        r.sh(r.tool(t) + ["add", "-q", "data"], repo)
    else:
        step("add", r.tool(t) + ["add", "-q", "data"])
    r.sh(["git", "add", "-A"], repo)
    r.sh(["git", "commit", "-q", "-m", "add"], repo)
    r.sh(r.tool(t) + ["remote", "add", "-d", "store", remote], repo)
    r.sh(["git", "commit", "-q", "-am", "remote"], repo)

    r.sh(r.tool(t) + ["status"], repo)
    step("status", r.tool(t) + ["status"])
    touch_one(first, "one")
    step("status-1", r.tool(t) + ["status"])
    if want("commit-1", "push-1", "checkout-10"):
        step("commit-1", r.tool(t) + ["commit", "-q", "-f", "data.dvc"])
        if a.only and "commit-1" not in a.only:
            r.sh(r.tool(t) + ["commit", "-q", "-f", "data.dvc"], repo)
        r.sh(["git", "commit", "-q", "-am", "one"], repo)
    if want("push", "push-1", "pull"):
        step("push", r.tool(t) + ["push", "-q"])
        if a.only and "push" not in a.only:
            r.sh(r.tool(t) + ["push", "-q"], repo)
    if want("push-1"):
        touch_one(second, "two")
        r.sh(r.tool(t) + ["commit", "-q", "-f", "data.dvc"], repo)
        r.sh(["git", "commit", "-q", "-am", "two"], repo)
        step("push-1", r.tool(t) + ["push", "-q"])
    if want("checkout"):
        r.rm(data)
        step("checkout", r.tool(t) + ["checkout", "-q"])
    if want("checkout-10"):
        r.sh(r.tool(t) + ["checkout", "-q"], repo)
        r.sh(["git", "switch", "-q", "-c", "ten"], repo)
        for i in range(10):
            touch_one(os.path.join(data, "d%03d" % (10 + i), "f%06d.bin" % (10 + i)), "ten")
        r.sh(r.tool(t) + ["commit", "-q", "-f", "data.dvc"], repo)
        r.sh(["git", "commit", "-q", "-am", "ten"], repo)
        r.sh(["git", "switch", "-q", "main"], repo)
        step("checkout-10", r.tool(t) + ["checkout", "-q"])
    if want("pull"):
        r.rm(data)
        r.rm(os.path.join(repo, ".dvc", "cache"))
        r.rm(os.path.join(repo, ".dvc", "tmp"))
        os.makedirs(os.path.join(repo, ".dvc", "tmp"))
        r.rm(os.path.join(r.work, "dvc-site-cache"))
        step("pull", r.tool(t) + ["pull", "-q"])
    if want("gc"):
        r.sh(r.tool(t) + ["checkout", "-q"], repo)
        step("gc", r.tool(t) + ["gc", "-w", "-f", "-q"])
    if a.hooks and want("git-commit"):
        if t == "git-dvc":
            results[("git-commit", "git (no hooks)")] = r.measure(
                ["git", "commit", "-q", "--allow-empty", "-m", "x"], repo)
        r.sh(r.tool(t) + ["install"], repo)
        step("git-commit", ["git", "commit", "-q", "--allow-empty", "-m", "x"])
    if not a.keep:
        r.rm(repo)
        r.rm(remote)


def fmt_t(s):
    return "%.3f s" % s if s < 10 else "%.1f s" % s


def fmt_m(b):
    return "%.0f MB" % (b / 1e6)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--git-dvc", required=True)
    ap.add_argument("--dvc", default="")
    ap.add_argument("--floor", default="")
    ap.add_argument("--files", type=int, default=200000)
    ap.add_argument("--dvc-max-files", type=int, default=200000)
    ap.add_argument("--workdir", default="/dev/shm/git-dvc-scale")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--only", default="", help="comma-separated step names (%s)" % ", ".join(STEPS))
    ap.add_argument("--hooks", action="store_true", help="also time git commit with hooks")
    ap.add_argument("--keep", action="store_true", help="keep the repositories afterwards")
    ap.add_argument("--shape", choices=["wide", "deep", "sparse"], default=None,
                    help="one of the long deep/wide cases instead of the mkdata tree")
    ap.add_argument("--sparse-gib", type=int, default=20)
    ap.add_argument("--watchman", choices=["auto", "on", "off"], default="auto",
                    help="gitdvc.watchman for git-dvc's status and hooks (auto: used when on PATH)")
    a = ap.parse_args()
    a.only = [s for s in a.only.split(",") if s]
    for s in a.only:
        if s not in STEPS:
            ap.error("unknown step %r" % s)
    os.makedirs(a.workdir, exist_ok=True)
    r = Runner(a)
    tools = ["git-dvc"]
    if a.dvc and a.files <= a.dvc_max_files:
        tools.insert(0, "dvc")
    results = {}
    for t in tools:
        (run_shape if a.shape else run_tool)(r, t, results)
    n = 1 if a.shape == "sparse" else a.files
    what = {"wide": "files in one folder", "deep": "files 30 levels deep",
            "sparse": "sparse file of %d GiB" % a.sparse_gib}.get(a.shape, "files")
    print("\n%d %s, %s\n" % (n, what, a.workdir))
    print("| step | dvc | git-dvc | ratio | dvc peak RSS | git-dvc peak RSS | git-dvc bytes/file |")
    print("|---|---|---|---|---|---|---|")
    for s in STEPS:
        g = results.get((s, "git-dvc"))
        if g is None:
            continue
        d = results.get((s, "dvc"))
        ratio = "%.1fx" % (d[0] / g[0]) if d else ""
        print("| %s | %s | %s | %s | %s | %s | %.0f |" % (
            s, fmt_t(d[0]) if d else "", fmt_t(g[0]), ratio, fmt_m(d[1]) if d else "",
            fmt_m(g[1]), g[1] / n))
        for ref in ("floor", "git (no hooks)"):
            f = results.get((s, ref))
            if f:
                print("| %s: %s | | %s | git-dvc %.2fx it | | %s | |" % (
                    s, ref, fmt_t(f[0]), g[0] / f[0], fmt_m(f[1])))


if __name__ == "__main__":
    main()

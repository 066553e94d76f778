#!/usr/bin/env python3
"""Side-by-side benchmark of dvc 3.67.1 and git-dvc on the same data, in one run.

Run through bench/bench.sh, which builds git-dvc (release), the floor program and
the dvc venv, then calls this script with their paths.

Every case prepares a fresh state before each timed run (untimed). It reports the
median of --runs runs for each tool, and the ratio dvc / git-dvc (how many times faster
git-dvc is). A case that a tool cannot run yet (the command fails) shows as "failed",
with its stderr printed once, and the rest of the benchmark goes on.

To add a case, write a function decorated with @case(...) below. It gets a Bench and
yields (label, tool, setup, timed) tuples; see the existing cases.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []


def case(name, target="", compare="ratio"):
    """Register a benchmark case. `target` is the goal from DESIGN.md, shown in the table.
    `compare` says how git-dvc is set against the reference row: "ratio" (x times the
    reference's time) or "diff" (milliseconds more than the reference)."""
    def register(fn):
        CASES.append((name, target, compare, fn))
        return fn
    return register


class Failed(Exception):
    pass


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = os.path.abspath(args.workdir)
        # Commands run from many directories: make the programs' paths absolute.
        self.gd = os.path.abspath(args.git_dvc)
        self.dvc = os.path.abspath(args.dvc)
        self.floor = os.path.abspath(args.floor)
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
        # git-dvc must be found by `git dvc` and by its hooks, dvc by its own hooks.
        self.env["PATH"] = os.pathsep.join(
            [os.path.dirname(self.gd), os.path.dirname(self.dvc), self.env.get("PATH", "")])
        self.data = os.path.join(self.work, "data-src")
        self.reported_failures = set()

    # ----- helpers -----
    def tool(self, name):
        """The command prefix for 'dvc' or 'git-dvc'."""
        return [self.dvc] if name == "dvc" else [self.gd]

    def sh(self, cmd, cwd, check=True):
        p = subprocess.run(cmd, cwd=cwd, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise Failed("`%s` exited %d\n%s" % (" ".join(cmd), p.returncode,
                                                  p.stderr.decode(errors="replace")[-2000:]))
        return p

    def rm(self, path):
        if os.path.islink(path) or os.path.isfile(path):
            os.unlink(path)
        elif os.path.isdir(path):
            for root, dirs, _ in os.walk(path):
                for d in dirs:
                    os.chmod(os.path.join(root, d), 0o755)
            shutil.rmtree(path)

    def set_aside(self, path):
        """Remove `path` from the workspace by renaming it into a trash dir that is only
        deleted when the benchmark ends. On this kind of machine (ext4 mounted with
        `discard`), creating files right after deleting 20,000 others costs the kernel
        ~0.5 ms per file for a long while (measured: checkout 15 s after `rm -rf`, 1.3 s
        after a rename), whichever tool runs next. Renaming keeps that kernel cost out of
        both tools' timings; the tools see the same missing workspace either way."""
        trash = os.path.join(self.work, "trash")
        os.makedirs(trash, exist_ok=True)
        if os.path.exists(path):
            os.rename(path, os.path.join(trash, "%d-%d" % (os.getpid(), time.monotonic_ns())))

    def settle(self, quiet_s=2.0, limit_s=120.0):
        """Wait until the block devices have been idle (no I/O in flight, no discard
        completed) for `quiet_s`. After a case's set-up has written or renamed tens of
        thousands of files, the kernel keeps writing back and discarding for a while;
        timing either tool inside that window measures the disk, not the tool."""
        def snapshot():
            try:
                with open("/proc/diskstats") as f:
                    rows = [l.split() for l in f]
            except OSError:
                return None
            # Fields (1-based, after major/minor/name): 4 reads completed... 9 I/Os in
            # progress, 12+ discards completed (kernels >= 4.18).
            return tuple(tuple(r[3:]) for r in rows if len(r) >= 14)
        os.sync()
        start = time.monotonic()
        last, quiet_since = snapshot(), time.monotonic()
        while last is not None and time.monotonic() - start < limit_s:
            time.sleep(0.25)
            now = snapshot()
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= quiet_s:
                break

    def fresh_repo(self, name, tool):
        """An empty git repo initialised by `tool`, at <work>/<name>-<tool>."""
        repo = os.path.join(self.work, "%s-%s" % (name, tool))
        self.set_aside(repo)
        os.makedirs(repo)
        self.sh(["git", "init", "-q"], repo)
        self.sh(self.tool(tool) + ["init", "-q"], repo)
        return repo

    def copy_data(self, repo, rel="data"):
        dst = os.path.join(repo, rel)
        self.set_aside(dst)
        shutil.copytree(self.data, dst)

    def reset_state(self, repo):
        """Forget every cache and state DB, for a 'fresh cache' run."""
        self.set_aside(os.path.join(repo, ".dvc", "cache"))
        self.rm(os.path.join(repo, ".dvc", "tmp"))
        os.makedirs(os.path.join(repo, ".dvc", "tmp"))
        self.rm(os.path.join(self.work, "dvc-site-cache"))
        for f in ("data.dvc", ".gitignore"):
            self.rm(os.path.join(repo, f))

    def timed(self, cmd, cwd):
        # Let the kernel write back what the set-up (and earlier cases' clean-up) left
        # dirty, so that neither tool pays for it inside its timed window.
        self.settle(quiet_s=0.5, limit_s=30.0)
        start = time.perf_counter()
        self.sh(cmd, cwd)
        return time.perf_counter() - start


# --------------------------------------------------------------------------------------
# Cases. Each yields (row label, tool, setup callable, timed callable returning seconds).
# `tool` is "dvc", "git-dvc" or "ref" (a reference program, shown in the last column).
# --------------------------------------------------------------------------------------

@case("add (fresh cache)", "<= 1.15x floor")
def add_fresh(b):
    repos = {t: b.fresh_repo("add", t) for t in ("dvc", "git-dvc")}
    for t, repo in repos.items():
        b.copy_data(repo)
        yield (t, lambda r=repo: b.reset_state(r),
               lambda t=t, r=repo: b.timed(b.tool(t) + ["add", "-q", "data"], r))
    floor_cache = os.path.join(b.work, "floor-cache")
    yield ("floor", lambda: b.set_aside(floor_cache),
           lambda: b.timed([b.floor, "-j", str(b.args.jobs), b.data, floor_cache], b.work))


def added_repo(b, name, tool):
    repo = b.fresh_repo(name, tool)
    b.copy_data(repo)
    b.sh(b.tool(tool) + ["add", "-q", "data"], repo)
    return repo


@case("no-op status", ">= 35x dvc")
def noop_status(b):
    for t in ("dvc", "git-dvc"):
        repo = added_repo(b, "status", t)
        # One untimed status warms whatever state a tool keeps.
        yield (t, lambda t=t, r=repo: b.sh(b.tool(t) + ["status"], r),
               lambda t=t, r=repo: b.timed(b.tool(t) + ["status"], r))


@case("checkout (workspace deleted)", ">= 20x dvc")
def checkout_deleted(b):
    for t in ("dvc", "git-dvc"):
        repo = added_repo(b, "checkout", t)
        yield (t, lambda r=repo: b.set_aside(os.path.join(r, "data")),
               lambda t=t, r=repo: b.timed(b.tool(t) + ["checkout", "-q"], r))


def with_local_remote(b, name, tool):
    repo = added_repo(b, name, tool)
    remote = os.path.join(b.work, "%s-%s-remote" % (name, tool))
    b.set_aside(remote)
    b.sh(b.tool(tool) + ["remote", "add", "-d", "store", remote], repo)
    return repo, remote


@case("push (local remote)", ">= 15x dvc")
def push_local(b):
    for t in ("dvc", "git-dvc"):
        repo, remote = with_local_remote(b, "push", t)
        yield (t, lambda r=remote: b.set_aside(r),
               lambda t=t, r=repo: b.timed(b.tool(t) + ["push", "-q"], r))


@case("pull (local remote, empty cache)", ">= 15x dvc")
def pull_local(b):
    for t in ("dvc", "git-dvc"):
        repo, remote = with_local_remote(b, "pull", t)
        b.sh(b.tool(t) + ["push", "-q"], repo)

        def setup(r=repo):
            b.set_aside(os.path.join(r, "data"))
            b.set_aside(os.path.join(r, ".dvc", "cache"))
            # Both tools keep a state DB of workspace files: forget it with the cache.
            b.rm(os.path.join(r, ".dvc", "tmp"))
            os.makedirs(os.path.join(r, ".dvc", "tmp"))
            b.rm(os.path.join(b.work, "dvc-site-cache"))
        yield (t, setup, lambda t=t, r=repo: b.timed(b.tool(t) + ["pull", "-q"], r))


@case("add 1 big file", "<= 1.3x md5sum")
def add_big(b):
    big = os.path.join(b.work, "big-src.bin")
    if not os.path.exists(big) or os.path.getsize(big) != b.args.big_mib << 20:
        b.sh([sys.executable, os.path.join(HERE, "mkdata.py"), "--big", big, str(b.args.big_mib)], b.work)
    for t in ("dvc", "git-dvc"):
        repo = b.fresh_repo("big", t)
        dst = os.path.join(repo, "big.bin")

        def setup(r=repo, dst=dst):
            b.reset_state(r)
            b.rm(os.path.join(r, "big.bin.dvc"))
            if not os.path.exists(dst):
                shutil.copyfile(big, dst)
        yield (t, setup, lambda t=t, r=repo: b.timed(b.tool(t) + ["add", "-q", "big.bin"], r))
    yield ("md5sum", lambda: None, lambda: b.timed(["md5sum", big], b.work))


@case("git commit, nothing to do, hooks installed", "<= +40 ms vs no hooks", compare="diff")
def commit_with_hooks(b):
    # The reference is the same commit without hooks (plain git).
    for t in ("dvc", "git-dvc", "plain git"):
        # Its own directory: sharing git-dvc's would wipe the hooks before they are timed.
        repo = added_repo(b, "commit-plain" if t == "plain git" else "commit",
                          "git-dvc" if t == "plain git" else t)
        b.sh(["git", "add", "-A"], repo)
        b.sh(["git", "commit", "-q", "-m", "base"], repo)
        if t == "dvc":
            b.sh([b.dvc, "install"], repo)
        elif t == "git-dvc":
            b.sh([b.gd, "install"], repo)
        yield ("git (no hooks)" if t == "plain git" else t, lambda: None,
               lambda r=repo: b.timed(["git", "commit", "-q", "--allow-empty", "-m", "x"], r))


@case("git switch, nothing to do, hooks installed", "<= +20 ms vs no hooks", compare="diff")
def switch_with_hooks(b):
    for t in ("dvc", "git-dvc", "plain git"):
        repo = added_repo(b, "switch-plain" if t == "plain git" else "switch",
                          "git-dvc" if t == "plain git" else t)
        b.sh(["git", "add", "-A"], repo)
        b.sh(["git", "commit", "-q", "-m", "base"], repo)
        b.sh(["git", "branch", "other"], repo)
        if t == "dvc":
            b.sh([b.dvc, "install"], repo)
        elif t == "git-dvc":
            b.sh([b.gd, "install"], repo)
        first = b.sh(["git", "symbolic-ref", "--short", "HEAD"], repo).stdout.decode().strip()
        state = {"on": first}

        def run(r=repo, state=state, first=first):
            state["on"] = "other" if state["on"] == first else first
            return b.timed(["git", "switch", "-q", state["on"]], r)
        yield ("git (no hooks)" if t == "plain git" else t, lambda: None, run)

# Planned cases (add them above in the same style when the commands land):
#   gc -w after removing half the data; diff between two commits; fetch; status -c.


# --------------------------------------------------------------------------------------

def fmt(s):
    if s is None:
        return "failed"
    return "%.3f s" % s if s < 10 else "%.1f s" % s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--git-dvc", required=True)
    ap.add_argument("--dvc", required=True)
    ap.add_argument("--floor", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--big-mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--only", default="", help="comma-separated substrings of case names")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--watchman", choices=["auto", "on", "off"], default="auto",
                    help="gitdvc.watchman for git-dvc's status and hooks (auto: used when on PATH)")
    args = ap.parse_args()
    if args.list:
        for name, target, _, _ in CASES:
            print("%-45s %s" % (name, target))
        return
    if args.runs < 1:
        sys.exit("--runs must be >= 1")
    b = Bench(args)
    os.makedirs(b.work, exist_ok=True)
    marker = os.path.join(b.work, "data-src.count")
    have = open(marker).read() if os.path.exists(marker) and os.path.isdir(b.data) else ""
    if have != str(args.files):
        b.rm(b.data)
        print("generating %d files ..." % args.files, file=sys.stderr)
        b.sh([sys.executable, os.path.join(HERE, "mkdata.py"), b.data, str(args.files)], b.work)
        with open(marker, "w") as f:
            f.write(str(args.files))
    # Trash left by an earlier run (or still being deleted by it): delete it now, and let
    # the discards pass before anything is timed.
    for name in os.listdir(b.work):
        if name == "trash" or name.startswith("trash-"):
            subprocess.run(["rm", "-rf", os.path.join(b.work, name)])
    b.settle()
    only = [s for s in args.only.split(",") if s]
    rows = []
    for name, target, compare, fn in CASES:
        if only and not any(s in name for s in only):
            continue
        print("== %s" % name, file=sys.stderr)
        results = {}
        try:
            entries = list(fn(b))
        except Failed as e:
            print("   setup failed: %s" % e, file=sys.stderr)
            rows.append((name, None, None, None, target, "setup failed", compare))
            continue
        # Let the set-up's writes and the clean-up's discards finish first, then take
        # the tools' runs in turn (dvc, git-dvc, ref, dvc, ...), so that whatever state
        # the filesystem drifts through is shared by all of them.
        b.settle()
        times = {label: [] for label, _, _ in entries}
        failed = {}
        for _ in range(args.runs):
            for label, setup, run in entries:
                if label in failed:
                    continue
                try:
                    setup()
                    times[label].append(run())
                except Failed as e:
                    failed[label] = e
        for label, _, _ in entries:
            if label in failed:
                results[label] = None
                print("   %-16s failed: %s" % (label, failed[label]), file=sys.stderr)
                continue
            results[label] = statistics.median(times[label])
            print("   %-16s %s  (runs: %s)" % (label, fmt(results[label]),
                                             ", ".join("%.3f" % t for t in times[label])),
                  file=sys.stderr)
        refs = [(k, v) for k, v in results.items() if k not in ("dvc", "git-dvc")]
        ref = ("%s %s" % (refs[0][0], fmt(refs[0][1]))) if refs else ""
        rows.append((name, results.get("dvc"), results.get("git-dvc"), refs[0][1] if refs else None,
                     target, ref, compare))
    # Hundreds of thousands of set-aside files take minutes to delete on this kind of
    # filesystem: do it in the background (the next run finishes the job if needed).
    trash = os.path.join(b.work, "trash")
    if os.path.isdir(trash):
        gone = "%s-%d" % (trash, time.time_ns())
        os.rename(trash, gone)
        subprocess.Popen(["rm", "-rf", gone], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
        print("(deleting the set-aside files in the background)", file=sys.stderr)
    print()
    print("%d files of 0.5-8 KiB, big file %d MiB, median of %d runs, %d cores" %
          (args.files, args.big_mib, args.runs, os.cpu_count() or 0))
    print()
    print("| case | dvc 3.67.1 | git-dvc | dvc / git-dvc | reference | git-dvc / ref | target |")
    print("|---|---|---|---|---|---|---|")
    for name, d, g, r, target, ref, compare in rows:
        ratio = "%.1fx" % (d / g) if d and g else "-"
        if not (g and r):
            vs_ref = "-"
        elif compare == "diff":
            vs_ref = "%+.0f ms" % ((g - r) * 1000)
        else:
            vs_ref = "%.2fx" % (g / r)
        print("| %s | %s | %s | %s | %s | %s | %s |" % (name, fmt(d), fmt(g), ratio, ref or "-", vs_ref, target))


if __name__ == "__main__":
    main()

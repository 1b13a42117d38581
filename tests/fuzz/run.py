#!/usr/bin/python3
"""Runs each libFuzzer harness for a while and prints its figures.

Usage: run.py [--seconds N | --runs N --seed S] BINARY...

Each build/fuzz/fuzz_X runs N seconds (nice 10) on a scratch corpus in
build/fuzz/corpus/fuzz_X/ seeded from tests/fuzz/corpus/fuzz_X/ (which is
read, never written), with tests/fuzz/fuzz_X.dict when there is one.
With --runs, each harness instead makes exactly N runs from seed S on an
emptied scratch corpus: the same inputs on every machine however fast, so
CI's verdict is the one anybody gets again with the same command (a time
budget explores more on a faster machine and finds crashes at random).
libFuzzer learns from the values its comparisons see, pointers included,
and reloads its corpus on a timer, so a repeatable run also needs address
randomisation off (setarch -R), no reload, and the same environment and
arguments (relative paths from the repository, a fixed environment). One
line per harness: executions (libFuzzer's "Done N runs") and crashes (a
crash, leak, timeout or broken invariant stops the harness: 0 or 1), the
input saved under build/fuzz/crashes/. Exit status 1 when any crashed.
"""
import argparse
import os
import pathlib
import platform
import re
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def repeatable_addresses():
    """Whether setarch may turn address randomisation off here (a
    container may forbid personality(2))."""
    try:
        return subprocess.run(["setarch", platform.machine(), "-R", "true"],
                              capture_output=True).returncode == 0
    except OSError:
        return False


def run(binary, seconds, runs, seed):
    name = pathlib.Path(binary).name
    seeds = ROOT / "tests" / "fuzz" / "corpus" / name
    scratch = ROOT / "build" / "fuzz" / "corpus" / name
    crashes = ROOT / "build" / "fuzz" / "crashes"
    log = ROOT / "build" / "fuzz" / (name + ".log")
    if runs:
        shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    def rel(path):
        return os.path.relpath(path, ROOT)

    cmd = ["nice", "-n", "10"]
    if runs and repeatable_addresses():
        cmd += ["setarch", platform.machine(), "-R"]
    cmd += [rel(pathlib.Path(binary).resolve()), "-timeout=10",
            "-rss_limit_mb=2048", "-print_final_stats=1",
            "-artifact_prefix=%s/%s-" % (rel(crashes), name)]
    if runs:
        cmd += ["-runs=%d" % runs, "-seed=%d" % seed, "-reload=0"]
    else:
        cmd.append("-max_total_time=%d" % seconds)
    dictionary = ROOT / "tests" / "fuzz" / (name + ".dict")
    if dictionary.exists():
        cmd.append("-dict=%s" % rel(dictionary))
    cmd.append(rel(scratch))
    if seeds.is_dir():
        cmd.append(rel(seeds))
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                   "/sbin:/bin",
           "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0",
           "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}
    if not runs:
        env = dict(os.environ, **env)
    start = time.monotonic()
    with open(log, "w") as f:
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                              env=env, cwd=ROOT,
                              timeout=3600 if runs else seconds + 300)
    text = log.read_text(errors="replace")
    done = re.search(r"^Done (\d+) runs in (\d+) second", text, re.M)
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
    done_runs = int(done.group(1)) if done else int(execs.group(1)) \
        if execs else 0
    artifact = re.search(r"Test unit written to (\S+)", text)
    crashed = proc.returncode != 0 or artifact is not None
    line = "fuzz: %-12s %10d executions %4d s  crashes %d" % (
        name[len("fuzz_"):], done_runs, int(time.monotonic() - start),
        1 if crashed else 0)
    if crashed:
        line += "  input %s  log %s" % (
            artifact.group(1) if artifact else "(none)", log)
    print(line, flush=True)
    if crashed:
        # the report: what broke and where
        frames = r"(?!fuzzer::|__|main |raise |abort |_start )"
        for m in re.finditer(r"^(fuzz: invariant.*|==\d+==ERROR.*|"
                             r"SUMMARY:.*|.*runtime error:.*|"
                             r"\s+#\d+ 0x\w+ in " + frames + r".*)$",
                             text, re.M):
            print("  " + m.group(1).strip())
    return done_runs, crashed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("binaries", nargs="+")
    args = ap.parse_args()
    total, failed = 0, []
    for binary in args.binaries:
        runs, crashed = run(binary, args.seconds, args.runs, args.seed)
        total += runs
        if crashed:
            failed.append(pathlib.Path(binary).name)
    print("fuzz: %d harnesses, %d executions, %d crashed%s" % (
        len(args.binaries), total, len(failed),
        (": " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

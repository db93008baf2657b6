"""Benchmark: what a crash costs a shard entry, with pytest restarted cold
(WARM OFF) and forked from the warm interpreter (WARM AUTO, the default).

It writes a suite of TESTS tests in one module, every EVERY-th of which
segfaults, under a conftest that imports IMPORTS (a real suite's start-up:
numpy, networkx, ...). It configures it twice with SHARDS 2 (WARM OFF and
WARM AUTO), runs each ctest once (durations), then alternates them (A B A B
...) for ROUNDS rounds and prints the times, medians and ratio, with the
exact commands. Each run must report every crash and pass every other
test. Run on demand, never in CI:

  /usr/bin/python3 tools/bench/restart_bench.py --build-dir BUILD -j 2 \\
      --rounds 3 --tests 60 --every 10 --imports numpy,networkx
"""
import argparse
import os
import pathlib
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench import cmake_quote

PROJECT = """\
cmake_minimum_required(VERSION 3.25...4.3)
project(restart_bench NONE)
enable_testing()
find_package(PytestShards 1.0 REQUIRED)
pytest_shard_tests(crashy WORKING_DIRECTORY {suite} SHARDS 2 WARM {warm}
  ARGS -p no:cacheprovider)
"""

TEST = """\
import os
import signal

import pytest


@pytest.mark.parametrize("n", range({tests}))
def test_n(n):
    if n % {every} == {every} - 1:
        os.kill(os.getpid(), signal.SIGSEGV)
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True, type=pathlib.Path)
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--cmake", default=shutil.which("cmake") or "cmake")
    parser.add_argument("--ctest", default=shutil.which("ctest") or "ctest")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tests", type=int, default=60)
    parser.add_argument("--every", type=int, default=10, help="every EVERY-th test segfaults")
    parser.add_argument("--imports", default="numpy",
                        help="modules the conftest imports, comma-separated")
    parser.add_argument("--work", type=pathlib.Path)
    return parser.parse_args(argv)


def write_suite(suite, args):
    suite.mkdir(parents=True, exist_ok=True)
    imports = [m for m in args.imports.split(",") if m]
    (suite / "conftest.py").write_text("".join(f"import {m}  # noqa: F401\n" for m in imports))
    (suite / "pytest.ini").write_text("[pytest]\n")
    (suite / "test_crashy.py").write_text(TEST.format(tests=args.tests, every=args.every))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    work = (args.work or pathlib.Path(tempfile.mkdtemp(prefix="restart-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    prefix = work / "prefix"
    subprocess.run([args.cmake, "--install", str(args.build_dir), "--prefix", str(prefix)],
                   check=True, capture_output=True)
    suite = work / "suite"
    write_suite(suite, args)
    crashes = args.tests // args.every
    builds = {}
    for warm in ("OFF", "AUTO"):
        src, build = work / f"src-{warm}", work / f"build-{warm}"
        shutil.rmtree(build, ignore_errors=True)
        src.mkdir(exist_ok=True)
        (src / "CMakeLists.txt").write_text(PROJECT.format(suite=cmake_quote(str(suite)), warm=warm))
        configured = subprocess.run(
            [args.cmake, "-S", str(src), "-B", str(build), f"-DCMAKE_PREFIX_PATH={prefix}",
             f"-DPython3_EXECUTABLE={args.python}"], capture_output=True, text=True)
        if configured.returncode != 0:
            sys.exit(configured.stdout + configured.stderr)
        builds[warm] = build

    def command(warm):
        return [args.ctest, "--test-dir", str(builds[warm]), "-j", str(args.jobs)]

    def timed(warm):
        start = time.monotonic()
        result = subprocess.run(command(warm), capture_output=True, text=True)
        seconds = time.monotonic() - start
        report = subprocess.run([str(prefix / "bin" / "pytest-shards"), "report", "--build-dir",
                                 str(builds[warm])], capture_output=True, text=True).stdout
        if f"{args.tests - crashes} passed" not in report or f"{crashes} crashed" not in report:
            sys.exit(f"WARM {warm}: expected {args.tests - crashes} passed and {crashes} "
                     f"crashed:\n{report[-3000:]}\n{result.stdout[-3000:]}")
        return seconds

    for warm in builds:
        timed(warm)
    times = {warm: [] for warm in builds}
    for _ in range(args.rounds):
        for warm in builds:
            seconds = timed(warm)
            times[warm].append(seconds)
            print(f"WARM {warm}: {seconds:.1f} s (load {os.getloadavg()[0]:.2f})",
                  file=sys.stderr, flush=True)
    print(f"{args.tests} tests, {crashes} of them segfault, conftest imports {args.imports}")
    print("| WARM | command | runs s | median s | vs OFF |")
    print("| --- | --- | --- | ---: | ---: |")
    base = statistics.median(times["OFF"])
    for warm in builds:
        median = statistics.median(times[warm])
        runs = ", ".join(f"{t:.1f}" for t in times[warm])
        print(f"| {warm} | `{shlex.join(command(warm))}` | {runs} | {median:.1f} | "
              f"{median / base:.2f} |")


if __name__ == "__main__":
    main()

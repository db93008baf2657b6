"""Benchmark: the IDE's inner loop on a suite's per-test entries (GRANULARITY test).

Two things a developer does in a test explorer, each against plain pytest:

- refresh the test list: `ctest --show-only=json-v1` (and `ctest -N`) against
  `pytest --collect-only -q` of the suite;
- click one test: `ctest -R '^<suite>/<node ID>$'` against
  `pytest <module>::<test>`.

It installs the pytest-shards build tree into a prefix, configures a
throwaway project calling pytest_shard_tests(GRANULARITY test) on the suite
(from an empty working directory, with the pytest arguments after `--`),
runs the clicked entry once, then times each pair A B A B ... ROUNDS times
and prints the best and median of each and the ratio of the bests (the
issue's "best of 3"), with the exact commands. Run on demand, never in CI:

  /usr/bin/python3 tools/bench/inner_loop_bench.py --build-dir build --rounds 3 \\
      --test core/tests/test_numeric.py::TestTypes::test_coercion -- --pyargs numpy
"""
import argparse
import json
import os
import pathlib
import re
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
project(inner_loop_bench NONE)
enable_testing()
find_package(PytestShards 1.0 REQUIRED)
pytest_shard_tests(suite WORKING_DIRECTORY {workdir} GRANULARITY test
  PYTHON {python} DISCOVERY_TIMEOUT 1200 ARGS {args})
"""


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True, type=pathlib.Path)
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--cmake", default=shutil.which("cmake") or "cmake")
    parser.add_argument("--ctest", default=shutil.which("ctest") or "ctest")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--test", required=True,
                        help="the node ID to click, as the suite's entries name it")
    parser.add_argument("--work", type=pathlib.Path)
    parser.add_argument("pytest_args", nargs="+", help="the suite's pytest arguments, after --")
    return parser.parse_args(argv)


def timed(argv, cwd):
    start = time.monotonic()
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    return time.monotonic() - start, result


def pair(name, a, b, cwd, rounds):
    """Times a and b in turn; returns a markdown row."""
    times = {"a": [], "b": []}
    for _ in range(rounds):
        for key, argv in (("a", a), ("b", b)):
            seconds, result = timed(argv, cwd)
            if result.returncode not in (0, 2 if key == "b" else 0):
                print(f"{shlex.join(argv)} exited {result.returncode}:\n"
                      f"{result.stdout[-2000:]}{result.stderr[-2000:]}", file=sys.stderr)
            times[key].append(seconds)
    best_a, best_b = min(times["a"]), min(times["b"])
    return (f"| {name} | `{shlex.join(a)}` | `{shlex.join(b)}` | {best_a:.2f} "
            f"({statistics.median(times['a']):.2f}) | {best_b:.2f} "
            f"({statistics.median(times['b']):.2f}) | {best_a / best_b:.2f} |")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    work = (args.work or pathlib.Path(tempfile.mkdtemp(prefix="inner-loop-bench-"))).resolve()
    prefix, src, build, workdir = (work / d for d in ("prefix", "src", "build", "run"))
    for d in (src, workdir):
        d.mkdir(parents=True, exist_ok=True)
    subprocess.run([args.cmake, "--install", str(args.build_dir), "--prefix", str(prefix)],
                   check=True, capture_output=True)
    (src / "CMakeLists.txt").write_text(PROJECT.format(
        workdir=cmake_quote(str(workdir)), python=cmake_quote(args.python),
        args=" ".join(cmake_quote(a) for a in args.pytest_args)))
    configured = subprocess.run(
        [args.cmake, "-S", str(src), "-B", str(build), f"-DCMAKE_PREFIX_PATH={prefix}"],
        capture_output=True, text=True)
    if configured.returncode != 0:
        sys.exit(configured.stdout + configured.stderr)
    regex = "^" + re.escape("suite/" + args.test) + "$"
    listing = [args.ctest, "--test-dir", str(build), "--show-only=json-v1"]
    seconds, result = timed(listing, workdir)
    names = [t["name"] for t in json.loads(result.stdout)["tests"]]
    if "suite/" + args.test not in names:
        sys.exit(f"no entry suite/{args.test} among the {len(names)} entries")
    # The node ID as pytest takes it: the module part is relative to the
    # package pytest imported (--pyargs) or to the working directory.
    module, _, rest = args.test.partition("::")
    plan = max((build / "pytest-shards" / "suite" / "runs").iterdir(),
               key=lambda p: p.stat().st_mtime) / "plan.json"
    paths = json.loads(plan.read_text()).get("module_paths", {})
    node = f"{paths.get(module, module)}::{rest}"
    pytest = [args.python, "-m", "pytest"]
    print(f"{len(names)} entries; load {os.getloadavg()[0]:.2f}", file=sys.stderr)
    click = [args.ctest, "--test-dir", str(build), "-R", regex]
    timed(click, workdir)  # learns, warms the page cache
    print("| what | pytest-shards | plain pytest | best s (median) | best s (median) | ratio of bests |")
    print("| --- | --- | --- | ---: | ---: | ---: |")
    print(pair("list", listing, pytest + ["--collect-only", "-q"] + args.pytest_args, workdir,
               args.rounds))
    print(pair("list -N", [args.ctest, "--test-dir", str(build), "-N"],
               pytest + ["--collect-only", "-q"] + args.pytest_args, workdir, args.rounds))
    print(pair("click", click, pytest + ["-q", node], workdir, args.rounds))
    print(f"load average after: {os.getloadavg()[0]:.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Benchmark: a suite's per-test CTest entries (GRANULARITY test, forked from
the warm interpreter, and cold with PYTEST_SHARDS_WARM=0) against its
default shard entries, under `ctest -j N`.

It installs the pytest-shards build tree into a prefix, configures two
throwaway projects that call pytest_shard_tests() on the suite (one with
GRANULARITY shard, one with GRANULARITY test), runs each ctest once to learn
durations, then alternates the modes (A B A B ...) for ROUNDS rounds and
prints every time, the medians and the ratios to the shard entries, with the
exact commands. Run on demand, never in CI:

  /usr/bin/python3 tools/bench/granularity_bench.py --build-dir BUILD -j 2 \\
      --rounds 3 --suite tests/demo --modes shard,test-warm

Modes: shard, shard-warm (PYTEST_SHARDS_WARM=1), test-warm, test-cold, and
ctest-floor: CTest alone, with as many entries as GRANULARITY test has (the
same names), each running /bin/true. That is what CTest itself costs per
entry (it forks itself for each one, and the fork grows with the number of
entries it holds), the floor under any per-test entries.

A suite not written here, as pytest arguments after `--` (ARGS of
pytest_shard_tests), run from an empty working directory:

  /usr/bin/python3 tools/bench/granularity_bench.py --build-dir BUILD -j 2 \\
      --rounds 3 --modes shard,test-warm -- --pyargs networkx.algorithms.centrality
"""
import argparse
import os
import re
import pathlib
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench import cmake_quote

MODES = ("shard", "shard-warm", "test-warm", "test-cold", "ctest-floor")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True, type=pathlib.Path)
    parser.add_argument("--suite", type=pathlib.Path,
                        help="the suite's directory (WORKING_DIRECTORY), e.g. tests/demo; "
                             "default: an empty directory under --work")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--cmake", default=shutil.which("cmake") or "cmake")
    parser.add_argument("--ctest", default=shutil.which("ctest") or "ctest")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="shard,test-warm")
    parser.add_argument("--work", type=pathlib.Path)
    parser.add_argument("pytest_args", nargs="*", help="ARGS of the suite, after --")
    args = parser.parse_args(argv)
    if not args.suite and not args.pytest_args:
        parser.error("give --suite DIR or the suite's pytest arguments after --")
    args.modes = [m for m in args.modes.split(",") if m]
    if set(args.modes) - set(MODES):
        parser.error(f"modes are {', '.join(MODES)}")
    return args


PROJECT = """\
cmake_minimum_required(VERSION 3.25...4.3)
project(granularity_bench NONE)
enable_testing()
find_package(PytestShards 1.0 REQUIRED)
pytest_shard_tests(suite WORKING_DIRECTORY {suite} GRANULARITY {granularity}{args})
"""


def run(argv, env=None, **kwargs):
    return subprocess.run(argv, env=env, capture_output=True, text=True, **kwargs)


def write_floor(build, test_build, ctest):
    """A CTest directory with the per-test entries' names, each /bin/true."""
    listing = run([ctest, "--test-dir", str(test_build), "-N"], check=True).stdout
    names = re.findall(r"^\s*Test\s+#\d+: (.*)$", listing, re.MULTILINE)
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    lines = [f"add_test({cmake_quote(name)} /bin/true)\n" for name in names]
    (build / "CTestTestfile.cmake").write_text("".join(lines))
    print(f"ctest-floor: {len(names)} entries of /bin/true", file=sys.stderr)
    return build


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    work = (args.work or pathlib.Path(tempfile.mkdtemp(prefix="granularity-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    prefix = work / "prefix"
    run([args.cmake, "--install", str(args.build_dir), "--prefix", str(prefix)], check=True)
    suite = args.suite.resolve() if args.suite else work / "run"
    suite.mkdir(parents=True, exist_ok=True)
    pytest_args = "".join(" " + cmake_quote(a) for a in args.pytest_args)
    if pytest_args:
        pytest_args = " ARGS" + pytest_args
    builds = {}
    for granularity in ("shard", "test"):
        wanted = granularity == "test" and "ctest-floor" in args.modes
        if not wanted and not any(m.startswith(granularity) for m in args.modes):
            continue
        src, build = work / f"src-{granularity}", work / f"build-{granularity}"
        shutil.rmtree(build, ignore_errors=True)
        src.mkdir(exist_ok=True)
        (src / "CMakeLists.txt").write_text(
            PROJECT.format(suite=cmake_quote(str(suite)), granularity=granularity,
                           args=pytest_args))
        configured = run([args.cmake, "-S", str(src), "-B", str(build),
                          f"-DCMAKE_PREFIX_PATH={prefix}", f"-DPython3_EXECUTABLE={args.python}"])
        if configured.returncode != 0:
            sys.exit(configured.stdout + configured.stderr)
        builds[granularity] = build
    if "ctest-floor" in args.modes:
        builds["ctest"] = write_floor(work / "build-floor", builds["test"], args.ctest)

    def command(mode):
        env = dict(os.environ)
        env.pop("PYTEST_SHARDS_WARM", None)
        if mode == "shard-warm":
            env["PYTEST_SHARDS_WARM"] = "1"
        if mode == "test-cold":
            env["PYTEST_SHARDS_WARM"] = "0"
        build = builds[mode.split("-")[0]]
        return [args.ctest, "--test-dir", str(build), "-j", str(args.jobs)], env

    def timed(mode):
        argv, env = command(mode)
        start = time.monotonic()
        result = run(argv, env=env)
        seconds = time.monotonic() - start
        if result.returncode != 0:
            print(f"{mode}: ctest exited {result.returncode}\n{result.stdout[-3000:]}",
                  file=sys.stderr)
        return seconds

    for mode in args.modes:  # learn durations, warm the page cache
        timed(mode)
    times = {mode: [] for mode in args.modes}
    for _ in range(args.rounds):
        for mode in args.modes:
            times[mode].append(timed(mode))
            print(f"{mode}: {times[mode][-1]:.1f} s (load {os.getloadavg()[0]:.2f})",
                  file=sys.stderr, flush=True)
    base = statistics.median(times[args.modes[0]])
    print("| mode | command | runs s | median s | vs " + args.modes[0] + " |")
    print("| --- | --- | --- | ---: | ---: |")
    for mode in args.modes:
        argv, env = command(mode)
        prefix_env = {"shard-warm": "PYTEST_SHARDS_WARM=1 ", "test-cold": "PYTEST_SHARDS_WARM=0 "}
        shown = prefix_env.get(mode, "") + shlex.join(argv)
        median = statistics.median(times[mode])
        runs = ", ".join(f"{t:.1f}" for t in times[mode])
        print(f"| {mode} | `{shown}` | {runs} | {median:.1f} | {median / base:.2f} |")


if __name__ == "__main__":
    main()

"""Benchmark: what `ctest -N` costs at every ctest start on a real 100,000-test suite.

It writes a real pytest suite (MODULES modules of one test parametrized
CASES times, a few of them marked serial, xdist_group or slow), installs the
pytest-shards build tree into a temporary prefix, configures a throwaway CMake
project calling pytest_shard_tests() on the suite once per GRANULARITY (each
configure is one pytest collection), and then times `ctest -N` in each build
tree ROUNDS times, after one untimed warm-up (at GRANULARITY test only
TEST_CTEST_ROUNDS times: there CTest's own set_tests_properties, quadratic in
the number of tests, takes minutes). `ctest -N` includes the suite's
include file, which runs `pytest-shards plan`: fold the last run's journals
into the durations store, check that the collection is not stale, plan, write
runs/<id>/plan.json and tests.cmake; ctest then reads tests.cmake. It also
times that `pytest-shards plan` command alone, so that its peak RSS is its own.

Each timed command runs in a fresh child waited for with wait4(): wall seconds,
CPU seconds (user + system of the whole process tree, which a loaded machine
does not inflate) and peak RSS (the largest process of the tree: Linux folds
a reaped child's peak into its parent's). Prints medians as a markdown table.

By default it first learns durations the way a user's first run does: one real
`ctest -j JOBS` of the shard build tree (every test runs), whose journals the
next plan folds into durations.json; the test build tree gets a copy of that
store (running 100,000 one-test entries would take hours). Run on demand,
never in CI:

  /usr/bin/python3 tools/bench/ctest_n_bench.py --build-dir build --rounds 5 \
      --work /tmp/ctest-n-bench
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

GRANULARITIES = ("shard", "test")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True, type=pathlib.Path,
                        help="a pytest-shards build tree (cmake --install is run on it)")
    parser.add_argument("--python", default="/usr/bin/python3",
                        help="interpreter with pytest (default /usr/bin/python3)")
    parser.add_argument("--cmake", default=shutil.which("cmake") or "cmake")
    parser.add_argument("--ctest", default=shutil.which("ctest") or "ctest")
    parser.add_argument("--modules", type=int, default=100, help="test modules (default 100)")
    parser.add_argument("--cases", type=int, default=1000,
                        help="parametrized cases per module (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--test-ctest-rounds", type=int, default=1,
                        help="timed rounds of ctest -N at GRANULARITY test, without a warm-up: "
                             "CTest's own set_tests_properties is quadratic in the number of "
                             "tests and takes minutes there (default 1, 0: skip)")
    parser.add_argument("--granularities", default=",".join(GRANULARITIES),
                        help="comma-separated subset of shard,test (default both)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="ctest -j of the learning run (default: all cores)")
    parser.add_argument("--no-learn", action="store_true",
                        help="skip the learning run: plan from estimates, no journals to fold")
    parser.add_argument("--work", type=pathlib.Path,
                        help="working directory, kept afterwards (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the suite and build trees of an earlier run in --work "
                             "(skips generating, configuring and learning)")
    args = parser.parse_args(argv)
    args.granularities = [g for g in args.granularities.split(",") if g]
    unknown = set(args.granularities) - set(GRANULARITIES)
    if unknown:
        parser.error(f"unknown granularities {sorted(unknown)}; use shard, test")
    return args


# Module i's marker, for a few modules: what the planner reads from markers
# (serial locks, xdist groups, labels) on a realistic share of the suite.
MARKED = {0: '@pytest.mark.serial("db")\n', 1: '@pytest.mark.xdist_group("net")\n',
          2: "@pytest.mark.slow\n", 3: "@pytest.mark.serial\n"}


def write_suite(suite, modules, cases):
    """MODULES modules of one test parametrized CASES times: MODULES x CASES items."""
    tests = suite / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    (suite / "pytest.ini").write_text(
        "[pytest]\ntestpaths = tests\nmarkers =\n    slow: a slow test\n")
    for i in range(modules):
        # A few strange IDs too: unicode and characters JSON must escape.
        ids = "ids=lambda v: f'c{v}' if v % 97 else f'ü\\\\\"{v}\"\\t'"
        (tests / f"test_mod{i:03d}.py").write_text(
            "import pytest\n\n\n"
            f"{MARKED.get(i, '')}"
            f"@pytest.mark.parametrize('value', range({cases}), {ids})\n"
            f"def test_case_{i}(value):\n"
            "    assert value >= 0\n")


def cmake_quote(word):
    """A CMake bracket argument holding `word` unchanged."""
    eq = "="
    while f"]{eq}]" in word:
        eq += "="
    return f"[{eq}[{word}]{eq}]"


def measure(argv, log, cwd=None):
    """Runs argv in a fresh child: (wall s, CPU s of the tree, peak RSS MB, exit status)."""
    with open(log, "w") as out:
        start = time.monotonic()
        child = subprocess.Popen([str(a) for a in argv], cwd=cwd, stdout=out,
                                 stderr=subprocess.STDOUT)
        # wait4 rather than Popen.wait: the rusage of this child's tree alone.
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - start
        child.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode


def configure(args, work, prefix, granularity):
    source, build = work / f"project-{granularity}", work / f"build-{granularity}"
    source.mkdir(parents=True, exist_ok=True)
    (source / "CMakeLists.txt").write_text(f"""\
cmake_minimum_required(VERSION 3.25...4.3)
project(pytest_shards_ctest_n_bench NONE)
enable_testing()
find_package(PytestShards 1.0 REQUIRED)
pytest_shard_tests(big
  PYTHON {cmake_quote(args.python)}
  WORKING_DIRECTORY {cmake_quote(str(work / "suite"))}
  GRANULARITY {granularity}
  DISCOVERY_TIMEOUT 1200)
""")
    shutil.rmtree(build, ignore_errors=True)
    argv = [args.cmake, "-S", source, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}"]
    wall, _, _, status = measure(argv, work / f"configure-{granularity}.log")
    if status != 0:
        sys.exit(f"configure failed ({status}); see {work / f'configure-{granularity}.log'}")
    print(f"configure, GRANULARITY {granularity} (one collection): {wall:.1f} s", flush=True)
    return build


def learn(args, work, builds):
    """One real run of the shard tree; its journals are folded by the next plan."""
    shard = builds["shard"]
    wall, _, _, status = measure([args.ctest, "--test-dir", shard, "-j", args.jobs],
                                 work / "learn.log")
    print(f"learning run: {wall:.1f} s (exit {status}): ctest --test-dir {shard} -j {args.jobs}",
          flush=True)
    # Fold now, so that the test tree can have the same store: the first
    # ctest start after a run, which reads its journals.
    wall, cpu, peak, status = measure([args.ctest, "--test-dir", shard, "-N"], work / "fold.log")
    print(f"first ctest -N after it (folds its journals into durations.json): {wall:.3f} s wall, "
          f"{cpu:.3f} s CPU, {peak:.0f} MB peak RSS (exit {status})", flush=True)
    if "test" in builds:
        shutil.copy(shard / "pytest-shards/big/durations.json",
                    builds["test"] / "pytest-shards/big/durations.json")


def plan_command(args, build, prefix):
    return [prefix / "bin/pytest-shards", "plan", "--suite-dir", build / "pytest-shards/big",
            "--cores", os.cpu_count() or 1]


def shown(argv):
    return " ".join(shlex.quote(str(a)) for a in argv)


def count_entries(log):
    for line in pathlib.Path(log).read_text().splitlines():
        if line.startswith("Total Tests:"):
            return line.split(":")[1].strip()
    return "?"


def bench(args, work, build, prefix, granularity):
    """Rows of the table for one build tree."""
    steps = {"pytest-shards plan alone": plan_command(args, build, prefix),
             "ctest -N": [args.ctest, "--test-dir", build, "-N"]}
    rows = []
    for step, argv in steps.items():
        log = work / f"{granularity}-{step.split()[0]}.log"
        slow = granularity == "test" and step == "ctest -N"
        if slow and args.test_ctest_rounds == 0:
            continue
        if not slow:
            measure(argv, log)  # warm-up: the page cache, and a fold the rounds need not repeat
        runs = [measure(argv, log) for _ in range(args.test_ctest_rounds if slow else args.rounds)]
        if any(status != 0 for *_, status in runs):
            sys.exit(f"{shown(argv)} failed; see {log}")
        entries = count_entries(log) if step == "ctest -N" else "-"
        walls = [r[0] for r in runs]
        rows.append(f"| {granularity} | {step} | {entries} | {statistics.median(walls):.3f} | "
                    f"{', '.join(f'{w:.2f}' for w in walls)} | "
                    f"{statistics.median(r[1] for r in runs):.3f} | "
                    f"{statistics.median(r[2] for r in runs):.0f} |")
        print(rows[-1], flush=True)
    return rows, steps


def load_average():
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv):
    args = parse_args(argv)
    work = (args.work or pathlib.Path(tempfile.mkdtemp(prefix="ctest-n-bench-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    prefix = work / "prefix"
    subprocess.run([args.cmake, "--install", args.build_dir.resolve(), "--prefix", prefix],
                   check=True, stdout=subprocess.DEVNULL)
    builds = {g: work / f"build-{g}" for g in args.granularities}
    if not args.reuse:
        shutil.rmtree(work / "suite", ignore_errors=True)
        write_suite(work / "suite", args.modules, args.cases)
        builds = {g: configure(args, work, prefix, g) for g in args.granularities}
        if not args.no_learn and "shard" in builds:
            learn(args, work, builds)
    print(f"load average (1/5/15 min) at start: {load_average()}", flush=True)
    table = ["| GRANULARITY | step | CTest entries | median wall s | runs wall s | "
             "median CPU s | median peak RSS MB |",
             "| --- | --- | ---: | ---: | --- | ---: | ---: |"]
    commands = []
    for granularity, build in builds.items():
        rows, steps = bench(args, work, build, prefix, granularity)
        table += rows
        commands += [f"{granularity}, {step}: `{shown(a)}`" for step, a in steps.items()]
    print()
    print(f"{args.modules} modules x {args.cases} cases = {args.modules * args.cases} tests, "
          f"{args.rounds} rounds after a warm-up ({args.test_ctest_rounds} without one for "
          f"ctest -N at GRANULARITY test), learned durations: "
          f"{'no' if args.no_learn else 'yes'}")
    print()
    print("\n".join(table))
    print()
    print("\n".join(commands))
    print(f"load average (1/5/15 min) at the end: {load_average()}")
    print(f"logs: {work}")


if __name__ == "__main__":
    main(sys.argv[1:])

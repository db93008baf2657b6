"""Benchmark: an n-job CI matrix of one suite, simulated on one machine, with
and without a durations file. How even are the jobs?

It installs the pytest-shards build tree into a prefix (or takes an installed
prefix: `cmake --install build --prefix P`, so that the build tree can change
while the bench waits for the lock) and writes a throwaway
CMake project that calls pytest_shard_tests() on the suite (found with
find_package, as a user's project does), run from an empty working directory.
Then, as a CI system would:

1. a first, unsliced job (a fresh build tree, ctest, `report --export`), and
   `pytest-shards merge --durations-out` of its export: the durations file a
   user commits (or restores from a CI cache);
2. the matrix without that file, then with it (DURATIONS_FILE): for k in
   1..n a fresh build tree (its own configure, i.e. its own collection, as in
   a fresh CI job), `PYTEST_SHARDS_SLICE=k/n ctest -j J`, its export; the jobs
   run one after another, each timed (configure and ctest wall seconds);
3. `pytest-shards merge` of each matrix's exports, which must exit 0, with a
   JUnit file holding every collected test exactly once.

It prints, per matrix, every job's times, tests and the sum of its tests'
durations, and the longest job against the mean job (ctest wall time), with
the load average. Run on demand on a machine doing nothing else, never in CI:

  cmake --install build --prefix /tmp/matrix-prefix
  /usr/bin/python3 tools/bench/matrix_bench.py \\
      --prefix /tmp/matrix-prefix -n 4 -j 2 --work /tmp/matrix-nx \\
      -- --pyargs networkx -p no:cacheprovider

Everything after `--` is the pytest arguments (ARGS of pytest_shard_tests).
"""
import argparse
import json
import os
import pathlib
import shlex
import shutil
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree

# What would choose cores or a slice for the jobs behind the bench's back.
CI_VARIABLES = ("PYTEST_SHARDS_SLICE", "PYTEST_SHARDS_CORES", "PYTEST_SHARDS_PRESET_JOBS",
                "CTEST_PARALLEL_LEVEL", "PYTEST_ADDOPTS", "CI_NODE_INDEX", "CI_NODE_TOTAL",
                "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", "BUILDKITE_PARALLEL_JOB",
                "BUILDKITE_PARALLEL_JOB_COUNT", "SYSTEM_JOBPOSITIONINPHASE",
                "SYSTEM_TOTALJOBSINPHASE")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--build-dir", type=pathlib.Path,
                       help="a pytest-shards build tree, installed into <work>/prefix")
    where.add_argument("--prefix", type=pathlib.Path, help="an installed pytest-shards")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--cmake", default=shutil.which("cmake") or "cmake")
    parser.add_argument("--ctest", default=shutil.which("ctest") or "ctest")
    parser.add_argument("-n", "--jobs-in-matrix", dest="n", type=int, default=4,
                        help="jobs of the matrix (default 4)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="ctest -j of each job")
    parser.add_argument("--work", required=True, type=pathlib.Path,
                        help="working directory, emptied first and kept afterwards")
    parser.add_argument("--rounds", type=int, default=1,
                        help="matrices of each kind, alternating which runs first (default 1)")
    parser.add_argument("--durations", type=pathlib.Path,
                        help="a durations file to use instead of making one with a first run")
    parser.add_argument("pytest_args", nargs="+", help="pytest arguments, after --")
    return parser.parse_args(argv)


def shown(argv):
    return " ".join(shlex.quote(str(a)) for a in argv)


def load_average():
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def cmake_quote(word):
    """A CMake bracket argument holding `word` unchanged."""
    eq = "="
    while f"]{eq}]" in word:
        eq += "="
    return f"[{eq}[{word}]{eq}]"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    env.update(extra)
    return env


def timed(argv, log, env=None, ok=True):
    """Runs argv with its output in `log`; returns (wall seconds, exit status)."""
    with open(log, "w") as out:
        start = time.monotonic()
        status = subprocess.run([str(a) for a in argv], env=env, stdout=out,
                                stderr=subprocess.STDOUT).returncode
        wall = time.monotonic() - start
    if ok and status != 0:
        sys.exit(f"{shown(argv)} exited {status}; see {log}")
    return wall, status


class Matrix:
    """The throwaway project and the jobs run on it."""

    def __init__(self, args):
        self.args = args
        self.work = args.work
        self.prefix = args.prefix
        if args.build_dir:
            self.prefix = self.work / "prefix"
            subprocess.run([args.cmake, "--install", args.build_dir, "--prefix", self.prefix],
                           check=True, stdout=subprocess.DEVNULL)
        self.tool = self.prefix / "bin" / "pytest-shards"
        self.source = self.work / "project"
        rundir = self.work / "run"  # empty: pytest runs outside the package
        self.source.mkdir()
        rundir.mkdir()
        args_text = " ".join(cmake_quote(a) for a in args.pytest_args)
        (self.source / "CMakeLists.txt").write_text(f"""\
cmake_minimum_required(VERSION 3.25...4.3)
project(pytest_shards_matrix_bench NONE)
enable_testing()
find_package(PytestShards 1.0 REQUIRED)
set(DURATIONS "" CACHE STRING "the suite's DURATIONS_FILE, if any")
pytest_shard_tests(suite
  PYTHON {cmake_quote(args.python)}
  WORKING_DIRECTORY {cmake_quote(str(rundir))}
  ARGS {args_text}
  DURATIONS_FILE "${{DURATIONS}}")
""")

    def job(self, name, durations=None, **env):
        """One CI job in a fresh build tree; returns its times and export."""
        build = self.work / name
        configure = [self.args.cmake, "-S", self.source, "-B", build,
                     f"-DCMAKE_PREFIX_PATH={self.prefix}",
                     f"-DDURATIONS={durations or ''}"]
        configure_wall, _ = timed(configure, self.work / f"{name}-configure.log", clean_env())
        ctest = [self.args.ctest, "--test-dir", build, "-j", str(self.args.jobs)]
        # Failing tests are the suite's business (both matrices see them).
        ctest_wall, status = timed(ctest, self.work / f"{name}-ctest.log", clean_env(**env),
                                   ok=False)
        export = self.work / f"{name}.json"
        timed([self.tool, "report", "--build-dir", build, "--export", export],
              self.work / f"{name}-export.log", clean_env(), ok=False)
        suite = json.loads(export.read_text())["suites"][0]
        return {"name": name, "configure": configure_wall, "ctest": ctest_wall, "exit": status,
                "tests": len(suite["tests"]), "collected": len(suite["collected"]),
                "test_seconds": sum(t["duration"] or 0 for t in suite["tests"]),
                "entries": len(suite["entries"]), "export": export, "load": load_average()}

    def merge(self, name, exports, *options):
        argv = [self.tool, "merge", *exports, *options]
        log = self.work / f"{name}-merge.log"
        _, status = timed(argv, log, clean_env(), ok=False)
        return status, log.read_text()


def junit_cases(path):
    return [f"{c.get('classname')}::{c.get('name')}"
            for c in ElementTree.parse(path).getroot().iter("testcase")]


def run_matrix(matrix, label, durations):
    """The n jobs of one matrix, one after another, and their merge."""
    args = matrix.args
    jobs = []
    for k in range(1, args.n + 1):
        job = matrix.job(f"{label}-{k}".replace(" ", "-"), durations,
                         PYTEST_SHARDS_SLICE=f"{k}/{args.n}")
        jobs.append(job)
        print(f"{label} job {k}/{args.n}: configure {job['configure']:.1f} s, ctest "
              f"{job['ctest']:.1f} s (exit {job['exit']}), {job['tests']} tests "
              f"({job['test_seconds']:.1f} s of tests, {job['entries']} entries), "
              f"load {job['load']}", flush=True)
    name = label.replace(" ", "-")
    junit = matrix.work / f"{name}-merged.xml"
    status, output = matrix.merge(name, [j["export"] for j in jobs], "--junit", junit)
    cases = junit_cases(junit) if junit.exists() else []
    collected = jobs[0]["collected"]
    once = status == 0 and len(cases) == collected and len(set(cases)) == collected
    print(f"{label}: merge exit {status}; JUnit {len(cases)} cases, {len(set(cases))} distinct, "
          f"{collected} collected: {'each once' if once else 'NOT each once'}")
    if not once:
        print(output[-3000:])
    walls = [j["ctest"] for j in jobs]
    mean = statistics.mean(walls)
    return {"label": label, "jobs": jobs, "longest": max(walls), "mean": mean,
            "ratio": max(walls) / mean, "merge_ok": once}


def report(results, args):
    lines = ["| matrix | job | configure s | ctest -j s | tests | tests' own s | load |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for result in results:
        for k, job in enumerate(result["jobs"], start=1):
            lines.append(f"| {result['label']} | {k}/{args.n} | {job['configure']:.1f} | "
                         f"{job['ctest']:.1f} | {job['tests']} | {job['test_seconds']:.1f} | "
                         f"{job['load']} |")
    lines += ["", "| matrix | longest job s | mean job s | longest / mean | merge |",
              "| --- | ---: | ---: | ---: | --- |"]
    for result in results:
        lines.append(f"| {result['label']} | {result['longest']:.1f} | {result['mean']:.1f} | "
                     f"**{result['ratio']:.2f}** | "
                     f"{'exit 0, each test once' if result['merge_ok'] else 'FAILED'} |")
    return "\n".join(lines)


def main(argv):
    args = parse_args(argv)
    args.work = args.work.resolve()
    args.build_dir = args.build_dir and args.build_dir.resolve()
    args.prefix = args.prefix and args.prefix.resolve()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    matrix = Matrix(args)
    print(f"load average (1/5/15 min) at start: {load_average()}", flush=True)

    durations = args.durations.resolve() if args.durations else None
    if durations is None:
        seed = matrix.job("seed")
        durations = args.work / "durations.json"
        status, output = matrix.merge("seed", [seed["export"]], "--durations-out", durations)
        if status != 0:
            sys.exit(f"merge --durations-out of the first run exited {status}:\n{output}")
        print(f"first run (unsliced): configure {seed['configure']:.1f} s, ctest "
              f"{seed['ctest']:.1f} s, {seed['tests']} tests; durations file {durations}",
              flush=True)

    results = []
    for round_ in range(1, args.rounds + 1):
        # Alternate which kind runs first, so that a drift of the machine's
        # load does not always favour the same one.
        kinds = [("without", None), ("with", durations)]
        for kind, file in kinds if round_ % 2 else kinds[::-1]:
            label = kind if args.rounds == 1 else f"{kind} r{round_}"
            results.append(run_matrix(matrix, label, file))
    print()
    print(f"{args.n} jobs, each `PYTEST_SHARDS_SLICE=k/{args.n} ctest --test-dir <fresh tree> "
          f"-j {args.jobs}`, one after another; pytest args: {shown(args.pytest_args)}")
    print()
    print(report(results, args))
    print()
    print(f"load average (1/5/15 min) at the end: {load_average()}")
    print(f"logs and exports: {args.work}")
    sys.exit(0 if all(r["merge_ok"] for r in results) else 1)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Benchmark: the distance to the limit. How close does `ctest -j N` through
pytest-shards come to the suite's own test time spread over N cores?

The limit is the sum of every test's time (each <testcase time="..."> of the
JUnit file that `pytest -n N --junitxml=F` writes) divided by N: no runner
that starts and collects nothing, and balances perfectly, does better.

It installs the pytest-shards build tree into a temporary prefix, writes a
throwaway CMake project that calls pytest_shard_tests() on the suite (found
with find_package, the way a user's project does), configures it (that is the
one collection), runs ctest once to learn durations, runs `pytest -n N
--junitxml` once for the limit, then RUNS timed `ctest -j N` runs. It prints
a markdown table: each ctest run's wall seconds, the limit, wall / limit
(and the best of them), the run's own tests' time over N cores (from its
export) and wall / that, and the tail: seconds between the first and the last
shard entry to finish. An entry finishes when ctest prints its result line;
the bench timestamps ctest's output as it arrives. Which ctest tests are the
suite's entries comes from `pytest-shards report --export` of each run. Run
on demand on a machine doing nothing else, never in CI:

  /usr/bin/python3 tools/bench/balance_bench.py --build-dir build -j 2 \\
      -- --pyargs numpy

Everything after `--` is the pytest arguments (ARGS of pytest_shard_tests);
--cmake-args 'SHARDS 2' adds words to the pytest_shard_tests() call.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench  # noqa: E402  (cmake_quote, run_logged, shown, load_average)

# ctest's lines when it starts an entry and when the entry is done; the
# number, not the name, ties them (names may hold spaces and dots):
#       Start  3: suite/shard-01
#   1/4 Test  #3: suite/shard-01 .........   Passed    0.52 sec
START_LINE = re.compile(r"^\s*Start\s+(\d+): (.+)$")
END_LINE = re.compile(r"^\s*\d+/\d+ Test\s+#(\d+): .*\s([\d.]+) sec$")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    bench.add_tool_args(parser)
    parser.add_argument("-j", "--jobs", type=int, default=2,
                        help="cores: pytest -n and ctest -j (default 2)")
    parser.add_argument("--runs", type=int, default=2, help="timed ctest runs (default 2)")
    parser.add_argument("--workdir", type=pathlib.Path,
                        help="cwd of the suite (default: a fresh empty temporary directory, "
                             "so that --pyargs suites run outside their package)")
    parser.add_argument("--name", default="suite", help="suite name (default suite)")
    parser.add_argument("--cmake-args", default="",
                        help="words added verbatim to the pytest_shard_tests() call, "
                             "e.g. 'SHARDS 2'")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary project, logs and exports")
    parser.add_argument("pytest_args", nargs="*", help="pytest arguments, after --")
    args = parser.parse_args(argv)
    if not args.pytest_args:
        parser.error("give the suite's pytest arguments after --, e.g. -- --pyargs numpy")
    return args


def setup_project(args, work):
    """Installs pytest-shards and configures the throwaway consumer project.
    bench.setup_project fixes the suite's name and its SHARDS and DISTRIBUTION,
    so --name and --cmake-args need this writer of our own."""
    prefix, source, build, rundir = bench.install_into(args, work)
    pytest_args = " ".join(bench.cmake_quote(a) for a in args.pytest_args)
    (source / "CMakeLists.txt").write_text(f"""\
cmake_minimum_required(VERSION 3.25...4.3)
project(pytest_shards_balance_bench NONE)
enable_testing()
find_package(PytestShards 1.0 REQUIRED)
pytest_shard_tests({args.name}
  PYTHON {bench.cmake_quote(args.python)}
  WORKING_DIRECTORY {bench.cmake_quote(str(rundir))}
  ARGS {pytest_args}
  {args.cmake_args})
""")
    configure = [args.cmake, "-S", source, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}"]
    wall, status = bench.run_logged(configure, work / "configure.log")
    if status != 0:
        sys.exit(f"configure failed ({status}); see {work / 'configure.log'}")
    return prefix, build, rundir, configure, wall


def limit_run(args, work, rundir, env):
    """`pytest -n N --junitxml` once; returns (argv, wall, exit, sum of test times)."""
    junit = work / "limit.xml"
    # -p no:cacheprovider: no .pytest_cache in the run directory for the shards to see.
    argv = [args.python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-n", str(args.jobs), f"--junitxml={junit}", *args.pytest_args]
    wall, status = bench.run_logged(argv, work / "limit.log", cwd=rundir, env=env)
    if not junit.exists():
        sys.exit(f"pytest wrote no {junit} (exit {status}); see {work / 'limit.log'}")
    root = ElementTree.parse(junit).getroot()
    test_seconds = sum(float(case.get("time") or 0) for case in root.iter("testcase"))
    return argv, wall, status, test_seconds


def timed_ctest(argv, log, env):
    """Runs ctest, timestamping its lines as they arrive. Returns (wall,
    exit, {entry: (start, end)}) in seconds since ctest started."""
    names, starts, ends = {}, {}, {}
    with open(log, "w") as out:
        start = time.monotonic()
        process = subprocess.Popen([str(a) for a in argv], env=env, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for line in process.stdout:
            now = time.monotonic() - start
            out.write(f"{now:9.3f} {line}")
            if found := START_LINE.match(line.rstrip("\n")):
                names[found.group(1)], starts[found.group(1)] = found.group(2), now
            elif found := END_LINE.match(line.rstrip("\n")):
                number = found.group(1)
                # Without a Start line, ctest's own duration places the start.
                starts.setdefault(number, now - float(found.group(2)))
                ends[number] = now
        status = process.wait()
        wall = time.monotonic() - start
    return wall, status, {names.get(n, f"#{n}"): (starts[n], ends.get(n)) for n in starts}


def exported_run(tool, build, export, log):
    """(names of the suite entries, seconds of its tests) of the last ctest
    run, from its export; (None, None) when the export cannot be read."""
    _, status = bench.run_logged([tool, "report", "--build-dir", build, "--export", export],
                                 log)
    try:
        suites = json.loads(export.read_text())["suites"]
    except (OSError, ValueError, KeyError):
        print(f"no export (report exited {status}); see {log}", flush=True)
        return None, None
    names = {entry["name"] for suite in suites for entry in suite["entries"]}
    seconds = sum(test.get("duration") or 0 for suite in suites for test in suite["tests"])
    return names, seconds


def tail(times, names, suite):
    """(seconds between the first and the last shard to finish, shards, last
    shard) over the suite's shard entries that finished: the collection-errors
    and last-failed entries end early by design."""
    ends = {name: end for name, (_, end) in times.items() if end is not None
            and (name in names if names is not None else name.startswith(f"{suite}/"))
            and name.startswith(f"{suite}/shard-")}
    if not ends:
        return None, 0, "-"
    last = max(ends, key=ends.get)
    return ends[last] - min(ends.values()), len(ends), last


def table(runs, limit, jobs):
    """The runs against the limit, and against their own tests' time over
    `jobs` cores: a test whose time varies from run to run (sympy's
    test_slow_expand took 28 s in one run and 357 s in another) moves the
    limit of one run, not the distance of another run to its own tests."""
    lines = ["| run | wall s | limit s | wall / limit | own tests s / cores | wall / own "
             "| tail s | shards | last to finish | exit |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |"]
    for number, run in enumerate(runs, 1):
        spread = "-" if run["tail"] is None else f"{run['tail']:.2f}"
        own = run["test_seconds"] / jobs if run["test_seconds"] else None
        own_cells = "- | -" if own is None else f"{own:.2f} | {run['wall'] / own:.2f}"
        lines.append(f"| {number} | {run['wall']:.2f} | {limit:.2f} | "
                     f"{run['wall'] / limit:.2f} | {own_cells} | {spread} | {run['entries']} | "
                     f"`{run['last']}` | {run['exit']} |")
    best = min(run["wall"] for run in runs) / limit
    lines.append(f"\nbest wall / limit: {best:.2f}")
    return "\n".join(lines)


def measure(args, work, env):
    """Everything after the install: returns the lines to print."""
    prefix, build, rundir, configure, configure_wall = setup_project(args, work)
    tool = prefix / "bin" / "pytest-shards"
    ctest = [args.ctest, "--test-dir", build, "-j", str(args.jobs)]
    print(f"load average (1/5/15 min) at start: {bench.load_average()}", flush=True)
    print(f"configure (one collection): {configure_wall:.1f} s", flush=True)

    learn_wall, learn_status, _ = timed_ctest(ctest, work / "learn.log", env)
    print(f"learning run: {learn_wall:.1f} s (exit {learn_status})", flush=True)

    limit_argv, limit_wall, limit_status, test_seconds = limit_run(args, work, rundir, env)
    limit = test_seconds / args.jobs
    print(f"limit run: {limit_wall:.1f} s (exit {limit_status}); tests' time "
          f"{test_seconds:.2f} s / {args.jobs} = {limit:.2f} s", flush=True)

    runs = []
    for number in range(1, args.runs + 1):
        wall, status, times = timed_ctest(ctest, work / f"ctest-{number}.log", env)
        names, run_test_seconds = exported_run(tool, build, work / f"export-{number}.json",
                                               work / f"export-{number}.log")
        spread, entries, last = tail(times, names, args.name)
        runs.append({"wall": wall, "exit": status, "tail": spread, "entries": entries,
                     "last": last, "test_seconds": run_test_seconds})
        print(f"run {number}/{args.runs}: {wall:.2f} s (exit {status}), "
              f"load average {bench.load_average()}", flush=True)

    return ["",
            f"{args.runs} timed runs, -j {args.jobs}, {args.python}, pytest args: "
            f"{bench.shown(args.pytest_args)}; cwd of pytest: {rundir}",
            f"limit: {test_seconds:.2f} s of tests (JUnit times) / {args.jobs} cores "
            f"= {limit:.2f} s; pytest -n {args.jobs} itself took {limit_wall:.2f} s "
            f"({limit_wall / limit:.2f} x the limit)",
            "",
            table(runs, limit, args.jobs),
            "",
            "commands:",
            f"- configure: `{bench.shown(configure)}`",
            f"- learning run and timed runs: `{bench.shown(ctest)}`",
            f"- limit: `{bench.shown(limit_argv)}` (cwd {rundir})",
            f"- entries: `{bench.shown([tool, 'report', '--build-dir', build, '--export', 'F'])}`",
            f"load average (1/5/15 min) at the end: {bench.load_average()}"]


def main(argv):
    args = parse_args(argv)
    args.build_dir = args.build_dir.resolve()
    work = pathlib.Path(tempfile.mkdtemp(prefix="pytest-shards-balance-")).resolve()
    env = dict(os.environ)
    env.pop("PYTEST_SHARDS_SLICE", None)  # the whole suite in every run
    try:
        lines = measure(args, work, env)
    except BaseException:
        # Keep the logs the error messages point to.
        print(f"kept {work}", file=sys.stderr)
        raise
    print("\n".join(lines))
    if args.keep:
        print(f"project, logs and exports: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Benchmark: one pytest suite run serially, with `pytest -n N` (xdist) and with
`ctest -j N` through pytest-shards, side by side.

It installs the pytest-shards build tree into a temporary prefix, writes a
throwaway CMake project that calls pytest_shard_tests() on the suite (found
with find_package, the way a user's project does), configures it (that is the
one collection), runs ctest once to learn durations, then alternates the three
modes for ROUNDS rounds and prints the medians and ratios as a markdown table
with the exact commands. Run on demand, never in CI:

  /usr/bin/python3 tools/bench/bench.py --build-dir BUILD -j 2 --rounds 3 \
      -- --pyargs networkx

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
import tempfile
import time

MODES = ("serial", "xdist", "ctest")


def add_tool_args(parser):
    """The options every benchmark that installs the build tree takes."""
    parser.add_argument("--build-dir", required=True, type=pathlib.Path,
                        help="a pytest-shards build tree (cmake --install is run on it)")
    parser.add_argument("--python", default="/usr/bin/python3",
                        help="interpreter with pytest and pytest-xdist (default /usr/bin/python3)")
    parser.add_argument("--cmake", default=shutil.which("cmake") or "cmake")
    parser.add_argument("--ctest", default=shutil.which("ctest") or "ctest")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_tool_args(parser)
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="workers for pytest -n and ctest -j (default: all cores)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="comma-separated subset of serial,xdist,ctest")
    parser.add_argument("--work", type=pathlib.Path,
                        help="working directory, kept afterwards (default: a temporary one)")
    parser.add_argument("--shards", default="auto", help="SHARDS of pytest_shard_tests")
    parser.add_argument("--distribution", default="load",
                        help="DISTRIBUTION of pytest_shard_tests (default load)")
    parser.add_argument("--workdir", type=pathlib.Path,
                        help="cwd of every pytest run and WORKING_DIRECTORY of the suite "
                             "(default: an empty directory under --work)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the project's build tree of an earlier bench run in --work "
                             "(its collection cache and durations) instead of starting afresh")
    parser.add_argument("pytest_args", nargs="*", help="pytest arguments, after --")
    args = parser.parse_args(argv)
    args.modes = [m for m in args.modes.split(",") if m]
    unknown = set(args.modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes {sorted(unknown)}; use serial, xdist, ctest")
    if not args.pytest_args:
        parser.error("give the suite's pytest arguments after --, e.g. -- --pyargs networkx")
    return args


def cmake_quote(word):
    """A CMake bracket argument holding `word` unchanged."""
    eq = "="
    while f"]{eq}]" in word:
        eq += "="
    return f"[{eq}[{word}]{eq}]"


def run_logged(argv, log, cwd=None, env=None):
    """Runs argv with output to `log`; returns (wall seconds, exit status)."""
    with open(log, "w") as out:
        start = time.monotonic()
        status = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT).returncode
        return time.monotonic() - start, status


def install_into(args, work):
    """Installs pytest-shards under `work`; returns its prefix, and the
    throwaway project's source and build trees and the suite's cwd."""
    prefix = work / "prefix"
    subprocess.run([args.cmake, "--install", args.build_dir, "--prefix", prefix],
                   check=True, stdout=subprocess.DEVNULL)
    source, build = work / "project", work / "build"
    rundir = args.workdir.resolve() if args.workdir else work / "run"
    source.mkdir(parents=True, exist_ok=True)
    rundir.mkdir(parents=True, exist_ok=True)
    return prefix, source, build, rundir


def setup_project(args, work):
    """Installs pytest-shards and configures the throwaway consumer project."""
    prefix, source, build, rundir = install_into(args, work)
    if not args.reuse:
        shutil.rmtree(build, ignore_errors=True)
    pytest_args = " ".join(cmake_quote(a) for a in args.pytest_args)
    (source / "CMakeLists.txt").write_text(f"""\
cmake_minimum_required(VERSION 3.25...4.3)
project(pytest_shards_bench NONE)
enable_testing()
find_package(PytestShards 1.0 REQUIRED)
pytest_shard_tests(bench
  PYTHON {cmake_quote(args.python)}
  WORKING_DIRECTORY {cmake_quote(str(rundir))}
  ARGS {pytest_args}
  SHARDS {args.shards}
  DISTRIBUTION {args.distribution})
""")
    configure = [args.cmake, "-S", source, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}"]
    wall, status = run_logged(configure, work / "configure.log")
    if status != 0:
        sys.exit(f"configure failed ({status}); see {work / 'configure.log'}")
    return build, rundir, configure, wall


def commands(args, build):
    # -p no:cacheprovider: the plain runs write no .pytest_cache into the run
    # directory (the shards keep theirs private), so no mode sees another's.
    pytest = [args.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args.pytest_args]
    return {
        "serial": pytest,
        "xdist": pytest[:4] + ["-n", str(args.jobs)] + pytest[4:],
        "ctest": [args.ctest, "--test-dir", build, "-j", str(args.jobs)],
    }


def shown(argv):
    return " ".join(shlex.quote(str(a)) for a in argv)


def table(args, walls, statuses, argvs):
    lines = [f"| mode | command | median s | runs s | vs xdist | exit |",
             "| --- | --- | ---: | --- | ---: | --- |"]
    medians = {m: statistics.median(w) for m, w in walls.items() if w}
    for mode in args.modes:
        runs = ", ".join(f"{w:.1f}" for w in walls[mode])
        ratio = f"{medians[mode] / medians['xdist']:.2f}" if "xdist" in medians else "-"
        exits = ",".join(str(s) for s in statuses[mode])
        lines.append(f"| {mode} | `{shown(argvs[mode])}` | {medians[mode]:.1f} | {runs} | "
                     f"{ratio} | {exits} |")
    return "\n".join(lines)


def plan_summary(build):
    """The entries the last ctest run planned, with their estimated COST."""
    lines = []
    for plan_file in sorted(build.glob("pytest-shards/*/plan.json")):
        entries = json.loads(plan_file.read_text())["entries"]
        lines.append(f"{plan_file.parent.name}: {len(entries)} entries: " + ", ".join(
            f"{e['name']} ({len(e['node_ids'])} tests, COST {e['cost']:.1f})" for e in entries))
    return "\n".join(lines)


def load_average():
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv):
    args = parse_args(argv)
    work = args.work or pathlib.Path(tempfile.mkdtemp(prefix="pytest-shards-bench-"))
    work = work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    args.build_dir = args.build_dir.resolve()
    build, rundir, configure, configure_wall = setup_project(args, work)
    argvs = commands(args, build)
    env = dict(os.environ)
    env.pop("PYTEST_SHARDS_SLICE", None)  # the whole suite in every mode
    print(f"load average (1/5/15 min) at start: {load_average()}", flush=True)
    print(f"configure (one collection): {configure_wall:.1f} s: {shown(configure)}", flush=True)

    learn_wall, learn_status = run_logged(argvs["ctest"], work / "learn.log", env=env)
    print(f"learning run: {learn_wall:.1f} s (exit {learn_status}): {shown(argvs['ctest'])}",
          flush=True)

    walls = {m: [] for m in args.modes}
    statuses = {m: [] for m in args.modes}
    for round_ in range(args.rounds):
        # Rotate the order so no mode always runs first (page cache, thermals).
        order = args.modes[round_ % len(args.modes):] + args.modes[:round_ % len(args.modes)]
        for mode in order:
            log = work / f"{mode}-{round_}.log"
            wall, status = run_logged(argvs[mode], log, cwd=rundir, env=env)
            walls[mode].append(wall)
            statuses[mode].append(status)
            print(f"round {round_ + 1}/{args.rounds} {mode}: {wall:.1f} s (exit {status}), "
                  f"load average {load_average()}", flush=True)

    print()
    print(f"{args.rounds} rounds, -j {args.jobs}, {args.python}, "
          f"pytest args: {shown(args.pytest_args)}; cwd of pytest runs: {rundir}")
    print()
    print(table(args, walls, statuses, argvs))
    print()
    print(f"plan of the last ctest run: {plan_summary(build)}")
    print(f"load average (1/5/15 min) at the end: {load_average()}")
    print(f"logs: {work}")


if __name__ == "__main__":
    main(sys.argv[1:])

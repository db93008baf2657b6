"""pybind11's own test suite under pytest-shards: from a fresh tree, parity
with plain pytest, and wall time next to `pytest -n N`.

Given a pybind11 checkout (fetch it yourself, e.g. `git clone --branch v3.1.0
https://github.com/pybind/pybind11`), it

1. installs the pytest-shards build tree into WORK/prefix;
2. configures tools/bench/pybind11 (pybind11's CMake builds its test modules,
   PYBIND11_TEST; two suites, pybind11-shard and pybind11-test, GRANULARITY
   shard and test, default options otherwise, DEPENDS on the modules) into a
   fresh WORK/build, builds it (that collects) and runs `ctest -j N`;
3. compares every test's outcome with plain pytest in each granularity
   (tools/bench/parity.py; "N tests, M differences" per suite);
4. with --rounds R (default 3; 0 skips it), alternates `ctest -j N` of each
   suite with `pytest -n N` in the suite's working directory (the same test
   files, -p no:cacheprovider) and prints the medians and the ratios.

Needs a C++ compiler, Python's headers (Debian: python3-dev), pytest and
pytest-xdist for PYTHON; numpy/scipy are optional (tests skip without them).
Run on demand, never in CI:

  /usr/bin/python3 tools/bench/pybind11_check.py --build-dir BUILD \\
      --pybind11 /tmp/pybind11-src --work /tmp/pybind11-check -j 2

Exit 0 when ctest passed and no outcome differs, 1 otherwise.
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys

from bench import load_average, run_logged, shown

HERE = pathlib.Path(__file__).resolve().parent
SUITES = ("pybind11-shard", "pybind11-test")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True, type=pathlib.Path,
                        help="the pytest-shards build tree (installed into WORK/prefix)")
    parser.add_argument("--pybind11", required=True, type=pathlib.Path,
                        help="a pybind11 checkout, with its tests/")
    parser.add_argument("--work", required=True, type=pathlib.Path)
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--cmake", default=shutil.which("cmake") or "cmake")
    parser.add_argument("--ctest", default=shutil.which("ctest") or "ctest")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--override", metavar="TESTS",
                        help="pybind11's PYBIND11_TEST_OVERRIDE: build and run only these "
                             "tests (;-separated, e.g. 'test_class;test_gil_scoped')")
    parser.add_argument("--keep-build", action="store_true",
                        help="configure and build an existing WORK/build again, incrementally, "
                             "instead of a fresh tree (to resume after an interrupted build: "
                             "pybind11's test modules take long to compile)")
    parser.add_argument("--cmake-arg", action="append", default=[], metavar="ARG",
                        help="one more configure argument (repeatable), e.g. "
                             "-DCMAKE_BUILD_TYPE=Debug")
    return parser.parse_args(argv)


def step(work, name, argv, cwd=None):
    """Runs one logged step; stops the script when it fails."""
    wall, status = run_logged(argv, work / f"{name}.log", cwd=cwd)
    print(f"{name}: {wall:.1f} s, exit {status}: {shown(argv)}", flush=True)
    return status


def fresh_tree(args, work):
    """Install, configure a fresh build tree (or, with --keep-build, the one
    there), build; returns the build tree."""
    prefix, build = work / "prefix", work / "build"
    if not args.keep_build:
        shutil.rmtree(build, ignore_errors=True)
    if step(work, "install", [args.cmake, "--install", args.build_dir, "--prefix", prefix]):
        sys.exit("installing pytest-shards failed")
    configure = [args.cmake, "-G", "Ninja", "-S", HERE / "pybind11", "-B", build,
                 f"-DPYBIND11_SOURCE_DIR={args.pybind11.resolve()}",
                 f"-DPython_EXECUTABLE={args.python}", f"-DPYTHON_EXECUTABLE={args.python}",
                 f"-DCMAKE_PREFIX_PATH={prefix}", *args.cmake_arg]
    if args.override:
        configure.append(f"-DPYBIND11_TEST_OVERRIDE={args.override}")
    if step(work, "configure", configure):
        sys.exit(f"configure failed; see {work / 'configure.log'}")
    if step(work, "build", [args.cmake, "--build", build, "-j", str(args.jobs)]):
        sys.exit(f"the build failed; see {work / 'build.log'}")
    return build


def suite_settings(build, suite):
    return json.loads((build / "pytest-shards" / suite / "settings.json").read_text())


def parity(args, work, build):
    """parity.py per suite; returns the number of differences (or failures)."""
    differences = 0
    for suite in SUITES:
        argv = [args.python, HERE / "parity.py", "--build-dir", build, "--suite", suite,
                "--ctest", args.ctest, "-j", str(args.jobs)]
        status = step(work, f"parity-{suite}", argv)
        lines = (work / f"parity-{suite}.log").read_text().splitlines()
        print(f"  {lines[-1] if lines else '(no output)'}", flush=True)
        differences += status != 0
    return differences


def timings(args, work, build):
    """Alternates the suites' ctest with `pytest -n N`; prints medians and ratios."""
    settings = suite_settings(build, SUITES[0])
    xdist = [args.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(args.jobs),
             *settings["args"]]
    modes = {"pytest -n": (xdist, settings["workdir"])}
    for suite in SUITES:
        modes[suite] = ([args.ctest, "--test-dir", build, "-L", f"^{suite}$",
                         "-j", str(args.jobs)], None)
    walls = {mode: [] for mode in modes}
    print(f"load average (1/5/15 min) before timing: {load_average()}", flush=True)
    for round_ in range(args.rounds):
        for mode, (argv, cwd) in modes.items():
            wall, status = run_logged(argv, work / f"time-{mode.replace(' ', '')}.log", cwd=cwd)
            walls[mode].append(wall)
            print(f"round {round_ + 1}/{args.rounds} {mode}: {wall:.1f} s (exit {status})",
                  flush=True)
    reference = statistics.median(walls["pytest -n"])
    for mode, (argv, cwd) in modes.items():
        median = statistics.median(walls[mode])
        print(f"{mode}: median {median:.1f} s, {median / reference:.2f}x pytest -n "
              f"{args.jobs}: {shown(argv)}" + (f"  (in {cwd})" if cwd else ""))
    print(f"load average (1/5/15 min) after timing: {load_average()}")


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    if not (args.pybind11 / "tests" / "conftest.py").is_file():
        sys.exit(f"{args.pybind11} is not a pybind11 checkout with its tests/")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    args.build_dir = args.build_dir.resolve()
    build = fresh_tree(args, work)
    failed = step(work, "ctest", [args.ctest, "--test-dir", build, "-j", str(args.jobs)]) != 0
    failed |= parity(args, work, build) != 0
    if args.rounds > 0:
        timings(args, work, build)
    print(f"logs: {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

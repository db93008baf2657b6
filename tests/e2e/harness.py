"""What the end-to-end checks (tests/e2e/<name>_check.py) share: their command
line, asserting, running a command, installing pytest-shards into a prefix
and configuring a consumer project against it, what plain pytest collects,
the evidence the suites write, what pytest-shards keeps in a build tree, and
CMake's error messages.

tests/e2e/CMakeLists.txt runs each check once per CMake version as

  <name>_check.py --cmake CMAKE --ctest CTEST --build-dir PYTEST_SHARDS_BUILD
                  --work DIR --python PYTHON

(configure_check.py, which runs no tests, takes only --cmake, --build-dir and
--work). A check prints `ok: ...` for each assertion that
holds and ends at the first that does not, with `FAILED: ...` and exit 1.
"""
import argparse
import collections
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests"))
import own_plugins  # noqa: E402

# Variables of the shell or of the outer ctest that would reach the projects
# under test and change what they do: an active virtualenv, pytest options,
# ctest's default -j, the cap `ctest --preset test` sets for its own include
# files, a stand-in for the machine's cores. A check that wants one sets it.
# PYTEST_ADDOPTS then blocks the plugins that the project's dependencies do
# not install (tests/own_plugins.py): the suites run as they do in CI.
OUTER_ENVIRONMENT = ("VIRTUAL_ENV", "PYTHONHOME", "PYTEST_ADDOPTS", "CTEST_PARALLEL_LEVEL",
                     "PYTEST_SHARDS_PRESET_JOBS", "PYTEST_SHARDS_CORES")


# ---- The command line -----------------------------------------------------------


def arguments(doc, runs_tests=True):
    """The options every check takes; a check adds its own to the parser.
    Without runs_tests (a check that runs no tests) there is no --ctest and
    no --python."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cmake", required=True, help="the cmake under test")
    if runs_tests:
        parser.add_argument("--ctest", required=True, help="the ctest of that cmake")
        parser.add_argument("--python", required=True, help="the Python (with pytest) to use")
    parser.add_argument("--build-dir", required=True, type=pathlib.Path,
                        help="pytest-shards' own build tree, which is installed from")
    parser.add_argument("--work", required=True, type=lambda p: pathlib.Path(p).resolve(),
                        help="the check's own directory, emptied first")
    return parser


def start(parser):
    """Parses the command line, empties --work, leaves the outer
    environment (OUTER_ENVIRONMENT) behind and the user's pytest plugins
    out; returns the arguments."""
    args = parser.parse_args()
    for name in OUTER_ENVIRONMENT:
        os.environ.pop(name, None)
    if own_plugins.blocking_addopts():
        os.environ["PYTEST_ADDOPTS"] = own_plugins.blocking_addopts()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    return args


# ---- Asserting and running ------------------------------------------------------


def check(condition, message, detail=""):
    """Prints `ok: <message>`, or ends the check with `FAILED: <message>` and
    the detail (the output that shows why)."""
    if not condition:
        sys.exit(f"FAILED: {message}\n{detail}")
    print(f"ok: {message}", flush=True)


def run(*argv, check=True, capture=True, env=None, cwd=None):
    """Runs a command, shown as `+ <argv>`. With capture its output is kept
    (as text) in the result's stdout and stderr, else it goes to the check's
    own output. With check a non-zero exit ends the check, showing the end of
    the output."""
    argv = [str(a) for a in argv]
    print("+", " ".join(argv), flush=True)
    result = subprocess.run(argv, capture_output=capture, text=True, env=env, cwd=cwd)
    if check and result.returncode != 0:
        output = (f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}" if capture
                  else "(its output is above)")
        sys.exit(f"FAILED: {' '.join(argv)} exited {result.returncode}\n{output}")
    return result


# ---- Installing and configuring -------------------------------------------------


def install(args, prefix=None):
    """`cmake --install` of pytest-shards' build tree into prefix (by default
    <work>/prefix); returns the prefix."""
    prefix = prefix or args.work / "prefix"
    run(args.cmake, "--install", args.build_dir, "--prefix", prefix)
    return prefix


def installed_tool(prefix):
    """The pytest-shards executable of an installed prefix."""
    return prefix / "bin" / "pytest-shards"


def configure(args, source, build, prefix, *options, **how):
    """Configures a consumer project that finds pytest-shards in prefix and
    runs the check's Python; `how` as for run()."""
    return run(args.cmake, "-S", source, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}",
               f"-DPython3_EXECUTABLE={args.python}", *options, **how)


def listed_tests(ctest, build, *selection, env=None):
    """The tests of `ctest --show-only=json-v1` (as IDEs list them)."""
    out = run(ctest, "--test-dir", build, "--show-only=json-v1", *selection, env=env).stdout
    return json.loads(out)["tests"]


# ---- What the suites say --------------------------------------------------------


def collected_node_ids(python, directory, *pytest_args, check=True):
    """The node IDs plain pytest collects in directory, in its order:
    independent of pytest-shards, what a run is checked against."""
    out = run(python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
              *pytest_args, cwd=directory, check=check).stdout
    return [line for line in out.splitlines() if "::" in line]


def read_evidence(directory, pattern="*.jsonl"):
    """The JSON records of the directory's files that match pattern, file by
    file in name order: what the suites' fixtures wrote about each test (or a
    run's journals)."""
    records = []
    for path in sorted(pathlib.Path(directory).glob(pattern)):
        records += [json.loads(line) for line in path.read_text().splitlines()]
    return records


def check_once(seen, expected, message):
    """Asserts that seen (the node IDs of evidence records, of a plan) holds
    each expected node ID exactly once and nothing else; the detail names the
    missing, the repeated and the unexpected ones."""
    counts = collections.Counter(seen)
    check(sorted(counts) == sorted(expected) and set(counts.values()) == {1}, message,
          f"missing {sorted(set(expected) - set(counts))[:5]}, "
          f"more than once {sorted(n for n, c in counts.items() if c > 1)[:5]}, "
          f"unexpected {sorted(set(counts) - set(expected))[:5]}")


def overlapped(a, b):
    """Whether two evidence records' [start, end) times overlap."""
    return a["start"] < b["end"] and b["start"] < a["end"]


# ---- What pytest-shards keeps in a build tree -----------------------------------
# Each ctest start plans a new run in <build>/pytest-shards/<suite>/runs/<run id>/
# (plan.json, tests.cmake, journal/<entry index>.jsonl).


def run_dirs(suite_dir):
    """The suite's run directories, oldest first."""
    runs = suite_dir / "runs"
    if not runs.is_dir():
        return []
    found = [d for d in runs.iterdir() if re.fullmatch(r"\d+-\d+", d.name)]
    return sorted(found, key=lambda d: tuple(int(part) for part in d.name.split("-")))


def newest_run(suite_dir):
    """The run directory of the latest ctest start."""
    runs = run_dirs(suite_dir)
    assert runs, f"no run in {suite_dir}: ctest has not started"
    return runs[-1]


# ---- CMake's output -------------------------------------------------------------


def cmake_error_lines(output):
    """The paragraphs of the first CMake error and of what follows it up to
    `-- Configuring incomplete`, each joined into one line (CMake wraps long
    messages at 80 columns: a message of ours that is one line comes back as
    one paragraph). A second error after the first one's call stack is a
    second paragraph, so a check for one line sees it."""
    if "CMake Error at" not in output:
        return []
    body = output.split("CMake Error at", 1)[1].split("\n", 1)[1]
    paragraphs = []
    for block in body.split("\n\n"):
        block = block.split("Call Stack (most recent call first):", 1)[0]
        text = " ".join(line.strip() for line in block.splitlines() if line.strip())
        if not text or text.startswith("-- Configuring incomplete"):
            break
        paragraphs.append(text)
    return paragraphs

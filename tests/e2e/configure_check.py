"""End-to-end checks of configure time, against the installed package:

- a `python3` on PATH without pytest: configure finds one that has it and
  says which it tried; an explicit PYTHON without pytest fails in one line;
- the collection cache: a re-configure with nothing changed runs no pytest,
  a changed test file does;
- bad input to pytest_shard_tests() fails configure with one clear line.

usage: configure_check.py --cmake CMAKE --build-dir PYTEST_SHARDS_BUILD --work DIR
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap


def check(condition, message, output=""):
    if not condition:
        sys.exit(f"FAILED: {message}\n{output}")
    print(f"ok: {message}")


class Project:
    """A throwaway consumer project with a two-test suite."""

    def __init__(self, root, cmake, prefix):
        self.root, self.cmake, self.prefix = root, cmake, prefix
        (root / "suite").mkdir(parents=True)
        (root / "suite" / "test_a.py").write_text("def test_one():\n    pass\n")
        (root / "suite" / "test_b.py").write_text("def test_two():\n    pass\n")

    def configure(self, call, env=None):
        (self.root / "CMakeLists.txt").write_text(textwrap.dedent(f"""\
            cmake_minimum_required(VERSION 3.25)
            project(p NONE)
            enable_testing()
            find_package(PytestShards REQUIRED)
            {call}
            """))
        result = subprocess.run(
            [self.cmake, "-S", self.root, "-B", self.root / "build",
             f"-DCMAKE_PREFIX_PATH={self.prefix}"],
            capture_output=True, text=True, env=env)
        return result.returncode, result.stdout + result.stderr


def python_without_pytest(work):
    """A venv of the system Python without its site-packages: no pytest."""
    venv = work / "nopytest"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", venv], check=True)
    return venv / "bin"


def error_lines(output):
    """The paragraphs of a CMake error message, each joined into one line.

    CMake wraps long messages at 80 columns; a message of ours that is one
    line comes back as one paragraph."""
    if "CMake Error at" not in output:
        return []
    body = output.split("CMake Error at", 1)[1].split("\n", 1)[1]
    paragraphs = []
    body = body.split("Call Stack (most recent call first)", 1)[0]
    for block in body.split("\n\n"):
        text = " ".join(line.strip() for line in block.splitlines() if line.strip())
        if not text or text.startswith(("Call Stack", "-- Configuring incomplete")):
            break
        paragraphs.append(text)
    return paragraphs


def main():
    parser = argparse.ArgumentParser()
    for option in ("--cmake", "--build-dir", "--work"):
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    work = pathlib.Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    prefix = work / "prefix"
    subprocess.run([args.cmake, "--install", args.build_dir, "--prefix", prefix], check=True,
                   capture_output=True)

    # Interpreter discovery with a python3 first on PATH that lacks pytest.
    bad_bin = python_without_pytest(work)
    env = dict(os.environ, PATH=f"{bad_bin}:{os.environ['PATH']}")
    env.pop("VIRTUAL_ENV", None)
    project = Project(work / "discover", args.cmake, prefix)
    code, out = project.configure("pytest_shard_tests(s WORKING_DIRECTORY suite)", env)
    check(code == 0, "configure succeeds when python3 on PATH lacks pytest", out)
    check(f"{bad_bin}/python3 cannot import pytest; using" in out,
          "configure says which interpreter lacked pytest and which it used", out)
    code, out = project.configure(
        f"pytest_shard_tests(s WORKING_DIRECTORY suite PYTHON {bad_bin}/python3)", env)
    lines = error_lines(out)
    check(code != 0 and len(lines) == 1 and f"PYTHON {bad_bin}/python3 cannot import pytest"
          in lines[0] and "PYTHON <exe>" in lines[0],
          "an explicit PYTHON without pytest fails in one line naming it and the fix", out)

    # The collection cache.
    project = Project(work / "cache", args.cmake, prefix)
    call = "pytest_shard_tests(s WORKING_DIRECTORY suite)"
    code, out = project.configure(call)
    check(code == 0 and "collected 2 tests" in out, "first configure collects", out)
    code, out = project.configure(call)
    check(code == 0 and "reused the collection of 2 tests (no pytest run)" in out,
          "re-configure with nothing changed runs no pytest", out)
    (project.root / "suite" / "test_b.py").write_text(
        "def test_two():\n    pass\n\ndef test_three():\n    pass\n")
    code, out = project.configure(call)
    check(code == 0 and "collected 3 tests" in out, "a changed test file is collected again", out)
    (project.root / "suite" / "test_c.py").write_text("def test_four():\n    pass\n")
    code, out = project.configure(call)
    check(code == 0 and "collected 4 tests" in out, "a new test file is collected", out)

    # ctest --preset test: every pytest entry, and every test passed to
    # pytest_shards_share_cores(), asks for cap / cores processors.
    project = Project(work / "cores", args.cmake, prefix)
    code, out = project.configure(
        "pytest_shard_tests(s WORKING_DIRECTORY suite SHARDS 2)\n"
        "add_test(NAME other COMMAND true)\n"
        "add_test(NAME alone COMMAND true)\n"
        "pytest_shards_share_cores(TESTS other)")
    check(code == 0, "configure with pytest_shards_share_cores", out)
    ctest = pathlib.Path(args.cmake).with_name("ctest")
    for jobs, expected in (("4096", 4096 // os.cpu_count()), (None, None)):
        env = dict(os.environ)
        env.pop("PYTEST_SHARDS_PRESET_JOBS", None)
        if jobs:
            env["PYTEST_SHARDS_PRESET_JOBS"] = jobs
        listing = json.loads(subprocess.run(
            [ctest, "--test-dir", project.root / "build", "--show-only=json-v1"],
            env=env, check=True, capture_output=True, text=True).stdout)
        processors = {t["name"]: {p["name"]: p["value"] for p in t.get("properties", [])}
                      .get("PROCESSORS") for t in listing["tests"]}
        want = {"s/shard-00": expected, "s/shard-01": expected, "other": expected,
                "alone": None}
        check(processors == want,
              f"PYTEST_SHARDS_PRESET_JOBS={jobs}: PROCESSORS {processors} (want {want})")

    # Bad input: one line naming the problem and the fix.
    project = Project(work / "bad", args.cmake, prefix)
    cases = {
        "SHARDS zero": ("SHARDS 0", "SHARDS '0' is not valid; use auto or a positive"),
        "unknown GRANULARITY": ("GRANULARITY module", "GRANULARITY 'module' is not valid; use"),
        "unknown DISTRIBUTION": ("DISTRIBUTION each", "DISTRIBUTION 'each' is not valid; use"),
        "unknown argument": ("SHRADS 2", "unknown argument 'SHRADS'"),
        "missing WORKING_DIRECTORY": ("WORKING_DIRECTORY nowhere", "does not exist; pass"),
        "pytest rejects ARGS": ("ARGS --no-such-option", "pytest rejected the arguments"),
    }
    for name, (words, expected) in cases.items():
        wd = "" if "WORKING_DIRECTORY" in words else "WORKING_DIRECTORY suite"
        code, out = project.configure(f"pytest_shard_tests(s {wd} {words})")
        lines = error_lines(out)
        check(code != 0 and len(lines) == 1 and expected in lines[0],
              f"{name}: configure fails with one line: {lines[:1]}", out)
    print("configure end-to-end: all checks passed")


if __name__ == "__main__":
    main()

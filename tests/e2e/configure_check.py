"""End-to-end checks of configure time, against the installed package:

- a `python3` on PATH without pytest: configure finds one that has it and
  says which it tried; an explicit PYTHON without pytest fails in one line;
  the interpreter a project found (Python_EXECUTABLE, PYTHON_EXECUTABLE, the
  Python::Interpreter target) comes before PATH;
- a suite in a directory that `ctest --test-dir <build>` does not reach (no
  enable_testing() on the way from the top) is a configure warning;
- the collection cache: a re-configure with nothing changed runs no pytest,
  a changed test file does;
- the parallel preset's cap (listing and resource spec file, see check_cores);
- bad input to pytest_shard_tests() fails configure with one clear line.

It runs no tests, so it takes only --cmake, --build-dir and --work (see
harness.py); its listings use the ctest beside --cmake.
"""
import json
import os
import pathlib
import textwrap

from harness import arguments, check, cmake_error_lines, install, run, start


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
        result = run(self.cmake, "-S", self.root, "-B", self.root / "build",
                     f"-DCMAKE_PREFIX_PATH={self.prefix}", check=False, env=env)
        return result.returncode, result.stdout + result.stderr


def python_with_pytest(work):
    """A venv of the system Python with its site-packages: pytest, at a path
    of its own."""
    venv = work / "withpytest"
    run("/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip", venv)
    return venv / "bin" / "python3"


def check_found_interpreters(work, cmake, prefix, env):
    """The interpreter a project found, by variable or imported target, is
    used before python3 on PATH (which lacks pytest in env)."""
    good = python_with_pytest(work)
    found = {
        "Python_EXECUTABLE": f"set(Python_EXECUTABLE {good})",
        "PYTHON_EXECUTABLE": f"set(PYTHON_EXECUTABLE {good})",
        "Python::Interpreter": "add_executable(Python::Interpreter IMPORTED)\n"
                               "set_target_properties(Python::Interpreter PROPERTIES "
                               f"IMPORTED_LOCATION {good})",
    }
    for name, setup in found.items():
        project = Project(work / f"found-{name.replace(':', '')}", cmake, prefix)
        code, out = project.configure(f"{setup}\npytest_shard_tests(s WORKING_DIRECTORY suite)", env)
        check(code == 0 and f"s: Python {good} (pytest" in out and "cannot import pytest" not in out,
              f"{name} is used before python3 on PATH", out)


def check_unreachable_suite(work, cmake, prefix):
    """A suite whose directory ctest --test-dir <build> does not reach is a
    configure warning naming the directory and the fix; a reachable one is
    not."""
    cases = {
        "no enable_testing() at the top": ("add_subdirectory(sub)", "enable_testing()\n", "."),
        "enable_testing() after add_subdirectory()": (
            "add_subdirectory(sub)\nenable_testing()", "", "sub"),
        "enable_testing() at the top": ("enable_testing()\nadd_subdirectory(sub)", "", None),
    }
    for name, (top, sub, unreached) in cases.items():
        root = work / ("unreached-" + name.replace(" ", "-").replace("(", "").replace(")", ""))
        (root / "sub" / "suite").mkdir(parents=True)
        (root / "sub" / "suite" / "test_a.py").write_text("def test_one():\n    pass\n")
        (root / "CMakeLists.txt").write_text(
            f"cmake_minimum_required(VERSION 3.25)\nproject(p NONE)\n"
            f"find_package(PytestShards REQUIRED)\n{top}\n")
        (root / "sub" / "CMakeLists.txt").write_text(
            f"{sub}pytest_shard_tests(s WORKING_DIRECTORY suite)\n")
        done = run(cmake, "-S", root, "-B", root / "build", f"-DCMAKE_PREFIX_PATH={prefix}",
                   check=False)
        out = " ".join((done.stdout + done.stderr).split())
        if unreached is None:
            check(done.returncode == 0 and "will find none of its tests" not in out,
                  f"{name}: no warning", out)
        else:
            where = (root / unreached).resolve() if unreached != "." else root.resolve()
            check(done.returncode == 0 and "CMake Warning" in out and
                  f"pytest_shard_tests(s): `ctest --test-dir {root / 'build'}` will find none of "
                  f"its tests: testing is not enabled in {where}; call enable_testing()" in out,
                  f"{name}: configure warns, naming {where}", out)


def python_without_pytest(work):
    """A venv of the system Python without its site-packages: no pytest."""
    venv = work / "nopytest"
    run("/usr/bin/python3", "-m", "venv", "--without-pip", venv)
    return venv / "bin"


# Tests beside a suite that lives in a subdirectory: a top-level test, a
# directory CMake reads before the suite's, and a hand-written include file
# (add_test() without set_tests_properties(), a call naming two tests).
OTHER_TESTS = r"""
add_test(NAME [[semi;colon]] COMMAND sh -c "exit 0" x "a;b" "" "]=]" "x]==]" "\${HOME}"
  "back\\slash" "new
line" "
lead" "a]=")
set_tests_properties([[semi;colon]] PROPERTIES LABELS "l1;l2" PROCESSORS 3)
add_test(NAME gpu COMMAND true)
set_tests_properties(gpu PROPERTIES RESOURCE_GROUPS "gpus:1")
add_test(NAME own COMMAND true)
set_tests_properties(own PROPERTIES RESOURCE_GROUPS "cores:2,gpus:1")
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${CMAKE_CURRENT_SOURCE_DIR}/hand.cmake")
"""
HAND_WRITTEN = """add_test(hand1 true)
add_test(hand2 true)
add_test(hand3 true)
set_tests_properties(hand2 hand3 PROPERTIES LABELS hand)
"""


def groups(test):
    """RESOURCE_GROUPS of a listed test as [[(type, slots), ...], ...]."""
    for prop in test.get("properties", []):
        if prop["name"] == "RESOURCE_GROUPS":
            return [[(r[".type"], r["slots"]) for r in g["requirements"]] for g in prop["value"]]
    return []


def check_cores(work, cmake, prefix):
    """The parallel preset's cap (PYTEST_SHARDS_PRESET_JOBS): every test of the
    build tree asks for RESOURCE_GROUPS cores:<PROCESSORS, at most the cores>,
    exactly once, and nothing else of it changes; the resource spec file holds
    the cores and the memory budget. Without the variable nothing changes."""
    project = Project(work / "cores", cmake, prefix)
    for sub in ("early", "py"):
        (project.root / sub).mkdir()
    (project.root / "early" / "CMakeLists.txt").write_text(OTHER_TESTS)
    (project.root / "early" / "hand.cmake").write_text(HAND_WRITTEN)
    (project.root / "py" / "CMakeLists.txt").write_text(
        "pytest_shard_tests(s WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/suite SHARDS 2 "
        "MEMORY_BUDGET 1000)\n")
    code, out = project.configure(
        "add_test(NAME top COMMAND true)\n"
        "add_subdirectory(early)\n"
        "add_subdirectory(py)\n"
        "pytest_shards_share_cores(TESTS top)")
    check(code == 0, "configure: a suite in a subdirectory, other tests beside it, and "
                     "pytest_shards_share_cores() (kept, changes nothing)", out)
    ctest = pathlib.Path(cmake).with_name("ctest")
    spec = project.root / "build" / "pytest-shards" / "resource-spec.json"

    def listing(**extra):
        """The listing and the spec file under extra variables, and what ctest
        said on stderr. (harness.start() removed the preset's variables.)"""
        result = run(ctest, "--test-dir", project.root / "build", "--show-only=json-v1",
                     env=dict(os.environ, **extra))
        tests = json.loads(result.stdout)["tests"]
        return {t["name"]: t for t in tests}, json.loads(spec.read_text()), result.stderr

    plain, plain_spec, _ = listing()
    capped, capped_spec, _ = listing(PYTEST_SHARDS_PRESET_JOBS="4096", PYTEST_SHARDS_CORES="2")
    memory = [("memory", 256)]  # never measured: 256 MiB
    want_plain = {"top": [], "semi;colon": [], "gpu": [[("gpus", 1)]],
                  "own": [[("cores", 2), ("gpus", 1)]], "hand1": [], "hand2": [], "hand3": [],
                  "s/shard-00": [memory], "s/shard-01": [memory]}
    want_capped = {"top": [[("cores", 1)]], "semi;colon": [[("cores", 2)]],
                   "gpu": [[("gpus", 1)], [("cores", 1)]], "own": [[("cores", 2), ("gpus", 1)]],
                   "hand1": [[("cores", 1)]], "hand2": [[("cores", 1)]],
                   "hand3": [[("cores", 1)]],
                   "s/shard-00": [[("cores", 1)] + memory], "s/shard-01": [[("cores", 1)] + memory]}
    got_plain = {name: groups(t) for name, t in plain.items()}
    got_capped = {name: groups(t) for name, t in capped.items()}
    check(got_plain == want_plain, f"no preset: RESOURCE_GROUPS as the project set them "
                                   f"{got_plain}")
    check(got_capped == want_capped,
          f"PYTEST_SHARDS_PRESET_JOBS (cores 2): each test asks for one cores group, "
          f"cores:<PROCESSORS> at most the cores, the pytest entries cores:1 with their memory, "
          f"tests that name cores keep theirs {got_capped}")

    def without_groups(test):
        return {**test, "properties": [p for p in test.get("properties", [])
                                       if p["name"] != "RESOURCE_GROUPS"]}
    # (The pytest entries name each ctest's own run, so they differ anyway.)
    same = all(without_groups(plain[n]) == without_groups(capped[n]) for n in plain
               if not n.startswith("s/"))
    check(same and plain["semi;colon"]["command"][-10:] ==
          ["x", "a;b", "", "]=]", "x]==]", "${HOME}", "back\\slash", "new\nline", "\nlead", "a]="],
          "the wrapped add_test()/set_tests_properties() pass every argument on exactly: "
          "names, commands (';', empty, ']=]', '${HOME}', newlines) and the other properties "
          "(PROCESSORS stays 3) are the same with and without the preset",
          json.dumps(plain["semi;colon"]) + "\n" + json.dumps(capped["semi;colon"]))
    check(plain_spec["local"] == [{"memory": [{"id": "0", "slots": 1000}]}] and
          capped_spec["local"] == [{"cores": [{"id": "0", "slots": 2}],
                                    "memory": [{"id": "0", "slots": 1000}]}],
          f"one resource spec file: memory (MEMORY_BUDGET 1000) {plain_spec['local']}; under "
          f"the preset also the cores {capped_spec['local']}")
    _, detected_spec, err = listing(PYTEST_SHARDS_PRESET_JOBS="4096", PYTEST_SHARDS_CORES="x")
    check("PYTEST_SHARDS_CORES='x' is not a positive whole number" in err and
          detected_spec["local"][0]["cores"][0]["slots"] == os.cpu_count(),
          f"a malformed PYTEST_SHARDS_CORES is reported and the detected {os.cpu_count()} "
          f"cores are used", err)


def main():
    args = start(arguments(__doc__, runs_tests=False))
    work = args.work
    prefix = install(args)

    # Interpreter discovery with a python3 first on PATH that lacks pytest.
    bad_bin = python_without_pytest(work)
    env = dict(os.environ, PATH=f"{bad_bin}:{os.environ['PATH']}")
    project = Project(work / "discover", args.cmake, prefix)
    code, out = project.configure("pytest_shard_tests(s WORKING_DIRECTORY suite)", env)
    check(code == 0, "configure succeeds when python3 on PATH lacks pytest", out)
    check(f"{bad_bin}/python3 cannot import pytest; using" in out,
          "configure says which interpreter lacked pytest and which it used", out)
    code, out = project.configure(
        f"pytest_shard_tests(s WORKING_DIRECTORY suite PYTHON {bad_bin}/python3)", env)
    lines = cmake_error_lines(out)
    check(code != 0 and len(lines) == 1 and f"PYTHON {bad_bin}/python3 cannot import pytest"
          in lines[0] and "PYTHON <exe>" in lines[0],
          "an explicit PYTHON without pytest fails in one line naming it and the fix", out)

    check_found_interpreters(work, args.cmake, prefix, env)
    check_unreachable_suite(work, args.cmake, prefix)

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

    check_cores(work, args.cmake, prefix)

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
        lines = cmake_error_lines(out)
        check(code != 0 and len(lines) == 1 and expected in lines[0],
              f"{name}: configure fails with one line: {lines[:1]}", out)
    print("configure end-to-end: all checks passed")


if __name__ == "__main__":
    main()

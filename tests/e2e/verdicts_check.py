"""End-to-end: same verdicts as pytest. Installs pytest-shards, configures the
consumer project tests/e2e/verdicts (its suite three times, GRANULARITY
shard, file and test) and runs tools/bench/parity.py on it, then proves

1. every test's outcome under pytest-shards equals plain pytest's, test by
   test, keyed by module path and node ID, in each configuration; the suite
   really exercises what this is about: twins with colliding node IDs and
   different verdicts, tests that rely on other modules' and a sibling
   conftest's import-time side effects, module-level skips, a module that
   does not import, ordinary failing/xfail tests; plain pytest under xdist
   (`--reference xdist`, whose two workers may run the twins at once) gives
   the same outcomes; with each entry importing only its own modules
   (`IMPORTS own`) exactly the tests that rely on other modules' imports
   differ, so the suite does exercise them;
2. from the tests' own evidence (keyed by __file__): every test that plain
   pytest runs ran exactly once under ctest, each twin included;
3. `pytest-shards report --junit` holds every test once, the colliding twins
   under distinguishable names, the module-level skips as skipped cases.

With --demo DIR it instead configures the project's demo suite (tests/demo)
in a build tree of its own and requires parity.py to find 0 differences:
pytest-shards' own build tree may run the demo's entries meanwhile, and a
ctest inside a ctest of the same tree would plan, prune and report over
that run.
"""
import collections
import json
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

from harness import (HERE, REPO, arguments, check, configure, install, installed_tool,
                     read_evidence, run, start)

PARITY = REPO / "tools" / "bench" / "parity.py"
sys.path.insert(0, str(PARITY.parent))
import parity  # noqa: E402
GRANULARITIES = ("shard", "file", "test")
RELY_ON_IMPORTS = ("checks/test_uses_registry.py::test_registry_has_the_other_module",
                   "checks/test_uses_registry.py::test_registered_once",
                   "checks/test_uses_conftest.py::test_sibling_conftest_was_imported")
# What plain pytest says about the tests this check is about, by
# (module file relative to tests/e2e/verdicts, node ID).
EXPECTED = {
    ("suite/checks/test_uses_registry.py",
     "checks/test_uses_registry.py::test_registry_has_the_other_module"): "passed",
    ("suite/checks/test_uses_registry.py",
     "checks/test_uses_registry.py::test_registered_once"): "passed",
    ("suite/checks/test_uses_conftest.py",
     "checks/test_uses_conftest.py::test_sibling_conftest_was_imported"): "passed",
    ("pkgs/twins/a/tests/test_table.py", "tests/test_table.py::test_lookup"): "passed",
    ("pkgs/twins/b/tests/test_table.py", "tests/test_table.py::test_lookup"): "failed",
    ("pkgs/twins/a/tests/test_table.py", "tests/test_table.py::test_same_in_both"): "passed",
    ("pkgs/twins/b/tests/test_table.py", "tests/test_table.py::test_same_in_both"): "passed",
    ("suite/checks/test_importorskip.py", "checks/test_importorskip.py"): "skipped",
    ("suite/checks/test_module_skip.py", "checks/test_module_skip.py"): "skipped",
    ("suite/checks/test_broken.py", "checks/test_broken.py"): "error",
    ("suite/checks/test_basic.py", "checks/test_basic.py::test_fails"): "failed",
    ("suite/checks/test_basic.py", "checks/test_basic.py::test_xfails"): "xfailed",
    ("suite/checks/test_basic.py", "checks/test_basic.py::test_xpasses"): "xpassed",
    ("suite/checks/test_basic.py", "checks/test_basic.py::test_setup_error"): "error",
}


def parity_cli(args, build, *suites, extra=()):
    """Runs parity.py on the suites; returns (exit status, output)."""
    argv = [args.python, PARITY, "--build-dir", build, "--ctest", args.ctest, "-j", "2", *extra]
    for suite in suites:
        argv += ["--suite", suite]
    done = run(*argv, check=False)
    print(done.stdout + done.stderr, flush=True)
    return done.returncode, done.stdout + done.stderr


def same(output):
    """parity.py's last line says "N tests, 0 differences"."""
    return re.fullmatch(r"[1-9][0-9]* tests, 0 differences", output.splitlines()[-1]) is not None


def check_expected(suite, reference):
    """Plain pytest gives the verdicts the suite is built around."""
    found = {}
    for result in reference:
        try:
            file = pathlib.Path(result["path"]).relative_to(HERE / "verdicts").as_posix()
        except ValueError:
            file = result["path"]
        found[(file, result["nodeid"])] = result["outcome"]
    wrong = {k: (want, found.get(k)) for k, want in EXPECTED.items() if found.get(k) != want}
    check(not wrong, f"{suite}: plain pytest gives the expected verdicts: twins differ, "
                     "side effects of other modules and a sibling conftest hold, module-level "
                     f"skips, a collection error (wrong: {wrong})")


def check_evidence(suite, directory):
    records = read_evidence(directory)
    plain = collections.Counter((r["file"], r["name"]) for r in records if r["shard"] is None)
    shards = collections.Counter((r["file"], r["name"]) for r in records if r["shard"] is not None)
    twins = [k for k in plain if "/twins/" in k[0] and k[1] == "test_lookup"]
    check(set(plain.values()) == {1} and len(twins) == 2,
          f"{suite}: plain pytest ran {len(plain)} tests once each, both twins' test_lookup")
    check(shards == plain,
          f"{suite}: under ctest every one of them ran exactly once, keyed by __file__ "
          f"(missing: {sorted(set(plain) - set(shards))[:4]}, "
          f"more than once: {[k for k, n in shards.items() if n > 1][:4]}, "
          f"not under plain pytest: {sorted(set(shards) - set(plain))[:4]})")


def check_junit(suite, tool, suite_dir, export, path):
    done = run(tool, "report", "--suite-dir", suite_dir, "--junit", path, check=False)
    check(path.exists(), f"{suite}: report --junit wrote {path}", done.stdout + done.stderr)
    cases = collections.Counter()
    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        name = (case.get("classname"), case.get("name"))
        cases[name] += 1
        child = next(iter(case), None)
        outcomes[name] = None if child is None else child.tag
    tests = export["tests"]
    check(len(cases) == len(tests) and set(cases.values()) == {1},
          f"{suite}: the JUnit file holds each of the {len(tests)} tests once "
          f"({sum(cases.values())} test cases, {len(cases)} distinct names; "
          f"twice: {[n for n, c in cases.items() if c > 1][:4]})")
    lookups = {n: o for n, o in outcomes.items() if n[1] == "test_lookup"}
    check(len(lookups) == 2 and sorted(map(str, lookups.values())) == ["None", "failure"],
          f"{suite}: the twins' test_lookup are two test cases, one passed, one failed: {lookups}")
    skipped = [n for n, o in outcomes.items()
               if o == "skipped" and any("test_importorskip" in p or "test_module_skip" in p
                                         for p in n)]
    check(len(skipped) == 2, f"{suite}: the module-level skips are skipped test cases: {skipped}")


def check_verdicts(args, build, tool):
    status, output = parity_cli(args, build, *(f"verdicts-{g}" for g in GRANULARITIES))
    check(status == 0 and same(output),
          "parity.py: every outcome under GRANULARITY shard, file and test equals plain "
          "pytest's")
    for granularity in GRANULARITIES:
        suite = f"verdicts-{granularity}"
        suite_dir = build / "pytest-shards" / suite
        reference = parity.read_journal(suite_dir / "parity" / "pytest-journal.jsonl")
        check_expected(suite, reference)
        check_evidence(suite, build / "evidence" / granularity)
        export = json.loads((suite_dir / "parity" / "export.json").read_text())["suites"][0]
        check_junit(suite, tool, suite_dir, export, args.work / f"{suite}.junit.xml")

    # Plain pytest under xdist records the same outcomes: its controller
    # journals, and keeps the reports of the colliding twins apart.
    status, output = parity_cli(args, build, "verdicts-shard", extra=("--reference", "xdist"))
    check(status == 0 and same(output),
          "parity.py --reference xdist: the same outcomes as pytest -n 2")

    # The opt-out (each entry imports only its own modules) breaks exactly
    # the tests that rely on other modules' imports: the suite exercises them.
    status, output = parity_cli(args, build, "verdicts-own")
    differing = sorted(line.split(": ")[1] for line in output.splitlines()
                       if line.startswith("differs: ") and line.endswith(
                           ": pytest passed, pytest-shards failed"))
    check(status == 1 and differing == sorted(RELY_ON_IMPORTS),
          "with IMPORTS own parity.py finds exactly the tests that rely on other "
          f"modules' and a sibling conftest's imports: {differing}")


def check_demo(args, build):
    status, output = parity_cli(args, build, "demo")
    check(status == 0 and same(output),
          "parity.py: every outcome of the demo suite under ctest equals plain pytest's")


def main():
    parser = arguments(__doc__)
    parser.add_argument("--demo", help="the demo suite's directory (tests/demo)")
    args = start(parser)
    build = args.work / "build"
    prefix = install(args)
    demo = [f"-DVERDICTS_DEMO={args.demo}"] if args.demo else []
    done = configure(args, HERE / "verdicts", build, prefix, *demo, check=False)
    check(done.returncode == 0, "the verdicts project configured", done.stdout + done.stderr)
    if args.demo:
        check_demo(args, build)
    else:
        check_verdicts(args, build, installed_tool(prefix))
    print("verdicts end-to-end: all checks passed")


if __name__ == "__main__":
    main()

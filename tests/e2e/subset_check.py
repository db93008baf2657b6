"""End-to-end: runs of part of a suite are reported as such. Installs
pytest-shards, configures the consumer project tests/e2e/subset (a copy: the
check edits its tests) and proves that `pytest-shards report` after

1. `ctest --rerun-failed`, once the failed test is fixed, exits 0, names the
   selection and lists the other entries as not selected: it reads the
   LastTestsFailed.log that ctest read, at ctest start, before ctest writes
   it again;
2. `ctest -L last-failed`, once the failed test is fixed, the same;
3. `ctest -R` of one per-test entry (GRANULARITY test, as an IDE runs the
   test clicked), the same;
4. `ctest --rerun-failed` of a sharded suite reruns the failed test: CTest
   reruns by number, and a fresh plan would move the failed test into an
   entry of its own at the front, shifting every number; the plan of the
   run that wrote CTest's log is kept instead, so the number names the
   entry that failed, and the report names it as the selection.
"""
import json
import pathlib
import re
import shutil
import xml.etree.ElementTree as ET

from harness import HERE, arguments, check, configure, install, installed_tool, run, start


class Project:
    """The copied subset project, its build tree and the installed tool."""

    def __init__(self, args):
        self.args, self.ctest_exe = args, args.ctest
        self.prefix = install(args)
        self.src = args.work / "src"
        self.build = args.work / "build"
        self.junit = args.work / "ctest-junit.xml"
        self.tool = installed_tool(self.prefix)
        shutil.copytree(HERE / "subset", self.src, ignore=shutil.ignore_patterns("__pycache__"))
        configure(args, self.src, self.build, self.prefix)

    def fail(self, test_file, failing):
        """Makes the test file's failing test fail (or pass again)."""
        path = self.src / "suite" / test_file
        text = path.read_text()
        path.write_text(re.sub(r"^FAIL = \w+$", f"FAIL = {failing}", text, flags=re.M))

    def ctest(self, *selection):
        """Runs ctest; returns (exit code, names of the entries it ran, output)."""
        if self.junit.exists():
            self.junit.unlink()
        result = run(self.ctest_exe, "--test-dir", self.build, "-j", "2", "--output-junit",
                     self.junit, *selection, check=False)
        ran = []
        if self.junit.exists():
            ran = sorted(case.get("name") for case in ET.parse(self.junit).getroot().iter("testcase")
                         if case.get("status") != "notrun")
        return result.returncode, ran, result.stdout + result.stderr

    def report(self, suite):
        """`pytest-shards report` of the suite's last run: (exit code, summary,
        {entry: its summary row})."""
        result = run(self.tool, "report", "--suite-dir", self.build / "pytest-shards" / suite,
                     check=False)
        rows = {line.split()[0]: line for line in result.stdout.splitlines()
                if line.startswith(suite + "/")}
        return result.returncode, result.stdout + result.stderr, rows


def check_subset_report(p, suite, selection, ran, count):
    """The report of a subset run that passed: exit 0, the selection named,
    every entry that did not run not selected."""
    code, summary, rows = p.report(suite)
    others = [name for name in rows if name not in ran]
    check(code == 0 and summary.rstrip().endswith("OK")
          and f"selection: ctest {selection} ({len(ran)} of {count} entries)\n" in summary
          and others and all(rows[name].endswith("  not selected") for name in others)
          and "did not run" not in summary and "never ran" not in summary,
          f"report {suite} after ctest {selection}: exits 0, names the selection, the other "
          f"{len(others)} entries not selected", summary)


def check_rerun_failed(p):
    p.fail("pertest/test_x.py", True)
    code, ran, out = p.ctest()
    log = p.build / "Testing" / "Temporary" / "LastTestsFailed.log"
    failed = "pertest/pertest/test_x.py::test_two"
    check(code != 0 and log.is_file() and log.read_text().strip().endswith(":" + failed),
          f"ctest: {failed} fails, and CTest's LastTestsFailed.log names it", out)
    p.fail("pertest/test_x.py", False)
    code, ran, out = p.ctest("--rerun-failed")
    check(code == 0 and ran == [failed], f"ctest --rerun-failed reruns {failed} alone ({ran})",
          out)
    check_subset_report(p, "pertest", "--rerun-failed", [failed], 3)
    # Nothing of sub ran: as after a ctest that only plans, its report is
    # that of its last run that ran.
    code, summary, rows = p.report("sub")
    check(code == 0 and "selection:" not in summary and len(rows) == 2,
          "report sub after ctest --rerun-failed, which ran none of its entries: its last run "
          "that ran, OK", summary)


def check_last_failed(p):
    p.fail("sub/test_b.py", True)
    code, ran, out = p.ctest("-L", "^sub$")
    check(code != 0, "ctest -L ^sub$: sub/test_b.py::test_b1 fails", out)
    p.fail("sub/test_b.py", False)
    code, ran, out = p.ctest("-L", "last-failed")
    check(code == 0 and ran == ["sub/last-failed-00"],
          f"ctest -L last-failed runs the failed test's entry alone ({ran})", out)
    check_subset_report(p, "sub", "-L last-failed", ran, 3)


def check_one_test(p):
    name = "pertest/pertest/test_x.py::test_one"
    pattern = "^" + re.escape(name) + "$"
    code, ran, out = p.ctest("-R", pattern)
    check(code == 0 and ran == [name], f"ctest -R {pattern} runs that entry alone ({ran})", out)
    check_subset_report(p, "pertest", f"-R {pattern}", ran, 3)


def check_rerun_failed_shards(p):
    p.fail("sub/test_b.py", True)
    code, ran, out = p.ctest()
    log = p.build / "Testing" / "Temporary" / "LastTestsFailed.log"
    failed = [line.split(":", 1)[1] for line in log.read_text().split()]
    check(code != 0 and len(failed) == 1 and failed[0].startswith("sub/"),
          f"ctest: sub/test_b.py::test_b1 fails, in entry {failed}", out)
    p.fail("sub/test_b.py", False)
    code, ran, out = p.ctest("--rerun-failed")
    # CTest reruns by number: the plan of the run that wrote the log is kept,
    # so that number is still the entry that failed, holding the failed test.
    check(code == 0 and ran == failed, f"ctest --rerun-failed reruns {failed} ({ran})", out)
    check_subset_report(p, "sub", "--rerun-failed", ran, 2)  # the kept plan's 2 shards
    export = p.args.work / "rerun-export.json"
    run(p.tool, "report", "--suite-dir", p.build / "pytest-shards" / "sub", "--export", export)
    tests = {t["id"]: t for suite in json.loads(export.read_text())["suites"]
             for t in suite["tests"]}
    b1 = [t for id_, t in tests.items() if id_.endswith("test_b.py::test_b1")]
    check(len(b1) == 1 and b1[0]["outcome"] == "passed" and b1[0]["entry"] == failed[0],
          f"the rerun ran sub/test_b.py::test_b1 again, in {failed[0]}, and it passed", b1)


def main():
    args = start(arguments(__doc__))
    p = Project(args)
    check_rerun_failed(p)
    check_last_failed(p)
    check_one_test(p)
    check_rerun_failed_shards(p)


if __name__ == "__main__":
    main()

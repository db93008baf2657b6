"""End-to-end: per-test entries fork their pytest from a warm interpreter.
Installs pytest-shards, configures tests/e2e/warm (GRANULARITY test) and
proves, from the suite's own evidence, CTest's results and `pytest-shards
report`, that

1. the tests ran in children forked from one warm interpreter per ctest run
   (the process that imported the conftest is not the one that ran the
   test), a child ran several entries one after another, each collectable
   test started exactly once, serial tests of one lock never overlapped, and
   entries that ran at the same time never shared a child, a TMPDIR or a
   port range;
2. a segfault, an os._exit and a hang (TEST_TIMEOUT 5), each in its own
   entry, fail only that entry; its output, the report and the merged JUnit
   name them, and every other test passes;
3. after `ctest -j 2` no warm interpreter or child of it is left;
4. two ctests at once on one build tree get a server each;
5. after `kill -9` of ctest mid-run, the warm interpreter, its children and
   the entries' runners are gone;
6. PYTEST_SHARDS_WARM=0 and WARM OFF run pytest cold;
7. a shard entry starts pytest cold, and after a crash the rest of it
   forks from the warm interpreter (cold again with PYTEST_SHARDS_WARM=0);
8. WARM_REUSE OFF forks a child per entry, also for entries that run one
   after another, and PYTEST_SHARDS_WARM_REUSE=1 overrides it;
9. a suite as pybind11's (filterwarnings = error, a session fixture that
   makes a once-per-process setting, a module that bound sys.stderr.write
   at import) passes warm, with its session fixture set up once per worker
   and torn down when the worker ends, under reuse and WARM_REUSE off;
10. when its warm interpreter cannot start (a thread started at import), the
   entries pass cold, `pytest-shards report` lists them and why, and the
   next ctest's normal output says so.

usage: warm_check.py --cmake CMAKE --ctest CTEST --build-dir PYTEST_SHARDS_BUILD
                     --work DIR --python PYTHON
"""
import itertools
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import harness
from harness import HERE, check, read_evidence

CULPRITS = {
    "warm/test_crash.py::test_segv": ("crashed", "crashed: signal 11 while running"),
    "warm/test_crash.py::test_exit": ("crashed", "crashed: exit status 3 while running"),
    "warm/test_crash.py::test_hang": ("timeout", "ran longer than 5 s; killed"),
}


class Project:
    def __init__(self, args):
        self.ctest_exe, self.python = args.ctest, args.python
        self.work = args.work
        self.src = self.work / "src"
        self.build = self.work / "build"
        shutil.copytree(HERE / "warm", self.src, ignore=shutil.ignore_patterns("__pycache__"))
        self.prefix = harness.install(args)
        self.tool = harness.installed_tool(self.prefix)
        harness.configure(args, self.src, self.build, self.prefix)

    def evidence(self, name):
        return self.build / "evidence" / name

    def ctest_argv(self, *selection, junit=None, jobs=2):
        argv = [self.ctest_exe, "--test-dir", self.build, "-j", str(jobs)]
        if junit:
            argv += ["--output-junit", junit]
        return argv + list(selection)

    def ctest(self, *selection, env=None, jobs=2):
        """Runs ctest; returns (exit code, {entry: (status, output)}, output)."""
        junit = self.work / "ctest-junit.xml"
        if junit.exists():
            junit.unlink()
        result = subprocess.run(self.ctest_argv(*selection, junit=junit, jobs=jobs),
                                capture_output=True, text=True, env=env)
        entries = {}
        if junit.exists():
            for case in ET.parse(junit).getroot().iter("testcase"):
                entries[case.get("name")] = (case.get("status"), case.findtext("system-out") or "")
        return result.returncode, entries, result.stdout + result.stderr

    def collected(self, path):
        return sorted(harness.collected_node_ids(self.python, self.src / "suite", path))

    def leftovers(self):
        """Processes of this build tree still running: warm interpreters and
        their children (which are forks of it, with its command line), and
        the entries' runners."""
        found = []
        for proc in pathlib.Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            text = " ".join(part.decode(errors="replace") for part in cmdline)
            if state != "Z" and str(self.build) in text and (
                    "pytest_shards_plugin.warm" in text or " run --plan " in text):
                found.append(f"{proc.name}: {text}")
        return found

    def no_leftovers(self, seconds=10):
        """Waits (bounded) for the build tree's processes to end."""
        deadline = time.monotonic() + seconds
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.leftovers()


def intervals(records):
    """{(run, nodeid): (start record, end time or None)}."""
    spans = {}
    for r in records:
        key = (r["run"], r["nodeid"])
        if r["event"] == "start":
            spans[key] = (r, None)
        elif key in spans:
            spans[key] = (spans[key][0], r["time"])
    return spans


def overlap(a, b):
    return a[0]["time"] < (b[1] or float("inf")) and b[0]["time"] < (a[1] or float("inf"))


# ---- 1. and 2.: the warm suite ------------------------------------------------


def check_warm_suite(p):
    expected = p.collected("warm")
    check(len(expected) == 32 and set(CULPRITS) <= set(expected),
          f"plain pytest collects {len(expected)} tests of the warm suite, culprits included")
    code, entries, out = p.ctest("-L", "^warm$")
    check(code != 0, "ctest on the warm suite fails", out)
    check(sorted(entries) == sorted(f"warm/{node_id}" for node_id in expected),
          f"one CTest entry per test ({len(entries)})", out)
    failed = sorted(name for name, (status, _) in entries.items() if status != "run")
    check(failed == sorted(f"warm/{c}" for c in CULPRITS),
          f"exactly the culprits' entries fail: {failed}", out)
    for culprit, (_, text) in CULPRITS.items():
        output = entries[f"warm/{culprit}"][1]
        check(text in output and culprit in output,
              f"warm/{culprit}'s output names it: '{text} ...'", output)
    check(not p.no_leftovers(), "after ctest -j 2 no warm interpreter, child or runner is left",
          "\n".join(p.leftovers()))

    records = read_evidence(p.evidence("warm"))
    harness.check_once([r["nodeid"] for r in records if r["event"] == "start"], expected,
                       f"suite evidence: each of the {len(expected)} tests started exactly once")
    importers = {r["imported_by"] for r in records}
    check(len(importers) == 1 and all(r["pid"] != r["imported_by"] for r in records),
          f"suite evidence: every test ran in a child forked from one warm interpreter "
          f"(importers {sorted(importers)})")
    children = {r["pid"] for r in records if r["event"] == "start"}
    check(len(children) < len(expected),
          f"suite evidence: children ran several entries ({len(children)} children for "
          f"{len(expected)} entries)")

    spans = intervals(records)
    serial = [s for (_, node_id), s in spans.items() if "test_serial" in node_id]
    check(len(serial) == 4 and not any(overlap(a, b) for a, b in itertools.combinations(serial, 2)),
          "suite evidence: the serial('db') tests never overlapped")
    shared = []
    concurrent = 0
    # The culprits left no end record: their end is unknown.
    ended = [span for span in spans.values() if span[1] is not None]
    for a, b in itertools.combinations(ended, 2):
        if not overlap(a, b):
            continue
        concurrent += 1
        ra, rb = a[0], b[0]
        ports_a = set(range(ra["port_base"], ra["port_base"] + ra["port_count"]))
        ports_b = set(range(rb["port_base"], rb["port_base"] + rb["port_count"]))
        if ra["pid"] == rb["pid"] or ra["tmpdir"] == rb["tmpdir"] or ports_a & ports_b:
            shared.append((ra["nodeid"], rb["nodeid"]))
    check(concurrent > 0 and not shared,
          f"suite evidence: {concurrent} pairs of tests ran at once, none shared a child, a "
          f"TMPDIR or a port range {shared[:3]}")

    junit = p.work / "warm-report.xml"
    result = subprocess.run([p.tool, "report", "--suite-dir", p.build / "pytest-shards" / "warm",
                             "--junit", junit], capture_output=True, text=True)
    check(result.returncode != 0, "report on the warm suite exits non-zero",
          result.stdout + result.stderr)
    totals = next((line for line in result.stdout.splitlines() if " passed, " in line), "")
    check(totals == "29 passed, 0 failed, 2 crashed, 1 timeout",
          f"report: 29 passed, 2 crashed, 1 timeout ({totals})", result.stdout)
    cases = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        child = next(iter(case), None)
        cases[(case.get("classname"), case.get("name"))] = (
            child is not None and child.tag, child is not None and child.get("message") or "")
    for culprit, (_, text) in CULPRITS.items():
        module, name = culprit.split("::")
        tag, message = cases.get((module[:-3].replace("/", "."), name), (None, ""))
        check(tag in ("error", "failure") and text in message,
              f"JUnit: {culprit} is a {tag}: '{text} ...'")
    check(sum(1 for tag, _ in cases.values() if not tag) == 29, "JUnit: every other test passed")


# ---- 3. to 6.: lifetime --------------------------------------------------------


def check_two_ctests(p):
    shutil.rmtree(p.evidence("slow"), ignore_errors=True)
    runs = []
    for tag in ("one", "two"):
        env = dict(os.environ, RUN_TAG=tag)
        runs.append(subprocess.Popen(p.ctest_argv("-L", "^slow$"), env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    check(all(run.returncode == 0 for run in runs), "two ctests at once on one build tree pass",
          "\n".join(outputs))
    records = read_evidence(p.evidence("slow"))
    importers = {tag: {r["imported_by"] for r in records if r["run"] == tag} for tag in ("one", "two")}
    check(all(len(i) == 1 for i in importers.values()) and importers["one"] != importers["two"],
          f"each ctest had a warm interpreter of its own ({importers})")
    check(not p.no_leftovers(), "after both, nothing is left", "\n".join(p.leftovers()))


def check_kill(p):
    shutil.rmtree(p.evidence("slow"), ignore_errors=True)
    ctest = subprocess.Popen(p.ctest_argv("-L", "^slow$"), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = [r for r in read_evidence(p.evidence("slow")) if r["event"] == "start"]
        if len(started) >= 3:
            break
        time.sleep(0.05)
    check(len(started) >= 3 and p.leftovers(), "ctest on the slow suite runs warm children")
    ctest.send_signal(signal.SIGKILL)
    ctest.wait()
    left = p.no_leftovers()
    check(not left, "after kill -9 of ctest, no warm interpreter, child or runner is left",
          "\n".join(left))
    ended = {r["nodeid"] for r in read_evidence(p.evidence("slow")) if r["event"] == "end"}
    check(len(ended) < 8, f"the kill came mid-run ({len(ended)} of 8 tests had ended)")


def check_cold(p):
    shutil.rmtree(p.evidence("warm"), ignore_errors=True)
    env = dict(os.environ, PYTEST_SHARDS_WARM="0")
    code, entries, out = p.ctest("-R", r"test_plain\.py::test_plain\[[01]\]$", env=env)
    check(code == 0 and len(entries) == 2, "PYTEST_SHARDS_WARM=0: two entries pass", out)
    records = read_evidence(p.evidence("warm"))
    check(records and all(r["pid"] == r["imported_by"] for r in records),
          "PYTEST_SHARDS_WARM=0: each test ran in the interpreter that imported it (cold)")


def check_warm_off(p):
    code, entries, out = p.ctest("-L", "^cold$")
    check(code == 0 and len(entries) == 2, "WARM OFF: its two entries pass", out)
    records = read_evidence(p.evidence("cold"))
    check(records and all(r["pid"] == r["imported_by"] for r in records),
          "WARM OFF: each test ran in the interpreter that imported it (cold)")


def check_restart(p):
    after = ["restart/test_restart.py::test_restart[2]", "restart/test_restart.py::test_restart[3]"]
    for env, forked in ((None, True), (dict(os.environ, PYTEST_SHARDS_WARM="0"), False)):
        how = "by default" if forked else "with PYTEST_SHARDS_WARM=0"
        shutil.rmtree(p.evidence("restart"), ignore_errors=True)
        # Without last run's failure, which would get an entry of its own.
        suite_dir = p.build / "pytest-shards" / "restart"
        (suite_dir / "durations.json").unlink(missing_ok=True)
        shutil.rmtree(suite_dir / "runs", ignore_errors=True)
        code, entries, out = p.ctest("-L", "^restart$", env=env)
        status, output = entries.get("restart/shard-00", ("", ""))
        check(code != 0 and status == "fail" and "crashed: signal 11 while running "
              "restart/test_restart.py::test_restart[1]" in output,
              f"restart {how}: the segfault fails the shard entry, named", out + output)
        ran = {r["nodeid"]: r for r in read_evidence(p.evidence("restart")) if r["event"] == "end"}
        check(sorted(ran) == sorted(["restart/test_restart.py::test_restart[0]"] + after),
              f"restart {how}: the tests before and after the crash ran", sorted(ran))
        first = ran.get("restart/test_restart.py::test_restart[0]", {})
        check(first.get("pid") == first.get("imported_by"),
              f"restart {how}: the first run started cold", first)
        rest = [ran.get(n, {}) for n in after]
        check(all((r.get("pid") != r.get("imported_by")) == forked for r in rest),
              f"restart {how}: the rest " + ("forked from the warm interpreter" if forked
                                              else "started cold"), rest)
    check(not p.no_leftovers(), "restart: no warm interpreter is left", "\n".join(p.leftovers()))


def check_fresh(p):
    for env, reused in ((None, False), (dict(os.environ, PYTEST_SHARDS_WARM_REUSE="1"), True)):
        how = "with PYTEST_SHARDS_WARM_REUSE=1" if reused else "WARM_REUSE OFF"
        shutil.rmtree(p.evidence("fresh"), ignore_errors=True)
        code, entries, out = p.ctest("-L", "^fresh$", env=env, jobs=1)
        check(code == 0 and len(entries) == 2, f"{how}: its two entries pass", out)
        records = [r for r in read_evidence(p.evidence("fresh")) if r["event"] == "start"]
        pids = {r["pid"] for r in records}
        # A worker takes entries in collection order only, and short entries
        # get COSTs that make ctest start them so (test_cold[0] first).
        ran = [r["nodeid"] for r in sorted(records, key=lambda r: r["time"])]
        check(len(records) == 2 and all(r["pid"] != r["imported_by"] for r in records)
              and ran == sorted(ran) and len(pids) == (1 if reused else 2),
              f"{how}: both forked, in collection order, " +
              ("by one child" if reused else "each by a child of its own"), records)


def check_scopes(p):
    for env, how in ((None, "reused"), (dict(os.environ, PYTEST_SHARDS_WARM_REUSE="0"),
                                        "PYTEST_SHARDS_WARM_REUSE=0")):
        shutil.rmtree(p.evidence("scopes"), ignore_errors=True)
        code, entries, out = p.ctest("-L", "^scopes$", env=env)
        check(code == 0 and len(entries) == 12,
              f"scopes {how}: the 12 entries of a suite as pybind11's pass", out)
        check(not p.no_leftovers(), f"scopes {how}: nothing is left", "\n".join(p.leftovers()))
        records = read_evidence(p.evidence("scopes"))
        setups = [r["pid"] for r in records if r["event"] == "setup"]
        teardowns = [r["pid"] for r in records if r["event"] == "teardown"]
        check(setups and all(r["pid"] != r["imported_by"] for r in records),
              f"scopes {how}: the tests ran warm, in forked workers", records)
        check(len(setups) == len(set(setups)) and sorted(setups) == sorted(teardowns),
              f"scopes {how}: the session fixture was set up once per worker and torn down "
              f"when it ended ({len(setups)} workers)", records)
        if how == "reused":
            check(len(setups) < 12, f"scopes {how}: workers ran several entries", records)


def check_cold_fallback(p):
    env = dict(os.environ, SCOPES_THREAD="1")
    code, entries, out = p.ctest("-L", "^scopes$", env=env)
    check(code == 0 and len(entries) == 12, "scopes with a thread started at import pass cold", out)
    report = subprocess.run([p.tool, "report", "--suite-dir", p.build / "pytest-shards" / "scopes"],
                            capture_output=True, text=True).stdout
    check("entries that started pytest cold: warm interpreter unavailable: threads started at "
          "import time (poller)" in report and " (12):\n" in report,
          "report: the 12 entries started pytest cold, and why", report)
    code, entries, out = p.ctest("-L", "^scopes$")
    check(code == 0 and "warning: the warm interpreter of the last run did not start (warm "
          "interpreter unavailable: threads started at import time (poller)" in out,
          "the next ctest's normal output says that the last run's entries started cold", out)
    check("started pytest cold" not in subprocess.run(
        [p.tool, "report", "--suite-dir", p.build / "pytest-shards" / "scopes"],
        capture_output=True, text=True).stdout, "report: none started cold in that run")


def main():
    args = harness.start(harness.arguments(__doc__))
    os.environ.pop("PYTEST_SHARDS_WARM", None)
    if not hasattr(os, "fork"):
        print("warm end-to-end: skipped, no os.fork")
        sys.exit(77)
    p = Project(args)
    check_warm_suite(p)
    check_two_ctests(p)
    check_kill(p)
    check_cold(p)
    check_warm_off(p)
    check_restart(p)
    check_fresh(p)
    check_scopes(p)
    check_cold_fallback(p)
    print("warm end-to-end: all checks passed")


if __name__ == "__main__":
    main()

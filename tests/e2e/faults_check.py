"""End-to-end: nothing is lost. Installs pytest-shards, configures the
consumer project tests/e2e/faults (a copy, since some checks edit its
tests) and proves, from the suite's own evidence, CTest's results and
`pytest-shards report`, that

1. tests that segfault, call os._exit, are SIGKILLed (as by the OOM
   killer) or hang (in Python and in C) are reported with their node IDs
   as crashed / timeout, the ordinary tests after them still run and pass,
   every collectable test starts exactly once, and a module that fails to
   import is a failing `<name>/collection-errors` entry showing pytest's
   error; a segfault outside any test fails its entry;
2. after kill -9 of a running shard, or ctest --timeout, `report` keeps the
   tests completed before it, names the test that was running and shows
   the entry as not finished; when the entry's TIMEOUT stops a hang, the
   output names the test that was running;
3. a stale plan is never trusted silently: CONFIGURE mode fails
   `<name>/stale-collection` in one line that says to re-run cmake, and a
   removed node ID fails its entry; PRE_TEST mode picks the change up
   (a test added to a file, a new file, a renamed test, a new directory);
4. `report` flags node IDs that never ran or ran twice, with a non-zero exit;
   after a subset run (`-R`) it exits 0, names the selection and lists the
   other entries as not selected;
5. bad input (corrupt or missing plan, corrupt collection or journal, an
   interpreter that does not exist) fails in one line naming the problem
   and the fix, and leaves no half-written file.
"""
import collections
import json
import os
import pathlib
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

from harness import (HERE, arguments, check, check_once, cmake_error_lines, collected_node_ids,
                     configure, install, installed_tool, newest_run, read_evidence, run, run_dirs,
                     start)


def lines_of(text):
    return [line for line in text.splitlines() if line.strip()]


class Project:
    """The copied faults project, its build tree and the installed tool."""

    def __init__(self, args):
        self.args, self.ctest_exe, self.python = args, args.ctest, args.python
        self.work = work = args.work
        self.prefix = install(args)
        self.src = work / "src"
        self.suite = self.src / "suite"
        self.build = work / "build"
        self.tool = installed_tool(self.prefix)
        shutil.copytree(HERE / "faults", self.src, ignore=shutil.ignore_patterns("__pycache__"))

    def configure(self, *extra, build=None):
        return configure(self.args, self.src, build or self.build, self.prefix, *extra,
                         check=False)

    def suite_dir(self, name):
        return self.build / "pytest-shards" / name

    def evidence(self, name):
        return self.build / "evidence" / name

    def ctest(self, *selection):
        """Runs ctest; returns (exit code, {entry: (status, output)}, output)."""
        junit = self.work / "ctest-junit.xml"
        if junit.exists():
            junit.unlink()
        result = run(self.ctest_exe, "--test-dir", self.build, "-j", "2", "--output-junit", junit,
                     *selection, check=False)
        entries = {}
        if junit.exists():
            for case in ET.parse(junit).getroot().iter("testcase"):
                entries[case.get("name")] = (case.get("status"), case.findtext("system-out") or "")
        return result.returncode, entries, result.stdout + result.stderr

    def report(self, name, junit=None):
        argv = [self.tool, "report", "--suite-dir", self.suite_dir(name)]
        if junit:
            argv += ["--junit", junit]
        return run(*argv, check=False)

    def collected(self, path):
        """What plain pytest collects from `path`, sorted."""
        return sorted(collected_node_ids(self.python, self.suite,
                                         "--continue-on-collection-errors", path, check=False))

    def run_entry(self, plan_file):
        """`pytest-shards run` of the plan's first entry."""
        return run(self.tool, "run", "--plan", plan_file, "--entry", "0", check=False)


def junit_results(path):
    """{(classname, name): (outcome element or None, its type, its message)}."""
    results = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        child = next(iter(case), None)
        results[(case.get("classname"), case.get("name"))] = (
            None if child is None else child.tag,
            None if child is None else child.get("type"),
            None if child is None else child.get("message"))
    return results


def junit_key(node_id):
    module, name = node_id.split("::", 1)
    return module[:-3].replace("/", "."), name


def tmp_files(directory):
    return sorted(str(p) for p in pathlib.Path(directory).rglob("*.tmp.*"))


# ---- 1. crashes, hangs and a collection error --------------------------------


CULPRITS = {
    "faults/test_crash.py::test_segv": ("crashed", "crashed: signal 11 while running"),
    "faults/test_crash.py::test_exit": ("crashed", "crashed: exit status 3 while running"),
    "faults/test_crash.py::test_oom_kill": ("crashed", "crashed: signal 9 while running"),
    "faults/test_hang.py::test_hang_in_sleep": ("timeout", "ran longer than 3 s; killed"),
    "faults/test_hang.py::test_hang_in_c": ("timeout", "ran longer than 3 s; killed"),
}
# The ordinary test run right after each culprit, in the same file.
AFTER = {
    "faults/test_crash.py::test_segv": "faults/test_crash.py::test_after_segv",
    "faults/test_crash.py::test_exit": "faults/test_crash.py::test_after_exit",
    "faults/test_crash.py::test_oom_kill": "faults/test_crash.py::test_after_oom_kill",
    "faults/test_hang.py::test_hang_in_sleep": "faults/test_hang.py::test_between_hangs",
    "faults/test_hang.py::test_hang_in_c": "faults/test_hang.py::test_after_hang",
}


def check_faults(p):
    expected = p.collected("faults")
    check(len(expected) == 21 and set(CULPRITS) <= set(expected),
          f"plain pytest collects {len(expected)} tests of the fault suite, culprits included")
    code, entries, out = p.ctest("-L", "^faults$")
    check(code != 0, "ctest on the fault suite fails", out)
    check(sorted(entries) == ["faults/collection-errors", "faults/shard-00", "faults/shard-01",
                              "faults/shard-02"]
          and all(status in ("run", "fail") for status, _ in entries.values()),
          f"every entry ran: {sorted((n, s) for n, (s, _) in entries.items())}", out)
    status, output = entries["faults/collection-errors"]
    check(status == "fail" and "ModuleNotFoundError: No module named "
          "'pytest_shards_no_such_module'" in output and "faults/test_broken_import.py" in output,
          "faults/collection-errors fails and its output is pytest's import error", output)

    records = read_evidence(p.evidence("faults"))
    check_once((r["nodeid"] for r in records if r["event"] == "start"), expected,
               f"suite evidence: each of the {len(expected)} collectable tests started exactly "
               f"once")
    calls = {r["nodeid"]: r for r in records if r["event"] == "call"}
    check(not set(CULPRITS) & set(calls),
          "suite evidence: no culprit finished its call (they died or were killed in it)")
    for culprit, after in AFTER.items():
        start = next(r for r in records if r["event"] == "start" and r["nodeid"] == culprit)
        ran = calls.get(after)
        check(ran is not None and ran["outcome"] == "passed" and ran["shard"] == start["shard"]
              and ran["pid"] != start["pid"],
              f"suite evidence: {after} passed after {culprit}, in a restarted pytest "
              f"(pid {start['pid']} -> {ran and ran['pid']}) of the same shard")

    for culprit, (outcome, text) in CULPRITS.items():
        entry = next(name for name, (_, output) in entries.items() if culprit in output)
        check(f"{text}" in entries[entry][1] and culprit in entries[entry][1],
              f"{entry}'s output names {culprit}: '{text} ...'")

    junit = p.work / "faults-report.xml"
    result = p.report("faults", junit)
    check(result.returncode != 0, "report on the fault suite exits non-zero",
          result.stdout + result.stderr)
    summary = result.stdout
    totals = next((line for line in summary.splitlines() if " passed, " in line), "")
    check(totals == "16 passed, 0 failed, 1 error, 3 crashed, 2 timeout",
          f"report totals: {totals}", summary)
    for culprit, (outcome, text) in CULPRITS.items():
        line = next((line for line in summary.splitlines()
                     if line.strip().startswith(culprit + "  ")), "")
        check(text in line, f"report lists the culprit: {line.strip()}", summary)
    check("faults/test_broken_import.py  ModuleNotFoundError: No module named "
          "'pytest_shards_no_such_module'" in summary,
          "report lists the module that failed to collect with pytest's error", summary)
    results = junit_results(junit)
    for culprit, (outcome, text) in CULPRITS.items():
        element, kind, message = results.get(junit_key(culprit), (None, None, None))
        check(element == "failure" and kind == outcome and culprit in message,
              f"JUnit: {culprit} is a <failure type={kind!r}> naming it: {message!r}")
    passed = [n for n in expected if n not in CULPRITS]
    check(all(results.get(junit_key(n), ("?",))[0] is None for n in passed),
          f"JUnit: the other {len(passed)} collectable tests passed, those after culprits too")
    check(results.get(("", "faults.test_broken_import"), (None,))[0] == "error",
          "JUnit: the module that failed to import is an <error>")


# ---- 2. kill -9 ---------------------------------------------------------------


def journal_records(path):
    records = []
    if path.exists():
        for line in path.read_text().splitlines(keepends=True):
            if line.endswith("\n"):
                records.append(json.loads(line))
    return records


def check_kill(p):
    before = run_dirs(p.suite_dir("slow"))
    log = open(p.work / "ctest-slow.log", "w")
    ctest = subprocess.Popen([p.ctest_exe, "--test-dir", p.build, "-L", "^slow$"],
                             stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    journal = p.work / "no-run-yet"
    while time.time() < deadline:
        runs = [d for d in run_dirs(p.suite_dir("slow")) if d not in before]
        if runs:
            journal = runs[-1] / "journal" / "0.jsonl"
        passed = [r for r in journal_records(journal)
                  if r["event"] == "result" and r["outcome"] == "passed"]
        if len(passed) >= 5:
            break
        time.sleep(0.05)
    sessions = [r for r in journal_records(journal) if r["event"] == "session"]
    check(len(passed) >= 5 and sessions, f"the slow shard finished {len(passed)} tests")
    pytest_pid = sessions[-1]["pid"]
    runner_pid = int(next(line.split()[1] for line in
                          pathlib.Path(f"/proc/{pytest_pid}/status").read_text().splitlines()
                          if line.startswith("PPid:")))
    runner = pathlib.Path(f"/proc/{runner_pid}/cmdline").read_bytes().split(b"\0")
    check(runner[0].endswith(b"pytest-shards") and runner[1] == b"run",
          f"pytest {pytest_pid} was started by the runner {runner_pid}")
    group = os.getpgid(pytest_pid)
    os.kill(runner_pid, signal.SIGKILL)
    os.killpg(group, signal.SIGKILL)
    ctest.wait(timeout=120)
    log.close()
    finished = [r["nodeid"] for r in journal_records(journal) if r["event"] == "result"]
    check(ctest.returncode != 0, f"kill -9 of runner {runner_pid} and pytest group {group} "
          f"after {len(finished)} results fails the ctest run")

    junit = p.work / "slow-report.xml"
    result = p.report("slow", junit)
    summary = result.stdout
    check(result.returncode != 0, "report after kill -9 exits non-zero", summary + result.stderr)
    row = next((line for line in summary.splitlines() if line.startswith("slow/shard-00 ")), "")
    check(row.split()[-1] == "killed", f"report: the entry is not finished: {row}", summary)
    check("entries that did not finish (1):\n  slow/shard-00  " in summary,
          "report lists slow/shard-00 under 'entries that did not finish'", summary)
    results = junit_results(junit)
    ended = [r["nodeid"] for r in read_evidence(p.evidence("slow")) if r["event"] == "end"]
    kept = [n for n in ended if results.get(junit_key(n), ("?",))[0] is None]
    check(len(ended) >= 5 and kept == ended,
          f"report and JUnit keep all {len(ended)} tests the suite saw finish before kill -9 "
          f"as passed")
    totals = next((line for line in summary.splitlines() if " passed, " in line), "")
    check(totals.startswith(f"{len(finished)} passed, 0 failed, {40 - len(finished)} missing"),
          f"report totals: {totals}", summary)
    check(f"never ran ({40 - len(finished)}):" in summary,
          f"report names the {40 - len(finished)} tests that never ran", summary)
    starts = [r["nodeid"] for r in read_evidence(p.evidence("slow")) if r["event"] == "start"]
    running = [n for n in starts if n not in ended]
    if running:
        check(running == [starts[-1]]
              and f"slow/shard-00  (no closing record: killed mid-run while running {running[0]})"
              in summary,
              f"report names {running[0]}, which the suite saw start and not end, as the test "
              f"running when the entry was killed", summary)
    else:
        check("killed mid-run)" in summary, "report names no running test: none had started")


# ---- the shared tail: a crash in it, and a shard killed while it holds some

TAIL_CRASH = "tail/test_other.py::test_other[30]"
TAIL_HANG = "tail/test_other.py::test_other[32]"


def last_plan(p, name):
    return json.loads((run_dirs(p.suite_dir(name))[-1] / "plan.json").read_text())


def tail_of(plan):
    return [node_id for group in plan.get("shared_tail", []) for node_id in group]


def check_tail_crash(p):
    expected = p.collected("tail")
    code, entries, out = p.ctest("-L", "^tailcrash$")
    check(code != 0 and sorted(entries) == ["tailcrash/shard-00", "tailcrash/shard-01"],
          "ctest on the tail suite with a crash fails", out)
    plan = last_plan(p, "tailcrash")
    check(TAIL_CRASH in tail_of(plan) and all(e.get("shares_tail") for e in plan["entries"]),
          f"the crashing test is in the shared tail of both shards ({len(tail_of(plan))} tests)")
    records = read_evidence(p.evidence("tailcrash"))
    check_once((r["nodeid"] for r in records if r["event"] == "start"), expected,
               f"suite evidence: each of the {len(expected)} tests started exactly once, "
               f"those after the crash in the tail too")
    crashed = next(r for r in records if r["event"] == "start" and r["nodeid"] == TAIL_CRASH)
    later = [r for r in records if r["event"] == "end" and r["shard"] == crashed["shard"]
             and r["nodeid"] in tail_of(plan) and r["time"] > crashed["time"]]
    check(later and all(r["pid"] != crashed["pid"] for r in later),
          f"the shard whose pytest crashed took {len(later)} more tests of the tail in a "
          f"restarted pytest")
    entry = next(name for name, (_, output) in entries.items() if TAIL_CRASH in output)
    check("crashed: signal 11 while running " + TAIL_CRASH in entries[entry][1]
          and "restarting pytest on the" in entries[entry][1],
          f"{entry} says the crash and its restart", entries[entry][1])
    result = p.report("tailcrash")
    totals = next((line for line in result.stdout.splitlines() if " passed, " in line), "")
    check(result.returncode != 0 and totals == f"{len(expected) - 1} passed, 0 failed, 1 crashed",
          f"report totals: {totals}", result.stdout)


def check_tail_kill(p):
    expected = p.collected("tail")
    log = open(p.work / "ctest-tailkill.log", "w")
    ctest = subprocess.Popen([p.ctest_exe, "--test-dir", p.build, "-j", "2", "-L",
                              "^tailkill$"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 120
    hung = None
    while time.time() < deadline and hung is None:
        hung = next((r for r in read_evidence(p.evidence("tailkill"))
                     if r["event"] == "start" and r["nodeid"] == TAIL_HANG), None)
        time.sleep(0.05)
    check(hung is not None, f"{TAIL_HANG} started")
    runner_pid = int(next(line.split()[1] for line in
                          pathlib.Path(f"/proc/{hung['pid']}/status").read_text().splitlines()
                          if line.startswith("PPid:")))
    group = os.getpgid(hung["pid"])
    os.kill(runner_pid, signal.SIGKILL)
    os.killpg(group, signal.SIGKILL)
    ctest.wait(timeout=300)
    log.close()
    check(ctest.returncode != 0, "killing a shard that holds tail tests fails the ctest run")
    plan = last_plan(p, "tailkill")
    check(TAIL_HANG in tail_of(plan), "the hanging test is in the shared tail")
    records = read_evidence(p.evidence("tailkill"))
    starts = [r["nodeid"] for r in records if r["event"] == "start"]
    ended = {r["nodeid"] for r in records if r["event"] == "end"}
    check(len(starts) == len(set(starts)), "no test started twice")
    lost = sorted(set(expected) - ended)
    # The killed shard had taken the group after the hanging test's.
    check(TAIL_HANG in lost and len(lost) <= 2,
          f"every test but the killed one and the group its shard had taken ran: lost {lost}")
    result = p.report("tailkill")
    totals = next((line for line in result.stdout.splitlines() if " passed, " in line), "")
    check(result.returncode != 0
          and totals == f"{len(expected) - len(lost)} passed, 0 failed, {len(lost)} missing",
          f"report totals: {totals}", result.stdout)
    check(f"never ran ({len(lost)}):" in result.stdout,
          f"report names the {len(lost)} tests the killed shard held", result.stdout)


def check_ctest_timeout(p):
    """ctest --timeout kills the runner, which did not know the limit."""
    journal = p.suite_dir("slow") / "runs"  # in every journal's path
    reset_evidence(p, "slow")
    code, entries, out = p.ctest("-L", "^slow$", "--timeout", "8")
    check(code != 0 and "***Timeout" in out, "ctest --timeout 8 kills the slow entry", out)
    time.sleep(1)
    orphans = [line for line in run("ps", "-eo", "pid,args").stdout.splitlines()
               if str(journal) in line]
    check(not orphans, f"no pytest of the killed entry is left running {orphans}")
    result = p.report("slow")
    summary = result.stdout
    ended = [r["nodeid"] for r in read_evidence(p.evidence("slow")) if r["event"] == "end"]
    totals = next((line for line in summary.splitlines() if " passed, " in line), "")
    check(result.returncode != 0 and ended and totals.startswith(f"{len(ended)} passed, "),
          f"report keeps the {len(ended)} tests finished before ctest's timeout: {totals}",
          summary)
    # Entry names depend on the last run (its failures go first).
    killed = next((line.strip() for line in summary.splitlines()
                   if "  (no closing record: killed mid-run" in line), "")
    check("killed mid-run while running slow/test_slow.py::test_slow[" in killed,
          f"report names the test that was running: {killed}", summary)


def check_deadline(p):
    """CTest's TIMEOUT alone: the runner stops the entry just before it."""
    stuck = "deadline/test_deadline.py::test_stuck"
    code, entries, out = p.ctest("-L", "^deadline$")
    status, output = entries.get("deadline/shard-00", (None, ""))
    check(code != 0 and status == "fail" and "Timeout" not in out,
          "TIMEOUT 10 and a hang: the runner ends the entry as failed before CTest kills it", out)
    line = next((line for line in output.splitlines() if "running out" in line), "")
    check(f"the entry's TIMEOUT of 10 s is running out while running {stuck}" in line,
          f"the entry's output names the test that was running: {line}", output)
    records = read_evidence(p.evidence("deadline"))
    ended = {r["nodeid"] for r in records if r["event"] == "end"}
    check(ended == {"deadline/test_deadline.py::test_first"}
          and stuck in {r["nodeid"] for r in records if r["event"] == "start"},
          "suite evidence: test_first ended, test_stuck started and never ended")
    result = p.report("deadline")
    totals = next((line for line in result.stdout.splitlines() if " passed, " in line), "")
    check(result.returncode != 0 and totals == "1 passed, 0 failed, 1 timeout, 1 missing"
          and "deadline/test_deadline.py::test_last" in result.stdout,
          f"report keeps the test finished before the TIMEOUT ({totals}) and names the one "
          "that never ran", result.stdout)


def check_session_crash(p):
    """A segfault after the last test, outside any test, fails the entry."""
    code, entries, out = p.ctest("-L", "^sessioncrash$")
    status, output = entries.get("sessioncrash/shard-00", (None, ""))
    check(code != 0 and status == "fail" and "pytest ended (signal 11) before finishing its "
          "session, outside any test" in output,
          "every test passed, then pytest segfaulted outside any test: the entry fails and "
          "says so", out + output)
    result = p.report("sessioncrash")
    row = next((line for line in result.stdout.splitlines()
                if line.startswith("sessioncrash/shard-00 ")), "")
    check(result.returncode != 0 and row.endswith("failed (exit 1)")
          and "2 passed, 0 failed" in result.stdout,
          f"report: both tests passed, the entry failed: {row}", result.stdout)


# ---- 3. stale plans -----------------------------------------------------------


def edit(path, old, new):
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def new_file(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def reset_evidence(p, name):
    shutil.rmtree(p.evidence(name), ignore_errors=True)


def started(p, name):
    return collections.Counter(
        r["nodeid"] for r in read_evidence(p.evidence(name)) if r["event"] == "start")


def node_id_changes(p, suite, prefix):
    """Edits of a suite's tests that change its node IDs: (what, change, the
    new node ID). The suite's files are test_<prefix>one.py and so on."""
    tests = p.suite / suite
    one, two = f"test_{prefix}one.py", f"test_{prefix}two.py"
    three, new_dir = f"test_{prefix}three.py", f"nested/b/test_{prefix}new_dir.py"
    return [
        ("a test added to a file", lambda: edit(tests / one, "def test_b():",
                                                 "def test_added():\n    pass\n\n\ndef test_b():"),
         f"{suite}/{one}::test_added"),
        ("a new test file", lambda: (tests / three).write_text(
            "def test_new_file():\n    pass\n"), f"{suite}/{three}::test_new_file"),
        ("a renamed test", lambda: edit(tests / two, "def test_d():", "def test_d_renamed():"),
         f"{suite}/{two}::test_d_renamed"),
        ("a new test directory beside the known ones", lambda: new_file(
            tests / new_dir, "def test_new_dir():\n    pass\n"),
         f"{suite}/{new_dir}::test_new_dir"),
    ]


def check_configure_mode(p):
    changes = node_id_changes(p, "stale", "")
    for what, change, new_id in changes:
        before = p.collected("stale")
        change()
        reset_evidence(p, "stale")
        code, entries, out = p.ctest("-L", "^stale$")
        status, output = entries.get("stale/stale-collection", (None, ""))
        check(code != 0 and status == "fail" and len(lines_of(output)) == 1
              and "re-run cmake" in output,
              f"CONFIGURE, {what}: stale/stale-collection fails in one line: "
              f"{lines_of(output)[:1]}", out)
        check(new_id not in started(p, "stale"), f"CONFIGURE, {what}: {new_id} did not run "
              "(the failing stale-collection entry says so)")
        removed = sorted(set(before) - set(p.collected("stale")))
        for node_id in removed:
            holder = [name for name, (s, o) in entries.items()
                      if f"node ID no longer exists: {node_id}" in o]
            check(len(holder) == 1 and entries[holder[0]][0] == "fail",
                  f"CONFIGURE, {what}: the removed {node_id} fails its entry {holder}: "
                  f"'node ID no longer exists'", out)
            result = p.report("stale")
            check(result.returncode != 0 and node_id in result.stdout,
                  f"CONFIGURE, {what}: report exits non-zero and names {node_id}", result.stdout)
        others = {n: s for n, (s, _) in entries.items() if n != "stale/stale-collection"}
        check(others and all(s in ("run", "fail") for s in others.values()),
              f"CONFIGURE, {what}: the other entries still ran: {others}")
        result = p.configure()
        check(result.returncode == 0, f"CONFIGURE, {what}: re-run cmake", result.stderr)
        reset_evidence(p, "stale")
        code, entries, out = p.ctest("-L", "^stale$")
        check(code == 0 and "stale/stale-collection" not in entries
              and started(p, "stale") == collections.Counter(p.collected("stale")),
              f"CONFIGURE, {what}: after cmake, ctest passes and runs {new_id}", out)


def check_body_edit_is_not_stale(p):
    """Editing a test's body changes no node ID: no stale-collection, no cmake."""
    edit(p.suite / "stale" / "test_one.py", "def test_b():",
         "def test_b():\n    assert sum([1, 2]) == 3")
    reset_evidence(p, "stale")
    code, entries, out = p.ctest("-L", "^stale$")
    check(code == 0 and "stale/stale-collection" not in entries
          and started(p, "stale") == collections.Counter(p.collected("stale")),
          "CONFIGURE, a test's body edited: ctest passes without re-running cmake", out)


def check_pretest_mode(p):
    reset_evidence(p, "pretest")
    code, entries, out = p.ctest("-L", "^pretest$")
    check(code == 0, "PRE_TEST: the first ctest passes", out)
    changes = node_id_changes(p, "pretest", "pre_")
    for what, change, new_id in changes:
        change()
        reset_evidence(p, "pretest")
        code, entries, out = p.ctest("-L", "^pretest$")
        ran = started(p, "pretest")
        check(code == 0 and ran == collections.Counter(p.collected("pretest"))
              and ran[new_id] == 1,
              f"PRE_TEST, {what}: ctest without cmake runs {new_id} and every other test once "
              f"({sum(ran.values())} tests)", out)
    check("pretest/test_pre_two.py::test_d" not in started(p, "pretest"),
          "PRE_TEST: the renamed test's old node ID is gone")


# ---- 4. accounting ------------------------------------------------------------


def check_accounting(p):
    # A subset run (-L, -R, an IDE's click) is reported as one.
    code, entries, out = p.ctest("-L", "^stale$", "-R", "^stale/shard-00$")
    result = p.report("stale")
    summary = result.stdout
    rows = {line.split()[0]: line for line in summary.splitlines() if line.startswith("stale/")}
    check(code == 0 and result.returncode == 0 and summary.rstrip().endswith("OK")
          and "selection: ctest -L ^stale$ -R ^stale/shard-00$ (1 of 2 entries)\n" in summary
          and rows.get("stale/shard-01", "").endswith("  not selected")
          and "never ran" not in summary and "did not run" not in summary,
          "accounting: with only stale/shard-00 selected, report exits 0, names the selection "
          "and lists stale/shard-01 as not selected", summary)

    code, entries, out = p.ctest("-L", "^stale$")
    result = p.report("stale")
    check(code == 0 and result.returncode == 0 and result.stdout.rstrip().endswith("OK"),
          "accounting: a complete run reports OK", result.stdout)
    journal = newest_run(p.suite_dir("stale")) / "journal" / "0.jsonl"
    records = journal.read_text().splitlines(keepends=True)
    twice = next(line for line in records if json.loads(line)["event"] == "result")
    with open(journal, "a") as f:  # the same result a second time
        f.write(twice)
    node_id = json.loads(twice)["nodeid"]
    result = p.report("stale")
    check(result.returncode != 0 and f"ran more than once (1):\n  {node_id}\n" in result.stdout,
          f"accounting: a node ID with two results is listed as run more than once: {node_id}",
          result.stdout)

    # A selected entry without a journal (ctest killed before it started it)
    # is still missing.
    plan = json.loads((newest_run(p.suite_dir("stale")) / "plan.json").read_text())
    skipped = next(e for e in plan["entries"] if e["name"] == "stale/shard-01")["node_ids"]
    (journal.parent / "1.jsonl").unlink()
    result = p.report("stale")
    summary = result.stdout
    listed = summary.split(f"never ran ({len(skipped)}):\n", 1)[-1].splitlines()[:len(skipped)]
    check(result.returncode != 0 and skipped and [line.strip() for line in listed] == skipped
          and "entries that did not run (1):\n  stale/shard-01" in summary,
          f"accounting: an entry the ctest selected but did not run fails the report, its "
          f"{len(skipped)} node IDs listed as never ran: {skipped}", summary)


# ---- 5. bad input -------------------------------------------------------------


def check_bad_input(p):
    suite_dir = p.suite_dir("stale")
    plan_file = newest_run(suite_dir) / "plan.json"
    good = plan_file.read_text()
    corrupt = {
        "a half-written plan.json": good[:len(good) // 2],
        "a plan.json that is not a plan": "[1, 2, 3]\n",
        "a plan.json with an entry of the wrong shape": good.replace('"node_ids"', '"nodes"'),
    }
    for what, text in corrupt.items():
        plan_file.write_text(text)
        result = p.run_entry(plan_file)
        lines = lines_of(result.stdout + result.stderr)
        check(result.returncode != 0 and len(lines) == 1 and str(plan_file) in lines[0]
              and "re-run" in lines[0],
              f"{what}: run fails in one line naming the file and the fix: {lines}")
    plan_file.unlink()
    result = p.run_entry(plan_file)
    lines = lines_of(result.stdout + result.stderr)
    check(result.returncode != 0 and len(lines) == 1 and str(plan_file) in lines[0],
          f"a missing plan.json: run fails in one line: {lines}")
    plan_file.write_text(good)

    collection = suite_dir / "collection.json"
    saved = collection.read_text()
    collection.write_text(saved[:len(saved) // 3])
    code, entries, out = p.ctest("-L", "^stale$")
    status, output = entries.get("stale/plan-error", (None, ""))
    check(code != 0 and status == "fail" and len(lines_of(output)) == 1
          and str(collection) in output and "re-run cmake" in output,
          f"a corrupt collection.json: ctest fails stale/plan-error in one line: "
          f"{lines_of(output)}", out)
    collection.write_text(saved)
    code, entries, out = p.ctest("-L", "^stale$")
    check(code == 0, "with collection.json restored, ctest passes again", out)

    journal = newest_run(suite_dir) / "journal" / "0.jsonl"
    records = journal.read_text().splitlines(keepends=True)
    journal.write_text(records[0] + "{this is not json\n" + "".join(records[1:]))
    result = p.report("stale")
    lines = lines_of(result.stderr)
    check(result.returncode != 0 and len(lines) == 1 and str(journal) in lines[0]
          and "line 2" in lines[0] and not result.stdout.strip(),
          f"a corrupt journal: report fails in one line: {lines}", result.stdout)

    build = p.work / "build-bad-python"
    result = p.configure("-DFAULTS_PYTHON=/nonexistent/bin/python3", build=build)
    lines = cmake_error_lines(result.stdout + result.stderr)
    check(result.returncode != 0 and len(lines) == 1
          and "PYTHON /nonexistent/bin/python3 does not exist" in lines[0]
          and "PYTHON <exe>" in lines[0],
          f"a PYTHON that does not exist: configure fails in one line: {lines}",
          result.stdout + result.stderr)
    check(not (build / "pytest-shards" / "badpython").exists(),
          "a PYTHON that does not exist: no suite files were written for it")

    # The interpreter vanished after configure: the plan still names it.
    plan = json.loads(good)
    plan["settings"]["python"] = "/nonexistent/bin/python3"
    plan_file.write_text(json.dumps(plan))
    result = p.run_entry(plan_file)
    lines = lines_of(result.stdout + result.stderr)
    plan_file.write_text(good)
    check(result.returncode != 0 and lines and "/nonexistent/bin/python3" in lines[0]
          and "PYTHON" in lines[0] and "re-run cmake" in lines[0],
          f"an interpreter gone since configure: run fails, first line names it and the fix: "
          f"{lines[:1]}")

    leftovers = tmp_files(p.build) + tmp_files(build)
    check(not leftovers, f"no half-written *.tmp.* file anywhere in the build trees {leftovers}")


def main():
    p = Project(start(arguments(__doc__)))
    result = p.configure()
    check(result.returncode == 0, "configure the faults project", result.stdout + result.stderr)
    # CMake wraps the warning's lines.
    warning = " ".join(result.stderr.split("CMake Warning at", 1)[-1].split())
    check("faults: warning: 1 module(s) failed to collect, first faults/test_broken_import.py"
          in warning, "configure succeeds with a CMake warning naming the module that failed "
          "to collect", result.stdout + result.stderr)

    check_faults(p)
    check_kill(p)
    check_tail_crash(p)
    check_tail_kill(p)
    check_ctest_timeout(p)
    check_deadline(p)
    check_session_crash(p)
    check_accounting(p)
    check_configure_mode(p)
    check_body_edit_is_not_stale(p)
    check_pretest_mode(p)
    check_bad_input(p)
    print("fault end-to-end: all checks passed")


if __name__ == "__main__":
    main()

"""End-to-end: pytest-shards in the CMake world, with one CMake (run it once
per CMake version). Every consumer project in world/ registers the same
suite three times (GRANULARITY shard, file and test; see suites.cmake):

- find_package from an installed prefix that was moved after install,
  add_subdirectory of the source tree and FetchContent of it (SOURCE_DIR, no
  network) each configure, build and pass `ctest -j 2`, with every collected
  node ID run exactly once per suite, isolated, and serial locks honoured;
- `ctest --show-only=json-v1`: GRANULARITY test lists every node ID once,
  named <suite>/<node ID>, in collection order, the same order before and
  after a run, with DEF_SOURCE_LINE on the line of its `def` (CTest >= 3.30,
  which lists it; none before) and its marker
  labels; GRANULARITY file one entry per file; every entry holding a serial
  test carries RESOURCE_LOCK (RUN_SERIAL for exclusive) and the serial label;
- failed first: after a run with one failing test, the next plan holds it in
  an entry of its own labelled last-failed with the highest COST, started
  first, and `ctest -L last-failed` runs exactly that test;
- presets: the fragments of presets/pytest-shards.json (parallel capped at
  the cores, serial, CI with JUnit) and a workflow preset. The cap is the
  CTest resource `cores`: every test shares it (plain tests beside the
  suites too), -j N below it is honoured, PYTEST_SHARDS_CORES moves it, a
  spec file given to ctest wins, and the pytest label's sec*proc stays
  real seconds (at most 3x the run's real time on 2 cores); under CMake >= 4.3
  the fragments of presets/pytest-shards-4.3.json ("jobs": ""); under
  CMake >= 3.29 bare `ctest -j`;
- interpreters: an active virtualenv, Python3_EXECUTABLE, and PYTHON over both.

--only runs some of these parts.
"""
import collections
import itertools
import json
import os
import pathlib
import re
import shutil
import xml.etree.ElementTree as ElementTree

from harness import (HERE, REPO, arguments, check, check_once, install, listed_tests, newest_run,
                     overlapped, run, start)
SUITES = ("world", "world-file", "world-ide")
UNLABELLED = {"parametrize", "usefixtures", "filterwarnings"}
CORES = os.cpu_count() or 1

# A pytest plugin that writes what plain pytest knows about each item.
EXPECT_PLUGIN = '''
import json
import os


def pytest_collection_modifyitems(session, config, items):
    out = []
    for item in items:
        out.append({
            "nodeid": item.nodeid,
            "path": str(item.path),
            "markers": sorted({m.name for m in item.iter_markers()}),
            "serial": [{"args": [repr(a) if not isinstance(a, str) else a for a in m.args],
                        "kwargs": {k: v for k, v in m.kwargs.items()}}
                       for m in item.iter_markers("serial")],
        })
    with open(os.environ["WORLD_EXPECT"], "w", encoding="utf-8") as f:
        json.dump(out, f)
'''


class World:
    """One CMake version's view of the consumer projects."""

    def __init__(self, args):
        self.args, self.cmake, self.ctest, self.python = args, args.cmake, args.ctest, args.python
        self.work = args.work
        out = run(self.cmake, "--version").stdout
        self.version = tuple(int(x) for x in re.search(r"(\d+)\.(\d+)", out).groups())
        self.generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        self.src = self.work / "src"
        shutil.copytree(HERE / "world", self.src)
        self.expected = self.collect_expected()
        self.ids = [e["nodeid"] for e in self.expected]
        self.by_id = {e["nodeid"]: e for e in self.expected}
        self.pytest_version = run(self.python, "-c",
                                  "import pytest; print(pytest.__version__)").stdout.strip()

    # ---- What plain pytest says -------------------------------------------

    def collect_expected(self):
        plugin_dir = self.work / "expect"
        plugin_dir.mkdir(parents=True)
        (plugin_dir / "world_expect.py").write_text(EXPECT_PLUGIN)
        out = self.work / "expected.json"
        run(self.python, "-m", "pytest", "--collect-only", "-q", "-p", "world_expect",
            "-p", "no:cacheprovider", "-o", "addopts=", cwd=self.src / "suite",
            env=dict(os.environ, PYTHONPATH=str(plugin_dir), WORLD_EXPECT=str(out)))
        expected = json.loads(out.read_text())
        check(len(expected) >= 20, f"plain pytest collects {len(expected)} node IDs")
        return expected

    def locks_of(self, node_id):
        """(lock names, exclusive) of a node ID's serial markers."""
        locks, exclusive = set(), False
        for marker in self.by_id[node_id]["serial"]:
            args, kwargs = marker["args"], marker["kwargs"]
            locks.add(kwargs.get("lock", args[0] if args else "serial"))
            exclusive = exclusive or bool(kwargs.get("exclusive", False))
        return locks, exclusive

    # ---- ctest views ----------------------------------------------------------

    def show_only(self, build, *select):
        tests = []
        for test in listed_tests(self.ctest, build, *select):
            props = {p["name"]: p["value"] for p in test.get("properties", [])}
            tests.append({"name": test["name"], "labels": props.get("LABELS", []),
                          "props": props})
        return tests

    @staticmethod
    def plan(build, suite):
        """Entry name -> node IDs of the plan the last ctest start wrote."""
        document = json.loads((newest_run(build / "pytest-shards" / suite) / "plan.json")
                              .read_text())
        return {e["name"]: e["node_ids"] for e in document["entries"]}

    @staticmethod
    def shared_tail(build, suite):
        """The node IDs of the shared tail, which its shards take at run time."""
        document = json.loads((newest_run(build / "pytest-shards" / suite) / "plan.json")
                              .read_text())
        return [i for group in document.get("shared_tail", []) for i in group]

    @staticmethod
    def durations(build, suite):
        path = build / "pytest-shards" / suite / "durations.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def check_listing(self, build, where):
        """The show-only checks of every suite; returns the entry names per suite."""
        tests = self.show_only(build)
        names = {}
        for suite in SUITES:
            mine = [t for t in tests if t["name"].startswith(suite + "/") and suite in t["labels"]]
            names[suite] = [t["name"] for t in mine]
            self.check_locks(build, suite, mine, where)
        self.check_ide(build, names["world-ide"],
                       [t for t in tests if t["name"] in names["world-ide"]], where)
        files = sorted({i.split("::")[0] for i in self.ids})
        check(sorted(names["world-file"]) == [f"world-file/{f}" for f in files],
              f"{where}: GRANULARITY file has one entry per file, named <suite>/<file> "
              f"({len(files)} files)", names["world-file"])
        return names

    def emitted_source_lines(self, build):
        """DEF_SOURCE_LINE of each world-ide entry as tests.cmake sets it."""
        text = (newest_run(build / "pytest-shards" / "world-ide") / "tests.cmake").read_text()
        found = {}
        for name, body in re.findall(r"set_tests_properties\(\[=*\[(.*?)\]=*\] PROPERTIES\n(.*?)\n\)",
                                     text, re.S):
            line = re.search(r"\[=*\[DEF_SOURCE_LINE\]=*\] \[=*\[(.*?)\]=*\]", body)
            if line:
                found[name] = line.group(1)
        return found

    def check_ide(self, build, names, tests, where):
        counts = collections.Counter(names)
        check(names == [f"world-ide/{i}" for i in self.ids] and set(counts.values()) == {1},
              f"{where}: GRANULARITY test lists each of the {len(self.ids)} collected node IDs "
              f"exactly once, as world-ide/<node ID>, in collection order",
              f"{names}\n{self.ids}")
        shows_source = self.version >= (3, 30)
        if not shows_source:
            # CTest < 3.30 leaves custom properties out of its JSON: nobody
            # would read DEF_SOURCE_LINE, and each costs ctest a look-up.
            check(not self.emitted_source_lines(build),
                  f"{where}: CTest < 3.30 lists no DEF_SOURCE_LINE, and tests.cmake sets none")
        for test in tests:
            node_id = test["name"][len("world-ide/"):]
            expected = self.by_id[node_id]
            if shows_source:
                self.check_source_line(test, node_id, expected, where)
            labels = set(test["labels"])
            markers = set(expected["markers"]) - UNLABELLED
            if labels != {"pytest", "world-ide"} | markers:
                check(False, f"{where}: labels of {node_id} are {sorted(labels)}, "
                             f"markers {sorted(markers)}")
        check(True, f"{where}: every GRANULARITY test entry has its marker labels"
                    + (" and DEF_SOURCE_LINE <abs file>:<line> on its def / async def line"
                       if shows_source else ""))

    def check_source_line(self, test, node_id, expected, where):
        where_def = test["props"].get("DEF_SOURCE_LINE", "")
        path, _, line = where_def.rpartition(":")
        function = node_id.split("::")[-1].split("[")[0]
        text = ""
        if path == expected["path"] and line.isdigit():
            lines = pathlib.Path(path).read_text().splitlines()
            text = lines[int(line) - 1] if 0 < int(line) <= len(lines) else ""
        if not re.match(rf"\s*(async\s+)?def\s+{re.escape(function)}\s*\(", text):
            check(False, f"{where}: DEF_SOURCE_LINE of {node_id} is {where_def!r}, "
                         f"whose line is {text!r}, not the def of {function}")

    def check_locks(self, build, suite, tests, where):
        plan = self.plan(build, suite)
        planned = [i for ids in plan.values() for i in ids] + self.shared_tail(build, suite)
        check_once(planned, self.ids,
                   f"{where}: {suite}: plan.json holds every node ID in exactly one entry or "
                   f"in the shared tail")
        serial_entries = 0
        for test in tests:
            locks, exclusive = set(), False
            for node_id in plan[test["name"]]:
                more, alone = self.locks_of(node_id)
                locks |= more
                exclusive = exclusive or alone
            held = set(test["props"].get("RESOURCE_LOCK", []))
            ok = (locks <= held and (("serial" in test["labels"]) == bool(locks))
                  and bool(test["props"].get("RUN_SERIAL", False)) == exclusive)
            if not ok:
                check(False, f"{where}: {test['name']} holds serial locks {sorted(locks)} "
                             f"(exclusive {exclusive}) but has RESOURCE_LOCK {sorted(held)}, "
                             f"labels {test['labels']}, RUN_SERIAL "
                             f"{test['props'].get('RUN_SERIAL')}")
            serial_entries += bool(locks)
        check(serial_entries > 0, f"{where}: {suite}: the {serial_entries} entries holding "
                                  f"serial tests carry their RESOURCE_LOCK, RUN_SERIAL when "
                                  f"exclusive and the serial label; the others none")

    # ---- Evidence of a run ----------------------------------------------------

    @staticmethod
    def evidence(build, suite):
        records = []
        for path in sorted((build / "evidence" / suite).glob("*.jsonl")):
            records += [dict(json.loads(line), suite=suite)
                        for line in path.read_text().splitlines()]
        return records

    @staticmethod
    def reset_evidence(build):
        shutil.rmtree(build / "evidence", ignore_errors=True)

    def check_run(self, build, suites, where, output=None, parallel=True):
        """Every node ID of each suite ran once, isolated, serial locks held;
        with ctest's output, entries ran in parallel (or not). Returns the
        most entries ctest ran at once."""
        everything = []
        for suite in suites:
            records = self.evidence(build, suite)
            check_once((r["nodeid"] for r in records), self.ids,
                       f"{where}: {suite}: each of the {len(self.ids)} node IDs ran exactly once")
            entries = len(self.plan(build, suite))
            for r in records:
                tmp = pathlib.Path(r["tmpdir"] or "/")
                ok = (r["worker"] == f"gw{r['shard']}" and r["worker_count"] == r["shards"]
                      and r["shards"] == str(entries) and r["tmpdir"] == r["shard_tmpdir"]
                      and tmp.is_relative_to(build)
                      and pathlib.Path(r["tmp_path"]).is_relative_to(tmp)
                      and int(r["port_count"] or 0) > 0)
                if not ok:
                    check(False, f"{where}: isolation environment of {r['nodeid']}: {r}")
            check(True, f"{where}: {suite}: PYTEST_SHARD_INDEX/COUNT ({entries} entries), "
                        f"PYTEST_XDIST_WORKER(_COUNT), private TMPDIR and tmp_path under the "
                        f"build tree, a port range")
            everything += records
        self.check_overlaps(everything, where)
        if output is None:
            return None
        most = self.ctest_concurrency(output)
        if parallel:
            check(most >= 2, f"{where}: ctest ran {most} entries at once")
        else:
            check(most == 1, f"{where}: ctest ran one entry at a time")
        return most

    def check_overlaps(self, records, where):
        def entry(r):
            return (r["suite"], r["shard"])

        for lock in sorted({r["lock"] for r in records if r["lock"]}):
            runs = [r for r in records if r["lock"] == lock]
            clashes = [(a["nodeid"], b["nodeid"]) for a, b in itertools.combinations(runs, 2)
                       if overlapped(a, b)]
            check(not clashes, f"{where}: the {len(runs)} runs of serial lock {lock!r} "
                               f"never overlapped", clashes[:3])
        alone = [r for r in records if r["nodeid"].endswith("::test_alone")]
        clashes = [(a["nodeid"], b["nodeid"]) for a in alone for b in records
                   if entry(a) != entry(b) and overlapped(a, b)]
        check(not clashes, f"{where}: serial(exclusive=True) ran beside no other entry",
              clashes[:3])
        concurrent = [(a, b) for a, b in itertools.combinations(records, 2)
                      if entry(a) != entry(b) and overlapped(a, b)]
        for a, b in concurrent:
            ports_a = set(range(int(a["port_base"]), int(a["port_base"]) + int(a["port_count"])))
            ports_b = set(range(int(b["port_base"]), int(b["port_base"]) + int(b["port_count"])))
            if a["tmpdir"] == b["tmpdir"] or ports_a & ports_b:
                check(False, f"{where}: concurrent entries {entry(a)} and {entry(b)} shared "
                             f"TMPDIR or ports")
        check(True, f"{where}: the {len(concurrent)} pairs of tests of different entries "
                    f"that overlapped had different TMPDIRs and disjoint port ranges")

    @staticmethod
    def ctest_concurrency(output):
        """The most entries ctest had running at once, from its own lines:
        "Start N: name" when it starts one, "i/n Test #N: ..." when one ends.
        Unlike test timings, this does not depend on the machine's load."""
        running, most = set(), 0
        for line in output.splitlines():
            started = re.match(r"\s*Start\s+(\d+):", line)
            ended = re.match(r"\s*\d+/\d+ Test\s+#(\d+):", line)
            if started:
                running.add(started.group(1))
                most = max(most, len(running))
            elif ended:
                running.discard(ended.group(1))
        return most

    # ---- Consumer projects ----------------------------------------------------

    def configure(self, project, build, *options, env=None):
        result = run(self.cmake, *self.generator, "-S", self.src / project, "-B", build,
                     *options, env=env)
        return result.stdout + result.stderr

    def check_python_line(self, output, python, where):
        for suite in SUITES:
            line = f"pytest-shards: {suite}: Python {python} (pytest {self.pytest_version})"
            check(line in output, f"{where}: configure printed '{line}'", output[-3000:])

    def consumer(self, project, *options):
        """Configure, build, list, run -j 2, list again; returns the build dir."""
        build = self.work / f"build-{project}"
        where = f"{project} (CMake {self.version[0]}.{self.version[1]})"
        output = self.configure(project, build, *options)
        self.check_python_line(output, self.python, where)
        collection = build / "pytest-shards" / "world" / "collection.json"
        built_tool = project != "find_package"
        check(collection.exists() != built_tool,
              f"{where}: collection runs at " + ("build time: the tool is a target of the "
                                                 "build" if built_tool else "configure time"))
        run(self.cmake, "--build", build, "-j", "2")
        check(collection.exists(), f"{where}: the build leaves the suite collected")
        before = self.check_listing(build, where + ", before the run")
        result = run(self.ctest, "--test-dir", build, "-j", "2", "--output-on-failure",
                     check=False)
        check(result.returncode == 0, f"{where}: ctest -j 2 passed",
              result.stdout[-5000:] + result.stderr[-2000:])
        most = self.check_run(build, SUITES, where, result.stdout)
        check(most <= 2, f"{where}: and no more than 2 ({most})")
        after = self.check_listing(build, where + ", after the run")
        check(before == after, f"{where}: entry names and order are the same in two ctest "
                               f"invocations (a run and new durations between them)")
        return build

    def install_moved(self):
        """Installs the package, moves the prefix; returns the new prefix."""
        prefix, moved = self.work / "prefix", self.work / "moved"
        install(self.args, prefix)
        shutil.copytree(prefix, moved, symlinks=True)
        shutil.rmtree(prefix)
        return prefix, moved

    def check_find_package(self):
        old, moved = self.install_moved()
        build = self.consumer("find_package", f"-DCMAKE_PREFIX_PATH={moved}",
                              f"-DPython3_EXECUTABLE={self.python}")
        cache = (build / "CMakeCache.txt").read_text()
        found = re.search(r"^PytestShards_DIR:[A-Z]+=(.*)$", cache, re.M).group(1)
        include = (build / "pytest-shards" / "world" / "include.cmake").read_text()
        check(pathlib.Path(found).is_relative_to(moved) and str(moved) in include
              and str(old) not in include,
              f"find_package: the moved prefix works (PytestShards_DIR={found}; the include "
              f"file runs {moved}/bin/pytest-shards, nothing of {old})")
        versioned = self.work / "src" / "versioned"
        versioned.mkdir()
        (versioned / "CMakeLists.txt").write_text(
            "cmake_minimum_required(VERSION 3.25)\nproject(v NONE)\n"
            "find_package(PytestShards 2.0 REQUIRED)\n")
        result = run(self.cmake, "-S", versioned, "-B", self.work / "build-versioned",
                     f"-DCMAKE_PREFIX_PATH={moved}", check=False)
        check(result.returncode != 0 and "1.0" in result.stdout + result.stderr,
              "find_package(PytestShards 2.0) fails against version 1.0 (version file)")
        return build, moved

    # ---- Failed first -----------------------------------------------------------

    def failing_run(self, build, fail, *select):
        result = run(self.ctest, "--test-dir", build, "-j", "2", *select, check=False,
                     env=dict(os.environ, WORLD_FAIL=fail))
        check(result.returncode != 0, f"ctest {' '.join(select)} with WORLD_FAIL={fail} failed")
        return result

    def last_failed_entries(self, build, suite):
        tests = [t for t in self.show_only(build) if suite in t["labels"]
                 and t["name"].startswith(suite + "/")]
        plan = self.plan(build, suite)
        failed = [t for t in tests if "last-failed" in t["labels"]]
        return tests, failed, plan

    def check_failed_first(self, build, ide_names):
        flaky = "tests/test_flaky.py::test_flaky"
        self.failing_run(build, "test_flaky", "-L", "^world(-ide)?$")

        tests, failed, plan = self.last_failed_entries(build, "world")
        held = sorted(i for t in failed for i in plan[t["name"]])
        check(held == [flaky] and [t["name"] for t in failed] == ["world/last-failed-00"],
              f"shard granularity: the next plan holds the failed node ID in an entry of its "
              f"own, world/last-failed-00 (holds {held})")
        # The plan's cost is each entry's COST in a run (a listing, which
        # schedules nothing, sets none); the -j 1 run below shows ctest
        # starting the highest first.
        document = json.loads((newest_run(build / "pytest-shards" / "world") / "plan.json")
                              .read_text())
        costs = {e["name"]: e["cost"] for e in document["entries"]}
        top = failed[0]["name"]
        check(all(costs[top] > c for n, c in costs.items() if n != top),
              f"world/last-failed-00 has the highest COST ({costs[top]:.3g} > "
              f"{max(c for n, c in costs.items() if n != top):.3g})")
        check(self.durations(build, "world").get("failed") == [flaky],
              f"durations.json of world lists the failed node ID: {flaky}")

        tests, failed, _ = self.last_failed_entries(build, "world-ide")
        check([t["name"] for t in failed] == [f"world-ide/{flaky}"]
              and [t["name"] for t in tests] == ide_names,
              "GRANULARITY test: the failed test's own entry is labelled last-failed and the "
              "entry order is unchanged")
        _, failed_file, _ = self.last_failed_entries(build, "world-file")
        check(not failed_file, "world-file did not run: nothing of it is labelled last-failed")

        # -j 1: ctest orders by COST only, so the last-failed entry starts first.
        result = run(self.ctest, "--test-dir", build, "-j", "1", "-L", "^world$", check=False,
                     env=dict(os.environ, WORLD_FAIL="test_flaky"))
        starts = re.findall(r"^\s*Start\s+\d+: (\S+)", result.stdout, re.M)
        check(result.returncode != 0 and starts[:1] == ["world/last-failed-00"],
              f"ctest -j 1: the last-failed entry started first ({starts[:3]})")

        self.reset_evidence(build)
        result = run(self.ctest, "--test-dir", build, "-j", "2", "-L", "last-failed",
                     "--output-on-failure", check=False)
        ran = {s: [r["nodeid"] for r in self.evidence(build, s)] for s in SUITES}
        check(result.returncode == 0 and ran == {"world": [flaky], "world-file": [],
                                                  "world-ide": [flaky]},
              f"ctest -L last-failed re-ran exactly the failed test, once per suite it failed "
              f"in, and passed ({ran})", result.stdout[-3000:])
        for suite in SUITES:
            _, failed, _ = self.last_failed_entries(build, suite)
            check(not failed, f"{suite}: after the passing re-run nothing is last-failed")

    # ---- Presets ----------------------------------------------------------------

    def write_presets(self, moved, build):
        project = self.src / "find_package"
        fragment = REPO / "presets" / "pytest-shards.json"
        select = {"include": {"label": "^world$"}}
        with_others = {"include": {"label": "^world(-other)?$"}}
        presets = {
            "version": 6,
            "include": [str(fragment)],
            "configurePresets": [{
                "name": "world", "binaryDir": str(build),
                "generator": "Ninja" if self.generator else "Unix Makefiles",
                "cacheVariables": {"CMAKE_PREFIX_PATH": str(moved),
                                   "Python3_EXECUTABLE": self.python,
                                   "WORLD_OTHER_TESTS": "ON"}}],
            "buildPresets": [{"name": "world", "configurePreset": "world"}],
            "testPresets": [
                {"name": "world-parallel", "configurePreset": "world",
                 "inherits": "pytest-shards-parallel", "filter": with_others},
                {"name": "world-serial", "configurePreset": "world",
                 "inherits": "pytest-shards-serial", "filter": select},
                {"name": "world-ci", "configurePreset": "world",
                 "inherits": "pytest-shards-ci", "filter": select}],
            "workflowPresets": [{"name": "world-ci", "steps": [
                {"type": "configure", "name": "world"}, {"type": "build", "name": "world"},
                {"type": "test", "name": "world-ci"}]}],
        }
        (project / "CMakePresets.json").write_text(json.dumps(presets, indent=2))
        if self.version >= (4, 3):
            newer = {
                "version": 11,
                "include": [str(REPO / "presets" / "pytest-shards-4.3.json")],
                "testPresets": [
                    {"name": "world-cores", "configurePreset": "world",
                     "inherits": "pytest-shards-parallel-cores", "filter": select},
                    {"name": "world-ci-cores", "configurePreset": "world",
                     "inherits": "pytest-shards-ci-cores", "filter": select}],
            }
            (project / "CMakeUserPresets.json").write_text(json.dumps(newer, indent=2))
        return project

    def preset_run(self, project, build, preset, where, *extra, env=None, parallel=True):
        """ctest --preset <preset> <extra>; returns (most at once, its output)."""
        self.reset_evidence(build)
        command = " ".join(["ctest --preset", preset, *map(str, extra)])
        result = run(self.ctest, "--preset", preset, *extra, check=False, cwd=project, env=env)
        check(result.returncode == 0, f"{command} passed ({where})", result.stdout[-3000:])
        most = self.check_run(build, ["world"], command, result.stdout, parallel)
        return most, result.stdout

    @staticmethod
    def label_ratio(output, label):
        """A label's sec*proc in ctest's Label Time Summary over the run's real time."""
        summary = re.search(rf"^\s*{label}\s*=\s*([0-9.]+) sec\*proc", output, re.M)
        real = re.search(r"Total Test time \(real\) =\s*([0-9.]+) sec", output)
        check(summary and real, f"ctest printed the {label} label's time and the real time",
              output[-2000:])
        return float(summary.group(1)), float(real.group(1))

    def check_cap(self, project, build):
        """The parallel preset's cap is the CTest resource `cores`, and every
        test of the build tree shares it: the world entries and the plain
        world-other tests (beside the suites and in a subdirectory)."""
        tests = self.show_only(build)
        groups = {json.dumps(t["props"].get("RESOURCE_GROUPS")) for t in tests}
        processors = {t["props"].get("PROCESSORS", 1) for t in tests}
        check(processors == {1} and groups == {"null"},
              f"plain ctest (no preset): no PROCESSORS, no RESOURCE_GROUPS "
              f"({processors}, {groups})")
        others = [t["name"] for t in tests if "world-other" in t["labels"]]
        check(len(others) == 4, f"the consumer has 4 plain tests beside the suites: {others}")

        most, output = self.preset_run(project, build, "world-parallel",
                                       "pytest-shards-parallel, with the plain tests")
        check(2 <= most <= CORES, f"pytest-shards-parallel (-j 4096): the cores resource ran "
                                  f"{most} tests at once, entries and plain tests together, "
                                  f"on {CORES} cores")
        seconds, real = self.label_ratio(output, "pytest")
        check(seconds <= 3 * real, f"Label Time Summary: pytest = {seconds} sec*proc, at most "
                                   f"3x the real {real} s (PROCESSORS 1: real seconds)")
        self.preset_run(project, build, "world-parallel", "-j 1 turns parallelism off",
                        "-j", "1", parallel=False)
        # PYTEST_SHARDS_CORES stands for the machine's cores: the cap follows
        # it, not the machine, and a smaller -j on the command line still wins.
        three = dict(os.environ, PYTEST_SHARDS_CORES="3")
        most, _ = self.preset_run(project, build, "world-parallel", "PYTEST_SHARDS_CORES=3",
                                  env=three)
        check(most == 3, f"PYTEST_SHARDS_CORES=3: 3 tests at once ({most})")
        most, _ = self.preset_run(project, build, "world-parallel", "PYTEST_SHARDS_CORES=3",
                                  "-j", "2", env=three)
        check(most == 2, f"PYTEST_SHARDS_CORES=3 and -j 2: min(2, 3) = 2 at once ({most})")
        # A spec file given to ctest wins; it must then define `cores`.
        spec = self.work / "one-core.json"
        spec.write_text(json.dumps({"version": {"major": 1, "minor": 0},
                                    "local": [{"cores": [{"id": "0", "slots": 1}]}]}))
        self.preset_run(project, build, "world-parallel", "--resource-spec-file with 1 core",
                        "--resource-spec-file", spec, parallel=False)

    def check_junit(self, build, preset):
        junit = build / "ctest-junit.xml"
        cases = ElementTree.parse(junit).getroot().iter("testcase")
        names = sorted(c.get("name") for c in cases)
        check(names == sorted(self.plan(build, "world")),
              f"{preset}: CTest's JUnit file {junit.name} lists the {len(names)} world entries")
        junit.unlink()

    def check_presets(self, moved):
        build = self.work / "build-presets"
        project = self.write_presets(moved, build)
        result = run(self.cmake, "--workflow", "--preset", "world-ci", check=False, cwd=project)
        check(result.returncode == 0, "cmake --workflow --preset world-ci (configure, build, "
                                      "test preset inheriting pytest-shards-ci) passed",
              result.stdout[-3000:] + result.stderr[-2000:])
        self.check_junit(build, "pytest-shards-ci")
        most = self.check_run(build, ["world"], "workflow world-ci", result.stdout)
        check(most <= CORES, f"pytest-shards-ci: at most one entry per core ran at once "
                             f"(at most {most} of {CORES})")
        self.check_cap(project, build)
        self.reset_evidence(build)
        result = run(self.ctest, "--preset", "world-serial", check=False, cwd=project)
        check(result.returncode == 0, "ctest --preset world-serial passed")
        self.check_run(build, ["world"], "pytest-shards-serial", result.stdout, parallel=False)

        if self.version >= (4, 3):
            most, _ = self.preset_run(project, build, "world-cores",
                                      '"jobs": "" of pytest-shards-parallel-cores')
            check(most <= max(CORES, 2), f'"jobs": "" ran at most max(cores, 2) entries at once '
                                         f"({most}), in parallel (checked above)")
            self.preset_run(project, build, "world-ci-cores", "pytest-shards-ci-cores")
            self.check_junit(build, "pytest-shards-ci-cores")
        else:
            print(f"skip: presets version 11 (\"jobs\": \"\") needs CMake >= 4.3, this is "
                  f"{self.version}")
        if self.version >= (3, 29):
            self.reset_evidence(build)
            result = run(self.ctest, "--test-dir", build, "-L", "^world$", "-j", check=False)
            check(result.returncode == 0, "bare ctest -j (CMake >= 3.29) passed")
            most = self.check_run(build, ["world"], "bare ctest -j", result.stdout)
            check(most <= max(CORES, 2), f"bare ctest -j: at most max(cores, 2) at once ({most})")

    # ---- Interpreters -------------------------------------------------------------

    def check_interpreters(self, moved):
        venv = self.work / "venv"
        run("/usr/bin/python3", "-m", "venv", "--system-site-packages", venv)
        venv_python = venv / "bin" / "python"
        active = dict(os.environ, VIRTUAL_ENV=str(venv),
                      PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
        prefix = f"-DCMAKE_PREFIX_PATH={moved}"

        build = self.work / "build-venv"
        output = self.configure("find_package", build, prefix, env=active)
        self.check_python_line(output, venv_python, "active virtualenv")
        result = run(self.ctest, "--test-dir", build, "-j", "2", "-L", "^world$", check=False)
        prefixes = {r["prefix"] for r in self.evidence(build, "world")}
        check(result.returncode == 0 and prefixes == {str(venv)},
              f"the suite ran in the virtualenv (sys.prefix {prefixes})")

        output = self.configure("find_package", self.work / "build-py3exe", prefix,
                                f"-DPython3_EXECUTABLE={venv / 'bin' / 'python3'}")
        self.check_python_line(output, venv / "bin" / "python3", "Python3_EXECUTABLE")

        output = self.configure("find_package", self.work / "build-override", prefix,
                                f"-DPython3_EXECUTABLE={venv / 'bin' / 'python3'}",
                                "-DWORLD_PYTHON=/usr/bin/python3", env=active)
        self.check_python_line(output, "/usr/bin/python3", "PYTHON over VIRTUAL_ENV and "
                                                           "Python3_EXECUTABLE")


def main():
    parser = arguments(__doc__)
    parser.add_argument("--only", default="find_package,subdirectory,fetchcontent,failed,"
                                          "presets,interpreters",
                        help="comma-separated parts to run")
    args = start(parser)
    # What makes the suite's test_flaky fail: set only where a part wants that.
    os.environ.pop("WORLD_FAIL", None)
    parts = set(args.only.split(","))
    world = World(args)
    if parts & {"find_package", "failed", "presets", "interpreters"}:
        build, moved = world.check_find_package()
        ide_names = [t["name"] for t in world.show_only(build, "-L", "^world-ide$")]
        if "failed" in parts:
            world.check_failed_first(build, ide_names)
        if "presets" in parts:
            world.check_presets(moved)
        if "interpreters" in parts:
            world.check_interpreters(moved)
    for project in ("subdirectory", "fetchcontent"):
        if project in parts:
            world.consumer(project, f"-DPYTEST_SHARDS_SOURCE_DIR={REPO}",
                           f"-DPython3_EXECUTABLE={args.python}")
    print(f"cmake world end-to-end (CMake {world.version[0]}.{world.version[1]}): "
          f"all checks passed")


if __name__ == "__main__":
    main()

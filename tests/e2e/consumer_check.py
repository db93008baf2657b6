"""End-to-end: install pytest-shards, use it from a separate consumer project,
run `ctest -j 2` there and prove from the suite's own evidence that

- every collected node ID ran exactly once,
- serial tests of one lock never overlapped,
- shards that ran at the same time had different TMPDIRs and disjoint ports,
- at least two shards ran at the same time,
- the xdist_group ran in one process, and `addopts = -n auto` started no workers,
- tests inside a package run with `--pyargs` from outside it all ran, and
  `report` still shows that run after a `ctest --show-only` planned anew,
- listings (`ctest --show-only`, as IDEs do) while ctest runs do not change
  what that run executes,
- `report --html` draws that run: one bar per CTest entry on 2 lanes (-j 2).
"""
import collections
import itertools
import os
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

from harness import (HERE, arguments, check, check_once, collected_node_ids, configure, install,
                     installed_tool, listed_tests, overlapped, read_evidence, run, start)

SUITE = HERE / "consumer" / "suite"


def check_shard_run(records, expected):
    check_once((r["nodeid"] for r in records), expected,
               f"each of the {len(expected)} collected node IDs ran exactly once")
    by_lock = collections.defaultdict(list)
    for r in records:
        if r["lock"]:
            by_lock[r["lock"]].append(r)
    check(sorted(by_lock) == ["db", "serial"], f"serial tests ran under locks {sorted(by_lock)}")
    for lock, runs in by_lock.items():
        clashes = [(a["nodeid"], b["nodeid"]) for a, b in itertools.combinations(runs, 2)
                   if overlapped(a, b)]
        check(not clashes, f"serial tests of lock {lock!r} never overlapped {clashes[:2]}")
    concurrent = [(a, b) for a, b in itertools.combinations(records, 2)
                  if a["shard"] != b["shard"] and overlapped(a, b)]
    check(concurrent, f"shards ran at the same time ({len(concurrent)} overlapping pairs)")
    for a, b in concurrent:
        ra = range(int(a["port_base"]), int(a["port_base"]) + int(a["port_count"]))
        rb = range(int(b["port_base"]), int(b["port_base"]) + int(b["port_count"]))
        if a["tmpdir"] == b["tmpdir"] or set(ra) & set(rb) or a["tmp_path"] == b["tmp_path"]:
            check(False, f"concurrent shards {a['shard']} and {b['shard']} shared TMPDIR, "
                         f"tmp_path or ports")
    check(True, "concurrent shards had different TMPDIRs, tmp_paths and disjoint port ranges")
    for r in records:
        check_env = (r["worker"] == f"gw{r['shard']}" and r["worker_count"] == r["shards"]
                     and r["tmpdir"] == r["shard_tmpdir"]
                     and r["suite_db"] == f"app_{r['shard']}.sqlite")
        if not check_env:
            check(False, f"environment of {r['nodeid']}: {r}")
    check(True, "PYTEST_XDIST_WORKER(_COUNT), TMPDIR and ENVIRONMENT placeholders per shard")
    group = [r for r in records if r["group"] == "warm-cache"]
    check(len(group) == 4 and len({r["pid"] for r in group}) == 1,
          "the xdist_group ran in one process")
    pids_per_shard = collections.defaultdict(set)
    for r in records:
        pids_per_shard[r["shard"]].add(r["pid"])
    check(all(len(p) == 1 for p in pids_per_shard.values()),
          "each shard ran in one pytest process: -n auto from addopts started no workers")


def ctest_names(ctest, build, *selection):
    return [t["name"] for t in listed_tests(ctest, build, *selection)]


def check_timeline(tool, build, work, ctest):
    """`report --html` after the `ctest -j 2` of every suite: the page parses
    as XML, fetches nothing, and has one bar per CTest entry on 2 lanes."""
    page = work / "timeline.html"
    report = run(tool, "report", "--build-dir", build, "--html", page, check=False)
    check(report.returncode == 0 and page.is_file(),
          "report --html wrote the timeline", report.stdout + report.stderr)
    text = page.read_text(encoding="utf-8")
    root = ElementTree.fromstring(text)
    groups = list(root.iter("g"))
    bars = [g.get("data-entry") for g in groups if "bar" in g.get("class", "").split()]
    lanes = [g for g in groups if "lane" in g.get("class", "").split()]
    entries = ctest_names(ctest, build)
    check(sorted(bars) == sorted(entries),
          f"the timeline has one bar for each of the {len(entries)} CTest entries "
          f"({len(bars)} bars)")
    check(len(lanes) == 2, f"the timeline has 2 lanes for ctest -j 2 ({len(lanes)})")
    check("http://" not in text and "https://" not in text and "<script" not in text,
          "the timeline is self-contained")


def main():
    args = start(arguments(__doc__))
    work, build = args.work, args.work / "build"
    prefix = install(args)
    tool = installed_tool(prefix)
    configure(args, HERE / "consumer", build, prefix, capture=False)
    result = run(args.ctest, "--test-dir", build, "-j", "2", "--output-on-failure",
                 check=False, capture=False)
    check(result.returncode == 0, "ctest -j 2 in the consumer project passed")
    check_timeline(tool, build, work, args.ctest)

    expected = collected_node_ids(args.python, SUITE, "-o", "addopts=")
    check_shard_run(read_evidence(build / "evidence" / "shards"), expected)

    hostile = [n for n in expected if n.startswith("tests/test_hostile.py::")]
    names = ctest_names(args.ctest, build, "-L", "hostile-ide")
    check(sorted(names) == sorted(f"hostile-ide/{n}" for n in hostile),
          f"GRANULARITY test: one CTest entry named <suite>/<node ID> for each of the "
          f"{len(hostile)} hostile node IDs")
    check_once((r["nodeid"] for r in read_evidence(build / "evidence" / "ide")), hostile,
               "each hostile node ID ran exactly once as its own entry")
    check(not (SUITE / "pwned").exists() and not (build / "pwned").exists(),
          "no node ID executed CMake code")

    # --pyargs from outside the package: every collected ID ran and passed.
    # After `ctest --show-only` above, which planned anew without running:
    # report still shows the run.
    pyargs_ids = sorted(collected_node_ids(args.python, HERE / "consumer" / "pyargs",
                                           "--pyargs", "inventory", check=False))
    check(len(pyargs_ids) == 10 and not (HERE / "consumer" / "pyargs" / "tests").exists(),
          "--pyargs inventory names its 10 node IDs relative to the package")
    report = run(tool, "report", "--suite-dir", build / "pytest-shards" / "installed",
                 check=False)
    check(report.returncode == 0 and "10 passed" in report.stdout,
          "--pyargs suite: report counts all 10 node IDs passed", report.stdout + report.stderr)
    check(len(ctest_names(args.ctest, build, "-L", "pyargs")) == 2, "--pyargs suite: 2 shards")

    # An IDE listing tests while ctest runs plans anew each time (here with a
    # CI slice, so that each listing's plan differs): the run must still
    # execute the plan it started with.
    shutil.rmtree(build / "evidence")
    # Without the record of the collected files, every ctest start collects
    # again (and finds the same tests): the run and the first listings do it
    # at the same time.
    (build / "pytest-shards" / "hostile" / "collection.stamps.json").unlink()
    running = subprocess.Popen([args.ctest, "--test-dir", build, "-j", "2", "-L", "^hostile$"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    listing_env = dict(os.environ, PYTEST_SHARDS_SLICE="1/2")
    listings = 0
    while running.poll() is None:
        run(args.ctest, "--test-dir", build, "--show-only=json-v1", env=listing_env)
        listings += 1
    out = running.communicate()[0]
    check(running.returncode == 0 and listings >= 2,
          f"ctest -j 2 passed while {listings} listings with a slice planned anew", out)
    check_shard_run(read_evidence(build / "evidence" / "shards"), expected)
    report = run(tool, "report", "--suite-dir", build / "pytest-shards" / "hostile", check=False)
    check(report.returncode == 0 and f"{len(expected)} passed" in report.stdout,
          "report shows that run, not a listing", report.stdout + report.stderr)

    # The test-fast target: ctest on every core of this machine.
    shutil.rmtree(build / "evidence")
    fast = run(args.cmake, "--build", build, "--target", "test-fast", check=False)
    cores = os.cpu_count()
    check(fast.returncode == 0 and f"ctest -j {cores} (logical cores" in fast.stdout,
          f"the test-fast target ran ctest -j {cores} and passed", fast.stdout + fast.stderr)
    again = collections.Counter(r["nodeid"] for r in read_evidence(build / "evidence" / "shards"))
    check(sorted(again) == sorted(expected), "test-fast ran the whole suite")
    print("consumer end-to-end: all checks passed")


if __name__ == "__main__":
    main()

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

usage: consumer_check.py --cmake CMAKE --ctest CTEST --build-dir PYTEST_SHARDS_BUILD
                         --work DIR --python PYTHON
"""
import argparse
import collections
import itertools
import json
import os
import pathlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

HERE = pathlib.Path(__file__).resolve().parent
SUITE = HERE / "consumer" / "suite"


def run(*argv, **kwargs):
    print("+", " ".join(str(a) for a in argv), flush=True)
    return subprocess.run([str(a) for a in argv], check=True, **kwargs)


def collected_node_ids(python):
    """What plain pytest collects, independent of pytest-shards."""
    out = subprocess.run(
        [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-o", "addopts="],
        cwd=SUITE, check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "::" in line]


def read_evidence(directory):
    records = []
    for path in sorted(pathlib.Path(directory).glob("*.jsonl")):
        records += [json.loads(line) for line in path.read_text().splitlines()]
    return records


def overlaps(a, b):
    return a["start"] < b["end"] and b["start"] < a["end"]


def check(condition, message):
    if not condition:
        sys.exit(f"FAILED: {message}")
    print(f"ok: {message}")


def check_shard_run(records, expected):
    counts = collections.Counter(r["nodeid"] for r in records)
    check(sorted(counts) == sorted(expected) and set(counts.values()) == {1},
          f"each of the {len(expected)} collected node IDs ran exactly once "
          f"(missing: {sorted(set(expected) - set(counts))[:5]}, "
          f"twice: {[n for n, c in counts.items() if c > 1][:5]}, "
          f"unexpected: {sorted(set(counts) - set(expected))[:5]})")
    by_lock = collections.defaultdict(list)
    for r in records:
        if r["lock"]:
            by_lock[r["lock"]].append(r)
    check(sorted(by_lock) == ["db", "serial"], f"serial tests ran under locks {sorted(by_lock)}")
    for lock, runs in by_lock.items():
        clashes = [(a["nodeid"], b["nodeid"]) for a, b in itertools.combinations(runs, 2)
                   if overlaps(a, b)]
        check(not clashes, f"serial tests of lock {lock!r} never overlapped {clashes[:2]}")
    concurrent = [(a, b) for a, b in itertools.combinations(records, 2)
                  if a["shard"] != b["shard"] and overlaps(a, b)]
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


def ctest_names(ctest, build, label=None):
    out = subprocess.run([ctest, "--test-dir", build, "--show-only=json-v1"]
                         + (["-L", label] if label else []),
                         check=True, capture_output=True, text=True).stdout
    return [t["name"] for t in json.loads(out)["tests"]]


def check_timeline(tool, build, work, ctest):
    """`report --html` after the `ctest -j 2` of every suite: the page parses
    as XML, fetches nothing, and has one bar per CTest entry on 2 lanes."""
    page = work / "timeline.html"
    report = subprocess.run([tool, "report", "--build-dir", build, "--html", page],
                            capture_output=True, text=True)
    check(report.returncode == 0 and page.is_file(),
          "report --html wrote the timeline\n" + report.stdout + report.stderr)
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
    parser = argparse.ArgumentParser()
    for option in ("--cmake", "--ctest", "--build-dir", "--work", "--python"):
        parser.add_argument(option, required=True)
    args = parser.parse_args()
    work = pathlib.Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    prefix, build = work / "prefix", work / "build"
    run(args.cmake, "--install", args.build_dir, "--prefix", prefix)
    run(args.cmake, "-S", HERE / "consumer", "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}",
        f"-DPython3_EXECUTABLE={args.python}")
    result = subprocess.run([args.ctest, "--test-dir", build, "-j", "2", "--output-on-failure"])
    check(result.returncode == 0, "ctest -j 2 in the consumer project passed")
    check_timeline(prefix / "bin" / "pytest-shards", build, work, args.ctest)

    expected = collected_node_ids(args.python)
    check_shard_run(read_evidence(build / "evidence" / "shards"), expected)

    hostile = [n for n in expected if n.startswith("tests/test_hostile.py::")]
    names = ctest_names(args.ctest, build, "hostile-ide")
    check(sorted(names) == sorted(f"hostile-ide/{n}" for n in hostile),
          f"GRANULARITY test: one CTest entry named <suite>/<node ID> for each of the "
          f"{len(hostile)} hostile node IDs")
    ide = collections.Counter(r["nodeid"] for r in read_evidence(build / "evidence" / "ide"))
    check(sorted(ide) == sorted(hostile) and set(ide.values()) == {1},
          "each hostile node ID ran exactly once as its own entry")
    check(not (SUITE / "pwned").exists() and not (build / "pwned").exists(),
          "no node ID executed CMake code")

    # --pyargs from outside the package: every collected ID ran and passed.
    # After `ctest --show-only` above, which planned anew without running:
    # report still shows the run.
    pyargs = subprocess.run(
        [args.python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "--pyargs", "inventory"], cwd=HERE / "consumer" / "pyargs", capture_output=True,
        text=True).stdout
    pyargs_ids = sorted(line for line in pyargs.splitlines() if "::" in line)
    check(len(pyargs_ids) == 10 and not (HERE / "consumer" / "pyargs" / "tests").exists(),
          "--pyargs inventory names its 10 node IDs relative to the package")
    report = subprocess.run([prefix / "bin" / "pytest-shards", "report", "--suite-dir",
                             build / "pytest-shards" / "installed"], capture_output=True, text=True)
    check(report.returncode == 0 and "10 passed" in report.stdout,
          "--pyargs suite: report counts all 10 node IDs passed\n" + report.stdout + report.stderr)
    check(len(ctest_names(args.ctest, build, "pyargs")) == 2, "--pyargs suite: 2 shards")

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
        subprocess.run([args.ctest, "--test-dir", build, "--show-only=json-v1"],
                       env=listing_env, capture_output=True, check=True)
        listings += 1
    out = running.communicate()[0]
    check(running.returncode == 0 and listings >= 2,
          f"ctest -j 2 passed while {listings} listings with a slice planned anew"
          + ("" if running.returncode == 0 else "\n" + out))
    check_shard_run(read_evidence(build / "evidence" / "shards"), expected)
    report = subprocess.run([prefix / "bin" / "pytest-shards", "report", "--suite-dir",
                             build / "pytest-shards" / "hostile"], capture_output=True, text=True)
    check(report.returncode == 0 and f"{len(expected)} passed" in report.stdout,
          "report shows that run, not a listing\n" + report.stdout + report.stderr)

    # The test-fast target: ctest on every core of this machine.
    shutil.rmtree(build / "evidence")
    fast = subprocess.run([args.cmake, "--build", build, "--target", "test-fast"],
                          capture_output=True, text=True)
    cores = os.cpu_count()
    check(fast.returncode == 0 and f"ctest -j {cores} (logical cores" in fast.stdout,
          f"the test-fast target ran ctest -j {cores} and passed")
    again = collections.Counter(r["nodeid"] for r in read_evidence(build / "evidence" / "shards"))
    check(sorted(again) == sorted(expected), "test-fast ran the whole suite")
    print("consumer end-to-end: all checks passed")


if __name__ == "__main__":
    main()

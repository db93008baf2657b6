"""End-to-end: a shard's port range is its own on the whole machine. Two
build trees of one project (the same PORT_BASE) run `ctest -j 2` each at the
same time, over several rounds. Every test listens on all the ports of its
shard's range while it runs (as a test server would), so two shards that
shared a range would fail with EADDRINUSE. This check proves that

- in every round both runs pass, each node ID ran once in each tree, and no
  two tests that ran at the same time had ranges that overlap; as a control,
  tests of the two trees did run at the same time,
- two ctest runs in one build tree at the same time pass too, and a slot
  with a port that something outside pytest-shards listens on is skipped,
- a runner killed with SIGKILL while it holds a range: while it lived the
  other tree's shards got other ranges; after, they get its range again
  (the kernel dropped the lock: no stale lock file blocks it).

The options are harness.py's.
"""
import json
import os
import signal
import socket
import subprocess
import time

from harness import (arguments, check, check_once, configure, install, overlapped, read_evidence,
                     start)

PORT_BASE = 29000  # an area the other checks do not use, below the ephemeral ports
PORTS = 7
SHARDS = 3  # with -j 2, leases are let go and taken while the other tree holds its own
ROUNDS = 3
TESTS = [f"tests/test_{f}.py::test_{t}" for f in range(SHARDS) for t in range(2)]
ONE_ENTRY = "^bind/shard-0+$"

CMAKELISTS = f'''cmake_minimum_required(VERSION 3.25...4.3)
project(ports_e2e NONE)
enable_testing()
find_package(PytestShards 1.0 REQUIRED)
pytest_shard_tests(bind
  WORKING_DIRECTORY ${{CMAKE_CURRENT_SOURCE_DIR}}/suite
  SHARDS {SHARDS} PORT_BASE {PORT_BASE} PORTS_PER_SHARD {PORTS}
  ENVIRONMENT "EVIDENCE_DIR=${{CMAKE_BINARY_DIR}}/evidence" "TREE=${{CMAKE_BINARY_DIR}}"
  TIMEOUT 300)
pytest_shard_tests(holder
  WORKING_DIRECTORY ${{CMAKE_CURRENT_SOURCE_DIR}}/holder
  SHARDS 1 PORT_BASE {PORT_BASE} PORTS_PER_SHARD {PORTS}
  TIMEOUT 300)
'''

# Listens on every port of the shard's range for HOLD seconds: a shard that
# shares its range with another one at the same time fails to bind.
CONFTEST = '''
import contextlib
import json
import os
import socket
import time

import pytest

HOLD = 0.3


@pytest.fixture(autouse=True)
def listen_on_the_range(request):
    base = int(os.environ["PYTEST_SHARD_PORT_BASE"])
    count = int(os.environ["PYTEST_SHARD_PORT_COUNT"])
    start = time.time()
    with contextlib.ExitStack() as stack:
        for port in range(base, base + count):
            server = stack.enter_context(socket.socket())
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", port))
            server.listen()
        time.sleep(HOLD)
        yield
    line = {"nodeid": request.node.nodeid, "tree": os.environ["TREE"], "base": base,
            "count": count, "pid": os.getpid(), "start": start, "end": time.time()}
    evidence = os.environ["EVIDENCE_DIR"]
    os.makedirs(evidence, exist_ok=True)
    with open(os.path.join(evidence, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\\n")
'''

# Writes its shard's range and its runner's pid to HOLD_FILE, then waits
# until the runner is gone.
HOLDER = '''
import json
import os
import time


def test_hold():
    runner = os.getppid()
    record = {"base": int(os.environ["PYTEST_SHARD_PORT_BASE"]), "runner": runner}
    path = os.environ["HOLD_FILE"]
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        json.dump(record, out)
    os.replace(path + ".tmp", path)
    deadline = time.monotonic() + 300
    while os.getppid() == runner and time.monotonic() < deadline:
        time.sleep(0.1)
'''


def write_project(root):
    (root / "suite" / "tests").mkdir(parents=True)
    (root / "holder").mkdir()
    (root / "CMakeLists.txt").write_text(CMAKELISTS)
    (root / "suite" / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (root / "suite" / "tests" / "conftest.py").write_text(CONFTEST)
    for f in range(SHARDS):
        (root / "suite" / "tests" / f"test_{f}.py").write_text(
            "".join(f"def test_{t}():\n    pass\n\n\n" for t in range(2)))
    (root / "holder" / "test_hold.py").write_text(HOLDER)


def start_ctest(args, build, tests="^bind/"):
    """ctest -j 2 of the bind suite (or of the entries `tests` matches),
    started in a session of its own."""
    argv = [args.ctest, "--test-dir", build, "-j", "2", "-R", tests, "--output-on-failure"]
    print("+", " ".join(map(str, argv)), flush=True)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def finish(runs, where):
    """Waits for the ctest runs; each must pass."""
    for name, process in runs:
        out, _ = process.communicate(timeout=600)
        check(process.returncode == 0, f"{where}: ctest of {name} passed", out[-6000:])


def clear_evidence(*builds):
    for build in builds:
        for path in (build / "evidence").glob("*.jsonl"):
            path.unlink()


def ranges_overlap(a, b):
    return a["base"] < b["base"] + b["count"] and b["base"] < a["base"] + a["count"]


def check_ranges(records, where):
    """No two tests of different pytest processes that ran at the same time
    had overlapping ranges; returns how many pairs of the two trees ran at
    the same time."""
    clashes, across = [], 0
    for i, a in enumerate(records):
        for b in records[i + 1:]:
            if a["pid"] == b["pid"] or not overlapped(a, b):
                continue
            across += a["tree"] != b["tree"]
            if ranges_overlap(a, b):
                clashes.append((a, b))
    check(not clashes, f"{where}: no two tests at the same time shared a port", str(clashes[:2]))
    return across


def two_trees(args, trees):
    across = 0
    for n in range(1, ROUNDS + 1):
        clear_evidence(*trees)
        finish([(b.name, start_ctest(args, b)) for b in trees], f"round {n}")
        records = []
        for build in trees:
            mine = read_evidence(build / "evidence")
            check_once([r["nodeid"] for r in mine], TESTS,
                       f"round {n}: each node ID ran once in {build.name}")
            records += mine
        across += check_ranges(records, f"round {n}")
    check(across > 0, f"control: tests of the two trees ran at the same time ({across} pairs)")


def one_tree_twice(args, build):
    clear_evidence(build)
    with socket.socket() as outsider:
        # Something that is no shard listens inside the first slot.
        outsider.bind(("127.0.0.1", PORT_BASE + 2))
        outsider.listen()
        finish([(f"{build.name} ({n})", start_ctest(args, build)) for n in (1, 2)],
               "one tree, two runs")
    records = read_evidence(build / "evidence")
    counts = {nodeid: sum(r["nodeid"] == nodeid for r in records) for nodeid in TESTS}
    check(len(records) == 2 * len(TESTS) and set(counts.values()) == {2},
          f"one tree, two runs: each node ID ran twice ({counts})")
    check_ranges(records, "one tree, two runs")
    bases = sorted({r["base"] for r in records})
    check(PORT_BASE not in bases, f"the slot with a port in use outside pytest-shards was "
          f"skipped (bases {bases})")


def killed_holder(args, holder_tree, other):
    hold_file = holder_tree / "hold.json"
    env = dict(os.environ, HOLD_FILE=str(hold_file))
    argv = [args.ctest, "--test-dir", holder_tree, "-R", "^holder/"]
    print("+", " ".join(map(str, argv)), flush=True)
    holder = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not hold_file.exists() and holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        check(hold_file.exists(), "the holder's test runs and holds a range",
              "" if holder.poll() is None else holder.communicate()[0].decode()[-3000:])
        held = json.loads(hold_file.read_text())
        clear_evidence(other)
        finish([(other.name, start_ctest(args, other, ONE_ENTRY))], "beside the holder")
        bases = sorted({r["base"] for r in read_evidence(other / "evidence")})
        check(held["base"] not in bases,
              f"while the holder lives, the other tree's shards get other ranges "
              f"(holder {held['base']}, theirs {bases})")
        os.kill(held["runner"], signal.SIGKILL)
        print(f"killed the holder's runner (pid {held['runner']}) with SIGKILL", flush=True)
    finally:
        os.killpg(holder.pid, signal.SIGKILL)  # its ctest and pytest as well
        holder.wait()
    clear_evidence(other)
    finish([(other.name, start_ctest(args, other, ONE_ENTRY))], "after the holder was killed")
    bases = sorted({r["base"] for r in read_evidence(other / "evidence")})
    check(held["base"] in bases,
          f"the killed holder's range is leased again (holder {held['base']}, now {bases})")


def main():
    args = start(arguments(__doc__))
    prefix = install(args)
    project = args.work / "project"
    write_project(project)
    trees = [args.work / "tree-a", args.work / "tree-b"]
    for build in trees:
        configure(args, project, build, prefix)
    two_trees(args, trees)
    one_tree_twice(args, trees[0])
    killed_holder(args, trees[0], trees[1])


if __name__ == "__main__":
    main()

"""A small consumer project for the end-to-end checks of cores and CI slices
(cores_check.py, ci_check.py): FILES test modules of TESTS tests each, every
test sleeping SLEEP seconds and recording, in EVIDENCE_DIR, its node ID, its
shard and when it started and ended, so that a check can prove from the
suite's own evidence which tests ran, how often, and whether two ran at
once. The checks' common helpers are harness.py's."""
import os

import harness

FILES, TESTS = 6, 2

TEST_MODULE = '''
import json
import os
import pathlib
import time


def record(nodeid, start):
    end = time.time()
    evidence = pathlib.Path(os.environ["EVIDENCE_DIR"])
    evidence.mkdir(parents=True, exist_ok=True)
    line = {{"nodeid": nodeid, "shard": os.environ.get("PYTEST_SHARD_INDEX"),
             "pid": os.getpid(), "start": start, "end": end}}
    with open(evidence / f"{{os.getpid()}}.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\\n")

{tests}'''

TEST = '''
def test_{n}(request):
    start = time.time()
    time.sleep({sleep})
    record(request.node.nodeid, start)
'''

CMAKELISTS = '''cmake_minimum_required(VERSION 3.25...4.3)
project(timed_e2e NONE)
enable_testing()
find_package(PytestShards 1.0 REQUIRED)
set(SUITE_ARGS "" CACHE STRING "extra pytest arguments (another collection)")
set(DURATIONS "" CACHE STRING "the suite's DURATIONS_FILE, if any")
pytest_shard_tests(timed
  WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/suite
  SHARDS ${SHARDS}
  ARGS ${SUITE_ARGS}
  DURATIONS_FILE "${DURATIONS}"
  ENVIRONMENT "EVIDENCE_DIR=${CMAKE_BINARY_DIR}/evidence"
  TIMEOUT 300)
'''


def write_project(root, sleep, shards="auto"):
    """The project's source tree under root; returns its node IDs."""
    suite = root / "suite" / "tests"
    suite.mkdir(parents=True, exist_ok=True)
    (root / "suite" / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    ids = []
    for f in range(FILES):
        tests = "".join(TEST.format(n=t, sleep=sleep) for t in range(TESTS))
        (suite / f"test_{f}.py").write_text(TEST_MODULE.format(tests=tests))
        ids += [f"tests/test_{f}.py::test_{t}" for t in range(TESTS)]
    (root / "CMakeLists.txt").write_text(CMAKELISTS.replace("${SHARDS}", str(shards)))
    return ids


def presets_file(prefix):
    """The installed presets/pytest-shards.json."""
    (found,) = prefix.glob("**/presets/pytest-shards.json")
    return found


def evidence(build):
    """Every record of the tests that ran in this build tree."""
    return harness.read_evidence(build / "evidence")


def overlapping(records):
    """Pairs of tests of different pytest processes whose intervals overlap."""
    return [(a["nodeid"], b["nodeid"]) for i, a in enumerate(records) for b in records[i + 1:]
            if a["pid"] != b["pid"] and harness.overlapped(a, b)]


# Not PYTEST_ADDOPTS: harness.start() sets it, to keep the user's plugins out.
CI_VARIABLES = ("PYTEST_SHARDS_SLICE", "PYTEST_SHARDS_CORES", "PYTEST_SHARDS_PRESET_JOBS",
                "CTEST_PARALLEL_LEVEL", "CI_NODE_INDEX", "CI_NODE_TOTAL",
                "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", "BUILDKITE_PARALLEL_JOB",
                "BUILDKITE_PARALLEL_JOB_COUNT", "SYSTEM_JOBPOSITIONINPHASE",
                "SYSTEM_TOTALJOBSINPHASE")


def clean_env(**extra):
    """This environment without anything that chooses cores or slices."""
    env = {k: v for k, v in os.environ.items() if k not in CI_VARIABLES}
    env.update(extra)
    return env

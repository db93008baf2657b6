"""End-to-end: "all cores" are the cores ctest may use. Under the parallel
preset (presets/pytest-shards.json), this check proves from the suite's own
evidence (each test records when it started and ended) that

- as a control, with two or more CPUs, tests of different entries ran at
  the same time (the evidence can see concurrency),
- `taskset -c 0 ctest --preset <parallel>` never ran two entries at once,
  and its resource spec file has one `cores` slot,
- `PYTEST_SHARDS_CORES=1 ctest --preset <parallel>` neither,
- every node ID ran exactly once in each run,
- `pytest-shards cores` prints 1 under taskset -c 0, N for
  PYTEST_SHARDS_CORES=N, and a one-line error for a malformed value.

usage: cores_check.py --cmake CMAKE --ctest CTEST --build-dir PYTEST_SHARDS_BUILD
                      --work DIR --python PYTHON
"""
import collections
import json
import os
import shutil

from timed_suite import (check, clean_env, evidence, install, overlapping, parse_args,
                         presets_file, run, write_project)


def preset_run(args, project, build, where, *prefix, env=None):
    """ctest --preset timed-parallel, maybe under `prefix` (taskset); returns
    the pairs of tests of different entries that overlapped."""
    shutil.rmtree(build / "evidence", ignore_errors=True)
    result = run([*prefix, args.ctest, "--preset", "timed-parallel"], ok=False, cwd=project,
                 env=env or clean_env())
    check(result.returncode == 0, f"{where}: ctest --preset passed",
          result.stdout[-3000:] + result.stderr[-3000:])
    records = evidence(build)
    counts = collections.Counter(r["nodeid"] for r in records)
    check(sorted(counts) == sorted(args.ids) and set(counts.values()) == {1},
          f"{where}: each of the {len(args.ids)} node IDs ran exactly once", str(counts))
    return overlapping(records)


def spec_cores(build):
    spec = json.loads((build / "pytest-shards" / "resource-spec.json").read_text())
    return spec["local"][0]["cores"][0]["slots"]


def check_cores_command(tool):
    one = run(["taskset", "-c", "0", tool, "cores"], env=clean_env()).stdout.strip()
    check(one == "1", f"taskset -c 0 pytest-shards cores: 1 ({one})")
    three = run([tool, "cores"], env=clean_env(PYTEST_SHARDS_CORES="3")).stdout.strip()
    check(three == "3", f"PYTEST_SHARDS_CORES=3 pytest-shards cores: 3 ({three})")
    bad = run([tool, "cores"], ok=False, env=clean_env(PYTEST_SHARDS_CORES="x"))
    check(bad.returncode == 1 and bad.stderr.count("\n") == 1 and
          "PYTEST_SHARDS_CORES='x' is not a positive whole number" in bad.stderr,
          "PYTEST_SHARDS_CORES=x: one-line error, exit 1", bad.stderr)


def main():
    args = parse_args()
    work = args.work
    prefix = work / "prefix"
    tool = install(args.cmake, args.build_dir, prefix)
    check_cores_command(tool)

    project, build = work / "project", work / "build"
    args.ids = write_project(project, sleep=0.5, shards=4)
    presets = {
        "version": 6,
        "include": [str(presets_file(prefix))],
        "configurePresets": [{"name": "timed", "binaryDir": str(build),
                              "cacheVariables": {"CMAKE_PREFIX_PATH": str(prefix),
                                                 "Python3_EXECUTABLE": args.python}}],
        "testPresets": [{"name": "timed-parallel", "configurePreset": "timed",
                         "inherits": "pytest-shards-parallel"}],
    }
    (project / "CMakePresets.json").write_text(json.dumps(presets, indent=2))
    run([args.cmake, "--preset", "timed"], cwd=project, env=clean_env())

    if len(os.sched_getaffinity(0)) >= 2:
        pairs = preset_run(args, project, build, "control, all CPUs")
        check(pairs, f"control: tests of different entries ran at the same time "
                     f"({len(pairs)} overlapping pairs)")
    else:
        print("skip: the control needs two CPUs")
    pairs = preset_run(args, project, build, "taskset -c 0", "taskset", "-c", "0")
    check(not pairs, "taskset -c 0: no two entries ran at once", str(pairs[:3]))
    check(spec_cores(build) == 1, "taskset -c 0: the resource spec file has 1 cores slot")
    pairs = preset_run(args, project, build, "PYTEST_SHARDS_CORES=1",
                       env=clean_env(PYTEST_SHARDS_CORES="1"))
    check(not pairs, "PYTEST_SHARDS_CORES=1: no two entries ran at once", str(pairs[:3]))
    check(spec_cores(build) == 1, "PYTEST_SHARDS_CORES=1: the resource spec file has 1 cores slot")


if __name__ == "__main__":
    main()

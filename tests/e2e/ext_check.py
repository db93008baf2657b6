"""End-to-end: a project that builds what its tests import. Installs
pytest-shards, copies tests/e2e/ext (a C extension module, `sizes`, that
the suite's conftest imports and whose SIZES its tests are parametrized
over; a session fixture that may run once per process; filterwarnings =
error) and, from a fresh tree, proves that

1. configure succeeds without the module (DEPENDS: the build collects);
2. ctest before the build fails with one line per suite saying to build
   first, and runs nothing else;
3. after `cmake --build`, `ctest -j 2` passes, and every suite
   (GRANULARITY shard, file and test) ran exactly the node IDs plain pytest
   collects, each with plain pytest's outcome (tools/bench/parity.py);
4. after a change of the C source that changes node IDs and a plain
   rebuild, the next ctest runs exactly the new node IDs, again with plain
   pytest's outcomes.

--warm sets WARM of the file and test suites (default AUTO: then their
entries must have run warm, forked from the warm interpreter).

usage: ext_check.py --cmake CMAKE --ctest CTEST --build-dir PYTEST_SHARDS_BUILD
                    --work DIR --python PYTHON [--warm AUTO|ON|OFF]
"""
import pathlib
import re
import shutil
import sys

import harness
from harness import HERE, REPO, check, run

PARITY = REPO / "tools" / "bench" / "parity.py"
SUITES = [f"ext-{granularity}" for granularity in ("shard", "file", "test")]


def ran_node_ids(build, suite):
    """The node IDs the suite's latest run started (its journals)."""
    run_dir = harness.newest_run(build / "pytest-shards" / suite)
    records = harness.read_evidence(run_dir / "journal", "*.jsonl")
    return [r["nodeid"] for r in records if r.get("event") == "start"]


def check_run(args, build, src, when):
    done = run(args.ctest, "--test-dir", build, "-j", "2", "-V", check=False)
    check(done.returncode == 0, f"{when}: ctest -j 2 passes", done.stdout[-4000:] + done.stderr)
    if args.warm != "OFF":
        cold = [line for line in done.stdout.splitlines() if "warm interpreter unavailable" in line]
        check(not cold, f"{when}: the file and test entries ran warm (WARM {args.warm})",
              "\n".join(cold[:3]))
    expected = harness.collected_node_ids(args.python, build, src / "tests")
    for suite in SUITES:
        harness.check_once(ran_node_ids(build, suite), expected,
                           f"{when}: {suite} ran exactly the {len(expected)} node IDs that plain "
                           "pytest collects, each once")
    argv = [args.python, PARITY, "--build-dir", build, "--ctest", args.ctest, "-j", "2"]
    for suite in SUITES:
        argv += ["--suite", suite]
    done = run(*argv, check=False)
    last = (done.stdout.strip().splitlines() or [""])[-1]
    check(done.returncode == 0 and re.fullmatch(r"[1-9][0-9]* tests, 0 differences", last),
          f"{when}: every test's outcome in every granularity equals plain pytest's ({last})",
          done.stdout[-4000:] + done.stderr)
    return expected


def main():
    parser = harness.arguments(__doc__)
    parser.add_argument("--warm", default="AUTO", choices=("AUTO", "ON", "OFF"))
    args = harness.start(parser)
    include = run(args.python, "-c", "import sysconfig; print(sysconfig.get_path('include'))")
    if not (pathlib.Path(include.stdout.strip()) / "Python.h").exists():
        print(f"skipped: no Python.h for {args.python} (Debian: apt-get install python3-dev)")
        return 77
    src, build = args.work / "src", args.work / "build"
    shutil.copytree(HERE / "ext", src, ignore=shutil.ignore_patterns("__pycache__"))
    prefix = harness.install(args)

    done = harness.configure(args, src, build, prefix, f"-DEXT_WARM={args.warm}", check=False)
    out = done.stdout + done.stderr
    check(done.returncode == 0 and "collected by the build once sizes are built" in out,
          "a fresh tree configures, without the module, and says the build collects", out)
    check(not any((build / "pytest-shards" / s / "collection.json").exists() for s in SUITES),
          "configure collected nothing")

    done = run(args.ctest, "--test-dir", build, "-j", "2", check=False)
    out = done.stdout + done.stderr
    lines = [line for line in out.splitlines() if "build first" in line and "pytest-shards:" in line]
    failed = re.findall(r"Test +#\d+: (\S+) ", out)
    check(done.returncode != 0 and len(lines) == len(SUITES)
          and sorted(failed) == sorted(f"{s}/build-first" for s in SUITES),
          f"ctest before the build says to build first, one line per suite: {lines[:1]}", out)

    run(args.cmake, "--build", build)
    before = check_run(args, build, src, "fresh tree")
    check("test_sizes.py::test_square[3]" in before, "the tests are parametrized over SIZES")

    source = src / "sizes.c"
    source.write_text(source.read_text().replace("{1, 2, 3}", "{1, 2, 5, 8}"))
    run(args.cmake, "--build", build)
    after = check_run(args, build, src, "after the C source changed SIZES and a rebuild")
    check("test_sizes.py::test_square[8]" in after and "test_sizes.py::test_square[3]" not in after,
          "plain pytest collects the new node IDs (test_square[8], no test_square[3])")
    print("ext end-to-end: all checks passed")


if __name__ == "__main__":
    sys.exit(main())

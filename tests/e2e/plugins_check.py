"""End-to-end: a user's pytest plugin, loaded by pytest on its own (a
setuptools entry point in group pytest11, as Debian's python3-astropy installs
eight). A stand-in for pytest-astropy, written into a directory on
PYTHONPATH, skips the tests marked `slow` unless --run-slow is given and
offers a fixture. With it active, this check proves that

1. plain pytest loads it (the stand-in does what the real plugin does);
2. pytest-shards gives plain pytest's verdicts, test by test, in GRANULARITY
   shard, file and test (tools/bench/parity.py on tests/e2e/plugins): the
   skips and the plugin's fixture included;
3. the project's own checks still pass: the consumer check and the plugin's
   round trip of collected node IDs through a shard, whose suites mark tests
   `slow` (tests/own_plugins.py keeps the user's plugins out of them).
"""
import os
import re
import sys

from harness import (HERE, REPO, arguments, check, configure, install, run, start)

PARITY = REPO / "tools" / "bench" / "parity.py"
sys.path.insert(0, str(PARITY.parent))
import parity  # noqa: E402

PROJECT = HERE / "plugins"
SUITES = ("culprit-shard", "culprit-file", "culprit-test")
SKIPPED = 3  # the tests of tests/e2e/plugins marked slow

CULPRIT = '''
import pytest


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: mark test as slow to run")


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="need --run-slow option to run")
    for item in items:
        if "slow" in item.keywords and not config.getoption("--run-slow"):
            item.add_marker(skip)


@pytest.fixture
def culprit_value():
    return 42
'''


def install_culprit(site):
    """The stand-in plugin as pip would install it: a module and its
    .dist-info, whose entry point pytest loads into every session."""
    info = site / "shards_culprit-1.0.dist-info"
    info.mkdir(parents=True)
    (site / "shards_culprit.py").write_text(CULPRIT)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: shards-culprit\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nshards_culprit = shards_culprit\n")


def check_active(args, env):
    out = run(args.python, "-m", "pytest", "-p", "no:cacheprovider", "-rs",
              cwd=PROJECT / "suite", env=env).stdout
    check(f"2 passed, {SKIPPED} skipped" in out and "need --run-slow" in out,
          "plain pytest loads the stand-in plugin: it skips the slow tests", out)


def check_parity(args, build, env):
    argv = [args.python, PARITY, "--build-dir", build, "--ctest", args.ctest, "-j", "2"]
    for suite in SUITES:
        argv += ["--suite", suite]
    done = run(*argv, check=False, env=env)
    print(done.stdout + done.stderr, flush=True)
    last = (done.stdout.splitlines() or [""])[-1]
    check(done.returncode == 0 and re.fullmatch(r"[1-9][0-9]* tests, 0 differences", last),
          "with the plugin active, every outcome under shard, file and test equals plain "
          "pytest's", done.stdout[-3000:] + done.stderr)
    for suite in SUITES:
        journal = build / "pytest-shards" / suite / "parity" / "pytest-journal.jsonl"
        outcomes = [r["outcome"] for r in parity.read_journal(journal)]
        check(outcomes.count("skipped") == SKIPPED and outcomes.count("passed") == 2,
              f"{suite}: the comparison saw the plugin's skips and fixture ({outcomes})")


def check_own_checks(args, env):
    consumer = run(args.python, HERE / "consumer_check.py", "--cmake", args.cmake, "--ctest",
                   args.ctest, "--build-dir", args.build_dir, "--work", args.work / "consumer",
                   "--python", args.python, check=False, env=env)
    check(consumer.returncode == 0, "with the plugin installed, the consumer check passes",
          consumer.stdout[-4000:] + consumer.stderr[-2000:])
    plugin = run(args.python, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                 "test_plugin.py", "-k", "round_trip", cwd=REPO / "tests" / "plugin",
                 check=False, env=env)
    check(plugin.returncode == 0 and " passed" in plugin.stdout,
          "with the plugin installed, the plugin's round trip through a shard passes",
          plugin.stdout[-4000:] + plugin.stderr[-2000:])


def main():
    args = start(arguments(__doc__))
    site = args.work / "site"
    install_culprit(site)
    path = [str(site)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    check_active(args, env)
    build = args.work / "build"
    prefix = install(args)
    done = configure(args, PROJECT, build, prefix, check=False, env=env)
    check(done.returncode == 0, "the plugins project configured", done.stdout + done.stderr)
    check_parity(args, build, env)
    check_own_checks(args, env)
    print("plugins end-to-end: all checks passed")


if __name__ == "__main__":
    main()

"""A stand-in for pytest-randomly, which Debian bookworm does not package,
for the checks of one seed per run (tests/plugin/test_session_plugins.py,
tests/e2e/session_check.py): its --randomly-seed option, a seed drawn at
configure unless one is given, its header line, its shuffle of the tests
and its random.seed() before each test. With RANDOMLY_DRAWS=<file>, each
test's setup also appends what random.random() then gives to that file.

Loaded with `-p randomly_standin`, or copied as a conftest.py.
"""
import os
import random

import pytest


def pytest_addoption(parser):
    parser.addoption("--randomly-seed", default="default")


def pytest_configure(config):
    if config.option.randomly_seed == "default":
        config.option.randomly_seed = random.Random().getrandbits(32)
    config.option.randomly_seed = int(config.option.randomly_seed)


def pytest_report_header(config):
    return f"Using --randomly-seed={config.option.randomly_seed}"


def pytest_collection_modifyitems(config, items):
    random.Random(config.option.randomly_seed).shuffle(items)


# A fixture, not pytest_runtest_setup: copied as a conftest.py beside
# pytest.ini, its hooks would not reach tests in other directories.
@pytest.fixture(autouse=True)
def _randomly_reseed(pytestconfig):
    seed = pytestconfig.option.randomly_seed
    draws = os.environ.get("RANDOMLY_DRAWS")
    if draws:
        random.seed(seed)
        with open(draws, "a") as f:
            f.write(f"{random.random()}\n")
    random.seed(seed)

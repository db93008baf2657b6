import multiprocessing

import pytest

import sizes  # built by the project: collection waits for it (DEPENDS)


@pytest.fixture(scope="session", autouse=True)
def start_method():
    # Once per process, as pybind11's suite does: a second call raises
    # "context has already been set".
    multiprocessing.set_start_method("forkserver")
    yield


@pytest.fixture
def module():
    return sizes

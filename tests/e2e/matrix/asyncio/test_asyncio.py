"""pytest-asyncio (strict mode): async tests and an async fixture run in the
plugin's event loop; one fails; an unmarked coroutine is skipped, as pytest
skips coroutines no plugin handles."""
import asyncio

import pytest
import pytest_asyncio


@pytest_asyncio.fixture
async def value():
    await asyncio.sleep(0)
    yield 42


@pytest.mark.asyncio
async def test_async_fixture(value):
    assert value == 42


@pytest.mark.asyncio
async def test_loop_is_running():
    assert asyncio.get_running_loop().is_running()


@pytest.mark.asyncio
async def test_fails():
    await asyncio.sleep(0)
    assert 1 == 2


async def test_unmarked():
    pass

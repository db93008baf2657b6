"""Plain tests in the shapes whose `def` line an IDE must find: decorated,
parametrized, in classes, async, and a decorator spanning lines."""
import time

import pytest


def test_first():
    time.sleep(0.2)


@pytest.mark.slow
def test_slow():
    time.sleep(0.4)


@pytest.mark.parametrize(
    "n",
    [1, 2, 3],
)
@pytest.mark.network
def test_parametrized(n):
    time.sleep(0.1)
    assert n > 0


class TestThings:
    def test_method(self):
        time.sleep(0.1)

    @pytest.mark.slow
    def test_slow_method(self):
        time.sleep(0.3)


async def test_coroutine():
    # pytest without an asyncio plugin collects it and skips it.
    pass

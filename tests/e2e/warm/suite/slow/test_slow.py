import time

import pytest


@pytest.mark.parametrize("n", range(8))
def test_slow(n):
    time.sleep(1)

import time

import pytest


@pytest.mark.parametrize("i", range(200))
def test_many(i):
    time.sleep(0.01)

import time

import pytest


@pytest.mark.parametrize("i", range(50))
def test_other(i):
    time.sleep(0.01)

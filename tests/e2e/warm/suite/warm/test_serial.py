import time

import pytest


@pytest.mark.serial("db")
@pytest.mark.parametrize("n", range(4))
def test_serial(n):
    time.sleep(0.3)

import os
import time

import pytest


@pytest.mark.parametrize("n", range(24))
def test_plain(n, tmp_path, free_tcp_port):
    # Long enough that entries overlap under ctest -j 2 once the hang (5 s
    # in one of the two slots) is over.
    time.sleep(0.25)
    assert str(tmp_path).startswith(os.environ["TMPDIR"])
    base = int(os.environ["PYTEST_SHARD_PORT_BASE"])
    assert base <= free_tcp_port < base + int(os.environ["PYTEST_SHARD_PORT_COUNT"])

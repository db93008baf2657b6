import multiprocessing

import pytest

import messages


@pytest.mark.parametrize("n", range(8))
def test_once_per_process(n):
    assert multiprocessing.get_start_method() == "forkserver"


@pytest.mark.parametrize("n", range(4))
def test_streams_bound_at_import(n):
    # In a plain pytest these write to the files of pytest's global capture
    # that were sys.stdout and sys.stderr at import: still open.
    messages.errmess(f"errmess {n}\n")
    messages.outmess(f"outmess {n}\n")

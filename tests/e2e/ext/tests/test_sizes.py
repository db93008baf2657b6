import warnings

import pytest

import sizes


@pytest.mark.parametrize("n", sizes.SIZES)
def test_square(module, n):
    assert module.square(n) == n * n


def test_start_method():
    import multiprocessing
    assert multiprocessing.get_start_method() == "forkserver"


@pytest.mark.xfail(strict=True, reason="square keeps the sign? it does not")
def test_negative():
    assert sizes.square(-2) == -4


def test_warning_is_an_error():
    with pytest.raises(UserWarning):
        warnings.warn("under filterwarnings = error", UserWarning)

"""Ordinary tests in a file of their own."""
import pytest


@pytest.mark.parametrize("n", range(6))
def test_square(n):
    assert n * n == n ** 2


def test_tmp_path(tmp_path):
    (tmp_path / "f").write_text("x")
    assert (tmp_path / "f").read_text() == "x"

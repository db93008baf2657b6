"""A few tests for the Debian package's consumer: plain, parametrized, serial,
and one using a fixture of the plugin."""
import pytest


def test_plain():
    assert sum(range(4)) == 6


@pytest.mark.parametrize("n", range(3))
def test_parametrized(n):
    assert n * n >= n


@pytest.mark.serial
def test_serial():
    assert True


def test_plugin_fixture(shard_port_range):
    assert len(shard_port_range) > 0

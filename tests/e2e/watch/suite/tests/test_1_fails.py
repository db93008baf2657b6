"""Fails at once: watch must show it while test_2_waits still waits."""


def test_fails_at_once():
    assert 1 == 2

"""pytest-regressions in a module whose data directory (test_fresh_data/)
does not exist before its first run writes it."""


def test_first_check(data_regression):
    data_regression.check({"fresh": True})

"""Relies on checks/sibling/conftest.py, which pytest imports while it
collects, though no test of this directory is below it."""
import verdicts_state


def test_sibling_conftest_was_imported():
    assert verdicts_state.FLAGS.get("sibling_conftest") is True

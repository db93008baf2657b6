"""Relies on another test module having been imported: under pytest's
collection, test_register.py always is, once, before any test runs."""
import verdicts_state


def test_registry_has_the_other_module():
    assert [m for m in verdicts_state.REGISTRY if m.endswith("test_register")] != []


def test_registered_once():
    assert len(verdicts_state.REGISTRY) == 1, verdicts_state.REGISTRY

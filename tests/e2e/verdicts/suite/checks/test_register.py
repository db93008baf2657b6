"""Registers itself in the shared registry when it is imported, as plugin
modules and model definitions do."""
import verdicts_state

verdicts_state.REGISTRY.append(__name__)


def test_registered_here():
    assert __name__ in verdicts_state.REGISTRY

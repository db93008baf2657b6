"""Fails to import: a collection error, while the rest of the suite runs."""
import no_such_module_for_verdicts  # noqa: F401


def test_never_collected():
    pass

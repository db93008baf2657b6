"""The pytest plugins that the project's own tests let their inner pytest runs
load: those tools/install-deps.sh installs (pytest-xdist, pytest-cov for the
session outputs' checks), and no other.

pytest loads every installed plugin (setuptools entry points, group pytest11)
into every session. A machine with Debian's python3-astropy has eight more,
and one of them (pytest-astropy) skips every test marked `slow` unless
--run-slow is given: the suites under test would then not run what their
checks expect, and pytest-shards is right to skip them too, as plain pytest
does. The checks prove pytest-shards' behaviour, not the user's plugins', so
they block the others; e2e.plugins proves that this holds, and that
pytest-shards gives plain pytest's verdicts with such a plugin active.

Standard library only; shared by tests/e2e/harness.py and tests/plugin.
"""
from importlib import metadata

ALLOWED = ("xdist", "xdist.looponfail", "pytest_cov")


def foreign_plugins(allow=()):
    """The names of the installed pytest plugins that are not ALLOWED (nor
    in allow: a check of that plugin)."""
    names = {entry.name for entry in metadata.entry_points(group="pytest11")}
    return sorted(names - set(ALLOWED) - set(allow))


def blocking_addopts(allow=()):
    """PYTEST_ADDOPTS that keep pytest from loading the foreign plugins
    (`-p no:<name>`; an empty string where there are none)."""
    return " ".join(f"-p no:{name}" for name in foreign_plugins(allow))

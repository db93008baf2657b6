"""pytest-django names its test databases per pytest-xdist worker
(``test_<name>_gw0``, ...), but only from a worker's ``config.workerinput``,
which an entry of pytest-shards (a pytest session of its own) does not have:
entries running at the same time would create, use and destroy the same
test database on a server. Registered when pytest-django is loaded, this
fixture replaces pytest-django's of the same name and takes the suffix from
PYTEST_XDIST_WORKER too, which the runner sets per entry (``gw<index>``).
Without that variable (plain pytest) it does what pytest-django's does.
"""

import os

import pytest


@pytest.fixture(scope="session")
def django_db_modify_db_settings_xdist_suffix(request):
    from pytest_django import fixtures

    fixtures.skip_if_no_django()
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    suffix = worker or os.environ.get("PYTEST_XDIST_WORKER")
    if suffix:
        fixtures._set_suffix_to_test_databases(suffix=suffix)


def loaded(plugins):
    """Whether pytest-django is loaded (by its entry point or with -p)."""
    return plugins.has_plugin("django") or plugins.has_plugin("pytest_django")

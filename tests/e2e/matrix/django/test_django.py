"""pytest-django: the test database (created once per session, each test in a
transaction rolled back; one per xdist worker, and so one per entry), the
guard against database access without the mark, the settings fixture."""
import os
import re

import pytest
from django.db import connection
from django.conf import settings as django_settings
from django.contrib.auth.models import User


@pytest.mark.django_db
def test_create_user():
    User.objects.create_user("alice")
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_rolled_back():
    assert User.objects.count() == 0


def test_no_database_without_the_mark():
    User.objects.count()


def test_settings_fixture(settings):
    settings.USE_TZ = False
    assert not django_settings.USE_TZ


def test_settings_restored():
    assert django_settings.USE_TZ


@pytest.mark.django_db
def test_a_database_of_its_own():
    # Under an xdist worker, or a pytest-shards entry: the suffix of the
    # process's first entry (a warm worker keeps its session's database).
    name = connection.settings_dict["NAME"]
    if os.environ.get("PYTEST_XDIST_WORKER"):
        assert re.fullmatch(r"matrix_test\.sqlite3_gw\d+", name)
    else:
        assert name == "matrix_test.sqlite3"

"""A test that uses a fixture of a user's plugin (as pytest-mock's mocker)."""


def test_plugin_fixture(culprit_value):
    assert culprit_value == 42

"""pytest-instafail (--instafail in addopts): a failure is printed as it
happens; the verdicts are pytest's."""


def test_passes():
    pass


def test_fails():
    assert "instant" == "late"


def test_after_the_failure():
    pass

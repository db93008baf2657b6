# subset_check.py sets FAIL to True, then back.
FAIL = False


def test_one():
    pass


def test_two():
    assert not FAIL


def test_three():
    pass

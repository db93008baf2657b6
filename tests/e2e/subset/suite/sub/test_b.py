# subset_check.py sets FAIL to True, then back.
FAIL = False


def test_b1():
    assert not FAIL


def test_b2():
    pass

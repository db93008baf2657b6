def test_c():
    pass


def test_d():
    pass

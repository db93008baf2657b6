"""pytest-order: marks that put the tests of a module in another order than
their definitions. Each test records where it ran; the last one (order -1)
checks that it sees the others' records, in the marks' order."""
import pytest

ran = []


@pytest.mark.order(3)
def test_third():
    ran.append("third")


def test_unmarked():
    ran.append("unmarked")


@pytest.mark.order(1)
def test_first():
    ran.append("first")


@pytest.mark.order(after="test_first")
def test_after_first():
    ran.append("after_first")


@pytest.mark.order(2)
def test_second():
    ran.append("second")


@pytest.mark.order(-1)
def test_last_sees_the_order():
    assert ran == ["first", "second", "third", "unmarked", "after_first"]

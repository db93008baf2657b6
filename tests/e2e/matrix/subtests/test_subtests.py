"""pytest-subtests: subtests that fail inside a test whose own body passes
(pytest reports each failed subtest, and exits 1), subtests that all pass,
and unittest's subTest."""
import unittest


def test_some_subtests_fail(subtests):
    for i in range(4):
        with subtests.test(msg="even", i=i):
            assert i % 2 == 0


def test_all_subtests_pass(subtests):
    for i in range(3):
        with subtests.test(i=i):
            assert i < 3


class TestUnittest(unittest.TestCase):
    def test_sub_test(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertLess(i, 2)

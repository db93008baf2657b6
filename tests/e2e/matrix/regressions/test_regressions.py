"""pytest-regressions: data checked against a file kept in the source tree
(equal: passes; changed: fails), a check with no file yet (fails and writes
the file, so the next run passes), and a text file checked."""


def test_known(data_regression):
    data_regression.check({"name": "known", "values": [1, 2, 3]})


def test_changed(data_regression):
    data_regression.check({"name": "changed", "values": [1, 2, 4]})


def test_new(data_regression):
    data_regression.check({"name": "new", "nested": {"a": 1}})


def test_text(file_regression):
    file_regression.check("line one\nline two\n", extension=".txt")

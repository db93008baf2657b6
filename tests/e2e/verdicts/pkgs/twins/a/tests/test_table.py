"""Twin a: the same node IDs as twin b (tests/test_table.py::...), other verdicts."""
from verdicts_state import evidence  # noqa: F401 (an autouse fixture)

TABLE = {"x": 1}


def test_lookup():
    assert TABLE["x"] == 1


def test_same_in_both():
    assert len(TABLE) == 1

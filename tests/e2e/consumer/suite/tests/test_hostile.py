"""Node IDs that would break naive CMake quoting."""
import pytest

HOSTILE = [
    "semi;colon",
    "]==]",
    "]=]",
    "[[bracket]]",
    "${CMAKE_COMMAND}",
    "$ENV{HOME}",
    'double"quote',
    "single'quote",
    "back\\slash",
    "dollar$sign",
    "space d",
    "ünïcödé",
    "tab\tand\nnewline",
    ") file(WRITE pwned x) #",
]


@pytest.mark.parametrize("text", HOSTILE, ids=HOSTILE)
def test_hostile_id(text, tmp_path):
    (tmp_path / "value.txt").write_text(text, encoding="utf-8")
    assert (tmp_path / "value.txt").read_text(encoding="utf-8") == text


def test_ünïcode_name():
    assert "ü".upper() == "Ü"


class TestBrackets:
    @pytest.mark.parametrize("n", [1, 2])
    def test_in_class(self, n):
        assert n in (1, 2)

"""hypothesis: @given tests, one of which hypothesis falsifies and shrinks to
its minimal example (the same under every run: derandomize, no database)."""
from hypothesis import given, settings, strategies as st

deterministic = settings(derandomize=True, database=None)


@deterministic
@given(st.integers())
def test_integers(x):
    assert x + 0 == x


@deterministic
@given(st.lists(st.integers()))
def test_sorting_is_idempotent(xs):
    assert sorted(sorted(xs)) == sorted(xs)


@deterministic
@given(st.integers(min_value=0, max_value=1000))
def test_falsified(x):
    assert x < 500

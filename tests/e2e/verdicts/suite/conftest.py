"""Every test of checks/ leaves evidence that it ran (see verdicts_state)."""
from verdicts_state import evidence  # noqa: F401 (an autouse fixture)

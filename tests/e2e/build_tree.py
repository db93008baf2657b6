"""What pytest-shards keeps in a build tree, for the end-to-end checks: each
ctest start plans a new run in <build>/pytest-shards/<suite>/runs/<run id>/
(plan.json, tests.cmake, journal/<entry index>.jsonl)."""
import re


def run_dirs(suite_dir):
    """The suite's run directories, oldest first."""
    runs = suite_dir / "runs"
    if not runs.is_dir():
        return []
    found = [d for d in runs.iterdir() if re.fullmatch(r"\d+-\d+", d.name)]
    return sorted(found, key=lambda d: tuple(int(part) for part in d.name.split("-")))


def newest_run(suite_dir):
    """The run directory of the latest ctest start."""
    runs = run_dirs(suite_dir)
    assert runs, f"no run in {suite_dir}: ctest has not started"
    return runs[-1]

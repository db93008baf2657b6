"""Session outputs of the common plugins: what an entry keeps of them and
what the session step writes or prints once (session_parts.py, session.py),
compared with plain pytest on the same suite."""

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import own_plugins  # noqa: E402

FLAKY = """\
    import pathlib
    import pytest

    def test_a():
        pass

    def test_flaky():
        tried = pathlib.Path(__file__).with_name("tried")
        if not tried.exists():
            tried.write_text("once")
            assert False, "first try"

    @pytest.mark.flaky(reruns=2)
    def test_broken():
        assert False, "every try"
"""


def allowing(*plugins, **env):
    """The inner pytest's environment with these plugins loaded."""
    return dict(env, PYTEST_ADDOPTS=own_plugins.blocking_addopts(allow=plugins))


def junit(path):
    """(testsuite attributes but time and timestamp, [(classname, name,
    [(child tag, message, text)])], [properties of the suite])."""
    suite = ET.parse(path).getroot().find("testsuite")
    attributes = {k: v for k, v in suite.attrib.items() if k not in ("time", "timestamp", "hostname")}
    cases = [
        (c.get("classname"), c.get("name"),
         [(k.tag, k.get("message", ""), (k.text or "").strip()) for k in c],
         {k: v for k, v in c.attrib.items() if k != "time"})
        for c in suite.iter("testcase")
    ]
    properties = [(p.get("name"), p.get("value")) for p in suite.iterfind("properties/property")]
    return attributes, cases, properties


def summary_line(stdout):
    """pytest's last line without its time: "1 failed, 2 passed"."""
    return stdout.strip().splitlines()[-1].split(" in ")[0].strip("= ")


def test_reruns_journal_one_result_per_test_with_its_last_verdict(suite):
    pytest.importorskip("pytest_rerunfailures")
    suite.write("test_x.py", FLAKY)
    ids = ["test_x.py::test_a", "test_x.py::test_flaky", "test_x.py::test_broken"]
    _, records = suite.run_ids(ids, "--reruns", "1", env=allowing("rerunfailures"))
    results = {}
    for record in records:
        if record["event"] == "result":
            results.setdefault(record["nodeid"], []).append(record["outcome"])
    assert results == {ids[0]: ["passed"], ids[1]: ["passed"], ids[2]: ["failed"]}


def test_reruns_are_in_the_session_steps_summary_and_junit_as_in_pytest(suite):
    pytest.importorskip("pytest_rerunfailures")
    suite.write("test_x.py", FLAKY)
    ids = ["test_x.py::test_a", "test_x.py::test_flaky", "test_x.py::test_broken"]
    args = ("--reruns", "1", "-rR", "--junitxml=j.xml")
    env = allowing("rerunfailures")
    suite.entry("0", ids[1:], *args, env=env)
    suite.entry("1", ids[:1], *args, env=env)
    proc = suite.session_step(ids, *args, "-v", entries=["0", "1"], env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (suite.root / "tried").unlink()
    plain = suite.pytest(*args[:-1], "-v", "--junitxml=plain.xml", "-p", "no:cacheprovider", env=env)
    assert summary_line(proc.stdout) == summary_line(plain.stdout) == "1 failed, 2 passed, 3 rerun"
    verbose = [line for line in plain.stdout.splitlines() if line.startswith("test_x.py::")]
    assert [line for line in proc.stdout.splitlines() if line.startswith("test_x.py::")] == verbose
    assert "RERUN test_x.py::test_flaky" in proc.stdout
    assert junit(suite.root / "j.xml") == junit(suite.root / "plain.xml")

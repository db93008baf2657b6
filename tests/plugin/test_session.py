"""Session outputs: what the collector says a suite asks for, what an entry
keeps instead of writing (session_parts.py), and the session step that
replays the entries' parts (session.py)."""

import importlib.util
import json
import xml.etree.ElementTree as ET

import pytest

TESTS = """\
    import pytest

    def test_a():
        pass

    def test_b(record_property):
        record_property("k", "v")
        assert 1 == 2

    @pytest.mark.skip(reason="not today")
    def test_c():
        pass

    def test_d():
        print("hello")
"""


def junit_cases(path):
    suite = ET.parse(path).getroot().find("testsuite")
    return [(c.get("classname"), c.get("name"), [k.tag for k in c]) for c in suite.iter("testcase")]


def test_collector_names_the_session_outputs_of_args_and_run_args(suite):
    suite.write("test_x.py", TESTS)
    _, collection = suite.collect()
    assert collection["session"] == []
    _, collection = suite.collect("--junitxml=j.xml", "--durations=3")
    assert collection["session"] == ["junitxml", "durations"]
    _, collection = suite.collect(f"--shards-run-args={json.dumps(['--junitxml=j.xml'])}")
    assert collection["session"] == ["junitxml"]
    assert not (suite.root / "j.xml").exists()


def test_collector_names_the_session_files_as_absolute_paths(suite):
    suite.write("test_x.py", TESTS)
    _, collection = suite.collect("--junitxml=out/j.xml")
    assert collection["session_paths"] == {"junitxml": str(suite.root / "out" / "j.xml")}
    if importlib.util.find_spec("pytest_cov"):
        _, collection = suite.collect("--cov=.", env={"COVERAGE_FILE": "data/cov"})
        assert collection["session_paths"] == {"coverage": str(suite.root / "data" / "cov")}


def test_collector_names_coverage_unless_no_cov(suite):
    pytest.importorskip("pytest_cov")
    suite.write("test_x.py", TESTS)
    proc, collection = suite.collect("--cov=.")
    assert collection["session"] == ["coverage"]
    # Collection measures nothing, reports nothing, erases nothing.
    assert not (suite.root / ".coverage").exists() and "coverage:" not in proc.stdout
    _, collection = suite.collect("--cov=.", "--no-cov")
    assert collection["session"] == []


@pytest.mark.parametrize("option", ["--lf", "--ff", "--nf", "--sw"])
def test_collector_refuses_what_no_entry_can_honour(suite, option):
    suite.write("test_x.py", TESTS)
    proc = suite.pytest("--collect-only", "-q", f"--shards-collect-json={suite.root}/c.json", option)
    assert proc.returncode == 4
    assert f"{option} cannot be honoured" in proc.stderr
    assert not (suite.root / "c.json").exists()


def test_an_entry_keeps_its_reports_and_writes_no_junit(suite):
    suite.write("test_x.py", TESTS)
    proc = suite.entry("3", ["test_x.py::test_a", "test_x.py::test_b"], "--junitxml=j.xml")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert not (suite.root / "j.xml").exists()
    records = [json.loads(line) for line in (suite.root / "session/reports/3.jsonl").open()]
    # (and test_b's warning: record_property is incompatible with xunit2)
    assert [r["id"] for r in records if "warning" in r] == ["test_x.py::test_b"]
    assert [(r["id"], r["report"]["when"]) for r in records if "report" in r] == [
        (node_id, when)
        for node_id in ("test_x.py::test_a", "test_x.py::test_b")
        for when in ("setup", "call", "teardown")
    ]


def test_an_entry_measures_coverage_into_its_part_and_reports_nothing(suite):
    pytest.importorskip("pytest_cov")
    suite.write("test_x.py", TESTS)
    proc = suite.entry("0", ["test_x.py::test_a"], "--cov=.", "--cov-fail-under=100")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "coverage:" not in proc.stdout and "Required test coverage" not in proc.stdout
    parts = list((suite.root / "session/coverage").iterdir())
    assert [p.name.split(".")[0] for p in parts] == ["0"], parts
    assert not (suite.root / ".coverage").exists()


def test_session_step_writes_one_junit_file_in_collection_order(suite):
    suite.write("test_x.py", TESTS)
    order = ["test_x.py::test_a", "test_x.py::test_b", "test_x.py::test_c", "test_x.py::test_d"]
    suite.entry("0", ["test_x.py::test_b", "test_x.py::test_d"], "--junitxml=j.xml")
    suite.entry("1", ["test_x.py::test_a", "test_x.py::test_c"], "--junitxml=j.xml")
    proc = suite.session_step(order, "--junitxml=j.xml", entries=["0", "1"])
    # A failing test is the entry's verdict, not the session's.
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 failed, 2 passed, 1 skipped" in proc.stdout
    # Written under a temporary name, put in place before pytest names it.
    assert f"generated xml file: {suite.root / 'j.xml'} -" in proc.stdout
    plain = suite.root / "plain.xml"
    suite.pytest("--junitxml", plain, "-p", "no:cacheprovider")
    assert junit_cases(suite.root / "j.xml") == junit_cases(plain)


def test_session_step_gives_modules_skipped_whole_in_collection_order(suite):
    """Entries' parts come by entry; plain pytest's JUnit lists modules
    skipped as a whole (importorskip) in collection order."""
    for name in ("a", "b", "c"):
        suite.write(f"test_{name}.py", f"""
            import pytest
            pytest.importorskip("no_such_module_{name}")
        """)
    suite.write("test_x.py", TESTS)
    order = ["test_a.py", "test_b.py", "test_c.py", "test_x.py::test_a"]
    suite.entry("0", ["test_c.py", "test_x.py::test_a"], "--junitxml=j.xml")
    suite.entry("1", ["test_a.py", "test_b.py"], "--junitxml=j.xml")
    proc = suite.session_step(order, "--junitxml=j.xml", entries=["0", "1"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plain = suite.root / "plain.xml"
    suite.pytest("--junitxml", plain, "-p", "no:cacheprovider", "test_a.py", "test_b.py",
                 "test_c.py", "test_x.py::test_a")
    cases = junit_cases(suite.root / "j.xml")
    assert [c[0] for c in cases[:3]] == ["", "", ""]
    assert cases == junit_cases(plain)


def test_session_step_fails_when_a_plugin_fails_the_session(suite):
    """A conftest plugin that counts a failure of its own, as pytest-cov does
    under --cov-fail-under."""
    suite.write("test_x.py", "def test_a():\n    pass\n")
    suite.write(
        "conftest.py",
        """\
        import pytest

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtestloop(session):
            yield
            session.testsfailed += 1
        """,
    )
    suite.entry("0", ["test_x.py::test_a"], "--junitxml=j.xml")
    proc = suite.session_step(["test_x.py::test_a"])
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_session_step_reports_a_crashed_test_as_failed(suite):
    suite.write("test_x.py", "def test_a():\n    pass\n")
    proc = suite.session_step(["test_x.py::test_a"], "--junitxml=j.xml",
                              results={"test_x.py::test_a": ["crashed", "signal 11", 0.5]})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert junit_cases(suite.root / "j.xml") == [("test_x", "test_a", ["failure"])]


def test_an_interrupted_session_step_leaves_the_last_complete_files(suite):
    """Ctrl-C in the middle of the replay: pytest would still write the
    JUnit file (and pytest-cov its data file) of what was replayed so far."""
    suite.write("test_x.py", TESTS)
    suite.write(
        "conftest.py",
        """\
        import os

        def pytest_runtest_logreport(report):
            if os.environ.get("INTERRUPT") and report.nodeid.endswith("test_c"):
                raise KeyboardInterrupt
        """,
    )
    order = ["test_x.py::test_a", "test_x.py::test_b", "test_x.py::test_c", "test_x.py::test_d"]
    cov = ("--cov=.",) if importlib.util.find_spec("pytest_cov") else ()
    suite.entry("0", order, "--junitxml=j.xml", *cov)
    proc = suite.session_step(order, "--junitxml=j.xml", *cov, entries=["0"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    complete = (suite.root / "j.xml").read_bytes()
    assert len(junit_cases(suite.root / "j.xml")) == 4
    data = suite.root / ".coverage"
    data_before = data.read_bytes() if cov else None
    proc = suite.session_step(order, "--junitxml=j.xml", *cov, entries=["0"], env={"INTERRUPT": "1"})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert (suite.root / "j.xml").read_bytes() == complete
    if cov:
        assert data.read_bytes() == data_before
    # No temporary file left beside them.
    names = {p.name for p in suite.root.iterdir() if p.name.startswith(("j.xml", ".coverage"))}
    assert names == {"j.xml"} | ({".coverage"} if cov else set())

"""Session outputs of the common plugins: what an entry keeps of them and
what the session step writes or prints once (session_parts.py, session.py),
compared with plain pytest on the same suite."""

import json
import shutil
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
    """pytest's last summary line without its time: "1 failed, 2 passed"."""
    last = [line for line in stdout.splitlines() if line.startswith("=") and " in " in line][-1]
    return last.split(" in ")[0].strip("= ")


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


BENCHMARKS = """\
    import pytest

    def test_plain():
        pass

    @pytest.mark.parametrize("n", [1, 2])
    def test_sum(benchmark, n):
        benchmark(sum, range(n))

    @pytest.mark.benchmark(group="other")
    def test_other(benchmark):
        benchmark.extra_info["k"] = "v"
        benchmark(len, "abc")
"""
BENCHMARK_IDS = ["test_b.py::test_plain", "test_b.py::test_sum[1]", "test_b.py::test_sum[2]",
                 "test_b.py::test_other"]
FAST = ("--benchmark-max-time=0.00001", "--benchmark-min-rounds=2", "--benchmark-warmup=off")


def run_benchmarks(suite, *args, plain=False):
    """The suite in two entries and the session step, or plain pytest;
    returns the output of the session step (or of plain pytest), stdout
    and stderr (pytest-benchmark's log)."""
    env = allowing("benchmark")
    shutil.rmtree(suite.root / "session", ignore_errors=True)
    if plain:
        proc = suite.pytest(*FAST, *args, "-p", "no:cacheprovider", env=env)
    else:
        suite.entry("0", BENCHMARK_IDS[2:], *FAST, *args, env=env)
        suite.entry("1", BENCHMARK_IDS[:2], *FAST, *args, env=env)
        proc = suite.session_step(BENCHMARK_IDS, *FAST, *args, entries=["0", "1"], env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def benchmark_shape(path):
    """What a --benchmark-json file says but its timings."""
    document = json.loads(path.read_text())
    benchmarks = [
        (b["group"], b["name"], b["fullname"], b["param"], b["params"], b["extra_info"],
         b["options"], sorted(b["stats"]), len(b["stats"]["data"]) > 0)
        for b in document["benchmarks"]
    ]
    return sorted(document), benchmarks, sorted(document["machine_info"]), document["version"]


def needs_benchmark():
    """Debian bookworm's pytest-benchmark 3.2.2 calls py.io, which pytest 8
    dropped from its py shim: under pytest 8 and 9 it cannot load at all."""
    pytest.importorskip("pytest_benchmark")
    import py

    if not hasattr(py, "io"):
        pytest.skip(f"pytest-benchmark needs py.io, which pytest {pytest.__version__} lacks")


def test_benchmark_json_is_written_once_by_the_session_step_as_by_pytest(suite):
    needs_benchmark()
    suite.write("test_b.py", BENCHMARKS)
    suite.write("b.json", "the last complete file")
    suite.collect("--benchmark-json=b.json", env=allowing("benchmark"))
    suite.entry("0", BENCHMARK_IDS, *FAST, "--benchmark-json=b.json", env=allowing("benchmark"))
    assert (suite.root / "b.json").read_text() == "the last complete file"
    assert "benchmark" in (suite.root / "session/reports/0.jsonl").read_text()
    output = run_benchmarks(suite, "--benchmark-json=b.json")
    plain_output = run_benchmarks(suite, "--benchmark-json=plain.json", plain=True)
    assert benchmark_shape(suite.root / "b.json") == benchmark_shape(suite.root / "plain.json")
    assert len(json.loads((suite.root / "b.json").read_text())["benchmarks"]) == 3
    assert "Wrote benchmark data in: <_io.BufferedWriter name='b.json'>" in output
    assert "Wrote benchmark data in: <_io.BufferedWriter name='plain.json'>" in plain_output
    assert summary_line(output) == summary_line(plain_output) == "4 passed"


def test_benchmark_autosave_and_compare_in_the_session_step(suite):
    needs_benchmark()
    suite.write("test_b.py", BENCHMARKS)
    run_benchmarks(suite, "--benchmark-autosave")
    saved = list((suite.root / ".benchmarks").glob("*/*.json"))
    assert [p.name[:5] for p in saved] == ["0001_"]
    assert len(json.loads(saved[0].read_text())["benchmarks"]) == 3
    output = run_benchmarks(suite, "--benchmark-autosave", "--benchmark-compare")
    assert sorted(p.name[:5] for p in (suite.root / ".benchmarks").glob("*/*.json")) == [
        "0001_", "0002_"]
    assert "Comparing against benchmarks from:" in output
    # Every benchmark against its saved run: one "(0001_...)" row and one "(NOW)" row each.
    assert output.count("(0001_") == output.count("(NOW)") == 3, output


@pytest.mark.parametrize("option,summary", [("--benchmark-skip", "1 passed, 3 skipped"),
                                            ("--benchmark-disable", "4 passed")])
def test_benchmark_skip_and_disable_give_pytests_verdicts(suite, option, summary):
    needs_benchmark()
    suite.write("test_b.py", BENCHMARKS)
    output = run_benchmarks(suite, option, "--benchmark-json=b.json")
    assert summary_line(output) == summary_line(run_benchmarks(suite, option, plain=True)) == summary


RANDOMLY = (Path(__file__).resolve().parents[1] / "randomly_standin.py").read_text()
DRAWS = """\
    def test_a():
        pass

    def test_b():
        pass

    def test_c():
        pass
"""
DRAW_IDS = ["test_r.py::test_a", "test_r.py::test_b", "test_r.py::test_c"]


def test_collector_names_a_session_seed_when_the_suite_has_one(suite):
    suite.write("randomly_standin.py", RANDOMLY)
    suite.write("test_r.py", DRAWS)
    _, collection = suite.collect("-p", "randomly_standin")
    assert collection["session"] == ["seed"]


def test_every_entry_and_the_session_step_use_the_runs_seed(suite):
    import random

    suite.write("randomly_standin.py", RANDOMLY)
    suite.write("test_r.py", DRAWS)
    args = ("-p", "randomly_standin", "--shards-seed=1234")
    env = {"RANDOMLY_DRAWS": suite.root / "draws"}
    entries = [suite.entry("0", DRAW_IDS[:1], *args, env=env),
               suite.entry("1", DRAW_IDS[1:], *args, env=env)]
    for proc in entries:
        assert "Using --randomly-seed=1234" in proc.stdout, proc.stdout + proc.stderr
    draws = (suite.root / "draws").read_text().split()
    assert draws == [str(random.Random(1234).random())] * 3
    proc = suite.session_step(DRAW_IDS, *args, entries=["0", "1"])
    assert proc.stdout.count("--randomly-seed") == 1
    assert "Using --randomly-seed=1234" in proc.stdout


def test_the_users_seed_wins_over_the_runs(suite):
    suite.write("randomly_standin.py", RANDOMLY)
    suite.write("test_r.py", DRAWS)
    proc = suite.entry("0", DRAW_IDS, "-p", "randomly_standin", "--randomly-seed=5",
                       "--shards-seed=1234")
    assert "Using --randomly-seed=5" in proc.stdout, proc.stdout + proc.stderr


WARNS = """\
    import warnings

    warnings.warn("at import", DeprecationWarning)

    def test_a(record_testsuite_property):
        record_testsuite_property("suite", "one")
        warnings.warn("from a", UserWarning)

    def test_b(record_xml_attribute):
        record_xml_attribute("owner", "me")
        warnings.warn("from b", UserWarning)

    def test_c():
        warnings.warn("from a", UserWarning)
"""
WARN_IDS = ["test_w.py::test_a", "test_w.py::test_b", "test_w.py::test_c"]


def warnings_summary(stdout):
    """The lines of pytest's warnings summary, its link to the docs left out."""
    lines = stdout.split("warnings summary")[1].split("\n-- Docs")[0].splitlines()
    return lines[1:]


def test_warnings_and_junit_records_of_entries_are_the_session_steps_as_in_pytest(suite):
    suite.write("test_w.py", WARNS)
    args = ("-o", "junit_family=xunit1", "--junitxml=j.xml")
    suite.entry("0", WARN_IDS[1:], *args)
    suite.entry("1", WARN_IDS[:1], *args)
    proc = suite.session_step(WARN_IDS, *args, entries=["0", "1"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plain = suite.pytest("-o", "junit_family=xunit1", "--junitxml=plain.xml", "-p", "no:cacheprovider")
    assert "warnings summary" in plain.stdout
    assert warnings_summary(proc.stdout) == warnings_summary(plain.stdout)
    assert summary_line(proc.stdout) == summary_line(plain.stdout) == "3 passed, 5 warnings"
    session_junit = junit(suite.root / "j.xml")
    assert session_junit == junit(suite.root / "plain.xml")
    assert session_junit[2] == [("suite", "one")]
    assert session_junit[1][1][3]["owner"] == "me"


HYPOTHESIS = """\
    import pathlib
    from hypothesis import given, settings, strategies as st

    @settings(max_examples=5)
    @given(st.integers())
    def test_h(x):
        with open(pathlib.Path(__file__).with_name("examples"), "a") as f:
            f.write(f"{x}\\n")
"""


def test_the_users_hypothesis_seed_reaches_the_entry(suite):
    """No run seed for hypothesis (it draws per test, as in plain pytest): the
    user's --hypothesis-seed reaches the entry, which draws the examples of
    plain pytest."""
    pytest.importorskip("hypothesis")
    suite.write("test_h.py", HYPOTHESIS)
    env = allowing("hypothesispytest")
    suite.entry("0", ["test_h.py::test_h"], "--hypothesis-seed=7", "--shards-seed=1", env=env)
    in_entry = (suite.root / "examples").read_text()
    (suite.root / "examples").unlink()
    suite.pytest("--hypothesis-seed=7", "-p", "no:cacheprovider", env=env)
    assert in_entry == (suite.root / "examples").read_text()

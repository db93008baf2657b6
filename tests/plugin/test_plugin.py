"""Tests of the plugin package python/pytest_shards_plugin. Each runs a real
pytest in a subprocess on a small suite written to tmp_path (see conftest.py)."""

import json
import os
import socket

import pytest

from conftest import PYTHON, read_journal, results

ODD_PARAMS = '["a;b", "]==]", "it\'s", \'say "hi"\', "back\\\\slash", "caf\\u00e9", "\\u65e5\\u672c", "$x{y}"]'


def item_by_id(collection):
    return {item["nodeid"]: item for item in collection["items"]}


def line_of(path, text):
    """1-based number of the line of path that starts with text (stripped)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip().startswith(text):
            return number
    raise AssertionError(f"{text!r} not in {path}")


# --- collection JSON -----------------------------------------------------------


def write_marked_suite(suite):
    suite.write(
        "pytest.ini",
        """\
        [pytest]
        markers =
            db: database
            level: ordering
        disable_test_id_escaping_and_forfeit_all_rights_to_community_support = true
        """,
    )
    return suite.write(
        "tests/test_marks.py",
        f"""\
        import functools
        import pytest

        pytestmark = pytest.mark.level("module")

        def wrap(f):
            @functools.wraps(f)
            def inner(*args, **kwargs):
                return f(*args, **kwargs)
            return inner

        class Opaque:
            def __repr__(self):
                return "Opaque()"

        @pytest.mark.serial("db", exclusive=True)
        @pytest.mark.db(1, 2.5, None, [1, (2, 3)], {{"k": "v"}}, obj=Opaque(), nan=float("nan"))
        @wrap
        def test_decorated():
            pass

        @pytest.mark.parametrize(
            "value",
            {ODD_PARAMS},
        )
        def test_odd(value):
            pass

        @pytest.mark.level("class")
        class TestGroup:
            @pytest.mark.level("method")
            def test_method(self):
                pass

            class TestInner:
                async def test_async(self):
                    pass

        def test_plain(): pass
        """,
    )


def test_collection_json_records_items_markers_and_def_lines(suite):
    module = write_marked_suite(suite)
    proc, collection = suite.collect("tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert collection["format"] == "pytest-shards-collection/1"
    assert collection["rootdir"] == str(suite.root)
    assert collection["python"] == PYTHON
    assert collection["pytest_version"] == pytest.__version__
    assert collection["xdist"] is True  # Debian's pytest-xdist is installed
    assert collection["seconds"] >= 0
    assert collection["errors"] == []

    items = item_by_id(collection)
    odd = ["a;b", "]==]", "it's", 'say "hi"', "back\\slash", "café", "日本", "$x{y}"]
    expected = (
        ["tests/test_marks.py::test_decorated"]
        + [f"tests/test_marks.py::test_odd[{p}]" for p in odd]
        + [
            "tests/test_marks.py::TestGroup::test_method",
            "tests/test_marks.py::TestGroup::TestInner::test_async",
            "tests/test_marks.py::test_plain",
        ]
    )
    assert [i["nodeid"] for i in collection["items"]] == expected

    decorated = items["tests/test_marks.py::test_decorated"]
    assert decorated["file"] == "tests/test_marks.py"
    assert decorated["path"] == str(module)
    assert decorated["cls"] is None
    assert decorated["line"] == line_of(module, "def test_decorated")
    # pytest's order: decorators apply bottom-up, the closest to the def first.
    assert decorated["markers"] == [
        {
            "name": "db",
            "args": [1, 2.5, None, [1, [2, 3]], {"k": "v"}],
            "kwargs": {"obj": "Opaque()", "nan": "nan"},
        },
        {"name": "serial", "args": ["db"], "kwargs": {"exclusive": True}},
        {"name": "level", "args": ["module"], "kwargs": {}},
    ]

    method = items["tests/test_marks.py::TestGroup::test_method"]
    assert method["cls"] == "TestGroup"
    assert method["line"] == line_of(module, "def test_method")
    # Closest first: method, class, module.
    assert [m["args"] for m in method["markers"]] == [["method"], ["class"], ["module"]]

    inner = items["tests/test_marks.py::TestGroup::TestInner::test_async"]
    assert inner["cls"] == "TestInner"
    assert inner["line"] == line_of(module, "async def test_async")

    for p in odd:
        item = items[f"tests/test_marks.py::test_odd[{p}]"]
        assert item["line"] == line_of(module, "def test_odd")
        assert [m["name"] for m in item["markers"]] == ["parametrize", "level"]
    assert items["tests/test_marks.py::test_plain"]["line"] == line_of(module, "def test_plain")


def test_collection_json_says_whether_pytest_order_orders_the_tests(suite):
    pytest.importorskip("pytest_order")
    suite.write("tests/test_a.py", "def test_a(): pass\n")
    _, without = suite.collect("tests")
    assert without["pytest_order"] is False  # blocked (tests/own_plugins.py)
    _, loaded = suite.collect("-p", "pytest_order", "tests")
    assert loaded["pytest_order"] is True


def test_pytest_django_gets_a_test_database_per_entry(suite):
    # pytest-django suffixes its test databases only in a real xdist worker
    # (config.workerinput); the runner's PYTEST_XDIST_WORKER must count too,
    # or entries running at the same time would share one database.
    pytest.importorskip("pytest_django")
    pytest.importorskip("django")
    suite.write(
        "settings_db.py",
        """
        SECRET_KEY = "x"
        INSTALLED_APPS = ["django.contrib.contenttypes"]
        DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:",
                                 "TEST": {"NAME": "db_test.sqlite3"}}}
        """,
    )
    suite.write(
        "tests/test_db.py",
        """
        import os
        import pytest
        from django.db import connection


        @pytest.mark.django_db
        def test_name():
            print("database", connection.settings_dict["NAME"])
        """,
    )
    args = ("-p", "django", "--ds=settings_db", "-s", "-p", "no:cacheprovider", "tests")
    env = {"PYTHONPATH": suite.root}
    entry = suite.pytest(*args, env=dict(env, PYTEST_XDIST_WORKER="gw3"))
    assert entry.returncode == 0, entry.stdout + entry.stderr
    assert "database db_test.sqlite3_gw3" in entry.stdout
    plain = suite.pytest(*args, env=env)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "database db_test.sqlite3\n" in plain.stdout


def test_collection_json_is_plain_ascii_json(suite):
    write_marked_suite(suite)
    suite.collect("tests")
    raw = (suite.root / "out" / "collection.json").read_bytes()
    raw.decode("ascii")  # unicode node IDs are \u-escaped
    assert b"NaN" not in raw  # strict JSON: other parsers reject NaN


def test_collection_lists_items_after_m_and_k_deselection(suite):
    suite.write("pytest.ini", "[pytest]\nmarkers =\n    slow: slow\n")
    suite.write(
        "tests/test_a.py",
        """\
        import pytest
        @pytest.mark.slow
        def test_slow(): pass
        def test_fast(): pass
        def test_other(): pass
        """,
    )
    _, collection = suite.collect("tests", "-m", "not slow", "-k", "not other")
    assert [i["nodeid"] for i in collection["items"]] == ["tests/test_a.py::test_fast"]


def test_collection_error_keeps_other_modules_and_lists_files_and_dirs(suite):
    ini = suite.write("tox.ini", "[pytest]\ntestpaths = tests\n")
    root_conftest = suite.write("conftest.py", "print('noise from conftest')\n")
    sub_conftest = suite.write("tests/sub/conftest.py", "import sys\nprint('noise', file=sys.stderr)\n")
    good = suite.write("tests/test_good.py", "print('noise at import')\ndef test_ok(): pass\n")
    empty = suite.write("tests/test_empty.py", "# no tests yet\n")
    nested = suite.write("tests/sub/test_nested.py", "def test_deep(): pass\n")
    broken = suite.write("tests/broken/test_broken.py", "import no_such_module_xyz\n")
    suite.write("tests/helper.py", "x = 1\n")  # not a test module

    proc, collection = suite.collect()  # no args: testpaths
    assert proc.returncode == 2  # pytest: interrupted by a collection error
    ok, deep = "tests/test_good.py::test_ok", "tests/sub/test_nested.py::test_deep"
    # pytest's order: a directory's files before its subdirectories up to
    # pytest 7; since pytest 8 files and subdirectories by name together.
    in_order = [ok, deep] if pytest.version_tuple < (8,) else [deep, ok]
    assert [i["nodeid"] for i in collection["items"]] == in_order
    [error] = collection["errors"]
    assert error["nodeid"] == "tests/broken/test_broken.py"
    assert error["path"] == str(broken)
    assert "no_such_module_xyz" in error["message"]
    assert set(collection["files"]) == {
        str(p) for p in (ini, root_conftest, sub_conftest, good, empty, nested, broken)
    }
    assert collection["files"] == sorted(collection["files"])
    assert set(collection["dirs"]) == {
        str(suite.root / "tests"),
        str(suite.root / "tests" / "sub"),
        str(suite.root / "tests" / "broken"),
    }


def test_collection_lists_the_project_modules_it_imported(suite, tmp_path):
    """Modules imported from the rootdir or a --shards-watch-root (a helper, a
    module in the build tree) are files the collection depends on; installed
    packages, also in a virtualenv below the rootdir, and the plugin are not."""
    build = tmp_path / "build"
    built = build / "built_mod.py"
    built.parent.mkdir()
    built.write_text("SIZES = (1, 2)\n")
    helper = suite.write("lib/helper.py", "X = 1\n")
    venv_module = suite.write(".venv/lib/python3/site-packages/installed_mod.py", "Y = 2\n")
    suite.write(
        "tests/conftest.py",
        f"""\
        import sys
        sys.path[:0] = [{str(helper.parent)!r}, {str(build)!r}, {str(venv_module.parent)!r}]
        import built_mod, helper, installed_mod
        """,
    )
    suite.write("tests/test_a.py", "def test_a(): pass\n")
    _, collection = suite.collect("tests", f"--shards-watch-root={build}")
    files = set(collection["files"])
    assert {str(helper), str(built)} <= files
    assert str(venv_module) not in files
    assert not [f for f in files if "pytest_shards_plugin" in f or "/_pytest/" in f]
    _, collection = suite.collect("tests")
    assert str(built) not in collection["files"]  # outside every root


def test_collection_json_is_replaced_atomically(suite):
    suite.write("tests/test_a.py", "def test_a(): pass\n")
    out = suite.root / "out" / "collection.json"
    out.parent.mkdir()
    out.write_text("old content that is not JSON")
    proc = suite.pytest("--collect-only", f"--shards-collect-json={out}", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(out.read_text())["items"][0]["nodeid"] == "tests/test_a.py::test_a"
    assert sorted(p.name for p in out.parent.iterdir()) == ["collection.json"]


def test_no_collection_json_when_an_argument_is_not_found(suite):
    suite.write("tests/test_a.py", "def test_a(): pass\n")
    out = suite.root / "out" / "collection.json"
    proc = suite.pytest("--collect-only", f"--shards-collect-json={out}", "tests/test_a.py::nope")
    assert proc.returncode == 4
    assert not out.exists()


# --- running a shard -----------------------------------------------------------


def write_run_suite(suite):
    suite.write(
        "pytest.ini",
        """\
        [pytest]
        markers =
            slow: slow
        disable_test_id_escaping_and_forfeit_all_rights_to_community_support = true
        """,
    )
    suite.write(
        "tests/test_a.py",
        f"""\
        import pytest
        def test_one(): pass
        def test_two(): pass
        @pytest.mark.slow
        def test_slow(): pass
        @pytest.mark.parametrize("v", {ODD_PARAMS})
        def test_odd(v): pass
        """,
    )
    suite.write(
        "tests/test_b.py",
        """\
        class TestB:
            def test_three(self): pass
            def test_four(self): pass
        """,
    )
    suite.write(
        "tests/test_c.py",
        """\
        with open(__file__ + ".imported", "a") as f:
            f.write("imported\\n")
        def test_never_requested(): raise SystemExit('must not run')
        """,
    )


def ran(proc):
    """Node IDs pytest -v reports as PASSED, in order."""
    return [
        line.rsplit(" PASSED", 1)[0]
        for line in proc.stdout.splitlines()
        if " PASSED" in line and "::" in line
    ]


@pytest.mark.parametrize("imports", ["suite", "own"])
def test_shard_runs_exactly_the_requested_ids_in_collection_order(suite, imports):
    write_run_suite(suite)
    ids = [
        "tests/test_b.py::TestB::test_four",
        "tests/test_a.py::test_odd[]==]]",
        "tests/test_a.py::test_one",
        "tests/test_a.py::test_odd[a;b]",
        "tests/test_a.py::test_odd[日本]",
        "tests/test_a.py::test_odd[back\\slash]",
        "tests/test_a.py::test_odd[say \"hi\"]",
        "tests/test_a.py::test_one",  # listed twice, runs once
    ]
    proc, records = suite.run_ids(ids, "tests", f"--shards-imports={imports}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    test_a = [
        "tests/test_a.py::test_one",
        "tests/test_a.py::test_odd[a;b]",
        "tests/test_a.py::test_odd[]==]]",
        'tests/test_a.py::test_odd[say "hi"]',
        "tests/test_a.py::test_odd[back\\slash]",
        "tests/test_a.py::test_odd[日本]",
    ]
    test_b = ["tests/test_b.py::TestB::test_four"]
    # Items in collection order; modules in pytest's order when the whole
    # suite is collected, else in the order the file first names them.
    expected_order = test_a + test_b if imports == "suite" else test_b + test_a
    assert [r["nodeid"] for r in records if r["event"] == "start"] == expected_order
    assert all(r["outcome"] == "passed" for r in results(records).values())
    # test_c.py has no items: it is imported only when the whole suite is.
    assert "test_c" not in proc.stdout
    imported = suite.root / "tests" / "test_c.py.imported"
    assert imported.exists() == (imports == "suite")
    # test_two, test_slow, 3 other odd params, test_three.
    assert "7 passed, 6 deselected" in proc.stdout


@pytest.mark.parametrize(
    "node_id",
    ["tests/test_b.py::TestB::test_four", "tests/test_a.py::test_odd[]==]]",
     "tests/test_a.py::test_odd[日本]"],
)
def test_one_node_id_of_own_imports_is_collected_as_pytest_file_test_is(suite, node_id):
    # An IDE's click: pytest builds the one item, not its module's others.
    write_run_suite(suite)
    proc, records = suite.run_ids([node_id], "tests", "--shards-imports=own")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r["nodeid"] for r in records if r["event"] == "start"] == [node_id]
    assert "1 passed" in proc.stdout and "deselected" not in proc.stdout, proc.stdout
    # Two node IDs: their modules are collected, the rest deselected.
    proc, _ = suite.run_ids([node_id, "tests/test_a.py::test_one"], "tests",
                            "--shards-imports=own")
    assert "2 passed" in proc.stdout and "deselected" in proc.stdout, proc.stdout


def test_deselected_items_go_through_pytest_deselected(suite):
    write_run_suite(suite)
    suite.write(
        "conftest.py",
        """\
        def pytest_deselected(items):
            for item in items:
                print("DESELECTED", item.nodeid)
        """,
    )
    proc, _ = suite.run_ids(["tests/test_b.py::TestB::test_three"], "tests", "-s")
    assert "DESELECTED tests/test_b.py::TestB::test_four" in proc.stdout
    assert ran(proc) == ["tests/test_b.py::TestB::test_three"]


def test_missing_ids_are_journaled(suite):
    write_run_suite(suite)
    ids = [
        "tests/test_a.py::test_one",
        "tests/test_a.py::test_renamed",
        "tests/test_deleted.py::test_x",
    ]
    proc, records = suite.run_ids(ids, "tests")
    found = results(records)
    assert found["tests/test_a.py::test_one"]["outcome"] == "passed"
    for node_id in ids[1:]:
        assert found[node_id]["outcome"] == "missing"
        assert found[node_id]["message"] == (
            f"node ID no longer exists: {node_id}; re-run cmake to collect again"
        )
        assert found[node_id]["duration"] == 0
    assert ran(proc) == ["tests/test_a.py::test_one"]


def test_only_missing_ids_runs_nothing(suite):
    write_run_suite(suite)
    proc, records = suite.run_ids(["tests/gone.py::test_x"], "tests")
    assert results(records)["tests/gone.py::test_x"]["outcome"] == "missing"
    assert "must not run" not in proc.stdout + proc.stderr
    assert [r["count"] for r in records if r["event"] == "collected"] == [0]


def test_module_that_stopped_importing_errors_its_ids_and_the_rest_runs(suite):
    write_run_suite(suite)
    suite.write("tests/test_b.py", "import no_such_module_xyz\n")
    ids = ["tests/test_b.py::TestB::test_three", "tests/test_a.py::test_one"]
    proc, records = suite.run_ids(ids, "tests")
    assert proc.returncode != 0
    found = results(records)
    assert found["tests/test_a.py::test_one"]["outcome"] == "passed"
    broken = found["tests/test_b.py::TestB::test_three"]
    assert broken["outcome"] == "error"
    assert "no_such_module_xyz" in broken["message"]


def test_m_expression_is_honoured_at_run_time(suite):
    write_run_suite(suite)
    ids = ["tests/test_a.py::test_slow", "tests/test_a.py::test_one"]
    proc, records = suite.run_ids(ids, "tests", "-m", "not slow")
    found = results(records)
    assert found["tests/test_a.py::test_one"]["outcome"] == "passed"
    assert found["tests/test_a.py::test_slow"]["outcome"] == "missing"
    assert ran(proc) == ["tests/test_a.py::test_one"]


@pytest.mark.parametrize(
    "args",
    [
        ["tests"],
        ["tests/test_a.py", "tests/test_b.py::TestB"],
        ["-m", "not slow", "tests"],
        ["--pyargs", "tests"],
        [],  # testpaths from the ini file
    ],
    ids=["dir", "files", "m-expression", "pyargs", "testpaths"],
)
def test_collected_ids_round_trip_through_a_shard(suite, args):
    write_run_suite(suite)
    suite.write("tests/__init__.py", "")  # a package, so --pyargs tests works
    suite.write("tests/test_c.py", "def test_c(): pass\n")
    ini = (suite.root / "pytest.ini").read_text()
    suite.write("pytest.ini", ini + "testpaths = tests\n")
    proc, collection = suite.collect(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ids = [i["nodeid"] for i in collection["items"]]
    assert len(ids) >= 4
    # The runner passes the same ARGS; some IDs at a time.
    shard = ids[::2]
    proc, records = suite.run_ids(shard, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = results(records)
    assert sorted(found) == sorted(shard)
    assert {r["outcome"] for r in found.values()} == {"passed"}


def test_pyargs_ids_relative_to_a_package_outside_the_rootdir_run(suite, tmp_path):
    # --pyargs with the working directory outside the package: pytest makes
    # node IDs relative to the package, not to the rootdir, so the runner
    # passes each module's path from the collection.
    package = tmp_path / "site" / "mypkg"
    (package / "tests").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "tests" / "__init__.py").write_text("")
    (package / "tests" / "test_p.py").write_text(
        "import pytest\n"
        "def test_one(): pass\n"
        "class TestK:\n"
        "    @pytest.mark.parametrize('v', ['a::b', 'c'])\n"
        "    def test_two(self, v): pass\n"
        "def test_not_requested(): raise SystemExit('must not run')\n"
    )
    # The same test names in another module: run-time IDs must not mix them.
    (package / "tests" / "test_q.py").write_text(
        "import pytest\n"
        "def test_one(): pass\n"
        "class TestK:\n"
        "    @pytest.mark.parametrize('v', ['a::b', 'c'])\n"
        "    def test_two(self, v): assert v == 'c'\n"
    )
    # A module that fails to import: its error keeps its file's path too.
    (package / "tests" / "test_r.py").write_text("import no_such_module_xyz\n")
    env = {"PYTHONPATH": tmp_path / "site"}
    proc, collection = suite.collect("--pyargs", "mypkg", env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr  # interrupted by test_r
    [error] = collection["errors"]
    assert (error["nodeid"], error["path"]) == ("tests/test_r.py", str(package / "tests" / "test_r.py"))
    items = collection["items"]
    assert not (suite.root / items[0]["nodeid"].split("::")[0]).exists()
    shard = [i["nodeid"] for i in items if "not_requested" not in i["nodeid"]]
    assert len(shard) == 6
    paths = {i["nodeid"].split("::")[0]: i["path"] for i in items}
    proc, records = suite.run_ids(shard, "--pyargs", "mypkg", paths=paths, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # test_q's a::b fails
    found = results(records)
    assert sorted(found) == sorted(shard)
    failed = [node_id for node_id, r in found.items() if r["outcome"] != "passed"]
    assert failed == ["tests/test_q.py::TestK::test_two[a::b]"]
    assert [r["nodeid"] for r in records if r["event"] == "start"] == shard
    assert "FAILED tests/test_q.py::TestK::test_two[a::b]" in proc.stdout
    # Without the paths the IDs cannot be found: the test above is the fix.
    proc, records = suite.run_ids(shard, "--pyargs", "mypkg", env=env)
    assert {r["outcome"] for r in results(records).values()} == {"missing"}


# --- same verdicts as pytest: imports, skipped modules, colliding IDs ----------


def write_side_effect_suite(suite):
    """test_uses.py passes only when test_register.py and other/conftest.py
    were imported first, as plain pytest's collection imports them."""
    suite.write("registry.py", "entries = []\n")
    suite.write("tests/test_register.py", "import registry\nregistry.entries.append('a')\ndef test_a(): pass\n")
    suite.write("tests/other/conftest.py", "import registry\nregistry.entries.append('conftest')\n")
    suite.write("tests/other/test_other.py", "def test_other(): pass\n")
    suite.write(
        "tests/test_uses.py",
        "import registry\ndef test_uses(): assert sorted(registry.entries) == ['a', 'conftest']\n",
    )


@pytest.mark.parametrize("imports", ["suite", "own"])
def test_shard_imports_the_whole_suite_as_plain_pytest_does(suite, imports):
    write_side_effect_suite(suite)
    plain = suite.pytest("tests", "-p", "no:cacheprovider", env={"PYTHONPATH": suite.root})
    assert plain.returncode == 0, plain.stdout + plain.stderr
    proc, records = suite.run_ids(
        ["tests/test_uses.py::test_uses"],
        "tests",
        f"--shards-imports={imports}",
        env={"PYTHONPATH": suite.root},
    )
    outcome = results(records)["tests/test_uses.py::test_uses"]["outcome"]
    # The opt-out shows what the default is for: the verdict changes.
    assert outcome == ("passed" if imports == "suite" else "failed"), proc.stdout
    assert [r["nodeid"] for r in records if r["event"] == "start"] == ["tests/test_uses.py::test_uses"]


def test_other_modules_errors_and_skips_stay_out_of_a_shard(suite):
    write_run_suite(suite)
    suite.write("tests/test_broken.py", "import no_such_module_xyz\n")
    suite.write("tests/test_skipped.py", "import pytest\npytest.importorskip('no_such_module_xyz')\n")
    proc, records = suite.run_ids(["tests/test_a.py::test_one"], "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list(results(records)) == ["tests/test_a.py::test_one"]


def write_skipped_module_suite(suite):
    suite.write("tests/test_runs.py", "def test_runs(): pass\n")
    suite.write(
        "tests/test_importorskip.py",
        "import pytest\npytest.importorskip('no_such_module_xyz')\ndef test_x(): pass\n",
    )
    suite.write(
        "tests/test_skip_module.py",
        "import pytest\npytest.skip('not here', allow_module_level=True)\ndef test_y(): pass\n",
    )


def test_module_level_skips_are_collected_as_skipped_tests(suite):
    write_skipped_module_suite(suite)
    proc, collection = suite.collect("tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    skipped = {i["nodeid"]: i for i in collection["items"] if i.get("skipped_collector")}
    assert sorted(skipped) == ["tests/test_importorskip.py", "tests/test_skip_module.py"]
    record = skipped["tests/test_skip_module.py"]
    assert record["path"] == str(suite.root / "tests" / "test_skip_module.py")
    assert record["file"] == "tests/test_skip_module.py"
    assert [i["nodeid"] for i in collection["items"] if not i.get("skipped_collector")] == [
        "tests/test_runs.py::test_runs"
    ]


@pytest.mark.parametrize("imports", ["suite", "own"])
def test_shard_journals_a_skipped_module_as_its_own_result(suite, imports):
    write_skipped_module_suite(suite)
    ids = ["tests/test_skip_module.py", "tests/test_runs.py::test_runs"]
    proc, records = suite.run_ids(ids, "tests", f"--shards-imports={imports}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = results(records)
    assert sorted(found) == sorted(ids)  # once each, nothing "missing"
    assert found["tests/test_skip_module.py"]["outcome"] == "skipped"
    assert found["tests/test_skip_module.py"]["message"].endswith("not here")
    assert found["tests/test_runs.py::test_runs"]["outcome"] == "passed"


# Under xdist the workers collect, and the controller journals.
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["plain", "xdist"])
def test_plain_run_journals_skipped_and_broken_collectors_with_paths(suite, workers):
    write_skipped_module_suite(suite)
    suite.write("tests/test_broken.py", "import no_such_module_xyz\n")
    journal = suite.root / "out" / "plain.jsonl"
    proc = suite.pytest(
        "tests", "--continue-on-collection-errors", f"--shards-journal={journal}", "-p", "no:cacheprovider",
        *workers,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = results(read_journal(journal))
    assert {k: r["outcome"] for k, r in found.items()} == {
        "tests/test_broken.py": "error",
        "tests/test_importorskip.py": "skipped",
        "tests/test_skip_module.py": "skipped",
        "tests/test_runs.py::test_runs": "passed",
    }
    assert found["tests/test_runs.py::test_runs"]["path"] == str(suite.root / "tests" / "test_runs.py")
    assert found["tests/test_broken.py"]["path"] == str(suite.root / "tests" / "test_broken.py")
    assert found["tests/test_skip_module.py"]["path"] == str(suite.root / "tests" / "test_skip_module.py")
    assert "no_such_module_xyz" in found["tests/test_broken.py"]["message"]


def test_collection_errors_entry_names_modules_given_by_file_after_their_node_ids(suite, tmp_path):
    """The collection-errors entry of a --pyargs suite runs its broken
    modules by their files, outside the rootdir: pytest names such a module
    "", and plain pytest's (and the plan's) node ID is relative to the
    package. The journal and the session part name it by that ID."""
    site = tmp_path / "site"
    tests = site / "pkg" / "tests"
    tests.mkdir(parents=True)
    for init in (site / "pkg" / "__init__.py", tests / "__init__.py"):
        init.write_text("")
    broken = tests / "test_broken.py"
    broken.write_text("import no_such_module_xyz\n")
    ids = suite.root / "out" / "broken.json"
    ids.parent.mkdir(exist_ok=True)
    module = "tests/test_broken.py"
    ids.write_text(json.dumps({"node_ids": [module], "paths": {module: str(broken)}}))
    journal = suite.root / "out" / "broken.jsonl"
    proc = suite.pytest(
        broken, f"--rootdir={suite.root}", f"--shards-collection-errors={ids}",
        f"--shards-journal={journal}", f"--shards-session-dir={suite.root}/session",
        "-p", "no:cacheprovider", env={"PYTHONPATH": site},
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    found = results(read_journal(journal))
    assert list(found) == [module]
    assert found[module]["outcome"] == "error"
    assert found[module]["path"] == str(broken)
    part = suite.root / "session" / "reports" / "broken.jsonl"
    kept = [json.loads(line) for line in part.open()]
    assert [record["id"] for record in kept if "report" in record] == [module]


def write_twin_packages(tmp_path):
    """--pyargs twins.a twins.b from outside: both modules are named
    tests/test_table.py by pytest, so their node IDs collide."""
    site = tmp_path / "site"
    for twin, value in (("a", 1), ("b", 2)):
        tests = site / "twins" / twin / "tests"
        tests.mkdir(parents=True)
        (site / "twins" / "__init__.py").write_text("")
        (site / "twins" / twin / "__init__.py").write_text("")
        (tests / "__init__.py").write_text("")
        (tests / "test_table.py").write_text(
            f"def test_value(): assert {value} == 1\ndef test_{twin}_only(): pass\n"
        )
    return site


@pytest.mark.parametrize("imports", ["suite", "own"])
def test_colliding_node_ids_run_once_each_under_their_planned_ids(suite, tmp_path, imports):
    site = write_twin_packages(tmp_path)
    env = {"PYTHONPATH": site}
    args = ["--pyargs", "twins.a", "twins.b"]
    proc, collection = suite.collect(*args, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ids = [i["nodeid"] for i in collection["items"]]
    assert ids.count("tests/test_table.py::test_value") == 2  # pytest's own names collide
    # The planner lengthens the module parts of colliding modules.
    shard, paths = [], {}
    for item in collection["items"]:
        twin = os.path.basename(os.path.dirname(os.path.dirname(item["path"])))
        node_id = twin + "/" + item["nodeid"]
        shard.append(node_id)
        paths[node_id.split("::")[0]] = item["path"]
    proc, records = suite.run_ids(shard, *args, f"--shards-imports={imports}", paths=paths, env=env)
    found = results(records)
    assert sorted(found) == sorted(shard), proc.stdout + proc.stderr
    assert {k: r["outcome"] for k, r in found.items()} == {
        "a/tests/test_table.py::test_value": "passed",
        "a/tests/test_table.py::test_a_only": "passed",
        "b/tests/test_table.py::test_value": "failed",
        "b/tests/test_table.py::test_b_only": "passed",
    }
    assert found["b/tests/test_table.py::test_value"]["path"] == paths["b/tests/test_table.py"]


def test_plain_run_under_xdist_keeps_colliding_node_ids_apart(suite, tmp_path):
    """Two workers run the twins' test_value at the same time: the controller
    gets the reports of both under one node ID and must not mix them."""
    site = write_twin_packages(tmp_path)
    for twin in "ab":
        table = site / "twins" / twin / "tests" / "test_table.py"
        table.write_text("import time\n" + table.read_text().replace("(): ", "(): time.sleep(1); "))
    journal = suite.root / "out" / "xdist.jsonl"
    proc = suite.pytest(
        "--pyargs", "twins.a", "twins.b", "-n", "2", "-p", "no:cacheprovider",
        f"--shards-journal={journal}", env={"PYTHONPATH": site},
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = sorted(
        (os.path.relpath(r["path"], site), r["nodeid"], r["outcome"])
        for r in read_journal(journal) if r["event"] == "result"
    )
    table = os.path.join("twins", "{}", "tests", "test_table.py")
    assert found == [
        (table.format("a"), "tests/test_table.py::test_a_only", "passed"),
        (table.format("a"), "tests/test_table.py::test_value", "passed"),
        (table.format("b"), "tests/test_table.py::test_b_only", "passed"),
        (table.format("b"), "tests/test_table.py::test_value", "failed"),
    ]


# --- journal -------------------------------------------------------------------


def write_outcome_suite(suite):
    suite.write(
        "tests/test_outcomes.py",
        """\
        import time
        import pytest

        @pytest.fixture
        def slow_setup():
            time.sleep(0.05)
            yield

        @pytest.fixture
        def broken_setup():
            raise RuntimeError("setup went wrong")

        @pytest.fixture
        def broken_teardown():
            yield
            raise RuntimeError("teardown went wrong")

        def test_passed(slow_setup):
            time.sleep(0.05)

        def test_failed():
            assert 1 == 2, "numbers differ"

        def test_setup_error(broken_setup):
            pass

        def test_teardown_error(broken_teardown):
            pass

        def test_failed_and_teardown_error(broken_teardown):
            assert False, "call failed too"

        def test_skipped():
            pytest.skip("not today")

        @pytest.mark.xfail(reason="known bug")
        def test_xfailed():
            assert False

        @pytest.mark.xfail(reason="fixed already")
        def test_xpassed():
            pass

        @pytest.mark.xfail(reason="strict", strict=True)
        def test_strict_xpass():
            pass

        @pytest.mark.xfail(run=False, reason="would hang")
        def test_not_run():
            pass

        def test_huge_message():
            assert False, "x" * 200000
        """,
    )


def test_journal_records_every_event_and_outcome(suite):
    write_outcome_suite(suite)
    _, collection = suite.collect("tests")
    ids = [i["nodeid"] for i in collection["items"]]
    journal = suite.root / "out" / "journal.jsonl"
    proc, records = suite.run_ids(ids, "tests")
    assert proc.returncode == 1

    events = [r["event"] for r in records]
    assert events[0] == "session" and events[-1] == "finish"
    assert events[1] == "collected"
    assert records[0]["pid"] > 0
    assert records[1]["count"] == len(ids)
    assert records[-1]["exitstatus"] == 1
    assert all(isinstance(r["time"], float) for r in records)
    times = [r["time"] for r in records]
    assert times == sorted(times)
    # start, then result, for each test in turn.
    body = records[2:-1]
    assert [(r["event"], r["nodeid"]) for r in body] == [
        (event, node_id) for node_id in ids for event in ("start", "result")
    ]

    found = {k.split("::")[1]: v for k, v in results(records).items()}
    assert {k: v["outcome"] for k, v in found.items()} == {
        "test_passed": "passed",
        "test_failed": "failed",
        "test_setup_error": "error",
        "test_teardown_error": "error",
        "test_failed_and_teardown_error": "error",
        "test_skipped": "skipped",
        "test_xfailed": "xfailed",
        "test_xpassed": "xpassed",
        "test_strict_xpass": "failed",
        "test_not_run": "xfailed",
        "test_huge_message": "failed",
    }
    assert found["test_passed"]["message"] == ""
    # setup + call + teardown: both sleeps are in the duration.
    assert found["test_passed"]["duration"] >= 0.1
    assert "numbers differ" in found["test_failed"]["message"]
    assert "setup went wrong" in found["test_setup_error"]["message"]
    assert "teardown went wrong" in found["test_teardown_error"]["message"]
    both = found["test_failed_and_teardown_error"]["message"]
    assert "call failed too" in both and "teardown went wrong" in both
    assert found["test_skipped"]["message"] == "Skipped: not today"
    assert found["test_xfailed"]["message"] == "known bug"
    huge = found["test_huge_message"]["message"]
    assert len(huge.encode("utf-8")) <= 64 * 1024
    assert huge.endswith("[truncated by pytest-shards]")
    # One complete JSON object per line.
    assert all(line.startswith("{") for line in journal.read_text().splitlines())


def test_a_failed_report_before_a_passing_one_fails_the_test(suite):
    # As pytest-subtests reports a failed subtest: a call report of its own
    # before the test's, whose body passes. pytest counts it as a failure
    # (exit 1); the test must not be journaled as passed.
    suite.write(
        "tests/conftest.py",
        """
        import pytest
        from _pytest.reports import TestReport


        def fail():
            raise AssertionError("a subtest failed")


        @pytest.fixture
        def subtest(request):
            def report():
                call = pytest.CallInfo.from_call(fail, "call")
                item = request.node
                item.ihook.pytest_runtest_logreport(report=TestReport.from_item_and_call(item, call))
            return report
        """,
    )
    suite.write("tests/test_parts.py", "def test_part_fails(subtest):\n    subtest()\n")
    plain = suite.pytest("tests", "-p", "no:cacheprovider")
    assert plain.returncode == 1, plain.stdout
    proc, records = suite.run_ids(["tests/test_parts.py::test_part_fails"], "tests")
    assert proc.returncode == 1
    found = results(records)["tests/test_parts.py::test_part_fails"]
    assert found["outcome"] == "failed"
    assert "a subtest failed" in found["message"]


def test_journal_appends_to_what_the_runner_wrote(suite):
    suite.write("tests/test_a.py", "def test_a(): pass\n")
    journal = suite.root / "out" / "journal.jsonl"
    journal.parent.mkdir()
    journal.write_text('{"event": "run", "run_id": "r1", "entry": "x", "index": 0, "time": 1.0}\n')
    ids = suite.root / "out" / "ids.json"
    ids.write_text('{"node_ids": ["tests/test_a.py::test_a"]}')
    proc = suite.pytest(f"--shards-node-ids={ids}", f"--shards-journal={journal}", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = read_journal(journal)
    assert [r["event"] for r in records] == [
        "run", "session", "collected", "start", "result", "finish"
    ]


def test_journal_survives_kill_9(suite):
    suite.write(
        "tests/test_kill.py",
        """\
        import os, signal
        def test_before(): pass
        def test_killer(): os.kill(os.getpid(), signal.SIGKILL)
        def test_after(): pass
        """,
    )
    ids = [f"tests/test_kill.py::test_{n}" for n in ("before", "killer", "after")]
    proc, records = suite.run_ids(ids, "tests")
    assert proc.returncode == -9
    assert [(r["event"], r.get("nodeid")) for r in records] == [
        ("session", None),
        ("collected", None),
        ("start", ids[0]),
        ("result", ids[0]),
        ("start", ids[1]),
    ]


def test_journal_without_node_ids_and_under_xdist_workers(suite):
    suite.write("tests/test_a.py", "def test_a(): pass\ndef test_b(): pass\ndef test_c(): pass\n")
    journal = suite.root / "out" / "journal.jsonl"
    proc = suite.pytest("-n", "2", f"--shards-journal={journal}", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = read_journal(journal)
    # Workers do not write; the controller writes each test once.
    assert sorted(results(records)) == [f"tests/test_a.py::test_{n}" for n in "abc"]
    assert [r["event"] for r in records].count("session") == 1


# --- markers, options ----------------------------------------------------------


def test_strict_markers_accept_serial_custom_marker_and_xdist_group(suite):
    suite.write(
        "tests/test_m.py",
        """\
        import pytest
        @pytest.mark.serial
        def test_a(): pass
        @pytest.mark.serial("db", exclusive=True)
        def test_b(): pass
        @pytest.mark.exclusive_db
        def test_c(): pass
        @pytest.mark.xdist_group("g")
        def test_d(): pass
        """,
    )
    for extra in ([], ["-p", "no:xdist"]):
        proc = suite.pytest(
            "--strict-markers", "--shards-serial-marker=exclusive_db", *extra, "tests"
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "4 passed" in proc.stdout
    markers = suite.pytest("--markers", "--shards-serial-marker=exclusive_db", "-p", "no:xdist")
    assert '@pytest.mark.serial(lock="serial", exclusive=False)' in markers.stdout
    assert "@pytest.mark.exclusive_db(" in markers.stdout
    assert "registered by pytest-shards" in markers.stdout


def test_strict_markers_still_reject_unknown_markers(suite):
    suite.write("tests/test_m.py", "import pytest\n@pytest.mark.exclusive_db\ndef test_a(): pass\n")
    proc = suite.pytest("--strict-markers", "tests")  # serial marker not renamed
    assert proc.returncode != 0
    assert "'exclusive_db' not found in `markers`" in proc.stdout


def test_options_have_help(suite):
    proc = suite.pytest("--help")
    text = " ".join(proc.stdout.split())
    for option in ("--shards-collect-json=PATH", "--shards-node-ids=PATH",
                   "--shards-journal=PATH", "--shards-serial-marker=NAME"):
        assert f"{option} pytest-shards:" in text


@pytest.mark.parametrize(
    "options,jobs",
    [
        ([], ["fixtures"]),
        (["--collect-only", "--shards-collect-json={out}/c.json"], ["collection", "fixtures"]),
        (["--shards-node-ids={ids}"], ["fixtures", "import-only", "selection"]),
        (["--shards-node-ids={ids}", "--shards-imports=own"], ["fixtures", "selection"]),
        (["--shards-journal={out}/j.jsonl"], ["fixtures", "journal", "report-paths"]),
    ],
)
def test_each_job_registers_only_when_its_option_is_given(suite, options, jobs):
    """As pytest-xdist does: one small object per job, none without its option."""
    suite.write("tests/test_a.py", "def test_a(): pass\n")
    ids = suite.write("ids.json", '{"node_ids": ["tests/test_a.py::test_a"]}')
    registered = suite.root / "registered.txt"
    suite.write(
        "conftest.py",
        f"""\
        def pytest_sessionfinish(session):
            names = [n for n, _ in session.config.pluginmanager.list_name_plugin()]
            jobs = [n[len("pytest-shards-"):] for n in names if n.startswith("pytest-shards-")]
            with open({str(registered)!r}, "w") as f:
                f.write(" ".join(sorted(jobs)))
        """,
    )
    out = suite.root / "out"
    proc = suite.pytest(*[o.format(out=out, ids=ids) for o in options], "-p", "no:xdist", "tests")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert registered.read_text().split() == jobs


@pytest.mark.parametrize(
    "content,problem",
    [
        ("not json", "cannot read node ID file"),
        ('["tests/test_a.py::test_a"]', "does not hold node_ids"),
        ('{"node_ids": [1]}', "does not hold node_ids"),
        ('{"node_ids": [], "paths": {"a": 2}}', "does not hold node_ids"),
    ],
)
def test_bad_node_id_file_is_a_usage_error(suite, content, problem):
    suite.write("tests/test_a.py", "def test_a(): pass\n")
    ids = suite.write("ids.json", content)
    proc = suite.pytest(f"--shards-node-ids={ids}", "tests")
    assert proc.returncode == 4
    assert problem in proc.stderr


def test_bad_serial_marker_name_is_a_usage_error(suite):
    proc = suite.pytest("--shards-serial-marker=not a name", "--collect-only")
    assert proc.returncode == 4
    assert "is not a marker name" in proc.stderr


# --- fixtures --------------------------------------------------------------------

FIXTURE_TEST = """\
import json, os, socket

def test_fixtures(shard_index, shard_port_range, free_tcp_port):
    with socket.socket() as s:
        s.bind(("127.0.0.1", free_tcp_port))  # free now: binds
    with open(os.environ["REPORT"], "w") as f:
        json.dump({"index": shard_index, "type": type(shard_port_range).__name__,
                   "ports": list(shard_port_range), "port": free_tcp_port}, f)
"""


def consecutive_free_ports(count):
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count < 65536:
            try:
                held = []
                for port in range(base, base + count):
                    sock = socket.socket()
                    held.append(sock)
                    sock.bind(("127.0.0.1", port))
                return base
            except OSError:
                continue
            finally:
                for sock in held:
                    sock.close()
    pytest.skip("no consecutive free ports on this machine")


def test_fixtures_outside_a_shard(suite):
    suite.write("test_f.py", FIXTURE_TEST)
    report = suite.root / "report.json"
    proc = suite.pytest("test_f.py", env={"REPORT": report})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(report.read_text())
    assert data["index"] == 0
    assert data["type"] == "range"
    assert len(data["ports"]) == 10
    assert data["ports"] == list(range(data["ports"][0], data["ports"][0] + 10))
    assert data["port"] in data["ports"]


def test_fixtures_inside_a_shard_skip_a_held_port(suite):
    base = consecutive_free_ports(3)
    suite.write("test_f.py", FIXTURE_TEST)
    report = suite.root / "report.json"
    env = {
        "REPORT": report,
        "PYTEST_SHARD_INDEX": 3,
        "PYTEST_SHARD_PORT_BASE": base,
        "PYTEST_SHARD_PORT_COUNT": 3,
    }
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", base))
        holder.listen()
        proc = suite.pytest("test_f.py", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(report.read_text())
    assert data == {"index": 3, "type": "range", "ports": [base, base + 1, base + 2],
                    "port": base + 1}


def test_free_tcp_port_fails_clearly_when_the_range_is_taken(suite):
    base = consecutive_free_ports(1)
    suite.write("test_f.py", FIXTURE_TEST)
    env = {"REPORT": os.devnull, "PYTEST_SHARD_PORT_BASE": base, "PYTEST_SHARD_PORT_COUNT": 1}
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", base))
        holder.listen()
        proc = suite.pytest("test_f.py", env=env)
    assert proc.returncode == 1
    assert f"no free TCP port in ports {base}-{base} on 127.0.0.1" in proc.stdout


def test_bad_shard_index_is_reported(suite):
    suite.write("test_f.py", FIXTURE_TEST)
    proc = suite.pytest("test_f.py", env={"REPORT": os.devnull, "PYTEST_SHARD_INDEX": "two"})
    assert proc.returncode == 1
    assert "PYTEST_SHARD_INDEX='two' is not an integer" in proc.stdout


SERVER_TEST = """\
import socket, pytest

@pytest.mark.parametrize("n", range(12))
def test_server(n, free_tcp_port):
    # A server that closes first leaves its port in TIME_WAIT.
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", free_tcp_port))
        server.listen()
        client = socket.create_connection(("127.0.0.1", free_tcp_port))
        conn, _ = server.accept()
        conn.close()
    client.close()
"""


def test_free_tcp_port_serves_more_servers_than_the_range_has_ports(suite):
    base = consecutive_free_ports(3)
    suite.write("test_s.py", SERVER_TEST)
    env = {"PYTEST_SHARD_PORT_BASE": base, "PYTEST_SHARD_PORT_COUNT": 3}
    proc = suite.pytest("test_s.py", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "12 passed" in proc.stdout


PREFER_TEST = """\
import os

def test_prefers_an_unused_port(free_tcp_port):
    assert free_tcp_port == int(os.environ["WANT"])
"""


def test_free_tcp_port_prefers_a_port_nothing_uses(suite):
    base = consecutive_free_ports(2)
    # Leave `base` in TIME_WAIT: the server side closes the connection first.
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", base))
        server.listen()
        client = socket.create_connection(("127.0.0.1", base))
        conn, _ = server.accept()
        conn.close()
    client.close()
    suite.write("test_p.py", PREFER_TEST)
    env = {"PYTEST_SHARD_PORT_BASE": base, "PYTEST_SHARD_PORT_COUNT": 2, "WANT": base + 1}
    proc = suite.pytest("test_p.py", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- rewrite cache ------------------------------------------------------------


def test_rewrite_cache_keeps_rewritten_modules_out_of_the_tree_and_the_tests(suite, tmp_path):
    """With bytecode writing off (clean_env sets PYTHONDONTWRITEBYTECODE), the
    rewritten module lands in the cache dir only, a second run loads it from
    there, and the test itself still sees bytecode writing off."""
    suite.write(
        "tests/test_sees.py",
        """\
        import sys

        def test_sees_the_interpreters_settings():
            assert sys.dont_write_bytecode
            assert sys.pycache_prefix is None

        def test_asserts_are_rewritten():
            x = [1, 2]
            assert x == [1, 3]
        """,
    )
    cache = tmp_path / "rewrite-cache"
    runs = []
    for _ in range(2):
        proc = suite.pytest("tests", "-p", "no:cacheprovider", f"--shards-rewrite-cache={cache}", "-v")
        runs.append(proc.stdout + proc.stderr)
        assert "test_sees_the_interpreters_settings PASSED" in proc.stdout, runs[-1]
        # pytest's own rewritten message, so the cached code is rewritten code.
        assert "assert [1, 2] == [1, 3]" in proc.stdout, runs[-1]
    cached = list(cache.rglob("test_sees*-pytest-*.pyc"))
    assert len(cached) == 1, sorted(str(p) for p in cache.rglob("*"))
    assert not list(suite.root.rglob("__pycache__")), "the suite's tree was written to"
    # A third run reads the cached module instead of rewriting it.
    assert "found cached rewritten pyc" in suite.pytest(
        "tests", "-p", "no:cacheprovider", f"--shards-rewrite-cache={cache}", "--debug=" + str(tmp_path / "debug.log")
    ).stdout + (tmp_path / "debug.log").read_text(encoding="utf-8")


def test_without_the_rewrite_cache_every_run_rewrites(suite, tmp_path):
    suite.write("tests/test_a.py", "def test_a():\n    assert True\n")
    suite.pytest("tests", "-p", "no:cacheprovider", "--debug=" + str(tmp_path / "debug.log"))
    assert "found cached rewritten pyc" not in (tmp_path / "debug.log").read_text(encoding="utf-8")

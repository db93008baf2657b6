"""End-to-end: the plugin matrix. Each row is a pytest plugin that Debian
packages, with a directory of tests/e2e/matrix that exercises what it does;
its suite enables exactly that plugin (`-p no:<name>` for every other
installed one, in ARGS, so that the collection, the entries and plain pytest
load the same). The rows run under pytest-shards in GRANULARITY shard, file
and test (one CMake project per granularity, one ctest -j 2 for all rows)
and under plain pytest (tools/bench/parity.py's reference run, on a copy of
the directories of its own), and this check compares, row by row:

1. every test's outcome (parity.py's comparison of the journals);
2. which tests failed, as plain pytest's own summary names them (its FAILED,
   ERROR and SUBFAIL lines), and whether the row passed: plain pytest's exit
   status against the verdicts of the row's CTest entries;
3. the failure messages (their key line, as parity.py shows them): the
   timeout's, the mock's, hypothesis's falsified assertion, ...;
4. what the plugin produces: pytest-regressions' files in the source tree
   (and a second run, which passes where plain pytest's second run passes),
   pytest-repeat's repeats, pytest-order's order.

Rows whose plugin pytest-shards refuses in a granularity are configured
alone there and must fail with the refusal's one line (REFUSED).
"""
import collections
import os
import re
import shutil
import sys
from importlib import metadata

from harness import (HERE, REPO, arguments, check, cmake_error_lines, configure, install,
                     newest_run, run, start)
from harness import own_plugins

PARITY = REPO / "tools" / "bench" / "parity.py"
sys.path.insert(0, str(PARITY.parent))
import parity  # noqa: E402

SOURCE = HERE / "matrix"
GRANULARITIES = ("shard", "file", "test")
# row: the pytest11 entry points it enables (the plugin and what it needs).
ROWS = {
    "timeout": ("timeout",),
    "mock": ("pytest_mock",),
    "asyncio": ("asyncio",),
    "subtests": ("subtests",),
    "regressions": ("regressions", "pytest-datadir"),
    "order": ("pytest_order",),
    "repeat": ("repeat",),
    "instafail": ("instafail",),
    "sugar": ("sugar",),
    "localserver": ("localserver",),
    "django": ("django",),
    "lazy-fixture": ("lazy-fixture",),
    "forked": ("pytest_forked",),
    "hypothesis": ("hypothesispytest",),
}
# (row, granularity): the refusal at configure, a regex of its one line.
REFUSED = {
    ("order", "test"): r"pytest_shard_tests\(order\): pytest-shards: pytest-order's order marks "
                       r"\(test_order\.py::test_first\) cannot be honoured in GRANULARITY test, "
                       r"where every test is a pytest session of its own; use GRANULARITY file "
                       r"or shard, which run a module with order marks in one entry",
}
# What the regressions row's first run writes into its directory.
WRITTEN = ["test_fresh_data/test_first_check.yml", "test_regressions/test_new.yml"]
FAILING = ("failed", "error", "crashed", "timeout", "missing")
SUMMARY = re.compile(r"^(?:FAILED|ERROR|SUBFAIL) (\S+)")
CTEST_RESULT = re.compile(r"Test +#\d+: (\S+) \.+[ *]*(\w+)")


def row_args(row):
    """The row's ARGS (its directory is the suite's working directory):
    every installed plugin blocked but the row's and those the project's
    checks allow (tests/own_plugins.py)."""
    installed = {entry.name for entry in metadata.entry_points(group="pytest11")}
    keep = set(ROWS[row]) | set(own_plugins.ALLOWED)
    return [arg for name in sorted(installed - keep) for arg in ("-p", f"no:{name}")]


def check_installed():
    installed = {entry.name for entry in metadata.entry_points(group="pytest11")}
    missing = sorted({name for names in ROWS.values() for name in names} - installed)
    check(not missing, "every row's plugin is installed (tools/install-deps.sh)",
          f"missing pytest11 entry points: {missing}")


def copy_source(work, name):
    """A fresh copy of the rows' directories: what a run writes there (the
    regression files) is compared between copies."""
    target = work / name
    shutil.copytree(SOURCE, target, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return target


def configure_rows(args, prefix, source, build, granularity, rows, check_status=True):
    options = [f"-DMATRIX_GRANULARITY={granularity}", f"-DMATRIX_ROWS={';'.join(rows)}"]
    options += [f"-DMATRIX_ARGS_{row}={';'.join(row_args(row))}" for row in rows]
    return configure(args, source, build, prefix, *options, check=check_status)


def suite_dir(build, row):
    return build / "pytest-shards" / row


# ---- plain pytest ---------------------------------------------------------------


def run_plain(build, row, reference_source, work):
    """Plain pytest on the row's directory in the reference copy (as parity.py
    runs it, with the suite's ARGS): (exit status, results, failed node IDs
    of pytest's summary, log)."""
    settings = dict(parity.read_settings(suite_dir(build, row)),
                    workdir=str(reference_source / row))
    work.mkdir(parents=True, exist_ok=True)
    status, results, _ = parity.run_reference(settings, work)
    results = relative(results, reference_source)
    log = (work / "pytest.log").read_text(errors="replace")
    check(status in parity.COMPARABLE_EXITS, f"plain pytest ran the {row} row to its end "
          f"(exit {status})", log[-3000:])
    failed = {m.group(1) for m in map(SUMMARY.match, log.splitlines()) if m}
    return status, results, failed, log


# ---- pytest-shards --------------------------------------------------------------


def entry_verdicts(log):
    """{entry name: ctest's verdict} of a ctest log."""
    return {m.group(1): m.group(2) for m in CTEST_RESULT.finditer(log)}


def relative(results, root):
    """Results with module paths relative to the copy of the directories
    they ran in, so that two copies' results pair."""
    return [dict(r, path=os.path.relpath(r["path"], root) if r["path"] else "") for r in results]


def shards_results(build, row, source):
    """The results of the row's last run in build, whose directories are
    copies in source."""
    suite = suite_dir(build, row)
    export = parity.export_results(parity.tool_of(suite), suite, build / f"{row}.export.json")
    return relative(parity.shards_results(export), source)


def compare_row(label, plain, shards, verdicts, row):
    """The comparisons 1-3 of the docstring for one row."""
    status, reference, failed, _ = plain
    tests, differences = parity.compare(reference, shards)
    check(tests and not differences, f"{label}: every outcome of its {tests} tests equals "
          "plain pytest's", "\n".join(differences))
    shards_failed = {r["nodeid"] for r in shards if r["outcome"] in FAILING}
    check(shards_failed == failed, f"{label}: the failed tests are those plain pytest's summary "
          f"names ({len(failed)})",
          f"pytest {sorted(failed)}, pytest-shards {sorted(shards_failed)}")
    mine = {name: verdict for name, verdict in verdicts.items() if name.startswith(row + "/")}
    check(mine and (status == 0) == all(v == "Passed" for v in mine.values()),
          f"{label}: its entries pass exactly when plain pytest passes (exit {status})",
          str(mine))
    by_id = {r["nodeid"]: r for r in shards}
    messages = [(r["nodeid"], parity.key_line(r["message"]),
                 parity.key_line(by_id[r["nodeid"]]["message"]))
                for r in reference if r["outcome"] in FAILING and r["nodeid"] in by_id]
    differ = [m for m in messages if m[1] != m[2]]
    check(not differ, f"{label}: each failure's message is plain pytest's "
          f"({'; '.join(sorted({m[1] for m in messages}))[:200]})", str(differ))


def repeats(results):
    """{test: number of its results}: pytest-repeat's repeats, per test
    (parameters of other kinds kept apart)."""
    return collections.Counter(re.sub(r"\[\d+-\d+\]$|-\d+-\d+\]$", "", r["nodeid"])
                               for r in results)


def start_orders(journals):
    """[[node IDs in the order they started]] of each journal."""
    orders = collections.defaultdict(list)
    for journal in journals:
        for record in parity.journal_records(journal):
            if record.get("event") == "start":
                orders[journal].append(record["nodeid"])
    return [order for order in orders.values() if order]


def files_of(directory):
    """{path: content} of the files under directory, but Python's caches."""
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*"))
            if p.is_file() and not {"__pycache__", ".pytest_cache"} & set(p.parts)}


def check_products(label, row, plain, shards, reference_source, source, build, work, log):
    """Comparison 4: what the row's plugin produces (log: ctest's output,
    with the failed entries' output)."""
    if row == "regressions":
        ours, theirs = files_of(source / row), files_of(reference_source / row)
        written = sorted(set(ours) - set(files_of(SOURCE / row)))
        check(ours == theirs and written == WRITTEN, f"{label}: the regression files in the "
              f"source tree are plain pytest's, {written} written", f"pytest {sorted(theirs)}, "
              f"pytest-shards {sorted(ours)}")
    if row == "repeat":
        counts = repeats(shards)
        check(counts == repeats(plain[1]) and counts["test_repeat.py::test_three_times"] == 3,
              f"{label}: every test repeated as often as under plain pytest "
              f"({dict(sorted(counts.items()))})", str(repeats(plain[1])))
    if row == "instafail":
        check(re.search(r"test_fails FAILED[^\n]*\n_+ test_fails _+\n", log),
              f"{label}: the failure is printed as it happens", log[-3000:])
    if row == "sugar":
        check("Results (" in log and "test_fails\x1b[0m \x1b[31m\u2a2f" in log, f"{label}: "
              "sugar's display (its marks, its results) is in the failed entry's output",
              log[-3000:])
    if row == "order":
        journals = sorted((newest_run(suite_dir(build, row)) / "journal").glob("*.jsonl"))
        expected = start_orders([work / "plain" / row / "pytest-journal.jsonl"])
        check(start_orders(journals) == expected, f"{label}: the module's tests ran in one "
              f"entry, in pytest-order's order ({expected})", str(start_orders(journals)))


def run_granularity(args, prefix, granularity, plain, reference_source):
    """Configures the rows in one granularity, runs them in one ctest and
    compares them with plain pytest."""
    rows = [row for row in ROWS if (row, granularity) not in REFUSED]
    source = copy_source(args.work, granularity)
    build = args.work / f"build-{granularity}"
    configure_rows(args, prefix, source, build, granularity, rows)
    done = run(args.ctest, "--test-dir", build, "-j", "2", "--output-on-failure", check=False)
    (args.work / f"ctest-{granularity}.log").write_text(done.stdout + done.stderr)
    verdicts = entry_verdicts(done.stdout)
    for row in rows:
        label = f"{row}, GRANULARITY {granularity}"
        if row not in plain:
            plain[row] = run_plain(build, row, reference_source, args.work / "plain" / row)
        shards = shards_results(build, row, source)
        compare_row(label, plain[row], shards, verdicts, row)
        check_products(label, row, plain[row], shards, reference_source, source, build, args.work,
                       done.stdout)
    return build


def check_second_run(args, build, granularity, reference_source, second):
    """pytest-regressions' second run: the file the first wrote is found
    (plain pytest's test_new passes now), with no stale collection."""
    row = "regressions"
    log = args.work / f"ctest-{granularity}-second.log"
    before = parity.run_ids(suite_dir(build, row))
    parity.run_ctest(args.ctest, build, row, 2, log)
    check(parity.run_ids(suite_dir(build, row)) - before, f"{row}: ctest ran it a second time "
          f"in GRANULARITY {granularity}", log.read_text(errors="replace"))
    verdicts = entry_verdicts(log.read_text(errors="replace"))
    shards = shards_results(build, row, args.work / granularity)
    compare_row(f"{row}, second run, GRANULARITY {granularity}", second, shards, verdicts, row)


def check_refused(args, prefix, granularity):
    for (row, refused_in), pattern in REFUSED.items():
        if refused_in != granularity:
            continue
        source = args.work / f"{granularity}-{row}-refused"
        shutil.copytree(SOURCE / row, source / row)
        shutil.copy(SOURCE / "CMakeLists.txt", source)
        done = configure_rows(args, prefix, source, args.work / f"build-{row}-refused",
                              granularity, [row], check_status=False)
        output = done.stdout + done.stderr
        errors = cmake_error_lines(output)
        check(done.returncode != 0 and len(errors) == 1 and re.fullmatch(pattern, errors[0]),
              f"{row}, GRANULARITY {granularity}: refused at configure in one line "
              f"({errors[:1]})", output[-3000:])


def main():
    args = start_matrix()
    check_installed()
    prefix = install(args)
    reference_source = copy_source(args.work, "plain-source")
    plain, builds = {}, {}
    for granularity in GRANULARITIES:
        builds[granularity] = run_granularity(args, prefix, granularity, plain, reference_source)
        check_refused(args, prefix, granularity)
    second = run_plain(builds["shard"], "regressions", reference_source,
                       args.work / "plain-second" / "regressions")
    for granularity in GRANULARITIES:
        check_second_run(args, builds[granularity], granularity, reference_source, second)
    print("matrix end-to-end: all checks passed")


def start_matrix():
    """The harness's start, without its PYTEST_ADDOPTS: each row blocks the
    other plugins itself, in its ARGS, where plain pytest sees them too."""
    args = start(arguments(__doc__))
    os.environ.pop("PYTEST_ADDOPTS", None)
    return args


if __name__ == "__main__":
    main()

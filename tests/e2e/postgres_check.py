"""End-to-end: the PostgreSQL example (tests/postgres) as a project of its
own, using the installed pytest-shards package. This check proves that

- `ctest -j 2` passes with every test run exactly once, tests of different
  shards running at the same time, each shard in its own database app_<n>;
- the fixture started one server per ctest run (one start and one stop
  record per run, a new server each run, every test talked to that server),
  and no process of it is left afterwards;
- the control, the same suite with one database name for every shard, fails
  because the shards collide in it;
- without the PostgreSQL programs the example is reported Skipped with the
  reason, neither failed nor passed.

Where PostgreSQL or psycopg2 is not installed, the check itself exits 77,
which ctest reports as Skipped.
"""
import itertools
import json
import pathlib
import shutil
import sys

from harness import (HERE, arguments, check, check_once, collected_node_ids, configure, install,
                     overlapped, read_evidence, run, start)

EXAMPLE = HERE.parent / "postgres"
SKIPPED = 77  # the exit status tests/e2e/CMakeLists.txt registers as SKIP_RETURN_CODE


def configure_example(args, build, *options):
    shutil.rmtree(build, ignore_errors=True)
    configure(args, EXAMPLE, build, args.prefix, *options, capture=False)


def ctest(args, build):
    """Runs ctest -j 2; returns (exit code, output)."""
    for stale in (build / "evidence").glob("shard-*.jsonl"):
        stale.unlink()
    result = run(args.ctest, "--test-dir", build, "-j", "2", "--output-on-failure", check=False)
    print(result.stdout + result.stderr, flush=True)
    return result.returncode, result.stdout + result.stderr


def evidence(build):
    """The records of the tests (the server's are in server-events.jsonl)."""
    return read_evidence(build / "evidence", "shard-*.jsonl")


def server_events(build):
    path = build / "evidence" / "server-events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def processes():
    """pid -> (parent pid, command line) of every live process."""
    found = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2:].split()[1])
        found[int(entry.name)] = (parent, cmdline)
    return found


def check_server_gone(build, start):
    pid = start["pid"]
    left = {p: cmd for p, (parent, cmd) in processes().items()
            if p == pid or parent == pid or str(build) in cmd}
    check(not left, f"no process of the server (pid {pid}) is left: {left}")
    sockets = list(pathlib.Path(start["socket_dir"]).glob(".s.PGSQL.*"))
    check(not sockets, f"the server removed its socket {sockets}")


def check_isolated_run(args, build, expected, run_number):
    code, output = ctest(args, build)
    check(code == 0, f"run {run_number}: ctest -j 2 passed with one database per shard")
    records = evidence(build)
    check_once((r["nodeid"] for r in records), expected,
               f"run {run_number}: each of the {len(expected)} tests ran exactly once")
    shards = sorted({r["shard"] for r in records})
    check(len(shards) >= 2, f"run {run_number}: the tests ran in shards {shards}")
    wrong = [r for r in records if r["database"] != f"app_{r['shard']}"]
    check(not wrong, f"run {run_number}: every shard used its own database app_<shard> "
                     f"({wrong[:1]})")
    # Whether shards overlapped depends on the machine's load (one shard's
    # start-up can outlast another's tests): main() asks it of either run.
    concurrent = [(a["nodeid"], b["nodeid"]) for a, b in itertools.combinations(records, 2)
                  if a["shard"] != b["shard"] and overlapped(a, b)]
    print(f"run {run_number}: {len(concurrent)} pairs of tests of different shards overlapped, "
          f"e.g. {concurrent[:1]}")

    events = server_events(build)
    starts = [e for e in events if e["event"] == "start"]
    stops = [e for e in events if e["event"] == "stop"]
    check(len(starts) == run_number and len(stops) == run_number,
          f"run {run_number}: the fixture started and stopped the server once per run "
          f"({len(starts)} starts, {len(stops)} stops after {run_number} runs)")
    start, stop = starts[-1], stops[-1]
    first_test = min(r["start"] for r in records)
    last_test = max(r["end"] for r in records)
    check(start["time"] < first_test and last_test < stop["time"] and stop["pid"] == start["pid"],
          f"run {run_number}: server pid {start['pid']} started before the first test and "
          f"stopped after the last")
    servers = {(r["server_pid"], r["data_directory"], r["server_started"]) for r in records}
    check(len(servers) == 1 and next(iter(servers))[0] == start["pid"],
          f"run {run_number}: every test talked to that one server: {servers}")
    check_server_gone(build, start)
    return start["pid"], len(concurrent)


def main():
    args = start(arguments(__doc__))
    work = args.work
    args.prefix = install(args)
    expected = collected_node_ids(args.python, EXAMPLE)

    # Without the server programs: Skipped, with the reason.
    absent = work / "absent"
    configure_example(args, absent, "-DPOSTGRES_EXAMPLE_PG_CTL=/nonexistent/pg_ctl")
    code, output = ctest(args, absent)
    check(code == 0 and "***Skipped" in output and "Passed" not in output and
          "postgres/skipped-no-postgresql (Skipped)" in output,
          "without PostgreSQL the example is reported Skipped, not failed or passed")
    verbose = run(args.ctest, "--test-dir", absent, "-V", check=False).stdout
    check("PostgreSQL example skipped: the PostgreSQL server programs (pg_ctl, initdb) are not "
          "installed" in verbose, "the skipped entry prints the reason (ctest -V)")

    isolated = work / "isolated"
    configure_example(args, isolated)
    listed = run(args.ctest, "--test-dir", isolated, "-N", check=False).stdout
    if "postgres/skipped-" in listed:
        # Reported as Skipped (SKIP_RETURN_CODE), like the example itself.
        print("SKIPPED: PostgreSQL or psycopg2 is not installed here; run tools/install-deps.sh")
        sys.exit(SKIPPED)
    first, overlaps_first = check_isolated_run(args, isolated, expected, 1)
    second, overlaps_second = check_isolated_run(args, isolated, expected, 2)
    check(first != second, f"each ctest run started its own server (pids {first}, {second})")
    check(overlaps_first + overlaps_second > 0,
          f"tests of different shards ran at the same time, each shard on its own database "
          f"({overlaps_first} and {overlaps_second} overlapping pairs in the two runs)")

    # The control: one database for every shard.
    shared = work / "shared"
    configure_example(args, shared, "-DPOSTGRES_EXAMPLE_DATABASE=app_shared")
    code, output = ctest(args, shared)
    check(code != 0, "control: with one shared database name, ctest -j 2 fails")
    databases = {r["database"] for r in evidence(shared)}
    check(databases <= {"app_shared"}, f"control: the shards that got going used {databases}")
    collision = ('relation "schema_version" already exists' in output or
                 "duplicate key value" in output or "AssertionError" in output)
    check(collision, "control: the failure is the shards colliding in one database "
                     "(a second migration, duplicate keys or foreign rows)")
    events = server_events(shared)
    starts = [e for e in events if e["event"] == "start"]
    stops = [e for e in events if e["event"] == "stop"]
    check(len(starts) == len(stops) == 1 and starts[0]["pid"] == stops[0]["pid"],
          "control: the cleanup stopped the server although shards failed")
    check_server_gone(shared, starts[0])
    print("postgres end-to-end: all checks passed")


if __name__ == "__main__":
    main()

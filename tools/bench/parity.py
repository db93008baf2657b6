"""Same verdicts as pytest: runs each pytest-shards suite of a build tree under
plain pytest and through ctest, and compares every test's outcome.

For each suite (a <binary dir>/pytest-shards/<name>/settings.json of the build
tree) it

1. runs plain pytest the way a user would: `<python> -m pytest <ARGS>
   <RUN_ARGS>` in the suite's WORKING_DIRECTORY, with the suite's ENVIRONMENT
   (placeholders as for one shard: {shard} 0, {shards} 1), the plugin on
   PYTHONPATH journaling every outcome (`-p pytest_shards_plugin
   --shards-journal=FILE`), --continue-on-collection-errors, and a fresh
   private cache dir (the shards have one too); `--reference xdist` adds
   `-n N` (the plugin journals on the xdist controller, which sees every
   worker's reports), `serial` adds `-n 0` when pytest-xdist is loaded;
2. runs the suite through ctest (`ctest --test-dir BUILD -L ^<name>$ -j N`)
   and exports that run (`pytest-shards report --export`);
3. compares the outcomes test by test, keyed by (module path, node ID), and
   prints every test whose outcome differs, every test only one side has, and
   "N tests, M differences".

Failing tests are not errors (both sides may fail them): exit 0 when every
outcome is the same, 1 when some differ, 2 when a run could not be compared
(pytest stopped with a usage or internal error or died, ctest started no new
run of the suite). Standard library only:

  /usr/bin/python3 tools/bench/parity.py --build-dir BUILD [--suite NAME]
      [--ctest CTEST] [-j N] [--reference serial|xdist] [--keep-going]
"""
import argparse
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys

EXPORT_FORMAT = "pytest-shards-results/1"
PYTEST_EXIT = {0: "all passed", 1: "tests failed", 2: "interrupted", 3: "internal error",
               4: "usage error", 5: "no tests collected"}
COMPARABLE_EXITS = (0, 1, 5)  # pytest ran to its end


class ParityError(Exception):
    """A run that cannot be compared; the message says why and what to do."""


# ---- the build tree -----------------------------------------------------------


def find_suites(build_dir):
    """{name: suite dir} of the build tree's suites, by name. Nested build
    trees (a directory with its own CMakeCache.txt) are other projects, which
    `ctest --test-dir BUILD` does not run: they are left out."""
    build_dir = pathlib.Path(build_dir).resolve()
    suites = {}
    for top, dirs, files in os.walk(build_dir):
        here = pathlib.Path(top)
        if here != build_dir and "CMakeCache.txt" in files:
            dirs[:] = []
            continue
        if "settings.json" in files and here.parent.name == "pytest-shards":
            suites.setdefault(read_settings(here)["suite"], here)
        dirs.sort()
    return suites


def read_settings(suite_dir):
    path = pathlib.Path(suite_dir) / "settings.json"
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ParityError(f"cannot read {path} ({e}); re-run cmake on the build tree")
    if settings.get("format") != "pytest-shards-settings/1":
        raise ParityError(f"{path} is not in format pytest-shards-settings/1; re-run cmake")
    return settings


def tool_of(suite_dir):
    """The pytest-shards executable the suite's ctest include file runs."""
    include = pathlib.Path(suite_dir) / "include.cmake"
    try:
        text = include.read_text(encoding="utf-8")
    except OSError as e:
        raise ParityError(f"cannot read {include} ({e}); re-run cmake, or pass --pytest-shards")
    found = re.search(r"^  TOOL \[(=*)\[\n?(.*?)\]\1\]$", text, re.S | re.M)
    if not found:
        raise ParityError(f"{include} names no pytest-shards executable; pass --pytest-shards")
    return found.group(2)


def run_ids(suite_dir):
    runs = pathlib.Path(suite_dir) / "runs"
    return {d.name for d in runs.iterdir()} if runs.is_dir() else set()


# ---- plain pytest ---------------------------------------------------------------


def expand(value, tmp, settings):
    """An ENVIRONMENT value as one shard of one would see it."""
    values = {"shard": "0", "shards": "1", "tmp": str(tmp),
              "port_base": str(settings["port_base"]),
              "port_count": str(settings["ports_per_shard"])}
    return re.sub(r"\{(shard|shards|tmp|port_base|port_count)\}",
                  lambda m: values[m.group(1)], value)


def reference_environment(settings, tmp):
    """ctest's environment as a shard gets it: the suite's ENVIRONMENT, the
    plugin on PYTHONPATH; no PYTEST_SHARD_* or PYTEST_XDIST_* variables."""
    env = dict(os.environ)
    for assignment in settings["environment"]:
        name, _, value = assignment.partition("=")
        env[name] = expand(value, tmp, settings)
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = settings["plugin_dir"] + (os.pathsep + path if path else "")
    return env


def xdist_loaded(settings):
    """Whether the suite's collection saw pytest-xdist (collection.json)."""
    try:
        collection = json.loads((pathlib.Path(settings["suite_dir"]) / "collection.json")
                                .read_text(encoding="utf-8"))
        return bool(collection.get("xdist"))
    except (OSError, ValueError):
        return False


def reference_command(settings, journal, cache_dir, reference, jobs, xdist):
    """Plain pytest on the suite. Its cache goes to a fresh directory of its
    own, as each shard's does: the suite's .pytest_cache is not touched, and
    suites that use the cache fixture or `--lf` in addopts still run (unlike
    with -p no:cacheprovider)."""
    argv = [settings["python"], "-m", "pytest", *settings["args"], *settings["run_args"],
            "--continue-on-collection-errors", "-o", f"cache_dir={cache_dir}",
            "-p", "pytest_shards_plugin", f"--shards-journal={journal}",
            f"--shards-serial-marker={settings['serial_marker']}"]
    if reference == "xdist":
        argv += ["-n", str(jobs)]
    elif xdist:
        argv += ["-n", "0", "--dist", "no"]  # `addopts = -n auto` must not apply
    return argv


def interpreter(python):
    """'Python 3.11.2, pytest 7.2.1' of the suite's interpreter."""
    probe = subprocess.run(
        [python, "-c", "import platform, pytest; "
                       "print('Python', platform.python_version() + ', pytest', pytest.__version__)"],
        capture_output=True, text=True)
    if probe.returncode != 0:
        raise ParityError(f"{python} cannot import pytest ({probe.stderr.strip()[-200:]}); "
                          "install pytest for it or re-run cmake with another PYTHON")
    return probe.stdout.strip()


def run_reference(settings, work, reference="serial", jobs=2):
    """Runs plain pytest on the suite; returns (exit status, results, argv).
    The log is work/pytest.log."""
    journal, cache, tmp = work / "pytest-journal.jsonl", work / "pytest-cache", work / "tmp"
    journal.unlink(missing_ok=True)
    for directory in (cache, tmp):
        shutil.rmtree(directory, ignore_errors=True)
    tmp.mkdir(parents=True)
    xdist = xdist_loaded(settings)
    if reference == "xdist" and not xdist:
        raise ParityError(f"pytest-xdist is not loaded for {settings['python']}; install it "
                          "(Debian: python3-pytest-xdist) or use --reference serial")
    argv = reference_command(settings, journal, cache, reference, jobs, xdist)
    with open(work / "pytest.log", "w") as log:
        status = subprocess.run(argv, cwd=settings["workdir"], stdout=log, stderr=subprocess.STDOUT,
                                env=reference_environment(settings, tmp)).returncode
    return status, read_journal(journal), argv


def journal_records(path):
    try:
        lines = pathlib.Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    for line in lines:
        try:
            yield json.loads(line)
        except ValueError:
            continue  # a torn last line: the interpreter died writing it


def read_journal(path):
    """The result records of a plugin journal: [{nodeid, path, outcome, message}]."""
    return [{"nodeid": r["nodeid"], "path": r.get("path", ""), "outcome": r["outcome"],
             "message": r.get("message", "")}
            for r in journal_records(path) if r.get("event") == "result"]


def running_when_stopped(path):
    """The node ID of the test that started last and has no result, or ""."""
    running = ""
    for record in journal_records(path):
        if record.get("event") == "start":
            running = record["nodeid"]
        elif record.get("event") == "result" and record["nodeid"] == running:
            running = ""
    return running


def exit_meaning(status):
    if status < 0:
        try:
            return f"killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"killed by signal {-status}"
    return PYTEST_EXIT.get(status, "unknown exit status")


# ---- pytest-shards --------------------------------------------------------------


def label_regex(name):
    """The -L regex that matches exactly the label `name`."""
    return "^" + re.sub(r"([.+*?^$()\[\]{}|\\])", r"\\\1", name) + "$"


def run_ctest(ctest, build_dir, suite, jobs, log):
    argv = [ctest, "--test-dir", str(build_dir), "-L", label_regex(suite), "-j", str(jobs),
            "--output-on-failure"]
    env = dict(os.environ)
    # Set by `ctest --preset test` for its own include files: it would cap this -j.
    env.pop("PYTEST_SHARDS_PRESET_JOBS", None)
    with open(log, "w") as out:
        status = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, env=env).returncode
    return status, argv


def export_results(tool, suite_dir, path):
    """The exported suite (a "suites" element of pytest-shards-results/1) of
    the suite's last run."""
    path = pathlib.Path(path)
    path.unlink(missing_ok=True)
    done = subprocess.run([tool, "report", "--suite-dir", str(suite_dir), "--export", str(path)],
                          capture_output=True, text=True)
    # report exits 1 when tests failed: only a missing export is an error.
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ParityError(f"pytest-shards report --export wrote no results ({e}): "
                          f"{(done.stderr or done.stdout).strip()[-300:]}")
    if document.get("format") != EXPORT_FORMAT or len(document.get("suites", [])) != 1:
        raise ParityError(f"{path} is not one suite in format {EXPORT_FORMAT}")
    return document["suites"][0]


def shards_results(export):
    return [{"nodeid": t["nodeid"], "path": t.get("path", ""), "outcome": t["outcome"],
             "message": t.get("message", ""), "id": t.get("id", t["nodeid"])}
            for t in export["tests"]]


# ---- comparing ------------------------------------------------------------------


def key(result):
    return (os.path.normpath(result["path"]) if result["path"] else "", result["nodeid"])


def index(results):
    """({key: result}, [keys seen more than once])."""
    by_key, twice = {}, []
    for result in results:
        k = key(result)
        if k in by_key:
            twice.append(k)
        by_key[k] = result
    return by_key, twice


def pair(reference, shards):
    """[(key, reference result or None, shards result or None)], keyed by
    (path, node ID). A side that does not know a test's path (an empty one)
    matches on the node ID alone when that is unambiguous."""
    left, right, pairs = dict(reference), dict(shards), []
    for k in [k for k in left if k in right]:
        pairs.append((k, left.pop(k), right.pop(k)))
    for one, other, flipped in ((left, right, False), (right, left, True)):
        for k in [k for k in one if k[0] == ""]:
            matches = [o for o in other if o[1] == k[1]]
            if len(matches) == 1:
                a, b = one.pop(k), other.pop(matches[0])
                pairs.append((matches[0], b, a) if flipped else (matches[0], a, b))
    pairs += [(k, r, None) for k, r in left.items()]
    pairs += [(k, None, r) for k, r in right.items()]
    return sorted(pairs, key=lambda p: (p[0][1], p[0][0]))


PASSING = ("passed", "skipped", "xfailed")


def key_line(message, limit=160):
    """What went wrong, in one line: pytest's first "E   " line, else the
    first non-empty one (as the report's JUnit message)."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    chosen = next((line[1:].strip() for line in lines if line.startswith("E ")),
                  lines[0] if lines else "")
    return chosen if len(chosen) <= limit else chosen[:limit - 3] + "..."


def compare(reference_results, shards):
    """(tests compared, [difference lines]) of two result lists."""
    reference, ref_twice = index(reference_results)
    sharded, shards_twice = index(shards)
    pairs = pair(reference, sharded)
    node_ids = [k[1] for k, _, _ in pairs]
    lines = []

    def name(k, result):
        shown = (result or {}).get("id") or k[1]
        return shown + (f"  [{k[0]}]" if node_ids.count(k[1]) > 1 and k[0] else "")

    for k, ref, sh in pairs:
        if ref is None:
            lines.append(f"only under pytest-shards: {name(k, sh)}: {sh['outcome']}"
                         + detail("pytest-shards", sh))
        elif sh is None:
            lines.append(f"only under plain pytest: {name(k, ref)}: {ref['outcome']}"
                         + detail("pytest", ref))
        elif ref["outcome"] != sh["outcome"]:
            lines.append(f"differs: {name(k, sh)}: pytest {ref['outcome']}, "
                         f"pytest-shards {sh['outcome']}"
                         + detail("pytest", ref) + detail("pytest-shards", sh))
    for side, twice in (("plain pytest", ref_twice), ("pytest-shards", shards_twice)):
        for k in twice:
            lines.append(f"ran more than once under {side}: {k[1]}" + (f"  [{k[0]}]" if k[0] else ""))
    return len(pairs), lines


def detail(side, result):
    if result["outcome"] in PASSING or not result["message"]:
        return ""
    return f"\n    {side}: {key_line(result['message'])}"


# ---- the command ----------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True, type=pathlib.Path,
                        help="a configured build tree that calls pytest_shard_tests()")
    parser.add_argument("--suite", action="append",
                        help="compare only this suite (repeatable; default: every suite)")
    parser.add_argument("--ctest", default=shutil.which("ctest") or "ctest",
                        help="the ctest to run (default: ctest on PATH)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="ctest -j, and pytest -n with --reference xdist (default: all cores)")
    parser.add_argument("--reference", choices=("serial", "xdist"), default="serial",
                        help="plain pytest in one process (default) or with pytest-xdist -n N")
    parser.add_argument("--keep-going", action="store_true",
                        help="after a suite that cannot be compared (see exit 2), go on with "
                             "the next and compare what a stopped pytest recorded")
    parser.add_argument("--pytest-shards", metavar="PATH",
                        help="the pytest-shards executable (default: the one the suite's "
                             "ctest include file runs)")
    return parser.parse_args(argv)


def lock_work(work):
    """Holds work/lock for this process: two comparisons of one suite would
    overwrite each other's journal and interleave their ctest runs."""
    lock = open(work / "lock", "w")
    try:
        import fcntl
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except ImportError:
        pass  # no flock (Windows): unguarded
    except OSError:
        raise ParityError(f"another parity.py is comparing this suite ({work / 'lock'} is "
                          "held); wait for it to finish")
    return lock


def compare_suite(args, name, suite_dir):
    """Prints the comparison of one suite; returns (tests, differences)."""
    work = pathlib.Path(suite_dir) / "parity"
    work.mkdir(exist_ok=True)
    with lock_work(work):
        return compare_locked(args, name, suite_dir, work)


def compare_locked(args, name, suite_dir, work):
    settings = read_settings(suite_dir)
    print(f"== suite {name}: {settings['python']} ({interpreter(settings['python'])}), "
          f"in {settings['workdir']}", flush=True)
    status, reference, argv = run_reference(settings, work, args.reference, args.jobs)
    print(f"plain pytest: exit {status} ({exit_meaning(status)}), "
          f"{len(reference)} results: cd {shlex.quote(settings['workdir'])} && "
          f"{' '.join(shlex.quote(str(a)) for a in argv)}  (log: {work / 'pytest.log'})", flush=True)
    if status not in COMPARABLE_EXITS:
        running = running_when_stopped(work / "pytest-journal.jsonl")
        message = (f"plain pytest stopped ({exit_meaning(status)}"
                   + (f" while running {running}" if running else "")
                   + f"); see {work / 'pytest.log'}")
        if not args.keep_going:
            raise ParityError(message)
        print(f"warning: {message}; comparing what it recorded")

    before = run_ids(suite_dir)
    ctest_status, ctest_argv = run_ctest(args.ctest, args.build_dir, name, args.jobs,
                                         work / "ctest.log")
    shown = " ".join(shlex.quote(str(a)) for a in ctest_argv)
    if "No tests were found" in (work / "ctest.log").read_text(errors="replace"):
        # Nothing collected (pytest's exit 5): the plan has no entries.
        shards = []
        print(f"pytest-shards: ctest exit {ctest_status}, no entries: {shown}", flush=True)
    else:
        export = export_results(args.pytest_shards or tool_of(suite_dir), suite_dir,
                                work / "export.json")
        print(f"pytest-shards: ctest exit {ctest_status}, run {export['run_id']}, "
              f"{len(export['tests'])} results: {shown}  (log: {work / 'ctest.log'})", flush=True)
        if export["run_id"] in before:
            raise ParityError(f"ctest started no new run of {name} (ctest exit {ctest_status}); "
                              f"see {work / 'ctest.log'}")
        shards = shards_results(export)
    tests, differences = compare(reference, shards)
    for line in differences:
        print(line)
    print(f"{name}: {tests} tests, {len(differences)} differences", flush=True)
    return tests, len(differences)


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    args.build_dir = args.build_dir.resolve()
    try:
        suites = find_suites(args.build_dir)
        if not suites:
            raise ParityError(f"no pytest-shards suite under {args.build_dir}; pass the build "
                              "tree of a project that calls pytest_shard_tests() and run cmake")
        for wanted in args.suite or []:
            if wanted not in suites:
                raise ParityError(f"no suite {wanted} under {args.build_dir}; "
                                  f"its suites: {', '.join(sorted(suites))}")
    except ParityError as e:
        print(f"parity: {e}", file=sys.stderr)
        return 2
    tests = differences = errors = 0
    for name in args.suite or sorted(suites):
        try:
            count, differ = compare_suite(args, name, suites[name])
            tests, differences = tests + count, differences + differ
        except ParityError as e:
            sys.stdout.flush()
            print(f"parity: {name}: {e}", file=sys.stderr, flush=True)
            errors += 1
            if not args.keep_going:
                break
    print(f"{tests} tests, {differences} differences"
          + (f", {errors} suites not compared" if errors else ""))
    return 2 if errors else 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())

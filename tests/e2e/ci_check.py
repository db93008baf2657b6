"""End-to-end: a CI matrix simulated on one machine. Three fresh build trees
of one suite run the slices 1/3, 2/3 and 3/3 one after another, each
exports its results (`pytest-shards report --export`), and this check proves

- from the suite's own evidence, that each collected test started exactly
  once across the three jobs,
- `pytest-shards merge` of the three exports exits 0, its JUnit file holds
  exactly the collected tests, each once, and --durations-out writes one
  sorted duration per collected test, in the durations store's format,
- merging only two of the exports exits non-zero and names the missing
  tests (node ID and module path),
- merging an export of another collection exits non-zero naming it,
- `CI_NODE_INDEX=2 CI_NODE_TOTAL=3` (GitLab, no PYTEST_SHARDS_SLICE) runs
  exactly the tests that `PYTEST_SHARDS_SLICE=2/3` runs, and ctest prints
  the slice and where it came from.

The jobs plan for PYTEST_SHARDS_CORES 1, 2 and 4, from a DURATIONS_FILE that
`merge --durations-out` wrote from a first, unsliced run: slices depend only
on the collection and that file, never on a job's cores or local history.

It runs timed_suite.py's project; the options are harness.py's.
"""
import json
import shutil
import xml.etree.ElementTree as ElementTree

from harness import arguments, check, check_once, configure, install, installed_tool, run, start
from timed_suite import clean_env, evidence, write_project

CORES = ("1", "2", "4")


def fresh_tree(args, project, build, *options):
    """A fresh build tree, as a CI job starts with."""
    shutil.rmtree(build, ignore_errors=True)
    configure(args, project, build, args.prefix, *options, env=clean_env())


def job(args, build, export, **env):
    """One CI job: ctest in its build tree, then its export. Returns the node
    IDs it ran (from the evidence) and ctest's output."""
    shutil.rmtree(build / "evidence", ignore_errors=True)
    result = run(args.ctest, "--test-dir", build, "-j", "2", "--output-on-failure",
                 env=clean_env(**env))
    run(args.tool, "report", "--build-dir", build, "--export", export, env=clean_env())
    return [r["nodeid"] for r in evidence(build)], result.stdout + result.stderr


def main():
    args = start(arguments(__doc__))
    work = args.work
    args.prefix = install(args)
    args.tool = installed_tool(args.prefix)
    project = work / "project"
    ids = write_project(project, sleep=0.05)

    # A first run, unsliced, gives the durations file the matrix plans from.
    seed = work / "seed"
    fresh_tree(args, project, seed)
    job(args, seed, work / "seed.json", PYTEST_SHARDS_CORES="2")
    seeded = work / "seed-durations.json"
    run(args.tool, "merge", work / "seed.json", "--durations-out", seeded)
    with_file = f"-DDURATIONS={seeded}"

    exports, ran = [], []
    for k, cores in enumerate(CORES, start=1):
        build = work / f"job-{k}"
        fresh_tree(args, project, build, with_file)
        export = work / f"job-{k}.json"
        tests, output = job(args, build, export, PYTEST_SHARDS_SLICE=f"{k}/3",
                            PYTEST_SHARDS_CORES=cores)
        check(f"pytest-shards: timed: slice {k}/3 from PYTEST_SHARDS_SLICE" in output,
              f"job {k}: ctest printed its slice and its source", output[-2000:])
        check(tests, f"job {k} (PYTEST_SHARDS_CORES={cores}) ran {len(tests)} tests")
        exports.append(export)
        ran += tests
    check_once(ran, ids, f"the evidence: each of the {len(ids)} collected tests started exactly "
                         f"once across the three jobs")

    junit, durations = work / "merged.xml", work / "durations.json"
    merged = run(args.tool, "merge", *exports, "--junit", junit, "--durations-out", durations,
                 check=False)
    check(merged.returncode == 0 and merged.stdout.endswith("OK\n"),
          "merge of the three exports exits 0", merged.stdout + merged.stderr)
    print(merged.stdout, end="")
    cases = [f"{c.get('classname')}::{c.get('name')}"
             for c in ElementTree.parse(junit).getroot().iter("testcase")]
    want = [i.replace(".py::", "::").replace("/", ".") for i in ids]
    check(sorted(cases) == sorted(want), "merge --junit: exactly the collected tests, each once",
          f"{sorted(cases)}\n{sorted(want)}")
    text = durations.read_text()
    stored = json.loads(text)
    check(stored["format"] == "pytest-shards-durations/1" and sorted(stored["tests"]) == sorted(ids)
          and text.count("::test_") == len(ids),
          "merge --durations-out: one line per collected test, in the durations store's format")
    keys = [line.split('"')[1] for line in text.splitlines() if "::test_" in line]
    check(keys == sorted(keys), "merge --durations-out: sorted by node ID")

    partial = run(args.tool, "merge", exports[0], exports[1], check=False)
    third = json.loads(exports[2].read_text())["suites"][0]["tests"]
    lost = sorted(t["nodeid"] for t in third)
    named = all(f"{n} ({project / 'suite' / n.split('::')[0]})" in partial.stdout for n in lost)
    check(partial.returncode != 0 and f"ran in no job ({len(lost)})" in partial.stdout and named,
          f"merge of two exports exits {partial.returncode} and names the {len(lost)} tests of "
          f"the third by node ID and module path", partial.stdout + partial.stderr)

    other = work / "other"
    fresh_tree(args, project, other, "-DSUITE_ARGS=-k;not test_0")
    other_export = work / "other.json"
    job(args, other, other_export, PYTEST_SHARDS_SLICE="3/3")
    mixed = run(args.tool, "merge", exports[0], exports[1], other_export, check=False)
    check(mixed.returncode != 0 and "comes from different collections" in mixed.stderr and
          str(other_export) in mixed.stderr and mixed.stderr.count("\n") == 1,
          "merge of an export of another collection: one line naming the files",
          mixed.stdout + mixed.stderr)

    # A fresh tree, as job 2's was: both plan without durations.
    build = work / "gitlab"
    fresh_tree(args, project, build, with_file)
    gitlab, output = job(args, build, work / "gitlab.json", CI_NODE_INDEX="2", CI_NODE_TOTAL="3",
                         PYTEST_SHARDS_CORES=CORES[1])
    sliced = [t["nodeid"] for t in json.loads(exports[1].read_text())["suites"][0]["tests"]]
    check(sorted(gitlab) == sorted(sliced),
          "CI_NODE_INDEX=2 CI_NODE_TOTAL=3 ran exactly the tests of PYTEST_SHARDS_SLICE=2/3",
          f"{sorted(gitlab)}\n{sorted(sliced)}")
    check("pytest-shards: timed: slice 2/3 from CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)" in output,
          "ctest printed the slice and its source (GitLab)", output[-2000:])
    exported = json.loads((work / "gitlab.json").read_text())["suites"][0]
    check(exported["slice"] == {"index": 2, "count": 3,
                                "source": "CI_NODE_INDEX/CI_NODE_TOTAL (GitLab)"},
          f"the export says which slice the job ran: {exported['slice']}")


if __name__ == "__main__":
    main()

"""End-to-end: same session outputs as pytest. Installs pytest-shards,
configures the consumer project tests/e2e/session (a package of three
subpackages, run with --pyargs from a working directory outside them) with
pytest-cov and --junitxml in its arguments, and proves, in GRANULARITY shard,
file and test:

1. the coverage data file that the session step writes equals plain
   pytest's line by line (`coverage json`: each file's executed and missing
   lines), and so does the JUnit file (every test case, in order, with its
   outcome, message and properties);
2. --cov-fail-under is judged once, on the combined total: below it only
   <suite>/session fails, with pytest-cov's own message, and every test
   entry keeps its verdict; above it the session passes;

and, in shard granularity,

3. a --junitxml given in RUN_ARGS alone (no coverage) is written once, with
   every test;
4. an entry whose pytest crashes: the session step names the entry whose
   coverage part is missing and fails, the crashed test is in the JUnit file
   as failed, and the other entries' data is combined;
5. a run of one entry (`ctest -R`) writes the outputs of what it ran;
6. --lf, which no entry can honour, is refused at configure in one line;
7. a CI matrix of two slices (PYTEST_SHARDS_SLICE): each job keeps its
   session directory (`report --session-parts`), and `pytest-shards session
   --parts` on them writes coverage and JUnit equal to one plain pytest run
   and judges the threshold once, on the total.
8. two suites of one build tree with one --junitxml: one line at configure;
9. a per-session seed option (a stand-in for pytest-randomly, which Debian
   does not package): every entry of a run uses one seed, which the session
   step prints, and the next run another.
10. a module that fails to import (run with --pyargs, so its node ID is
   relative to its package): the collection-errors entry runs it by its
   file and writes its coverage, so coverage and JUnit (with the collection
   error) equal plain pytest --continue-on-collection-errors', and the
   session step passes.
"""
import json
import os
import random
import re
import shutil
import xml.etree.ElementTree as ET

from harness import (HERE, arguments, check, cmake_error_lines, configure, install,
                     installed_tool, run, start)

PROJECT = HERE / "session"
PACKAGES = ("pkg.alpha", "pkg.beta", "pkg.gamma")
THRESHOLD_MET = "Required test coverage of 85% reached. Total coverage: 90.00%"
THRESHOLD_MISSED = "FAIL Required test coverage of 95% not reached. Total coverage: 90.00%"


def workdir(path):
    """pytest's working directory: a pytest.ini that puts the package on
    sys.path, nothing else. The package lives beside it (../src)."""
    path.mkdir(parents=True)
    (path / "pytest.ini").write_text("[pytest]\npythonpath = ../src\n")
    return path


def coverage_lines(python, data_file):
    """{file below src/: (executed and missing lines and branches)} of a coverage data
    file (each project has its own copy of the package)."""
    out = data_file.parent / (data_file.name + ".json")
    run(python, "-m", "coverage", "json", f"--data-file={data_file}", "-o", out)
    files = json.loads(out.read_text())["files"]
    return {f.split("src/", 1)[-1]: (d["executed_lines"], d["missing_lines"],
                                     d.get("executed_branches"), d.get("missing_branches"))
            for f, d in files.items()}


def junit_cases(path):
    """[(classname, name, [(child tag, message)])] of a JUnit file, in order."""
    suite = ET.parse(path).getroot().find("testsuite")
    return [(case.get("classname"), case.get("name"),
             [(child.tag, child.get("message", "")) for child in case])
            for case in suite.iter("testcase")]


# A test module of the package that fails to import, past a few lines.
BROKEN_MODULE = ("pkg/gamma/tests/test_broken.py",
                 "import os\n\nSEPARATOR = os.sep\nimport pkg.gamma.no_such_module  # noqa\n")


def plain_pytest(args, work, *pytest_args, coveragerc=None, files=()):
    """Plain pytest's outputs: (its coverage data file, its JUnit file, output)."""
    cwd = workdir(work / "plain" / "run")
    if coveragerc:
        (cwd / ".coveragerc").write_text(coveragerc)
    shutil.copytree(PROJECT / "pkg", work / "plain" / "src" / "pkg")
    for path, text in files:
        (work / "plain" / "src" / path).write_text(text)
    junit = work / "plain" / "junit.xml"
    done = run(args.python, "-m", "pytest", "-p", "no:cacheprovider", "--pyargs", *PACKAGES,
               "--cov=pkg", f"--junitxml={junit}", *pytest_args, cwd=cwd, check=False)
    return cwd / ".coverage", junit, done.stdout


class Project:
    """The consumer project configured in its own build tree."""

    def __init__(self, args, prefix, work, name):
        self.args = args
        self.prefix = prefix
        self.root = work / name
        self.cwd = workdir(self.root / "run")
        shutil.copytree(PROJECT / "pkg", self.root / "src" / "pkg")
        self.build = self.root / "build"
        self.junit = self.root / "junit.xml"

    def configure(self, granularity, pytest_args=(), run_args=(), check_=True, other_args=()):
        argv = ["--pyargs", *PACKAGES, *pytest_args]
        return configure(self.args, PROJECT, self.build, self.prefix,
                         f"-DSESSION_WORKDIR={self.cwd}", f"-DSESSION_GRANULARITY={granularity}",
                         "-DSESSION_ARGS=" + ";".join(argv),
                         "-DSESSION_RUN_ARGS=" + ";".join(run_args),
                         "-DSESSION_OTHER_ARGS=" + ";".join(other_args), check=check_)

    def ctest(self, *options, env=None):
        """(names of the failed entries, every entry's output)."""
        done = run(self.args.ctest, "--test-dir", self.build, "-j", "2", *options, check=False,
                   env=env)
        failed = [line.split(" - ", 1)[1].split(" (")[0].strip()
                  for line in done.stdout.splitlines() if " - session/" in line]
        log = self.build / "Testing" / "Temporary" / "LastTest.log"
        return failed, done.stdout + log.read_text()


def check_granularity(args, prefix, work, granularity, plain):
    plain_data, plain_junit, plain_output = plain
    project = Project(args, prefix, work, granularity)
    project.configure(granularity, ["--cov=pkg", "--cov-report=term-missing",
                                    "--cov-fail-under=85", f"--junitxml={project.junit}"])
    failed, output = project.ctest()
    check(len(failed) == 1 and "session/session" not in failed,
          f"{granularity}: the failing test's entry fails, the session passes", output)
    check(THRESHOLD_MET in output, f"{granularity}: the threshold is judged once, met", output)
    check(output.count("Required test coverage") == 1,
          f"{granularity}: no entry judged a threshold of its own", output)
    check(coverage_lines(args.python, project.cwd / ".coverage")
          == coverage_lines(args.python, plain_data),
          f"{granularity}: the combined .coverage equals plain pytest's line by line")
    check(junit_cases(project.junit) == junit_cases(plain_junit),
          f"{granularity}: the JUnit file equals plain pytest's, case by case",
          f"{junit_cases(project.junit)}\n{junit_cases(plain_junit)}")
    project.configure(granularity, ["--cov=pkg", "--cov-fail-under=95"])
    entry_failures = failed
    failed, output = project.ctest()
    check("session/session" in failed and THRESHOLD_MISSED in output,
          f"{granularity}: below the threshold the session fails with pytest-cov's message",
          output)
    # The failing test now runs first, in an entry of its own (last-failed).
    check(len([f for f in failed if f != "session/session"]) == len(entry_failures),
          f"{granularity}: the test entries keep their verdicts", output)
    return project


def check_one_seed_per_run(args, prefix):
    project = Project(args, prefix, args.work, "seed")
    # A plugin (-p), as pytest-randomly is, not a conftest.py: pytest 9 gives a
    # conftest's autouse fixture only to tests below its directory, and the
    # package's tests are elsewhere (../src).
    shutil.copyfile(HERE.parent / "randomly_standin.py", project.cwd / "randomly_standin.py")
    project.configure("file", ["-p", "randomly_standin"])
    seeds = []
    env = dict(os.environ, RANDOMLY_DRAWS=str(project.cwd / "draws"))
    for _ in range(2):
        (project.cwd / "draws").unlink(missing_ok=True)
        _, output = project.ctest(env=env)
        used = set(re.findall(r"Using --randomly-seed=(\d+)", output))
        draws = set((project.cwd / "draws").read_text().split())
        check(len(used) == 1 and draws == {str(random.Random(int(min(used))).random())},
              "one seed for every entry of the run and its session step", output)
        seeds.append(used.pop())
    check(seeds[0] != seeds[1], "the next run has another seed", str(seeds))


def main():
    parser = arguments(__doc__)
    args = start(parser)
    prefix = install(args)
    plain = plain_pytest(args, args.work, "--cov-report=term-missing", "--cov-fail-under=85")
    check(THRESHOLD_MET in plain[2], "plain pytest: 90 % coverage, the threshold of 85 % met",
          plain[2])
    for granularity in ("shard", "file", "test"):
        project = check_granularity(args, prefix, args.work, granularity, plain)

    # Branch coverage and per-test contexts, from a .coveragerc.
    rc = "[run]\nbranch = True\n"
    branch = plain_pytest(args, args.work / "branch", "--cov-context=test", coveragerc=rc)
    project = Project(args, prefix, args.work, "branch")
    (project.cwd / ".coveragerc").write_text(rc)
    project.configure("file", ["--cov=pkg", "--cov-context=test"])
    project.ctest()
    check(coverage_lines(args.python, project.cwd / ".coverage")
          == coverage_lines(args.python, branch[0]),
          "branch coverage from .coveragerc, --cov-context=test: equal line and branch by branch")

    # 3. RUN_ARGS --junitxml, no coverage.
    project = Project(args, prefix, args.work, "run-args")
    project.configure("shard", run_args=[f"--junitxml={project.junit}"])
    project.ctest()
    check(junit_cases(project.junit) == junit_cases(plain[1]),
          "RUN_ARGS --junitxml: one file with every test, as plain pytest's")

    # 4. A crashed pytest: its coverage part is missing.
    project = Project(args, prefix, args.work, "crash")
    project.configure("shard", ["--cov=pkg", f"--junitxml={project.junit}"])
    env = dict(os.environ, SESSION_SUITE_CRASH="1")
    failed, output = project.ctest(env=env)
    check("session/session" in failed and "wrote no coverage data" in output,
          "a crashed pytest: the session step names the entry whose coverage is missing",
          output)
    cases = {name: kids for _, name, kids in junit_cases(project.junit)}
    check(cases.get("test_may_crash", [("", "")])[0][0] == "failure"
          and len(cases) == len(junit_cases(plain[1])),
          "a crashed pytest: its test is failed in the JUnit file, every other test is there",
          str(cases))
    check((project.cwd / ".coverage").exists(), "a crashed pytest: the rest is combined")

    # 5. One entry.
    project.configure("file", [f"--junitxml={project.junit}"])
    project.ctest("-R", "test_beta")
    cases = junit_cases(project.junit)
    check(cases and all(classname == "tests.test_beta" for classname, _, _ in cases),
          "ctest -R: the JUnit file holds what the selection ran", str(cases))

    # 6. --lf.
    done = Project(args, prefix, args.work, "lf").configure("shard", ["--lf"], check_=False)
    errors = cmake_error_lines(done.stdout + done.stderr)
    check(done.returncode != 0 and any("--lf cannot be honoured" in e for e in errors),
          "--lf is refused at configure in one line", done.stdout + done.stderr)

    # 8. Two suites of one build tree, one JUnit file.
    project = Project(args, prefix, args.work, "two")
    done = project.configure("shard", [f"--junitxml={project.junit}"], check_=False,
                             other_args=["--pyargs", "pkg.alpha", f"--junitxml={project.junit}"])
    errors = cmake_error_lines(done.stdout + done.stderr)
    check(done.returncode != 0 and len(errors) == 1
          and f"junitxml file {project.junit} is also written by suite session" in errors[0],
          "two suites with one --junitxml: one line at configure", done.stdout + done.stderr)

    # 9. One seed per run.
    check_one_seed_per_run(args, prefix)

    check_collection_error(args, prefix)

    check_matrix(args, prefix, plain)


def check_collection_error(args, prefix):
    """10. A module that fails to import."""
    plain_data, plain_junit, plain_output = plain_pytest(
        args, args.work / "broken", "--continue-on-collection-errors", files=[BROKEN_MODULE])
    check("1 error" in plain_output, "plain pytest: one collection error", plain_output)
    project = Project(args, prefix, args.work / "broken", "ours")
    path, text = BROKEN_MODULE
    (project.root / "src" / path).write_text(text)
    project.configure("shard", ["--cov=pkg", f"--junitxml={project.junit}"])
    failed, output = project.ctest()
    check("session/collection-errors" in failed and "session/session" not in failed,
          "a module that fails to import: its entry fails, the session step passes", output)
    check(coverage_lines(args.python, project.cwd / ".coverage")
          == coverage_lines(args.python, plain_data),
          "a module that fails to import: .coverage equals plain pytest's line by line")
    check(junit_cases(project.junit) == junit_cases(plain_junit),
          "a module that fails to import: the JUnit file equals plain pytest's, with the error",
          f"{junit_cases(project.junit)}\n{junit_cases(plain_junit)}")
    # pytest names a module given by its file outside the rootdir "": the
    # report must still count one error, the module's, as plain pytest does.
    export = project.root / "results.json"
    run(installed_tool(prefix), "report", "--build-dir", project.build, "--export", export,
        check=False)
    errors = [(test["nodeid"], test["entry"])
              for suite in json.loads(export.read_text())["suites"] for test in suite["tests"]
              if test["outcome"] == "error"]
    check(errors == [("tests/test_broken.py", "session/collection-errors")],
          "a module that fails to import: the report has its one error, by its node ID", errors)


def check_matrix(args, prefix, plain):
    """7. Two CI jobs, each a slice, merged by a third."""
    project = Project(args, prefix, args.work, "matrix")
    project.configure("shard", ["--cov=pkg", "--cov-report=term-missing", "--cov-fail-under=85",
                                f"--junitxml={project.junit}"])
    tool = installed_tool(prefix)
    parts = []
    for k in (1, 2):
        project.ctest(env=dict(os.environ, PYTEST_SHARDS_SLICE=f"{k}/2"))
        check(0 < len(junit_cases(project.junit)) < len(junit_cases(plain[1])),
              f"slice {k}/2: its session step writes the slice's own tests")
        part = project.root / "parts" / str(k)
        run(tool, "report", "--build-dir", project.build, "--session-parts", part, check=False)
        parts.append(part / "session")
    (project.cwd / ".coverage").unlink()
    project.junit.unlink()
    run(args.ctest, "--test-dir", project.build, "-N")  # the merging job plans, runs nothing
    done = run(tool, "session", "--suite-dir", project.build / "pytest-shards" / "session",
               "--parts", *parts, check=False)
    output = done.stdout + done.stderr
    check(done.returncode == 0 and output.count(THRESHOLD_MET) == 1,
          "CI matrix: the merged session judges the threshold once, on the total", output)
    check(coverage_lines(args.python, project.cwd / ".coverage")
          == coverage_lines(args.python, plain[0]),
          "CI matrix: the merged .coverage equals plain pytest's line by line")
    check(junit_cases(project.junit) == junit_cases(plain[1]),
          "CI matrix: the merged JUnit file equals plain pytest's, case by case",
          f"{junit_cases(project.junit)}\n{junit_cases(plain[1])}")
    done = run(tool, "session", "--suite-dir", project.build / "pytest-shards" / "session",
               "--parts", parts[0], parts[0], check=False)
    check(done.returncode != 0 and "ran in two jobs" in done.stdout + done.stderr,
          "CI matrix: a test in two jobs' parts is an error, named", done.stdout + done.stderr)


if __name__ == "__main__":
    main()

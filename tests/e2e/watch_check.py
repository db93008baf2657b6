"""End-to-end: `pytest-shards watch` over a real ctest. The suite has a test
that fails at once and one that waits for a file this check creates only
after it has read the failure in watch's output. This check proves that

- watch shows the failing node ID while ctest still runs (causally: ctest
  cannot finish before the waiting test is released, and the release needs
  the failure line), and a progress line counting it,
- its output into a pipe (a CI log) holds no control character but the
  newline, keeps ctest's own output in the log file, and ends with the
  report's summary and ctest's closing lines,
- it exits with ctest's exit code,
- under a terminal (a pseudo-terminal) the progress line updates in place,
- Ctrl-C there stops ctest and its runners, which still stop pytest and
  journal it (the report shows no entry killed mid-run),
- a failure shows its traceback in pytest's short style under its line,
- SIGINT to watch's process group a few seconds into a run of the `long`
  suite ends it with one line saying what ran and what did not, with no
  test called failed or missing that did not run and no ctest line after
  it, exit 130; `pytest-shards report` on that run says it was interrupted,
  its export calls the tests it did not run `not run` (with the signal), and
  `pytest-shards merge` of that export lists them as not run (not as ran in
  no job) and ends INTERRUPTED.
"""
import collections
import json
import os
import pty
import queue
import re
import select
import signal
import subprocess
import threading
import time

from harness import (HERE, arguments, check, configure, install, installed_tool, read_evidence,
                     run, run_dirs, start)

PROJECT = HERE / "watch"
FAILURE = b"FAILED tests/test_1_fails.py::test_fails_at_once - assert 1 == 2\n"
# The short-style traceback (--tb short, watch's default) under it.
TRACEBACK = ("tests/test_1_fails.py:5: in test_fails_at_once\n"
             "    assert 1 == 2\n"
             "E   assert 1 == 2\n")
# Seconds to wait for anything before calling watch broken.
PATIENCE = 300
# ctest's arguments: the suite of the checks but the interrupt's.
WATCH_SUITE = ["-j", "2", "-R", "^watch/"]


def control_characters(output):
    """The control characters in output, but the newline."""
    return sorted({c for c in output if (c < 0x20 and c != 0x0A) or c == 0x7F})


class Lines:
    """watch's output lines as they stream from its pipe."""

    def __init__(self, stream):
        self.queue = queue.Queue()
        self.seen = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self.queue.put(line)
        self.queue.put(None)

    def until(self, wanted, what):
        """Reads lines until one for which wanted(line) holds."""
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            self.seen.append(line)
            if wanted(line):
                return line
        check(False, f"watch showed {what}; its output:\n" + b"".join(self.seen).decode())

    def rest(self):
        while (line := self.queue.get(timeout=PATIENCE)) is not None:
            self.seen.append(line)
        return b"".join(self.seen)


def watch_in_pipe(args, tool, build):
    release = build / "release"
    watch = subprocess.Popen(
        [tool, "watch", "--build-dir", build, "--ctest", args.ctest, "--interval", "1", "--",
         *WATCH_SUITE], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = Lines(watch.stdout)
    lines.until(lambda line: line == FAILURE, "the failing node ID")
    check(not release.exists() and watch.poll() is None,
          "the failing node ID appeared while its neighbour still waited (ctest was running)")
    progress = re.compile(rb"\d+% (\d+)/7 tests: \d+ passed, 1 failed, \d+ skipped; ")
    line = lines.until(lambda line: (m := progress.match(line)) and int(m.group(1)) < 7,
                       "a progress line counting the failure before the run was done")
    check(True, f"progress line while the test waited: {line.decode().strip()}")
    release.touch()
    output = lines.rest()
    code = watch.wait()
    print(output.decode())
    check(not control_characters(output),
          f"output into a pipe has no control characters ({control_characters(output)})")
    text = output.decode()
    check("\n100% 7/7 tests: 5 passed, 1 failed, 1 skipped; 0 running" in text,
          "the last progress line counts all 7 tests")
    check(FAILURE.decode() + TRACEBACK in text,
          "the failure's line, then its traceback in pytest's short style")
    summary = text.find("pytest-shards report: watch (run ")
    closing = text.find("% tests passed, 1 tests failed out of 2\n")
    check(0 < text.find(FAILURE.decode()) < summary < closing,
          "the failure line, then the report's summary, then ctest's closing lines")
    check("\n5 passed, 1 failed, 1 skipped\n" in text,
          "the summary has the waiting test passed: released after the failure was shown")
    log = (build / "pytest-shards" / "watch-ctest.log").read_text()
    check("Test project" in log and "Test project" not in text,
          "ctest's own output is in watch-ctest.log, not in watch's output")
    return code


def in_terminal(args, tool, build, interrupt=False):
    """Runs watch under a pseudo-terminal; with `interrupt`, types Ctrl-C once
    it has shown the failure. Returns its exit code and output."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(str(tool), [str(tool), "watch", "--build-dir", str(build), "--ctest",
                             args.ctest, "--", *WATCH_SUITE])
    output = b""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], 1)[0]:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: every process holding the terminal is gone
            break
        if not chunk:
            break
        if interrupt and FAILURE.rstrip() in output + chunk and FAILURE.rstrip() not in output:
            os.write(fd, b"\x03")
        output += chunk
    else:
        os.kill(pid, signal.SIGKILL)
        check(False, "watch under a terminal ended; its output:\n" + output.decode())
    os.close(fd)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    print(output.decode(errors="replace").replace("\r", "\\r").replace("\x1b", "\\e"))
    return code, output


def watch_in_terminal(args, tool, build):
    code, output = in_terminal(args, tool, build)
    redraws = re.findall(rb"\r\x1b\[K\d+% \d+/7 tests: [^\r\n]*(?=\r)", output)
    check(len(redraws) >= 2, f"under a terminal the progress line was redrawn in place "
                             f"({len(redraws)} times)")
    check(b"\r\x1b[K100% 7/7 tests: 5 passed, 1 failed, 1 skipped" in output,
          "under a terminal the last progress line counts all 7 tests")
    check(FAILURE.rstrip() in output, "under a terminal the failing node ID has its own line")
    return code


def interrupt_in_terminal(args, tool, build):
    """Ctrl-C while a test waits: ctest and its runners stop, the runners
    still stop pytest and journal it, and watch shows that."""
    (build / "release").unlink()
    code, output = in_terminal(args, tool, build, interrupt=True)
    check(code != 0, f"after Ctrl-C watch exits non-zero ({code})")
    check(b"pytest-shards report: watch" in output and b"entries that did not finish" not in output,
          "after Ctrl-C every runner wrote its closing record, and watch showed the report")
    runs = run_dirs(build / "pytest-shards" / "watch")
    journals = read_evidence(runs[-1] / "journal")
    pids = [r["pid"] for r in journals if r["event"] == "session"]
    alive = []
    for pid in pids:
        try:
            os.kill(pid, 0)
            alive.append(pid)
        except ProcessLookupError:
            pass
    check(pids and not alive, f"after Ctrl-C no pytest of the run is left running ({alive})")


INTERRUPTED = re.compile(r"interrupted by signal 2 after \d+:\d\d: (\d+) of (\d+) tests ran "
                         r"\((\d+) passed, (\d+) failed, (\d+) skipped\), (\d+) did not run")


def interrupt_a_few_seconds_in(args, tool, build):
    """SIGINT to watch's process group (as a terminal's Ctrl-C, which reaches
    watch; watch passes it on to ctest's group) once some of the long
    suite's 60 tests have passed and most have not run."""
    watch = subprocess.Popen(
        [tool, "watch", "--build-dir", build, "--ctest", args.ctest, "--interval", "1", "--",
         "-j", "2", "-R", "^long/"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    lines = Lines(watch.stdout)
    progress = re.compile(rb"\d+% (\d+)/60 tests: ")
    lines.until(lambda line: (m := progress.match(line)) and int(m.group(1)) >= 4,
                "a progress line with some of the long suite's tests done")
    os.killpg(watch.pid, signal.SIGINT)
    text = lines.rest().decode()
    code = watch.wait()
    print(text)
    check(code == 130, f"after SIGINT watch exits 130 ({code})")
    last = text.rstrip("\n").rsplit("\n", 1)[-1]
    found = INTERRUPTED.fullmatch(last)
    check(found, f"watch's last line says the run was interrupted: {last!r}")
    ran, total, passed, failed, skipped, not_run = map(int, found.groups())
    journals = read_evidence(run_dirs(build / "pytest-shards" / "long")[-1] / "journal")
    journalled = sum(1 for r in journals if r["event"] == "result" and r["outcome"] == "passed")
    check(total == 60 and ran + not_run == 60 and 4 <= ran < 60 and passed == ran == journalled
          and failed == skipped == 0,
          f"plausible counts: {ran} ran, all passed as journalled ({journalled}), "
          f"{not_run} did not run")
    check("FAILED" not in text and "MISSING" not in text and "missing" not in text,
          "no test that did not run is called failed or missing")
    check("Test project" not in text and "Errors while running CTest" not in text,
          "no ctest line in watch's output, none after the interrupted line")
    report = run(tool, "report", "--suite-dir", build / "pytest-shards" / "long", check=False)
    print(report.stdout)
    check(report.returncode != 0 and f"interrupted by signal 2: {not_run} of 60 tests did not run\n"
          in report.stdout and "missing" not in report.stdout and "\nINTERRUPTED\n" in report.stdout,
          "pytest-shards report says the run was interrupted and how many did not run, exit "
          f"{report.returncode}")
    export_and_merge(tool, build, ran, not_run)


def export_and_merge(tool, build, ran, not_run):
    """The interrupted run's export and its merge say which tests did not run."""
    export = build / "interrupted.json"
    run(tool, "report", "--suite-dir", build / "pytest-shards" / "long", "--export", export,
        check=False)
    suite = json.loads(export.read_text())["suites"][0]
    outcomes = collections.Counter(t["outcome"] for t in suite["tests"])
    signals = {t.get("interrupted") for t in suite["tests"] if t["outcome"] == "not run"}
    check(suite.get("interrupted") == 2 and outcomes == {"passed": ran, "not run": not_run}
          and signals == {2},
          f"the export says interrupted by signal 2, {ran} passed, {not_run} not run: "
          f"{suite.get('interrupted')}, {dict(outcomes)}, signals {signals}")
    merged = run(tool, "merge", export, check=False)
    print(merged.stdout)
    check(merged.returncode != 0 and merged.stdout.endswith("\nINTERRUPTED\n")
          and f"did not run (interrupted) ({not_run}):" in merged.stdout
          and "ran in no job" not in merged.stdout,
          "pytest-shards merge of the export lists the tests that did not run as such, ends "
          f"INTERRUPTED, exit {merged.returncode}", merged.stderr)


def main():
    args = start(arguments(__doc__))
    build = args.work / "build"
    prefix = install(args)
    tool = installed_tool(prefix)
    configure(args, PROJECT, build, prefix, capture=False)

    piped = watch_in_pipe(args, tool, build)
    ctest = run(args.ctest, "--test-dir", build, *WATCH_SUITE, check=False,
                capture=False).returncode
    check(piped == ctest != 0, f"watch exits with ctest's exit code ({piped}; ctest: {ctest})")
    in_terminal = watch_in_terminal(args, tool, build)
    check(in_terminal == ctest, f"under a terminal too ({in_terminal})")
    interrupt_in_terminal(args, tool, build)
    interrupt_a_few_seconds_in(args, tool, build)
    print("watch end-to-end: all checks passed")


if __name__ == "__main__":
    main()

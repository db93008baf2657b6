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
  journal it (the report shows no entry killed mid-run).
"""
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
# Seconds to wait for anything before calling watch broken.
PATIENCE = 300


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
         "-j", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = Lines(watch.stdout)
    lines.until(lambda line: line == FAILURE, "the failing node ID")
    check(not release.exists() and watch.poll() is None,
          "the failing node ID appeared while its neighbour still waited (ctest was running)")
    progress = re.compile(rb"(\d+)/7 tests: \d+ passed, 1 failed, \d+ skipped; ")
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
    check("\n7/7 tests: 5 passed, 1 failed, 1 skipped; 0 running" in text,
          "the last progress line counts all 7 tests")
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
                             args.ctest, "--", "-j", "2"])
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
    redraws = re.findall(rb"\r\x1b\[K\d+/7 tests: [^\r\n]*(?=\r)", output)
    check(len(redraws) >= 2, f"under a terminal the progress line was redrawn in place "
                             f"({len(redraws)} times)")
    check(b"\r\x1b[K7/7 tests: 5 passed, 1 failed, 1 skipped" in output,
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


def main():
    args = start(arguments(__doc__))
    build = args.work / "build"
    prefix = install(args)
    tool = installed_tool(prefix)
    configure(args, PROJECT, build, prefix, capture=False)

    piped = watch_in_pipe(args, tool, build)
    ctest = run(args.ctest, "--test-dir", build, "-j", "2", check=False, capture=False).returncode
    check(piped == ctest != 0, f"watch exits with ctest's exit code ({piped}; ctest: {ctest})")
    in_terminal = watch_in_terminal(args, tool, build)
    check(in_terminal == ctest, f"under a terminal too ({in_terminal})")
    interrupt_in_terminal(args, tool, build)
    print("watch end-to-end: all checks passed")


if __name__ == "__main__":
    main()

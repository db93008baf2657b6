"""Each test holds ALLOC_MIB of memory it has written to (so it is resident)
for a while, and records when it held it: `first` in pytest's own process,
`second` in a child process, which only a reading of the whole process tree
counts."""
import json
import os
import pathlib
import subprocess
import sys
import time

PAGE = 4096


def hold_memory(name):
    size = int(os.environ.get("ALLOC_MIB", "100")) << 20
    start = time.time()
    buffer = bytearray(size)
    for offset in range(0, size, PAGE):  # touch every page: resident, not just reserved
        buffer[offset] = 1
    time.sleep(3)  # many of the runner's memory samples
    end = time.time()
    del buffer
    evidence = os.environ.get("EVIDENCE_DIR")
    if evidence:
        pathlib.Path(evidence).mkdir(parents=True, exist_ok=True)
        record = {"test": name, "shard": os.environ.get("PYTEST_SHARD_INDEX"),
                  "pid": os.getpid(), "start": start, "end": end}
        with open(pathlib.Path(evidence) / f"{name}.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")


def test_holds_memory_in_pytest():
    hold_memory("first")


def test_holds_memory_in_a_child_process():
    subprocess.run([sys.executable, __file__, "second"], check=True)


if __name__ == "__main__":
    hold_memory(sys.argv[1])

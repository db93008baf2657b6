"""End-to-end: MEMORY_BUDGET and peak RSS. Two shards each hold ALLOC_MIB
(600 MiB) of written-to memory for three seconds, one in pytest's process, one
in a child process of pytest. This check proves that

- `pytest-shards report` gives each shard's peak RSS (its whole process
  tree, sampled while it ran) within 10 % of the allocation, also for the
  shard whose memory is held by a child process,
- the next ctest run gives each entry RESOURCE_GROUPS memory:<its peak> and
  a resource spec file with MEMORY_BUDGET slots, which ctest reads,
- under a budget that fits one shard but not two, the shards never overlap
  in time, while under a budget that fits both (the control) they do,
- MEMORY_BUDGET auto sizes the pool to the memory available at ctest start.
"""
import json
import shutil

from harness import (HERE, arguments, check, configure, install, installed_tool, listed_tests,
                     read_evidence, run, start)

PROJECT = HERE / "memory"
ALLOC_MIB = 600
ONE_FITS = 1000  # one shard (~630 MiB) fits, two do not
BOTH_FIT = 4000


def configure_budget(args, prefix, build, budget):
    shutil.rmtree(build, ignore_errors=True)
    configure(args, PROJECT, build, prefix, f"-DMEMORY_BUDGET={budget}",
              f"-DALLOC_MIB={ALLOC_MIB}", capture=False)


def ctest(args, build):
    """Runs the suite with -j 2; returns the two tests' holding intervals."""
    shutil.rmtree(build / "evidence", ignore_errors=True)
    result = run(args.ctest, "--test-dir", build, "-j", "2", "--output-on-failure",
                 check=False, capture=False)
    check(result.returncode == 0, f"ctest -j 2 passed in {build.name}")
    records = {record["test"]: record for record in read_evidence(build / "evidence")}
    check(sorted(records) == ["first", "second"] and
          records["first"]["shard"] != records["second"]["shard"],
          f"the two allocating tests ran once each, in different shards: {records}")
    return records["first"], records["second"]


def overlap(a, b):
    return min(a["end"], b["end"]) - max(a["start"], b["start"])


def report_peaks(args, build):
    """Entry name -> peak RSS MiB, from the table of `pytest-shards report`."""
    out = run(args.tool, "report", "--build-dir", build).stdout
    print(out, end="")
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("entry"))
    check("peak RSS MiB" in lines[header], "report has a peak RSS column")
    peaks = {}
    for line in lines[header + 1:]:
        words = line.split()
        if len(words) < 6 or not words[0].startswith("memory/"):
            break
        peaks[words[0]] = float(words[4])
    return peaks


def resource_groups(args, build):
    """Entry name -> memory slots it asks for, as ctest reads them."""
    slots = {}
    for test in listed_tests(args.ctest, build):
        for prop in test.get("properties", []):
            if prop["name"] == "RESOURCE_GROUPS":
                (group,) = prop["value"]
                (need,) = group["requirements"]
                check(need[".type"] == "memory", f"{test['name']} asks for memory")
                slots[test["name"]] = need["slots"]
    return slots


def spec_slots(build):
    spec = json.loads((build / "pytest-shards" / "resource-spec.json").read_text())
    (pool,) = spec["local"][0]["memory"]
    return pool["slots"]


def measured_run(args, prefix, build, budget):
    """Configures, runs once to measure, checks the report; returns the peaks."""
    configure_budget(args, prefix, build, budget)
    ctest(args, build)
    peaks = report_peaks(args, build)
    check(len(peaks) == 2, f"report lists both shards: {peaks}")
    for name, mib in peaks.items():
        check(abs(mib - ALLOC_MIB) <= ALLOC_MIB * 0.10,
              f"report: {name} peak RSS {mib:.1f} MiB is within 10 % of the {ALLOC_MIB} MiB "
              f"it allocated")
    return peaks


def main():
    args = start(arguments(__doc__))
    work = args.work
    prefix = install(args)
    args.tool = installed_tool(prefix)

    # A budget that fits one shard: the first run measures, the second obeys.
    tight = work / "tight"
    peaks = measured_run(args, prefix, tight, ONE_FITS)
    slots = resource_groups(args, tight)
    check(spec_slots(tight) == ONE_FITS,
          f"the resource spec file has {ONE_FITS} memory slots (MEMORY_BUDGET)")
    check(sorted(slots) == sorted(peaks) and
          all(abs(slots[name] - peaks[name]) <= 1 for name in peaks),
          f"each entry asks for RESOURCE_GROUPS memory:<its measured peak>: {slots}")
    check(sum(slots.values()) > ONE_FITS >= max(slots.values()),
          f"one entry fits the budget of {ONE_FITS} MiB, both together do not")
    first, second = ctest(args, tight)
    check(overlap(first, second) < 0,
          f"under MEMORY_BUDGET {ONE_FITS} the shards never held their memory at the same "
          f"time (gap {-overlap(first, second):.2f} s)")
    peaks = report_peaks(args, tight)
    check(all(abs(mib - ALLOC_MIB) <= ALLOC_MIB * 0.10 for mib in peaks.values()),
          f"second run: peaks within 10 % again {peaks}")

    # Control: a budget that fits both lets them run at the same time.
    roomy = work / "roomy"
    measured_run(args, prefix, roomy, BOTH_FIT)
    first, second = ctest(args, roomy)
    check(overlap(first, second) > 0,
          f"control: under MEMORY_BUDGET {BOTH_FIT} the same shards overlapped "
          f"({overlap(first, second):.2f} s)")

    # auto: the pool is the memory available when ctest starts.
    automatic = work / "auto"
    configure_budget(args, prefix, automatic, "auto")
    resource_groups(args, automatic)  # ctest runs the include file, which writes the spec
    meminfo = dict(line.split(":", 1) for line in open("/proc/meminfo"))
    available = int(meminfo["MemAvailable"].split()[0]) // 1024
    total = int(meminfo["MemTotal"].split()[0]) // 1024
    pool = spec_slots(automatic)
    check(available // 2 <= pool <= total,
          f"MEMORY_BUDGET auto: {pool} memory slots (MiB available now: {available}, "
          f"total: {total})")
    print("memory end-to-end: all checks passed")


if __name__ == "__main__":
    main()

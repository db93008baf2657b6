// `pytest-shards merge`: the results of the jobs of a CI matrix, each job's
// `pytest-shards report --export` file (report_export.h), as one: a summary,
// one JUnit file and an updated durations file. It checks what no single
// job can see: that the jobs ran the same collection, and that every
// collected test ran in exactly one of them.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/durations.h"
#include "report/report.h"

namespace pytest_shards {

// One job's export file, parsed.
struct JobExport {
  std::string file;  // as the user named it, for messages
  nlohmann::json document;
};

// One suite over every job that exported it.
struct MergedSuite {
  std::string suite;
  std::string collection;  // the identity the jobs share (CollectionIdentity)
  // Per job: "<file>: slice 2/3 from PYTEST_SHARDS_SLICE, run <id>, <totals>".
  std::vector<std::string> jobs;
  // The jobs' entries (named "<entry> [<job>]") and results, and a
  // "<suite>/never-ran" entry holding a "missing" result for each collected
  // test that ran in no job: for the JUnit file and the totals. A test that
  // an interrupted job did not run (and no job ran) is its job's result, as
  // that job's report had it: "missing" with `interrupted`, counted in
  // not_run, not in the totals, a skip in the JUnit file.
  Report report;
  std::size_t collected = 0;
  // Collected tests as "<pytest node ID> (<module path>)".
  std::vector<std::string> never_ran;  // in no job
  std::vector<std::string> ran_twice;  // in two jobs or more (or twice in one)
  // In no job, because a job that had it was interrupted:
  // "<pytest node ID> (<module path>): job <job> was interrupted by signal 2".
  std::vector<std::string> not_run;
  // The jobs a signal interrupted (the export's "interrupted"): "<job> by
  // signal 2".
  std::vector<std::string> interrupted;
};

struct Merged {
  std::vector<MergedSuite> suites;  // by name
  // A job of some suite was interrupted.
  bool Interrupted() const;
  // No job interrupted, no failing outcome, and every collected test ran
  // exactly once.
  bool Ok() const;
};

// Throws Error (one line, naming the files) when a file is not a results
// export, or when two files hold one suite of different collections.
Merged MergeExports(const std::vector<JobExport>& jobs);

// Per suite: the jobs, the totals, the interrupted jobs, the tests that ran
// in no job, that an interrupted job did not run, or that ran in two (at
// most `limit` of each; the JUnit file has them all), then OK, INTERRUPTED
// (a job was interrupted) or FAILED.
std::string FormatMerged(const Merged& merged, std::size_t limit = 100);

// The durations the jobs measured, over `previous` (an earlier durations
// file): tests no suite collects any more are dropped, start-up is the mean
// of the jobs' entries, nothing else (entries, peaks, failures are local to
// one machine's plan). Seconds rounded to milliseconds, so that the file,
// written one test per line in key order, diffs small.
Durations MergedDurations(const Merged& merged, const Durations& previous);

// Reads FILE...: Error naming the file when unreadable or not JSON.
std::vector<JobExport> ReadExports(const std::vector<std::string>& files);

}  // namespace pytest_shards

// The report: merges the journals of one ctest run (see journal.h) against
// the plan that run executed (see plan.h) into a summary, JUnit XML and the
// durations store the next plan reads.
#pragma once

#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "durations.h"
#include "journal.h"
#include "plan_file.h"

namespace pytest_shards {

// One test result and the CTest entry whose journal holds it.
struct ReportResult {
  std::string entry;
  TestResult test;
};

// One CTest entry of the plan and what its journal says about it.
struct EntryRow {
  std::string name;
  std::size_t tests = 0;  // node IDs the plan gave it
  bool ran = false;       // a journal of this run exists
  bool finished = false;  // the runner wrote its closing "shard" record
  bool collection_errors = false;
  double wall = 0;
  double startup = 0;
  long peak_rss_kb = 0;
  int exit_code = 0;
  int restarts = 0;
  std::string running;                // killed mid-run: the test it was running
  std::map<std::string, int> counts;  // outcome -> results
  // When it ran, for the timeline (report_html.h): the journal's start and
  // end (journal.h), seconds since the epoch; 0 when unknown.
  double start = 0;
  double end = 0;

  // "passed", "failed", "killed" (no closing record: killed mid-run),
  // "not run" (no journal of this run).
  std::string Status() const;
};

struct Report {
  std::string suite;
  std::string run_id;
  std::vector<EntryRow> entries;      // in plan order
  std::map<std::string, int> totals;  // outcome -> results over all entries
  // Accounting: each planned node ID must have exactly one result.
  std::vector<std::string> never_ran;  // in plan order
  std::vector<std::string> ran_twice;  // in plan order
  // Every result of this run in journal order. A node ID that never ran
  // appears once with outcome "missing" and a message saying so; a module
  // of the collection-errors entry without a result appears with "error".
  std::vector<ReportResult> results;

  // No failing outcome, clean accounting, every entry finished with exit 0.
  bool Ok() const;
};

// Uses only the journals whose run_id is the plan's: older journals belong
// to an earlier run. A journal is matched to its entry by index (by name
// when the index is out of range). A journal without the closing record
// still contributes the results it has. `collection_errors` (from
// collection.json) gives the message of a module of the collection-errors
// entry whose journal has no result for it.
Report BuildReport(const PlanFile& plan, const std::vector<ShardJournal>& journals,
                   const std::vector<CollectionError>& collection_errors = {});

// Human-readable: a per-entry table, a totals line ("N passed, N failed",
// then the other non-zero outcomes), the failing node IDs and the
// accounting problems.
std::string FormatSummary(const Report& report);

// "N passed, N failed", then the other non-zero outcomes.
std::string FormatTotals(const std::map<std::string, int>& totals);

// JUnit XML: <testsuites name=suite> holding one <testsuite> per entry and
// one <testcase> per result. Any node ID text gives well-formed XML 1.0:
// characters XML cannot hold are written as "#xHH".
std::string JunitXml(const Report& report, const std::string& suite);

// The JUnit (classname, name) of a node ID:
// "tests/test_a.py::TestX::test_y[p]" -> ("tests.test_a.TestX", "test_y[p]").
std::pair<std::string, std::string> JunitNames(const std::string& node_id);

// Text XML 1.0 can hold: what it cannot (control characters, invalid UTF-8)
// becomes "#xHH", as pytest's own junitxml does, so distinct node IDs stay
// distinct. The markup characters are left to the XML writer to escape.
std::string XmlSafe(std::string_view text);

// The store updated with this run: the latest measured duration of every
// test that ran to an outcome (not crashed/timeout/missing), the wall time
// of every finished entry, the mean non-zero start-up of the entries, and
// the failed set: node IDs with a failing outcome (see IsFailure) in an
// entry that ran are added, those that ran to another outcome removed.
// Folding the same report twice gives the same store.
Durations FoldDurations(Durations store, const Report& report);

// The line of a failure message that says what went wrong, at most `limit`
// bytes: pytest's first "E   " line (its long report starts with source
// lines), else the first non-empty line.
std::string KeyLine(const std::string& message, std::size_t limit);

// The plan of run `run_id` of the suite (see runs.h). Throws Error naming the
// file when it is missing or corrupt.
PlanFile ReadPlan(const std::filesystem::path& suite_dir, const std::string& run_id);

// Reports run `run_id` of the suite (see runs.h): prints the summary to
// `out`, writes JUnit XML to junit_file unless it is empty, updates
// durations.json. Returns 0 when Ok(), 1 otherwise; throws Error when the
// run has no readable plan. With `exported`, also sets it to the suite's
// part of the results export (report_export.h). With `report`, also stores
// the report there (for the timeline, report_html.h).
int ReportRun(const std::filesystem::path& suite_dir, const std::string& run_id,
              const std::string& junit_file, std::ostream& out, nlohmann::json* exported = nullptr,
              Report* report = nullptr);

// `pytest-shards report`: ReportRun of the last run that ran (a ctest that
// only listed tests does not count); throws Error when there is no plan.
int ReportMain(const std::filesystem::path& suite_dir, const std::string& junit_file,
               std::ostream& out, nlohmann::json* exported = nullptr, Report* report = nullptr);

// Folds the last run's journals into durations.json; `plan` calls it at
// each ctest start before it plans. Does nothing when there is no usable
// plan or journal, or when the store already holds these journals as they
// are (Durations::folded); idempotent. Returns the store as it is then: a
// corrupt one is rebuilt from the run, or throws Error (as ReadDurations)
// when there is none.
Durations FoldJournalsIntoDurations(const std::filesystem::path& suite_dir);

}  // namespace pytest_shards

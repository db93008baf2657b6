// The report's accounting: merges the journals of one ctest run (see
// journal.h) against the plan that run executed (see plan_file.h): what
// each entry and test did, what never ran or ran twice; and records the run
// in the durations store the next plan reads (plan/learn.h). What the
// report shows is
// elsewhere: the summary text (report_summary.h), JUnit XML
// (report_junit.h), the results export (report_export.h), the timeline
// (report_html.h); `pytest-shards report` puts them together
// (report_command.h).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "data/durations.h"
#include "data/journal.h"
#include "plan/plan_file.h"

namespace pytest_shards {

// One test result and the CTest entry whose journal holds it.
struct ReportResult {
  std::string entry;
  TestResult test;
};

// What became of one CTest entry in a run.
enum class EntryStatus {
  kPassed,
  kFailed,
  kKilled,  // no closing record: killed mid-run
  kNotRun,  // no journal of this run
  // No journal of this run, and the ctest's -R, -E, -L or -LE left it out
  // (ctest_invocation.h): not a failure.
  kNotSelected,
};
// "passed", "failed", "killed", "not run", "not selected": the words of the summary, the
// export and the timeline page.
const char* EntryStatusName(EntryStatus status);
// The status EntryStatusName calls `word`; nothing for another word.
std::optional<EntryStatus> ParseEntryStatus(std::string_view word);

// One CTest entry of the plan and what its journal says about it.
struct EntryRow {
  std::string name;
  std::size_t tests = 0;  // node IDs the plan gave it
  bool ran = false;       // a journal of this run exists
  bool finished = false;  // the runner wrote its closing "shard" record
  bool collection_errors = false;
  // The ctest that planned the run may have selected it (see kNotSelected).
  bool selected = true;
  double wall = 0;
  double startup = 0;
  long peak_rss_kb = 0;
  int exit_code = 0;
  int restarts = 0;
  std::string cold;                   // why it started pytest cold (journal.h)
  int interrupted = 0;                // the signal that stopped it (journal.h); 0: none
  std::string running;                // killed mid-run: the test it was running
  std::map<std::string, int> counts;  // outcome -> results
  // When it ran, for the timeline (report_html.h): the journal's start and
  // end (journal.h), seconds since the epoch; 0 when unknown.
  double start = 0;
  double end = 0;

  EntryStatus Status() const;
  // Some result of the entry has a failing outcome (see IsFailure).
  bool HasFailingResult() const;
};

struct Report {
  std::string suite;
  std::string run_id;
  // The options that chose the entries the ctest ran ("-R ^s/a$", see
  // CtestInvocation::SelectionText); empty when it ran every entry or its
  // command line is unknown.
  std::string selection;
  // The ctest's command line (plan_file.h), argv[0] first; empty: unknown.
  std::vector<std::string> ctest_argv;
  std::vector<EntryRow> entries;  // in plan order
  // outcome -> results over all entries, but those an interrupt kept from
  // running (not_run)
  std::map<std::string, int> totals;
  // A signal (SIGINT, SIGTERM, SIGHUP) stopped the run: the signal, which
  // some entry journalled; 0 when none did.
  int interrupted = 0;
  // Tests of the selected entries that the interrupt kept from running
  // (TestResult::interrupted, and every test of an entry that had not
  // started): neither failures nor never_ran.
  std::size_t not_run = 0;
  // Accounting: each planned node ID must have exactly one result.
  std::vector<std::string> never_ran;  // in plan order
  std::vector<std::string> ran_twice;  // in plan order
  // Every result of this run in journal order. A node ID that never ran
  // appears once with outcome "missing" and a message saying so (with
  // `interrupted` set when the run was interrupted); a module of the
  // collection-errors entry without a result appears with "error".
  std::vector<ReportResult> results;

  // Not interrupted, no failing outcome, clean accounting, every entry
  // finished with exit 0 but those the ctest did not select.
  bool Ok() const;
};

// Uses only the journals whose run_id is the plan's: older journals belong
// to an earlier run. An entry without one that the plan's ctest did not
// select (its recorded command line) is "not selected": its node IDs are
// neither results nor never_ran. In an interrupted run, an entry without
// one did not start because of the interrupt: its node IDs are not_run. A journal is matched to its
// entry by index (by name when the index is out of range). A journal without the closing record
// still contributes the results it has. `collection_errors` (from
// collection.json) gives the message of a module of the collection-errors
// entry whose journal has no result for it.
Report BuildReport(const PlanFile& plan, const std::vector<ShardJournal>& journals,
                   const std::vector<CollectionError>& collection_errors = {});

// The names of the entries that re-run modules that failed to collect.
std::set<std::string> CollectionErrorEntries(const Report& report);

// The plan of run `run_id` of the suite (see runs.h). Throws Error naming the
// file when it is missing or corrupt.
PlanFile ReadPlan(const std::filesystem::path& suite_dir, const std::string& run_id);

// One run read to be reported (report_command.h): its plan, its journals,
// collection.json as it is now (it only adds collection errors' messages
// and pytest's names of tests: empty when missing or corrupt), the report,
// and the stamp of its journals taken before they were read
// (Durations::folded).
struct ReportedRun {
  PlanFile plan_file;
  std::vector<ShardJournal> journals;
  Collection collection;
  Report report;
  std::string stamp;
};

// Reads run `run_id` of the suite (see runs.h) and builds its report.
// Throws Error when the run has no readable plan or a journal is corrupt.
ReportedRun ReadRun(const std::filesystem::path& suite_dir, const std::string& run_id);

// Folds the run into durations.json (LearnDurations, plan/learn.h) and
// records its journals as folded; a corrupt store is rebuilt from this run.
void RecordDurations(const std::filesystem::path& suite_dir, const ReportedRun& run);

}  // namespace pytest_shards

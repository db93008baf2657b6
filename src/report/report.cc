#include "report/report.h"

#include <algorithm>
#include <set>

#include "data/outcome.h"
#include "data/runs.h"
#include "emit/ctest_invocation.h"
#include "emit/emit.h"
#include "plan/learn.h"
#include "util/error.h"
#include "util/file_util.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// The test a journal without its closing record was running when its
// writers were killed: the last one that started and has no result.
std::string RunningTest(const ShardJournal& journal) {
  std::set<std::string> done;
  for (const TestResult& result : journal.results) done.insert(result.node_id);
  for (auto it = journal.started.rbegin(); it != journal.started.rend(); ++it)
    if (!done.count(*it)) return *it;
  return "";
}

EntryRow MakeRow(const Entry& entry, const std::vector<const ShardJournal*>& journals) {
  EntryRow row;
  row.name = entry.name;
  row.tests = entry.node_ids.size();
  row.collection_errors = entry.collection_errors;
  row.ran = !journals.empty();
  for (const ShardJournal* journal : journals) {
    if (journal->start > 0 && (row.start == 0 || journal->start < row.start))
      row.start = journal->start;
    row.end = std::max(row.end, journal->end);
    if (!journal->finished) {
      row.running = RunningTest(*journal);
      continue;
    }
    row.finished = true;
    row.wall = journal->wall;
    row.startup = journal->startup;
    row.peak_rss_kb = journal->peak_rss_kb;
    row.exit_code = journal->exit_code;
    row.restarts = journal->restarts;
    row.cold = journal->cold;
    row.interrupted = journal->interrupted;
  }
  return row;
}

void Add(Report* report, EntryRow* row, TestResult result) {
  ++row->counts[result.outcome];
  if (result.NotRun())
    ++report->not_run;
  else
    ++report->totals[result.outcome];
  report->results.push_back({row->name, std::move(result)});
}

// Why a module of the collection-errors entry has no result: pytest's
// error from the collection when known.
std::string CollectionMessage(const Entry& entry, const std::string& module,
                              const std::vector<CollectionError>& errors) {
  for (const CollectionError& error : errors)
    if (error.node_id == module && !error.message.empty()) return error.message;
  return "failed to collect; see the output of " + entry.name;
}

// Results for the planned node IDs that have none: a "missing" result for a
// test, an "error" for a module of the collection-errors entry (its journal
// may hold nothing when pytest stopped at the import error).
void AddUnaccounted(Report* report, EntryRow* row, const Entry& entry,
                    const std::map<std::string, int>& seen,
                    const std::vector<CollectionError>& collection_errors) {
  if (row->Status() == EntryStatus::kNotSelected) return;
  std::set<std::string> listed;
  for (const std::string& node_id : entry.node_ids) {
    auto found = seen.find(node_id);
    int count = found == seen.end() ? 0 : found->second;
    if (entry.collection_errors) {
      if (count == 0)
        Add(report, row,
            {node_id, OutcomeName(Outcome::kError), 0,
             CollectionMessage(entry, node_id, collection_errors)});
      continue;
    }
    if (count == 0 && !row->ran && report->interrupted != 0) {
      TestResult result{node_id, OutcomeName(Outcome::kMissing), 0,
                        "not run: the run was interrupted by signal " +
                            std::to_string(report->interrupted) + " before " + entry.name +
                            " started"};
      result.interrupted = report->interrupted;
      Add(report, row, std::move(result));
    } else if (count == 0) {
      report->never_ran.push_back(node_id);
      std::string why =
          row->ran ? "its journal has no result for it" : "the entry did not run in this ctest run";
      std::string message = "never ran: " + why + " (" + entry.name + ")";
      if (row->ran && node_id == row->running)
        message = "did not finish: it was running when " + entry.name + " was killed";
      Add(report, row, {node_id, OutcomeName(Outcome::kMissing), 0, message});
    } else if (count > 1 && listed.insert(node_id).second) {
      report->ran_twice.push_back(node_id);
    }
  }
}

// The shared tail's node IDs (plan/shared_tail.h) belong to no one entry:
// each must have run in one of the entries that share it. One that none
// ran counts as missing in the first of those that ctest selected.
void AddUnaccountedTail(Report* report, const Plan& plan, const std::map<std::string, int>& seen) {
  EntryRow* row = nullptr;
  for (std::size_t i = 0; i < plan.entries.size() && !row; ++i)
    if (plan.entries[i].shares_tail && report->entries[i].Status() != EntryStatus::kNotSelected)
      row = &report->entries[i];
  if (!row) return;
  for (const auto& group : plan.shared_tail) {
    for (const std::string& node_id : group) {
      auto found = seen.find(node_id);
      int count = found == seen.end() ? 0 : found->second;
      if (count > 1) report->ran_twice.push_back(node_id);
      if (count > 0) continue;
      report->never_ran.push_back(node_id);
      std::string message = "never ran: no shard took it from the shared tail";
      if (report->interrupted != 0) message += " (the run was interrupted)";
      Add(report, row, {node_id, OutcomeName(Outcome::kMissing), 0, message});
    }
  }
}

}  // namespace

// Public (report.h): watch reads the plan of the run it follows.
PlanFile ReadPlan(const fs::path& suite_dir, const std::string& run_id) {
  return ReadPlanFile(RunPlanFile(suite_dir, run_id),
                      "run ctest first: a plan is written at each ctest start");
}

namespace {

// collection.json, if it is readable: it only adds collection errors'
// messages and pytest's names of tests, so a missing or stale file costs
// nothing.
Collection ReadCollectionIfAny(const fs::path& suite_dir) {
  std::error_code ec;
  if (!fs::exists(CollectionFile(suite_dir), ec)) return {};
  try {
    return ReadCollection(CollectionFile(suite_dir));
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

bool EntryRow::HasFailingResult() const {
  for (const auto& [outcome, count] : counts)
    if (count > 0 && IsFailure(outcome)) return true;
  return false;
}

namespace {

constexpr std::pair<EntryStatus, const char*> kEntryStatusNames[] = {
    {EntryStatus::kPassed, "passed"},
    {EntryStatus::kFailed, "failed"},
    {EntryStatus::kKilled, "killed"},
    {EntryStatus::kNotRun, "not run"},
    {EntryStatus::kNotSelected, "not selected"},
};

}  // namespace

const char* EntryStatusName(EntryStatus status) {
  for (const auto& [known, name] : kEntryStatusNames)
    if (known == status) return name;
  return "?";
}

std::optional<EntryStatus> ParseEntryStatus(std::string_view word) {
  for (const auto& [status, name] : kEntryStatusNames)
    if (word == name) return status;
  return std::nullopt;
}

EntryStatus EntryRow::Status() const {
  if (!ran) return selected ? EntryStatus::kNotRun : EntryStatus::kNotSelected;
  if (!finished) return EntryStatus::kKilled;
  if (exit_code != 0 || HasFailingResult()) return EntryStatus::kFailed;
  return EntryStatus::kPassed;
}

bool Report::Ok() const {
  if (interrupted != 0 || !never_ran.empty() || !ran_twice.empty()) return false;
  for (const EntryRow& row : entries) {
    EntryStatus status = row.Status();
    if (status != EntryStatus::kPassed && status != EntryStatus::kNotSelected) return false;
  }
  return true;
}

namespace {

// Whether the emitted labels are the ones ctest saw: the suite's PROPERTIES
// may set LABELS over them.
bool LabelsKnown(const Settings& settings) {
  for (const auto& [key, value] : settings.properties)
    if (key == "LABELS") return false;
  return true;
}

}  // namespace

Report BuildReport(const PlanFile& plan_file, const std::vector<ShardJournal>& journals,
                   const std::vector<CollectionError>& collection_errors) {
  Report report;
  report.suite = plan_file.settings.suite;
  report.run_id = plan_file.run_id;
  CtestInvocation ctest =
      CtestInvocation::FromArguments(plan_file.ctest_argv, plan_file.ctest_last_failed);
  report.selection = ctest.SelectionText();
  report.ctest_argv = plan_file.ctest_argv;
  const bool labels_known = LabelsKnown(plan_file.settings);
  const std::vector<Entry>& entries = plan_file.plan.entries;
  std::vector<std::vector<const ShardJournal*>> by_entry(entries.size());
  std::map<std::string, int> seen;  // node ID -> results in this run
  for (const ShardJournal& journal : journals) {
    if (journal.run_id != plan_file.run_id) continue;
    int index = EntryIndex(plan_file.plan, journal);
    if (index < 0) continue;
    by_entry[index].push_back(&journal);
    if (report.interrupted == 0) report.interrupted = journal.interrupted;
    for (const TestResult& result : journal.results) {
      ++seen[result.node_id];
      if (report.interrupted == 0) report.interrupted = result.interrupted;
    }
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EntryRow row = MakeRow(entries[i], by_entry[i]);
    row.selected = ctest.Selects(
        row.name,
        labels_known ? std::optional(EntryLabels(plan_file.settings, entries[i])) : std::nullopt);
    for (const ShardJournal* journal : by_entry[i])
      for (const TestResult& result : journal->results) Add(&report, &row, result);
    AddUnaccounted(&report, &row, entries[i], seen, collection_errors);
    report.entries.push_back(std::move(row));
  }
  AddUnaccountedTail(&report, plan_file.plan, seen);
  return report;
}

std::set<std::string> CollectionErrorEntries(const Report& report) {
  std::set<std::string> names;
  for (const EntryRow& row : report.entries)
    if (row.collection_errors) names.insert(row.name);
  return names;
}

ReportedRun ReadRun(const fs::path& suite_dir, const std::string& run_id) {
  ReportedRun run;
  run.stamp = FoldStamp(suite_dir, run_id);
  run.plan_file = ReadPlan(suite_dir, run_id);
  run.journals = ReadJournals(run.plan_file, suite_dir, /*skip_corrupt=*/false);
  run.collection = ReadCollectionIfAny(suite_dir);
  run.report = BuildReport(run.plan_file, run.journals, run.collection.errors);
  return run;
}

void RecordDurations(const fs::path& suite_dir, const ReportedRun& run) {
  LearnDurations(suite_dir, run.plan_file, run.journals, run.stamp);
}

}  // namespace pytest_shards

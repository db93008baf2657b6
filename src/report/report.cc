#include "report/report.h"

#include <algorithm>
#include <set>

#include "data/outcome.h"
#include "data/runs.h"
#include "emit/ctest_invocation.h"
#include "emit/emit.h"
#include "util/error.h"
#include "util/file_util.h"
#include "util/hash.h"

namespace pytest_shards {

namespace fs = std::filesystem;

namespace {

// The plan entry a journal belongs to, or -1.
int EntryIndex(const Plan& plan, const ShardJournal& journal) {
  int count = static_cast<int>(plan.entries.size());
  if (journal.index >= 0 && journal.index < count) return journal.index;
  for (int i = 0; i < count; ++i)
    if (plan.entries[i].name == journal.entry) return i;
  return -1;
}

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
  }
  return row;
}

void Add(Report* report, EntryRow* row, TestResult result) {
  ++row->counts[result.outcome];
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
    if (count == 0) {
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

}  // namespace

// Public (report.h): watch reads the plan of the run it follows.
PlanFile ReadPlan(const fs::path& suite_dir, const std::string& run_id) {
  return ReadPlanFile(RunPlanFile(suite_dir, run_id),
                      "run ctest first: a plan is written at each ctest start");
}

namespace {

// The journals of the plan's entries that exist. A corrupt journal throws
// unless `skip_corrupt`.
std::vector<ShardJournal> ReadJournals(const PlanFile& plan_file, const fs::path& suite_dir,
                                       bool skip_corrupt) {
  std::vector<ShardJournal> journals;
  // The suite directory given wins over the one recorded in the plan should
  // the build tree have moved.
  for (std::size_t i = 0; i < plan_file.plan.entries.size(); ++i) {
    fs::path file = JournalFile(suite_dir, plan_file.run_id, i);
    std::error_code ec;
    if (!fs::exists(file, ec)) continue;
    try {
      journals.push_back(ReadJournal(file));
    } catch (const Error&) {
      if (!skip_corrupt) throw;
    }
  }
  return journals;
}

// Some entry of the plan has run (and written its journal).
bool Ran(const PlanFile& plan_file, const std::vector<ShardJournal>& journals) {
  return std::any_of(journals.begin(), journals.end(), [&](const ShardJournal& journal) {
    return journal.run_id == plan_file.run_id;
  });
}

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

// The run and the state of its journals (names, sizes, modification times):
// Durations::folded. The runner and the plugin only append to a journal, so
// any new record changes it. Taken before the journals are read: records
// written meanwhile then make the next fold read them again.
std::string FoldStamp(const fs::path& suite_dir, const std::string& run_id) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(RunJournalDir(suite_dir, run_id), ec), end; !ec && it != end;
       it.increment(ec)) {
    std::error_code stat_ec;
    auto size = fs::file_size(it->path(), stat_ec);
    auto time = fs::last_write_time(it->path(), stat_ec);
    files.push_back(it->path().filename().string() + " " + std::to_string(size) + " " +
                    std::to_string(time.time_since_epoch().count()) + (stat_ec ? " ?" : ""));
  }
  std::sort(files.begin(), files.end());
  Hasher hasher;
  for (const std::string& file : files) hasher.Add(file);
  return run_id + " " + hasher.Hex();
}

// The store is a cache of measurements: a corrupt one is rebuilt.
Durations StoredDurations(const fs::path& suite_dir) {
  try {
    return ReadDurations(DurationsFile(suite_dir));
  } catch (const Error&) {
    return {};
  }
}

Durations UpdateDurations(const fs::path& suite_dir, Durations store, const Report& report,
                          const std::string& folded) {
  store = FoldDurations(std::move(store), report);
  store.folded = folded;
  WriteFileAtomic(DurationsFile(suite_dir), DurationsToJson(store).dump(2) + "\n");
  return store;
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
  if (!never_ran.empty() || !ran_twice.empty()) return false;
  for (const EntryRow& row : entries) {
    EntryStatus status = row.Status();
    if (status != EntryStatus::kPassed && status != EntryStatus::kNotSelected) return false;
  }
  return true;
}

namespace {

// The entry's labels as its ctest saw them; unknown when the suite's
// PROPERTIES set LABELS.
std::optional<std::vector<std::string>> KnownLabels(const Settings& settings, const Entry& entry) {
  for (const auto& [key, value] : settings.properties)
    if (key == "LABELS") return std::nullopt;
  return EntryLabels(settings, entry);
}

}  // namespace

Report BuildReport(const PlanFile& plan_file, const std::vector<ShardJournal>& journals,
                   const std::vector<CollectionError>& collection_errors) {
  Report report;
  report.suite = plan_file.settings.suite;
  report.run_id = plan_file.run_id;
  CtestInvocation ctest = CtestInvocation::FromArguments(plan_file.ctest_argv);
  report.selection = ctest.SelectionText();
  const std::vector<Entry>& entries = plan_file.plan.entries;
  std::vector<std::vector<const ShardJournal*>> by_entry(entries.size());
  std::map<std::string, int> seen;  // node ID -> results in this run
  for (const ShardJournal& journal : journals) {
    if (journal.run_id != plan_file.run_id) continue;
    int index = EntryIndex(plan_file.plan, journal);
    if (index < 0) continue;
    by_entry[index].push_back(&journal);
    for (const TestResult& result : journal.results) ++seen[result.node_id];
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EntryRow row = MakeRow(entries[i], by_entry[i]);
    row.selected = ctest.Selects(row.name, KnownLabels(plan_file.settings, entries[i]));
    for (const ShardJournal* journal : by_entry[i])
      for (const TestResult& result : journal->results) Add(&report, &row, result);
    AddUnaccounted(&report, &row, entries[i], seen, collection_errors);
    report.entries.push_back(std::move(row));
  }
  return report;
}

std::set<std::string> CollectionErrorEntries(const Report& report) {
  std::set<std::string> names;
  for (const EntryRow& row : report.entries)
    if (row.collection_errors) names.insert(row.name);
  return names;
}

Durations FoldDurations(Durations store, const Report& report) {
  std::set<std::string> collection_entries = CollectionErrorEntries(report);
  // An entry that did not run (ctest -L/-R chose others) says nothing about
  // its node IDs: they keep their last outcome, as with pytest --lf. One
  // without its closing record may still be running (another ctest plans
  // meanwhile): its tests without a result are not failures yet.
  std::set<std::string> ran, finished;
  for (const EntryRow& row : report.entries) {
    if (row.ran) ran.insert(row.name);
    if (row.finished) finished.insert(row.name);
  }
  for (const ReportResult& result : report.results) {
    if (collection_entries.count(result.entry) || !ran.count(result.entry)) continue;
    const TestResult& test = result.test;
    if (IsMeasured(test.outcome)) store.tests[test.node_id] = test.duration;
    if (!finished.count(result.entry)) continue;
    if (IsFailure(test.outcome))
      store.failed.insert(test.node_id);
    else
      store.failed.erase(test.node_id);
  }
  double startup_sum = 0;
  int startups = 0;
  for (const EntryRow& row : report.entries) {
    if (!row.finished) continue;
    if (row.wall > 0) store.entries[row.name] = row.wall;
    if (row.peak_rss_kb > 0) store.peak_rss_kb[row.name] = row.peak_rss_kb;
    if (row.startup > 0) {
      startup_sum += row.startup;
      ++startups;
    }
  }
  if (startups > 0) store.startup = startup_sum / startups;
  return store;
}

ReportedRun ReadRun(const fs::path& suite_dir, const std::string& run_id) {
  ReportedRun run;
  run.stamp = FoldStamp(suite_dir, run_id);
  run.plan_file = ReadPlan(suite_dir, run_id);
  std::vector<ShardJournal> journals =
      ReadJournals(run.plan_file, suite_dir, /*skip_corrupt=*/false);
  run.collection = ReadCollectionIfAny(suite_dir);
  run.report = BuildReport(run.plan_file, journals, run.collection.errors);
  return run;
}

void RecordDurations(const fs::path& suite_dir, const ReportedRun& run) {
  UpdateDurations(suite_dir, StoredDurations(suite_dir), run.report, run.stamp);
}

namespace {

// Folds the run's journals into *store and writes it; false when there is
// nothing to learn from.
bool FoldRun(const fs::path& suite_dir, const std::string& run_id, const std::string& stamp,
             Durations* store) {
  PlanFile plan_file;
  try {
    plan_file = ReadPlan(suite_dir, run_id);
  } catch (const Error&) {
    return false;
  }
  std::vector<ShardJournal> journals = ReadJournals(plan_file, suite_dir, /*skip_corrupt=*/true);
  if (!Ran(plan_file, journals)) return false;
  *store = UpdateDurations(suite_dir, std::move(*store), BuildReport(plan_file, journals), stamp);
  return true;
}

}  // namespace

Durations FoldJournalsIntoDurations(const fs::path& suite_dir) {
  std::string run_id = LastRun(suite_dir);
  // Every ctest start after a run comes here; only the first has news.
  std::string stamp = run_id.empty() ? "" : FoldStamp(suite_dir, run_id);
  Durations store;
  bool readable = true;
  try {
    store = ReadDurations(DurationsFile(suite_dir));
  } catch (const Error&) {
    readable = false;  // rebuilt if there is a run to fold
  }
  if (readable && (run_id.empty() || store.folded == stamp)) return store;
  if (!run_id.empty() && FoldRun(suite_dir, run_id, stamp, &store)) return store;
  return ReadDurations(DurationsFile(suite_dir));  // as it is: Error when corrupt
}

}  // namespace pytest_shards

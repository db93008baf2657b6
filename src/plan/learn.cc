#include "plan/learn.h"

#include <algorithm>
#include <set>

#include "data/outcome.h"
#include "data/runs.h"
#include "util/error.h"
#include "util/file_util.h"
#include "util/hash.h"

namespace pytest_shards {

namespace fs = std::filesystem;

int EntryIndex(const Plan& plan, const ShardJournal& journal) {
  int count = static_cast<int>(plan.entries.size());
  if (journal.index >= 0 && journal.index < count) return journal.index;
  for (int i = 0; i < count; ++i)
    if (plan.entries[i].name == journal.entry) return i;
  return -1;
}

std::vector<ShardJournal> ReadJournals(const PlanFile& plan_file, const fs::path& suite_dir,
                                       bool skip_corrupt) {
  std::vector<ShardJournal> journals;
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

// The runner and the plugin only append to a journal, so any new record
// changes the stamp.
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

namespace {

// The journals of this run, by the plan entry they belong to.
std::vector<std::vector<const ShardJournal*>> ByEntry(const PlanFile& plan_file,
                                                      const std::vector<ShardJournal>& journals) {
  std::vector<std::vector<const ShardJournal*>> by_entry(plan_file.plan.entries.size());
  for (const ShardJournal& journal : journals) {
    if (journal.run_id != plan_file.run_id) continue;
    int index = EntryIndex(plan_file.plan, journal);
    if (index >= 0) by_entry[index].push_back(&journal);
  }
  return by_entry;
}

void LearnOutcome(const std::string& node_id, const std::string& outcome, double duration,
                  bool finished, Durations* store) {
  if (IsMeasured(outcome)) store->tests[node_id] = duration;
  if (!finished) return;  // the failed set waits for the entry's end
  if (IsFailure(outcome))
    store->failed.insert(node_id);
  else
    store->failed.erase(node_id);
}

// The entry's last journal with its closing record, or null (killed).
const ShardJournal* LastFinished(const std::vector<const ShardJournal*>& journals) {
  const ShardJournal* last = nullptr;
  for (const ShardJournal* journal : journals)
    if (journal->finished) last = journal;
  return last;
}

// The entry's results in journal order, then its node IDs that have no
// result anywhere in the run, as missing. An entry without its closing
// record may still be running (another ctest plans meanwhile): its results
// are measurements, but neither they nor the tests it has not reached yet
// change the failed set, so a run in progress never makes another ctest's
// last-failed entries.
void LearnOutcomes(const Entry& entry, const std::vector<const ShardJournal*>& journals,
                   const std::set<std::string>& has_result, Durations* store) {
  bool finished = LastFinished(journals) != nullptr;
  for (const ShardJournal* journal : journals)
    for (const TestResult& result : journal->results)
      LearnOutcome(result.node_id, result.outcome, result.duration, finished, store);
  const std::string missing = OutcomeName(Outcome::kMissing);
  for (const std::string& node_id : entry.node_ids)
    if (!has_result.count(node_id)) LearnOutcome(node_id, missing, 0, finished, store);
}

}  // namespace

Durations FoldDurations(Durations store, const PlanFile& plan_file,
                        const std::vector<ShardJournal>& journals) {
  const std::vector<Entry>& entries = plan_file.plan.entries;
  std::vector<std::vector<const ShardJournal*>> by_entry = ByEntry(plan_file, journals);
  std::set<std::string> has_result;
  for (const auto& entry_journals : by_entry)
    for (const ShardJournal* journal : entry_journals)
      for (const TestResult& result : journal->results) has_result.insert(result.node_id);
  // An entry that did not run (ctest -L/-R chose others) says nothing about
  // its node IDs: they keep their last outcome, as with pytest --lf.
  for (std::size_t i = 0; i < entries.size(); ++i)
    if (!by_entry[i].empty() && !entries[i].collection_errors)
      LearnOutcomes(entries[i], by_entry[i], has_result, &store);
  double startup_sum = 0;
  int startups = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const ShardJournal* last = LastFinished(by_entry[i]);
    if (last == nullptr) continue;
    if (last->wall > 0) store.entries[entries[i].name] = last->wall;
    if (last->peak_rss_kb > 0) store.peak_rss_kb[entries[i].name] = last->peak_rss_kb;
    if (last->startup > 0) {
      startup_sum += last->startup;
      ++startups;
    }
  }
  if (startups > 0) store.startup = startup_sum / startups;
  return store;
}

namespace {

// The store is a cache of measurements: a corrupt one is rebuilt.
Durations StoredDurations(const fs::path& suite_dir) {
  try {
    return ReadDurations(DurationsFile(suite_dir));
  } catch (const Error&) {
    return {};
  }
}

Durations UpdateDurations(const fs::path& suite_dir, Durations store, const PlanFile& plan_file,
                          const std::vector<ShardJournal>& journals, const std::string& folded) {
  store = FoldDurations(std::move(store), plan_file, journals);
  store.folded = folded;
  WriteFileAtomic(DurationsFile(suite_dir), DurationsToJson(store).dump(2) + "\n");
  return store;
}

// Some entry of the plan has run (and written its journal).
bool Ran(const PlanFile& plan_file, const std::vector<ShardJournal>& journals) {
  return std::any_of(journals.begin(), journals.end(), [&](const ShardJournal& journal) {
    return journal.run_id == plan_file.run_id;
  });
}

// Folds the run's journals into *store and writes it; false when there is
// nothing to learn from.
bool FoldRun(const fs::path& suite_dir, const std::string& run_id, const std::string& stamp,
             Durations* store) {
  PlanFile plan_file;
  try {
    plan_file = ReadPlanFile(RunPlanFile(suite_dir, run_id), "");
  } catch (const Error&) {
    return false;
  }
  std::vector<ShardJournal> journals = ReadJournals(plan_file, suite_dir, /*skip_corrupt=*/true);
  if (!Ran(plan_file, journals)) return false;
  *store = UpdateDurations(suite_dir, std::move(*store), plan_file, journals, stamp);
  return true;
}

}  // namespace

Durations LearnDurations(const fs::path& suite_dir, const PlanFile& plan_file,
                         const std::vector<ShardJournal>& journals, const std::string& stamp) {
  return UpdateDurations(suite_dir, StoredDurations(suite_dir), plan_file, journals, stamp);
}

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

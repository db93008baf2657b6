// Durations learning: what a run's journals (journal.h), read against the
// plan that run executed (plan_file.h), teach the durations store
// (durations.h) the next plan reads. Every ctest start folds the last run
// in before it plans (FoldJournalsIntoDurations); `pytest-shards report`
// folds the run it reports (report.h). Planning links this, not the report.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "data/durations.h"
#include "data/journal.h"
#include "plan/plan_file.h"

namespace pytest_shards {

// The entry of `plan` a journal belongs to: by index, by name when the
// index is out of range; -1 when none.
int EntryIndex(const Plan& plan, const ShardJournal& journal);

// The journals of the plan's entries that exist in `suite_dir` (which wins
// over the plan's own should the build tree have moved). A corrupt journal
// throws Error unless `skip_corrupt`.
std::vector<ShardJournal> ReadJournals(const PlanFile& plan_file,
                                       const std::filesystem::path& suite_dir, bool skip_corrupt);

// The run and the state of its journals (names, sizes, modification times):
// Durations::folded. Take it before reading the journals: records written
// meanwhile then make the next fold read them again.
std::string FoldStamp(const std::filesystem::path& suite_dir, const std::string& run_id);

// The store updated with the run of `plan_file` whose journals are
// `journals` (those of another run are ignored): the latest measured
// duration of every test that ran to an outcome (not crashed/timeout/
// missing), the wall time of every finished entry, the mean non-zero
// start-up of the entries, and the failed set: node IDs with a failing
// outcome (see IsFailure) in an entry that finished are added (a node ID of
// such an entry without any result counts as missing), those that ran to
// another outcome removed; an entry without its closing record (still
// running, or killed) leaves the set as it is. The collection-errors entry
// teaches no test's outcome. Folding the same run twice gives the same store.
Durations FoldDurations(Durations store, const PlanFile& plan_file,
                        const std::vector<ShardJournal>& journals);

// Folds the run into durations.json (FoldDurations) and records `stamp`
// (FoldStamp) as folded; a corrupt store is rebuilt from this run. Returns
// the store as written.
Durations LearnDurations(const std::filesystem::path& suite_dir, const PlanFile& plan_file,
                         const std::vector<ShardJournal>& journals, const std::string& stamp);

// Folds the last run's journals into durations.json; `plan` calls it at
// each ctest start before it plans. Does nothing when there is no usable
// plan or journal, or when the store already holds these journals as they
// are (Durations::folded); idempotent. Returns the store as it is then: a
// corrupt one is rebuilt from the run, or throws Error (as ReadDurations)
// when there is none.
Durations FoldJournalsIntoDurations(const std::filesystem::path& suite_dir);

}  // namespace pytest_shards

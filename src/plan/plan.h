// The planner: groups collected items into CTest entries (plan_file.h), by
// the rules users set (GRANULARITY, DISTRIBUTION, serial and xdist_group
// markers, last-failed first), and balances shards with pack.h.
#pragma once

#include <string>
#include <vector>

#include "data/collection.h"
#include "data/durations.h"
#include "data/settings.h"
#include "plan/plan_file.h"

namespace pytest_shards {

// The suite's settings (entry names are "<suite>/...", SHARDS, GRANULARITY,
// DISTRIBUTION, SERIAL_MARKER), and what ctest start measured: an option of
// pytest_shard_tests() reaches the planner without being copied here.
struct PlanOptions : Settings {
  int cores = 1;  // of the machine ctest runs on
};

// Deterministic: the same collection, options and durations give the same
// plan. Guarantees every item lands in exactly one entry; serial items (the
// serial_marker) only in entries that carry their lock; items sharing an
// xdist_group in one entry. Collection errors become one extra entry named
// "<suite>/collection-errors" at the end. Items in durations.failed go to
// entries "<suite>/last-failed-NN" at the front (GRANULARITY test: their own
// entries, in place), labelled "last-failed".
Plan MakePlan(const Collection& collection, const PlanOptions& options, const Durations& durations);

// Tests that share an entry whatever the packing: an xdist group, and what
// DISTRIBUTION keeps together (a module, a class). What a CI slice keeps
// whole (slice.h). In order of their first test; node IDs in collection
// order, each once.
struct TestBundle {
  std::vector<std::string> node_ids;
  double cost = 0;  // estimated seconds, from `durations`
  bool exclusive = false;
  // The serial locks, and the group's lock when a failed member runs apart
  // from the rest of its xdist group; sorted, unique.
  std::vector<std::string> locks;
};
std::vector<TestBundle> MakeTestBundles(const Collection& collection, const PlanOptions& options,
                                        const Durations& durations);

// Lifts the cost of every entry labelled "last-failed" above all others, so
// that ctest, which starts the highest COST first, starts them first. Applied
// last (after slicing, which balances on the estimates).
void PrioritiseLastFailed(Plan* plan);

}  // namespace pytest_shards

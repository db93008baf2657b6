// CI slices: PYTEST_SHARDS_SLICE=k/n makes one ctest run hold the k-th of n
// duration-balanced parts of a suite's tests, so that the jobs of a CI
// matrix split one suite between them.
#pragma once

#include <string>
#include <vector>

#include "data/collection.h"
#include "data/durations.h"
#include "plan/plan.h"

namespace pytest_shards {

// Parses "k/n" (1 <= k <= n). Throws Error with one line naming the value
// and the fix otherwise.
Slice ParseSlice(const std::string& text);

// What one job of a CI matrix must run whole: the bundles DISTRIBUTION and
// xdist groups keep together (plan.h), joined with every other bundle that
// shares a serial lock (all exclusive tests are one), with their estimated
// seconds from `durations` (its failed set is ignored).
// Node IDs in collection order; units in order of their first test.
struct SliceUnit {
  std::vector<std::string> node_ids;
  double cost = 0;
};
std::vector<SliceUnit> SliceUnits(const Collection& collection, const PlanOptions& options,
                                  const Durations& durations);

// The slice (0-based) of every unit: the units packed by their cost into
// `count` slices, longest first (PackLpt, pack.h), ties broken by their
// first node ID.
std::vector<int> AssignSlices(const std::vector<SliceUnit>& units, int count);

// The collection as far as `slice` holds it: its items, in collection
// order (collection errors go with slice 1). Cut at the test level from the
// collection and `durations` (DURATIONS_FILE, else none) alone, never from
// this machine's cores or local history, so every job of a CI matrix puts
// each node ID in the same slice. The slice is then planned for this
// machine as a whole suite is.
Collection SelectSlice(const Collection& collection, const PlanOptions& options,
                       const Durations& durations, const Slice& slice);

}  // namespace pytest_shards

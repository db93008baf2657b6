// CI slices: PYTEST_SHARDS_SLICE=k/n makes one ctest run hold the k-th of n
// duration-balanced parts of a suite's entries, so that the jobs of a CI
// matrix split one suite between them.
#pragma once

#include <string>
#include <vector>

#include "plan_file.h"

namespace pytest_shards {

struct Slice {
  int index = 1;  // k: 1-based, as CI matrices count
  int count = 1;  // n
};

// Parses "k/n" (1 <= k <= n). Throws Error with one line naming the value
// and the fix otherwise.
Slice ParseSlice(const std::string& text);

// The slice (0-based) of every entry: the entries packed by their COST into
// `count` slices, longest first (PackLpt, pack.h), ties broken by entry
// name, so the same plan gives the same assignment in every job of the
// matrix.
std::vector<int> AssignSlices(const Plan& plan, int count);

// The entries of `slice`, in plan order. Every entry of the plan lands in
// exactly one of the slices 1..n when every job plans from the same inputs.
Plan SelectSlice(const Plan& plan, const Slice& slice);

}  // namespace pytest_shards

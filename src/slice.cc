#include "slice.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>
#include <utility>

#include "error.h"

namespace pytest_shards {

namespace {

// A whole decimal number in [1, 1e6]; 0 when `text` is anything else.
int PositiveNumber(const std::string& text) {
  if (text.empty() || text.size() > 7) return 0;
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return 0;
  int value = std::stoi(text);
  return value <= 1000000 ? value : 0;
}

}  // namespace

Slice ParseSlice(const std::string& text) {
  size_t slash = text.find('/');
  Slice slice;
  if (slash != std::string::npos) {
    slice.index = PositiveNumber(text.substr(0, slash));
    slice.count = PositiveNumber(text.substr(slash + 1));
  }
  if (slash == std::string::npos || slice.index == 0 || slice.count == 0 ||
      slice.index > slice.count)
    throw Error("PYTEST_SHARDS_SLICE='" + text +
                "' is not k/n with 1 <= k <= n; set it like 2/4 (the 2nd of 4 slices) or unset it");
  return slice;
}

std::vector<int> AssignSlices(const Plan& plan, int count) {
  const std::vector<Entry>& entries = plan.entries;
  std::vector<size_t> order(entries.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (entries[a].cost != entries[b].cost) return entries[a].cost > entries[b].cost;
    return entries[a].name < entries[b].name;
  });
  // The least loaded slice takes the next longest entry; lowest index on a tie.
  using Load = std::pair<double, int>;
  std::priority_queue<Load, std::vector<Load>, std::greater<Load>> least;
  for (int i = 0; i < count; ++i) least.push({0.0, i});
  std::vector<int> slice_of(entries.size(), 0);
  for (size_t e : order) {
    auto [load, slice] = least.top();
    least.pop();
    slice_of[e] = slice;
    least.push({load + entries[e].cost, slice});
  }
  return slice_of;
}

Plan SelectSlice(const Plan& plan, const Slice& slice) {
  std::vector<int> slice_of = AssignSlices(plan, slice.count);
  Plan selected;
  for (size_t e = 0; e < plan.entries.size(); ++e)
    if (slice_of[e] == slice.index - 1) selected.entries.push_back(plan.entries[e]);
  return selected;
}

}  // namespace pytest_shards

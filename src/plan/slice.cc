#include "plan/slice.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "plan/pack.h"
#include "util/disjoint_sets.h"
#include "util/error.h"

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

std::vector<SliceUnit> SliceUnits(const Collection& collection, const PlanOptions& options,
                                  const Durations& durations) {
  Durations costs = durations;
  costs.failed.clear();  // last-failed is local state: it must not move a test between slices
  std::vector<TestBundle> bundles = MakeTestBundles(collection, options, costs);
  // Bundles sharing a lock run on one machine, where the lock holds.
  DisjointSets sets(bundles.size());
  std::map<std::string, int> first;
  for (int b = 0; b < static_cast<int>(bundles.size()); ++b) {
    std::vector<std::string> keys = bundles[b].locks;
    if (bundles[b].exclusive) keys.push_back("exclusive:");
    for (const std::string& key : keys) {
      auto [it, inserted] = first.emplace(key, b);
      if (!inserted) sets.Union(it->second, b);
    }
  }
  std::vector<SliceUnit> units;
  std::map<int, size_t> unit_of_root;
  for (int b = 0; b < static_cast<int>(bundles.size()); ++b) {
    auto [it, inserted] = unit_of_root.emplace(sets.Find(b), units.size());
    if (inserted) units.emplace_back();
    SliceUnit& unit = units[it->second];
    unit.node_ids.insert(unit.node_ids.end(), bundles[b].node_ids.begin(),
                         bundles[b].node_ids.end());
    unit.cost += bundles[b].cost;
  }
  // A unit of several bundles holds them one after another: back into
  // collection order.
  std::unordered_map<std::string_view, size_t> position;
  for (const Item& item : collection.items) position.emplace(item.node_id, position.size());
  auto earlier = [&](const std::string& a, const std::string& b) {
    return position.at(a) < position.at(b);
  };
  for (SliceUnit& unit : units) std::sort(unit.node_ids.begin(), unit.node_ids.end(), earlier);
  return units;
}

std::vector<int> AssignSlices(const std::vector<SliceUnit>& units, int count) {
  std::vector<Piece> pieces;
  for (size_t u = 0; u < units.size(); ++u)
    pieces.push_back({{static_cast<int>(u)}, units[u].cost});
  ItemName name = [&](int u) -> const std::string& { return units[u].node_ids.front(); };
  std::vector<int> slice_of(units.size(), 0);
  std::vector<Piece> slices = PackLpt(std::move(pieces), count, name);
  for (size_t slice = 0; slice < slices.size(); ++slice)
    for (int u : slices[slice].items) slice_of[u] = static_cast<int>(slice);
  return slice_of;
}

Collection SelectSlice(const Collection& collection, const PlanOptions& options,
                       const Durations& durations, const Slice& slice) {
  std::vector<SliceUnit> units = SliceUnits(collection, options, durations);
  std::vector<int> slice_of = AssignSlices(units, slice.count);
  std::unordered_set<std::string> kept;
  for (size_t u = 0; u < units.size(); ++u)
    if (slice_of[u] == slice.index - 1)
      kept.insert(units[u].node_ids.begin(), units[u].node_ids.end());
  Collection selected = collection;
  selected.items.clear();
  for (const Item& item : collection.items)
    if (kept.count(item.node_id)) selected.items.push_back(item);
  if (slice.index != 1) selected.errors.clear();
  return selected;
}

}  // namespace pytest_shards

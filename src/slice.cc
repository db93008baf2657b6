#include "slice.h"

#include <algorithm>
#include <utility>

#include "error.h"
#include "pack.h"

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
  std::vector<Piece> pieces;
  for (size_t e = 0; e < entries.size(); ++e)
    pieces.push_back({{static_cast<int>(e)}, entries[e].cost});
  ItemName name = [&](int e) -> const std::string& { return entries[e].name; };
  std::vector<int> slice_of(entries.size(), 0);
  std::vector<Piece> slices = PackLpt(std::move(pieces), count, name);
  for (size_t slice = 0; slice < slices.size(); ++slice)
    for (int e : slices[slice].items) slice_of[e] = static_cast<int>(slice);
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

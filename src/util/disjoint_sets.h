// Union-find over positions 0..n-1, for what must stay together: the
// planner's bundles (plan.cc) and a CI slice's units (slice.cc).
#pragma once

#include <numeric>
#include <utility>
#include <vector>

namespace pytest_shards {

// The root of a set is its smallest position, i.e. its first member in
// the callers' order.
class DisjointSets {
 public:
  explicit DisjointSets(size_t size) : parent_(size) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }
  int Find(int i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  void Union(int a, int b) {
    a = Find(a);
    b = Find(b);
    if (a > b) std::swap(a, b);
    parent_[b] = a;
  }

 private:
  std::vector<int> parent_;
};

}  // namespace pytest_shards

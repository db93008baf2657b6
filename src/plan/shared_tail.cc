#include "plan/shared_tail.h"

namespace pytest_shards {

std::vector<int> ChooseSharedTail(const std::vector<TailCandidate>& candidates, int bins) {
  if (bins < 2) return {};
  double total = 0;
  for (const TailCandidate& c : candidates) total += c.cost;
  const double target = total * kTailShare;
  const double largest = total / bins * kTailGroupShare;
  std::vector<int> tail;
  double cost = 0;
  for (int i = static_cast<int>(candidates.size()) - 1; i >= 0 && cost < target; --i) {
    const TailCandidate& c = candidates[i];
    if (!c.movable) continue;  // stays in its shard: a module skipped whole runs nothing
    // While one shard runs a group, the others run the groups after it: a
    // group longer than those by more than `largest` would end its shard
    // late. It stays in a shard, and so do the tests before it, so that
    // the tail is a suffix.
    if (c.cost - cost > largest) break;
    tail.insert(tail.begin(), i);
    cost += c.cost;
  }
  return tail;
}

}  // namespace pytest_shards

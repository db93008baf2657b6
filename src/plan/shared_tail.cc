#include "plan/shared_tail.h"

#include <algorithm>
#include <map>

namespace pytest_shards {

std::vector<int> ChooseSharedTail(const std::vector<TailCandidate>& candidates, int bins) {
  if (bins < 2) return {};
  double total = 0;
  for (const TailCandidate& c : candidates) total += c.cost;
  const double target = total * kTailShare;
  const double largest = total / bins * kTailGroupShare;
  // The small candidates of each module, and their cost.
  struct Module {
    std::vector<int> positions;
    double cost = 0;
    int first = 0;  // ties go to the earlier module: a plan depends on its inputs only
  };
  std::map<std::string_view, Module> modules;
  for (int i = 0; i < static_cast<int>(candidates.size()); ++i) {
    const TailCandidate& c = candidates[i];
    if (!c.movable || c.cost > largest) continue;
    auto [it, inserted] = modules.try_emplace(c.module);
    if (inserted) it->second.first = i;
    it->second.positions.push_back(i);
    it->second.cost += c.cost;
  }
  std::vector<const Module*> order;
  for (const auto& [name, module] : modules) order.push_back(&module);
  std::sort(order.begin(), order.end(), [](const Module* a, const Module* b) {
    return a->cost != b->cost ? a->cost > b->cost : a->first < b->first;
  });
  std::vector<int> tail;
  double cost = 0;
  for (const Module* module : order) {
    for (int i : module->positions) {
      if (cost >= target) break;
      tail.push_back(i);
      cost += candidates[i].cost;
    }
    if (cost >= target) break;
  }
  std::sort(tail.begin(), tail.end());
  return tail;
}

}  // namespace pytest_shards

#include "plan/seed.h"

#include <algorithm>

#include "util/hash.h"

namespace pytest_shards {

std::uint32_t RunSeed(const std::string& run_id) {
  Hasher hasher;
  hasher.Add(run_id);
  return static_cast<std::uint32_t>(std::stoul(hasher.Hex().substr(0, 8), nullptr, 16));
}

std::vector<std::string> SeedArgs(const PlanFile& plan) {
  const std::vector<std::string>& outputs = plan.session_outputs;
  if (std::find(outputs.begin(), outputs.end(), "seed") == outputs.end()) return {};
  return {"--shards-seed=" + std::to_string(RunSeed(plan.run_id))};
}

}  // namespace pytest_shards

// The run's session seed. Plugins that draw a random seed once per pytest
// session (pytest-randomly's --randomly-seed: the order of the tests and
// random.seed() before each) would draw one per CTest entry, since each
// entry is a pytest session of its own. A ctest run has one instead, as
// plain pytest's run has one: derived from the run's id, so that every entry
// and the session step of the run get the same value without sharing state.
// The collector says whether the suite has such an option ("seed" among its
// session outputs); the plugin gives the seed to it unless the user gave a
// value (python/pytest_shards_plugin/plugin_compat.py).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plan/plan_file.h"

namespace pytest_shards {

// A 32-bit seed of the run (pytest-randomly's range), a hash of its id.
std::uint32_t RunSeed(const std::string& run_id);

// {"--shards-seed=<RunSeed>"} when the plan's suite has a session seed,
// else nothing: for every entry's pytest and the session step's.
std::vector<std::string> SeedArgs(const PlanFile& plan);

}  // namespace pytest_shards

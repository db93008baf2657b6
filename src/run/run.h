// The shard runner: what every CTest entry executes (`pytest-shards run`),
// and the pytest command line it runs.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "plan/plan.h"
#include "run/lease.h"

namespace pytest_shards {

// The pytest command line of one run of `entry`: on the node IDs listed in
// `node_ids_file`, or, for the collection-errors entry, directly on its
// modules (then `node_ids_file` is not used).
std::vector<std::string> PytestArgv(const PlanFile& plan, const Entry& entry,
                                    const ShardContext& shard,
                                    const std::filesystem::path& node_ids_file,
                                    const std::filesystem::path& journal);

// The node-ID file the plugin reads (--shards-node-ids): {"node_ids": ids,
// "paths": the plan's module_paths of their modules}.
std::string NodeIdsFileText(const PlanFile& plan, const std::vector<std::string>& ids);

// Runs entry `index` of the plan: leases the tmp dir and ports, runs
// pytest under a Supervisor (again on the rest after a crash or a per-test
// timeout), writes the journal and returns the exit code: 0 exactly when
// every node ID ran and none failed or errored. `cold`: the ctest runs only
// a few entries (emit.h), which start pytest cold unless PYTEST_SHARDS_WARM=1.
int RunEntry(const std::filesystem::path& plan_file, int index, std::ostream& out,
             bool cold = false);

}  // namespace pytest_shards
